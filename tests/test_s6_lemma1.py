"""Lemma 1, its corrected bound and Lemma 1 with independent noise on Mamba's selective scan (form "s6").

Oracles the checks do not compute themselves:

* hand values: a one-coordinate S6 chain with zero inputs has the constant factor decay = exp(−|A|·softplus(b)),
  so the synchronous ratio, the lower bound ℓ and the corrected constant κ_S6 all equal it;
* E[Δ_c] by scipy's adaptive quadrature (not the module's Gauss–Legendre) for ℓ on mamba-init;
* an independent NumPy simulation (``theorems.s6.s6_step``, numpy Generator, 4000 paths) of the distances
  E‖h_t − h'_t‖, within 5 standard errors of the check's estimate;
* brute force over every Rademacher input (and over sampled Gaussian ones) for κ_S6 = sup_x max_i decay_i(x);
* units: the state measured in other units (drive, noise, h_0 scaled) leaves every ratio and verdict unchanged.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import integrate, stats

from ssmverify.checks import FAIL, PASS, Settings
from ssmverify.checks.lemma1 import Lemma1Check, Lemma1CorrectedCheck
from ssmverify.checks.lemma1_independent import Lemma1IndependentCheck
from ssmverify.checks.suite import resolve_regimes
from ssmverify.theorems import CLAIMS, load_regime
from ssmverify.theorems.lemma1 import (LEMMA1, LEMMA1_CORRECTED, paper_constants, s6_contraction_constant,
                                       s6_ratio_lower_bound)
from ssmverify.theorems.lemma1_independent import LEMMA1_INDEPENDENT
from ssmverify.theorems.s6 import S6Params, s6_step, softplus, transition

SETTINGS = Settings(quick=True, family_size=10)


@pytest.fixture(scope="module")
def mamba():
    return resolve_regimes(["builtin:mamba-init"])[0]


def s6_toml(params: S6Params, *, name="s6-test", law="gaussian", scale=1.0, noise=1e-4, h0=None, steps=None,
            separations=None) -> str:
    lines = [f'name = "{name}"', "[model]", 'form = "s6"']
    lines += [f"{k} = {json.dumps(np.asarray(v).tolist())}" for k, v in params.arrays().items()]
    lines.append(f"noise_cov = {json.dumps(np.asarray(noise).tolist())}")
    if h0 is not None:
        lines.append(f"h0 = {json.dumps(np.asarray(h0, float).tolist())}")
    lines += ["[inputs]", f'law = "{law}"', f"scale = {scale!r}"]
    if steps is not None or separations is not None:
        lines.append("[lemma1]")
        if steps is not None:
            lines.append(f"steps = {steps}")
        if separations is not None:
            lines.append(f"separations = {json.dumps(list(separations))}")
    return "\n".join(lines) + "\n"


def regime_from(tmp_path, text, fname="regime.toml"):
    path = tmp_path / fname
    path.write_text(text, encoding="utf-8")
    return load_regime(path, set(CLAIMS))


def one_coordinate(tmp_path, a=2.0, b=0.5, steps=4):
    params = S6Params.from_arrays([[math.log(a)]], [[1.0]], [b], [[1.0]], [[1.0]])
    return regime_from(tmp_path, s6_toml(params, name="s6-one", law="rademacher", scale=0.0, noise=0.01,
                                         steps=steps, separations=[0.5, 3.0]))


# --- hypotheses and constants ------------------------------------------------------------------------------

def test_hypotheses_on_s6_give_zero_kappa(mamba):
    for claim in (LEMMA1, LEMMA1_INDEPENDENT, LEMMA1_CORRECTED):
        assert claim.reason_not_applicable(mamba) is None
    hyps = {h.name: h for h in LEMMA1.hypotheses(mamba)}
    assert all(h.holds for h in hyps.values())
    assert "L_G = 0" in hyps["G Lipschitz in h with constant L_G"].detail
    assert "ρ = ‖A‖₂ = 0" in hyps["‖A‖₂ ≤ ρ"].detail and "leaky" in hyps["‖A‖₂ ≤ ρ"].detail
    assert LEMMA1.bound(mamba) == 0.0 and LEMMA1_INDEPENDENT.bound(mamba) == 0.0
    assert paper_constants(mamba) == {"kappa": 0.0, "rho": 0.0, "lipschitz": 0.0, "lipschitz_componentwise": 0.0}
    (corr,) = LEMMA1_CORRECTED.hypotheses(mamba)
    assert corr.holds and "κ_S6 = sup_x max_i decay_i(x) = 1 (approached, not attained)" in corr.detail


def test_ratio_lower_bound_against_scipy_quadrature(mamba):
    p = mamba.s6
    W, b = p.dt_weight, p.dt_proj_bias
    e_delta = []
    for c in range(p.m):
        sd = float(np.linalg.norm(W[c]))
        val, _ = integrate.quad(lambda u: float(softplus(u)) * stats.norm.pdf(u, b[c], sd), -np.inf, np.inf,
                                epsabs=0.0, epsrel=1e-12, limit=200)
        e_delta.append(val)
    hand = math.exp(-4.0 * sum(e_delta))           # A[c, n] = −(n + 1): max_n |A[c, n]| = 4 on every channel
    assert s6_ratio_lower_bound(p, "gaussian", 1.0) == pytest.approx(hand, rel=1e-9)
    # and it is a lower bound of E[min_i decay_i(x)] (Monte Carlo, 5 standard errors)
    x = np.random.default_rng(1).standard_normal((100_000, p.m))
    mins = transition(p, x)[0].min(axis=1)
    assert hand < mins.mean() - 5 * mins.std() / math.sqrt(mins.size)


def test_one_coordinate_chain_by_hand(tmp_path):
    regime = one_coordinate(tmp_path)
    decay = math.exp(-2.0 * math.log1p(math.exp(0.5)))       # exp(A·softplus(b)), A = −2, x ≡ 0
    assert s6_ratio_lower_bound(regime.s6, "rademacher", 0.0) == pytest.approx(decay, rel=1e-14)
    assert s6_contraction_constant(regime.s6, "rademacher", 0.0) == (pytest.approx(decay, rel=1e-14), True)
    paper = Lemma1Check().run(regime, SETTINGS)
    assert paper.verdict == FAIL and paper.method == "exact" and paper.bound == 0.0
    assert paper.statistic == pytest.approx(decay, rel=1e-14)
    measured = [c for c in paper.details["comparisons"] if c["coupling"] == "synchronous" and c["t"] is not None]
    assert measured and all(c["statistic"] == pytest.approx(decay, rel=1e-12) for c in measured)
    assert not any(c["decides"] for c in measured)              # reported beside the exact comparison
    corrected = Lemma1CorrectedCheck().run(regime, SETTINGS)
    assert corrected.verdict == PASS                             # tight: the ratio equals κ_S6 exactly
    tight = [c for c in corrected.details["comparisons"] if "s6_constant" in c]
    assert tight and all(c["statistic"] == pytest.approx(decay, rel=1e-12) and c["decision"] == "holds"
                         for c in tight)


def test_underflowing_lower_bound_still_fails_exactly(tmp_path):
    """Δ = softplus(800): the decay exp(−2·800) underflows float64, so ℓ rounds to 0 = κ; mathematically ℓ > 0."""
    regime = one_coordinate(tmp_path, b=800.0, steps=2)
    assert s6_ratio_lower_bound(regime.s6, "rademacher", 0.0) == 0.0
    row = Lemma1Check().run(regime, SETTINGS)
    assert row.verdict == FAIL and row.method == "exact" and "underflows" in row.details["comparisons"][-1]["note"]


def test_corrected_constant_brute_force():
    rng = np.random.default_rng(7)
    for trial in range(4):
        m, N, r = 3, 2, 2
        p = S6Params.from_arrays(rng.normal(size=(m, N)), rng.normal(size=(m, r)), rng.normal(size=m),
                                 rng.normal(size=(r, m)), rng.normal(size=(N, m)))
        s = 0.7
        signs = np.array(np.meshgrid(*[[-s, s]] * m)).reshape(m, -1).T      # every Rademacher input
        brute = transition(p, signs)[0].max(axis=1).max()
        const, attained = s6_contraction_constant(p, "rademacher", s)
        assert attained and const == pytest.approx(brute, rel=1e-12)
        # Gaussian inputs: the supremum is 1, approached along x = −λ·W_Δ[c] (Δ_c → 0), never reached
        const, attained = s6_contraction_constant(p, "gaussian", 1.0)
        assert const == 1.0 and not attained
        sampled = transition(p, rng.standard_normal((20_000, m)))[0].max(axis=1)
        assert sampled.max() < 1.0
        c = int(np.argmin(p.A_log.min(axis=1)))
        far = transition(p, -1e3 * p.dt_weight[c] / np.linalg.norm(p.dt_weight[c]))[0].max()
        assert far > 1.0 - 1e-12


# --- verdicts on the built-in regime -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def rows(mamba):
    return {"lemma1": Lemma1Check().run(mamba, SETTINGS),
            "lemma1-corrected": Lemma1CorrectedCheck().run(mamba, Settings(quick=True, family_size=20)),
            "lemma1-independent": Lemma1IndependentCheck().run(mamba, SETTINGS)}


def test_builtin_mamba_init_verdicts(mamba, rows):
    ell = s6_ratio_lower_bound(mamba.s6, "gaussian", 1.0)
    for cid, coupling in (("lemma1", "synchronous"), ("lemma1-independent", "independent")):
        row = rows[cid]
        assert row.verdict == FAIL and row.method == "exact" and row.hypotheses_hold
        assert row.statistic == pytest.approx(ell, rel=1e-12) and row.bound == 0.0
        deciding = [c for c in row.details["comparisons"] if c["decides"]]
        assert len(deciding) == 1 and deciding[0]["coupling"] == coupling and deciding[0]["method"] == "exact"
        assert Lemma1Check().planned_comparisons(mamba, Settings()) == 0
        # every measured ratio lies above ℓ (the exact bound is consistent with the simulation)
        assert all(c["ci"][1] >= ell for c in row.details["comparisons"] if c["t"] is not None)
        factors = row.details["s6_contraction"]
        assert 0 < factors["expected_decay_range"][0] < factors["expected_decay_range"][1] < 1
        assert factors["exp_lyapunov"] == pytest.approx(factors["expected_decay_range"][1], abs=1e-3)
    corrected = rows["lemma1-corrected"]
    assert corrected.verdict == PASS
    sync = [c for c in corrected.details["comparisons"] if "s6_constant" in c]
    assert sync and all(c["decides"] and c["bound"] == 1.0 and c["ci"][1] < 1.0 for c in sync)


def _twin_mean_distances(regime, seps, steps, n, synchronous, seed):
    """E‖h_t − h'_t‖, t = 0..steps, per separation, by s6_step on n NumPy paths (one copy per separation)."""
    p, rng = regime.s6, np.random.default_rng(seed)
    chol = np.linalg.cholesky(np.asarray(regime.noise_cov, float))
    u = rng.standard_normal((n, regime.d))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    k = len(seps)
    h = np.repeat(regime.h0[None, None, :], 1 + k, axis=1).repeat(n, axis=0)
    h[:, 1:, :] += np.asarray(seps)[None, :, None] * u[:, None, :]
    out = [np.linalg.norm(h[:, 1:] - h[:, :1], axis=2)]
    for _ in range(steps):
        x = regime.input_scale * rng.standard_normal((n, 1, regime.m))
        shape = (n, 1, regime.d) if synchronous else (n, 1 + k, regime.d)
        w = rng.standard_normal(shape) @ chol.T
        h = s6_step(p, h, np.broadcast_to(x, (n, 1 + k, regime.m)), np.broadcast_to(w, h.shape))
        out.append(np.linalg.norm(h[:, 1:] - h[:, :1], axis=2))
    dist = np.stack(out, axis=1)                                         # (n, steps + 1, k)
    return dist.mean(axis=0).T, (dist.std(axis=0, ddof=1) / math.sqrt(n)).T


@pytest.mark.parametrize("coupling", ["synchronous", "independent"])
def test_mean_distances_match_numpy_twin(mamba, rows, coupling):
    row = rows["lemma1"]
    seps, steps = row.details["separations"], row.details["steps"]
    check_mean = np.array(row.details["mean_distance"][coupling]["mean"])
    check_se = np.array(row.details["mean_distance"][coupling]["standard_error"])
    twin_mean, twin_se = _twin_mean_distances(mamba, seps, steps, 4000, coupling == "synchronous", seed=11)
    assert check_mean.shape == twin_mean.shape == (len(seps), steps + 1)
    se = np.sqrt(check_se ** 2 + twin_se ** 2)
    z = np.abs(check_mean[:, 1:] - twin_mean[:, 1:]) / se[:, 1:]
    assert z.max() < 5.0, z.max()
    assert np.allclose(check_mean[:, 0], seps, rtol=1e-12)


# --- units -------------------------------------------------------------------------------------------------

def test_units_do_not_change_ratios_or_verdicts(tmp_path, mamba):
    """The state in other units: drive (x_proj_B), noise covariance, h_0 and the default separations scale by c,
    the decays do not.  Lemma-1 ratios are dimensionless, so every ratio and verdict is unchanged.  Input
    scales change the dynamics (Δ reads x), not units; the verdicts stand there too."""
    p = mamba.s6
    ratios, verdicts = [], []
    for k, c in enumerate((2.0 ** -10, 1.0, 2.0 ** 10)):
        scaled = S6Params.from_arrays(p.A_log, p.dt_proj_weight, p.dt_proj_bias, p.x_proj_dt, c * p.x_proj_B)
        regime = regime_from(tmp_path, s6_toml(scaled, name="s6-units", noise=1e-4 * c * c,
                                               h0=0.3 * c * np.ones(p.d), steps=6), f"u{k}.toml")
        corrected = Lemma1CorrectedCheck().run(regime, Settings(quick=True, family_size=20))
        paper = Lemma1Check().run(regime, SETTINGS)
        verdicts.append((corrected.verdict, paper.verdict))
        ratios.append([cc["statistic"] for cc in corrected.details["comparisons"]])
    assert verdicts == [(PASS, FAIL)] * 3
    assert np.allclose(ratios[0], ratios[1], rtol=1e-9) and np.allclose(ratios[2], ratios[1], rtol=1e-9)
    for k, s in enumerate((0.25, 4.0)):
        regime = regime_from(tmp_path, s6_toml(p, name="s6-inputs", scale=s, steps=6), f"s{k}.toml")
        assert Lemma1CorrectedCheck().run(regime, Settings(quick=True, family_size=20)).verdict == PASS
        assert Lemma1Check().run(regime, SETTINGS).verdict == FAIL
