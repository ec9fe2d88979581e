"""``rd-curve`` (§4.1, a control): the analytic R(D) of h_t against Blahut–Arimoto on a discretisation.

The reverse water-filling curve of the exact Gaussian source h_t (:mod:`._gaussian_source`) must lie
inside the band that Blahut–Arimoto certifies on a centroid discretisation of it, the band's width
derived from the exact discretisation error (``estimators.gaussian_rate_distortion_band``).
"""

from __future__ import annotations

from ._claim import Claim
from ._gaussian_source import RATE_DISTORTION_SETTINGS, source_hypotheses, source_reason

__all__ = ["RD_CURVE"]

RD_CURVE = Claim(
    id="rd-curve",
    title="Gaussian R(D) agrees with Blahut–Arimoto on a discretisation",
    section="§4.1",
    statement="R_BA,upper ≥ R(D_BA + ε)  and  R(D) ≥ L_BA(D + ε_θ),  ε = discretisation error (state units²)",
    latex=r"R(D'+\varepsilon)\le R^{\mathrm{BA}}_{\mathrm{up}}(D'),\quad R(D)\ge L^{\mathrm{BA}}(D+\varepsilon_\theta)",
    summary=(
        "The reverse water-filling curve of h_t lies inside the band that Blahut–Arimoto on a centroid "
        "discretisation certifies, the band's width derived from the discretisation error. A control: it must PASS."
    ),
    kind="control",
    hypotheses=source_hypotheses,
    applicable=source_reason,
    settings=RATE_DISTORTION_SETTINGS,
)
