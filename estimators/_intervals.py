"""Confidence intervals for means and ratios of means.

Every check in the toolkit reduces to one of two questions about Monte Carlo
samples: where does a mean lie relative to a bound, and where does a ratio of
two means lie relative to a bound.  The intervals here are the ones the
verdicts rest on, so they are kept small and exact about their assumptions:

* ``mean_ci``: Student-t interval for the mean of i.i.d. samples.
* ``fieller_ratio_ci``: Fieller's interval for ``E[a] / E[b]`` from paired
  samples.  It is the exact inversion of the t-test of ``E[a - r b] = 0``, so
  "the bound ``r`` lies above the interval" is the same event as "the t-test
  says ``E[a] - r E[b] < 0``" -- the ratio that is reported and the linear
  test that decides can never disagree.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import stats

__all__ = ["ConfidenceInterval", "mean_ci", "fieller_ratio_ci"]


class ConfidenceInterval(NamedTuple):
    """A point estimate with a two-sided interval at level ``confidence``."""

    estimate: float
    low: float
    high: float
    confidence: float
    n: int


def _check_confidence(confidence: float) -> float:
    confidence = float(confidence)
    if not (0.0 < confidence < 1.0):
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    return confidence


def _as_samples(name: str, x) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of samples, got shape {arr.shape}")
    if arr.size < 2:
        raise ValueError(f"{name} needs at least 2 samples, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains non-finite values (inf or NaN)")
    return arr


def mean_ci(samples, confidence: float = 0.95) -> ConfidenceInterval:
    """Student-t confidence interval for the mean of i.i.d. ``samples``.

    Samples with zero spread give the degenerate interval ``[mean, mean]``:
    the data are then a deterministic observation, not an estimate.
    """
    confidence = _check_confidence(confidence)
    x = _as_samples("samples", samples)
    n = x.size
    mean = float(np.mean(x))
    se = float(np.std(x, ddof=1)) / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * se
    return ConfidenceInterval(mean, mean - half, mean + half, confidence, n)


def fieller_ratio_ci(a, b, confidence: float = 0.95) -> ConfidenceInterval:
    """Fieller confidence interval for ``E[a] / E[b]`` from paired samples.

    The interval is the set of ``r`` for which the two-sided t-test of
    ``E[a - r b] = 0`` does not reject at level ``1 - confidence``.  When the
    denominator is not significantly different from zero that set is
    unbounded and ``(-inf, inf)`` is returned.  When both means are exactly
    zero the ratio is undefined and the estimate is NaN.
    """
    confidence = _check_confidence(confidence)
    a = _as_samples("a", a)
    b = _as_samples("b", b)
    if a.shape != b.shape:
        raise ValueError(f"a and b must be paired samples of equal length, got {a.size} and {b.size}")
    n = a.size
    ma, mb = float(np.mean(a)), float(np.mean(b))
    t = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1))
    estimate = ma / mb if mb != 0.0 else (math.nan if ma == 0.0 else math.copysign(math.inf, ma))
    if mb == 0.0:
        return ConfidenceInterval(estimate, -math.inf, math.inf, confidence, n)
    # The textbook quadratic (ā − r b̄)² = (t²/n)·Var(a − r b) loses everything to
    # cancellation when a ≈ r·b on every sample.  Its roots, rewritten with the
    # residual variances computed directly from the samples:
    #   r = [r̂ − g β ± (t / (|b̄|√n)) √(V_r − g V_β)] / (1 − g),
    # g = t² Var(b) / (n b̄²), β = Cov(a, b)/Var(b), V_r = Var(a − r̂ b), V_β = Var(a − β b).
    var_b = float(np.var(b, ddof=1))
    g = t * t * var_b / (n * mb * mb)
    if g >= 1.0:  # the denominator is not significantly different from zero
        return ConfidenceInterval(estimate, -math.inf, math.inf, confidence, n)
    v_r = float(np.var(a - estimate * b, ddof=1))
    if var_b > 0.0:
        beta = float(np.cov(a, b, ddof=1)[0, 1]) / var_b
        v_beta = float(np.var(a - beta * b, ddof=1))
    else:
        beta, v_beta = 0.0, v_r
    half = t / (abs(mb) * math.sqrt(n)) * math.sqrt(max(v_r - g * v_beta, 0.0))
    centre = estimate - g * beta
    return ConfidenceInterval(estimate, (centre - half) / (1.0 - g), (centre + half) / (1.0 - g), confidence, n)
