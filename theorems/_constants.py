"""Constants the paper's hypotheses are stated in: ρ, L_G and κ = ρ·L_G (§3.0.1, §6.1)."""

from __future__ import annotations

import functools

import numpy as np

from ._claim import Hypothesis
from ._lipschitz import GateLipschitz, gate_lipschitz_regime
from ._memo import Keyed


def rho(regime) -> float:
    """ρ = ‖A‖₂, the smallest ρ with ‖A‖ ≤ ρ (Theorem 2, hypothesis 2).

    Computed on A scaled by a power of two (exact), so entries near float64's largest value do not
    overflow inside the SVD; a norm truly beyond float64 is inf.
    """
    A = np.asarray(regime.A, float)
    top = float(np.max(np.abs(A))) if A.size else 0.0
    if top == 0.0 or not np.isfinite(top):
        return top
    scale = 2.0 ** np.frexp(top)[1]
    with np.errstate(over="ignore"):
        return float(np.float64(np.linalg.norm(A / scale, 2)) * scale)


def _gate_key(regime) -> bytes:
    """Everything L_G depends on (gate and input law), so regimes differing elsewhere share it."""
    parts = [regime.gate_kind.encode(), regime.input_law.encode(), repr(float(regime.input_scale)).encode()]
    for arr in (regime.W, regime.U, regime.b):
        parts.append(b"none" if arr is None else repr(np.shape(arr)).encode() + np.ascontiguousarray(arr).tobytes())
    return b"|".join(parts)


def lipschitz(regime) -> GateLipschitz:
    """L_G exactly, with how it was obtained (see :mod:`theorems._lipschitz`); memoised per gate."""
    return _lipschitz_cached(Keyed(_gate_key(regime), regime))


@functools.lru_cache(maxsize=4096)
def _lipschitz_cached(request: Keyed) -> GateLipschitz:
    return gate_lipschitz_regime(request.value)


def lipschitz_vector(regime) -> float:
    """L_G for ‖G(x,h) − G(x,h')‖₂ ≤ L_G ‖h − h'‖₂ for every allowed x (Theorem 2, hypothesis 1).

    The smallest such constant: sup over reachable pre-activations z = Wx + Uh + b of
    ‖diag(σ'(z))U‖₂.  It is ‖U‖₂/4 when z = 0 is reachable (e.g. Gaussian inputs and [W U]
    of full row rank), and can be smaller otherwise.  Constant gate: 0.
    """
    return lipschitz(regime).value


def lipschitz_norm_bound(regime) -> float:
    """‖U‖₂/4 for a sigmoid gate (0 for a constant gate): the bound σ' ≤ 1/4, reached if z = 0 is reachable (and sometimes otherwise)."""
    return lipschitz(regime).norm_bound


def lipschitz_componentwise(regime) -> float:
    """L_G for |g_i(x,h) − g_i(x,h')| ≤ L_G ‖h − h'‖₂ for every i (§3.0.1): max_i ‖U_i‖₂/4.

    Exact: sup_z σ'(z_i)‖U_i‖₂ with z_i = W_i·x + U_i·h + b_i, and when U_i ≠ 0 the term U_i·h
    reaches every real, so z_i = 0 is reachable; a row U_i = 0 contributes 0.
    """
    if regime.gate_kind != "sigmoid":
        return 0.0
    return float(np.linalg.norm(regime.U, axis=1).max()) / 4.0


def kappa(regime) -> float:
    """The paper's contraction constant κ = ρ·L_G (Lemma 1); 0 when L_G = 0, whatever ρ."""
    lg = lipschitz_vector(regime)
    return 0.0 if lg == 0.0 else rho(regime) * lg


def theorem2_hypotheses(regime) -> tuple[Hypothesis, ...]:
    """Hypotheses 1–3 of Theorem 2, evaluated with the smallest admissible ρ and L_G.

    The claim is universally quantified over admissible (ρ, L_G), so testing it
    at the smallest admissible pair is a legitimate test.
    """
    r, lip, lc = rho(regime), lipschitz(regime), lipschitz_componentwise(regime)
    lv = lip.value
    gate = (
        f"sigmoid gate: {lip.describe()}; component-wise max_i‖U_i‖₂/4 = {lc:.4g}"
        if regime.gate_kind == "sigmoid" else "constant gate: L_G = 0"
    )
    return (
        Hypothesis("G Lipschitz in h with constant L_G", True, gate),
        Hypothesis("‖A‖₂ ≤ ρ", True, f"ρ = ‖A‖₂ = {r:.4g}"),
        Hypothesis("ρ·L_G < 1", kappa(regime) < 1.0, f"ρ·L_G = {r:.4g} × {lv:.4g} = {kappa(regime):.4g}"),
    )
