"""Blahut-Arimoto for discrete rate-distortion, with certified stopping.

At slope ``beta`` >= 0 the algorithm alternates, for an output pmf q,

    Q(xh | x) = q(xh) exp(-beta d(x, xh)) / Z(x),     Z(x) = sum_xh q(xh) exp(-beta d(x, xh)),
    q'(xh)    = sum_x p(x) Q(xh | x) = q(xh) c(xh),   c(xh) = sum_x p(x) exp(-beta d(x, xh)) / Z(x).

Stopping rule (Blahut 1972, IEEE Trans. IT 18(4); Csiszar 1974).  With D the distortion of
Q, for every distortion level D' the curve obeys the supporting-line bound
R(D') >= -beta D' - sum_x p log Z - max_xh log c  (the dual variables
lambda(x) = 1 / (Z(x) max c) are feasible), while Q itself achieves
I(p, Q) + beta D = -sum_x p log Z - sum_xh q'(xh) log c(xh).  Hence

    rate_lower = -beta D - sum_x p log Z - max_xh log c  <=  R(D)  <=  I(p, Q) = rate_upper,

and the gap  max_xh log c - sum_xh q' log c  >= 0  is what we drive below
``tol``: the reported point is then within ``tol`` of the true curve, which a
small change in D between iterations would not guarantee.

Caveat, measured: the gap can converge much more slowly than the point itself.
When the optimal output law has letters at the edge of its support (e.g. a
finely discretised Gaussian source), those letters carry tiny q and c(xh)
tends to 1 only sublinearly, so max log c lags: on a 401-point N(0, 1) grid at
beta = 2 the rate is right to 1e-9 after 10 iterations while the gap is still
~1e-5 after 20 000.  Pick ``tol`` accordingly (1e-3..1e-4 nats there) and read
``converged`` / ``gap``.

Everything is computed in log space (log-sum-exp with the maximum taken out),
so exp(-beta d) underflowing at large beta does not matter.

Units: distortion in the units of the matrix ``distortion``; rates, ``tol`` and
the bounds in nats for ``base=None``, otherwise in units of log(base).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._numeric import logsumexp
from ._validate import log_base, pmf, positive_int, real_array, real_scalar

__all__ = ["BlahutArimotoResult", "RateDistortionCurve", "blahut_arimoto", "blahut_arimoto_curve"]


@dataclass(frozen=True)
class BlahutArimotoResult:
    """One point of a discrete rate-distortion curve.  ``value`` is the rate.

    rate:         I(p, Q) of the returned test channel (= ``rate_upper``).
    distortion:   E d(X, Xh) under that channel.
    rate_lower:   certified lower bound on R(distortion) (clipped at 0).
    rate_upper:   I(p, Q) >= R(distortion).
    gap:          the Blahut gap (>= rate_upper - rate_lower), <= tol if converged.
    conditional:  Q(xh | x), shape (source size, reproduction size), rows sum to 1.
    output_pmf:   the output law sum_x p(x) Q(xh | x).
    """

    rate: float
    distortion: float
    rate_lower: float
    rate_upper: float
    gap: float
    conditional: np.ndarray
    output_pmf: np.ndarray
    beta: float
    iterations: int
    converged: bool
    base: float | None

    @property
    def value(self) -> float:
        return self.rate


def _validate(p_x, distortion, beta, tol, max_iter):
    p = pmf("p_x", p_x)
    d = real_array("distortion", distortion, ndim=2)
    if d.shape[0] != p.size or d.shape[1] == 0:
        raise ValueError(
            f"distortion must have shape (len(p_x), reproduction size) = ({p.size}, k>=1), got {d.shape}"
        )
    if np.any(d < 0):
        raise ValueError(f"distortion has negative entries (min {d.min():.3g})")
    b = real_scalar("beta", beta, nonneg=True)
    t = real_scalar("tol", tol)
    if t <= 0:
        raise ValueError(f"tol must be positive, got {t!r}")
    return p, d, b, t, positive_int("max_iter", max_iter)


def _solve(p, d, beta, tol_nats, max_iter, log_q0, div, base) -> BlahutArimotoResult:
    with np.errstate(divide="ignore"):
        logp = np.log(p)
    support = p > 0
    e = -beta * d  # log of exp(-beta d), never exponentiated directly
    logq = log_q0
    converged = False
    for it in range(1, max_iter + 1):
        # Arguments are temporaries: logsumexp may use them as its workspace.
        logz = logsumexp(e + logq, axis=1, overwrite=True)
        logc = logsumexp(e + (logp - logz)[:, None], axis=0, overwrite=True)
        logq_new = logq + logc
        logq_new -= logsumexp(logq_new.copy(), axis=0, overwrite=True)  # remove rounding drift from sum q' = 1
        q_new = np.exp(logq_new)
        used = q_new > 0
        mean_logc = float(np.dot(q_new[used], logc[used]))
        gap = max(float(logc.max()) - mean_logc, 0.0)
        if gap <= tol_nats or it == max_iter:
            converged = gap <= tol_nats
            break
        logq = logq_new
    mean_logz = float(np.dot(p[support], logz[support]))
    logcond = e + logq - logz[:, None]
    cond = np.exp(logcond)
    dist = float(np.dot(p, (cond * d).sum(axis=1)))
    # I(p, Q) + beta D = -E log Z - sum q' log c (see module docstring).
    upper = max(-mean_logz - mean_logc - beta * dist, 0.0)
    # rate_lower = -beta D - E log Z - max log c = rate_upper - gap; written
    # this way so the two reported bounds differ by exactly the gap.
    lower = max(-mean_logz - mean_logc - beta * dist - gap, 0.0)
    for a in (cond, q_new):
        a.setflags(write=False)
    return BlahutArimotoResult(
        rate=upper / div, distortion=dist, rate_lower=lower / div, rate_upper=upper / div,
        gap=gap / div, conditional=cond, output_pmf=q_new, beta=beta, iterations=it,
        converged=converged, base=base,
    )


def _start(p, d, beta, seed) -> np.ndarray:
    k = d.shape[1]
    if beta == 0.0:
        # Slope 0 is the flat end of the curve, R = 0 for every D >= Dmax.  The
        # natural point is Dmax itself: all mass on the letter of least
        # expected distortion (a uniform start would give a larger D).
        with np.errstate(divide="ignore"):
            return np.log(np.eye(k)[int(np.argmin(p @ d))])
    if seed is None:
        return np.full(k, -math.log(k))
    return np.log(np.random.default_rng(seed).dirichlet(np.ones(k)))


def blahut_arimoto(p_x, distortion, beta, *, tol=1e-7, max_iter=10_000, seed=None, base=None):
    """Rate-distortion point of a discrete source at Lagrange slope ``beta``.

    ``p_x``: source pmf (length m).  ``distortion``: (m, k) matrix of
    non-negative costs d(x, xh); the reproduction alphabet size k may differ
    from m.  ``beta`` >= 0 is minus the slope dR/dD (in nats per unit of
    distortion, whatever ``base``): large beta gives low distortion.

    Iterates until the Blahut gap (see module docstring) is <= ``tol`` (in
    ``base`` units) or ``max_iter`` iterations; ``converged`` says which.  The
    start is the uniform output pmf (deterministic); with an integer ``seed``
    it is a Dirichlet(1, ..., 1) draw instead.  ``beta = 0`` returns the
    endpoint (Dmax, R = 0).  Returns a ``BlahutArimotoResult``; ``.value`` is
    the rate.
    """
    div = log_base(base)
    p, d, b, t, n_iter = _validate(p_x, distortion, beta, tol, max_iter)
    return _solve(p, d, b, t * div, n_iter, _start(p, d, b, seed), div, base)


@dataclass(frozen=True)
class RateDistortionCurve:
    """Points of R(D) traced by ``blahut_arimoto_curve``; unpacks as (distortion, rate)."""

    betas: np.ndarray
    distortion: np.ndarray
    rate: np.ndarray
    rate_lower: np.ndarray
    rate_upper: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray

    def __iter__(self):
        return iter((self.distortion, self.rate))


def blahut_arimoto_curve(p_x, distortion, betas, *, tol=1e-7, max_iter=10_000, seed=None, base=None):
    """Run ``blahut_arimoto`` at each slope in ``betas``.

    Each slope is solved from the same start (uniform, or the ``seed`` draw),
    so every point is reproducible on its own.  Returns a
    ``RateDistortionCurve``: ``D, R = blahut_arimoto_curve(...)`` works.
    """
    bs = real_array("betas", betas, ndim=(0, 1)).reshape(-1)
    if np.any(bs < 0):
        raise ValueError(f"betas must be non-negative, got min {bs.min():.3g}")
    div = log_base(base)
    p, d, _, t, n_iter = _validate(p_x, distortion, 0.0, tol, max_iter)
    res = []
    for b in bs:
        b = float(b)
        res.append(_solve(p, d, b, t * div, n_iter, _start(p, d, b, seed), div, base))
    col = lambda name, dt=float: np.array([getattr(r, name) for r in res], dtype=dt)  # noqa: E731
    return RateDistortionCurve(
        bs, col("distortion"), col("rate"), col("rate_lower"), col("rate_upper"),
        col("converged", bool), col("iterations", int),
    )
