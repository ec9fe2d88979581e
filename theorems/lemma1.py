"""Lemma 1 (§6.2): contraction in expectation, and the bound the algebra gives instead.

Paper.  Under the hypotheses of Theorem 2 (‖A‖₂ ≤ ρ, G Lipschitz in h with
constant L_G, ρ·L_G < 1), two copies h, h' of the chain satisfy
E‖h_t − h'_t‖ ≤ κ E‖h_{t−1} − h'_{t−1}‖ with κ = ρ·L_G.

Corrected.  Write Δ_t = h_t − h'_t, with both copies driven by the same input
x_t.  For the gated form,
    Δ_t = diag(G(h)) A Δ_{t−1} + (G(h) − G(h')) ⊙ (A h' + B x_t) + (w_t − w'_t),
and for the leaky form
    Δ_t = (I − diag(G(h))(I − A)) Δ_{t−1} + (G(h) − G(h')) ⊙ ((A − I) h' + B x_t) + (w_t − w'_t),
where h = h_{t−1}, h' = h'_{t−1}.  With the component-wise constant
L_c = max_i ‖U_i‖₂·sup φ' (max_i ‖U_i‖₂/4 for the sigmoid gate, max_i ‖U_i‖₂ for tanh;
|g_i(h) − g_i(h')| ≤ L_c‖Δ‖, so ‖(G − G') ⊙ v‖₂ ≤ L_c‖Δ‖‖v‖₂), every path obeys
    ‖Δ_t‖ ≤ c_t ‖Δ_{t−1}‖ + ‖w_t − w'_t‖,
    c_t = ρ·max_i |g_i(h)| + L_c ‖A h' + B x_t‖₂                     (gated),
    c_t = (1 − min_i g_i(h)) + ρ·max_i |g_i(h)| + L_c ‖(A − I) h' + B x_t‖₂  (leaky),
since ‖diag(g) A Δ‖ ≤ max_i |g_i|·ρ‖Δ‖ and ‖diag(1 − g) Δ‖ ≤ max_i |1 − g_i|‖Δ‖ = (1 − min_i g_i)‖Δ‖
whenever every g_i ≤ 1.  For gates in [0, 1] (constant, sigmoid) |g_i| = g_i; the absolute value
matters for the tanh gate of §3.0.5, whose values lie in (−1, 1), and the bound holds for it too.
Taking expectations gives the corrected lemma E‖Δ_t‖ ≤ E[c_t ‖Δ_{t−1}‖ + ‖w_t − w'_t‖].
The first term of c_t is what the paper's κ omits: with a constant gate
(L_G = 0) κ = 0 although Δ_t = diag(g) A Δ_{t−1} ≠ 0.  The noise term vanishes
only under synchronous coupling (w = w').

Mamba's selective scan (form "s6", ``theorems/s6.py``).  Its update is
    h_t = decay(x_t) ⊙ h_{t−1} + drive(x_t) + w_t,   decay_i(x) = exp(Δ_c(x) A[c,n]) ∈ (0, 1],
with Δ(x) = softplus(W_Δ x + b_Δ) > 0 and Mamba's A[c,n] = −exp(A_log[c,n]) < 0 (i = c·N + n).  Mamba's A is
not the paper's A.  The reading that makes the paper's statement well defined is the leaky form of §3.1
with the gate G = 1 − decay ∈ [0, 1):
    h_t = (1 − G(x_t)) ⊙ h_{t−1} + G(x_t) ⊙ b(x_t) + w_t,   b(x) = drive(x)/G(x)   (G > 0 when Δ > 0),
so the paper's state matrix inside the gate's argument is A = 0 (ρ = ‖A‖₂ = 0) and its "B x" is the
input-only term b(x).  (Reading S6 as the gated form instead would need A = diag(decay/G), which depends on
the input and is unbounded as Δ → 0, so no ρ exists.)  Either way the gate reads only the input, so
L_G = 0 and the paper's κ = ρ·L_G = 0: the lemma asserts that two copies on the same inputs coincide after
one step.  In truth, under synchronous coupling Δ_t = decay(x_t) ⊙ Δ_{t−1} exactly, so ‖Δ_t‖ > 0 on every
path while Δ_0 ≠ 0.  Quantitatively, since x_t is independent of Δ_{t−1} and
min_i decay_i(x) = exp(−max_c a_c Δ_c(x)) ≥ exp(−Σ_c a_c Δ_c(x)) with a_c = max_n |A[c,n]|, Jensen gives
    E‖Δ_t‖ / E‖Δ_{t−1}‖ ≥ E[min_i decay_i(x)] ≥ exp(−Σ_c a_c E[Δ_c]) =: ℓ > 0      (:func:`s6_ratio_lower_bound`)
at every t and every initial separation, exactly (E[Δ_c] by quadrature, ``s6.expected_delta``).  With
independent noise the same bound holds: Δ_t = decay ⊙ Δ_{t−1} + (w_t − w'_t), the noise difference is
symmetric and independent of the rest, and E‖v + ξ‖ ≥ ‖v‖ for such ξ (conditional Jensen).

The corrected bound on S6 is the leaky formula with A = 0 and L_c = 0: c_t = 1 − min_i G_i(x_t) =
max_i decay_i(x_t), pathwise ‖Δ_t‖ ≤ max_i decay_i(x_t)·‖Δ_{t−1}‖ + ‖w_t − w'_t‖ (‖diag(v)u‖ ≤ max|v_i|·‖u‖).
Under synchronous coupling the corrected Lemma-1 constant is then
    κ_S6 = sup_x max_i decay_i(x) = max_c exp(−softplus(inf_x u_c(x))·min_n |A[c,n]|) ≤ 1,
u_c = W_Δ[c]·x + b_Δ[c] (:func:`s6_contraction_constant`): 1, not attained, for Gaussian inputs (u_c is
unbounded below, Δ_c → 0); below 1 for Rademacher inputs or channels whose Δ does not read the input.  The
mean ratio is at most E[max_i decay_i(x)] ≤ κ_S6; per coordinate the mean factor is E[decay_i]
(``s6.expected_decay``), and the slowest coordinate contracts at exp(λ₁), λ₁ = max A[c,n]·E[Δ_c]
(``s6.lyapunov_exponent``).
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from . import _constants as K
from ._claim import Claim, Hypothesis, Setting

# The optional [lemma1] table of a regime file, read by Lemma 1's checks and by those built on its coupled
# chains (lemma1-independent, theorem2-geometric).
LEMMA1_SETTINGS = {"lemma1": {
    "steps": Setting("int>0", 20, "steps of the coupled chains"),
    "separations": Setting("floats>0", None, "initial distances ‖h_0 − h'_0‖; default (1e-3, 1, 1e2, 1e4) × the "
                                             "regime's length scale √(s²‖B‖²_F + tr Q)"),
}}

__all__ = ["LEMMA1", "LEMMA1_CORRECTED", "corrected_factor", "paper_hypotheses", "paper_kappa", "paper_constants",
           "s6_ratio_lower_bound", "s6_contraction_constant", "s6_contraction_factors"]

# Why the corrected bound is decided on a tanh gate (values in (−1, 1)).
CORRECTED_RANGE = ("the corrected bound uses ρ·max_i |g_i| and 1 − min_i g_i, valid for any gate values ≤ 1, and "
                   "L_c = max_i ‖U_i‖₂ (sup tanh' = 1), so it must hold on every path here too")


def corrected_factor(model, rho, lipschitz_c, h_prev, h_prev_other, x, g):
    """c_t of the corrected lemma for one pair (JAX; g = G(x_t, h_{t−1}) of the first copy, any values ≤ 1:
    ρ·max|g| bounds ‖diag(g) A‖, which for a tanh gate's negative values is not ρ·max g)."""
    v_gated = model.A @ h_prev_other + model.B @ x
    v = v_gated - model.leaky * h_prev_other
    first = rho * jnp.max(jnp.abs(g)) + model.leaky * (1.0 - jnp.min(g))
    return first + lipschitz_c * jnp.linalg.norm(v)


# --- Mamba's selective scan (form "s6") --------------------------------------------------------------------

S6_READING = ("S6 read as the leaky form (§3.1) with G = 1 − exp(Δ(x)A) ∈ [0, 1): h_t = (1 − G) ⊙ h_{t−1} + "
              "G ⊙ (drive(x_t)/G) + w_t, so the paper's state matrix inside the gate's argument is A = 0; Mamba's "
              "A = −exp(A_log) enters only through the gate")


def paper_kappa(regime) -> float:
    """The paper's κ = ρ·L_G for Lemma 1 (and its reading with independent noise): ``K.kappa`` for the paper's
    forms; 0 for S6, whose gate reads only the input (L_G = 0, and ρ = 0 in the leaky reading)."""
    return 0.0 if regime.form == "s6" else K.kappa(regime)


def paper_constants(regime) -> dict:
    """κ, ρ, L_G and the component-wise L_G as the paper's Lemma 1 defines them (S6: all 0, see the module)."""
    if regime.form == "s6":
        return {"kappa": 0.0, "rho": 0.0, "lipschitz": 0.0, "lipschitz_componentwise": 0.0}
    return {"kappa": K.kappa(regime), "rho": K.rho(regime), "lipschitz": K.lipschitz_vector(regime),
            "lipschitz_componentwise": K.lipschitz_componentwise(regime)}


def _s6_hypotheses(regime) -> tuple[Hypothesis, ...]:
    """Theorem 2's hypotheses 1–3 (Lemma 1's) for Mamba's selective scan, in the leaky reading (module doc)."""
    p = regime.s6
    a = p.A
    return (
        Hypothesis("G Lipschitz in h with constant L_G", True,
                   "S6 gate G = 1 − exp(Δ(x_t)A), Δ = softplus(W_Δ x_t + b_Δ), reads only the input x_t: L_G = 0 "
                   f"(Mamba's A[c,n] = −exp(A_log) ∈ [{a.min():.4g}, {a.max():.4g}] enters only through G)"),
        Hypothesis("‖A‖₂ ≤ ρ", True, f"{S6_READING}: ρ = ‖A‖₂ = 0"),
        Hypothesis("ρ·L_G < 1", True, "ρ·L_G = 0 × 0 = 0 (L_G = 0 makes κ = 0 in any reading of ρ)"),
    )


def paper_hypotheses(regime) -> tuple[Hypothesis, ...]:
    """Lemma 1's hypotheses (those of Theorem 2): ``K.theorem2_hypotheses``, or their S6 evaluation."""
    if regime.form == "s6":
        return _s6_hypotheses(regime)
    return K.theorem2_hypotheses(regime)


def s6_ratio_lower_bound(params, input_law: str, input_scale: float) -> float:
    """ℓ = exp(−Σ_c max_n|A[c,n]|·E[Δ_c]) ≤ E[min_i decay_i(x)] ≤ E‖Δ_t‖/E‖Δ_{t−1}‖ (both couplings; module doc).

    min_i exp(Δ_c A[c,n]) = exp(−max_c a_c Δ_c) ≥ exp(−Σ_c a_c Δ_c) (every a_c Δ_c ≥ 0), then Jensen
    (exp convex): E exp(−Y) ≥ exp(−E Y).  E[Δ_c] is exact up to quadrature rounding.
    """
    from .s6 import expected_delta
    rate = float(np.sum(np.exp(params.A_log.max(axis=1)) * expected_delta(params, input_law, input_scale)))
    return math.exp(-rate)


def s6_contraction_constant(params, input_law: str, input_scale: float) -> tuple[float, bool]:
    """(κ_S6, attained): κ_S6 = sup over allowed inputs x of max_i decay_i(x), the corrected Lemma-1 constant
    under synchronous coupling, and whether some allowed x attains it.

    decay for channel c is largest at its smallest |A[c,n]| and its smallest Δ_c = softplus(u_c), softplus
    increasing, so κ_S6 = max_c exp(−softplus(inf u_c)·min_n|A[c,n]|), u_c = W_Δ[c]·x + b_Δ[c]:
    inf u_c = −∞ (Gaussian inputs, s > 0, W_Δ[c] ≠ 0; then Δ_c → 0 and the factor → 1, not attained),
    b_Δ[c] − s‖W_Δ[c]‖₁ (Rademacher inputs), b_Δ[c] (s = 0 or W_Δ[c] = 0).
    """
    from .s6 import softplus
    W, b, s = params.dt_weight, params.dt_proj_bias, float(input_scale)
    reads = np.any(W != 0.0, axis=1) & (s != 0.0)
    if input_law == "rademacher":
        low = b - np.where(reads, s * np.sum(np.abs(W), axis=1), 0.0)
    else:
        low = np.where(reads, -np.inf, b)
    with np.errstate(over="ignore"):
        factors = np.exp(-softplus(low) * np.exp(params.A_log.min(axis=1)))
    c = int(np.argmax(factors))
    return float(factors[c]), bool(np.isfinite(low[c]))


def s6_contraction_factors(regime) -> dict:
    """The per-step contraction factors of two S6 copies on the same inputs, for the report (exact up to
    quadrature rounding): the range of E[decay_i] over coordinates, of the forgetting rates E[Δ_c]|A[c,n]|
    (nats per step), λ₁ and exp(λ₁), the lower bound ℓ of the mean ratio and the corrected constant κ_S6."""
    from . import s6
    p, law, scale = regime.s6, regime.input_law, regime.input_scale
    dec = s6.expected_decay(p, law, scale)
    rates = s6.forgetting_rates(p, law, scale)
    lyap = s6.lyapunov_exponent(p, law, scale)
    const, attained = s6_contraction_constant(p, law, scale)
    return {
        "expected_decay_range": [float(dec.min()), float(dec.max())],
        "forgetting_rate_range": [float(rates.min()), float(rates.max())],
        "lyapunov_exponent": lyap.exponent, "exp_lyapunov": math.exp(lyap.exponent),
        "slowest_coordinate": {"channel": lyap.channel, "state": lyap.state, "index": lyap.index},
        "ratio_lower_bound": s6_ratio_lower_bound(p, law, scale),
        "corrected_constant": const, "corrected_constant_attained": attained,
        "meaning": ("two copies on the same inputs differ by Δ_t = decay(x_t) ⊙ Δ_{t−1} (+ w_t − w'_t): per step "
                    "coordinate i keeps the fraction E[decay_i] ∈ expected_decay_range in mean; the ratio "
                    "E‖Δ_t‖/E‖Δ_{t−1}‖ is at least ratio_lower_bound > 0 = κ and, synchronously, at most "
                    "corrected_constant = sup_x max_i decay_i(x); forgetting rates E[Δ_c]|A[c,n]| in nats per "
                    "step, λ₁ = the slowest of them (negated)"),
    }


def _corrected_hypotheses(regime) -> tuple[Hypothesis, ...]:
    if regime.form != "s6":
        return K.gate_range_hypotheses(regime, needed=False, why=CORRECTED_RANGE)
    const, attained = s6_contraction_constant(regime.s6, regime.input_law, regime.input_scale)
    return (Hypothesis(
        "S6: c_t = max_i exp(Δ_c(x_t)A[c,n]) (L_c = 0)", True,
        f"{S6_READING}; the corrected factor is c_t = 1 − min_i G_i = max_i decay_i(x_t) (A = 0, the gate reads "
        f"only x); κ_S6 = sup_x max_i decay_i(x) = {const:.6g}" + ("" if attained else " (approached, not attained)")
        + " bounds E‖Δ_t‖/E‖Δ_{t−1}‖ under synchronous coupling"),)


LEMMA1 = Claim(
    id="lemma1",
    title="Lemma 1: contraction in expectation",
    section="§6.2",
    statement="E‖h_t − h'_t‖ ≤ κ·E‖h_{t−1} − h'_{t−1}‖,  κ = ρ·L_G < 1",
    latex=r"\mathbb{E}\|h_t-h'_t\| \le \kappa\,\mathbb{E}\|h_{t-1}-h'_{t-1}\|,\quad \kappa=\rho L_G<1",
    summary=(
        "Two copies of the chain approach each other in mean by the factor ρ·L_G per step, "
        "under the hypotheses of Theorem 2."
    ),
    kind="paper",
    hypotheses=paper_hypotheses,
    bound=paper_kappa,
    settings=LEMMA1_SETTINGS,
    forms=("gated", "leaky", "s6"),
    s6_exact=True,
)

LEMMA1_CORRECTED = Claim(
    id="lemma1-corrected",
    title="Lemma 1, corrected: the pathwise one-step bound",
    section="§6.2",
    statement=(
        "E‖Δ_t‖ ≤ E[c_t‖Δ_{t−1}‖ + ‖w_t − w'_t‖],  c_t = ρ·max|g(h)| + L_c‖A h' + B x_t‖ (gated); "
        "(1 − min g) + ρ·max|g| + L_c‖(A − I)h' + B x_t‖ (leaky); max_i exp(Δ_c(x_t)A[c,n]) (S6)"
    ),
    latex=(
        r"\mathbb{E}\|\Delta_t\| \le \mathbb{E}\big[c_t\|\Delta_{t-1}\| + \|w_t-w'_t\|\big],\ "
        r"c_t=\rho\max_i |g_i| + L_c\|Ah'+Bx_t\|"
    ),
    summary=(
        "What the algebra of the paper's own proof gives: a state- and input-dependent factor plus the "
        "noise difference. It holds on every path, so it must PASS everywhere."
    ),
    kind="corrected",
    corrects="lemma1",
    hypotheses=_corrected_hypotheses,
    bound=lambda regime: 1.0,
    settings=LEMMA1_SETTINGS,
    forms=("gated", "leaky", "s6"),
    s6_exact=True,
)
