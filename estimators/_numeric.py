"""Two numerical kernels shared by the whole toolkit: log-sum-exp and the square root of a PSD matrix.

Each exists once, here; the estimators, the model (``theorems.model``) and the checks import them.

``logsumexp`` is hand-written rather than ``scipy.special.logsumexp`` for speed, measured: it sits in
the Blahut–Arimoto loop (three calls per iteration), where SciPy 1.17's version (array-API dispatch,
the maximum term separated out and added back with ``log1p``) took 105–137 µs on a 97 × 97 array
against 22–24 µs here, and 3.0 ms against 0.27 ms on 401 × 401; the two agree to ~2e-16 relative.
"""

from __future__ import annotations

import numpy as np

__all__ = ["logsumexp", "psd_sqrt"]


def logsumexp(a: np.ndarray, axis: int, *, overwrite: bool = False) -> np.ndarray:
    """log(Σ exp(a)) along ``axis`` (the axis removed), with the maximum taken out first.

    Dimensionless: the result is in the units of ``a`` (log-probabilities in nats give nats).  Every
    slice along ``axis`` must hold a finite entry: a slice of -inf only, or one holding NaN, gives NaN
    (no value is made up for it).  ``overwrite=True`` lets the function use ``a`` (a float64 array) as
    its workspace, saving two allocations in hot loops; ``a`` then holds garbage afterwards.
    """
    m = a.max(axis=axis, keepdims=True)
    if overwrite:
        a -= m
    else:
        a = a - m
    np.exp(a, out=a)
    return np.log(a.sum(axis=axis)) + np.squeeze(m, axis=axis)


def psd_sqrt(Q: np.ndarray, *, symmetric: bool = True) -> np.ndarray:
    """A square root L of a positive semidefinite matrix Q, L Lᵀ = Q (in the square root of Q's units).

    ``symmetric=True``: the symmetric root V √Λ Vᵀ (L = Lᵀ, so also L² = Q), from the eigendecomposition
    Q = V Λ Vᵀ of (Q + Qᵀ)/2 with rounding negatives of Λ set to 0.  ``symmetric=False``: the factor
    V √Λ itself (one product fewer; L Lᵀ = Q but L ≠ Lᵀ), e.g. to draw N(0, Q) as z Lᵀ.

    Valid for any finite Q: entries near float64's largest value (a noise variance of 1e308, whose
    eigenvalues may exceed it) or its smallest are handled by taking the root of Q/4^e and scaling it by
    2^e (exact, since √ is homogeneous), and the symmetrisation halves before it adds.  For entries
    within [2^-800, 2^800] nothing is rescaled and the result is bit-identical to the plain formula
    with (Q + Qᵀ)/2.
    """
    Q = np.asarray(Q, dtype=np.float64)
    top = float(np.max(np.abs(Q), initial=0.0))
    e = int(np.frexp(np.sqrt(top))[1]) if top > 2.0 ** 800 or 0.0 < top < 2.0 ** -800 else 0
    Qs = np.ldexp(Q, -2 * e) if e else Q
    vals, vecs = np.linalg.eigh(0.5 * Qs + 0.5 * Qs.T)
    L = vecs * np.sqrt(np.clip(vals, 0.0, None))
    if symmetric:
        L = L @ vecs.T
    return np.ldexp(L, e) if e else L
