"""Kraskov-Stoegbauer-Grassberger (KSG) mutual-information estimator, algorithm 1.

Reference: A. Kraskov, H. Stoegbauer, P. Grassberger, "Estimating mutual
information", Phys. Rev. E 69, 066138 (2004), eq. (8):

    I = psi(k) + psi(N) - < psi(n_x + 1) + psi(n_y + 1) >,

with eps_i the max-norm distance from z_i = (x_i, y_i) to its k-th nearest
neighbour in the joint space and n_x(i), n_y(i) the numbers of other points
strictly closer than eps_i in the x and y marginals (max-norm there too).

Units: nats for ``base=None``, units of log(base) otherwise.
"""

from __future__ import annotations


import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

from ._validate import log_base, positive_int, real_array, real_scalar

__all__ = ["ksg_mutual_information"]


def _block(name: str, a) -> np.ndarray:
    arr = real_array(name, a, ndim=(1, 2))
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape[1] == 0:
        raise ValueError(f"{name} must have at least one column, got shape {arr.shape}")
    return arr


def _standardise(name: str, a: np.ndarray) -> np.ndarray:
    # Unit variance per column makes the max-norm weigh every coordinate
    # alike; KSG is not invariant to per-coordinate rescaling otherwise.
    sd = a.std(axis=0)
    bad = np.flatnonzero(sd == 0)
    if bad.size:
        raise ValueError(f"{name} has constant column(s) {bad.tolist()}: they carry no information, drop them")
    return (a - a.mean(axis=0)) / sd


def _window_hits(a: np.ndarray, radius: np.ndarray, w: int) -> np.ndarray:
    """For each i, how many j with |i - j| <= w (self included) lie within radius[i]."""
    n = a.shape[0]
    hits = np.ones(n, dtype=np.int64)  # self: distance 0 <= radius
    for off in range(1, w + 1):
        dist = np.max(np.abs(a[off:] - a[:-off]), axis=1)  # pairs (i, i + off)
        hits[:-off] += dist <= radius[:-off]
        hits[off:] += dist <= radius[off:]
    return hits


def _kth_distance(z: np.ndarray, tree: cKDTree, k: int, w: int) -> np.ndarray:
    """Max-norm distance to the k-th neighbour outside the window |i - j| <= w.

    At most 2w + 1 indices (self included) are excluded, so querying the
    k + 2w + 1 nearest points always leaves at least k admissible ones.
    """
    n = z.shape[0]
    kk = k + 2 * w + 1
    dist, idx = tree.query(z, k=kk, p=np.inf, workers=-1)
    if w == 0:
        return dist[:, k]  # column 0 is the point itself
    admissible = np.abs(idx - np.arange(n)[:, None]) > w
    # The k-th admissible entry of each row (rows are sorted by distance).
    pos = np.argmax(np.cumsum(admissible, axis=1) >= k, axis=1)
    return dist[np.arange(n), pos]


def ksg_mutual_information(
    x, y, k: int = 3, *, theiler: int = 0, thin: int = 1, jitter: float = 1e-10, seed=0, base=None
) -> float:
    """KSG (algorithm 1) estimate of I(X; Y) from paired samples.

    ``x``: (n, dx) or (n,), ``y``: (n, dy) or (n,), rows paired.

    Procedure: keep every ``thin``-th row; standardise every column to zero
    mean and unit variance (population sd); add ``jitter`` times i.i.d.
    standard normal noise drawn from ``numpy.random.default_rng(seed)`` (it
    breaks ties between repeated values; 1e-10 sd is far below any genuine
    neighbour distance; ``jitter=0`` skips it); then
    eps_i = max-norm distance to the k-th joint neighbour and n_x, n_y count
    marginal points at distance strictly below eps_i.  Strictness is exact:
    the ball query uses radius ``np.nextafter(eps_i, 0)`` on a closed ball.

    Theiler window (``theiler = w`` >= 0, in rows *after* thinning): for
    samples along one trajectory, a point's temporal neighbours |i - j| <= w
    are excluded both from the k-NN search (the tree is asked for k + 2w + 1
    neighbours and the window members are filtered out) and from the
    marginal counts (the tree counts everything in the ball; the window
    members inside it, found by direct distance evaluation over the 2w
    offsets, are subtracted).  w = 0 excludes only the point itself, which is
    plain KSG.  psi(N) becomes the mean of psi(m_i + 1), m_i = number of
    points outside i's window (N - 1 - 2w in the interior): for i.i.d. rows
    the window then only removes random candidates and does not shift the
    estimate (keeping psi(N) would add about log(N / (N - 2w))).

    Returns the raw estimate, which can be slightly negative for independent
    data (no clipping at 0), in nats (``base=None``) or units of log(base).
    """
    div = log_base(base)
    xa, ya = _block("x", x), _block("y", y)
    if xa.shape[0] != ya.shape[0]:
        raise ValueError(f"y must have as many rows as x ({xa.shape[0]}), got {ya.shape[0]}")
    k = positive_int("k", k)
    w = positive_int("theiler", theiler, minimum=0)
    step = positive_int("thin", thin)
    amp = real_scalar("jitter", jitter, nonneg=True)
    xa, ya = xa[::step], ya[::step]
    n = xa.shape[0]
    if n < k + 2 * w + 2:
        raise ValueError(
            f"x has {n} rows after thinning by {step}; need at least k + 2*theiler + 2 = {k + 2 * w + 2}"
        )
    xa, ya = _standardise("x", xa), _standardise("y", ya)
    if amp > 0:
        rng = np.random.default_rng(seed)
        xa = xa + amp * rng.standard_normal(xa.shape)
        ya = ya + amp * rng.standard_normal(ya.shape)
    z = np.hstack((xa, ya))
    eps = _kth_distance(z, cKDTree(z), k, w)
    radius = np.nextafter(eps, 0)
    counts = []
    for a in (xa, ya):
        inside = cKDTree(a).query_ball_point(a, radius, p=np.inf, return_length=True, workers=-1)
        counts.append(np.asarray(inside, dtype=np.int64) - _window_hits(a, radius, w))
    nx, ny = counts
    # psi(N) is psi(1 + number of candidate neighbours).  The window removes
    # up to 2w of them, so point i has m_i = N - 1 - (its window members)
    # candidates; keeping psi(N) would bias the estimate up by about
    # log(N / (N - 2w)) even for i.i.d. data.
    i = np.arange(n)
    m = n - 1 - np.minimum(i, w) - np.minimum(n - 1 - i, w)
    est = digamma(k) + float(np.mean(digamma(m + 1) - digamma(nx + 1) - digamma(ny + 1)))
    return float(est) / div
