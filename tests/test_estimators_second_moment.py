"""Mean-square stability (estimators/_second_moment.py) against oracles computed here.

* constant gate: ρ(M ⊗ M) = ρ(M)², M written out by hand;
* 1-D chains: S = E[m(x)²] with m(x) = a·σ(wx + b) (gated) or 1 − g + g·a (leaky), by scipy quad;
* Rademacher inputs: the map X ↦ mean over sign vectors of M X Mᵀ, iterated by brute force
  (power iteration on matrices, no Kronecker products);
* a 2-D chain with one Gaussian input: S by scipy's adaptive quad_vec of M(x) ⊗ M(x);
* Monte Carlo: its delta-method interval covers the quadrature value;
* the claims.md example: λ₁ < 0 yet ρ(S) > 1.
"""

from __future__ import annotations

import itertools
import math

import jax
import numpy as np
import pytest
from scipy import integrate, special, stats

from ssmverify.estimators import (second_moment_operator, second_moment_radius, second_moment_radius_regime,
                        top_lyapunov_exponent)
from ssmverify.theorems import CLAIMS, Model, parse_regime

SURE = 1 - 1e-6


def gaussian_expectation(f, scale):
    val, err = integrate.quad(lambda u: f(scale * u) * stats.norm.pdf(u), -np.inf, np.inf, epsabs=1e-14,
                              epsrel=1e-13, limit=400)
    assert err < 1e-10
    return val


def hand_M(A, g, form):
    d = len(A)
    return np.diag(g) @ A if form == "gated" else np.eye(d) - np.diag(g) @ (np.eye(d) - A)


@pytest.mark.parametrize("form", ["gated", "leaky"])
def test_constant_gate_is_spectral_radius_squared(form):
    rng = np.random.default_rng(4)
    A = rng.normal(size=(3, 3))
    g = np.array([0.2, 0.7, 1.0])
    M = hand_M(A, g, form)
    r = second_moment_radius(A, None, None, form=form, input_law="gaussian", input_scale=1.0, gate_value=g)
    assert r.method == "exact" and r.ci == (r.estimate, r.estimate)
    assert r.estimate == pytest.approx(max(abs(np.linalg.eigvals(M))) ** 2, rel=1e-12)
    op = second_moment_operator(A, None, None, form=form, input_law="rademacher", input_scale=2.0, gate_value=g)
    np.testing.assert_allclose(op.matrix, np.kron(M, M), rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("form,a,w,b,s", [("gated", 0.9, 2.0, 0.3, 1.0), ("leaky", 0.2, 1.5, -0.5, 2.0),
                                          ("gated", 1.8, 6.0, 0.0, 1.0)])
def test_one_dimensional_chains_match_quad(form, a, w, b, s):
    def m2(x):
        g = special.expit(w * x + b)
        return (a * g) ** 2 if form == "gated" else (1 - g + g * a) ** 2

    truth = gaussian_expectation(m2, s)
    r = second_moment_radius([[a]], [[w]], [b], form=form, input_law="gaussian", input_scale=s)
    assert r.method == "quadrature" and r.converged and r.order >= 16 and r.n == r.order
    assert r.numerical_error <= 1e-12 * r.estimate
    assert abs(r.estimate - truth) <= 1e-11 * truth
    # Rademacher: exact two-point mean
    r = second_moment_radius([[a]], [[w]], [b], form=form, input_law="rademacher", input_scale=s)
    assert r.method == "exact" and r.n == 2
    assert r.estimate == pytest.approx(0.5 * (m2(s) + m2(-s)), rel=1e-13)


def test_rademacher_enumeration_matches_brute_force_power_iteration():
    rng = np.random.default_rng(11)
    d, m, s = 2, 3, 0.8
    A = rng.normal(size=(d, d))
    W = rng.normal(size=(d, m))
    b = rng.normal(size=d)
    Ms = [hand_M(A, special.expit(W @ (s * np.array(e)) + b), "gated")
          for e in itertools.product((-1.0, 1.0), repeat=m)]
    X = np.eye(d)
    for _ in range(3000):
        Y = sum(M @ X @ M.T for M in Ms) / len(Ms)
        growth = np.trace(Y) / np.trace(X)
        X = Y / np.trace(Y)
    r = second_moment_radius(A, W, b, form="gated", input_law="rademacher", input_scale=s)
    assert r.method == "exact" and r.n == 2 ** m
    assert r.estimate == pytest.approx(growth, rel=1e-10)
    # the operator acts as X ↦ E[M X Mᵀ] on vec(X)
    op = second_moment_operator(A, W, b, form="gated", input_law="rademacher", input_scale=s)
    Z = rng.normal(size=(d, d))
    np.testing.assert_allclose(op.matrix @ Z.reshape(-1), (sum(M @ Z @ M.T for M in Ms) / len(Ms)).reshape(-1),
                               rtol=1e-12, atol=1e-14)


def leaky_2d():
    A = np.array([[0.6, 0.9], [-0.3, 0.8]])
    W = np.array([[2.0], [-1.0]])
    b = np.array([0.4, -0.2])
    return A, W, b


def test_two_dimensional_quadrature_matches_adaptive_quad():
    A, W, b = leaky_2d()
    s = 1.5

    def integrand(u):
        M = hand_M(A, special.expit(W[:, 0] * s * u + b), "leaky")
        return np.kron(M, M).reshape(-1) * stats.norm.pdf(u)

    S, err = integrate.quad_vec(integrand, -np.inf, np.inf, epsabs=1e-14, epsrel=1e-13)
    truth = max(abs(np.linalg.eigvals(S.reshape(4, 4))))
    r = second_moment_radius(A, W, b, form="leaky", input_law="gaussian", input_scale=s)
    assert r.method == "quadrature" and r.converged
    assert r.estimate == pytest.approx(truth, rel=1e-11)


def test_monte_carlo_interval_covers_the_quadrature_value_and_shrinks():
    A, W, b = leaky_2d()
    W2 = np.hstack([W, np.array([[0.5], [1.0]])])       # m = 2: quadrature on a 2-D grid
    kw = dict(form="leaky", input_law="gaussian", input_scale=1.5)
    quad = second_moment_radius(A, W2, b, **kw)
    assert quad.method == "quadrature" and quad.converged
    small = second_moment_radius(A, W2, b, method="monte-carlo", n_samples=20_000, confidence=SURE, seed=1, **kw)
    large = second_moment_radius(A, W2, b, method="monte-carlo", n_samples=80_000, confidence=SURE, seed=2, **kw)
    for r in (small, large):
        assert r.method == "monte-carlo" and r.confidence == SURE
        assert r.ci[0] <= quad.estimate <= r.ci[1], (r, quad.estimate)
    ratio = (small.ci[1] - small.ci[0]) / (large.ci[1] - large.ci[0])
    assert 1.7 < ratio < 2.3, ratio
    # Rademacher inputs, sampled: the interval covers the exact enumeration
    kw["input_law"] = "rademacher"
    exact = second_moment_radius(A, W2, b, **kw)
    mc = second_moment_radius(A, W2, b, method="monte-carlo", n_samples=20_000, confidence=SURE, **kw)
    assert exact.method == "exact" and mc.ci[0] <= exact.estimate <= mc.ci[1]


def test_claims_example_lyapunov_negative_yet_second_moment_above_one():
    """1-D gated, a = 1.8, g = σ(6x), x ~ N(0, 1): λ₁ ≈ −1.91 < 0 but E(a g)² ≈ 1.41 > 1."""
    a, w = 1.8, 6.0
    second = second_moment_radius([[a]], [[w]], [0.0], form="gated", input_law="gaussian", input_scale=1.0)
    assert second.estimate == pytest.approx(1.41, abs=0.005) and second.ci[0] > 1.0
    assert second.estimate == pytest.approx(a * a * gaussian_expectation(lambda x: special.expit(w * x) ** 2, 1.0),
                                            rel=1e-11)
    mc = second_moment_radius([[a]], [[w]], [0.0], form="gated", input_law="gaussian", input_scale=1.0,
                              method="monte-carlo", n_samples=50_000, confidence=SURE)
    assert mc.ci[0] > 1.0 and mc.ci[0] <= second.estimate <= mc.ci[1]
    model = Model.build([[a]], [[1.0]], 0.0, W=[[w]])
    lyap = top_lyapunov_exponent(model, jax.random.PRNGKey(5), n_paths=64, n_steps=400, burn_in=0,
                                 confidence=SURE, chunk=64)
    assert lyap.estimate == pytest.approx(-1.91, abs=0.03) and lyap.ci[1] < 0.0


def test_linear_chain_both_criteria_reduce_to_the_spectral_radius():
    A = np.array([[0.5, 3.0], [0.0, 0.7]])
    g = 0.9
    r = second_moment_radius(A, None, None, form="gated", input_law="gaussian", input_scale=1.0, gate_value=g)
    assert r.estimate == pytest.approx((g * 0.7) ** 2, rel=1e-13)


def test_regime_helper_refuses_a_state_dependent_gate():
    def regime(U):
        return parse_regime({"name": "x", "model": {"form": "gated", "A": [[0.5]], "B": [[1.0]], "noise_cov": 0.1,
                                                    "gate": {"kind": "sigmoid", "W": [[6.0]], "U": U}},
                             "inputs": {"law": "gaussian"}}, "t", set(CLAIMS))

    r = second_moment_radius_regime(regime([[0.0]]))
    assert r.estimate == pytest.approx(0.25 * gaussian_expectation(lambda x: special.expit(6 * x) ** 2, 1.0),
                                       rel=1e-11)
    with pytest.raises(ValueError, match="depends on the state"):
        second_moment_radius_regime(regime([[1.0]]))


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="form"):
        second_moment_radius([[0.5]], [[1.0]], [0.0], form="other", input_law="gaussian", input_scale=1.0)
    with pytest.raises(ValueError, match="quadrature"):
        second_moment_radius([[0.5]], [[1.0]], [0.0], form="gated", input_law="rademacher", input_scale=1.0,
                             method="quadrature")
    with pytest.raises(ValueError, match="gate_value"):
        second_moment_radius([[0.5]], None, None, form="gated", input_law="gaussian", input_scale=1.0)
    assert math.isfinite(second_moment_radius([[0.5]], np.ones((1, 4)), [0.0], form="gated",
                                              input_law="gaussian", input_scale=1.0, n_samples=1000).estimate)
