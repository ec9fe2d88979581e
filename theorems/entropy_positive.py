"""§2.1: "the conditional entropy H(h_t | x_{1:t}) is greater than zero" (because of the process noise).

Paper.  "Since h_t is influenced by the stochastic process noise w_t, the
conditional entropy H(h_t|x_{1:t}) is greater than zero."  h_t is continuous,
so H is a *differential* entropy, and differential entropy can be negative.

Exactly.  When the gate does not read h (a constant gate, or an input-only
sigmoid or tanh gate, U = 0), the chain given x_{1:t} is h_t = M(x_t) h_{t−1} + c(x_t) + w_t
with M(x) = diag(G(x)) A (gated) or I − diag(G(x))(I − A) (leaky), and h_0 fixed,
so h_t | x_{1:t} ~ N(μ_t(x), Σ_t(x)) with
    Σ_0 = 0,   Σ_t = M(x_t) Σ_{t−1} M(x_t)ᵀ + Q,
and the conditional entropy is
    H(h_t | x_{1:t}) = E_x[ ½ log₂ det(2πe Σ_t(x)) ]   (bits).
For a constant gate Σ_t is deterministic and the expectation is the number
itself; for an input-only gate it is a mean over input paths (Monte Carlo, each
term exact).  Σ_t ⪰ Q on every path (t ≥ 1), with Σ_1 = Q, so the entropy is
smallest at t = 1, where it is ½ log₂ det(2πe Q) whatever the gate: negative as
soon as det(2πe Q) < 1, e.g. Q = qI with q < 1/(2πe) ≈ 0.0585, and −∞ for a
singular Q.  When the gate reads h, h_t given x_{1:t} is not Gaussian and the
claim is not evaluated here.

Mamba's selective scan (form "s6").  h_t = decay(x_t) ⊙ h_{t−1} + drive(x_t) + w_t with
decay(x)_i = exp(Δ(x)_c A_i) and drive(x)_i = Δ(x)_c (P_B x)_n x_c (i = c·N + n) reads only the input,
so the same holds with M(x) = diag(decay(x)): Σ_t = D_t Σ_{t−1} D_t + Q, D_t = diag(decay(x_t)), an
input-gated chain whose Σ_1 = Q (the entropy at t = 1 is again ½ log₂ det(2πe Q)).

Corrected.  H(h_t | x_{1:t}) = E_x[½ log₂ det(2πe Σ_t(x))] ≥ ½ log₂ det(2πe Q), which
can have either sign; what the noise does guarantee is H > −∞ (and hence a finite
I(h_t; x_{1:t})) exactly when Q is non-singular.
"""

from __future__ import annotations

import math

import numpy as np

from . import _constants as K
from ._claim import Claim, Hypothesis
from .theorem2 import linear_transition

__all__ = ["ENTROPY_POSITIVE", "CORRECTED_STATEMENT", "STEPS", "conditional_covariances_linear",
           "conditional_covariances_input_gated", "gaussian_entropy_bits", "draw_inputs", "entropy_reason"]

LOG2_2PIE = math.log2(2.0 * math.pi * math.e)
STEPS = 8                  # t = 1..STEPS are compared (the entropy is smallest at t = 1)
# Numerical allowance on each eigenvalue of Σ_t: ALLOWANCE_ULPS·ε·(t + d)·λ_max(Σ_t) (rounding of the
# recursion, t steps, and of the symmetric eigensolver, a few d ulps of the largest eigenvalue).
ALLOWANCE_ULPS = 64
EPS = float(np.finfo(np.float64).eps)

CORRECTED_STATEMENT = ("H(h_t | x_{1:t}) = E_x[½ log₂ det(2πe Σ_t(x))] ≥ ½ log₂ det(2πe Q) bits, of either sign; "
                       "finite (> −∞) exactly when Q is non-singular")


def entropy_reason(regime) -> str | None:
    """None when h_t | x_{1:t} is Gaussian (the gate does not read h), else why the claim is not evaluated."""
    if regime.gate_depends_on_state:
        return ("the gate reads h (U ≠ 0): given x_{1:t}, h_t depends on the noise through G(x, h) nonlinearly, so it "
                "is not Gaussian and H(h_t | x_{1:t}) has no closed form (a nonparametric entropy estimate would be "
                "needed)")
    return None


def _hypotheses(regime) -> tuple[Hypothesis, ...]:
    lam = np.linalg.eigvalsh(regime.noise_cov)
    gauss = not regime.gate_depends_on_state
    return (
        Hypothesis("process noise w_t ~ N(0, Q) (§2)", True,
                   f"eigenvalues of Q: {', '.join(f'{v:.4g}' for v in lam)}"
                   + ("" if lam.min() > 0 else " (singular: a degenerate Gaussian)")),
        Hypothesis("h_t | x_{1:t} Gaussian (gate does not read h)", gauss,
                   ("S6: the decay exp(Δ(x)A) and the drive Δ(x)(P_B x)x read only the input" if regime.form == "s6"
                    else "constant or input-only gate") if gauss else "the gate reads h (U ≠ 0)"),
    ) + K.gate_range_hypotheses(regime, needed=False, why=(
        "the entropy of h_t given x_{1:t} does not involve the gate's range: Σ_t(x) = M(x_t) Σ_{t−1} M(x_t)ᵀ + Q "
        "holds for any gate values, and Σ_1 = Q whatever the gate"))


def conditional_covariances_linear(regime, steps: int) -> np.ndarray:
    """Σ_1..Σ_steps of h_t | x_{1:t} for a gate independent of x and h: (steps, d, d)."""
    M = linear_transition(regime)
    Q = np.asarray(regime.noise_cov, float)
    out = np.empty((steps, regime.d, regime.d))
    S = np.zeros_like(Q)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            S = M @ S @ M.T + Q
            S = 0.5 * S + 0.5 * S.T          # halve first: no overflow near the float64 maximum
            out[t] = S
    return out


def draw_inputs(regime, rng: np.random.Generator, n: int, steps: int) -> np.ndarray:
    """(n, steps, m) inputs from the regime's law (Gaussian N(0, s²I) or Rademacher ±s)."""
    if regime.input_law == "rademacher":
        x = rng.integers(0, 2, size=(n, steps, regime.m)) * 2.0 - 1.0
    else:
        x = rng.standard_normal((n, steps, regime.m))
    return regime.input_scale * x


def conditional_covariances_input_gated(regime, xs: np.ndarray) -> np.ndarray:
    """Σ_t(x) for t = 1..T along each input path xs (n, T, m), for a gate reading x only: (n, T, d, d)."""
    n, T, _ = xs.shape
    d = regime.d
    A, Q = np.asarray(regime.A, float), np.asarray(regime.noise_cov, float)
    out = np.empty((n, T, d, d))
    S = np.zeros((n, d, d))
    eye = np.eye(d)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(T):
            if regime.form == "s6":                  # M = diag(decay(x_t)): D Σ D elementwise
                from .s6 import transition
                decay, _ = transition(regime.s6, xs[:, t, :])
                S = decay[:, :, None] * S * decay[:, None, :] + Q[None]
                S = 0.5 * S + 0.5 * np.swapaxes(S, 1, 2)
                out[:, t] = S
                continue
            if regime.gate_kind == "constant":
                g = np.broadcast_to(np.asarray(regime.gate_value, float), (n, d))
            else:
                g = regime.gate_of(xs[:, t, :] @ np.asarray(regime.W, float).T + np.asarray(regime.b, float))
            M = g[:, :, None] * A[None] if regime.form == "gated" else eye[None] - g[:, :, None] * (eye - A)[None]
            S = M @ S @ np.swapaxes(M, 1, 2) + Q[None]
            S = 0.5 * S + 0.5 * np.swapaxes(S, 1, 2)
            out[:, t] = S
    return out


def gaussian_entropy_bits(cov: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """½ log₂ det(2πe Σ) for a stack of covariances (..., d, d): (value, lower, upper, scale), in bits.

    ``lower``/``upper`` bound the value over eigenvalues within the numerical allowance
    (ALLOWANCE_ULPS·ε·(t + d)·λ_max); a zero eigenvalue gives −∞ (exact for a singular Σ), one
    within the allowance of 0 gives lower = −∞.  ``scale`` = ½ Σ_i |log₂(2πe λ_i)|, the magnitude
    the value is a sum of (finite terms only).  Non-finite covariances give NaN throughout.
    """
    cov = np.asarray(cov, float)
    d = cov.shape[-1]
    finite = np.isfinite(cov).all(axis=(-1, -2))
    safe = np.where(finite[..., None, None], cov, 0.0)
    lam = np.linalg.eigvalsh(safe)
    top = np.max(np.abs(lam), axis=-1, keepdims=True)
    err = ALLOWANCE_ULPS * EPS * (t + d) * top
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(lam > 0.0, np.log2(np.where(lam > 0.0, lam, 1.0)) + LOG2_2PIE, -np.inf)
        value = 0.5 * terms.sum(axis=-1)
        hi = 0.5 * np.where(lam + err > 0.0, np.log2(np.where(lam + err > 0, lam + err, 1.0)) + LOG2_2PIE,
                            -np.inf).sum(axis=-1)
        lo_lam = lam - err
        lo = 0.5 * np.where(lo_lam > 0.0, np.log2(np.where(lo_lam > 0, lo_lam, 1.0)) + LOG2_2PIE, -np.inf).sum(axis=-1)
        scale = 0.5 * np.where(np.isfinite(terms), np.abs(terms), 0.0).sum(axis=-1)
    nan = np.full(value.shape, np.nan)
    return (np.where(finite, value, nan), np.where(finite, lo, nan), np.where(finite, hi, nan),
            np.where(finite, scale, nan))


ENTROPY_POSITIVE = Claim(
    id="entropy-positive",
    title="The conditional entropy of the state given the inputs is positive",
    section="§2.1",
    statement="H(h_t | x_{1:t}) > 0  (differential entropy, bits),  t = 1..T",
    latex=r"H(h_t \mid x_{1:t}) > 0",
    summary=(
        "Because of the process noise, the state keeps positive entropy given the inputs. It is a differential "
        "entropy, ½ log₂ det(2πe Σ_t) for the Gaussian h_t | x_{1:t}: negative when the noise is small "
        "(Q = qI with q < 1/(2πe) at t = 1), −∞ for a singular Q."
    ),
    kind="paper",
    hypotheses=_hypotheses,
    applicable=entropy_reason,
    forms=("gated", "leaky", "s6"),
)
