"""§4 and §4.2: "R corresponds to the hidden state dimensionality"; R(D) lower-bounds dim(h_t).

Paper.  §4 identifies the rate R of rate-distortion theory with the dimension of the
hidden state, and §4.2 says that R(D) "provides the lower bound on the dimensionality of
the hidden state (rate R)", defining R(D) there as the least I(h_t; x_{1:T}) at
distortion D.  No unit is given that would make bits and a coordinate count comparable.

Formalised.  The link the argument needs is that the information the state carries about
the inputs is bounded by its number of coordinates: if I(h_t; x_{1:t}) ≤ dim(h_t), then
R(D) ≤ I(h_t; x_{1:t}) ≤ dim(h_t) for every D the state achieves (§4.2's definition).  The
strongest reading that can be tested is therefore

    I(h_t; x_{1:t}) ≤ dim(h_t) · (1 bit per coordinate).

Unit: bits, one per coordinate — the rate-distortion convention for R (the toolkit's R(D)
is in bits), and the only unit under which "rate = number of coordinates" is exact for
some state: d binary coordinates carry at most d bits.  Any other unit c (bits per
coordinate: c = log₂ e for nats, 32 for a float32) rescales the bound to c·d; the row
reports I/d in bits and nats per coordinate so that a reader can apply their own c.  No
finite c rescues the claim: with d fixed, I → ∞ as the noise vanishes.  (With i.i.d.
inputs the inputs after t are independent of h_t, so I(h_t; x_{1:T}) = I(h_t; x_{1:t}).)

Exactly.  With a constant gate and Gaussian inputs, h_t = μ_t + s_t + n_t (the source of
``._gaussian_source``): s_t ~ N(0, Σ_s) a linear function of x_{1:t}, n_t ~ N(0, Σ_n) the
accumulated process noise, independent of the inputs.  Hence

    I(h_t; x_{1:t}) = I(h_t; s_t) = ½ log₂ det(Σ_s + Σ_n) / det(Σ_n) = ½ Σ_i log₂(1 + γ_i)  bits,

γ_i the generalised eigenvalues of (Σ_s, Σ_n) (the signal-to-noise ratios of the canonical
directions), and I = ∞ when Σ_n is singular in a direction the inputs reach (zero noise:
h_t is then a deterministic function of continuous inputs there).  In one dimension, with
h_t = a h_{t−1} + b x_t + w_t, x ~ N(0, s²), w ~ N(0, q):
I = ½ log₂(1 + b²s²/q) at every t ≥ 1 — about 10 bits for q = 1e-6·b²s², in one coordinate.

Corrected.  The dimension bounds the number of informative directions, not the information:
at most r = rank Σ_s ≤ min(d, t·m) of the γ_i are positive, so
I(h_t; x_{1:t}) ≤ (r/2)·log₂(1 + γ_max), and with the noise scaled Q → c·Q,
I ≈ (r/2)·log₂(1/c) as c → 0 (r is the pre-log, the "degrees of freedom").  Neither
direction of I ≤ d or I ≥ d holds in general: a d-dimensional state carries ~0 bits when
the noise dominates.

Numerics.  I is invariant under invertible linear maps of h_t, so every coordinate is first
scaled to unit variance (coordinates of zero variance are exactly constant and left out).
Then directions whose variance is within the numerical allowance κ·(λ_max(Σ_s) + λ_max(Σ_n))
of 0 are treated as constant (float64 cannot tell them from 0; the estimators' range rule
does the same), κ = ALLOWANCE_ULPS·ε·(d + ⌈log₂(t+1)⌉) (the repeated-squaring sums of the
source take ⌈log₂(t+1)⌉ levels).  On the other directions I is enclosed by moving every
eigenvalue of Σ (restricted) by ±κ(λ_max(Σ_s) + λ_max(Σ_n)) and every eigenvalue of Σ_n
(restricted) by ±κ·λ_max(Σ_n) (Weyl), the upper end ∞ when a noise eigenvalue is within its
allowance of 0.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .. import estimators
from ._claim import Claim, Hypothesis
from ._gaussian_source import RATE_DISTORTION_SETTINGS, GaussianSource, source_hypotheses, source_reason

__all__ = ["RATE_DIMENSION", "CORRECTED_STATEMENT", "BITS_PER_COORDINATE", "ALLOWANCE_ULPS", "StateInformation",
           "state_information", "information_at_noise_scale", "noise_scale_at", "distortion_at_rate",
           "rate_dimension_hypotheses"]

BITS_PER_COORDINATE = 1.0   # the unit that makes the coordinate count a number of bits (see the module docstring)
ALLOWANCE_ULPS = 64
EPS = float(np.finfo(np.float64).eps)
LOG2_E = 1.0 / math.log(2.0)

CORRECTED_STATEMENT = (
    "I(h_t; x_{1:t}) = ½ Σ_i log₂(1 + γ_i) bits (γ_i: generalised eigenvalues of (Σ_s, Σ_n)), ∞ where the inputs "
    "reach a noise-free direction; at most r = rank Σ_s ≤ min(d, t·m) of the γ_i are positive, so "
    "I ≤ (r/2)·log₂(1 + γ_max): the dimension bounds the number of informative directions (the pre-log as Q → c·Q, "
    "c → 0), not the number of bits, in either direction"
)


@dataclasses.dataclass(frozen=True)
class StateInformation:
    """I(h_t; x_{1:t}) in bits with its numerical enclosure, and the directions it comes from.

    ``gains``: the γ_i (descending) when every non-constant direction has resolved noise (else empty, and
    empty with ``overflow`` when some γ_i exceeds float64's range); ``informative``: directions carrying
    information (γ_i above the allowance κ·γ_max; where the γ_i are not available, the numerical rank of Σ_s,
    which is the number of positive γ_i); ``noise_free``: non-constant
    directions whose noise eigenvalue is within the allowance of 0; ``constant``: directions of h_t whose
    variance is within the allowance of 0 (left out).
    """

    bits: float
    lower: float
    upper: float
    gains: tuple[float, ...]
    informative: int
    noise_free: int
    constant: int
    allowance: float          # κ, relative
    overflow: bool = False

    def bits_per_direction(self) -> list[float]:
        return [float(np.log1p(g)) * LOG2_E / 2.0 for g in self.gains]

    def to_json(self) -> dict:
        return {"bits": self.bits, "interval_bits": [self.lower, self.upper], "gains": list(self.gains),
                "bits_per_direction": self.bits_per_direction(), "informative_directions": self.informative,
                "noise_free_directions": self.noise_free, "constant_directions": self.constant,
                "gains_beyond_float64": self.overflow, "allowance_relative": self.allowance}


def _top(a: np.ndarray) -> float:
    return max(float(np.linalg.eigvalsh(a)[-1]), 0.0) if a.size else 0.0


def state_information(src: GaussianSource) -> StateInformation:
    """I(h_t; x_{1:t}) = I(h_t; s_t) in bits for the exact Gaussian source, with an enclosure (module docstring).

    The source must be finite (``source_range_note`` is None); non-finite moments raise ValueError.
    """
    S, N, C = (np.asarray(a, float) for a in (src.signal_cov, src.noise_cov, src.cov))
    if not (np.all(np.isfinite(S)) and np.all(np.isfinite(N)) and np.all(np.isfinite(C))):
        raise ValueError("the law of h_t is not finite: no information can be computed")
    d = src.d
    kappa = ALLOWANCE_ULPS * EPS * (d + max(int(src.t), 1).bit_length())
    # I is invariant under invertible linear maps of h_t: scale every coordinate to unit variance first, so
    # that coordinates of very different sizes are each judged against their own scale.  A coordinate with
    # zero variance (a zero row of the PSD Σ) is exactly constant and is left out.
    var = np.diag(C).copy()
    live = var > 0.0
    S, N, C = (a[np.ix_(live, live)] for a in (S, N, C))
    scale = 1.0 / np.sqrt(var[live])
    with np.errstate(over="ignore", under="ignore"):
        scaled = [scale[:, None] * a * scale[None, :] for a in (S, N, C)]
    tiny = np.finfo(float).tiny
    if all(np.all(np.isfinite(b)) and not np.any((a != 0.0) & (np.abs(b) < tiny)) for a, b in zip((S, N, C), scaled)):
        S, N, C = scaled          # (unless scaling would underflow an entry: then the unscaled matrices are used)
    top_s, top_n = _top(S), _top(N)
    tau_c, tau_n = kappa * (top_s + top_n), kappa * top_n
    lam, V = np.linalg.eigh(0.5 * (C + C.T)) if C.size else (np.zeros(0), np.zeros((0, 0)))
    keep = lam > tau_c
    Vk, lk = V[:, keep], lam[keep]
    r = int(lk.size)
    constant = d - r
    if r == 0:
        return StateInformation(0.0, 0.0, 0.0, (), 0, 0, constant, kappa)
    Nr = Vk.T @ N @ Vk
    Sr = Vk.T @ S @ Vk
    nu, U = np.linalg.eigh(0.5 * (Nr + Nr.T))
    nu = np.clip(nu, 0.0, None)
    resolved = nu > tau_n
    noise_free = int(r - np.count_nonzero(resolved))
    half_log_c = 0.5 * float(np.sum(np.log2(lk)))
    with np.errstate(divide="ignore"):      # a noise eigenvalue of exactly 0 (and τ_n = 0): log₂ 0 = −∞, I = ∞
        lower = 0.5 * float(np.sum(np.log2(lk - tau_c))) - 0.5 * float(np.sum(np.log2(nu + tau_n)))
    lower = max(lower, 0.0)
    overflow = False
    sig = np.linalg.eigvalsh(0.5 * (Sr + Sr.T))
    informative = int(np.count_nonzero(sig > kappa * top_s))      # rank Σ_s: the directions the inputs reach
    if noise_free:
        upper = math.inf
        bits = (half_log_c - 0.5 * float(np.sum(np.log2(nu)))) if np.all(nu > 0.0) else math.inf
        gains: tuple[float, ...] = ()
    else:
        upper = 0.5 * float(np.sum(np.log2(lk + tau_c))) - 0.5 * float(np.sum(np.log2(nu - tau_n)))
        with np.errstate(over="ignore", invalid="ignore"):
            root = np.sqrt(nu)
            G = ((U.T @ Sr @ U) / root[:, None]) / root[None, :]
        if np.all(np.isfinite(G)):
            gam = np.clip(np.linalg.eigvalsh(0.5 * (G + G.T)), 0.0, None)[::-1]
            gains = tuple(float(g) for g in gam)
            informative = int(np.count_nonzero(gam > kappa * gam[0])) if gam[0] > 0.0 else 0
            bits = 0.5 * float(np.sum(np.log1p(gam))) * LOG2_E
        else:
            # signal-to-noise ratios beyond float64's range (I of order 1000 bits): the log-determinants
            # stay finite; the γ_i are not representable
            gains, overflow = (), True
            bits = half_log_c - 0.5 * float(np.sum(np.log2(nu)))
    bits = float(min(max(bits, lower), upper)) + 0.0
    return StateInformation(bits, float(lower) + 0.0, float(upper), gains, informative, noise_free, constant, kappa,
                            overflow)


def _bits_at_log_scale(log_gains: np.ndarray, log_c: float) -> float:
    """½ Σ log₂(1 + γ_i/c) from log γ_i and log c (no overflow for any representable γ_i, c)."""
    return 0.5 * float(np.sum(np.logaddexp(0.0, log_gains - log_c))) * LOG2_E


def information_at_noise_scale(gains, c: float) -> float:
    """I in bits when the noise is scaled Q → c·Q (Σ_n → c·Σ_n, so γ_i → γ_i/c): ½ Σ log₂(1 + γ_i/c)."""
    g = np.asarray(gains, float)
    g = g[g > 0.0]
    return _bits_at_log_scale(np.log(g), math.log(c)) if g.size else 0.0


def noise_scale_at(gains, bits: float) -> float:
    """The noise multiplier c* with I(c*) = ``bits`` > 0 (I decreases in c); 0 when I ≡ 0 (no positive γ),
    ∞ when a γ_i is infinite or c* exceeds float64's range."""
    g = np.asarray(gains, float)
    g = g[g > 0.0]
    if not g.size:
        return 0.0
    if not np.all(np.isfinite(g)):
        return math.inf
    lg = np.log(g)
    f = lambda log_c: _bits_at_log_scale(lg, log_c) - bits   # noqa: E731   decreasing in log c
    lo = hi = float(np.max(lg))
    while f(lo) <= 0.0:
        lo -= 8.0
    while f(hi) > 0.0:
        hi += 8.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if f(mid) > 0.0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-14 * max(1.0, abs(mid)):
            break
    mid = 0.5 * (lo + hi)
    return math.exp(mid) if mid < 709.0 else math.inf


def distortion_at_rate(src: GaussianSource, bits: float) -> float:
    """D(R) of h_t (reverse water-filling, state units²): R(D) ≤ ``bits`` exactly for D ≥ this."""
    return float(estimators.distortion_rate_gaussian(src.cov, bits, base=2).value)


def rate_dimension_hypotheses(regime) -> tuple[Hypothesis, ...]:
    return source_hypotheses(regime) + (
        Hypothesis("dim(h_t) = d coordinates, read as d bits (1 bit per coordinate)", True,
                   f"d = {regime.d}: the bound is {regime.d} bit{'s' if regime.d != 1 else ''}; the row also gives "
                   "I/d in bits and nats per coordinate for any other unit"),
    )


RATE_DIMENSION = Claim(
    id="rate-dimension",
    title="Rate and state dimension: the information the state carries is at most its dimension",
    section="§4, §4.2",
    statement="I(h_t; x_{1:t}) ≤ dim(h_t)  (bits, 1 bit per coordinate), whence R(D) ≤ dim(h_t)",
    latex=r"I(h_t;x_{1:t}) \le \dim(h_t)\ \text{(bits)} \;\Rightarrow\; R(D) \le \dim(h_t)",
    summary=(
        "The paper identifies the rate with the state's dimension and says R(D) lower-bounds dim(h_t). Read with "
        "one bit per coordinate: the information h_t carries about the inputs is at most d bits. Rate is "
        "information, not a coordinate count: one noiseless real coordinate carries unbounded information, and "
        "d noisy ones can carry almost none."
    ),
    kind="paper",
    hypotheses=rate_dimension_hypotheses,
    applicable=source_reason,
    settings=RATE_DISTORTION_SETTINGS,
)
