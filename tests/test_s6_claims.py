"""Fano (paper and corrected), gate-retains, complexity and entropy-positive on Mamba's selective scan (form "s6").

Oracles, none computed by the checks themselves:

* the law of h_t given x_{1:t}: the S6 twin ``s6_step`` iterated with w = 0 for the mean, and the covariance as the
  explicit sum Σ_k D_k Q D_k with D_k = diag(Π_{j>k} decay(x_j)) (not the check's recursion);
* the posterior p(x_{1:t} | h_t): brute-force enumeration with scipy's multivariate normal log-density, on an
  independent NumPy Monte Carlo simulation of the chain with ``s6_step``; the MAP decoder's empirical error rate on
  those draws checks the posterior's calibration (E[1{MAP ≠ x}] = E[1 − max_x p(x | h)]);
* gate-retains: ``s6_step`` with Δ underflowing to 0 (b_Δ = −800, W_Δ = 0) gives h + w exactly, and the retention
  error divided by G tends to h + (P_B x)_n x_c/|A| as Δ → 0 (closed form);
* entropy-positive: ½ log₂ det(2πe Q) at t = 1 in closed form.

Tolerances come from standard errors (4.5 σ) with fixed seeds, or rounding (relative 1e-12).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from ssmverify.checks._base import Settings
from ssmverify.checks._registry import CHECKS
from ssmverify.checks.suite import resolve_regimes
from ssmverify.theorems import CLAIMS, parse_regime
from ssmverify.theorems.complexity import S6_REASON
from ssmverify.theorems.entropy_positive import conditional_covariances_input_gated
from ssmverify.theorems.fano import conditional_laws
from ssmverify.theorems.gate_retains import zero_gate_components
from ssmverify.theorems.s6 import S6Params, s6_step, transition

SETTINGS = Settings(seed=0, alpha=0.01, quick=True, family_size=10)
ORACLE_T = 3            # horizons compared with the brute-force oracle (4^3 = 64 sequences)


@pytest.fixture(scope="module")
def regimes():
    found = resolve_regimes(["builtin:mamba-init", "builtin:mamba-rademacher-decoding"])
    return {r.name: r for r in found}


@pytest.fixture(scope="module")
def r41(regimes):
    return regimes["mamba-rademacher-decoding"]


@pytest.fixture(scope="module")
def fano_results(r41):
    return {cid: CHECKS[cid].run(r41, SETTINGS) for cid in ("fano", "fano-corrected")}


def _symbols(m: int, s: float) -> np.ndarray:
    """Symbol with code c: input i is +s when bit i of c is set (the check's order)."""
    return np.array([[s if (c >> i) & 1 else -s for i in range(m)] for c in range(2 ** m)])


def _oracle_law(regime, seq) -> tuple[np.ndarray, np.ndarray]:
    """Mean (S6 twin, w = 0) and covariance (explicit sum over k of D_k Q D_k) of h_t given the symbol codes seq."""
    p, Q = regime.s6, np.asarray(regime.noise_cov, float)
    xs = _symbols(p.m, regime.input_scale)[list(seq)]
    mu = np.asarray(regime.h0, float).copy()
    for x in xs:
        mu = s6_step(p, mu, x, np.zeros(p.d))
    decays = np.array([transition(p, x)[0] for x in xs])
    cov = np.zeros((p.d, p.d))
    for k in range(len(xs)):
        D = np.prod(decays[k + 1:], axis=0) if k + 1 < len(xs) else np.ones(p.d)
        cov += D[:, None] * Q * D[None, :]
    return mu, cov


def test_s6_conditional_laws_match_twin_and_explicit_sum(r41):
    laws = conditional_laws(r41, ORACLE_T)
    S = 2 ** r41.m
    for t, law in enumerate(laws, 1):
        for seq in itertools.product(range(S), repeat=t):
            index = 0
            for c in seq:
                index = index * S + c
            mu, cov = _oracle_law(r41, seq)
            np.testing.assert_allclose(law.means[index], mu, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(law.covs[index], cov, rtol=1e-12, atol=1e-20)


def _brute_force_mc(regime, t: int, n: int, seed: int) -> dict:
    """Independent simulation (s6_step) and posterior by enumeration: per-path entropy (bits), 1 − max p, and the
    MAP decoder's indicator of error."""
    rng = np.random.default_rng(seed)
    p = regime.s6
    S = 2 ** p.m
    seqs = list(itertools.product(range(S), repeat=t))
    laws = [_oracle_law(regime, seq) for seq in seqs]
    codes = rng.integers(0, S, size=(n, t))
    xs = _symbols(p.m, regime.input_scale)[codes]
    L = np.linalg.cholesky(regime.noise_cov)
    h = np.broadcast_to(np.asarray(regime.h0, float), (n, p.d)).copy()
    for j in range(t):
        h = s6_step(p, h, xs[:, j], rng.standard_normal((n, p.d)) @ L.T)
    ll = np.stack([stats.multivariate_normal(mu, cov).logpdf(h) for mu, cov in laws], axis=1)
    lp = ll - np.logaddexp.reduce(ll, axis=1, keepdims=True)
    post = np.exp(lp)
    truth = np.zeros(n, np.int64)
    for j in range(t):
        truth = truth * S + codes[:, j]
    return {"ent": -(post * lp).sum(axis=1) / math.log(2.0), "err": 1.0 - post.max(axis=1),
            "map_wrong": (post.argmax(axis=1) != truth).astype(float)}


def _se(x):
    return x.std(ddof=1) / math.sqrt(x.size)


def _se_from_ci(ci, n, level):
    return (ci[1] - ci[0]) / (2.0 * stats.t.ppf(1.0 - level / 2.0, n - 1))


def test_s6_fano_estimates_match_brute_force_monte_carlo(r41, fano_results):
    res = fano_results["fano-corrected"]
    level = SETTINGS.level
    rows = {row["t"]: row for row in res.details["per_horizon"]}
    for t in range(1, ORACLE_T + 1):
        o = _brute_force_mc(r41, t, 4000, seed=200 + t)
        # The posterior is calibrated: the MAP decoder's empirical error rate equals E[1 − max p].
        assert abs(o["map_wrong"].mean() - o["err"].mean()) <= 4.5 * _se(o["map_wrong"] - o["err"]), t
        row = rows[t]
        for key, ci, col in (("H_bits", "H_ci", "ent"), ("P_e", "P_e_ci", "err")):
            se = math.hypot(_se(o[col]), _se_from_ci(row[ci], res.n_samples, level))
            assert abs(row[key] - o[col].mean()) <= 4.5 * se, (t, key, row[key], o[col].mean())


def test_s6_fano_verdicts_regime41(fano_results):
    paper, corrected = fano_results["fano"], fano_results["fano-corrected"]
    assert corrected.verdict == "PASS"
    assert paper.verdict == "FAIL"
    # The paper's bound exceeds any probability once H > 1 + log₂|X| = 3 bits (m = 2), which happens by t = 5.
    late = [r for r in paper.details["per_horizon"] if r["t"] >= 5]
    assert late and all(r["paper_bound"] > 1.0 and r["H_ci"][0] > 3.0 for r in late)
    assert any("quadratic in x" in c for c in paper.details["caveats"])


def test_s6_fano_not_applicable_on_gaussian_inputs(regimes):
    for cid in ("fano", "fano-corrected"):
        res = CHECKS[cid].run(regimes["mamba-init"], SETTINGS)
        assert res.verdict == "NOT_APPLICABLE"
        assert "finite input alphabet" in res.details["reason"]


def test_s6_gate_retains_exact_pass(regimes):
    res = CHECKS["gate-retains"].run(regimes["mamba-init"], SETTINGS)
    assert res.verdict == "PASS"
    assert res.details["method"] == "exact"
    comp = res.details["comparisons"][0]
    assert comp["statistic"] == 0.0 and comp["decision"] == "holds"
    ctx = res.details["smallest_gate_context"]
    assert ctx["g_min"] > 0.0 and ctx["exactly_zero"] == 0      # softplus > 0: G is never 0 on the paths


def _params(A_log, W, bias, xdt, xB):
    return S6Params.from_arrays(np.array(A_log), np.array(W), np.array(bias), np.array(xdt), np.array(xB))


def test_s6_closed_gate_retains_oracle():
    # Channel 0's Δ reads no input and softplus(−800) underflows to 0: G = 0 there, and the twin keeps h + w exactly.
    p = _params([[0.0, 0.7], [0.3, 1.0]], [[0.0], [0.5]], [-800.0, -1.0], [[0.0, 1.0]], [[0.4, -0.2], [0.1, 0.9]])
    rng = np.random.default_rng(3)
    h, x, w = rng.standard_normal(4), np.array([1.3, -0.7]), rng.standard_normal(4)
    new = s6_step(p, h, x, w)
    np.testing.assert_array_equal(new[:2], h[:2] + w[:2])
    model = {"form": "s6", **{k: v.tolist() for k, v in p.arrays().items()}, "noise_cov": 0.01}
    regime = parse_regime({"name": "closed", "model": model, "inputs": {"law": "gaussian", "scale": 1.0}},
                          "test:closed", set(CLAIMS))
    assert zero_gate_components(regime) == [0, 1]
    # Near 0: r/G → h + (P_B x)_n x_c/|A| (closed form), as Δ → 0.
    for bias in (-12.0, -16.0):
        q = _params([[0.2, 0.9]], [[0.0]], [bias], [[0.0]], [[0.6], [-0.3]])
        h1, x1 = np.array([0.8, -0.5]), np.array([1.1])
        decay, _ = transition(q, x1)
        g = -np.expm1(np.log(decay))
        r = s6_step(q, h1, x1, np.zeros(2)) - h1
        limit = -h1 + (q.x_proj_B @ x1) * x1[0] / np.exp(q.A_log[0])
        np.testing.assert_allclose(r / g, limit, rtol=1e-4)


def test_s6_entropy_positive(regimes, r41):
    res = CHECKS["entropy-positive"].run(regimes["mamba-init"], SETTINGS)
    assert res.verdict == "FAIL"       # Q = 1e-4·I_16: det(2πe Q) < 1
    t1 = [c for c in res.details["comparisons"] if c["label"] == "t=1"][0]
    expected = 8.0 * math.log2(2 * math.pi * math.e * 1e-4)
    assert t1["statistic"] == pytest.approx(expected, rel=1e-12)
    # The covariances along input paths match the explicit sum Σ_k D_k Q D_k.
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 4, size=(3, 4))
    xs = _symbols(2, 1.0)[codes]
    covs = conditional_covariances_input_gated(r41, xs)
    for i in range(3):
        for t in range(1, 5):
            np.testing.assert_allclose(covs[i, t - 1], _oracle_law(r41, codes[i, :t])[1], rtol=1e-12, atol=1e-20)


def test_s6_complexity_not_applicable(regimes):
    res = CHECKS["complexity"].run(regimes["mamba-init"], SETTINGS)
    assert res.verdict == "NOT_APPLICABLE"
    assert res.details["reason"] == S6_REASON
