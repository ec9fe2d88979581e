"""Every invalid input raises ValueError whose message names the argument."""

import numpy as np
import pytest

from ssmverify import estimators as E

GOOD_COV = np.array([[2.0, 0.5], [0.5, 1.0]])
NONSYM = np.array([[1.0, 0.5], [0.2, 1.0]])
INDEF = np.array([[1.0, 2.0], [2.0, 1.0]])
X = np.random.default_rng(0).standard_normal((50, 2))

CASES = [
    # (call, argument name expected at the start of the message, why)
    (lambda: E.gaussian_entropy(NONSYM), "cov", "symmetric"),
    (lambda: E.gaussian_entropy(INDEF), "cov", "positive semidefinite"),
    (lambda: E.gaussian_entropy(np.ones((2, 3))), "cov", "square"),
    (lambda: E.gaussian_entropy(np.ones((2, 2, 2))), "cov", "dimension"),
    (lambda: E.gaussian_entropy([[1.0, np.nan], [np.nan, 1.0]]), "cov", "non-finite"),
    (lambda: E.gaussian_entropy(GOOD_COV, base=1), "base", "other than 1"),
    (lambda: E.gaussian_entropy(GOOD_COV, base=-2), "base", "positive"),
    (lambda: E.gaussian_mutual_information(GOOD_COV, [0], [5]), "y_idx", "outside"),
    (lambda: E.gaussian_mutual_information(GOOD_COV, [], [1]), "x_idx", "non-empty"),
    (lambda: E.gaussian_mutual_information(GOOD_COV, [0.5], [1]), "x_idx", "integers"),
    (lambda: E.stationary_covariance(np.ones((2, 3)), GOOD_COV), "M", "square"),
    (lambda: E.stationary_covariance(0.5 * np.eye(2), np.eye(3)), "S", "2x2"),
    (lambda: E.stationary_covariance(0.5 * np.eye(2), INDEF), "S", "positive semidefinite"),
    (lambda: E.stationary_covariance(1.5 * np.eye(2), GOOD_COV), "M", "spectral radius"),
    (lambda: E.gaussian_w2([0, 0], GOOD_COV, [0], 1.0), "mean2", "shape"),
    (lambda: E.gaussian_w2([0, 0], GOOD_COV, [0, 0], INDEF), "cov2", "positive semidefinite"),
    (lambda: E.empirical_w2(np.ones((3, 2, 2)), X), "x", "dimension"),
    (lambda: E.empirical_w2([], [1.0]), "x", "at least one point"),
    (lambda: E.rate_distortion_gaussian(GOOD_COV, -0.1), "D", "non-negative"),
    (lambda: E.rate_distortion_gaussian(NONSYM, 0.1), "cov", "symmetric"),
    (lambda: E.distortion_rate_gaussian(GOOD_COV, -1.0), "R", "non-negative"),
    (lambda: E.distortion_rate_gaussian(GOOD_COV, float("nan")), "R", "NaN"),
    (lambda: E.blahut_arimoto([0.5, 0.6], np.eye(2), 1.0), "p_x", "sum to one"),
    (lambda: E.blahut_arimoto([1.5, -0.5], np.eye(2), 1.0), "p_x", "negative"),
    (lambda: E.blahut_arimoto([0.5, 0.5], -np.eye(2), 1.0), "distortion", "negative"),
    (lambda: E.blahut_arimoto([0.5, 0.5], np.eye(3), 1.0), "distortion", "shape"),
    (lambda: E.blahut_arimoto([0.5, 0.5], np.eye(2), -1.0), "beta", "non-negative"),
    (lambda: E.blahut_arimoto([0.5, 0.5], np.eye(2), 1.0, tol=0), "tol", "positive"),
    (lambda: E.blahut_arimoto([0.5, 0.5], np.eye(2), 1.0, max_iter=0), "max_iter", "integer"),
    (lambda: E.blahut_arimoto_curve([0.5, 0.5], np.eye(2), [1.0, -1.0]), "betas", "non-negative"),
    (lambda: E.ksg_mutual_information(X, X[:40]), "y", "rows"),
    (lambda: E.ksg_mutual_information(X, X, k=0), "k", "integer"),
    (lambda: E.ksg_mutual_information(X, X, theiler=-1), "theiler", "integer"),
    (lambda: E.ksg_mutual_information(X, X, thin=0), "thin", "integer"),
    (lambda: E.ksg_mutual_information(X, X, thin=20), "x", "rows after thinning"),
    (lambda: E.ksg_mutual_information(np.ones((50, 1)), X), "x", "constant"),
    (lambda: E.ksg_mutual_information(X, X, jitter=-1.0), "jitter", "non-negative"),
    (lambda: E.discrete_entropy([1, -1, 2]), "counts", "non-negative"),
    (lambda: E.discrete_entropy([0, 0]), "counts", "positive total"),
    (lambda: E.discrete_entropy([[1, 2]]), "counts", "dimension"),
    (lambda: E.discrete_entropy([1, 2], correction="grassberger"), "correction", "one of"),
    (lambda: E.fano_lower_bound(3.5, 8), "cond_entropy", "exceeds"),
    (lambda: E.fano_lower_bound(-0.1, 8), "cond_entropy", "non-negative"),
    (lambda: E.fano_lower_bound(1.0, 1), "alphabet_size", ">= 2"),
    (lambda: E.fano_lower_bound(1.0, 2.5), "alphabet_size", "integer"),
    (lambda: E.fano_lower_bound(1.0), "alphabet_size and log_alphabet_size", "exactly one"),
    (lambda: E.fano_lower_bound(0.1, log_alphabet_size=0.5), "log_alphabet_size", "at least"),
    (lambda: E.fano_lower_bound(0.1, 4, form="medium"), "form", "'weak' or 'strong'"),
    (lambda: E.proportion_ci(5, 3), "successes", "exceed"),
    (lambda: E.proportion_ci(1, 0), "n", ">= 1"),
    (lambda: E.proportion_ci(1, 10, method="agresti"), "method", "clopper-pearson"),
    (lambda: E.proportion_ci(1, 10, confidence=1.5), "confidence", "between 0 and 1"),
    (lambda: E.bootstrap_mean_ci([1.0]), "samples", "at least 2"),
    (lambda: E.bootstrap_mean_ci([1.0, 2.0], method="abc"), "method", "bca"),
    (lambda: E.bootstrap_mean_ci([1.0, 2.0], n_resamples=10), "n_resamples", ">= 100"),
]


@pytest.mark.parametrize("call,name,why", CASES, ids=[f"{i}-{c[1]}" for i, c in enumerate(CASES)])
def test_value_error_names_argument(call, name, why):
    with pytest.raises(ValueError) as info:
        call()
    msg = str(info.value)
    assert msg.startswith(name), msg
    assert why in msg, msg
