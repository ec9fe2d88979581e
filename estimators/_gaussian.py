"""Closed forms for Gaussian vectors: entropy, mutual information, stationary law.

Units: entropies and informations are in nats for ``base=None`` and in units of
``log(base)`` otherwise (``base=2``: bits), as in ``scipy.stats.entropy``.
Covariances are in the squared units of the variables.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy import linalg

from ._validate import covariance, log_base, rank_tol, real_array

__all__ = ["gaussian_entropy", "gaussian_mutual_information", "stationary_covariance"]

# A canonical correlation rho with 1 - rho below this is treated as exactly 1
# (one block determines a linear function of the other) and the information is
# reported as inf.  Rounding in the whitening step perturbs rho by ~1e-15, so a
# true rho = 1 is computed as 1 - O(1e-15); 1e-12 clears that with margin.  The
# price is that finite informations above -1/2 log(2e-12) ~ 13.5 nats per
# canonical pair (signal-to-noise ratio ~ 1e12) also read as inf.
_RHO_ONE_TOL = 1e-12


def gaussian_entropy(cov, base=None) -> float:
    """Differential entropy of N(mu, cov): 1/2 log det(2 pi e cov).

    ``cov`` may be a scalar variance or a symmetric positive semidefinite
    matrix.  The log-determinant comes from ``numpy.linalg.slogdet``.  A
    singular covariance (an eigenvalue at or below NumPy's ``matrix_rank``
    tolerance) describes a distribution without a density on R^n, whose
    differential entropy is ``-inf``; that is what is returned.
    """
    div = log_base(base)
    c, eig = covariance("cov", cov)
    if eig[0] <= rank_tol(eig):
        return -math.inf
    sign, logdet = np.linalg.slogdet(c)
    if sign <= 0:  # cannot happen after the eigenvalue check; kept as a guard
        return -math.inf
    n = c.shape[0]
    return float(0.5 * (n * math.log(2.0 * math.pi * math.e) + logdet)) / div


def _indices(name: str, idx, n: int) -> np.ndarray:
    if isinstance(idx, numbers.Integral) and not isinstance(idx, bool):
        idx = [idx]
    arr = np.asarray(idx)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty list of indices, got {idx!r}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must contain integers, got dtype {arr.dtype}")
    if np.any(arr < 0) or np.any(arr >= n):
        raise ValueError(f"{name} has indices outside 0..{n - 1}: {arr.tolist()}")
    return arr.astype(np.intp)


def _range_basis(block: np.ndarray) -> np.ndarray:
    """Orthonormal basis (columns) of the range of a PSD block."""
    eig, vec = np.linalg.eigh(block)
    keep = eig > rank_tol(np.clip(eig, 0.0, None))
    return vec[:, keep], eig[keep]


def gaussian_mutual_information(cov, x_idx, y_idx, base=None) -> float:
    """I(X; Y) for a jointly Gaussian vector, X = v[x_idx], Y = v[y_idx].

    Computed as -1/2 sum log(1 - rho_i^2) over the canonical correlations rho_i
    of the two blocks, which equals 1/2 log(det C_X det C_Y / det C_XY) when all
    three are non-singular, but stays well defined when they are not:

    * Degenerate blocks.  A block whose covariance is singular -- e.g. it has a
      zero-variance (constant) coordinate -- is replaced by its coordinates in
      the range of its covariance; a constant coordinate is thereby dropped.
      This loses no information, since the block minus its mean lies in that
      range almost surely.  A block that is entirely constant gives I = 0.
    * Deterministic dependence.  If some non-constant linear function of X is
      a.s. equal to a linear function of Y (canonical correlation 1, e.g. Y is
      a deterministic linear function of X, or the index lists overlap) the
      joint covariance is singular and I(X; Y) = inf is returned.  Correlations
      within 1e-12 of 1 count as 1 (see ``_RHO_ONE_TOL``).

    Index lists may be any integer sequences (a single int is one index).
    Result in nats (``base=None``) or in units of log(base).
    """
    div = log_base(base)
    c, _ = covariance("cov", cov)
    n = c.shape[0]
    xi = _indices("x_idx", x_idx, n)
    yi = _indices("y_idx", y_idx, n)
    ux, lx = _range_basis(c[np.ix_(xi, xi)])
    uy, ly = _range_basis(c[np.ix_(yi, yi)])
    if lx.size == 0 or ly.size == 0:
        return 0.0
    # Whiten each reduced block; the singular values of the whitened
    # cross-covariance are the canonical correlations.
    wx = ux / np.sqrt(lx)
    wy = uy / np.sqrt(ly)
    cross = wx.T @ c[np.ix_(xi, yi)] @ wy
    rho = np.linalg.svd(cross, compute_uv=False)
    if rho.size and float(rho.max()) >= 1.0 - _RHO_ONE_TOL:
        return math.inf
    return float(-0.5 * np.sum(np.log1p(-(rho * rho)))) / div


def stationary_covariance(M, S) -> np.ndarray:
    """The covariance Sigma solving Sigma = M Sigma M^T + S.

    This is the stationary covariance of the linear recursion
    h_t = M h_{t-1} + noise with noise covariance ``S``.  ``M`` is a real
    square matrix (or scalar), ``S`` a PSD covariance of matching size (or a
    scalar variance).  A solution that is a covariance exists exactly when
    the spectral radius of ``M`` is below 1; otherwise a ``ValueError`` naming
    the spectral radius is raised.  Returns an (n, n) array (also for scalar
    inputs), solved by ``scipy.linalg.solve_discrete_lyapunov``.

    Range.  Non-finite ``M`` or ``S`` raise ``ValueError``.  Finite input of
    any magnitude is accepted: an ``M`` with entries beyond 2^500 (whose
    Kronecker system would overflow) is first balanced by a diagonal
    similarity of powers of two, T⁻¹MT (Sigma = T Sigma_B T), and ``S`` is
    scaled by a power of two (Sigma is linear in S); both are exact.  Entries
    of Sigma beyond float64's range are returned as ``inf``, never as a finite
    number.  If M stays too badly scaled after balancing, ``ValueError`` says so.
    """
    m = real_array("M", M, ndim=(0, 2))
    if m.ndim == 0:
        m = m.reshape(1, 1)
    if m.shape[0] != m.shape[1] or m.shape[0] == 0:
        raise ValueError(f"M must be a non-empty square matrix, got shape {m.shape}")
    s, _ = covariance("S", S, dim=m.shape[0])
    radius = float(np.max(np.abs(np.linalg.eigvals(m))))
    if radius >= 1.0:
        raise ValueError(
            f"M has spectral radius {radius:.6g} >= 1: the recursion Sigma = M Sigma M^T + S "
            "has no stationary covariance"
        )
    exps = None
    if float(np.max(np.abs(m))) > 2.0 ** 500:
        # Sigma = T Sigma_B T with Sigma_B the solution for B = T⁻¹ M T and S_B = T⁻¹ S T⁻¹, T = diag(2^k).
        with np.errstate(invalid="ignore"):   # scipy casts its (unused) permutation with a NaN inside
            _, (t, _) = linalg.matrix_balance(m, permute=False, separate=True)
        exps = np.frexp(t)[1] - 1                                  # t = 2^exps exactly
        m = np.ldexp(m, exps[None, :] - exps[:, None])
        with np.errstate(over="ignore", under="ignore"):
            s = np.ldexp(s, -(exps[:, None] + exps[None, :]))
        if not (float(np.max(np.abs(m))) <= 2.0 ** 500 and np.all(np.isfinite(s))):
            raise ValueError("M is too badly scaled for a Lyapunov solve in float64 (entries beyond 2^500 "
                             "remain after diagonal balancing): the stationary covariance cannot be computed")
    # Sigma is linear in S: solve for S / 4^e (exact) and scale back, so an S near the float64 maximum
    # does not overflow inside the solver; entries of Sigma beyond float64's range come back as inf.
    top = float(np.max(np.abs(s)))
    e = math.frexp(math.sqrt(top))[1] if top > 2.0 ** 800 or 0.0 < top < 2.0 ** -800 else 0
    sigma = linalg.solve_discrete_lyapunov(m, np.ldexp(s, -2 * e) if e else s)
    sigma = 0.5 * sigma + 0.5 * sigma.T
    with np.errstate(over="ignore"):
        if e:
            sigma = np.ldexp(sigma, 2 * e)
        if exps is not None:
            sigma = np.ldexp(sigma, exps[:, None] + exps[None, :])
    return sigma
