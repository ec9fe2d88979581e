"""Constants the paper's hypotheses are stated in: ρ, L_G and κ = ρ·L_G (§3.0.1, §6.1)."""

from __future__ import annotations

import functools

import numpy as np

from ._claim import Hypothesis
from ._lipschitz import ACTIVATIONS, GateLipschitz, gate_lipschitz_regime
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
    e = int(np.frexp(top)[1])            # top = f·2^e, f in [0.5, 1); 2^e itself overflows for top ≥ 2^1023
    with np.errstate(over="ignore"):
        return float(np.ldexp(np.linalg.norm(np.ldexp(A, -e), 2), e))


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
    ‖diag(φ'(z))U‖₂.  It is φ'(0)‖U‖₂ — ‖U‖₂/4 for the sigmoid, ‖U‖₂ for tanh — when z = 0 is
    reachable (e.g. Gaussian inputs and [W U] of full row rank), and can be smaller otherwise.
    Constant gate: 0.
    """
    return lipschitz(regime).value


def lipschitz_norm_bound(regime) -> float:
    """φ'(0)‖U‖₂ (0 for a constant gate): ‖U‖₂/4 for a sigmoid gate (σ' ≤ 1/4), ‖U‖₂ for a tanh gate (tanh' ≤ 1),
    reached if z = 0 is reachable (and sometimes otherwise)."""
    return lipschitz(regime).norm_bound


def derivative_peak(regime) -> float:
    """sup φ' of the regime's gate activation: 1/4 (sigmoid), 1 (tanh, at z = 0); 0 for a constant gate."""
    act = ACTIVATIONS.get(regime.gate_kind)
    return 0.0 if act is None else act.peak


def lipschitz_componentwise(regime) -> float:
    """L_G for |g_i(x,h) − g_i(x,h')| ≤ L_G ‖h − h'‖₂ for every i (§3.0.1): max_i ‖U_i‖₂·sup φ'
    (max_i ‖U_i‖₂/4 for the sigmoid, max_i ‖U_i‖₂ for tanh).

    Exact: sup_z φ'(z_i)‖U_i‖₂ with z_i = W_i·x + U_i·h + b_i, and when U_i ≠ 0 the term U_i·h
    reaches every real, so z_i = 0 is reachable, where φ' peaks; a row U_i = 0 contributes 0.
    """
    peak = derivative_peak(regime)
    if peak == 0.0:
        return 0.0
    return float(np.linalg.norm(regime.U, axis=1).max()) * peak


def gate_value_range(regime) -> tuple[float, float, bool, bool]:
    """(lo, hi, lo_attained, hi_attained): the infimum and supremum of the gate values G_i(x, h) over every
    component i, every x in the support of the inputs and every h ∈ Rᵈ (the "for all x_t and h_{t−1}" of
    §3.0.3), and whether each is attained.

    Row by row the pre-activation z_i = W_i·x + U_i·h + b_i ranges over R when U_i ≠ 0 (h is free) or when
    the inputs are Gaussian with s > 0 and W_i ≠ 0; over the finite set b_i + s·W_i·ε (Rademacher signs ε),
    whose extremes are b_i ± s‖W_i‖₁; and is b_i when the row reads neither.  φ is increasing, so the range
    of G_i is φ of that of z_i (an unbounded end is approached, not attained).
    """
    if not regime.gate_is_parametric:
        g = np.asarray(regime.gate_value, float)
        return float(g.min()), float(g.max()), True, True
    W, U, b = np.asarray(regime.W, float), np.asarray(regime.U, float), np.asarray(regime.b, float)
    s = float(regime.input_scale)
    reads_h = np.any(U != 0.0, axis=1)
    reads_x = np.any(W != 0.0, axis=1) & (s != 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        if regime.input_law == "rademacher":
            spread = s * np.sum(np.abs(W), axis=1)
        else:
            spread = np.where(reads_x, np.inf, 0.0)
        spread = np.where(reads_x, spread, 0.0)
        spread = np.where(reads_h, np.inf, spread)
        z_lo, z_hi = b - spread, b + spread
    lo_row, hi_row = regime.gate_of(z_lo), regime.gate_of(z_hi)
    i_lo, i_hi = int(np.argmin(lo_row)), int(np.argmax(hi_row))
    return (float(lo_row[i_lo]), float(hi_row[i_hi]), bool(np.isfinite(z_lo[i_lo])), bool(np.isfinite(z_hi[i_hi])))


def gate_range_hypotheses(regime, *, needed: bool, why: str) -> tuple[Hypothesis, ...]:
    """The range the paper's model gives the gate, G ∈ [0, 1]^d (§3.0.3, §4.5), for a tanh gate only.

    A constant gate (the schema keeps it in [0, 1]) and a sigmoid gate (values in (0, 1)) give ``()``: their rows
    are unchanged.  A tanh gate (§3.0.5, g_i = tanh(W_i·x + U_i·h + b_i) as the paper writes it) takes values in
    (−1, 1), so every row that uses it says so here:

    * ``needed=True`` (the claim's statement assumes the range): a hypothesis "G ∈ [0, 1]^d" that holds only when
      every gate value the model allows is ≥ 0 (:func:`gate_value_range`), else fails, so the row is
      NOT_APPLICABLE with its measurement still reported;
    * ``needed=False`` (the claim does not use the range): a caveat that holds, naming the range; ``why`` says
      why the claim is still decided.
    """
    if regime.gate_kind != "tanh":
        return ()
    lo, hi, lo_in, hi_in = gate_value_range(regime)
    span = (f"{'[' if lo_in else '('}{lo:.4g}, {hi:.4g}{']' if hi_in else ')'}").replace("-", "−")
    inside = lo >= 0.0
    values = (f"tanh gate (§3.0.5): G_i = tanh(W_i·x + U_i·h + b_i) takes values in {span} over the allowed x and "
              "every h" + ("; these lie in [0, 1]" if inside else
                           ", outside the [0, 1] the paper's model assumes (§3.0.3, §4.5: G ∈ [0, 1]^d)"))
    if needed:
        return (Hypothesis("G ∈ [0, 1]^d (§3.0.3, §4.5)", inside, f"{values}; {why}"),)
    return (Hypothesis("gate range: G ∈ [0, 1]^d not used by this claim", True, f"{values}; caveat: {why}"),)


# Why Lemma 1 and Theorem 2 (and their proof's iterate) are decided on a tanh gate.
LIPSCHITZ_CLAIMS_RANGE = ("the statement involves the gate only through L_G (here the exact constant for tanh, "
                          "sup tanh' = 1, not 1/4) and ρ; the proof's step ‖G ⊙ AΔ‖ ≤ ‖A‖‖Δ‖ needs only "
                          "|g_i| ≤ 1, which tanh keeps, so the row is decided; in the leaky form the weight "
                          "1 − g_i ∈ (0, 2) of h_{t−1} can exceed 1")


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
    if regime.gate_is_parametric:
        row = "max_i‖U_i‖₂/4" if regime.gate_kind == "sigmoid" else "max_i‖U_i‖₂"
        gate = f"{regime.gate_kind} gate: {lip.describe()}; component-wise {row} = {lc:.4g}"
    else:
        gate = "constant gate: L_G = 0"
    return (
        Hypothesis("G Lipschitz in h with constant L_G", True, gate),
        Hypothesis("‖A‖₂ ≤ ρ", True, f"ρ = ‖A‖₂ = {r:.4g}"),
        Hypothesis("ρ·L_G < 1", kappa(regime) < 1.0, f"ρ·L_G = {r:.4g} × {lv:.4g} = {kappa(regime):.4g}"),
    ) + gate_range_hypotheses(regime, needed=False, why=LIPSCHITZ_CLAIMS_RANGE)
