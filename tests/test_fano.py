"""Fano checks (§4.4) against oracles they do not compute themselves.

* 1-D state: H(x_{1:t} | h_t) and the MAP error P_e by numerical integration over h
  (a dense grid, the posterior written out by hand);
* 2-D state, input-gated leaky chain, 2-D inputs: brute-force enumeration with
  itertools and the chain simulated in NumPy, posteriors from scipy's Gaussian
  log-densities, plain Monte Carlo with its own standard errors.

Tolerances come from standard errors: the check's interval is at the run's
per-comparison level; differences to a Monte Carlo oracle are judged against
4.5 combined standard errors.  Seeds are fixed, so every run is identical.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from scipy import stats

from ssmverify.checks import fano as fano_check
from ssmverify.checks._base import Settings
from ssmverify.checks._registry import CHECKS
from ssmverify.checks.suite import plan_rows, resolve_regimes
from ssmverify.reports._io import dumps
from ssmverify.theorems import CLAIMS, parse_regime
from ssmverify.theorems.fano import conditional_laws

SETTINGS = Settings(seed=0, alpha=0.01, quick=True, family_size=10)


def regime_from(text_model: dict, name: str, steps: int, inputs=("rademacher", 1.0)):
    data = {"name": name, "model": text_model, "inputs": {"law": inputs[0], "scale": inputs[1]},
            "fano": {"steps": steps}}
    return parse_regime(data, f"test:{name}", set(CLAIMS))


# 1-D chain h_t = 0.7 h_{t-1} + x_t + w_t, x_t = ±1, w_t ~ N(0, 0.5).
A1, B1, Q1, T1 = 0.7, 1.0, 0.5, 4


@pytest.fixture(scope="module")
def scalar_regime():
    model = {"form": "gated", "A": [[A1]], "B": [[B1]], "noise_cov": Q1, "gate": {"kind": "constant", "value": 1.0}}
    return regime_from(model, "fano-scalar-oracle", T1)


@pytest.fixture(scope="module")
def scalar_results(scalar_regime):
    return {cid: CHECKS[cid].run(scalar_regime, SETTINGS) for cid in ("fano", "fano-corrected")}


def quadrature_oracle(t: int) -> tuple[float, float]:
    """Exact H(x_{1:t} | h_t) (bits) and MAP error for the 1-D chain, by integration on a dense grid."""
    seqs = np.array(list(itertools.product((-1.0, 1.0), repeat=t)))
    means = (seqs * (A1 ** np.arange(t - 1, -1, -1))[None, :] * B1).sum(axis=1)
    var = Q1 * sum(A1 ** (2 * k) for k in range(t))
    sd = math.sqrt(var)
    grid = np.linspace(means.min() - 12 * sd, means.max() + 12 * sd, 200_001)
    dens = np.exp(-0.5 * (grid[None, :] - means[:, None]) ** 2 / var) / math.sqrt(2 * math.pi * var)
    mix = dens.mean(axis=0)                                  # p(h), uniform prior
    post = dens / dens.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = -np.where(post > 0, post * np.log2(post), 0.0).sum(axis=0)
    err = 1.0 - post.max(axis=0)
    return float(np.trapezoid(mix * ent, grid)), float(np.trapezoid(mix * err, grid))


def test_scalar_chain_matches_quadrature(scalar_results):
    table = scalar_results["fano"].details["per_horizon"]
    assert [row["t"] for row in table] == list(range(1, T1 + 1))
    for row in table:
        H, Pe = quadrature_oracle(row["t"])
        # The oracle lies inside the check's confidence intervals ...
        assert row["H_ci"][0] <= H <= row["H_ci"][1], (row["t"], H, row["H_ci"])
        assert row["P_e_ci"][0] <= Pe <= row["P_e_ci"][1], (row["t"], Pe, row["P_e_ci"])
        # ... and the intervals are informative (half-width well below the quantities' scale).
        assert row["H_ci"][1] - row["H_ci"][0] < 0.15
        assert row["P_e_ci"][1] - row["P_e_ci"][0] < 0.05
        # The plain estimator E[-log2 p(x|h)] agrees too.
        assert row["H_plain_ci"][0] <= H <= row["H_plain_ci"][1]


def test_paper_form_fails_exactly_where_the_oracle_says(scalar_results):
    """m = 1: the paper's bound H − 1 exceeds P_e where the oracle says so; the check FAILs there."""
    res = scalar_results["fano"]
    assert res.verdict == "FAIL"
    decided = {c["t"]: c["decision"] for c in res.details["comparisons"]}
    for t in range(1, T1 + 1):
        H, Pe = quadrature_oracle(t)
        margin = Pe - (H - 1.0)
        if margin < -0.1:
            assert decided[t] == "violated", (t, H, Pe)
        elif margin > 0.1:
            assert decided[t] == "holds", (t, H, Pe)
    # Once H > 1 + log2|X| (= 2 bits) the paper's bound exceeds 1: no probability can meet it.
    H4, _ = quadrature_oracle(T1)
    assert H4 > 2.0 and decided[T1] == "violated"


def test_corrected_form_passes_and_t1_is_trivial(scalar_results):
    res = scalar_results["fano-corrected"]
    assert res.verdict == "PASS"
    strong = [c for c in res.details["comparisons"] if c["form"] == "strong"]
    weak = [c for c in res.details["comparisons"] if c["form"] == "weak"]
    assert len(strong) == T1 and all(c["decides"] for c in strong) and not any(c["decides"] for c in weak)
    assert all(c["decision"] == "holds" for c in strong)
    # t = 1, binary inputs: H ≤ 1 bit, so the paper's and the weak bound are ≤ 0 (trivial) ...
    row1 = res.details["per_horizon"][0]
    assert row1["paper_bound"] <= 0 and row1["weak_bound"] <= 0
    # ... and with K = 2 Fano's strong form is an equality for every posterior (h_b(P_e) = H pointwise):
    # the Jensen lower end of the interval is 0 up to rounding.
    s1 = strong[0]
    assert abs(s1["ci"][0]) < 1e-12


def _strong_bound_oracle(H: float, bits: int) -> float:
    """Bisection on h_b(p) + p log2(2^bits − 1) = H, written out independently."""
    def phi(p):
        hb = 0.0 if p in (0.0, 1.0) else -p * math.log2(p) - (1 - p) * math.log2(1 - p)
        return hb + p * math.log2(2.0 ** bits - 1.0)
    lo, hi = 0.0, 1.0 - 2.0 ** -bits
    if H <= 0:
        return 0.0
    if H >= bits:
        return hi
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if phi(mid) < H else (lo, mid)
    return hi


def test_reported_bounds_match_independent_formulas(scalar_results):
    for row in scalar_results["fano-corrected"].details["per_horizon"]:
        t, H = row["t"], row["H_bits"]
        assert row["paper_bound"] == pytest.approx(H - 1.0)
        assert row["weak_bound"] == pytest.approx((H - 1.0) / t)
        assert row["strong_bound"] == pytest.approx(_strong_bound_oracle(H, t), abs=1e-9)


# --- multi-dimensional state, input-gated leaky chain, 2-D binary inputs --------------------------

A2 = np.array([[0.5, 0.2], [-0.1, 0.6]])
B2 = np.array([[1.0, 0.3], [0.2, 0.8]])
Q2 = np.array([[0.2, 0.05], [0.05, 0.1]])
W2 = np.array([[1.0, -0.5], [0.5, 1.0]])
b2 = np.array([0.2, -0.3])
H0 = np.array([0.3, -0.2])
S2, T2 = 0.8, 3


@pytest.fixture(scope="module")
def gated_regime():
    model = {"form": "leaky", "A": A2.tolist(), "B": B2.tolist(), "noise_cov": Q2.tolist(), "h0": H0.tolist(),
             "gate": {"kind": "sigmoid", "W": W2.tolist(), "b": b2.tolist()}}
    return regime_from(model, "fano-gated-oracle", T2, inputs=("rademacher", S2))


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _leaky_step(h, x, w):
    g = _sigmoid(W2 @ x + b2)
    return g * (A2 @ h + B2 @ x) + (1.0 - g) * h + w


def brute_force_posterior_oracle(t: int, n: int, seed: int):
    """Plain Monte Carlo of (H, P_e) with exact posteriors from explicit enumeration (NumPy/SciPy only)."""
    symbols = [np.array(s) * S2 for s in itertools.product((-1.0, 1.0), repeat=2)]
    seqs = list(itertools.product(range(4), repeat=t))
    laws = []
    for seq in seqs:                                    # mean and covariance by the recursion, one sequence at a time
        mu, P = H0.copy(), np.zeros((2, 2))
        for c in seq:
            x = symbols[c]
            g = _sigmoid(W2 @ x + b2)
            M = np.eye(2) - np.diag(g) @ (np.eye(2) - A2)
            mu = M @ mu + g * (B2 @ x)
            P = M @ P @ M.T + Q2
        laws.append((mu, P))
    rng = np.random.default_rng(seed)
    L = np.linalg.cholesky(Q2)
    h = np.tile(H0, (n, 1))
    for _ in range(t):
        codes = rng.integers(0, 4, n)
        xs = np.array(symbols)[codes]
        w = rng.standard_normal((n, 2)) @ L.T
        h = np.array([_leaky_step(hi, xi, wi) for hi, xi, wi in zip(h, xs, w)])
    logp = np.stack([stats.multivariate_normal(mu, P).logpdf(h) for mu, P in laws], axis=1)
    logp -= logp.max(axis=1, keepdims=True)
    post = np.exp(logp)
    post /= post.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = -np.where(post > 0, post * np.log2(post), 0.0).sum(axis=1)
    err = 1.0 - post.max(axis=1)
    return (ent.mean(), ent.std(ddof=1) / math.sqrt(n)), (err.mean(), err.std(ddof=1) / math.sqrt(n))


def _se_from_ci(ci, n, level):
    return (ci[1] - ci[0]) / (2.0 * stats.t.ppf(1.0 - level / 2.0, n - 1))


def test_multidimensional_input_gated_matches_brute_force(gated_regime):
    res = CHECKS["fano"].run(gated_regime, SETTINGS)
    assert res.verdict in ("PASS", "FAIL")
    level = SETTINGS.level
    for row in res.details["per_horizon"]:
        (H_o, H_se), (P_o, P_se) = brute_force_posterior_oracle(row["t"], 6000, seed=100 + row["t"])
        H_se_c = _se_from_ci(row["H_ci"], res.n_samples, level)
        P_se_c = _se_from_ci(row["P_e_ci"], res.n_samples, level)
        assert abs(row["H_bits"] - H_o) <= 4.5 * math.hypot(H_se, H_se_c), (row["t"], row["H_bits"], H_o)
        assert abs(row["P_e"] - P_o) <= 4.5 * math.hypot(P_se, P_se_c), (row["t"], row["P_e"], P_o)


def test_conditional_laws_match_explicit_recursion(gated_regime):
    laws = conditional_laws(gated_regime, T2)
    symbols = [np.array(s) * S2 for s in itertools.product((-1.0, 1.0), repeat=2)]
    # The check's code order: x = +s in input i sets bit i; the oldest symbol is the most significant digit.
    code_of = {tuple(np.where(np.array(s) > 0, 1, 0)): sum(1 << i for i, v in enumerate(s) if v > 0)
               for s in itertools.product((-1.0, 1.0), repeat=2)}
    for t, law in enumerate(laws, 1):
        for seq in itertools.product(range(4), repeat=t):
            mu, P = H0.copy(), np.zeros((2, 2))
            index = 0
            for c in seq:
                x = symbols[c]
                g = _sigmoid(W2 @ x + b2)
                M = np.eye(2) - np.diag(g) @ (np.eye(2) - A2)
                mu, P = M @ mu + g * (B2 @ x), M @ P @ M.T + Q2
                index = index * 4 + code_of[tuple(np.where(x > 0, 1, 0))]
            np.testing.assert_allclose(law.means[index], mu, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(law.covs[index], P, rtol=1e-12, atol=1e-12)


def test_builtin_fano_regimes():
    regimes = {r.name: r for r in resolve_regimes(["builtin:fano-sharp-memory", "builtin:fano-noisy-input-gated"])}
    hold = CHECKS["fano"].run(regimes["fano-sharp-memory"], SETTINGS)
    fail = CHECKS["fano"].run(regimes["fano-noisy-input-gated"], SETTINGS)
    assert hold.verdict == "PASS" and fail.verdict == "FAIL"
    for r in regimes.values():
        assert CHECKS["fano-corrected"].run(r, SETTINGS).verdict == "PASS"


# --- where the exact computation does not apply -------------------------------------------------

def test_not_applicable_cases():
    base = {"form": "gated", "A": [[0.5, 0.0], [0.0, 0.5]], "B": [[1.0], [1.0]],
            "gate": {"kind": "constant", "value": 1.0}}
    singular = regime_from({**base, "noise_cov": [[0.1, 0.0], [0.0, 0.0]]}, "singular", 3)
    res = CHECKS["fano"].run(singular, SETTINGS)
    assert res.verdict == "NOT_APPLICABLE" and "singular" in res.details["reason"]
    assert CHECKS["fano"].planned_comparisons(singular, SETTINGS) == 0

    state_gated = regime_from({**base, "noise_cov": 0.1, "gate": {"kind": "sigmoid", "W": [[1.0], [1.0]],
                                                                  "U": [[1.0, 0.0], [0.0, 1.0]]}}, "state-gated", 3)
    res = CHECKS["fano-corrected"].run(state_gated, SETTINGS)
    assert res.verdict == "NOT_APPLICABLE" and "depends on the state" in res.details["reason"]
    assert res.hypotheses_hold  # the finite-alphabet hypothesis holds; the exact computation does not apply

    gaussian = regime_from({**base, "noise_cov": 0.1}, "gaussian-inputs", 3, inputs=("gaussian", 1.0))
    assert CLAIMS["fano"].applicable(gaussian) is not None
    assert [r.claim for r in plan_rows([gaussian], None) if r.claim.startswith("fano")] == []


def test_same_seed_same_bytes(scalar_regime):
    fano_check._terms_cached.cache_clear()
    first = dumps(CHECKS["fano-corrected"].run(scalar_regime, SETTINGS).to_json())
    fano_check._terms_cached.cache_clear()
    second = dumps(CHECKS["fano-corrected"].run(scalar_regime, SETTINGS).to_json())
    assert first == second
    other = dumps(CHECKS["fano-corrected"].run(scalar_regime, Settings(seed=1, quick=True, family_size=10)).to_json())
    assert json.loads(other)["details"]["per_horizon"] != json.loads(first)["details"]["per_horizon"]


def test_planned_comparisons_bound_the_deciding_ones(scalar_regime, scalar_results, gated_regime):
    for cid, res in scalar_results.items():
        deciding = sum(c["decides"] for c in res.details["comparisons"])
        assert deciding == CHECKS[cid].planned_comparisons(scalar_regime, SETTINGS) == T1
    assert CHECKS["fano"].planned_comparisons(gated_regime, SETTINGS) == T2


def test_laws_and_draws_are_lru_caches(scalar_regime):
    """Conditional laws and per-sample terms are memoised with functools.lru_cache, 8 entries each."""
    assert fano_check._laws_cached.cache_info().maxsize == 8
    assert fano_check._terms_cached.cache_info().maxsize == 8
    assert fano_check._laws(scalar_regime) is fano_check._laws(scalar_regime)
    before = fano_check._terms_cached.cache_info()
    first = fano_check._draw_terms(scalar_regime, SETTINGS, 0, 8)
    assert fano_check._draw_terms(scalar_regime, SETTINGS, 0, 8) is first
    after = fano_check._terms_cached.cache_info()
    assert after.hits >= before.hits + 1 and after.misses <= before.misses + 1
