"""Proportion intervals against scipy; bootstrap against scipy and against its coverage."""

import math

import numpy as np
import pytest
from scipy import stats

from ssmverify.estimators import bootstrap_mean_ci, proportion_ci


@pytest.mark.parametrize("x,n", [(0, 10), (3, 20), (10, 10), (47, 1000), (1, 1), (500, 1000)])
@pytest.mark.parametrize("method,scipy_method", [("clopper-pearson", "exact"), ("wilson", "wilson")])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.999])
def test_proportion_ci_matches_binomtest(x, n, method, scipy_method, confidence):
    ref = stats.binomtest(x, n).proportion_ci(confidence_level=confidence, method=scipy_method)
    got = proportion_ci(x, n, confidence, method=method)
    # Both evaluate the same closed form / beta quantile in float64.
    assert got.low == pytest.approx(ref.low, rel=1e-9, abs=1e-14)
    assert got.high == pytest.approx(ref.high, rel=1e-9, abs=1e-14)
    assert got.estimate == x / n and got.n == n and got.confidence == confidence


@pytest.mark.parametrize("method,scipy_method", [("bca", "BCa"), ("percentile", "percentile")])
def test_bootstrap_matches_scipy(method, scipy_method):
    x = np.random.default_rng(0).exponential(size=60)  # skewed on purpose
    b = 9999
    ours = [bootstrap_mean_ci(x, n_resamples=b, method=method, seed=s) for s in range(6)]
    ref = stats.bootstrap((x,), np.mean, n_resamples=b, method=scipy_method,
                          random_state=np.random.default_rng(123)).confidence_interval
    for attr, ref_val in (("low", ref.low), ("high", ref.high)):
        vals = np.array([getattr(c, attr) for c in ours])
        # Both are Monte Carlo estimates of the same endpoint.  Our spread over
        # 6 seeds estimates the per-run sd; the difference between our mean
        # and scipy's single run has sd * sqrt(1 + 1/6).  Allow 4 of those.
        sd = vals.std(ddof=1)
        assert abs(vals.mean() - ref_val) <= 4 * sd * math.sqrt(1 + 1 / 6)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_bootstrap_coverage_on_normal_samples(method):
    # For N(0, 1) samples of size n the bootstrap interval is close to
    # mean +- z s_pop / sqrt(n) (s_pop: sd with divisor n), whose exact coverage
    # is P(|T_{n-1}| <= z sqrt((n-1)/n)) -- slightly below nominal.  Observed
    # coverage over `reps` data sets must match that within 3 binomial SE.
    n, reps, conf = 40, 400, 0.95
    z = stats.norm.ppf(0.5 + conf / 2)
    expected = 2 * stats.t.cdf(z * math.sqrt((n - 1) / n), n - 1) - 1
    hits = 0
    for s in range(reps):
        x = np.random.default_rng(10_000 + s).standard_normal(n)
        ci = bootstrap_mean_ci(x, conf, n_resamples=999, method=method, seed=s)
        hits += ci.low <= 0.0 <= ci.high
    assert abs(hits / reps - expected) <= 3 * math.sqrt(expected * (1 - expected) / reps)


def test_bootstrap_reads_skew_and_degenerate_samples():
    # Right-skewed data: the interval reaches further above the mean than below.
    x = np.random.default_rng(1).lognormal(sigma=1.2, size=80)
    for method in ("percentile", "bca"):
        ci = bootstrap_mean_ci(x, method=method)
        assert ci.high - ci.estimate > ci.estimate - ci.low > 0
    ci = bootstrap_mean_ci([2.0] * 10)
    assert ci.low == ci.high == ci.estimate == 2.0
    # Reproducible by default.
    assert bootstrap_mean_ci(x) == bootstrap_mean_ci(x)
