"""Rate-distortion checks (§4.1, §4.2): the source, the compressors and the two controls, against oracles.

Oracles written here, independently of the code under test: the covariance
recursion step by step and SciPy's Lyapunov solver; reverse water-filling by
bisection on the water level; determinant formulas for Gaussian informations;
Monte Carlo in NumPy for distortions; exact Gaussian cell probabilities for a
quantiser's entropy; numerical integration (scipy.integrate.quad) for the
discretisation error.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, linalg, stats

from ssmverify.checks._base import Settings
from ssmverify.checks._registry import CHECKS
from ssmverify.checks._gaussian_source import blahut_arimoto_band, draw_source, quantiser_terms
from ssmverify.checks.suite import resolve_regimes
from ssmverify.estimators import discretise_gaussian as discretise
from ssmverify.estimators import entropy_terms_bits as entropy_terms
from ssmverify.theorems import CLAIMS, parse_regime
from ssmverify.theorems._gaussian_source import (evaluate_linear, gaussian_source, linear_compressors,
                                                 optimal_channel)

SETTINGS = Settings(seed=0, alpha=0.01, quick=True, family_size=50)


def make_regime(name, A, B, Q, *, form="gated", gate=1.0, steps=None, law="gaussian", h0=None, sigmoid=False):
    model = {"form": form, "A": np.asarray(A, float).tolist(), "B": np.asarray(B, float).tolist(),
             "noise_cov": Q if np.isscalar(Q) else np.asarray(Q, float).tolist(),
             "gate": ({"kind": "sigmoid", "W": [[1.0]] * len(A)} if sigmoid else
                      {"kind": "constant", "value": gate if np.isscalar(gate) else list(gate)})}
    if h0 is not None:
        model["h0"] = list(h0)
    data = {"name": name, "model": model, "inputs": {"law": law, "scale": 1.0}}
    if steps is not None:
        data["rate_distortion"] = {"steps": steps}
    return parse_regime(data, f"test:{name}", set(CLAIMS))


def water_filling_oracle(lams, R_bits=None, D=None):
    """(D, R_bits) on the Gaussian curve, by bisection on the water level θ."""
    lams = np.asarray(lams, float)

    def at(theta):
        return float(np.minimum(theta, lams).sum()), float(np.maximum(0.0, 0.5 * np.log2(lams / theta)).sum())

    lo, hi = 1e-30 * float(lams.max()), float(lams.max())
    for _ in range(200):                              # geometric bisection: D rises and R falls with θ
        mid = math.sqrt(lo * hi)
        Dm, Rm = at(mid)
        if (R_bits is not None and Rm > R_bits) or (D is not None and Dm < D):
            lo = mid
        else:
            hi = mid
    return at(hi)


# --- the source --------------------------------------------------------------------------------

A3 = [[0.5, 0.2, 0.0], [0.0, 0.6, 0.1], [0.1, 0.0, 0.4]]
B3 = [[1.0, 0.0], [0.5, 0.3], [0.0, 1.0]]
Q3 = [[0.2, 0.05, 0.0], [0.05, 0.1, 0.0], [0.0, 0.0, 0.3]]
G3 = [0.9, 0.6, 0.8]


def test_source_matches_step_by_step_recursion():
    regime = make_regime("src-finite", A3, B3, Q3, form="leaky", gate=G3, steps=37, h0=[1.0, -2.0, 0.5])
    src = gaussian_source(regime)
    G = np.diag(G3)
    M = np.eye(3) - G @ (np.eye(3) - np.array(A3))
    Ss, Sn = G @ np.array(B3) @ np.array(B3).T @ G, np.array(Q3)
    sig, noi, mean = np.zeros((3, 3)), np.zeros((3, 3)), np.array([1.0, -2.0, 0.5])
    for _ in range(37):
        sig, noi, mean = M @ sig @ M.T + Ss, M @ noi @ M.T + Sn, M @ mean
    np.testing.assert_allclose(src.signal_cov, sig, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(src.noise_cov, noi, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(src.mean, mean, rtol=1e-12, atol=1e-14)
    assert src.t == 37


def test_default_horizon_is_stationary():
    regime = make_regime("src-stationary", A3, B3, Q3, form="leaky", gate=G3)
    src = gaussian_source(regime)
    G = np.diag(G3)
    M = np.eye(3) - G @ (np.eye(3) - np.array(A3))
    stationary = linalg.solve_discrete_lyapunov(M, G @ np.array(B3) @ np.array(B3).T @ G + np.array(Q3))
    np.testing.assert_allclose(src.cov, stationary, rtol=1e-12)
    assert np.linalg.norm(np.linalg.matrix_power(M, src.t), 2) <= 1e-8


def test_information_state_inputs_by_determinants():
    src = gaussian_source(make_regime("src-info", A3, B3, Q3, gate=G3))
    oracle = 0.5 * math.log2(np.linalg.det(src.cov) / np.linalg.det(src.noise_cov))
    assert src.info_state_inputs() == pytest.approx(oracle, rel=1e-10)


# --- compressors in closed form ------------------------------------------------------------------

def test_linear_compressors_against_determinants_and_monte_carlo():
    regime = make_regime("comp", A3, B3, Q3, gate=G3, steps=9, h0=[1.0, 0.0, -1.0])
    src = gaussian_source(regime)
    rng = np.random.default_rng(7)
    n = 200_000
    h = rng.multivariate_normal(src.mean, src.cov, size=n)
    for comp in linear_compressors(regime, src, noise_levels=(0.3,)) + linear_compressors(regime, src):
        row = evaluate_linear(src, comp)
        keep = np.flatnonzero(np.diag(comp.C) != 0)
        Ck = comp.C[keep]                                     # rows of ĥ that are not identically zero
        Zk = comp.Z[np.ix_(keep, keep)]
        # I(ĥ; x) = ½ log2 det(Cov ĥ) / det(Cov ĥ | x): ĥ | x has the noise part's covariance.
        cov_out = Ck @ src.cov @ Ck.T + Zk
        cov_given_x = Ck @ src.noise_cov @ Ck.T + Zk
        assert row["info_inputs_bits"] == pytest.approx(
            0.5 * math.log2(np.linalg.det(cov_out) / np.linalg.det(cov_given_x)), rel=1e-9, abs=1e-12)
        if np.any(comp.Z):
            assert row["rate_bits"] == pytest.approx(0.5 * math.log2(np.linalg.det(cov_out) / np.linalg.det(Zk)),
                                                     rel=1e-9)
        else:
            assert math.isinf(row["rate_bits"])          # noiseless continuous coordinates: I(h; ĥ) = ∞
        # Raw distortion by Monte Carlo, within 5 standard errors.
        z = rng.multivariate_normal(np.zeros(3), comp.Z, size=n) if np.any(comp.Z) else 0.0
        err = np.sum((h - (h @ comp.C.T + z)) ** 2, axis=1)
        assert abs(row["distortion"] - err.mean()) <= 5 * err.std() / math.sqrt(n), comp.name
        assert row["dims"] == keep.size


def test_water_filling_channel_sits_on_the_curve():
    src = gaussian_source(make_regime("opt", A3, B3, Q3, gate=G3))
    lams = np.linalg.eigvalsh(src.cov)
    for frac in (0.05, 0.3, 0.9):
        row = evaluate_linear(src, optimal_channel(src, frac * lams.max()))
        D_o, R_o = water_filling_oracle(lams, D=row["distortion"])
        assert row["rate_bits"] == pytest.approx(R_o, rel=1e-9)
        assert row["distortion"] == pytest.approx(float(np.minimum(frac * lams.max(), lams).sum()), rel=1e-12)


# --- quantisers -------------------------------------------------------------------------------

def test_quantiser_entropy_and_distortion_against_exact_cells():
    regime = make_regime("scalar", [[0.8]], [[1.0]], 0.5)
    src = gaussian_source(regime)
    sd = math.sqrt(src.cov[0, 0])
    rng = np.random.default_rng(3)
    data = draw_source(src, rng, 200_000)
    for c in (0.5, 1.0, 2.0):
        q = quantiser_terms(src, data, c, with_inputs=True)
        step = c * sd
        k = np.arange(-200, 201)
        p = stats.norm.cdf((k + 0.5) * step / sd) - stats.norm.cdf((k - 0.5) * step / sd)
        H_exact = -np.sum(p[p > 0] * np.log2(p[p > 0]))
        D_exact = sum(integrate.quad(lambda u, kk=kk: (u - kk * step) ** 2 * stats.norm.pdf(u, 0, sd),
                                     (kk - 0.5) * step, (kk + 0.5) * step)[0] for kk in range(-40, 41))
        n = q["rate_terms"].size
        H_est = q["rate_terms"].mean() + q["mm"]
        assert abs(H_est - H_exact) <= 5 * q["rate_terms"].std() / math.sqrt(n) + 1e-3, (c, H_est, H_exact)
        assert abs(q["dist"].mean() - D_exact) <= 5 * q["dist"].std() / math.sqrt(n), (c, q["dist"].mean(), D_exact)
        # In 1-D with a diagonal noise part, the subadditivity bound on I(ĥ; x) is exact: check it against
        # I = H(ĥ) − E_s H(ĥ | s) computed here with quadrature over s.
        sd_s, sd_n = math.sqrt(src.signal_cov[0, 0]), math.sqrt(src.noise_cov[0, 0])

        def cond_entropy(s):
            pk = stats.norm.cdf(((k + 0.5) * step - s) / sd_n) - stats.norm.cdf(((k - 0.5) * step - s) / sd_n)
            pk = pk[pk > 0]
            return -np.sum(pk * np.log2(pk))
        Hc = integrate.quad(lambda s: cond_entropy(s) * stats.norm.pdf(s, 0, sd_s), -10 * sd_s, 10 * sd_s,
                            limit=200)[0]
        I_est = q["info_terms"].mean() + q["mm"]
        assert abs(I_est - (H_exact - Hc)) <= 5 * q["info_terms"].std() / math.sqrt(n) + 1e-3


def test_entropy_terms_plug_in_and_miller_madow():
    cells = np.array([[0, 1], [0, 1], [2, 3], [5, 5]])
    terms, mm, occupied = entropy_terms(cells)
    p = np.array([0.5, 0.25, 0.25])
    assert terms.mean() == pytest.approx(-np.sum(p * np.log2(p)))
    assert mm == pytest.approx((3 - 1) / (2 * 4 * math.log(2)))
    assert occupied == 3


# --- rd-converse: must PASS ------------------------------------------------------------------------

def test_rd_converse_passes_on_every_builtin_regime_where_it_applies():
    ran = 0
    for regime in resolve_regimes([]):
        if CLAIMS["rd-converse"].applicable(regime) is not None:
            continue
        res = CHECKS["rd-converse"].run(regime, SETTINGS)
        assert res.verdict == "PASS", (regime.name, res.details["representative"])
        ran += 1
    assert ran >= 3


def test_rd_converse_unstable_chain_needs_a_horizon():
    no_horizon = make_regime("unstable", [[2.0, 0.0], [0.0, 2.0]], [[1.0], [1.0]], 0.01)
    assert "no stationary law" in CLAIMS["rd-converse"].applicable(no_horizon)
    res = CHECKS["rd-converse"].run(no_horizon, SETTINGS)
    assert res.verdict == "NOT_APPLICABLE"
    finite = make_regime("unstable-12", [[2.0, 0.0], [0.0, 2.0]], [[1.0], [1.0]], 0.01, steps=12)
    res = CHECKS["rd-converse"].run(finite, SETTINGS)
    assert res.verdict == "PASS" and res.details["source"]["t"] == 12


def test_not_gaussian_sources_are_not_applicable():
    sig = make_regime("sig", [[0.5]], [[1.0]], 0.1, sigmoid=True)
    rad = make_regime("rad", [[0.5]], [[1.0]], 0.1, law="rademacher")
    for claim in ("rd-converse", "theorem1", "rd-curve"):
        assert CLAIMS[claim].applicable(sig) is not None and CLAIMS[claim].applicable(rad) is not None
        assert CHECKS[claim].run(rad, SETTINGS).verdict == "NOT_APPLICABLE"
        assert CHECKS[claim].planned_comparisons(sig, SETTINGS) == 0


# --- rd-curve: must PASS, with a band derived from the discretisation --------------------------------

def test_discretisation_error_by_quadrature():
    lam = 2.5
    dz = discretise(lam, per_sd=8, half_width=6.0)
    sd = math.sqrt(lam)
    edges = np.concatenate(([-np.inf], 0.5 * (dz.grid[:-1] + dz.grid[1:]), [np.inf]))
    total, mass = 0.0, 0.0
    for a, b, c in zip(edges[:-1], edges[1:], dz.points):
        total += integrate.quad(lambda u: (u - c) ** 2 * stats.norm.pdf(u, 0, sd), a, b)[0]
        mass += stats.norm.cdf(b / sd) - stats.norm.cdf(a / sd)
    assert dz.eps == pytest.approx(total, rel=1e-6)
    assert dz.pmf.sum() == pytest.approx(1.0, abs=1e-14) and mass == pytest.approx(1.0)
    assert dz.eps == pytest.approx(dz.step ** 2 / 12, rel=0.05)   # the fine-grid value δ²/12


@pytest.mark.parametrize("dims", [1, 2, 5])
def test_rd_curve_passes_and_band_is_tight(dims):
    rng = np.random.default_rng(dims)
    A = np.diag(rng.uniform(0.3, 0.8, dims))
    B = rng.normal(size=(dims, 1))
    regime = make_regime(f"curve-{dims}", A, B, np.diag(rng.uniform(0.05, 1.0, dims)))
    res = CHECKS["rd-curve"].run(regime, SETTINGS)
    assert res.verdict == "PASS"
    band = blahut_arimoto_band(regime)
    assert band["projected"] == (dims > 4)
    lams = np.asarray(band["eigenvalues"])
    for p in band["points"]:
        # The analytic values the check used agree with the bisection oracle.
        _, R_up = water_filling_oracle(lams, D=p["upper_side"]["D"])
        assert p["upper_side"]["R_analytic_bits"] == pytest.approx(R_up, rel=1e-9, abs=1e-12)
        # The band is tight enough to catch a 3 % error in the analytic curve at some slope.
    up = [(p["upper_side"]["R_analytic_bits"], p["upper_side"]["bound_bits"]) for p in band["points"]]
    low = [(p["lower_side"]["R_analytic_bits"], p["lower_side"]["bound_bits"]) for p in band["points"]]
    assert any(1.03 * r > b for r, b in up if r > 0.2)
    assert any(0.97 * r < b for r, b in low if r > 0.2)
    # The certified BA lower bound on the grid never exceeds the achievable BA rate.
    assert all(p["R_ba_lower_grid_bits"] <= p["R_ba_upper_bits"] + 1e-12 for p in band["points"])


def test_planned_comparisons_bound_the_deciding_ones_and_runs_repeat():
    from ssmverify.reports._io import dumps
    for regime in resolve_regimes([]):
        for claim in ("rd-converse", "theorem1", "rd-curve"):
            if CLAIMS[claim].applicable(regime) is not None:
                continue
            res = CHECKS[claim].run(regime, SETTINGS)
            # planned comparisons take a share of α: they bound the deciding *statistical* comparisons
            deciding = sum(c["decides"] and c["method"] == "monte-carlo" for c in res.details["comparisons"])
            assert deciding <= CHECKS[claim].planned_comparisons(regime, SETTINGS), (regime.name, claim)
            assert dumps(res.to_json()) == dumps(CHECKS[claim].run(regime, SETTINGS).to_json())


def test_source_and_band_caches_are_lru_caches_per_regime():
    """The source and the BA band are memoised with functools.lru_cache (16 regimes each), keyed by fingerprint."""
    from ssmverify.checks import _gaussian_source as shared
    from ssmverify.theorems import _gaussian_source as source
    regime = make_regime("memo", [[0.5]], [[1.0]], 0.2)
    same = make_regime("memo", [[0.5]], [[1.0]], 0.2)             # another object, the same fingerprint
    assert source.source_of(regime) is source.source_of(same)
    assert source._source_cached.cache_info().maxsize == 16
    assert shared.blahut_arimoto_band(regime) is shared.blahut_arimoto_band(same)
    assert shared._band_cached.cache_info().maxsize == 16
    other = make_regime("memo", [[0.6]], [[1.0]], 0.2)
    assert source.source_of(other) is not source.source_of(regime)
