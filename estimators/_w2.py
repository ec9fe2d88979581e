"""2-Wasserstein distances: Gaussian closed form and exact empirical values.

Distances are in the units of the variables (not squared).  No optimal-
transport library is used: the Gaussian case is the Bures formula, the 1-D
empirical case is the quantile coupling, and the multivariate empirical case
with equal sample sizes is an assignment problem.

Range.  Non-finite input (inf or NaN anywhere) is refused with a ``ValueError``
naming the argument: the distance between laws of which a sample or a moment
overflowed is undefined, and the caller has to say so (e.g. "states
overflowed"), not receive a number.  Finite input of any magnitude is
accepted: W2 is homogeneous (W2 of the laws of cX and cY is c·W2), so inputs
whose squares would over- or underflow are rescaled by a power of two, which
is exact, and the distance is scaled back.  A distance beyond float64's range
comes back as ``inf`` (it is larger than any finite number), never as a
wrong finite value.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from ._numeric import psd_sqrt
from ._validate import covariance, real_array

__all__ = ["gaussian_w2", "empirical_w2", "EMPIRICAL_W2_MAX_N"]

# linear_sum_assignment is O(n^3) time and the cost matrix O(n^2) memory:
# n = 3000 takes a few seconds and 72 MB.  Larger multivariate samples are
# refused rather than silently subsampled, so a caller never gets a noisier
# number than it asked for without knowing; subsample explicitly instead.
EMPIRICAL_W2_MAX_N = 3000

# Inputs whose largest magnitude lies outside [2^-_SAFE_EXP, 2^_SAFE_EXP] are
# rescaled by a power of two before squaring (inside, nothing is rescaled and the
# results are bit-identical to the plain formulas).  2^400 squared is 2^800,
# far from overflow even after summing d·n terms.
_SAFE_EXP = 400


def _exponent(*arrays) -> int:
    """e such that the inputs divided by 2^e are O(1) when they need rescaling; 0 when they do not."""
    top = max((float(np.max(np.abs(a))) if np.size(a) else 0.0) for a in arrays)
    if top == 0.0 or 2.0 ** -_SAFE_EXP <= top <= 2.0 ** _SAFE_EXP:
        return 0
    return math.frexp(top)[1]


def _scale_back(value: float, e: int) -> float:
    """value · 2^e, inf when that exceeds float64's range (the true value does too)."""
    if e == 0 or value == 0.0 or not math.isfinite(value):
        return value
    try:
        return math.ldexp(value, e)
    except OverflowError:
        return math.inf


def gaussian_w2(mean1, cov1, mean2, cov2) -> float:
    """W2 between N(mean1, cov1) and N(mean2, cov2).

    W2^2 = |m1 - m2|^2 + tr C1 + tr C2 - 2 tr (C1^{1/2} C2 C1^{1/2})^{1/2}.
    Means may be scalars or vectors, covariances scalars (variances) or PSD
    matrices; singular covariances are fine.  Both square roots are taken
    with ``eigh`` and clipped eigenvalues, which is stable for PSD input.
    Rounding can make W2^2 a tiny negative number when the laws coincide; it
    is clipped to 0.  Non-finite means or covariances raise ``ValueError``;
    finite ones of any magnitude are rescaled (see the module docstring), and
    a distance beyond float64's range is returned as ``inf``.
    """
    m1 = real_array("mean1", mean1, ndim=(0, 1)).reshape(-1)
    m2 = real_array("mean2", mean2, ndim=(0, 1)).reshape(-1)
    if m1.shape != m2.shape:
        raise ValueError(f"mean2 must have the shape of mean1 {m1.shape}, got {m2.shape}")
    c1, _ = covariance("cov1", cov1, dim=m1.size)
    c2, _ = covariance("cov2", cov2, dim=m1.size)
    # Homogeneity: means scale by 2^-e and covariances by 4^-e (exact), W2 by 2^-e.
    e = _exponent(m1, m2, np.sqrt(np.max(np.abs(c1))), np.sqrt(np.max(np.abs(c2))))
    if e:
        m1, m2 = np.ldexp(m1, -e), np.ldexp(m2, -e)
        c1, c2 = np.ldexp(c1, -2 * e), np.ldexp(c2, -2 * e)
    r1 = psd_sqrt(c1)
    inner = r1 @ c2 @ r1
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(0.5 * (inner + inner.T)), 0.0, None)).sum()
    w2sq = float(np.sum((m1 - m2) ** 2) + np.trace(c1) + np.trace(c2) - 2.0 * cross)
    return _scale_back(math.sqrt(max(w2sq, 0.0)), e)


def _as_sample(name: str, a) -> np.ndarray:
    arr = real_array(name, a, ndim=(1, 2))
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must contain at least one point, got shape {arr.shape}")
    return arr


def _w2_1d(x: np.ndarray, y: np.ndarray) -> float:
    """Exact W2 between two 1-D empirical laws, any sizes (quantile coupling).

    W2^2 = int_0^1 |F^{-1}(u) - G^{-1}(u)|^2 du with both quantile functions
    piecewise constant.  Breakpoints i/n and j/m are handled as integers over
    the common denominator n*m, so the pieces are found exactly.
    """
    xs, ys = np.sort(x), np.sort(y)
    n, m = xs.size, ys.size
    if n == m:  # the common case: pair order statistics
        return math.sqrt(float(np.mean((xs - ys) ** 2)))
    cuts = np.union1d(np.arange(1, n + 1, dtype=np.int64) * m, np.arange(1, m + 1, dtype=np.int64) * n)
    widths = np.diff(np.concatenate(([0], cuts)))
    # On the piece ending at integer t (in units of 1/(nm)), F^{-1} takes the
    # value of order statistic ceil(t/m) - 1 and G^{-1} that of ceil(t/n) - 1.
    ix = (cuts + m - 1) // m - 1
    iy = (cuts + n - 1) // n - 1
    w2sq = float(np.sum(widths * (xs[ix] - ys[iy]) ** 2)) / float(n * m)
    return math.sqrt(w2sq)


def empirical_w2(x, y) -> float:
    """Exact W2 between the empirical (uniform-weight) laws of two samples.

    ``x`` and ``y`` are arrays of shape (n,) or (n, d), (m,) or (m, d).

    * d = 1: exact for any n and m, by sorting (the quantile coupling is
      optimal on the line).  O((n + m) log(n + m)).
    * d > 1: exact when n == m: with uniform weights an optimal plan is a
      permutation, found by ``scipy.optimize.linear_sum_assignment`` on the
      squared Euclidean costs.  Unequal sizes, or n above
      ``EMPIRICAL_W2_MAX_N`` (3000), raise ``ValueError``: the assignment is
      O(n^3); subsample explicitly (with your own seed) if you need more.

    Non-finite samples (inf or NaN, e.g. states that overflowed) raise
    ``ValueError`` ("x contains non-finite values"): test ``np.isfinite``
    first and report the overflow instead.  Finite samples of any magnitude
    are accepted (rescaled exactly by a power of two); a distance beyond
    float64's range is returned as ``inf``.
    """
    xa = _as_sample("x", x)
    ya = _as_sample("y", y)
    if xa.shape[1] != ya.shape[1]:
        raise ValueError(f"y must have the dimension of x ({xa.shape[1]}), got {ya.shape[1]}")
    # Homogeneity: rescale by a power of two (exact) when the squared costs could over- or underflow.
    e = _exponent(xa, ya)
    if e:
        xa, ya = np.ldexp(xa, -e), np.ldexp(ya, -e)
    if xa.shape[1] == 1:
        return _scale_back(_w2_1d(xa[:, 0], ya[:, 0]), e)
    if xa.shape[0] != ya.shape[0]:
        raise ValueError(
            f"y must have as many points as x in d > 1 ({xa.shape[0]}), got {ya.shape[0]}: "
            "the exact multivariate computation needs equal sizes"
        )
    if xa.shape[0] > EMPIRICAL_W2_MAX_N:
        raise ValueError(
            f"x has {xa.shape[0]} points, above the limit {EMPIRICAL_W2_MAX_N} for the exact "
            "O(n^3) assignment in d > 1; subsample both samples first"
        )
    cost = cdist(xa, ya, metric="sqeuclidean")
    rows, cols = linear_sum_assignment(cost)
    return _scale_back(math.sqrt(float(cost[rows, cols].mean())), e)
