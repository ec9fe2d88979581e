"""Fano's inequality, inverted: a lower bound on the error probability.

For an estimate of X from Y with |X| = M and H = H(X | Y), any estimator errs
with probability P_e satisfying

    strong:  h_b(P_e) + P_e log(M - 1) >= H,
    weak:    P_e >= (H - log 2) / log M      (from h_b <= log 2, log(M-1) <= log M).

M may be astronomically large (M = |X|^t for sequences of length t), so M is
never formed as a float: everything is done with log M and
log(M - 1) = log M + log1p(-1/M), with 1/M = exp(-log M) underflowing
harmlessly to 0.
"""

from __future__ import annotations

import math
import numbers

from scipy.optimize import brentq

from ._validate import log_base, real_scalar

__all__ = ["fano_lower_bound"]

# H may exceed log M by this relative amount from rounding (e.g. H computed as
# the entropy of a uniform law) before we call it impossible.
_H_RTOL = 1e-12


def _log_m(alphabet_size, log_alphabet_size, div) -> tuple[float, float]:
    """(log M, log(M - 1)) in nats."""
    if (alphabet_size is None) == (log_alphabet_size is None):
        raise ValueError("alphabet_size and log_alphabet_size: give exactly one of them")
    if alphabet_size is not None:
        if isinstance(alphabet_size, bool) or not isinstance(alphabet_size, numbers.Integral):
            raise ValueError(f"alphabet_size must be an integer >= 2 (a Python int may be huge), got {alphabet_size!r}")
        m = int(alphabet_size)
        if m < 2:
            raise ValueError(f"alphabet_size must be >= 2, got {m}")
        return math.log(m), math.log(m - 1)  # math.log is exact-enough for big ints
    lm = real_scalar("log_alphabet_size", log_alphabet_size) * div
    if lm < math.log(2.0) * (1 - 1e-15):
        raise ValueError(f"log_alphabet_size must be at least log 2 (M >= 2), got {log_alphabet_size!r}")
    lm = max(lm, math.log(2.0))
    return lm, lm + math.log1p(-math.exp(-lm))


def _hb(p: float) -> float:
    """Binary entropy in nats; h_b(0) = h_b(1) = 0."""
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return -p * math.log(p) - (1.0 - p) * math.log1p(-p)


def fano_lower_bound(cond_entropy, alphabet_size=None, base=2, form="weak", *, log_alphabet_size=None) -> float:
    """Smallest error probability compatible with H(X | Y) = ``cond_entropy``.

    ``cond_entropy`` and ``log_alphabet_size`` are in units of log(base)
    (``base=2``: bits, the default; ``base=None``: nats).  Give the alphabet
    either as ``alphabet_size`` (int >= 2, any size) or ``log_alphabet_size``.

    form="weak":   max(0, (H - 1 bit) / log M).
    form="strong": the smallest P in [0, 1 - 1/M] with h_b(P) + P log(M - 1) >= H,
                   found by ``brentq`` on that interval, where the left side
                   rises from 0 to log M.  Always >= the weak bound.
    H > log M is impossible and raises ``ValueError``; H < 0 too.
    """
    div = log_base(base)
    if form not in ("weak", "strong"):
        raise ValueError(f"form must be 'weak' or 'strong', got {form!r}")
    h = real_scalar("cond_entropy", cond_entropy) * div
    if h < 0:
        raise ValueError(f"cond_entropy must be non-negative, got {cond_entropy!r}")
    lm, lm1 = _log_m(alphabet_size, log_alphabet_size, div)
    if h > lm * (1 + _H_RTOL):
        raise ValueError(
            f"cond_entropy {cond_entropy!r} exceeds log of the alphabet size ({lm / div!r} in the same unit): impossible"
        )
    h = min(h, lm)
    if form == "weak":
        return max(0.0, (h - math.log(2.0)) / lm)
    if h == 0.0:
        return 0.0
    p_max = -math.expm1(-lm)  # 1 - 1/M without cancellation
    if h >= lm:
        return p_max
    g = lambda p: _hb(p) + p * lm1 - h  # noqa: E731  increasing on [0, p_max]
    if g(p_max) <= 0.0:  # h within rounding of log M: the root is the endpoint
        return p_max
    # xtol at the smallest float and rtol at machine precision: the root can be
    # ~1e-300 when H is tiny, and must still come out to full relative accuracy.
    return float(brentq(g, 0.0, p_max, xtol=math.ulp(0.0), rtol=4 * 2.220446049250313e-16, maxiter=500))
