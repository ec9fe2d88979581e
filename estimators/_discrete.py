"""Entropy of a discrete law from counts (plug-in, optionally bias-corrected).

Units: nats for ``base=None``, units of log(base) otherwise (``base=2``: bits).
"""

from __future__ import annotations

import numpy as np
from scipy.special import entr

from ._validate import log_base, real_array

__all__ = ["discrete_entropy"]

_CORRECTIONS = (None, "miller-madow")


def discrete_entropy(counts, base=None, correction=None) -> float:
    """Plug-in entropy -sum p log p of the empirical law p = counts / N.

    ``counts``: 1-D array of non-negative occurrence counts (need not be
    integers, but the Miller-Madow term only means something for counts).
    ``correction="miller-madow"`` adds (K - 1) / (2N) nats, K = number of
    non-zero counts, N = total count: the first-order bias of the plug-in
    estimator, which underestimates H for small N.  (Passing a pmf instead of
    counts gives the right plug-in value but a meaningless correction, N = 1.)
    """
    div = log_base(base)
    if correction not in _CORRECTIONS:
        raise ValueError(f"correction must be one of {_CORRECTIONS}, got {correction!r}")
    c = real_array("counts", counts, ndim=1)
    if c.size == 0:
        raise ValueError("counts must not be empty")
    if np.any(c < 0):
        raise ValueError(f"counts must be non-negative (min {c.min():.3g})")
    total = float(c.sum())
    if total <= 0:
        raise ValueError("counts must have a positive total")
    h = float(np.sum(entr(c / total)))  # entr(0) = 0, so empty cells drop out
    if correction == "miller-madow":
        h += (np.count_nonzero(c) - 1) / (2.0 * total)
    return h / div
