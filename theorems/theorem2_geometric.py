"""The proof step of Theorem 2 (§6.2): Lemma 1 iterated, E‖Δ_t‖ ≤ κᵗ E‖Δ_0‖.

Paper.  "By repeatedly applying Lemma 1, we have E‖h_t − h'_t‖ ≤ κᵗ E‖h_0 − h'_0‖",
κ = ρ·L_G < 1, for any two trajectories, under the hypotheses of Theorem 2.
This claim checks that inequality directly, at every t ≤ T and for pairs of
starts at separations δ = ‖h_0 − h'_0‖ (deterministic, so E‖Δ_0‖ = δ), under
synchronous coupling (shared inputs and noise), the coupling most favourable to
it.  With κ = 0 (any constant or input-only gate: L_G = 0) it asserts Δ_t = 0
for t ≥ 1, whereas Δ_t = Mᵗ Δ_0 ≠ 0 for a linear chain.

Corrected.  Iterating the corrected one-step bound (``lemma1-corrected``) under
synchronous coupling (w_t = w'_t) gives, on every path,
    ‖Δ_t‖ ≤ (Π_{k=1}^t c_k) ‖Δ_0‖,   so   E‖Δ_t‖ ≤ E[Π_{k≤t} c_k]·‖Δ_0‖,
with c_k the path's factor (ρ·max g + L_c‖A h'_{k−1} + B x_k‖ for the gated
form); for a constant gate c_k = ρ·max_i g_i (gated) or (1 − min g) + ρ·max g
(leaky), a number.  Under independent coupling the noise adds
Σ_k (Π_{j>k} c_j)‖w_k − w'_k‖, so no geometric decay to 0 is possible.

Mamba's selective scan (form "s6").  Its gate reads only x, so κ = 0 and the claim asserts Δ_t = 0
from t = 1 on.  Under synchronous coupling Δ_t = M(x_t)Δ_{t−1} with M(x) = diag(decay(x)),
decay_i = exp(Δ_c A[c, n]) ∈ (0, 1), so Δ_t[i] = Δ_0[i]·Π_{k≤t} decay_i(x_k) ≠ 0 whenever Δ_0[i] ≠ 0:
the claim fails exactly, on every path.  The true decay, in closed form (inputs i.i.d.): along a
coordinate direction Δ_0 = δ e_i, E‖Δ_t‖/‖Δ_0‖ = E[decay_i]^t (:func:`s6_coordinate_ratios`); for any
direction, E‖Δ_t‖²/‖Δ_0‖² = Σ_i u_i² E[decay_i²]^t ≤ ρ^t with ρ = max_i E[decay_i²] the spectral radius
of E[M ⊗ M] (Theorem 2's), so E‖Δ_t‖/‖Δ_0‖ ≤ ρ^(t/2) (Jensen): the rate is governed by E[decay²].
"""

from __future__ import annotations

import numpy as np

from ._claim import Claim
from .lemma1 import LEMMA1_SETTINGS
from .theorem2 import kappa, theorem2_hypotheses

__all__ = ["THEOREM2_GEOMETRIC", "CORRECTED_STATEMENT", "geometric_bound", "s6_coordinate_ratios"]

CORRECTED_STATEMENT = ("synchronous coupling: ‖Δ_t‖ ≤ (Π_{k≤t} c_k)‖Δ_0‖ on every path, so "
                       "E‖Δ_t‖ ≤ E[Π_{k≤t} c_k]·‖Δ_0‖, c_k the factor of lemma1-corrected "
                       "(constant gate: c = ρ·max g gated, (1 − min g) + ρ·max g leaky)")


def geometric_bound(regime, t: int) -> float:
    """κᵗ, the factor the paper's iteration asserts after t steps (0 for t ≥ 1 when κ = 0)."""
    return float(kappa(regime)) ** int(t)


def s6_coordinate_ratios(regime, steps: int) -> np.ndarray:
    """E‖Δ_t‖/‖Δ_0‖ = E[exp(Δ_c A[c, n])]^t for a pair of S6 copies started δ apart along the coordinate
    (c, n) under synchronous coupling, t = 1..steps: shape (steps, m, N), exact up to quadrature rounding
    (the decays of successive steps are independent, so the mean of their product is the product of means)."""
    from .s6 import expected_decay
    mean = expected_decay(regime.s6, regime.input_law, regime.input_scale)
    return mean[None] ** np.arange(1, int(steps) + 1)[:, None, None]


THEOREM2_GEOMETRIC = Claim(
    id="theorem2-geometric",
    title="Proof of Theorem 2: Lemma 1 iterated, geometric decay of the coupling distance",
    section="§6.2 (proof of Theorem 2)",
    statement="E‖h_t − h'_t‖ ≤ κᵗ·E‖h_0 − h'_0‖ for every t,  κ = ρ·L_G < 1",
    latex=r"\mathbb{E}\|h_t-h'_t\| \le \kappa^{t}\,\mathbb{E}\|h_0-h'_0\|,\quad \kappa=\rho L_G<1",
    summary=(
        "The step of Theorem 2's proof that iterates Lemma 1: two copies of the chain started δ apart are, in mean, "
        "at most κᵗδ apart after t steps. Checked directly over t under synchronous coupling; it fails wherever "
        "Lemma 1's constant is wrong, e.g. any constant gate (κ = 0)."
    ),
    kind="paper",
    hypotheses=theorem2_hypotheses,
    bound=kappa,
    settings=LEMMA1_SETTINGS,
    forms=("gated", "leaky", "s6"),
    s6_exact=True,
)
