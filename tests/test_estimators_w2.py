"""W2: closed form against special cases; empirical W2 against exact oracles and the closed form."""

import itertools
import math

import numpy as np
import pytest
from scipy.stats import ortho_group

from ssmverify.estimators import EMPIRICAL_W2_MAX_N, empirical_w2, gaussian_w2

ROUNDING_RTOL = 1e-10  # same number along two float64 paths (eigh vs scalar formula)


@pytest.mark.parametrize("m1,v1,m2,v2", [(0.0, 1.0, 1.0, 4.0), (-2.0, 0.25, 3.0, 0.25), (1.0, 9.0, 1.0, 0.0)])
def test_gaussian_w2_1d_formula(m1, v1, m2, v2):
    expected = math.sqrt((m1 - m2) ** 2 + (math.sqrt(v1) - math.sqrt(v2)) ** 2)
    assert gaussian_w2(m1, v1, m2, v2) == pytest.approx(expected, rel=ROUNDING_RTOL)
    assert gaussian_w2([m1], [[v1]], [m2], [[v2]]) == pytest.approx(expected, rel=ROUNDING_RTOL)


def test_gaussian_w2_commuting_covariances():
    # Same eigenvectors: W2^2 = |dm|^2 + sum (sqrt a_i - sqrt b_i)^2.
    q = ortho_group.rvs(4, random_state=1)
    a, b = np.array([3.0, 1.0, 0.5, 0.0]), np.array([0.2, 1.0, 4.0, 2.0])  # one singular
    c1, c2 = q @ np.diag(a) @ q.T, q @ np.diag(b) @ q.T
    m1, m2 = np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 1.0, 0.0, 3.0])
    expected = math.sqrt(np.sum((m1 - m2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2))
    assert gaussian_w2(m1, c1, m2, c2) == pytest.approx(expected, rel=1e-8)
    # rel 1e-8, not 1e-10: the zero eigenvalue enters through a square root,
    # so rounding ~1e-16 in it becomes ~1e-8 in sqrt(a_i).


def test_gaussian_w2_is_a_metric_on_examples():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    c = a @ a.T
    assert gaussian_w2(np.zeros(3), c, np.zeros(3), c) < 1e-6  # sqrt of rounding ~1e-15
    args = (np.ones(3), c, np.zeros(3), np.eye(3))
    assert gaussian_w2(*args) == pytest.approx(gaussian_w2(args[2], args[3], args[0], args[1]), rel=1e-10)


def test_empirical_1d_unequal_sizes_against_replication():
    # Repeating every point of x m times and of y n times gives two samples of
    # size n*m with the same empirical laws, where pairing order statistics is
    # the exact optimal coupling.  Independent of the quantile bookkeeping.
    rng = np.random.default_rng(2)
    for n, m in [(7, 5), (3, 11), (12, 8)]:
        x, y = rng.standard_normal(n), rng.standard_normal(m) * 2 + 1
        rep = math.sqrt(np.mean((np.sort(np.repeat(x, m)) - np.sort(np.repeat(y, n))) ** 2))
        assert empirical_w2(x, y) == pytest.approx(rep, rel=1e-12)


def test_empirical_multivariate_against_all_permutations():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 3)) + 0.5
    best = min(
        np.mean(np.sum((x - y[list(p)]) ** 2, axis=1)) for p in itertools.permutations(range(6))
    )
    assert empirical_w2(x, y) == pytest.approx(math.sqrt(best), rel=1e-12)


def test_empirical_assignment_path_agrees_with_sorting_path():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal(200), rng.exponential(size=200)
    pad = lambda v: np.column_stack((v, np.zeros_like(v)))  # noqa: E731
    assert empirical_w2(pad(x), pad(y)) == pytest.approx(empirical_w2(x, y), rel=1e-12)


def test_empirical_1d_converges_to_gaussian_w2():
    m1, s1, m2, s2 = 0.0, 1.0, 1.0, 2.0
    truth = math.sqrt((m1 - m2) ** 2 + (s1 - s2) ** 2)
    est = np.array([
        empirical_w2(rng.normal(m1, s1, 20_000), rng.normal(m2, s2, 30_000))
        for rng in (np.random.default_rng(s) for s in range(8))
    ])
    # Tolerance: 3 SE of the mean over seeds, plus the finite-sample bias of
    # the empirical W2 at these sizes, measured once over 40 other seeds
    # (100..139): +0.0054 with SE 0.0021; allowance = 0.0054 + 3 * 0.0021.
    bias_allowance = 0.0054 + 3 * 0.0021
    assert abs(est.mean() - truth) <= 3 * est.std(ddof=1) / math.sqrt(est.size) + bias_allowance


def test_empirical_2d_converges_to_gaussian_w2():
    m1, m2 = np.array([0.0, 0.0]), np.array([1.0, -0.5])
    c1, c2 = np.array([[1.0, 0.3], [0.3, 0.5]]), np.array([[2.0, -0.4], [-0.4, 1.0]])
    truth = gaussian_w2(m1, c1, m2, c2)
    est = np.array([
        empirical_w2(rng.multivariate_normal(m1, c1, 500), rng.multivariate_normal(m2, c2, 500))
        for rng in (np.random.default_rng(s) for s in range(8))
    ])
    # Empirical W2 in d = 2 is biased upward by O(n^{-1/2} log n).  Measured
    # once at n = 500 over 100 other seeds (1000..1099): bias +0.0146 with
    # SE 0.0069, spread sd 0.069; allowance = 0.0146 + 3 * 0.0069.
    bias_allowance = 0.0146 + 3 * 0.0069
    assert abs(est.mean() - truth) <= 3 * est.std(ddof=1) / math.sqrt(est.size) + bias_allowance


def test_empirical_multivariate_limits():
    with pytest.raises(ValueError, match="y must have as many points as x"):
        empirical_w2(np.zeros((5, 2)), np.zeros((4, 2)))
    big = np.zeros((EMPIRICAL_W2_MAX_N + 1, 2))
    with pytest.raises(ValueError, match="x has .* above the limit"):
        empirical_w2(big, big)
    with pytest.raises(ValueError, match="y must have the dimension of x"):
        empirical_w2(np.zeros((5, 2)), np.zeros((5, 3)))
