"""Input checks and unit conversion shared by the estimators.

Every check raises ``ValueError`` whose message starts with the name of the
offending argument and says what is wrong with it, so a failing verification
run points at the input, not at a traceback deep inside a linear solve.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

# Relative tolerances for "symmetric" and "positive semidefinite".  Covariances
# that reach us were usually computed (products, Lyapunov solves, np.cov), so
# they carry rounding of order 1e-16 relative to their largest entry; 1e-10
# leaves six orders of margin for that while still catching real asymmetry
# (e.g. a transposed block) or a genuinely negative direction.
SYMMETRY_RTOL = 1e-10
PSD_RTOL = 1e-10

# Probabilities must sum to one within this absolute tolerance (a pmf built in
# float64 from a few thousand terms is off by far less).
PMF_ATOL = 1e-9


def log_base(base) -> float:
    """Natural log of ``base`` (1.0 for ``base=None``, i.e. results in nats)."""
    if base is None:
        return 1.0
    if isinstance(base, bool) or not isinstance(base, numbers.Real):
        raise ValueError(f"base must be None (nats) or a positive real number other than 1, got {base!r}")
    b = float(base)
    if not (math.isfinite(b) and b > 0.0 and b != 1.0):
        raise ValueError(f"base must be None (nats) or a positive real number other than 1, got {base!r}")
    return math.log(b)


def log_in(x, base) -> np.ndarray:
    """log(x) in the units of ``base`` (nats for None); ``np.log2`` for base 2, so that powers of two
    give exact bits (p = 1/2 is exactly 1 bit), which log(x)/log(2) does not always do."""
    if base is not None and not isinstance(base, bool) and isinstance(base, numbers.Real) and float(base) == 2.0:
        return np.log2(x)
    return np.log(x) / log_base(base)


def real_scalar(name: str, value, *, nonneg: bool = False, allow_inf: bool = False) -> float:
    """A real number, optionally required to be >= 0 and/or finite."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        arr = np.asarray(value)
        if arr.ndim != 0 or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            raise ValueError(f"{name} must be a real scalar, got {value!r}")
        value = arr.item()
    v = float(value)
    if math.isnan(v):
        raise ValueError(f"{name} must not be NaN")
    if math.isinf(v) and not (allow_inf and v > 0):
        raise ValueError(f"{name} must be finite, got {v!r}")
    if nonneg and v < 0.0:
        raise ValueError(f"{name} must be non-negative, got {v!r}")
    return v


def positive_int(name: str, value, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def real_array(name: str, a, *, ndim=None) -> np.ndarray:
    """A finite real float64 array, optionally of a given number of dimensions."""
    arr = np.asarray(a)
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real, got a complex array")
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if ndim is not None and arr.ndim not in (ndim if isinstance(ndim, tuple) else (ndim,)):
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains non-finite values (inf or NaN)")
    return arr


def covariance(name: str, cov, *, dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Validate a covariance matrix; return ``(symmetrised cov, eigenvalues)``.

    A scalar is read as a 1x1 covariance (a variance).  Eigenvalues are
    ascending and small negative rounding (within ``PSD_RTOL``) is clipped to 0.
    """
    c = real_array(name, cov, ndim=(0, 2))
    if c.ndim == 0:
        c = c.reshape(1, 1)
    if c.shape[0] != c.shape[1] or c.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {c.shape}")
    if dim is not None and c.shape[0] != dim:
        raise ValueError(f"{name} must be {dim}x{dim} to match the other inputs, got shape {c.shape}")
    scale = float(np.max(np.abs(c)))
    asym = float(np.max(np.abs(c - c.T)))
    if asym > SYMMETRY_RTOL * scale:
        raise ValueError(f"{name} must be symmetric (max |C - C^T| = {asym:.3g}, largest entry {scale:.3g})")
    c = 0.5 * c + 0.5 * c.T  # halve first: entries near the float64 maximum must not overflow to inf
    eig = np.linalg.eigvalsh(c)
    if eig[0] < -PSD_RTOL * max(scale, np.finfo(float).tiny):
        raise ValueError(f"{name} must be positive semidefinite (smallest eigenvalue {eig[0]:.3g})")
    return c, np.clip(eig, 0.0, None)


def rank_tol(eig: np.ndarray) -> float:
    """Eigenvalues at or below this count as zero (NumPy's matrix_rank rule)."""
    return float(eig.max(initial=0.0)) * eig.size * np.finfo(float).eps


def pmf(name: str, p) -> np.ndarray:
    """A 1-D probability vector: non-negative, summing to one within ``PMF_ATOL``."""
    arr = real_array(name, p, ndim=1)
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if np.any(arr < 0):
        raise ValueError(f"{name} has negative probabilities (min {arr.min():.3g})")
    total = float(arr.sum())
    if abs(total - 1.0) > PMF_ATOL:
        raise ValueError(f"{name} must sum to one, sums to {total!r}")
    return arr / total
