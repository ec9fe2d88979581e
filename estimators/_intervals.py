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

import functools
import math
from typing import NamedTuple

import numpy as np
from scipy import stats

__all__ = ["ConfidenceInterval", "mean_ci", "fieller_ratio_ci", "fieller_ratio_ci_many", "skew_robust_mean_bounds"]


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
    est, lo, hi = fieller_ratio_ci_many(a[:, None], b[:, None], confidence)
    return ConfidenceInterval(float(est[0]), float(lo[0]), float(hi[0]), confidence, a.size)


def fieller_ratio_ci_many(a, b, confidence: float = 0.95):
    """Fieller intervals for E[a_j] / E[b_j], one per column of paired samples a, b of shape (n, k).

    Returns (estimates, lows, highs), each of shape (k,).  Columns are assumed
    finite (the caller screens them).  The textbook quadratic
    (ā − r b̄)² = (t²/n)·Var(a − r b) loses everything to cancellation when
    a ≈ r·b on every sample; its roots are computed here from residual
    variances taken directly from the samples:
        r = [r̂ − g β ± (t / (|b̄|√n)) √(V_r − g V_β)] / (1 − g),
    g = t² Var(b) / (n b̄²), β = Cov(a, b)/Var(b), V_r = Var(a − r̂ b), V_β = Var(a − β b).
    """
    confidence = _check_confidence(confidence)
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or a.shape != b.shape or a.shape[0] < 2:
        raise ValueError(f"a and b must be paired (n, k) sample arrays with n >= 2, got {a.shape} and {b.shape}")
    n = a.shape[0]
    t = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1))
    ma, mb = a.mean(axis=0), b.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(mb != 0.0, ma / np.where(mb != 0.0, mb, 1.0), np.where(ma == 0.0, np.nan, np.sign(ma) * np.inf))
        var_b = b.var(axis=0, ddof=1)
        g = np.where(mb != 0.0, t * t * var_b / (n * mb * mb), np.inf)
        safe_est = np.where(np.isfinite(est), est, 0.0)
        v_r = (a - safe_est * b).var(axis=0, ddof=1)
        cov_ab = ((a - ma) * (b - mb)).sum(axis=0) / (n - 1)
        beta = np.where(var_b > 0.0, cov_ab / np.where(var_b > 0.0, var_b, 1.0), 0.0)
        v_beta = np.where(var_b > 0.0, (a - beta * b).var(axis=0, ddof=1), v_r)
        half = t / (np.abs(mb) * math.sqrt(n)) * np.sqrt(np.maximum(v_r - g * v_beta, 0.0))
        centre = est - g * beta
        lo = (centre - half) / (1.0 - g)
        hi = (centre + half) / (1.0 - g)
    bounded = g < 1.0
    return est, np.where(bounded, lo, -np.inf), np.where(bounded, hi, np.inf)


def _hall_theta(v, skew, n):
    """Inverse of Hall's (1992) skewness-removing transformation g(θ) = θ + aθ² + a²θ³/3 + γ/(6n), a = γ/3.

    g is increasing on the whole line (g'(θ) = (1 + aθ)²), so the inverse is unique:
    θ = 3u / (c² + c + 1) with u = v − γ/(6n), c = ∛(1 + 3a·u) — the form that stays
    accurate as a → 0, where g is the identity.
    """
    a = skew / 3.0
    u = v - skew / (6.0 * n)
    c = np.cbrt(1.0 + 3.0 * a * u)
    return 3.0 * u / (c * c + c + 1.0)


@functools.lru_cache(maxsize=256)
def _t_quantile(level: float, dof: int) -> float:
    """t_{dof, 1−level} (the same few levels and sample sizes recur across a run's rows)."""
    return float(stats.t.isf(level, dof))


def skew_robust_mean_bounds(y, level: float):
    """One-sided confidence bounds for E[y], each side at error ``level``, robust to skewness.

    ``y`` has shape (n,) or (n, k) (columns are separate samples).  Each bound is
    the more conservative of two: the Student-t bound, and the bound from Hall's
    skewness-corrected statistic T = √n·g((ȳ − μ)/s), whose one-sided error is
    O(1/n) rather than O(1/√n).  For a left-skewed y the t bound alone fails
    (it rejects too often on the side where its tail is heavy); for symmetric
    heavy tails the Hall bound alone does, because the skewness estimate is noisy.
    Taking the union of the two intervals keeps the error at or below ``level``
    over the shapes the toolkit's calibration measures (``ssmverify calibrate``).
    Both use the Student-t quantile t_{n−1, 1−level}.

    Returns (mean, lower, upper, standard error, sample skewness), arrays of shape (k,)
    (or floats for 1-D input).  Zero-spread columns give lower = upper = mean.
    """
    arr = np.asarray(y, dtype=np.float64)
    one = arr.ndim == 1
    if one:
        arr = arr[:, None]
    n = arr.shape[0]
    if n < 2:
        raise ValueError(f"y needs at least 2 samples, got {n}")
    if not (0.0 < level < 0.5):
        raise ValueError(f"level must lie in (0, 0.5), got {level!r}")
    q = _t_quantile(level, n - 1)
    mean = arr.mean(axis=0)
    dev = arr - mean
    sd = np.sqrt((dev * dev).sum(axis=0) / (n - 1))
    se = sd / math.sqrt(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Standardised first, so huge deviations (a chain that doubles for 200 steps) do not overflow dev³.
        z = dev / np.where(sd > 0.0, sd, 1.0)
        skew = np.where(sd > 0.0, (z * z * z).mean(axis=0), 0.0)   # z·z·z: NumPy's z**3 is a slow pow()
    v = q / math.sqrt(n)
    lo_hall = mean - sd * _hall_theta(v, skew, n)
    hi_hall = mean - sd * _hall_theta(-v, skew, n)
    lower = np.minimum(mean - q * se, lo_hall)
    upper = np.maximum(mean + q * se, hi_hall)
    out = (mean, lower, upper, se, skew)
    return tuple(float(a[0]) for a in out) if one else out
