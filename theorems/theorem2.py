"""Theorem 2 (§6.1): convergence of the gated stochastic hidden state.

Paper.  If G is Lipschitz in h with constant L_G, ‖A‖ ≤ ρ and ρ·L_G < 1, then
h_t converges "in mean square" to a unique stationary distribution.  The proof
iterates Lemma 1: E‖h_t − h'_t‖ ≤ κ^t E‖h_0 − h'_0‖ → 0.

What is tested.  The proof's own reading: copies of the chain started from
different states and driven by the same inputs and noise (synchronous
coupling) merge, so E‖h_T − h'_T‖ < E‖h_{T/2} − h'_{T/2}‖ over the second half
of a horizon T; a chain whose states overflow has diverged.  With a constant
gate the chain is linear, h_t = M h_{t−1} + η_t, with
M = diag(g) A (gated) or I − diag(g)(I − A) (leaky) and η_t = diag(g) B x_t + w_t;
it converges iff the spectral radius of M is below 1, and its exact law over
time (mean Mᵗh_0, covariance Σ_t = M Σ_{t−1} Mᵀ + Cov η) and stationary
covariance (Σ = M Σ Mᵀ + Cov η) are the oracles.  The hypotheses put no bound on
ρ when L_G = 0: a constant gate 1 with A = 2I satisfies them and diverges.

Mamba's selective scan (form "s6", ``theorems/s6.py``).  The update is
h_t = M(x_t) h_{t−1} + c(x_t) + w_t with the diagonal, input-dependent
M(x) = diag(decay(x)), decay_{c·N+n}(x) = exp(Δ_c(x) A[c, n]), and the drive
c(x) = Δ_c(x)(P_B x)[n] x[c].  Its gate G = 1 − decay reads only x, so the
paper's L_G is 0 and κ = ρ·L_G = 0 whatever ρ: the hypotheses hold.  The chain is
in the input-gated tier (the linear tier when the inputs are 0, s = 0: then
M = diag(decay(0)) and c ≡ 0).  For a diagonal M(x) the second-moment operator
E[M ⊗ M] is diagonal with entries E[decay_i decay_j]; by Cauchy–Schwarz each is at
most max_k E[decay_k²], attained at i = j = k, so ρ(E[M ⊗ M]) = max_i E[decay_i²].
Since Δ_c = softplus(·) > 0 and A[c, n] = −exp(A_log) < 0, every decay lies in
(0, 1) for every input, hence E[decay_i²] < 1: an S6 layer with i.i.d. inputs of
finite moments (|c(x)| grows at most like |x|³ since softplus(u) ≤ |u| + log 2, and
Gaussian and Rademacher inputs have all moments) and finite noise covariance is mean-square stable, by
exact mathematics, whatever its parameters.
"""

from __future__ import annotations

import math

import numpy as np

from . import _constants as K
from ._claim import Claim, Setting

# The optional [theorem2] table of a regime file.
THEOREM2_SETTINGS = {"theorem2": {
    "steps": Setting("int>0", 200, "horizon of the coupled chains (state-dependent gates)"),
    "initial_radius": Setting("float>0", None, "one more initial distance (kept for older regime files)"),
    "radii": Setting("floats>0", None, "initial distances; default (1e-3, 1, 1e2, 1e4) × the regime's length "
                                       "scale, plus any given here"),
}}

__all__ = ["THEOREM2", "linear_transition", "innovation_covariance", "exact_moments", "chain_tier",
           "constant_gate_values", "spectral_radius_certificate", "is_s6", "s6_hypotheses", "theorem2_hypotheses",
           "kappa"]

LINEAR, INPUT_GATED, STATE_DEPENDENT = "linear", "input-gated", "state-dependent"


def constant_gate_values(regime) -> np.ndarray | None:
    """The gate vector when it depends on neither x nor h (a constant gate, or φ(b) — σ(b) or tanh(b) — with
    U = 0 and W = 0 or no inputs: s = 0 makes x_t ≡ 0)."""
    if regime.gate_kind == "constant":
        return np.asarray(regime.gate_value, float)
    reads_x = bool(np.any(regime.W)) and regime.input_scale != 0.0
    if regime.gate_is_parametric and not reads_x and not np.any(regime.U):
        return np.asarray(regime.gate_of(np.asarray(regime.b, float)), float)
    return None


def is_s6(regime) -> bool:
    """Whether the regime is Mamba's selective scan (form "s6")."""
    return getattr(regime, "form", None) == "s6"


def _s6_inputs_vanish(regime) -> bool:
    """S6 with input scale 0: x_t ≡ 0, so M = diag(decay(0)) is constant and the drive c(0) is 0."""
    return is_s6(regime) and regime.input_scale == 0.0


def s6_hypotheses(regime):
    """Theorem 2's hypotheses for an S6 layer, in the paper's terms, in the reading Lemma 1 uses
    (``theorems.lemma1.S6_READING``): S6 is the leaky form with G = 1 − exp(Δ(x) A), whose state matrix
    inside the gate's argument is 0, so ρ = 0; the gate reads only the input, so L_G = 0; κ = ρ·L_G = 0
    (κ = 0 for every finite ρ, so no other reading of ρ changes a verdict).  Mamba's own A = −exp(A_log)
    enters through the gate; its largest |A[c, n]| is reported beside."""
    from ._claim import Hypothesis
    from .lemma1 import S6_READING
    biggest = float(np.max(np.abs(regime.s6.A)))
    return (
        Hypothesis("G Lipschitz in h with constant L_G", True,
                   "S6: G = 1 − exp(Δ(x)·A) reads only the input (Δ = softplus(W_Δ x + b_Δ)), so L_G = 0"),
        Hypothesis("‖A‖₂ ≤ ρ", True,
                   f"{S6_READING}: ρ = ‖A‖₂ = 0 (Mamba's own A has max |A[c, n]| = {biggest:.4g}; κ = 0 for "
                   "every finite ρ)"),
        Hypothesis("ρ·L_G < 1", True, "ρ·L_G = 0 × 0 = 0 (κ = 0)"),
    )


def theorem2_hypotheses(regime):
    """Hypotheses 1–3 of Theorem 2: :func:`s6_hypotheses` for form "s6", else ``_constants``'."""
    return s6_hypotheses(regime) if is_s6(regime) else K.theorem2_hypotheses(regime)


def kappa(regime) -> float:
    """κ = ρ·L_G: 0 for form "s6" (L_G = 0), else ``_constants.kappa``."""
    return 0.0 if is_s6(regime) else K.kappa(regime)


def chain_tier(regime) -> str:
    """How Theorem 2 is decided: "linear" (gate constant), "input-gated" (gate reads x only) or
    "state-dependent" (gate reads h) — for sigmoid and tanh gates alike.  Form "s6" is input-gated (its
    transition diag(exp(Δ(x)A)) reads x only), also when its inputs are 0: its decision is the exact argument
    0 < decay < 1, which a float64 M (whose decays may round to 1) cannot replace."""
    if is_s6(regime):
        return INPUT_GATED
    if constant_gate_values(regime) is not None:
        return LINEAR
    return STATE_DEPENDENT if regime.gate_depends_on_state else INPUT_GATED


def linear_transition(regime) -> np.ndarray | None:
    """M of the linear chain h_t = M h_{t−1} + η_t (gate independent of x and h), else None.

    Form "s6": diag(decay(0)) = diag(exp(softplus(b_Δ)[c]·A[c, n])) when the inputs are 0 (s = 0), else
    None (the transition M(x) = diag(decay(x)) depends on x: the input-gated tier)."""
    if is_s6(regime):
        if not _s6_inputs_vanish(regime):
            return None
        from .s6 import transition
        decay, _ = transition(regime.s6, np.zeros(regime.s6.m))
        return np.diag(decay)
    g = constant_gate_values(regime)
    if g is None:
        return None
    G = np.diag(g)
    if regime.form == "gated":
        return G @ regime.A
    return np.eye(regime.d) - G @ (np.eye(regime.d) - regime.A)


def innovation_covariance(regime) -> np.ndarray:
    """Cov(η_t) = diag(g) B Bᵀ diag(g) s² + Q (inputs have covariance s² I for both laws).

    Form "s6" with inputs 0 (the only S6 chain of the linear tier): the drive c(0) is 0, so Cov η = Q."""
    if is_s6(regime):
        if not _s6_inputs_vanish(regime):
            raise ValueError(f"regime {regime.name!r}: S6 with inputs is not a linear chain (its transition reads x)")
        return np.array(regime.noise_cov, dtype=float)
    G = np.diag(constant_gate_values(regime))
    with np.errstate(over="ignore", invalid="ignore"):
        return np.float64(regime.input_scale) ** 2 * G @ regime.B @ regime.B.T @ G + regime.noise_cov


def spectral_radius_certificate(M: np.ndarray) -> tuple[str, float, str]:
    """Decide ρ(M) < 1 for a given float64 matrix, exactly where float64 can.

    Returns (decision, ρ̂, how) with decision "below", "at-or-above" or "undecided":
    * eigenvalues: ρ̂ from ``numpy.linalg.eigvals``; its error is bounded to first order by
      64·ε·‖M‖_F times the condition number 1/|yᴴx| of the dominant eigenvalue (left and right
      eigenvectors).  Outside that band the comparison with 1 is decided;
    * otherwise a certificate by powers: ‖M^k‖₂ < 1/2 for some k = 2^j (repeated squaring,
      j ≤ 62) proves ρ(M) ≤ ‖M^k‖^(1/k) < 1; |tr M^k|/d ≥ 1 or |det M| ≥ 1 proves ρ(M) ≥ 1
      (|tr M^k| ≤ d·ρ^k and |det M| ≤ ρ^d) — exact for M = I and its relatives;
    * else undecided.
    """
    M = np.asarray(M, float)
    d = M.shape[0]
    eps = float(np.finfo(float).eps)
    if not np.all(np.isfinite(M)):
        return "undecided", float("nan"), "the transition matrix is not finite"
    import scipy.linalg

    rho = float(np.max(np.abs(np.linalg.eigvals(M))))
    with np.errstate(all="ignore"):
        vals, left, right = scipy.linalg.eig(M, left=True, right=True)
        mags = np.abs(vals)
        top = mags >= mags.max() * (1.0 - 1e-12)
        s = np.abs(np.sum(np.conj(left) * right, axis=0)) / (np.linalg.norm(left, axis=0)
                                                                * np.linalg.norm(right, axis=0))
        cond = float(np.max(np.where(top, 1.0 / s, 0.0)))
        if not abs(float(mags.max()) - rho) <= 1e-6 * rho:   # the two eigensolvers disagree: no error bound
            cond = math.inf
        err = 64.0 * eps * float(np.linalg.norm(M)) * cond
    if math.isfinite(err):
        if rho + err < 1.0:
            return "below", rho, f"ρ(M) = {rho:.17g} ± {err:.2g} (eigenvalue condition {cond:.3g})"
        if rho - err > 1.0:
            return "at-or-above", rho, f"ρ(M) = {rho:.17g} ± {err:.2g} (eigenvalue condition {cond:.3g})"
    with np.errstate(all="ignore"):
        det = abs(float(np.linalg.det(M)))
    if det >= 1.0:
        return "at-or-above", rho, f"|det M| = {det:.17g} ≥ 1, so ρ(M) ≥ 1"
    P = M.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(1, 63):
            P = P @ P
            if not np.all(np.isfinite(P)):
                break
            if abs(np.trace(P)) / d >= 1.0:
                return "at-or-above", rho, f"|tr M^(2^{j})|/d ≥ 1, so ρ(M) ≥ 1"
            if np.linalg.norm(P, 2) < 0.5:
                return "below", rho, f"‖M^(2^{j})‖₂ < 1/2, so ρ(M) < 1"
    return "undecided", rho, f"ρ(M) = {rho:.17g} is within float64's error of 1"


def exact_moments(regime, h0, steps: int):
    """Exact means (steps+1, d) and covariances (steps+1, d, d) of h_t from h_0 (constant gate)."""
    M, S = linear_transition(regime), innovation_covariance(regime)
    means, covs = [np.asarray(h0, float)], [np.zeros((regime.d, regime.d))]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            means.append(M @ means[-1])
            covs.append(M @ covs[-1] @ M.T + S)
    return np.array(means), np.array(covs)


THEOREM2 = Claim(
    id="theorem2",
    title="Theorem 2: convergence to a unique stationary law",
    section="§6.1",
    statement="ρ·L_G < 1  ⇒  h_t → π in mean square (π unique, stationary)",
    latex=r"\rho L_G<1 \;\Rightarrow\; h_t \to \pi \text{ in mean square},\ \pi \text{ unique and stationary}",
    summary=(
        "Under the Lipschitz and norm hypotheses, the hidden state forgets its initial condition and "
        "settles into one stationary distribution."
    ),
    kind="paper",
    hypotheses=theorem2_hypotheses,
    settings=THEOREM2_SETTINGS,
    forms=("gated", "leaky", "s6"),
    s6_exact=True,
)
