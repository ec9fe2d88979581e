"""``theorem1`` (§6.1, the paper's Theorem 1): the memory compression bound.

If I(ĥ_t; x_{1:t}) ≥ I_min then D ≤ D_max(I_min), with D_max the distortion-rate function of h_t
(the exact Gaussian source of :mod:`._gaussian_source`: constant gate, Gaussian inputs).  D(·)
decreases, so the claim is strongest at the largest admissible I_min = I(ĥ; x_{1:t}), where it is
tested.  Rate-distortion theory bounds D from *below*, D ≥ D(I(h; ĥ)), and I(ĥ; x) ≤ I(h; ĥ);
nothing bounds it from above: a gate that drops coordinates holding only process noise keeps
I(ĥ; x) = I(h; x) while its distortion is the variance it dropped.
"""

from __future__ import annotations

from ._claim import Claim, Hypothesis
from ._gaussian_source import RATE_DISTORTION_SETTINGS, source_hypotheses, source_reason

__all__ = ["THEOREM1", "theorem1_hypotheses"]


def theorem1_hypotheses(regime) -> tuple[Hypothesis, ...]:
    return source_hypotheses(regime) + (
        Hypothesis("ĥ_t = G ⊙ h_t for a gate G ∈ [0,1]^d", True,
                   "the deciding compressors are gates: coordinate subsets (g ∈ {0,1}^d), scalings, the regime's gate"),
        Hypothesis("I(ĥ_t; x_{1:t}) ≥ I_min", True,
                   "I_min := I(ĥ_t; x_{1:t}) of each compressor, the largest admissible value (strongest claim)"),
    )


THEOREM1 = Claim(
    id="theorem1",
    title="Theorem 1: memory compression bound",
    section="§6.1",
    statement="I(ĥ_t; x_{1:t}) ≥ I_min  ⇒  E‖h_t − ĥ_t‖² ≤ D(I_min),  tested at I_min = I(ĥ_t; x_{1:t})",
    latex=(r"I(\hat h_t;x_{1:t})\ge I_{\min} \;\Rightarrow\; \mathbb{E}\|h_t-\hat h_t\|^2 \le D(I_{\min}),"
           r"\quad I_{\min}=I(\hat h_t;x_{1:t})"),
    summary=(
        "A gate that keeps at least I_min bits about the inputs has distortion at most the distortion-rate "
        "function of h_t at I_min. Rate-distortion theory bounds distortion from below, not above."
    ),
    kind="paper",
    hypotheses=theorem1_hypotheses,
    applicable=source_reason,
    settings=RATE_DISTORTION_SETTINGS,
)
