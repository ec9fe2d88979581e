"""Top Lyapunov exponent (estimators/_lyapunov_exponent.py) against oracles computed here.

* linear chains (constant gate): λ₁ = log ρ(M), M written out by hand and ρ from NumPy's eigenvalues;
* 1-D input-gated chains (U = 0): ∂h_t/∂h_{t−1} = a·g(x_t) (gated) or 1 − g + g·a (leaky), so
  λ₁ = E log|·| over one input, by scipy quad against the Gaussian density (or a two-point sum for
  Rademacher inputs);
* a state-dependent gate (U ≠ 0): the Jacobian written out by hand in NumPy, replayed on the
  simulator's own draws, must reproduce the estimate to rounding.
"""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
from scipy import integrate, special, stats

from ssmverify.estimators import (constant_gate_transition, exact_lyapunov_exponent, linear_lyapunov_exponent,
                        top_lyapunov_exponent)
from ssmverify.theorems import Model, simulate
from ssmverify.theorems.model import path_key

KEY = jax.random.PRNGKey(20241003)
SURE = 1 - 1e-6          # a miss at this level, with a fixed seed, would be a bug, not bad luck
CHUNK = 64               # every test uses this chunk and 400 steps in all: one compilation per d


def log_sigmoid(y):
    return -np.logaddexp(0.0, -y)


def gaussian_expectation(f, scale):
    val, err = integrate.quad(lambda u: f(scale * u) * stats.norm.pdf(u), -np.inf, np.inf, epsabs=1e-13,
                              epsrel=1e-12, limit=400)
    assert err < 1e-9
    return val


def similar(eigs, seed):
    """A non-normal matrix with the given real eigenvalues: Q diag(eigs) Q⁻¹."""
    q = np.random.default_rng(seed).normal(size=(len(eigs), len(eigs)))
    return q @ np.diag(eigs) @ np.linalg.inv(q)


# --- linear chains ---------------------------------------------------------------------------------


@pytest.mark.parametrize("d,form", [(1, "gated"), (3, "leaky")])
def test_constant_gate_matches_log_spectral_radius(d, form):
    rng = np.random.default_rng(d)
    A = similar(np.linspace(1.3, -0.4, d), seed=d)
    g = rng.uniform(0.3, 0.9, size=d)
    model = Model.build(A, rng.normal(size=(d, 1)), 0.1, form=form, gate_value=g)
    M = np.diag(g) @ A if form == "gated" else np.eye(d) - np.diag(g) @ (np.eye(d) - A)
    truth = math.log(max(abs(np.linalg.eigvals(M))))
    assert linear_lyapunov_exponent(M) == pytest.approx(truth, rel=1e-14)
    exact = exact_lyapunov_exponent(model)
    assert exact.method == "exact" and exact.estimate == pytest.approx(truth, rel=1e-12)
    np.testing.assert_allclose(constant_gate_transition(model), M, rtol=1e-15, atol=1e-15)
    r = top_lyapunov_exponent(model, KEY, n_paths=CHUNK, n_steps=200, burn_in=200, confidence=SURE, chunk=CHUNK)
    assert r.method == "monte-carlo" and r.n_paths == CHUNK and r.n_steps == 200
    assert r.ci[0] <= truth <= r.ci[1], (r, truth)
    assert r.ci[1] - r.ci[0] < 1e-8


def test_non_normal_matrix_over_a_long_horizon():
    # ‖M‖₂ ≈ 10 but ρ(M) = 0.6: per-step growth is far from ρ until the tangent aligns.
    M = np.array([[0.5, 10.0], [0.0, 0.6]])
    model = Model.build(M, np.ones((2, 1)), 0.01, gate_value=1.0)
    truth = math.log(0.6)
    r = top_lyapunov_exponent(model, KEY, n_paths=CHUNK, n_steps=200, burn_in=200, confidence=SURE, chunk=CHUNK)
    assert r.ci[0] <= truth <= r.ci[1], (r, truth)
    assert abs(r.estimate - truth) < 1e-12
    # Without burn-in the transient (log‖M^t v₀‖ − t log ρ → a constant ≠ 0) biases the estimate by O(1/t).
    biased = top_lyapunov_exponent(model, KEY, n_paths=CHUNK, n_steps=400, burn_in=0, chunk=CHUNK)
    assert abs(biased.estimate - truth) > 1e-4


def test_exact_helper_for_a_bias_only_sigmoid_gate_and_refusal_otherwise():
    A = np.array([[0.9, 0.2], [0.0, 1.1]])
    b = np.array([0.3, -1.0])
    model = Model.build(A, np.ones((2, 1)), 0.1, form="leaky", W=np.zeros((2, 1)), b=b)
    g = 1 / (1 + np.exp(-b))
    M = np.eye(2) - np.diag(g) @ (np.eye(2) - A)
    assert exact_lyapunov_exponent(model).estimate == pytest.approx(math.log(max(abs(np.linalg.eigvals(M)))))
    with pytest.raises(ValueError, match="not linear"):
        exact_lyapunov_exponent(Model.build(A, np.ones((2, 1)), 0.1, W=np.ones((2, 1))))
    assert linear_lyapunov_exponent(np.zeros((2, 2))) == -math.inf


# --- 1-D input-gated chains --------------------------------------------------------------------------


def test_claims_example_gated_input_gate():
    """claims.md: a = 1.8, g = σ(6x), x ~ N(0, 1): λ₁ = log a + E log σ(6x) ≈ −1.91 < 0."""
    a, w, s = 1.8, 6.0, 1.0
    truth = math.log(a) + gaussian_expectation(lambda x: log_sigmoid(w * x), s)
    assert truth == pytest.approx(-1.91, abs=0.005)
    model = Model.build([[a]], [[1.0]], 0.01, W=[[w]], input_scale=s)
    r = top_lyapunov_exponent(model, KEY, n_paths=256, n_steps=400, burn_in=0, confidence=SURE, chunk=CHUNK)
    assert r.ci[0] <= truth <= r.ci[1], (r, truth)
    assert r.ci[1] < 0


def test_leaky_input_gate_gaussian_and_rademacher():
    a, w, b, s = 0.3, 2.0, 0.5, 1.3
    deriv = lambda x: np.log(1 - (g := special.expit(w * x + b)) + g * a)  # noqa: E731
    truth = gaussian_expectation(deriv, s)
    model = Model.build([[a]], [[1.0]], 0.04, form="leaky", W=[[w]], b=[b], input_scale=s)
    r = top_lyapunov_exponent(model, KEY, n_paths=256, n_steps=400, burn_in=0, confidence=SURE, chunk=CHUNK)
    assert r.ci[0] <= truth <= r.ci[1], (r, truth)
    truth_rad = 0.5 * (deriv(s) + deriv(-s))
    rad = model.replace(rademacher=jax.numpy.asarray(1.0))
    r = top_lyapunov_exponent(rad, KEY, n_paths=256, n_steps=400, burn_in=0, confidence=SURE, chunk=CHUNK)
    assert r.ci[0] <= truth_rad <= r.ci[1], (r, truth_rad)


def test_interval_width_shrinks_like_one_over_root_n_and_paths_are_numbered_globally():
    model = Model.build([[1.8]], [[1.0]], 0.01, W=[[6.0]])
    small = top_lyapunov_exponent(model, KEY, n_paths=CHUNK, n_steps=400, burn_in=0, chunk=CHUNK)
    large = top_lyapunov_exponent(model, KEY, n_paths=4 * CHUNK, n_steps=400, burn_in=0, chunk=CHUNK)
    ratio = (small.ci[1] - small.ci[0]) / (large.ci[1] - large.ci[0])
    assert 1.6 < ratio < 2.5, ratio
    # path p's draws depend only on (key, p): paths 0–63 and 64–127 run separately average to paths 0–127
    halves = [top_lyapunov_exponent(model, KEY, n_paths=CHUNK, n_steps=400, burn_in=0, chunk=CHUNK,
                                    first_path=f).estimate for f in (0, CHUNK)]
    both = top_lyapunov_exponent(model, KEY, n_paths=2 * CHUNK, n_steps=400, burn_in=0, chunk=CHUNK)
    assert both.estimate == pytest.approx(np.mean(halves), rel=1e-13)
    # a ragged last chunk (96 paths in chunks of 64) drops nothing and adds nothing
    ragged = top_lyapunov_exponent(model, KEY, n_paths=96, n_steps=400, burn_in=0, chunk=CHUNK)
    even = top_lyapunov_exponent(model, KEY, n_paths=96, n_steps=400, burn_in=0, chunk=32)
    assert ragged.n_paths == 96 and ragged.estimate == pytest.approx(even.estimate, rel=1e-13)


# --- a state-dependent gate, replayed by hand ------------------------------------------------------------


def _observe(model, t, hs, h_new, x, w, g):
    return {"h_prev": hs[0], "x": x}


@pytest.mark.parametrize("form", ["gated", "leaky"])
def test_state_dependent_gate_matches_a_hand_written_jacobian(form):
    A = np.array([[0.7, -0.4], [0.3, 0.6]])
    B = np.array([[1.0], [-0.5]])
    W = np.array([[1.5], [0.5]])
    U = np.array([[0.8, -0.6], [0.2, 1.1]])
    b = np.array([0.2, -0.3])
    model = Model.build(A, B, 0.05, form=form, W=W, U=U, b=b, h0=[0.5, -1.0])
    burn, steps = 200, 200          # the horizon and chunk of the linear tests: no new compilation
    r = top_lyapunov_exponent(model, KEY, n_paths=CHUNK, n_steps=steps, burn_in=burn, chunk=CHUNK)
    _, obs = simulate(model, KEY, np.tile([0.5, -1.0], (CHUNK, 1, 1)), burn + steps, observe=_observe)
    leaky = float(form == "leaky")
    v = np.stack([np.array(jax.random.normal(jax.random.fold_in(path_key(KEY, p), 0), (2,), dtype=np.float64))
                  for p in range(CHUNK)])
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    total = np.zeros(CHUNK)
    for t in range(burn + steps):                               # all paths at once
        h, x = obs["h_prev"][:, t], obs["x"][:, t]
        z = x @ W.T + h @ U.T + b
        g = special.expit(z)
        pre = h @ A.T + x @ B.T
        # ∂/∂h of g ⊙ pre (+ (1 − g) ⊙ h): diag(g)A + diag(σ'(z) ⊙ (pre − leaky·h))U (+ leaky·diag(1 − g))
        J = (g[:, :, None] * A + (g * (1 - g) * (pre - leaky * h))[:, :, None] * U
             + leaky * (1 - g)[:, :, None] * np.eye(2))
        v = np.einsum("pij,pj->pi", J, v)
        n = np.linalg.norm(v, axis=1)
        v /= n[:, None]
        if t >= burn:
            total += np.log(n)
    assert r.estimate == pytest.approx(np.mean(total / steps), rel=1e-10, abs=1e-12)
