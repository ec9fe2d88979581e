"""Gaussian rate-distortion by reverse water-filling.

For a Gaussian vector with covariance eigenvalues lambda_i under squared-error
distortion (total, summed over components):

    R(D) = sum_i max(0, 1/2 log(lambda_i / theta)),   sum_i min(theta, lambda_i) = D.

Both directions are solved exactly: the level theta is piecewise a closed form
(linear in D, log-linear in R) between consecutive eigenvalues, so we locate
the piece and evaluate it -- no root finder, no tolerance.

Units: distortions are squared units of the source (a *total* over the
components, not per component); rates are nats for ``base=None``, units of
log(base) otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validate import covariance, log_base, real_scalar

__all__ = ["WaterFilling", "rate_distortion_gaussian", "distortion_rate_gaussian"]


@dataclass(frozen=True)
class WaterFilling:
    """Result of reverse water-filling.

    value:        R(D) for ``rate_distortion_gaussian`` (rate, in ``base`` units),
                  D(R) for ``distortion_rate_gaussian`` (total distortion).
    water_level:  theta, the per-component distortion of the active components.
    allocation:   how the *given budget* is split over components: distortions
                  min(theta, lambda_i) for R(D), rates max(0, 1/2 log(lambda_i/theta))
                  for D(R).  Both splits are also available as ``distortions``
                  and ``rates``.  Ordered like ``eigenvalues``.
    eigenvalues:  eigenvalues of ``cov``, descending.
    rate, distortion: the (D, R) point, whichever was given.
    base:         the rate unit (None = nats).
    """

    value: float
    water_level: float
    allocation: np.ndarray
    eigenvalues: np.ndarray
    distortions: np.ndarray
    rates: np.ndarray
    rate: float
    distortion: float
    base: float | None


def _eigenvalues(cov) -> np.ndarray:
    _, eig = covariance("cov", cov)
    return eig[::-1].copy()  # descending; already clipped at 0


def _result(eig, theta, div, base, given: str) -> WaterFilling:
    dist = np.minimum(theta, eig)
    with np.errstate(divide="ignore"):
        # Components with lambda_i <= theta cost no rate; theta = 0 makes every
        # positive component's rate infinite (D = 0 needs infinite rate).
        rates = np.where(eig > theta, 0.5 * (np.log(eig) - math.log(theta) if theta > 0 else np.inf), 0.0)
    rates = rates / div
    rate, distortion = float(rates.sum()), float(dist.sum())
    for a in (dist, rates, eig):
        a.setflags(write=False)
    value, alloc = (rate, dist) if given == "D" else (distortion, rates)
    return WaterFilling(value, float(theta), alloc, eig, dist, rates, rate, distortion, base)


def _level_for_distortion(eig_desc: np.ndarray, D: float) -> float:
    """theta with sum_i min(theta, lambda_i) = D, for 0 < D < trace."""
    lam = eig_desc[::-1]  # ascending
    n = lam.size
    below = np.concatenate(([0.0], np.cumsum(lam)))  # below[k] = sum of the k smallest
    # f(theta) at theta = lam[k] equals below[k] + (n - k) lam[k]; f increases,
    # so theta lies in [lam[k], lam[k+1]] for the last k with f(lam[k]) <= D.
    # There the k+1 smallest components are saturated (cost lam_i) and the
    # other n-k-1 cost theta each: D = below[k+1] + (n-k-1) theta.
    f_at = below[:n] + (n - np.arange(n)) * lam
    k = int(np.searchsorted(f_at, D, side="right")) - 1
    if k < 0:  # D < n lam_min: every component active, theta = D / n
        return float(D / n)
    if k >= n - 1:  # only reachable by rounding when D is a hair below the trace
        return float(lam[-1])
    return float((D - below[k + 1]) / (n - k - 1))


def rate_distortion_gaussian(cov, D, base=None) -> WaterFilling:
    """Gaussian R(D) by reverse water-filling; ``.value`` is the rate.

    ``cov``: scalar variance or PSD covariance matrix.  ``D``: total
    squared-error distortion, >= 0 (``inf`` allowed).
    Edge cases: D >= trace(cov) gives R = 0 with water level max(lambda) (no
    component is coded); D = 0 gives R = inf (water level 0), unless cov = 0.
    ``.allocation`` is the per-component distortion min(theta, lambda_i).
    """
    div = log_base(base)
    d = real_scalar("D", D, nonneg=True, allow_inf=True)
    eig = _eigenvalues(cov)
    trace = float(eig.sum())
    if d >= trace:
        theta = float(eig[0])
    elif d == 0.0:
        theta = 0.0
    else:
        theta = _level_for_distortion(eig, d)
    return _result(eig, theta, div, base, "D")


def distortion_rate_gaussian(cov, R, base=None) -> WaterFilling:
    """Gaussian D(R), the inverse of R(D); ``.value`` is the total distortion.

    ``R`` is in units of ``base`` (nats for None), >= 0 (``inf`` allowed).
    Edge cases: R = 0 gives D = trace(cov); R = inf gives D = 0.
    ``.allocation`` is the per-component rate max(0, 1/2 log(lambda_i/theta)).
    """
    div = log_base(base)
    r = real_scalar("R", R, nonneg=True, allow_inf=True) * div  # nats
    eig = _eigenvalues(cov)
    pos = eig[eig > 0.0]
    if r == 0.0 or pos.size == 0:
        theta = float(eig[0])
    elif math.isinf(r):
        theta = 0.0
    else:
        # With the m largest eigenvalues active, R = 1/2 sum_{i<m} log lambda_i
        # - (m/2) log theta, valid while lambda_{m+1} <= theta <= lambda_m.  R
        # decreases in theta, so the right m is the first whose closed-form
        # theta is not below the next eigenvalue (0 after the last positive).
        logs = np.log(pos)
        nxt = np.concatenate((pos[1:], [0.0]))
        theta = 0.0
        for m in range(1, pos.size + 1):
            theta = math.exp((float(logs[:m].sum()) - 2.0 * r) / m)
            if theta >= nxt[m - 1]:
                break
    return _result(eig, theta, div, base, "R")
