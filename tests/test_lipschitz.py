"""L_G exactly (theorems/_lipschitz.py) against oracles computed here by brute force.

Every oracle evaluates ‖diag(σ'(z))U‖₂ on reachable pre-activations z = Wx + Uh + b written out in
the test's own parametrisation (not the module's orthonormal one), as the square root of the top
eigenvalue of D U Uᵀ D (the module uses an SVD), on fine grids polished by Nelder–Mead.  A grid
value is attained, so it can never exceed the true supremum: it must lie below the certified upper
end, and the module's witnessed value must not fall below it.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import optimize

from ssmverify.theorems import CLAIMS, parse_regime
from ssmverify.theorems import _constants as K
from ssmverify.theorems._lipschitz import gate_jacobian_norm, gate_lipschitz


def sigma_prime(z):
    p = 1.0 / (1.0 + np.exp(-z))
    return p * (1.0 - p)


def jac_norm(U, z):
    """‖diag(σ'(z))U‖₂ for z (N, d), via eigenvalues of D U Uᵀ D."""
    z = np.atleast_2d(z)
    s = sigma_prime(z)
    P = U @ U.T
    M = s[:, :, None] * P[None] * s[:, None, :]
    return np.sqrt(np.clip(np.linalg.eigvalsh(M)[:, -1], 0.0, None))


def polish(U, offset, dirs, t0):
    """Nelder–Mead from t0 on t ↦ ‖diag(σ'(offset + dirs t))U‖₂ (attained, hence a lower bound)."""
    res = optimize.minimize(lambda t: -jac_norm(U, offset + dirs @ t)[0], t0, method="Nelder-Mead",
                            options={"xatol": 1e-12, "fatol": 1e-16, "maxiter": 4000})
    return -float(res.fun)


def brute_force(U, offsets, dirs, half_width, n):
    """max over offsets and a grid of t ∈ [−w, w]^k (k = columns of dirs), then polished."""
    k = dirs.shape[1]
    axis = np.linspace(-half_width, half_width, n)
    grid = np.array(list(itertools.product(axis, repeat=k)))
    best, arg = -1.0, None
    for c in offsets:
        vals = jac_norm(U, c[None, :] + grid @ dirs.T)
        i = int(np.argmax(vals))
        if vals[i] > best:
            best, arg = float(vals[i]), (c, grid[i])
    return max(best, polish(U, arg[0], dirs, arg[1]))


def assert_consistent(r):
    assert 0.0 <= r.lower <= r.value <= r.upper <= r.norm_bound + 1e-15


def assert_bound_alone_finds_it(W, U, b, law, s, r):
    """Without the optimiser (n_starts=0) the branch and bound must find the supremum itself:
    an upper bound that cut off the maximiser's box would show here as a smaller value."""
    alone = gate_lipschitz(W, U, b, input_law=law, input_scale=s, n_starts=0)
    assert alone.certified
    assert alone.upper >= r.value * (1 - 1e-12)
    assert alone.lower == pytest.approx(r.value, rel=2e-6)
    assert gate_jacobian_norm(U, np.array(alone.witness)) == pytest.approx(alone.lower, rel=1e-12)


# --- the worked example of claims.md -------------------------------------------------------------


@pytest.mark.parametrize("law", ["gaussian", "rademacher"])
def test_claims_example_is_0354_not_half(law):
    U = np.array([[1.0, 1.0], [1.0, 1.0]])
    b = np.array([5.0, -5.0])
    r = gate_lipschitz(np.zeros((2, 1)), U, b, input_law=law)
    # By hand: W = 0, so z = b + (h1 + h2)(1, 1) = (5 + u, −5 + u).  D U has rows s_i(1, 1), so
    # ‖D U‖₂ = √2 · √(σ'(5 + u)² + σ'(u − 5)²).  A fine grid over u, then a bounded polish.
    f = lambda u: np.sqrt(2.0) * np.sqrt(sigma_prime(5 + u) ** 2 + sigma_prime(u - 5) ** 2)  # noqa: E731
    u = np.linspace(-40.0, 40.0, 800_001)
    u_best = u[np.argmax(f(u))]
    res = optimize.minimize_scalar(lambda v: -f(v), bounds=(u_best - 1e-3, u_best + 1e-3), method="bounded",
                                   options={"xatol": 1e-12})
    oracle = max(float(f(u_best)), -float(res.fun))
    assert oracle == pytest.approx(0.35355, abs=5e-6)          # ≈ √2/4, attained at u ≈ ±5
    assert r.norm_bound == pytest.approx(0.5, rel=1e-15)       # ‖U‖₂/4 = 2/4
    assert r.value == pytest.approx(oracle, rel=1e-10)
    assert r.lower <= oracle * (1 + 1e-12) and r.upper >= oracle * (1 - 1e-12)
    assert r.certified and r.upper - r.lower <= 1e-9 * r.lower
    assert r.method.startswith("certified")
    assert_consistent(r)
    assert gate_jacobian_norm(U, np.array(r.witness)) == pytest.approx(r.lower, rel=1e-12)
    assert_bound_alone_finds_it(np.zeros((2, 1)), U, b, law, 1.0, r)


# --- closed forms ---------------------------------------------------------------------------------


def test_zero_reachable_gives_the_norm_bound():
    rng = np.random.default_rng(0)
    U = rng.normal(size=(3, 3))
    # Gaussian inputs, W of full row rank: W x alone reaches every z.
    r = gate_lipschitz(rng.normal(size=(3, 3)), U, rng.normal(size=3) * 5)
    assert r.method == "closed form: z = 0 reachable" and r.value == r.lower == r.upper == r.norm_bound
    assert r.value == pytest.approx(np.linalg.norm(U, 2) / 4, rel=1e-15)
    # W = 0 and U invertible: U h reaches every z.
    r = gate_lipschitz(np.zeros((3, 2)), U, np.array([9.0, -7.0, 3.0]), input_law="rademacher")
    assert r.method == "closed form: z = 0 reachable"
    # [W U] rank-deficient, but −b lies in its range: U rank 1, W supplies a second direction.
    u, w = np.array([1.0, 2.0, -1.0]), np.array([0.0, 1.0, 1.0])
    U1 = np.outer(u, [1.0, 0.5, 0.2])
    r = gate_lipschitz(w[:, None], U1, -(2.0 * u - 3.0 * w))
    assert r.method == "closed form: z = 0 reachable"
    assert r.value == pytest.approx(np.linalg.norm(U1, 2) / 4, rel=1e-15)


def test_rademacher_sign_vector_reaching_zero_gives_the_norm_bound():
    u = np.array([1.0, 2.0, -1.0])
    U1 = np.outer(u, [1.0, 0.5, 0.2])
    W = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
    s = 1.5
    b = -s * W @ np.array([1.0, -1.0]) + 0.7 * u           # the sign vector (+1, −1) reaches z = 0
    r = gate_lipschitz(W, U1, b, input_law="rademacher", input_scale=s)
    assert r.method == "closed form: z = 0 reachable"
    # The same b under a scale at which no sign vector reaches 0 is strictly smaller.
    r2 = gate_lipschitz(W, U1, b, input_law="rademacher", input_scale=2.5)
    assert r2.value < r.value


def test_no_dependence_on_h_gives_zero(tmp_path):
    r = gate_lipschitz(np.ones((2, 1)), np.zeros((2, 2)), np.zeros(2))
    assert r.value == r.upper == r.norm_bound == 0.0
    regime = parse_regime({"name": "c", "model": {"form": "gated", "A": [[0.5]], "B": [[1.0]], "noise_cov": 0.1,
                                                  "gate": {"kind": "constant", "value": 0.3}},
                            "inputs": {"law": "gaussian"}}, "t")
    assert K.lipschitz_vector(regime) == 0.0 and K.lipschitz(regime).method.startswith("constant gate")


# --- certified cases against brute force -----------------------------------------------------------


def test_line_in_three_dimensions_matches_brute_force():
    # U of rank 1 and W = 0: z = b + α u, a line that misses 0.
    u = np.array([1.0, 2.0, -1.0])
    U = np.outer(u, [1.0, 0.5, 0.2])
    b = np.array([5.0, -5.0, 3.0])
    r = gate_lipschitz(np.zeros((3, 1)), U, b)
    oracle = brute_force(U, [b], u[:, None], 30.0, 200_001)
    assert r.certified and r.upper - r.lower <= 1e-9 * r.lower
    assert oracle <= r.upper * (1 + 1e-12)
    assert r.value >= oracle * (1 - 1e-10)
    assert r.value < r.norm_bound * 0.95
    assert_consistent(r)
    assert_bound_alone_finds_it(np.zeros((3, 1)), U, b, "gaussian", 1.0, r)


def test_plane_in_three_dimensions_matches_brute_force():
    # Gaussian inputs: z = b + α w + β u, a plane that misses 0.
    u = np.array([1.0, 2.0, -1.0])
    w = np.array([1.0, 0.0, 0.0])
    U = np.outer(u, [1.0, 0.5, 0.2])
    b = np.array([5.0, -5.0, 3.0])
    r = gate_lipschitz(w[:, None], U, b)
    oracle = brute_force(U, [b], np.column_stack([w, u]), 15.0, 501)
    assert r.certified and r.upper - r.lower <= 1e-6 * r.lower
    assert oracle <= r.upper * (1 + 1e-12)
    assert r.value >= oracle * (1 - 1e-10)
    assert_consistent(r)
    assert_bound_alone_finds_it(w[:, None], U, b, "gaussian", 1.0, r)


def test_rademacher_cosets_match_brute_force_over_sign_vectors():
    u = np.array([1.0, -0.5, 2.0])
    U = np.outer(u, [0.3, 1.0, -0.4]) * 2.0
    W = np.array([[1.0, 0.5], [-2.0, 1.0], [0.5, 0.5]])
    b = np.array([2.0, 6.0, -1.0])
    s = 1.5
    offsets = [b + s * W @ np.array(e) for e in itertools.product((-1.0, 1.0), repeat=2)]
    r = gate_lipschitz(W, U, b, input_law="rademacher", input_scale=s)
    oracle = brute_force(U, offsets, u[:, None], 30.0, 100_001)
    assert r.certified
    assert oracle <= r.upper * (1 + 1e-12) and r.value >= oracle * (1 - 1e-10)
    assert_bound_alone_finds_it(W, U, b, "rademacher", s, r)
    # Gaussian inputs reach more pre-activations: never smaller.
    assert gate_lipschitz(W, U, b).value >= r.value * (1 - 1e-12)


def test_homogeneous_of_degree_one_in_U():
    """L_G(cU) = |c| L_G(U): the reachable set b + W·supp + range(U) does not change (the probe's knob relies on it)."""
    U = np.array([[1.0, 1.0], [1.0, 1.0]])
    b = np.array([5.0, -5.0])
    base = gate_lipschitz(np.zeros((2, 1)), U, b).value
    for c in (3.0, -0.5):
        assert gate_lipschitz(np.zeros((2, 1)), c * U, b).value == pytest.approx(abs(c) * base, rel=1e-9)


def test_higher_dimension_is_optimised_and_beats_random_search():
    rng = np.random.default_rng(3)
    d = 5
    U = np.outer(rng.normal(size=d), rng.normal(size=d)) + np.outer(rng.normal(size=d), rng.normal(size=d))
    W = rng.normal(size=(d, 1))
    b = rng.normal(size=d) * 4
    r = gate_lipschitz(W, U, b)
    assert "optimised" in r.method and not r.certified
    assert r.upper == r.norm_bound
    dirs = np.column_stack([W, U])                      # z = b + W x + U h, rank 3 < 5
    samples = b[None, :] + rng.normal(scale=4.0, size=(50_000, 1 + d)) @ dirs.T
    assert r.value >= jac_norm(U, samples).max() * (1 - 1e-12)
    assert_consistent(r)


# --- theorems._constants --------------------------------------------------------------------------


def example_regime(U=((1.0, 1.0), (1.0, 1.0)), b=(5.0, -5.0)):
    data = {"name": "exact-lg", "model": {"form": "gated", "A": [[0.9, 0.0], [0.0, 0.5]], "B": [[1.0], [0.0]],
                                          "noise_cov": 0.01,
                                          "gate": {"kind": "sigmoid", "W": [[0.0], [0.0]],
                                                   "U": [list(r) for r in U], "b": list(b)}},
            "inputs": {"law": "gaussian"}}
    return parse_regime(data, "test", set(CLAIMS))


def test_constants_use_the_exact_value_and_say_how():
    regime = example_regime()
    lv = K.lipschitz_vector(regime)
    assert lv == pytest.approx(0.3535533964, rel=1e-8)
    assert K.lipschitz(regime) is K.lipschitz(regime)          # memoised
    assert K.lipschitz_norm_bound(regime) == pytest.approx(0.5)
    assert K.kappa(regime) == pytest.approx(0.9 * lv, rel=1e-15)
    # component-wise: each row has U_i ≠ 0, so z_i = 0 is reachable: ‖U_i‖₂/4 = √2/4.
    assert K.lipschitz_componentwise(regime) == pytest.approx(np.sqrt(2) / 4, rel=1e-15)
    hyp = K.theorem2_hypotheses(regime)
    detail = hyp[0].detail
    assert "0.353553" in detail and "certified" in detail and "‖U‖₂/4 = 0.5" in detail
    assert hyp[2].holds and f"{lv:.4g}" in hyp[2].detail


def test_constants_closed_form_regime_unchanged():
    regime = example_regime(U=((3.0, 0.0), (0.0, 1.0)), b=(0.0, 0.0))
    assert K.lipschitz_vector(regime) == 0.75
    assert "closed form: z = 0 reachable" in K.theorem2_hypotheses(regime)[0].detail


def test_lipschitz_cache_is_per_gate_and_bounded():
    """L_G is memoised with functools.lru_cache on what it depends on (gate and input law), 4096 gates."""
    import dataclasses
    regime = example_regime(U=((1.0, 0.5), (0.0, 1.0)), b=(1.0, -2.0))
    first = K.lipschitz(regime)
    info = K._lipschitz_cached.cache_info()
    assert info.maxsize == 4096
    other_A = dataclasses.replace(regime, A=0.5 * regime.A)     # the gate is unchanged: a hit, same object
    assert K.lipschitz(other_A) is first
    assert K._lipschitz_cached.cache_info().hits == info.hits + 1
    other_U = dataclasses.replace(regime, U=2.0 * regime.U)     # another gate: computed anew
    assert K.lipschitz(other_U).value == pytest.approx(2.0 * first.value, rel=1e-6)
    assert K._lipschitz_cached.cache_info().misses == info.misses + 1
