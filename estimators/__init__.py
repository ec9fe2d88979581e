"""Measurement: information, distances and confidence intervals (pure NumPy/SciPy).

Information quantities are in nats unless ``base=2`` (bits) is passed.
"""

from ._intervals import ConfidenceInterval, fieller_ratio_ci, mean_ci

__all__ = ["ConfidenceInterval", "fieller_ratio_ci", "mean_ci"]
