"""Fano's inequality (§4.4): decoding the input sequence x_{1:t} from the state.

Paper.  With ĥ_t the (compressed) state and |X| "the cardinality of the input
alphabet", P_e ≥ (H(x_{1:t} | ĥ_t) − 1) / log|X|, where P_e is the error
probability of estimating x_{1:t} from ĥ_t.  The "− 1" is one bit (the binary
entropy h_b(P_e) ≤ 1 bit), so everything here is in bits.

What Fano's inequality actually gives.  The object decoded is the whole
sequence x_{1:t}, whose alphabet has K = |X|^t elements.  For every estimator
x̂(ĥ_t) with error probability P_e,

    H(x_{1:t} | ĥ_t) ≤ h_b(P_e) + P_e · log₂(K − 1)                  (strong form)

and, since h_b ≤ 1 and log₂(K − 1) < log₂ K,

    P_e ≥ (H(x_{1:t} | ĥ_t) − 1) / log₂ K = (H − 1) / (t · log₂|X|)   (weak form).

The strong form is inverted as P_e ≥ φ_K⁻¹(H) with φ_K(p) = h_b(p) + p log₂(K − 1),
increasing on [0, 1 − 1/K] from 0 to log₂ K (``estimators.fano_lower_bound``).  The paper's form divides by
log₂|X| instead of t·log₂|X|: for t ≥ 2 its right-hand side exceeds the weak
bound, and it exceeds 1 (no error probability can meet it) as soon as
H > 1 + log₂|X|.

Exact computation.  Here ĥ_t = h_t (the state is the representation the paper
decodes from) and the inputs are Rademacher, uniform on {−s, +s}^m, so
|X| = 2^m and log₂|X| = m.  When the gate does not depend on h (a constant
gate, or a sigmoid or tanh gate with U = 0) the update is h_t = M(x_t) h_{t−1} + c(x_t) + w_t
with M(x) = diag(g(x)) A (gated) or I − diag(g(x))(I − A) (leaky) and
c(x) = diag(g(x)) B x.  Given x_{1:t}, h_t is Gaussian with mean
μ_t = M(x_t) μ_{t−1} + c(x_t) (μ_0 = h_0) and covariance
P_t = M(x_t) P_{t−1} M(x_t)ᵀ + Q (P_0 = 0).  Enumerating the K sequences gives
the exact posterior p(x_{1:t} | h_t) under the uniform prior, for any h_t.

Mamba's selective scan (form "s6", ``theorems/s6.py``).  Its update is of the same kind:
h_t = decay(x_t) ⊙ h_{t−1} + drive(x_t) + w_t, with the diagonal transition
M(x) = diag(exp(Δ(x)_c A[c, n])) and the drive c(x)_i = Δ(x)_c (P_B x)_n x_c (i = c·N + n), both
functions of the input alone.  So, given x_{1:t}, h_t is again Gaussian, with
μ_t = Σ_k (Π_{j>k} decay(x_j)) ⊙ drive(x_k) + (Π_j decay(x_j)) ⊙ h_0 and
P_t = Σ_k D_k Q D_k, D_k = diag(Π_{j>k} decay(x_j)) — the same recursions with M(x) diagonal — and the
exact posterior is computed the same way.  One feature of S6 matters for decoding: the drive is
quadratic in x (Δ(x)·(P_B x)_n·x_c), so x and −x give the same drive up to the change of Δ between
them; their sign is carried only by Δ's dependence on x (through the rank-r projection W_Δ), and can
be nearly lost, which H(x_{1:t} | h_t) measures exactly.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import math

from . import _constants as K
from ._claim import Claim, Hypothesis, Setting

# The optional [fano] table of a regime file.
FANO_SETTINGS = {"fano": {"steps": Setting("int>0", 6, "largest horizon t of the input sequence x_1:t")}}

__all__ = [
    "FANO", "FANO_CORRECTED", "MAX_SEQUENCE_BITS", "ConditionalLaw", "alphabet_bits", "fano_steps",
    "decodable_steps", "exact_posterior_reason", "conditional_laws", "paper_bound", "weak_bound",
    "strong_bound", "fano_phi", "max_error", "horizon_issue", "RESOLUTION_RTOL", "symbol_transitions",
]

# Enumeration limit: at most 2^MAX_SEQUENCE_BITS input sequences per horizon t
# (t·m ≤ 14, e.g. t ≤ 14 for scalar binary inputs).
MAX_SEQUENCE_BITS = 14
# A conditional covariance with smallest eigenvalue below this fraction of its
# largest (or exactly zero) is treated as singular: the posterior would then
# have point masses, which the Gaussian likelihoods cannot express.
SINGULAR_RTOL = 1e-12
# float64 resolves h_t at horizon t when its rounding, ~ eps·max_k ‖μ_k‖∞ (the states are as large as
# the conditional means), stays below this fraction of the smallest conditional standard deviation:
# the log-likelihoods are then right to ~1e-6 nats.  Otherwise the posterior computed from the rounded
# states and means would be a number unrelated to the model (e.g. h_0 = 1e300: the inputs' and the
# noise's contributions are lost entirely), and the horizon is left undecided.
RESOLUTION_RTOL = 1e-6


def alphabet_bits(regime) -> int:
    """log₂|X| for one input symbol: m bits for Rademacher inputs on {−s, +s}^m."""
    return int(regime.m)


def fano_steps(regime) -> int:
    """T: the largest horizon t of the check (``[fano] steps``)."""
    return int(regime.setting("fano", "steps"))


def decodable_steps(regime) -> list[int]:
    """The horizons t = 1..T whose 2^(m·t) sequences can be enumerated."""
    return [t for t in range(1, fano_steps(regime) + 1) if alphabet_bits(regime) * t <= MAX_SEQUENCE_BITS]


def applicable(regime) -> str | None:
    if regime.input_law != "rademacher":
        return ("Fano's inequality is about a finite input alphabet; this regime's inputs are Gaussian "
                "(set [inputs] law = \"rademacher\")")
    if regime.input_scale == 0.0:
        return ("the inputs are constant (inputs.scale = 0: x_t ≡ 0), so x_{1:t} takes one value: |X| = 1, "
                "log₂|X| = 0 and the bound divides by zero, while the sequence is known without error (P_e = 0)")
    return None


def exact_posterior_reason(regime) -> str | None:
    """None when p(x_{1:t} | h_t) is computable exactly here, else why not."""
    if regime.gate_depends_on_state:
        return ("the gate depends on the state (U ≠ 0): given x_{1:t}, h_t is not Gaussian, so the exact "
                "posterior p(x_{1:t} | h_t) is not available; no estimate is made")
    if not decodable_steps(regime):
        return (f"even t = 1 has 2^{alphabet_bits(regime)} input symbols, beyond the enumeration limit "
                f"2^{MAX_SEQUENCE_BITS}")
    return None


def fano_hypotheses(regime) -> tuple[Hypothesis, ...]:
    m = alphabet_bits(regime)
    finite = regime.input_law == "rademacher"
    detail = (f"Rademacher inputs on {{−s, +s}}^{m}: |X| = 2^{m} per symbol, log₂|X| = {m} bit(s)"
              if finite else "Gaussian inputs: no finite alphabet")
    return (Hypothesis("finite input alphabet X", finite, detail),) + K.gate_range_hypotheses(
        regime, needed=False, why=("Fano's inequality holds for any estimator from any state, whatever the gate's "
                                   "values; the exact posterior uses the tanh gate as the model applies it"))


@dataclasses.dataclass(frozen=True)
class ConditionalLaw:
    """The law of h_t given each input sequence x_{1:t} (sequences in code order).

    ``means`` (K, d); ``covs`` (K, d, d), or (1, d, d) when it does not depend on
    the sequence (constant gate).  Sequence k has symbols code_j(k) read in base
    2^m, oldest first: code(x) = Σ_i [x_i > 0]·2^i for one symbol.
    """

    t: int
    means: np.ndarray
    covs: np.ndarray


def _symbols(regime) -> np.ndarray:
    """All 2^m input symbols, row c has code c: x_i = +s if bit i of c is set, else −s."""
    m = regime.m
    codes = np.arange(2 ** m)
    bits = (codes[:, None] >> np.arange(m)[None, :]) & 1
    return regime.input_scale * np.where(bits == 1, 1.0, -1.0)


def symbol_transitions(regime, symbols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(M(x), c(x)) for each symbol (rows of ``symbols``): M (S, d, d), c (S, d), for a gate that does not
    depend on h — h_t = M(x_t) h_{t−1} + c(x_t) + w_t.

    Gated: M = diag(g) A; leaky: M = I − diag(g)(I − A); both with c = diag(g) B x.  S6: M = diag(decay(x)),
    c = drive(x) (``theorems.s6.transition``)."""
    d = regime.d
    if regime.form == "s6":
        from .s6 import transition
        decay, drive = transition(regime.s6, symbols)              # (S, d) each
        Ms = np.zeros((symbols.shape[0], d, d))
        Ms[:, np.arange(d), np.arange(d)] = decay
        return Ms, drive
    gates = _gate_values(regime, symbols)                          # (S, d)
    eye = np.eye(d)
    if regime.form == "gated":
        Ms = gates[:, :, None] * regime.A[None]                     # diag(g) A
    else:
        Ms = eye[None] - gates[:, :, None] * (eye - regime.A)[None]  # I − diag(g)(I − A)
    return Ms, gates * (symbols @ regime.B.T)                      # diag(g) B x


def _gate_values(regime, symbols: np.ndarray) -> np.ndarray:
    """g(x) for each symbol (rows), for a gate that does not depend on h."""
    if regime.gate_kind == "constant":
        return np.broadcast_to(regime.gate_value, (symbols.shape[0], regime.d)).copy()
    z = symbols @ regime.W.T + regime.b
    return regime.gate_of(z)


def conditional_laws(regime, steps: int) -> list[ConditionalLaw]:
    """Exact law of h_t given x_{1:t} for t = 1..steps (gate independent of h)."""
    if regime.gate_depends_on_state:
        raise ValueError("the gate depends on the state: h_t given x_{1:t} is not Gaussian")
    d = regime.d
    symbols = _symbols(regime)
    Ms, cs = symbol_transitions(regime, symbols)                   # (S, d, d), (S, d)
    shared_cov = regime.gate_kind == "constant"
    means = np.asarray(regime.h0, float)[None]
    covs = np.zeros((1, d, d))
    out = []
    S = symbols.shape[0]
    # Moments beyond float64's range are left as they come out (inf/NaN); horizon_issue flags them.
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            # New sequence index = old index · S + code(x_t).
            means = np.einsum("sij,kj->ksi", Ms, means) + cs[None]     # (K, S, d)
            means = means.reshape(-1, d)
            if shared_cov:
                covs = Ms[:1] @ covs @ Ms[:1].transpose(0, 2, 1) + regime.noise_cov[None]
            else:
                covs = np.einsum("sij,kjl,sml->ksim", Ms, covs, Ms).reshape(-1, d, d) + regime.noise_cov[None]
            covs = 0.5 * covs + 0.5 * covs.transpose(0, 2, 1)   # halve first: no overflow near 1e308
            out.append(ConditionalLaw(t, means, covs))
            assert means.shape[0] == S ** t
    return out


def _finite(law: ConditionalLaw) -> bool:
    return bool(np.all(np.isfinite(law.means)) and np.all(np.isfinite(law.covs)))


def singular_step(laws: list[ConditionalLaw]) -> int | None:
    """The first t whose conditional covariance is singular (see SINGULAR_RTOL), else None.

    Laws that overflowed (not finite) are not singular; :func:`horizon_issue` reports them.
    """
    for law in laws:
        if not _finite(law):
            continue
        eig = np.linalg.eigvalsh(law.covs)
        if not np.all(np.isfinite(eig)):      # a variance beyond float64's range: horizon_issue's case
            continue
        top = eig[:, -1]
        if np.any(eig[:, 0] <= SINGULAR_RTOL * np.maximum(top, 0.0)) or np.any(top <= 0.0):
            return law.t
    return None


def horizon_issue(law: ConditionalLaw) -> str | None:
    """Why the exact posterior at this horizon cannot be computed in float64 (None: it can).

    * the law of h_t given x_{1:t} overflowed (means or covariances not finite);
    * float64 does not resolve h_t: rounding ≈ eps·max‖μ_k‖∞ exceeds ``RESOLUTION_RTOL`` times
      the smallest conditional standard deviation (see ``RESOLUTION_RTOL``).
    """
    t = law.t
    if not _finite(law):
        return (f"t={t}: the law of h_t given x_{{1:t}} overflowed float64 (inf/NaN in its mean or covariance); "
                "the posterior cannot be computed: undecided")
    eig = np.linalg.eigvalsh(law.covs)
    if not np.all(np.isfinite(eig)):
        return (f"t={t}: a variance of h_t given x_{{1:t}} exceeds float64's range (the covariance's largest "
                "eigenvalue overflows); the posterior cannot be computed: undecided")
    scale = float(np.max(np.abs(law.means)))
    sd_min = math.sqrt(max(float(eig[:, 0].min()), 0.0))
    rounding = np.finfo(float).eps * scale
    if not rounding <= RESOLUTION_RTOL * sd_min:
        return (f"t={t}: float64 does not resolve h_t: its rounding ≈ {rounding:.3g} (|μ| up to {scale:.3g}) exceeds "
                f"{RESOLUTION_RTOL:g} × the smallest conditional sd {sd_min:.3g}, so the posterior would be computed "
                "from rounding errors: undecided")
    return None


# --- the three bounds, in bits -------------------------------------------------------------

def paper_bound(H_bits, m: int, t: int | None = None):
    """The paper's right-hand side (H − 1) / log₂|X| with the per-symbol |X| = 2^m."""
    return (np.asarray(H_bits, float) - 1.0) / m


def weak_bound(H_bits, m: int, t: int):
    """Fano, weak form, for the sequence alphabet K = 2^(m t): (H − 1) / log₂ K."""
    return (np.asarray(H_bits, float) - 1.0) / (m * t)


def fano_phi(p, m: int, t: int):
    """φ_K(p) = h_b(p) + p·log₂(K − 1), K = 2^(m t), in bits (concave and, on [0, 1 − 1/K], increasing)."""
    p = np.asarray(p, float)
    bits = m * t
    log2_km1 = bits + math.log2(-math.expm1(-bits * math.log(2.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        hb = -(np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
               + np.where(p < 1, (1 - p) * np.log2(np.where(p < 1, 1 - p, 1.0)), 0.0))
    out = hb + p * log2_km1
    return float(out) if out.ndim == 0 else out


def max_error(m: int, t: int) -> float:
    """1 − 1/K, K = 2^(m t): the largest error probability of the MAP decoder."""
    return -math.expm1(-m * t * math.log(2.0))


def strong_bound(H_bits, m: int, t: int):
    """Fano, strong form: the smallest P with h_b(P) + P log₂(K − 1) ≥ H, K = 2^(m t) (bits).

    φ_K(P) = h_b(P) + P log₂(K − 1) rises from 0 to log₂ K on [0, 1 − 1/K]; an H
    outside [0, log₂ K] (a confidence-interval end) is clamped into it first.
    Scalar or array input.
    """
    from .. import estimators
    H = np.clip(np.asarray(H_bits, float), 0.0, float(m * t))
    out = np.vectorize(lambda h: estimators.fano_lower_bound(float(h), base=2, form="strong",
                                                             log_alphabet_size=float(m * t)))(H)
    return float(out) if out.ndim == 0 else out


FANO = Claim(
    id="fano",
    title="Fano's inequality, as stated (per-symbol alphabet)",
    section="§4.4",
    statement="P_e ≥ (H(x_{1:t} | ĥ_t) − 1) / log₂|X|,  |X| = per-symbol alphabet",
    latex=r"P_e \ge \frac{H(x_{1:t}\mid \hat h_t) - 1}{\log_2 |\mathcal{X}|}",
    summary=(
        "The error probability of decoding the whole input sequence from the state is at least "
        "(H(x_{1:t}|ĥ_t) − 1 bit) divided by the log-size of one input symbol's alphabet."
    ),
    kind="paper",
    hypotheses=fano_hypotheses,
    applicable=applicable,
    settings=FANO_SETTINGS,
    forms=("gated", "leaky", "s6"),
)

FANO_CORRECTED = Claim(
    id="fano-corrected",
    title="Fano's inequality for the sequence alphabet |X|^t",
    section="§4.4",
    statement=(
        "h_b(P_e) + P_e·log₂(|X|^t − 1) ≥ H(x_{1:t} | ĥ_t)  (strong; decides),  "
        "P_e ≥ (H − 1)/(t·log₂|X|)  (weak)"
    ),
    latex=(
        r"h_b(P_e) + P_e \log_2(|\mathcal{X}|^t-1) \ge H(x_{1:t}\mid \hat h_t),\quad "
        r"P_e \ge \frac{H(x_{1:t}\mid \hat h_t)-1}{t\log_2|\mathcal{X}|}"
    ),
    summary=(
        "Fano's inequality with the alphabet of the object decoded, the sequence x_{1:t} (|X|^t values). "
        "It holds for every decoder, so it must PASS everywhere."
    ),
    kind="corrected",
    corrects="fano",
    hypotheses=fano_hypotheses,
    applicable=applicable,
    settings=FANO_SETTINGS,
    forms=("gated", "leaky", "s6"),
)
