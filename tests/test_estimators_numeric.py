"""The toolkit's one log-sum-exp and one PSD square root, against oracles written here."""

import math

import numpy as np
import pytest
from scipy import linalg
from scipy.special import logsumexp as scipy_logsumexp

from ssmverify.estimators import logsumexp, psd_sqrt


@pytest.mark.parametrize("axis", [0, 1])
def test_logsumexp_against_direct_sums(axis):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(7, 5)) * 3.0
    direct = np.log(np.exp(a).sum(axis=axis))                    # safe at this scale
    np.testing.assert_allclose(logsumexp(a, axis), direct, rtol=1e-14)
    np.testing.assert_allclose(logsumexp(a, axis), scipy_logsumexp(a, axis=axis), rtol=1e-14)
    kept = a.copy()
    logsumexp(a, axis)
    np.testing.assert_array_equal(a, kept)                       # without overwrite the input is untouched
    np.testing.assert_array_equal(logsumexp(a.copy(), axis, overwrite=True), logsumexp(a, axis))


def test_logsumexp_far_outside_exp_range_and_with_minus_infinity():
    a = np.array([[1000.0, 1000.0, -np.inf], [-2000.0, -np.inf, -2000.0 + math.log(3.0)]])
    np.testing.assert_allclose(logsumexp(a, 1), [1000.0 + math.log(2.0), -2000.0 + math.log(4.0)], rtol=1e-15)
    assert math.isnan(logsumexp(np.array([[np.nan, 0.0]]), 1)[0])


def test_psd_sqrt_symmetric_root_and_factor():
    rng = np.random.default_rng(1)
    g = rng.normal(size=(4, 3))
    Q = g @ g.T                                                 # rank 3: one zero eigenvalue
    L = psd_sqrt(Q)
    np.testing.assert_allclose(L, L.T, atol=1e-15)
    np.testing.assert_allclose(L, np.real(linalg.sqrtm(Q)), atol=1e-7)   # sqrtm is less accurate when singular
    np.testing.assert_allclose(L @ L, Q, atol=1e-13)
    F = psd_sqrt(Q, symmetric=False)
    np.testing.assert_allclose(F @ F.T, Q, atol=1e-13)
    vals, vecs = np.linalg.eigh(Q)
    np.testing.assert_allclose(F, vecs * np.sqrt(np.clip(vals, 0.0, None)), atol=1e-15)
    np.testing.assert_allclose(F @ vecs.T, L, atol=1e-14)


@pytest.mark.parametrize("symmetric", [True, False])
def test_psd_sqrt_rescales_near_the_float64_limits(symmetric):
    Q = np.array([[2.0, 0.5], [0.5, 1.0]])
    for scale in (2.0 ** 1000, 2.0 ** -1000):
        L = psd_sqrt(Q * scale, symmetric=symmetric)
        np.testing.assert_allclose(L / math.sqrt(scale), psd_sqrt(Q, symmetric=symmetric), rtol=1e-14, atol=1e-15)
