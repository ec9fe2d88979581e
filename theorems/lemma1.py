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
"""

from __future__ import annotations

import jax.numpy as jnp

from . import _constants as K
from ._claim import Claim, Setting

# The optional [lemma1] table of a regime file, read by Lemma 1's checks and by those built on its coupled
# chains (lemma1-independent, theorem2-geometric).
LEMMA1_SETTINGS = {"lemma1": {
    "steps": Setting("int>0", 20, "steps of the coupled chains"),
    "separations": Setting("floats>0", None, "initial distances ‖h_0 − h'_0‖; default (1e-3, 1, 1e2, 1e4) × the "
                                             "regime's length scale √(s²‖B‖²_F + tr Q)"),
}}

__all__ = ["LEMMA1", "LEMMA1_CORRECTED", "corrected_factor"]

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
    hypotheses=K.theorem2_hypotheses,
    bound=K.kappa,
    settings=LEMMA1_SETTINGS,
)

LEMMA1_CORRECTED = Claim(
    id="lemma1-corrected",
    title="Lemma 1, corrected: the pathwise one-step bound",
    section="§6.2",
    statement=(
        "E‖Δ_t‖ ≤ E[c_t‖Δ_{t−1}‖ + ‖w_t − w'_t‖],  c_t = ρ·max|g(h)| + L_c‖A h' + B x_t‖ (gated); "
        "(1 − min g) + ρ·max|g| + L_c‖(A − I)h' + B x_t‖ (leaky)"
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
    hypotheses=lambda regime: K.gate_range_hypotheses(regime, needed=False, why=CORRECTED_RANGE),
    bound=lambda regime: 1.0,
    settings=LEMMA1_SETTINGS,
)
