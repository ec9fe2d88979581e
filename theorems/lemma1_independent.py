"""Lemma 1 read as written (§6.2): two copies with *independent* process noise.

Paper.  Under the hypotheses of Theorem 2, "let h'_t be another realization":
E‖h_t − h'_t‖ ≤ κ E‖h_{t−1} − h'_{t−1}‖, κ = ρ·L_G < 1.  The proof says "w_t
and w'_t are independent and identically distributed with zero mean, their
expected difference is zero": the two copies do *not* share their noise.  This
claim decides the lemma under that coupling (same inputs x_t, independent
w_t, w'_t); ``lemma1`` decides it under synchronous coupling, the reading most
favourable to the paper.

Why it fails whenever Q ≠ 0.  Δ_t = F(h_{t−1}, h'_{t−1}, x_t) + (w_t − w'_t),
with w_t − w'_t ~ N(0, 2Q) independent of the first term and symmetric, so
E‖Δ_t‖ ≥ E‖w_t − w'_t‖ > 0 at every step (conditional Jensen on the convex
norm).  The distance never falls below this noise floor, so once it gets
there the ratio E‖Δ_t‖/E‖Δ_{t−1}‖ is close to 1 > κ; with L_G = 0 (κ = 0)
it fails at the first step.

Corrected.  The corrected one-step bound, ``lemma1-corrected``:
E‖Δ_t‖ ≤ E[c_t‖Δ_{t−1}‖] + E‖w_t − w'_t‖, the last term being the noise floor
E‖w_t − w'_t‖ = E‖(2Q)^{1/2} z‖ (z standard normal), given by :func:`noise_floor`.

Mamba's selective scan (form "s6").  The statement is meaningful there: two realizations on the same inputs
with independent noise differ by Δ_t = decay(x_t) ⊙ Δ_{t−1} + (w_t − w'_t).  The gate reads only the input,
so κ = ρ·L_G = 0 (``theorems.lemma1``: the leaky reading, A = 0), and the claim says E‖Δ_t‖ = 0 for t ≥ 1.
It fails twice over, exactly: E‖Δ_t‖ ≥ E‖w_t − w'_t‖ > 0 when Q ≠ 0, and, Q or not,
E‖Δ_t‖ ≥ E‖decay(x_t) ⊙ Δ_{t−1}‖ ≥ ℓ·E‖Δ_{t−1}‖ with ℓ = exp(−Σ_c max_n|A[c,n]| E[Δ_c]) > 0
(``theorems.lemma1.s6_ratio_lower_bound``; conditional Jensen on the symmetric noise difference).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate

from ._claim import Claim
from .lemma1 import LEMMA1_SETTINGS, paper_hypotheses, paper_kappa

__all__ = ["LEMMA1_INDEPENDENT", "CORRECTED_STATEMENT", "noise_floor"]

CORRECTED_STATEMENT = ("E‖Δ_t‖ ≤ E[c_t‖Δ_{t−1}‖] + E‖w_t − w'_t‖ (lemma1-corrected), with the noise floor "
                       "E‖w_t − w'_t‖ = E‖(2Q)^{1/2}z‖ > 0 whenever Q ≠ 0")


def noise_floor(Q) -> float:
    """E‖w − w'‖₂ for independent w, w' ~ N(0, Q), in state units.

    w − w' ~ N(0, 2Q); with λ_i the eigenvalues of 2Q, E‖·‖ = E√Y, Y = Σ λ_i z_i².  By
    √y = (1/(2√π)) ∫₀^∞ (1 − e^{−sy}) s^{−3/2} ds and E e^{−sY} = Π_i (1 + 2sλ_i)^{−1/2},
    E√Y = (1/(2√π)) ∫₀^∞ (1 − Π_i (1 + 2sλ_i)^{−1/2}) s^{−3/2} ds  (one quadrature).
    For Q = qI in d dimensions it is √(4q)·Γ((d+1)/2)/Γ(d/2).
    """
    lam = np.clip(np.linalg.eigvalsh(2.0 * np.asarray(Q, float)), 0.0, None)
    top = float(lam.max()) if lam.size else 0.0
    if top == 0.0:
        return 0.0
    lam = lam / top                                   # scale out: E√Y scales as √top

    def integrand(v):                                 # s = v²: 2(1 − Π(1 + 2v²λ_i)^{−1/2})/v², finite at 0
        s = v * v
        if s == 0.0:
            return 2.0 * float(np.sum(lam))           # the limit as v → 0
        return 2.0 * float(-np.expm1(-0.5 * np.sum(np.log1p(2.0 * s * lam)))) / s

    value, _ = integrate.quad(integrand, 0.0, math.inf, limit=200, epsabs=0.0, epsrel=1e-10)
    return float(math.sqrt(top) * value / (2.0 * math.sqrt(math.pi)))


LEMMA1_INDEPENDENT = Claim(
    id="lemma1-independent",
    title="Lemma 1 as written: contraction in expectation with independent noise",
    section="§6.2",
    statement="E‖h_t − h'_t‖ ≤ κ·E‖h_{t−1} − h'_{t−1}‖,  κ = ρ·L_G < 1,  w_t, w'_t independent",
    latex=(r"\mathbb{E}\|h_t-h'_t\| \le \kappa\,\mathbb{E}\|h_{t-1}-h'_{t-1}\|,\quad \kappa=\rho L_G<1,"
           r"\quad w_t \perp w'_t"),
    summary=(
        "Lemma 1 as its proof reads it: two realizations driven by the same inputs but independent process noise "
        "approach each other by the factor ρ·L_G per step. Their distance cannot fall below the noise floor "
        "E‖w_t − w'_t‖ > 0, so it fails whenever Q ≠ 0."
    ),
    kind="paper",
    hypotheses=paper_hypotheses,
    bound=paper_kappa,
    settings=LEMMA1_SETTINGS,
    forms=("gated", "leaky", "s6"),
    s6_exact=True,
)
