"""Theorem 2, its proof's iterate (theorem2-geometric) and §4.5.1's fixed point on Mamba's selective scan (form "s6").

Oracles, none computed by the checks themselves:

* E[decay_i(x)²] by Monte Carlo over 2·10⁵ Gaussian inputs (decays written out here from the definition:
  Δ = log(1 + e^{W_Δ x + b}), decay = e^{Δ_c A[c, n]}), within 5 standard errors;
* ρ(E[M ⊗ M]) by brute force for Rademacher inputs: the mean of M(x) ⊗ M(x) over every sign vector with
  ``numpy.kron``, and its eigenvalues;
* λ₁ against the per-path average log-decay of an independent NumPy simulation, within 5 standard errors;
* E‖h_t − h'_t‖² of two synchronously coupled copies simulated with the S6 twin ``s6_step``, against the
  predicted Σ_i u_i² E[decay_i²]^t (within 5 standard errors), and E‖Δ_t‖/‖Δ_0‖ along one coordinate against
  E[decay]^t;
* the deterministic noiseless chain without inputs iterated by hand (h_t = decay(0)^t h_0 → 0).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ssmverify.checks._base import Settings
from ssmverify.checks._registry import CHECKS
from ssmverify.checks.suite import resolve_regimes
from ssmverify.estimators._second_moment import (s6_second_moment_radius, s6_second_moments,
                                                 second_moment_radius_regime, transition_matrices)
from ssmverify.theorems import CLAIMS, parse_regime
from ssmverify.theorems.s6 import (S6Params, expected_decay, forgetting_rates, lyapunov_exponent, mamba_init,
                                   memory_lengths, s6_step, softplus, transition)
from ssmverify.theorems.theorem2 import chain_tier, linear_transition
from ssmverify.theorems.theorem2_geometric import s6_coordinate_ratios

SETTINGS = Settings(seed=0, alpha=0.01, quick=True, family_size=10)


def _regime(name, params, *, law="gaussian", scale=1.0, Q=1e-4):
    model = {"form": "s6", **{k: v.tolist() for k, v in params.arrays().items()}, "noise_cov": Q}
    return parse_regime({"name": name, "model": model, "inputs": {"law": law, "scale": scale}},
                        f"test:{name}", set(CLAIMS))


def _decays(params, x):
    """decay (n, m, N) for inputs x (n, m), from the definition (independent of theorems.s6)."""
    z = x @ (params.dt_proj_weight @ params.x_proj_dt).T + params.dt_proj_bias
    delta = np.logaddexp(0.0, z)
    return np.exp(delta[:, :, None] * (-np.exp(params.A_log))[None])


@pytest.fixture(scope="module")
def mamba():
    return resolve_regimes(["builtin:mamba-init"])[0]


@pytest.fixture(scope="module")
def rows(mamba):
    return {cid: CHECKS[cid].run(mamba, SETTINGS) for cid in ("theorem2", "theorem2-geometric", "fixed-point")}


def test_second_moment_radius_matches_monte_carlo(mamba):
    p = mamba.s6
    x = np.random.default_rng(1).standard_normal((200_000, p.m))
    sq = _decays(p, x) ** 2
    mean, se = sq.mean(axis=0), sq.std(axis=0, ddof=1) / math.sqrt(sq.shape[0])
    exact = 1.0 + s6_second_moments(p, "gaussian", 1.0)
    assert np.all(np.abs(exact - mean) <= 5.0 * se)
    res = second_moment_radius_regime(mamba)
    assert res.estimate == pytest.approx(float(exact.max()), rel=1e-15)
    i = int(np.argmax(mean))
    assert abs(res.estimate - mean.flat[i]) <= 5.0 * se.flat[i]
    assert res.estimate < 1.0


@pytest.mark.parametrize("scale", [0.3, 2.5])
def test_second_moment_radius_matches_brute_force_rademacher(scale):
    p = mamba_init(4, 3, seed=5)
    signs = scale * np.array(np.meshgrid(*[[-1.0, 1.0]] * p.m, indexing="ij")).reshape(p.m, -1).T   # (16, m)
    Ms = [np.diag(dec.ravel()) for dec in _decays(p, signs)]
    S = sum(np.kron(M, M) for M in Ms) / len(Ms)
    brute = float(np.max(np.abs(np.linalg.eigvals(S))))
    res = s6_second_moment_radius(p, "rademacher", scale)
    assert res.method == "exact"
    assert res.estimate == pytest.approx(brute, rel=1e-12)
    # the estimator's own S6 transition matrices are the same diagonal matrices
    assert np.allclose(transition_matrices(None, None, None, signs, form="s6", s6=p), np.array(Ms), rtol=1e-14, atol=0)


def test_theorem2_passes_exactly_on_mamba_init(mamba, rows):
    row = rows["theorem2"]
    assert row.verdict == "PASS" and row.method == "exact" and row.hypotheses_hold
    assert chain_tier(mamba) == "input-gated" and linear_transition(mamba) is None
    assert CHECKS["theorem2"].planned_comparisons(mamba, SETTINGS) == 0
    comp = row.details["comparisons"][0]
    assert comp["decision"] == "holds" and "softplus" in comp["certificate"]
    assert row.statistic == pytest.approx(float((1.0 + s6_second_moments(mamba.s6, "gaussian", 1.0)).max()),
                                          rel=1e-15)
    assert [h["holds"] for h in row.details["hypotheses"]] == [True, True, True]


def test_lyapunov_exponent_exact_and_matches_simulation(mamba, rows):
    lyap = rows["theorem2"].details["lyapunov_exponent"]
    ref = lyapunov_exponent(mamba.s6, "gaussian", 1.0)
    assert lyap["method"] == "exact"
    assert lyap["estimate"] == ref.exponent
    assert (lyap["channel"], lyap["state"], lyap["index"]) == (ref.channel, ref.state, ref.index)
    # independent simulation: per path, the average log-decay of each coordinate over T steps
    p, T, paths = mamba.s6, 100, 4000
    x = np.random.default_rng(2).standard_normal((paths * T, p.m))
    logs = np.log(_decays(p, x)).reshape(paths, T, p.m, p.N).mean(axis=1)          # (paths, m, N)
    mean, se = logs.mean(axis=0), logs.std(axis=0, ddof=1) / math.sqrt(paths)
    c, n = ref.channel, ref.state
    assert abs(mean[c, n] - ref.exponent) <= 5.0 * se[c, n]
    assert np.unravel_index(int(np.argmax(mean)), mean.shape) == (c, n)


def test_memory_rows_and_figure(mamba, rows):
    d = rows["theorem2"].details
    mem = d["s6_memory"]
    rates = forgetting_rates(mamba.s6, "gaussian", 1.0)
    lengths = memory_lengths(mamba.s6, "gaussian", 1.0)
    assert np.array_equal(np.array(mem["rates"]), rates)
    assert np.array_equal(np.array(mem["memory_typical"]), lengths["typical"])
    assert np.array_equal(np.array(mem["memory_mean"]), lengths["mean"])
    i = int(np.argmin(rates))
    assert mem["slowest"]["index"] == i == d["lyapunov_exponent"]["index"]
    assert mem["slowest"]["rate"] == pytest.approx(-d["lyapunov_exponent"]["estimate"], rel=1e-14)
    spec = [p for p in d["plots"] if "memory" in p["title"]]
    assert len(spec) == 1
    panel = spec[0]["panels"][0]
    assert "steps" in panel["ylabel"]
    assert len(panel["series"]) == 2 * mamba.s6.m
    assert panel["series"][0]["y"] == lengths["typical"][0].tolist()
    from ssmverify.reports.figures import render
    render(spec[0])                                                                   # the report code draws it


def test_coupling_distance_decays_at_predicted_rate(mamba):
    """E‖h_t − h'_t‖² of synchronously coupled copies (S6 twin) = Σ_i u_i² E[decay_i²]^t."""
    p, paths, T = mamba.s6, 20_000, 40
    rng = np.random.default_rng(3)
    u = np.full(p.d, 1.0 / math.sqrt(p.d))
    h = np.zeros((paths, p.d))
    hp = h + u
    sq = {}
    for t in range(1, T + 1):
        x = rng.standard_normal((paths, p.m))
        w = 1e-2 * rng.standard_normal((paths, p.d))
        h, hp = s6_step(p, h, x, w), s6_step(p, hp, x, w)
        if t in (1, 10, T):
            sq[t] = np.sum((hp - h) ** 2, axis=1)
    rho_i = (1.0 + s6_second_moments(p, "gaussian", 1.0)).ravel()
    for t, v in sq.items():
        predicted = float(np.sum(u ** 2 * rho_i ** t))
        se = v.std(ddof=1) / math.sqrt(paths)
        assert abs(v.mean() - predicted) <= 5.0 * se, (t, v.mean(), predicted, se)


def test_theorem2_geometric_fails_exactly_and_iterate_matches_simulation(mamba, rows):
    row = rows["theorem2-geometric"]
    assert row.verdict == "FAIL" and row.method == "exact" and row.n_samples == 0
    assert CHECKS["theorem2-geometric"].planned_comparisons(mamba, SETTINGS) == 0
    ed = expected_decay(mamba.s6, "gaussian", 1.0)
    assert row.statistic == pytest.approx(float(ed.max()), rel=1e-15) and row.bound == 0.0
    # E‖Δ_t‖/‖Δ_0‖ along a coordinate = E[decay]^t, against an independent simulation
    ratios = s6_coordinate_ratios(mamba, 20)
    c, n = 1, 2
    p, paths = mamba.s6, 50_000
    x = np.random.default_rng(4).standard_normal((paths * 20, p.m))
    prod = np.prod(_decays(p, x)[:, c, n].reshape(paths, 20), axis=1)
    assert abs(prod.mean() - ratios[-1, c, n]) <= 5.0 * prod.std(ddof=1) / math.sqrt(paths)


def test_fixed_point_fails_by_noise_floor(mamba, rows):
    row = rows["fixed-point"]
    assert row.verdict == "FAIL" and row.hypotheses_hold
    assert row.statistic == pytest.approx(mamba.d * 1e-4, rel=1e-12)
    assert row.details["method"].startswith("exact: noise floor")


def test_s6_without_noise_or_inputs_fixed_point_passes():
    """Q = 0 and s = 0: h_t = decay(0)^t ⊙ h_0 → 0 from every start, the claim holds (and theorem2 is linear)."""
    p = mamba_init(3, 2, seed=7)
    r = _regime("s6-quiet", p, scale=0.0, Q=0.0)
    row = CHECKS["fixed-point"].run(r, SETTINGS)
    assert row.verdict == "PASS", row.details["comparisons"]
    h = np.ones(p.d)
    for _ in range(2000):
        h = s6_step(p, h, np.zeros(p.m), np.zeros(p.d))
    assert np.all(np.abs(h) < 1.0)                      # by hand: every coordinate shrinks
    assert chain_tier(r) == "input-gated"   # S6 is decided by its exact argument even without inputs
    t2 = CHECKS["theorem2"].run(r, SETTINGS)
    assert t2.verdict == "PASS"
    assert t2.details["linear"]["spectral_radius_M"] == pytest.approx(
        float(np.exp(np.logaddexp(0.0, p.dt_proj_bias)[:, None] * p.A).max()), rel=1e-14)


def test_s6_noiseless_with_inputs_fixed_point_inconclusive():
    r = _regime("s6-noiseless-inputs", mamba_init(3, 2, seed=8), law="rademacher", scale=1.0, Q=0.0)
    row = CHECKS["fixed-point"].run(r, SETTINGS)
    assert row.verdict == "INCONCLUSIVE"


@pytest.mark.parametrize("law,scale", [("gaussian", 1e3), ("rademacher", 30.0)])
def test_no_s6_regime_fails_theorem2(law, scale):
    """decay < 1 for every input, so E[decay²] < 1: even inputs that make some coordinates barely forget PASS."""
    p = mamba_init(4, 4, seed=9)
    r = _regime("s6-wide", p, law=law, scale=scale)
    res = second_moment_radius_regime(r)
    assert res.estimate < 1.0
    row = CHECKS["theorem2"].run(r, SETTINGS)
    assert row.verdict == "PASS"


def test_decays_that_round_to_one_do_not_make_theorem2_fail():
    """Δ = softplus(−32) ≈ 1e-14 and |A| ≈ 2e-9: every decay exp(ΔA) rounds to 1.0 in float64, but is < 1 by
    proof (Δ > 0, A < 0). No inputs, no noise: h_t → 0 from every start, so mean-square convergence holds. The
    verdict must come from the proof, not from a float64 M whose determinant is exactly 1."""
    p = mamba_init(3, 2, seed=3)
    p = S6Params.from_arrays(p.A_log - 20.0, p.dt_proj_weight, p.dt_proj_bias - 30.0, p.x_proj_dt, p.x_proj_B)
    decay, _ = transition(p, np.zeros(p.m))
    assert np.all(decay == 1.0)                            # the rounding this test is about
    assert np.all(-np.expm1(np.repeat(softplus(p.dt_proj_bias), p.N) * p.A.ravel()) > 0.0)   # the truth
    r = _regime("s6-frozen", p, scale=0.0, Q=0.0)
    row = CHECKS["theorem2"].run(r, SETTINGS)
    assert row.verdict == "PASS" and row.method == "exact", row.details["comparisons"]
    assert row.details["linear"]["exact_converges"] is True   # the report agrees with the verdict


def test_a_tiny_second_moment_radius_keeps_its_digits():
    """Δ ≈ 25 and A = −1: E[decay²] ≈ e^−50 ≈ 2e-22. 1 + E[expm1(2ΔA)] would round it to 0 (or below, making
    ρ^(t/2) complex); the direct average keeps it, and every reported number is a real in [0, 1]."""
    import json

    from ssmverify.estimators._second_moment import s6_decay_second_moments
    from ssmverify.reports._io import dumps

    p = mamba_init(3, 1, 1, seed=0)
    p = S6Params.from_arrays(np.zeros_like(p.A_log), p.dt_proj_weight, p.dt_proj_bias + 30.0, p.x_proj_dt,
                             p.x_proj_B)
    values = s6_decay_second_moments(p, "rademacher", 1e-8)
    exact = np.exp(-2.0 * softplus(p.dt_proj_bias))[:, None]       # s = 1e-8: Δ is softplus(b) to 1e-8
    np.testing.assert_allclose(values, exact, rtol=1e-6)
    assert np.all(values > 0.0)
    r = _regime("s6-fast", p, law="rademacher", scale=1e-8)
    for claim in ("theorem2", "theorem2-geometric"):
        row = CHECKS[claim].run(r, SETTINGS)
        json.loads(dumps({"details": row.details}))                  # no complex number anywhere
    assert CHECKS["theorem2"].run(r, SETTINGS).verdict == "PASS"
