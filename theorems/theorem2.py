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
"""

from __future__ import annotations

import numpy as np

from . import _constants as K
from ._claim import Claim

__all__ = ["THEOREM2", "linear_transition", "innovation_covariance", "exact_moments"]


def linear_transition(regime) -> np.ndarray | None:
    """M of the linear chain h_t = M h_{t−1} + η_t (constant gate only), else None."""
    if regime.gate_kind != "constant":
        return None
    G = np.diag(regime.gate_value)
    if regime.form == "gated":
        return G @ regime.A
    return np.eye(regime.d) - G @ (np.eye(regime.d) - regime.A)


def innovation_covariance(regime) -> np.ndarray:
    """Cov(η_t) = diag(g) B Bᵀ diag(g) s² + Q (inputs have covariance s² I for both laws)."""
    G = np.diag(regime.gate_value)
    return regime.input_scale ** 2 * G @ regime.B @ regime.B.T @ G + regime.noise_cov


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
    hypotheses=K.theorem2_hypotheses,
)
