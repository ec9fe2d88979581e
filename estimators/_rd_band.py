"""A certified Blahut–Arimoto band around the rate-distortion function of a Gaussian vector source.

The Gaussian source N(0, diag(λ)) (any Gaussian vector in its eigenbasis: squared error is invariant
under rotations, and the mean does not matter) is cut into a product grid of centroid cells
(:func:`discretise_gaussian`, one 1-D grid per component).  Its components are independent, so
Blahut–Arimoto (BA) on the product grid at a common slope β factorises exactly into 1-D BA runs (the
iteration keeps product form from the uniform start); rates, distortions and the dual bounds add.
For each water level θ (slope β = 1/(2θ)), :func:`gaussian_rate_distortion_band` returns two
deterministic inequalities about the Gaussian R(D):

* upper side: the BA channel applied to the centroid-quantised source serves the continuous source at
  distortion D' + ε (Pythagoras, ε = Σ_i ε_i the exact quantisation error) with rate ≤ I(p, Q):
  R(D' + ε) ≤ R_BA;
* lower side: the Gaussian test channel at level θ, fed with a draw of h given its cell, serves the
  discrete source at distortion D(θ) + Σ_i ε_i(1 − 2θ_i/λ_i) (θ_i = min(θ, λ_i); the cross term is
  exact because E[h − Y | h] = (θ_i/λ_i) h per component) with rate ≤ R(D(θ)); Csiszár's dual bound
  for the discrete source (:func:`csiszar_lower_line`), with its supremum over every real
  reproduction certified on a fine grid, then gives R(D(θ)) ≥ L_β(D(θ) + shift).

Nothing is tuned; an unconverged BA run only widens the band (its rate and dual bound are valid at
any iteration).

Units: distortions in the squared units of the source (totals over the components); rates in nats
for ``base=None``, units of log(base) otherwise (``base=2``: bits); slopes β in nats per unit of
distortion whatever ``base``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from ._blahut import blahut_arimoto
from ._numeric import logsumexp
from ._rate_distortion import rate_distortion_gaussian
from ._validate import log_base, log_in, positive_int, real_array, real_scalar

__all__ = ["GaussianDiscretisation", "RateDistortionBand", "RateDistortionBandPoint", "csiszar_lower_line",
           "discretise_gaussian", "gaussian_rate_distortion_band"]


@dataclass(frozen=True)
class GaussianDiscretisation:
    """One component N(0, λ) cut into cells of width δ on [−Lσ, Lσ] (two unbounded end cells).

    ``points``: the cell centroids E[u | cell] (the discrete source's letters);
    ``pmf``: the cell probabilities; ``eps`` = E(u − q(u))² = λ − Σ_k p_k c_k²,
    exact (squared units of u); ``grid``: the cell centres, used as the reproduction alphabet;
    ``step``: δ (units of u).
    """

    variance: float
    step: float
    points: np.ndarray
    pmf: np.ndarray
    eps: float
    grid: np.ndarray


def discretise_gaussian(variance, per_sd, half_width) -> GaussianDiscretisation:
    """Centroid quantisation of N(0, λ = ``variance``) with step σ/``per_sd`` on ±``half_width``·σ (exact moments).

    Why centroids.  With q(u) = E[u | cell], the cross term E⟨u − q(u), q(u) − y⟩
    vanishes for every y that depends on u only through q(u), so a channel for
    the discrete source with distortion D' serves the continuous source with
    distortion exactly D' + ε (Pythagoras) and the same or lower rate.
    Points, grid and step are in the units of u, ``eps`` in its squared units.
    """
    lam = real_scalar("variance", variance)
    if lam <= 0.0:
        raise ValueError(f"variance must be positive, got {lam!r}")
    per_sd = positive_int("per_sd", per_sd)
    half_width = real_scalar("half_width", half_width)
    if half_width <= 0.0:
        raise ValueError(f"half_width must be positive, got {half_width!r}")
    sigma = math.sqrt(lam)
    k = int(math.ceil(half_width * per_sd))
    centres = np.arange(-k, k + 1) / per_sd                       # in units of σ
    inner = 0.5 * (centres[:-1] + centres[1:])
    a = np.concatenate(([-np.inf], inner))
    b = np.concatenate((inner, [np.inf]))
    # Cell masses, from the nearer tail for accuracy.
    left = b <= 0
    pmf = np.where(left, special.ndtr(b) - special.ndtr(a), special.ndtr(-a) - special.ndtr(-b))
    phi = lambda z: np.where(np.isfinite(z), np.exp(-0.5 * np.square(np.where(np.isfinite(z), z, 0.0))),  # noqa: E731
                             0.0) / math.sqrt(2 * math.pi)
    centroid = (phi(a) - phi(b)) / pmf                            # E[z | a < z < b], z standard normal
    points = sigma * centroid
    eps = float(lam - np.dot(pmf, points ** 2))
    return GaussianDiscretisation(lam, sigma / per_sd, points, pmf, max(eps, 0.0), sigma * centres)


def csiszar_lower_line(disc: GaussianDiscretisation, q, beta, refine: int = 16) -> tuple[float, float]:
    """Csiszár's dual bound for the discrete source ``disc`` with *unrestricted* (real) reproduction.

    For any output pmf q on the grid, with Z(x) = Σ_j q_j e^{−β(x−y_j)²},
    w(x) = p(x)/Z(x) and c(y) = Σ_x w(x) e^{−β(x−y)²}: for every D,
    R_disc(D) ≥ −Σ_x p log Z(x) − log C* − βD whenever C* ≥ sup_{y∈ℝ} c(y).
    c decreases outside [min x, max x]; inside, c is evaluated on a grid of
    spacing h = δ/refine, and |c''| ≤ 2β Σ_x w(x) with c' = 0 at an interior
    maximum, so sup c ≤ max_grid c + β h² Σ_x w / 4.
    Returns (intercept, log C*), in nats, with the line D ↦ intercept − log C* − βD (β in nats per
    squared unit of the source).
    """
    x, p = disc.points, disc.pmf
    dmat = (x[:, None] - disc.grid[None, :]) ** 2
    with np.errstate(divide="ignore"):
        logq = np.log(np.asarray(q, float))
    logz = logsumexp(-beta * dmat + logq[None, :], axis=1, overwrite=True)
    logw = np.log(p) - logz
    n_fine = int(math.ceil((x.max() - x.min()) / (disc.step / refine))) + 1
    fine = np.linspace(x.min(), x.max(), n_fine)        # both ends included, spacing ≤ δ/refine
    h = (x.max() - x.min()) / max(n_fine - 1, 1)
    logc = logsumexp(-beta * (x[None, :] - fine[:, None]) ** 2 + logw[None, :], axis=1, overwrite=True)
    total_w = float(np.exp(logsumexp(logw, axis=0)))
    c_star = float(np.exp(logc.max())) + beta * h * h * total_w / 4.0
    intercept = -float(np.dot(p, logz))
    return intercept, math.log(c_star)


@dataclass(frozen=True)
class RateDistortionBandPoint:
    """The band at one water level θ.  Rates in ``base`` units, distortions in squared source units.

    theta, beta:        water level θ and slope β = 1/(2θ) (nats per unit of distortion).
    distortion:         D', the BA channels' distortion on the discrete source (sum over components).
    rate_upper:         R_BA = Σ I(p, Q) ≥ R_disc(D') (BA's achievable rate).
    rate_lower_grid:    BA's certified lower bound on R_disc(D') with the reproduction restricted to the grid.
    eps, shift:         ε = Σ ε_i and the lower side's shift Σ ε_i (1 − 2θ_i/λ_i).
    upper_distortion:   D' + ε, where R(D' + ε) ≤ ``rate_upper`` (upper side).
    upper_rate:         the Gaussian R(D' + ε) in closed form (reverse water-filling), to compare.
    lower_distortion:   D(θ) = Σ min(θ, λ_i).
    lower_rate:         the Gaussian R(D(θ)) = Σ max(0, ½ log(λ_i/θ)) in closed form, to compare.
    lower_bound:        L_β(D(θ) + shift) ≤ R(D(θ)) (lower side).
    """

    theta: float
    beta: float
    distortion: float
    rate_upper: float
    rate_lower_grid: float
    eps: float
    shift: float
    upper_distortion: float
    upper_rate: float
    lower_distortion: float
    lower_rate: float
    lower_bound: float


@dataclass(frozen=True)
class RateDistortionBand:
    """:func:`gaussian_rate_distortion_band`'s result: the band at each θ, and the grids it used."""

    eigenvalues: np.ndarray
    discretisations: tuple[GaussianDiscretisation, ...]
    points: tuple[RateDistortionBandPoint, ...]
    per_sd: int
    half_width: float
    max_iter: int
    base: float | None


def gaussian_rate_distortion_band(eigenvalues, thetas, *, per_sd=8, half_width=6.0, max_iter=100, tol=1e-9,
                                  base=None) -> RateDistortionBand:
    """Certified band around R(D) of N(0, diag(``eigenvalues``)) at each water level in ``thetas``.

    ``eigenvalues``: the positive variances λ_i of the independent components (squared units);
    ``thetas``: water levels θ > 0 (squared units); each component is cut by
    :func:`discretise_gaussian` with step σ_i/``per_sd`` on ±``half_width``·σ_i, and BA runs at most
    ``max_iter`` iterations per component (stopping at the Blahut gap ``tol``, in ``base`` units).
    Returns a :class:`RateDistortionBand`; at each θ, the Gaussian curve must satisfy
    ``upper_rate`` ≤ ``rate_upper`` and ``lower_rate`` ≥ ``lower_bound`` (see the module docstring).
    Rates in nats for ``base=None``, units of log(base) otherwise (``base=2``: bits).
    """
    div = log_base(base)
    lams = real_array("eigenvalues", eigenvalues, ndim=1)
    if lams.size == 0 or np.any(lams <= 0.0):
        raise ValueError(f"eigenvalues must be a non-empty array of positive variances, got {lams!r}")
    levels = real_array("thetas", thetas, ndim=(0, 1)).reshape(-1)
    if np.any(levels <= 0.0):
        raise ValueError(f"thetas must be positive water levels, got min {levels.min():.3g}")
    iters = positive_int("max_iter", max_iter)
    discs = tuple(discretise_gaussian(float(lam), per_sd, half_width) for lam in lams)
    dmats = [(dz.points[:, None] - dz.grid[None, :]) ** 2 for dz in discs]
    points = []
    for theta in levels:
        theta = float(theta)
        beta = 1.0 / (2.0 * theta)
        D_ba = R_up = R_low_grid = intercept = logc = 0.0
        shift = 0.0
        for dz, dm in zip(discs, dmats):
            r = blahut_arimoto(dz.pmf, dm, beta, tol=tol, max_iter=iters, base=base)
            D_ba += r.distortion
            R_up += r.rate_upper
            R_low_grid += r.rate_lower
            a, lc = csiszar_lower_line(dz, np.asarray(r.output_pmf), beta)
            intercept += a
            logc += lc
            th_i = min(theta, dz.variance)
            shift += dz.eps * (1.0 - 2.0 * th_i / dz.variance)
        eps = float(sum(dz.eps for dz in discs))
        D_theta = float(np.minimum(theta, lams).sum())
        R_theta = float(np.maximum(0.0, 0.5 * log_in(lams / theta, base)).sum())
        lower_line = (intercept - logc - beta * (D_theta + shift)) / div
        points.append(RateDistortionBandPoint(
            theta=theta, beta=beta, distortion=D_ba, rate_upper=R_up, rate_lower_grid=R_low_grid, eps=eps,
            shift=shift, upper_distortion=D_ba + eps,
            upper_rate=rate_distortion_gaussian(np.diag(lams), D_ba + eps, base=base).value,
            lower_distortion=D_theta, lower_rate=R_theta, lower_bound=lower_line))
    lams.setflags(write=False)
    return RateDistortionBand(lams, discs, tuple(points), int(per_sd), float(half_width), iters, base)
