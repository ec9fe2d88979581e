"""The Gaussian source h_t shared by the rate-distortion claims (§4.1, §4.2), Theorem 1 (§6.1) and data processing (§5.3).

Source.  With a constant gate and Gaussian inputs the chain is linear,
h_t = M h_{t−1} + diag(g) B x_t + w_t (``theorem2.linear_transition``), so h_t is
Gaussian: mean μ_t = Mᵗ h_0 and covariance Σ_t = Σ_s + Σ_n, the parts driven by
the inputs (Σ_s = Σ_{k<t} Mᵏ diag(g) B Bᵀ diag(g) Mᵏᵀ s²) and by the noise
(Σ_n = Σ_{k<t} Mᵏ Q Mᵏᵀ).  h_t = μ_t + s + n with s a linear function of x_{1:t}
and n independent of the inputs, so I(ĥ; x_{1:t}) = I(ĥ; s) for any ĥ computed
from h_t.  Horizon: ``[rate_distortion] steps`` when given; otherwise the
smallest t with ‖Mᵗ‖₂ ≤ 1e-8 (the law is then stationary to 1e-16 relative).

Rate-distortion of a Gaussian vector under squared error (§4.1, made precise):
R(D) = Σ_i max(0, ½ log₂(λ_i/θ)) with Σ_i min(θ, λ_i) = D (reverse water-filling
over the eigenvalues λ_i of Σ_t); D(R) is its inverse.  Rate is information in
bits, not a count of coordinates (§4.2 conflates the two): a noiseless real
coordinate carries unbounded information about a continuous h.

Compressors, ĥ = C h + c₀ + z with z ~ N(0, Z) independent (closed forms, bits):

* I(h; ĥ) and I(ĥ; x_{1:t}) = I(ĥ; s) from the joint Gaussian covariances;
  I(h; ĥ) = ∞ for a noiseless (Z = 0) non-zero C;
* distortion D = E‖h − ĥ‖², ĥ itself being the reproduction (the definition of
  R(D), and the paper's "distortion between h_t and ĥ_t"); the distortion of the
  best (MMSE, here affine) decoder E[h | ĥ] is reported beside it.

The claims on this source, one module each: ``rd_converse`` (the converse, a control),
``theorem1`` (the paper's Theorem 1), ``rd_curve`` (R(D) against Blahut–Arimoto, a control)
and ``data_processing`` (§5.3, a control).  Each declares ``settings=RATE_DISTORTION_SETTINGS``.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math

import numpy as np

from .. import estimators
from . import _constants as K
from ._claim import Hypothesis, Setting
from ._memo import Keyed
from .theorem2 import linear_transition

__all__ = [
    "RATE_DISTORTION_SETTINGS", "GaussianSource", "LinearCompressor", "gaussian_source", "source_of",
    "source_reason", "source_hypotheses", "source_range_note", "linear_compressors", "evaluate_linear",
    "optimal_channel", "STATIONARY_TOL", "UNSTABLE_NOTE", "SOURCE_LIMIT", "SOURCE_FLOOR",
]

# The optional [rate_distortion] table of a regime file, read by every claim on the Gaussian source h_t.
RATE_DISTORTION_SETTINGS = {"rate_distortion": {
    "steps": Setting("int>0", None, "horizon t of the source h_t; default: the stationary law where it exists"),
}}

STATIONARY_TOL = 1e-8        # default horizon: smallest t with ‖Mᵗ‖₂ ≤ this
# Range of the source in which every closed form stays finite: E‖h_t‖² ≤ SOURCE_LIMIT (state units²)
# leaves ~8 orders of magnitude below float64's maximum for products, block matrices, squared sample
# errors and d² terms; variances of at least SOURCE_FLOOR keep the water levels θ ≥ 0.04·λ_max of the
# Blahut–Arimoto band normal (≥ 2.2e-308) and its slopes 1/(2θ) finite.
SOURCE_LIMIT = 1e300
SOURCE_FLOOR = 1e-305
MAX_DEFAULT_HORIZON = 100_000
UNSTABLE_NOTE = ("the chain has no stationary law (spectral radius of M ≥ 1) and no horizon is given: "
                 "set [rate_distortion] steps to study the source h_t at a finite t")


# --- the source -------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class GaussianSource:
    """The law of h_t: N(mean, cov), cov = signal_cov (from x_{1:t}) + noise_cov (from w_{1:t})."""

    t: int
    mean: np.ndarray
    cov: np.ndarray
    signal_cov: np.ndarray
    noise_cov: np.ndarray
    horizon: str            # how t was chosen

    @property
    def d(self) -> int:
        return self.cov.shape[0]

    def info_state_inputs(self) -> float:
        """I(h_t; x_{1:t}) in bits."""
        joint = np.block([[self.signal_cov, self.signal_cov], [self.signal_cov, self.cov]])
        return estimators.gaussian_mutual_information(joint, list(range(self.d)),
                                                      list(range(self.d, 2 * self.d)), base=2)


def source_reason(regime) -> str | None:
    """None when h_t is exactly Gaussian here (and a horizon is defined), else why not."""
    if regime.gate_kind != "constant":
        return ("the source h_t is Gaussian only for a constant gate (the chain is then linear); with a "
                f"{regime.gate_kind} gate its law has no closed form")
    if regime.input_law != "gaussian":
        return "Rademacher inputs make h_t a Gaussian mixture, not Gaussian; the closed forms need Gaussian inputs"
    if regime.setting("rate_distortion", "steps") is None:
        M = linear_transition(regime)
        if float(np.max(np.abs(np.linalg.eigvals(M)))) >= 1.0:
            return UNSTABLE_NOTE
    if not np.any(regime.noise_cov) and (regime.input_scale == 0.0 or not np.any(np.diag(regime.gate_value) @ regime.B)):
        return "h_t is deterministic (no noise and no input reaches the state): there is nothing to compress"
    return None


def _sum_of_powers(M: np.ndarray, S: np.ndarray, t: int) -> np.ndarray:
    """Σ_{k<t} Mᵏ S Mᵏᵀ by repeated squaring (O(log t) products)."""
    total = np.zeros_like(S)
    P, block, n = np.eye(M.shape[0]), S.copy(), t
    # block_j = Σ_{k<2^j} Mᵏ S Mᵏᵀ and P_j = M^(2^j); combine the binary digits of t.
    Mj = M.copy()
    while n:
        if n & 1:
            total = total + P @ block @ P.T
            P = P @ Mj
        block = block + Mj @ block @ Mj.T
        Mj = Mj @ Mj
        n >>= 1
    return 0.5 * total + 0.5 * total.T   # halve first: no overflow near the float64 maximum


def _default_horizon(M: np.ndarray) -> tuple[int, str]:
    """(t, why it stopped): "stationary" (‖Mᵗ‖₂ ≤ STATIONARY_TOL), "overflow" (Mᵗ left float64's range
    on the way: a stable but strongly non-normal M) or "cap" (MAX_DEFAULT_HORIZON reached)."""
    t, P = 1, M.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        while t < MAX_DEFAULT_HORIZON:
            if not np.all(np.isfinite(P)):
                return t, "overflow"
            if np.linalg.norm(P, 2) <= STATIONARY_TOL:
                return t, "stationary"
            P, t = P @ M, t + 1
    return t, "cap"


def default_horizon(M: np.ndarray) -> int:
    return _default_horizon(M)[0]


def gaussian_source(regime) -> GaussianSource:
    """The exact law of h_t (constant gate, Gaussian inputs).

    Computed in float64 as it is: where the true moments exceed float64's range
    (a chain that grows, or parameters near 1e308) the returned arrays hold inf
    or NaN, never a clipped finite number; :func:`source_range_note` says so and
    the checks then decide nothing.
    """
    reason = source_reason(regime)
    if reason is not None:
        raise ValueError(reason)
    M = linear_transition(regime)
    with np.errstate(over="ignore", invalid="ignore"):
        # Input part of the innovation, s² diag(g) B Bᵀ diag(g).  When s² leaves float64's normal
        # range (s = 1e308 overflows, s = 1e-300 underflows to 0) or the product is not finite, it is
        # formed as F Fᵀ with F = s·diag(g)·B instead, which is representable whenever the result is.
        scale2 = regime.input_scale * regime.input_scale
        G = np.diag(regime.gate_value)
        S_signal = scale2 * G @ regime.B @ regime.B.T @ G
        if not (np.finfo(float).tiny <= scale2 < math.inf and np.all(np.isfinite(S_signal))):
            F = regime.input_scale * (np.asarray(regime.gate_value, float)[:, None] * regime.B)
            S_signal = F @ F.T
        S_noise = regime.noise_cov
        given = regime.setting("rate_distortion", "steps")
        if given is None:
            t, why = _default_horizon(M)
            horizon = {
                "stationary": f"t = {t}: smallest t with ‖Mᵗ‖₂ ≤ {STATIONARY_TOL:g} (stationary to ~1e-16 relative)",
                "overflow": f"t = {t}: Mᵗ overflowed float64 here, before ‖Mᵗ‖₂ reached {STATIONARY_TOL:g} "
                            "(transient growth of a non-normal M)",
                "cap": f"t = {t}: ‖Mᵗ‖₂ is still above {STATIONARY_TOL:g} after {MAX_DEFAULT_HORIZON} steps "
                       "(not yet stationary)",
            }[why]
        else:
            t = int(given)
            horizon = f"t = {t} from [rate_distortion] steps"
        sig, noi = _sum_of_powers(M, S_signal, t), _sum_of_powers(M, S_noise, t)
        mean = np.linalg.matrix_power(M, t) @ regime.h0
        cov = sig + noi
    return GaussianSource(t, mean, cov, sig, noi, horizon)


def source_of(regime) -> GaussianSource:
    """:func:`gaussian_source`, memoised per regime (16 regimes): every check on the source shares it."""
    return _source_cached(Keyed(regime.fingerprint(), regime))


@functools.lru_cache(maxsize=16)
def _source_cached(request: Keyed) -> GaussianSource:
    return gaussian_source(request.value)


def source_range_note(source: GaussianSource) -> str | None:
    """None when the closed forms of the rate-distortion checks can be evaluated in float64, else why not.

    Two failures are told apart: the law of h_t itself is not representable
    (its covariance or mean overflowed to inf/NaN, e.g. a growing chain at a
    long horizon), or it is, but E‖h_t‖² = tr Σ_t + ‖μ_t‖² exceeds
    ``SOURCE_LIMIT``, so that distortions (sums of squares, in state units²)
    would overflow.  A variance below ``SOURCE_FLOOR`` (but not zero) is
    refused too: water levels and slopes 1/(2θ) would leave float64's normal
    range.  In each case nothing is decided (the rows are INCONCLUSIVE): no
    non-finite number is turned into a verdict.
    """
    parts = {"covariance": source.cov, "mean": source.mean, "input part of the covariance": source.signal_cov,
             "noise part of the covariance": source.noise_cov}
    bad = [name for name, a in parts.items() if not np.all(np.isfinite(a))]
    at = f"h_t at t = {source.t}"
    if bad:
        return (f"closed form not finite: the {' and the '.join(bad)} of {at} overflowed float64 (inf or NaN); "
                "the exact law cannot be represented, so no rate or distortion can be computed: undecided")
    with np.errstate(over="ignore"):
        energy = float(np.trace(source.cov)) + float(np.sum(np.square(source.mean)))
    if not energy <= SOURCE_LIMIT:
        size = "overflows float64 (inf)" if math.isinf(energy) else f"= {energy:.4g} state units²"
        return (f"closed form out of float64 range: E‖h_t‖² = tr Σ + ‖μ‖² {size} for {at}, above "
                f"{SOURCE_LIMIT:g}, so distortions (sums of squares) would overflow: undecided")
    top = float(np.linalg.eigvalsh(source.cov)[-1])
    if 0.0 < top < SOURCE_FLOOR:   # (top = 0 is a deterministic h_t: source_reason's case)
        return (f"closed form out of float64 range: the largest variance of {at} is {top:.4g}, below {SOURCE_FLOOR:g}, "
                "so water levels and slopes would leave float64's normal range: undecided")
    return None


def source_hypotheses(regime) -> tuple[Hypothesis, ...]:
    gauss = regime.gate_kind == "constant" and regime.input_law == "gaussian"
    detail = ("constant gate and Gaussian inputs: h_t = M h_{t−1} + η_t is linear-Gaussian" if gauss else
              f"gate {regime.gate_kind}, inputs {regime.input_law}: h_t is not Gaussian")
    return (Hypothesis("h_t Gaussian (for the closed-form R(D))", gauss, detail),) + K.gate_range_hypotheses(
        regime, needed=False, why=("the rate-distortion closed forms need a constant gate (a linear-Gaussian source), "
                                   "not a gate range; the row is not applicable for that reason"))


# --- linear compressors -----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class LinearCompressor:
    """ĥ = C h + offset + z, z ~ N(0, Z).  ``gate``: ĥ = g ⊙ h (C diagonal in [0,1], no noise, no offset)."""

    name: str
    family: str
    C: np.ndarray
    Z: np.ndarray
    offset: np.ndarray
    dims: int              # coordinates of ĥ that are not identically zero (its "dimension count")
    gate: bool


def _gate(name, family, g) -> LinearCompressor:
    g = np.asarray(g, float)
    d = g.size
    return LinearCompressor(name, family, np.diag(g), np.zeros((d, d)), np.zeros(d), int(np.sum(g != 0)), True)


def _subsets(d: int):
    """Proper non-empty coordinate subsets: all of them for d ≤ 4, else those of size 1 and d − 1."""
    if d <= 4:
        for k in range(1, d):
            yield from itertools.combinations(range(d), k)
    else:
        yield from itertools.combinations(range(d), 1)
        yield from itertools.combinations(range(d), d - 1)


def linear_compressors(regime, source: GaussianSource, noise_levels=()) -> list[LinearCompressor]:
    """The gates of Theorem 1 (noiseless) or, with ``noise_levels`` σ², their noisy versions.

    Gates: keep a subset S of coordinates and zero the rest; scale all coordinates
    by g ∈ {0.5, 0.9}; the regime's own constant gate (when it is not all ones).
    A noisy version adds N(0, σ² I) on the coordinates the gate keeps.
    """
    d = source.d
    gates = []
    for S in _subsets(d):
        g = np.zeros(d)
        g[list(S)] = 1.0
        gates.append((f"keep {{{','.join(str(i) for i in S)}}}", "keep-subset gate", g))
    for c in (0.5, 0.9):
        gates.append((f"scale ×{c:g}", "scaling gate", np.full(d, c)))
    if regime.gate_kind == "constant" and not np.all(regime.gate_value == 1.0):
        gates.append(("regime gate diag(g)", "regime's gate", np.asarray(regime.gate_value, float)))
    if not noise_levels:
        return [_gate(n, f, g) for n, f, g in gates]
    out = []
    for var in noise_levels:
        for name, family, g in gates:
            mask = (g != 0).astype(float)
            out.append(LinearCompressor(f"{name} + N(0,{var:.3g}·I)", f"{family} + noise", np.diag(g),
                                        var * np.diag(mask), np.zeros(d), int(mask.sum()), False))
    return out


def optimal_channel(source: GaussianSource, theta: float) -> LinearCompressor:
    """The water-filling test channel at level θ (a point exactly on R(D)).

    In the eigenbasis (λ_i, v_i) of Σ: û_i = a_i u_i + z_i with a_i = max(0, 1 − θ/λ_i),
    Var z_i = a_i θ, so E(u_i − û_i)² = min(θ, λ_i) and I(u_i; û_i) = max(0, ½ log(λ_i/θ)).
    """
    lam, V = np.linalg.eigh(source.cov)
    lam = np.clip(lam, 0.0, None)
    a = np.where(lam > theta, 1.0 - theta / np.where(lam > 0, lam, 1.0), 0.0)
    C = V @ np.diag(a) @ V.T
    Z = V @ np.diag(a * theta) @ V.T
    offset = (np.eye(source.d) - C) @ source.mean
    return LinearCompressor(f"water-filling channel θ={theta:.3g}", "optimal test channel",
                            C, 0.5 * (Z + Z.T), offset, int(np.sum(a > 0)), False)


def evaluate_linear(source: GaussianSource, comp: LinearCompressor) -> dict:
    """Closed forms for one linear compressor: rates in bits, distortions in state units²."""
    d = source.d
    C, Z, S = comp.C, comp.Z, source.cov
    out_cov = C @ S @ C.T + Z
    out_cov = 0.5 * (out_cov + out_cov.T)
    idx_a, idx_b = list(range(d)), list(range(d, 2 * d))
    rate = estimators.gaussian_mutual_information(np.block([[S, S @ C.T], [C @ S, out_cov]]), idx_a, idx_b, base=2)
    Ss = source.signal_cov
    info_x = estimators.gaussian_mutual_information(np.block([[Ss, Ss @ C.T], [C @ Ss, out_cov]]),
                                                    idx_a, idx_b, base=2)
    E = np.eye(d) - C
    bias = E @ source.mean - comp.offset
    d_raw = float(np.trace(E @ S @ E.T) + np.trace(Z) + bias @ bias)
    d_mmse = float(np.trace(S) - np.trace(S @ C.T @ np.linalg.pinv(out_cov, rcond=1e-12, hermitian=True) @ C @ S))
    return {"name": comp.name, "family": comp.family, "dims": comp.dims, "gate": comp.gate,
            "rate_bits": float(rate) + 0.0, "info_inputs_bits": float(info_x) + 0.0,   # + 0.0: no "-0.0"
            "distortion": d_raw, "distortion_mmse": max(d_mmse, 0.0)}
