"""What a claim of the paper is, as data: statement, section, hypotheses, bound."""

from __future__ import annotations

import dataclasses
from typing import Callable

__all__ = ["Claim", "Hypothesis"]


@dataclasses.dataclass(frozen=True)
class Hypothesis:
    """One hypothesis evaluated on a regime, with the numbers behind it."""

    name: str          # e.g. "ρ·L_G < 1"
    holds: bool
    detail: str        # e.g. "ρ·L_G = 0.900 × 0.500 = 0.450"

    def to_json(self) -> dict:
        return {"name": self.name, "holds": self.holds, "detail": self.detail}


def _always_applies(regime) -> str | None:
    return None


@dataclasses.dataclass(frozen=True)
class Claim:
    """A claim of the paper (``kind="paper"``) or its corrected form (``kind="corrected"``).

    ``hypotheses(regime)`` evaluates the paper's hypotheses; ``bound(regime)``
    gives the number the claim asserts, where it is one number.
    ``applicable(regime)`` returns None, or the reason the claim's setting
    does not fit the regime at all (e.g. a finite input alphabet is needed).
    """

    id: str
    title: str
    section: str
    statement: str                     # the claim as a formula (Unicode)
    latex: str                         # the same formula in LaTeX
    summary: str                       # what it says, in our words
    kind: str                          # "paper" | "corrected" | "control"
    hypotheses: Callable[..., tuple[Hypothesis, ...]]
    corrects: str | None = None
    bound: Callable[..., float] | None = None
    applicable: Callable[..., str | None] = _always_applies

    def hypotheses_hold(self, regime) -> bool:
        return all(h.holds for h in self.hypotheses(regime))

    def to_json(self) -> dict:
        return {
            "id": self.id, "title": self.title, "section": self.section, "statement": self.statement,
            "latex": self.latex, "summary": self.summary, "kind": self.kind, "corrects": self.corrects,
        }
