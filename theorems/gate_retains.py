"""§3.1.2 and §4.5: "a component whose gate is 0 retains its previous state".

Paper.  §3.1.2: components with gating values close to zero "retain their previous
state"; §4.5: "G_i(x_t) = 0 means that the previous value of the hidden state is
retained" (and §2.2 says the same of its gated update).  The model adds the process
noise w_t to every component (§3.1), so the strongest reading that can hold is
retention up to that noise, for every state and input the gate may see:

    G_i(x_t, h_{t−1}) = 0   ⇒   h_{t,i} = h_{t−1,i} + w_{t,i},

i.e. the *retention error* r_{t,i} = h_{t,i} − h_{t−1,i} − w_{t,i} vanishes.  With the
pre-activation p = A h_{t−1} + B x_t the update's algebra gives, for any gate value g_i,

    leaky (§3.1):  r_{t,i} = g_i (p_i − h_{t−1,i})     → 0       at g_i = 0,
    gated (§2.2):  r_{t,i} = g_i p_i − h_{t−1,i}        → −h_{t−1,i} at g_i = 0.

So the claim holds exactly in the leaky form, and in the gated form a closed gate
*resets* the component to the noise (h_{t,i} = w_{t,i}): the previous state is lost
whenever it is not 0.  "Close to zero" (§3.1.2) follows by continuity in g_i: |r| is
proportional to g_i in the leaky form and tends to |h_{t−1,i}| in the gated form.  A
sigmoid gate is never 0 (σ > 0); G_i = 0 is its limit b_i → −∞, which is why the value
at G_i = 0 is evaluated from the update itself rather than waited for on the paths.  A tanh
gate (§3.0.5) is 0 exactly where its pre-activation is, but its values lie in (−1, 1), outside
the G_i ∈ [0, 1] of §4.5 that the statement assumes: its rows are not applicable (the
measurement is still reported) unless every value the model allows is ≥ 0.

Mamba's selective scan (form "s6").  Its update h_{t,i} = exp(Δ_c A_i) h_{t−1,i} + Δ_c (P_B x_t)_n x_{t,c} + w_{t,i}
(i = c·N + n, Δ = softplus(W_Δ x_t + b_Δ) > 0, A_i < 0) has the gate G_i = 1 − exp(Δ_c A_i) ∈ [0, 1), and
Δ_c = log(1 − G_i)/A_i is a function of G_i.  So the update as a function of the gate is

    s6:  r_{t,i} = −G_i h_{t−1,i} + (log(1 − G_i)/A_i)·(P_B x_t)_n x_{t,c}     → 0 at G_i = 0,

and a closed gate (Δ_c = 0: no decay, no drive) retains the state exactly, as in the leaky form; near 0,
|r| ≈ G_i |h_{t−1,i} + (P_B x_t)_n x_{t,c}/|A_i|| is proportional to G_i.  G_i = 0 is never reached (softplus > 0):
it is the limit Δ_c → 0 (b_Δ → −∞), evaluated, as for the sigmoid, from the update itself at Δ = 0.

Corrected.  Retention at a closed gate is a property of the leaky form (and of S6) only; in the
gated form G_i = 0 gives h_{t,i} = w_{t,i}, and in general r_{t,i} is as above.
"""

from __future__ import annotations

import numpy as np

from . import _constants as K
from ._claim import Claim, Hypothesis, Setting

__all__ = ["GATE_RETAINS", "CORRECTED_STATEMENT", "GATE_RETAINS_SETTINGS", "CLOSED_FORM", "zero_gate_components"]

GATE_RETAINS_SETTINGS = {
    "gate_retains": {
        "steps": Setting("int>0", 16, "horizon T: the retention error is evaluated at the states the chain visits "
                                      "at t = 1..T"),
    },
}

CORRECTED_STATEMENT = ("leaky form and S6: G_i = 0 ⇒ h_{t,i} = h_{t−1,i} + w_{t,i} exactly (leaky: r_{t,i} = "
                       "G_i((A h_{t−1} + B x_t)_i − h_{t−1,i}); S6: r_{t,i} = −G_i h_{t−1,i} + Δ_c (P_B x_t)_n x_{t,c} with "
                       "Δ_c = log(1 − G_i)/A_i); gated form: G_i = 0 ⇒ h_{t,i} = w_{t,i}, the component is reset and "
                       "r_{t,i} = −h_{t−1,i} (in general r_{t,i} = G_i (A h_{t−1} + B x_t)_i − h_{t−1,i})")

# The retention error r = h_t,i − h_{t−1,i} − w_t,i as the update's algebra gives it, p = A h_{t−1} + B x_t.
CLOSED_FORM = {
    "leaky": "r_{t,i} = g_i (p_i − h_{t−1,i}); at g_i = 0: r = 0 (retained)",
    "gated": "r_{t,i} = g_i p_i − h_{t−1,i}; at g_i = 0: r = −h_{t−1,i} (reset to the noise)",
    "s6": ("r_{t,i} = −g_i h_{t−1,i} + Δ_c (P_B x_t)_n x_{t,c}, Δ_c = log(1 − g_i)/A_i; at g_i = 0 (Δ_c = 0): "
           "r = 0 (retained)"),
}


def zero_gate_components(regime) -> list[int]:
    """The components whose gate is exactly 0 at every step: constant gate entries equal to 0, or rows of a
    tanh gate that read neither x nor h with b_i = 0 (tanh 0 = 0; the sigmoid is never 0: [])."""
    if regime.gate_kind == "sigmoid":
        return []
    if regime.gate_kind == "s6":
        # G_i = 1 − exp(Δ_c A_i) is 0 only where Δ_c = softplus(W_c[c]·x + b_c) is 0 in float64: a channel whose Δ
        # reads no input and whose softplus(b_c) underflows (b_c below about −745).
        from .s6 import softplus
        p = regime.s6
        reads = np.any(p.dt_weight != 0.0, axis=1) & (regime.input_scale != 0.0)
        shut = ~reads & (softplus(p.dt_proj_bias) == 0.0)
        return [int(c * p.N + n) for c in np.flatnonzero(shut) for n in range(p.N)]
    if regime.gate_kind != "constant":
        reads = np.any(np.asarray(regime.U) != 0.0, axis=1)
        if regime.input_scale != 0.0:
            reads = reads | np.any(np.asarray(regime.W) != 0.0, axis=1)
        g = regime.gate_of(np.asarray(regime.b, float))
        return [int(i) for i in np.flatnonzero(~reads & (g == 0.0))]
    return [int(i) for i in np.flatnonzero(np.asarray(regime.gate_value, float) == 0.0)]


def _hypotheses(regime) -> tuple[Hypothesis, ...]:
    if regime.gate_kind == "constant":
        g = np.asarray(regime.gate_value, float)
        zeros = zero_gate_components(regime)
        gate = Hypothesis("G_i ∈ [0, 1] (§4.5)", bool(np.all((g >= 0.0) & (g <= 1.0))),
                          f"constant gate {np.array2string(g, precision=4, threshold=8)}; "
                          + (f"0 at component(s) {zeros[:8]}{' …' if len(zeros) > 8 else ''}" if zeros
                             else "no component is 0"))
    elif regime.gate_kind == "s6":
        gate = Hypothesis("G_i ∈ [0, 1] (§4.5)", True,
                          "S6: G_i = 1 − exp(Δ_c A_i) ∈ [0, 1) with Δ = softplus(W_Δ x + b_Δ) > 0 and A < 0; G_i = 0 is "
                          "the limit Δ_c → 0, where the drive Δ_c (P_B x)_n x_c vanishes too")
    elif regime.gate_kind == "tanh":
        gate = K.gate_range_hypotheses(regime, needed=True, why=(
            "the statement reads the gate as §4.5 defines it, G_i ∈ [0, 1] with 0 meaning 'retain' and 1 'update'; "
            "the update's algebra at G_i = 0 (reported) is the same for any gate"))[0]
    else:
        gate = Hypothesis("G_i ∈ [0, 1] (§4.5)", True,
                          "sigmoid gate: values in (0, 1), never exactly 0 (G_i = 0 is the limit b_i → −∞)")
    lam = np.linalg.eigvalsh(np.asarray(regime.noise_cov, float))
    noise = Hypothesis("process noise w_t ~ N(0, Q) on every component (§3.1)", True,
                       f"diagonal of Q: {np.array2string(np.diag(regime.noise_cov), precision=4, threshold=8)}; "
                       f"smallest eigenvalue {lam.min():.4g}")
    return gate, noise


GATE_RETAINS = Claim(
    id="gate-retains",
    title="A component whose gate is 0 retains its previous state",
    section="§3.1.2, §4.5",
    statement="G_i(x_t, h_{t−1}) = 0  ⇒  h_{t,i} = h_{t−1,i} + w_{t,i}   (r_{t,i} = h_{t,i} − h_{t−1,i} − w_{t,i} = 0)",
    latex=r"G_i(x_t,h_{t-1}) = 0 \;\Rightarrow\; h_{t,i} = h_{t-1,i} + w_{t,i}",
    summary=(
        "A closed gate keeps the component's previous value (up to the process noise every component receives). "
        "True in the leaky form of §3.1, where r = 0 exactly; false in the gated form of §2.2, where a closed gate "
        "resets the component to the noise, r = −h_{t−1,i}."
    ),
    kind="paper",
    hypotheses=_hypotheses,
    settings=GATE_RETAINS_SETTINGS,
    forms=("gated", "leaky", "s6"),
)
