"""Entropies of discrete laws: from counts, from samples of cell indices, and of a quantised Gaussian.

* :func:`discrete_entropy`: plug-in entropy of counts (optionally Miller–Madow corrected);
* :func:`entropy_terms_bits`: the per-sample terms −log₂ p̂(cell_i) of the plug-in entropy of samples
  of (multi-dimensional) integer cells, whose mean is the plug-in entropy: a Monte Carlo estimate
  with a confidence interval of the mean;
* :func:`quantised_gaussian_entropy`: H(round(u/Δ)) for u ~ N(mean, sd²), exactly.

Units: nats for ``base=None``, units of log(base) otherwise (``base=2``: bits); functions whose name
says bits return bits.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special
from scipy.special import entr

from ._validate import log_base, real_array, real_scalar

__all__ = ["discrete_entropy", "entropy_terms_bits", "quantised_gaussian_entropy"]

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


def _cell_keys(cells: np.ndarray) -> np.ndarray:
    """One integer per row of integer cell indices (mixed radix over the observed ranges)."""
    lo = cells.min(axis=0)
    span = cells.max(axis=0) - lo + 1
    if float(np.prod(span.astype(float))) >= 2.0 ** 62:
        return np.unique(cells, axis=0, return_inverse=True)[1].reshape(-1)
    key = np.zeros(cells.shape[0], np.int64)
    for j in range(cells.shape[1]):
        key = key * int(span[j]) + (cells[:, j] - lo[j])
    return key


def entropy_terms_bits(cells) -> tuple[np.ndarray, float, int]:
    """Per-sample plug-in entropy terms of samples of integer cells, in bits.

    ``cells``: (n, d) integer array, one row per sample (the cell index of each coordinate).  With
    p̂ the empirical law of the rows, returns ``(terms, miller_madow, occupied)``:
    ``terms[i]`` = −log₂ p̂(cells_i) (bits), whose mean is the plug-in entropy −Σ p̂ log₂ p̂;
    ``miller_madow`` = (K − 1)/(2n ln 2) bits, the first-order bias correction to add to that mean
    (K the number of occupied cells); ``occupied`` = K.  Rows are told apart exactly (integer keys),
    whatever the range of the indices.
    """
    cells = np.asarray(cells)
    if cells.ndim != 2 or cells.shape[0] == 0 or not np.issubdtype(cells.dtype, np.integer):
        raise ValueError(f"cells must be a non-empty (n, d) integer array, got shape {cells.shape} of {cells.dtype}")
    _, inverse, counts = np.unique(_cell_keys(cells), return_inverse=True, return_counts=True)
    n = cells.shape[0]
    terms = -np.log2(counts[inverse.reshape(-1)] / n)
    return terms, (counts.size - 1) / (2.0 * n * math.log(2.0)), int(counts.size)


def quantised_gaussian_entropy(mean, sd, step, base=None) -> np.ndarray:
    """H(round(u/Δ)) for u ~ N(mean_i, sd²), one value per entry of ``mean``, exactly.

    ``mean``: array of means (state units); ``sd`` >= 0 and ``step`` = Δ > 0 in the same units.  The
    cells are [(k − ½)Δ, (k + ½)Δ); their probabilities are computed from the nearer normal tail, over
    the cells within ±9 sd of each mean (the rest carry < 1e-18 of the mass).  sd = 0 gives 0 (u is
    the constant mean).  Nats for ``base=None``, units of log(base) otherwise (``base=2``: bits).
    """
    div = log_base(base)
    mean = real_array("mean", mean, ndim=1)
    sd = real_scalar("sd", sd, nonneg=True)
    step = real_scalar("step", step)
    if step <= 0.0:
        raise ValueError(f"step must be positive, got {step!r}")
    if sd <= 0.0:
        return np.zeros_like(mean)
    half = int(math.ceil(9.0 * sd / step)) + 1       # cells beyond ±9 sd carry < 1e-18 of the mass
    k = np.round(mean / step)[:, None] + np.arange(-half, half + 1)[None, :]
    hi = ((k + 0.5) * step - mean[:, None]) / sd
    lo = ((k - 0.5) * step - mean[:, None]) / sd
    p = np.where(lo > 0, special.ndtr(-lo) - special.ndtr(-hi), special.ndtr(hi) - special.ndtr(lo))
    p = np.clip(p, 0.0, None)
    return special.entr(p).sum(axis=1) / div
