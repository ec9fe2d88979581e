"""Constants the paper's hypotheses are stated in: ρ, L_G and κ = ρ·L_G (§3.0.1, §6.1)."""

from __future__ import annotations

import numpy as np

from ._claim import Hypothesis


def rho(regime) -> float:
    """ρ = ‖A‖₂, the smallest ρ with ‖A‖ ≤ ρ (Theorem 2, hypothesis 2)."""
    return float(np.linalg.norm(regime.A, 2))


def lipschitz_vector(regime) -> float:
    """L_G for ‖G(x,h) − G(x,h')‖₂ ≤ L_G ‖h − h'‖₂ (Theorem 2, hypothesis 1).

    Sigmoid gate: the Jacobian in h is diag(σ')·U with σ' ≤ 1/4, so ‖U‖₂/4.
    Constant gate: 0.
    """
    if regime.gate_kind != "sigmoid":
        return 0.0
    return float(np.linalg.norm(regime.U, 2)) / 4.0


def lipschitz_componentwise(regime) -> float:
    """L_G for |g_i(x,h) − g_i(x,h')| ≤ L_G ‖h − h'‖₂ for every i (§3.0.1): max_i ‖U_i‖₂/4."""
    if regime.gate_kind != "sigmoid":
        return 0.0
    return float(np.linalg.norm(regime.U, axis=1).max()) / 4.0


def kappa(regime) -> float:
    """The paper's contraction constant κ = ρ·L_G (Lemma 1)."""
    return rho(regime) * lipschitz_vector(regime)


def theorem2_hypotheses(regime) -> tuple[Hypothesis, ...]:
    """Hypotheses 1–3 of Theorem 2, evaluated with the smallest admissible ρ and L_G.

    The claim is universally quantified over admissible (ρ, L_G), so testing it
    at the smallest admissible pair is a legitimate test.
    """
    r, lv, lc = rho(regime), lipschitz_vector(regime), lipschitz_componentwise(regime)
    gate = (
        f"sigmoid gate: L_G = ‖U‖₂/4 = {lv:.4g} (component-wise max_i‖U_i‖₂/4 = {lc:.4g})"
        if regime.gate_kind == "sigmoid" else "constant gate: L_G = 0"
    )
    return (
        Hypothesis("G Lipschitz in h with constant L_G", True, gate),
        Hypothesis("‖A‖₂ ≤ ρ", True, f"ρ = ‖A‖₂ = {r:.4g}"),
        Hypothesis("ρ·L_G < 1", r * lv < 1.0, f"ρ·L_G = {r:.4g} × {lv:.4g} = {r * lv:.4g}"),
    )
