"""Confidence interval for a binomial proportion (e.g. an empirical error rate)."""

from __future__ import annotations

import math
import numbers

from scipy import stats

from ._intervals import ConfidenceInterval, _check_confidence

__all__ = ["proportion_ci"]


def _count(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def proportion_ci(successes, n, confidence: float = 0.95, method: str = "clopper-pearson") -> ConfidenceInterval:
    """Two-sided interval for p from ``successes`` out of ``n`` Bernoulli trials.

    method="clopper-pearson": the exact interval (inverts two one-sided
    binomial tests; coverage >= confidence for every p, conservative).
    method="wilson": the score interval (coverage close to nominal on
    average, narrower).  The estimate is successes / n.
    """
    confidence = _check_confidence(confidence)
    n = _count("n", n, 1)
    x = _count("successes", successes, 0)
    if x > n:
        raise ValueError(f"successes must not exceed n ({n}), got {x}")
    alpha = 1.0 - confidence
    est = x / n
    if method == "clopper-pearson":
        low = 0.0 if x == 0 else float(stats.beta.ppf(alpha / 2.0, x, n - x + 1))
        high = 1.0 if x == n else float(stats.beta.ppf(1.0 - alpha / 2.0, x + 1, n - x))
    elif method == "wilson":
        z = float(stats.norm.ppf(1.0 - alpha / 2.0))
        z2 = z * z
        centre = (x + z2 / 2.0) / (n + z2)
        half = z * math.sqrt(x * (n - x) / n + z2 / 4.0) / (n + z2)
        low, high = max(0.0, centre - half), min(1.0, centre + half)
    else:
        raise ValueError(f"method must be 'clopper-pearson' or 'wilson', got {method!r}")
    return ConfidenceInterval(est, low, high, confidence, n)
