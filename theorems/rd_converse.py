"""``rd-converse`` (§4.1, a control): every compressor of h_t lies on or above the rate-distortion curve.

I(h; ĥ) ≥ R(E‖h − ĥ‖²) for any reproduction ĥ of h: a consequence of the definition of R(D)
(§4.1), so the check must PASS.  h_t is the exact Gaussian source of :mod:`._gaussian_source`
(constant gate, Gaussian inputs), R(D) its reverse water-filling curve (bits, distortions in
state units²).
"""

from __future__ import annotations

from ._claim import Claim
from ._gaussian_source import RATE_DISTORTION_SETTINGS, source_hypotheses, source_reason

__all__ = ["RD_CONVERSE"]

RD_CONVERSE = Claim(
    id="rd-converse",
    title="Rate-distortion converse: compressors lie on or above R(D)",
    section="§4.1",
    statement="I(h_t; ĥ_t) ≥ R(E‖h_t − ĥ_t‖²) for every compressor ĥ_t",
    latex=r"I(h_t;\hat h_t) \ge R\big(\mathbb{E}\|h_t-\hat h_t\|^2\big)",
    summary=(
        "No representation of the state reaches a distortion D with fewer bits of information about the state "
        "than R(D) (reverse water-filling). A consequence of the definition of R(D): it must PASS."
    ),
    kind="control",
    hypotheses=source_hypotheses,
    applicable=source_reason,
    settings=RATE_DISTORTION_SETTINGS,
)
