"""Gaussian closed forms against each other, quadrature and the recursion they solve."""

import math

import numpy as np
import pytest
from scipy import integrate

from ssmverify.estimators import gaussian_entropy, gaussian_mutual_information, stationary_covariance

# Two float64 evaluations of the same quantity along different paths
# (slogdet vs canonical correlations, Cholesky-free eigen-decompositions)
# differ by rounding only: a few ulps times the condition number of the
# (well-conditioned, cond < 100) matrices used here.  1e-10 relative covers it.
ROUNDING_RTOL = 1e-10


def _random_cov(rng, n, cond_floor=0.2):
    a = rng.standard_normal((n, n))
    return a @ a.T / n + cond_floor * np.eye(n)


@pytest.mark.parametrize("var", [0.3, 1.0, 7.5])
def test_entropy_1d_matches_quadrature(var):
    sd = math.sqrt(var)

    def integrand(x):
        logp = -0.5 * x * x / var - 0.5 * math.log(2 * math.pi * var)
        return -math.exp(logp) * logp

    # Tails beyond 40 sd contribute < exp(-800): nothing in float64.  The
    # tolerance is quad's own error estimate (with a factor 10 of margin).
    val, abserr = integrate.quad(integrand, -40 * sd, 40 * sd, epsabs=1e-13, epsrel=1e-13, limit=200)
    assert abs(gaussian_entropy(var) - val) <= 10 * abserr + 1e-13
    assert gaussian_entropy(np.array([[var]])) == pytest.approx(val, rel=ROUNDING_RTOL)


def test_entropy_of_diagonal_is_sum_of_1d():
    v = [0.5, 2.0, 9.0]
    assert gaussian_entropy(np.diag(v)) == pytest.approx(sum(gaussian_entropy(x) for x in v), rel=ROUNDING_RTOL)


def test_bits_over_nats_is_ln2():
    rng = np.random.default_rng(0)
    c = _random_cov(rng, 4)
    assert gaussian_entropy(c) / gaussian_entropy(c, base=2) == pytest.approx(math.log(2), rel=ROUNDING_RTOL)
    i_nats = gaussian_mutual_information(c, [0, 1], [2, 3])
    assert i_nats / gaussian_mutual_information(c, [0, 1], [2, 3], base=2) == pytest.approx(math.log(2), rel=ROUNDING_RTOL)


def test_singular_entropy_is_minus_inf():
    assert gaussian_entropy(np.ones((2, 2))) == -math.inf


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mi_equals_entropy_identity(seed):
    rng = np.random.default_rng(seed)
    c = _random_cov(rng, 5)
    x, y = [0, 3], [1, 2, 4]
    via_h = (
        gaussian_entropy(c[np.ix_(x, x)]) + gaussian_entropy(c[np.ix_(y, y)])
        - gaussian_entropy(c[np.ix_(x + y, x + y)])
    )
    assert gaussian_mutual_information(c, x, y) == pytest.approx(via_h, rel=ROUNDING_RTOL)


@pytest.mark.parametrize("rho", [-0.9, 0.0, 0.3, 0.99])
def test_mi_bivariate(rho):
    c = np.array([[2.0, rho * math.sqrt(2 * 3)], [rho * math.sqrt(6), 3.0]])
    assert gaussian_mutual_information(c, [0], [1]) == pytest.approx(-0.5 * math.log1p(-rho * rho), rel=ROUNDING_RTOL, abs=1e-15)


def test_mi_deterministic_dependence_is_inf():
    # (X1, X2, X1 + X2): the third coordinate is a function of the first two.
    a = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    c = a @ np.diag([1.0, 0.5]) @ a.T
    assert gaussian_mutual_information(c, [0, 1], [2]) == math.inf
    # Y = 2 X exactly, and overlapping index lists.
    assert gaussian_mutual_information(np.array([[1.0, 2.0], [2.0, 4.0]]), 0, 1) == math.inf
    assert gaussian_mutual_information(_random_cov(np.random.default_rng(3), 3), [0, 1], [1, 2]) == math.inf


def test_mi_drops_zero_variance_coordinates():
    rng = np.random.default_rng(4)
    c = _random_cov(rng, 3)
    base = gaussian_mutual_information(c, [0], [1, 2])
    # Embed with a constant coordinate (index 3) in the X block.
    big = np.zeros((4, 4))
    big[:3, :3] = c
    assert gaussian_mutual_information(big, [0, 3], [1, 2]) == pytest.approx(base, rel=ROUNDING_RTOL)
    assert gaussian_mutual_information(big, [3], [0, 1, 2]) == 0.0
    # A block with a duplicated (non-constant) coordinate is singular too.
    dup = np.zeros((4, 4))
    idx = [0, 0, 1, 2]
    dup[:] = c[np.ix_(idx, idx)]
    assert gaussian_mutual_information(dup, [0, 1], [2, 3]) == pytest.approx(base, rel=ROUNDING_RTOL)


def _iterate(m, s):
    sigma = np.zeros_like(s)
    for _ in range(10_000):
        new = m @ sigma @ m.T + s
        # Stop when a step moves less than 1e-15 relative; the error left is
        # at most that step / (1 - rho(M)^2), i.e. < 1e-14 for rho <= 0.9.
        if np.max(np.abs(new - sigma)) <= 1e-15 * np.max(np.abs(new)):
            return new
        sigma = new
    raise AssertionError("recursion did not converge")


@pytest.mark.parametrize("seed", [0, 1])
def test_lyapunov_matches_iterated_recursion(seed):
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((4, 4))
    m *= 0.9 / np.max(np.abs(np.linalg.eigvals(m)))  # spectral radius 0.9
    s = _random_cov(rng, 4)
    sigma = stationary_covariance(m, s)
    ref = _iterate(m, s)
    # Iteration error < 1e-14 relative (see _iterate) plus rounding of the
    # Lyapunov solver, amplified by 1 / (1 - rho^2) ~ 5: 1e-11 is ample.
    np.testing.assert_allclose(sigma, ref, rtol=1e-11, atol=1e-11 * np.max(np.abs(ref)))
    np.testing.assert_array_equal(sigma, sigma.T)


def test_lyapunov_scalar():
    assert stationary_covariance(0.5, 2.0)[0, 0] == pytest.approx(2.0 / (1 - 0.25), rel=1e-14)


@pytest.mark.parametrize(
    "m",
    [np.array([[0.0, -1.0], [1.0, 0.0]]), np.diag([0.5, 1.2]), np.array([[1.0]])],
    ids=["rotation", "unstable", "unit-root"],
)
def test_lyapunov_refuses_spectral_radius_at_least_one(m):
    with pytest.raises(ValueError, match="spectral radius"):
        stationary_covariance(m, np.eye(m.shape[0]))
