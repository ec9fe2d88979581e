"""What a claim of the paper is, as data: statement, section, hypotheses, bound."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping

__all__ = ["Claim", "Hypothesis", "Setting", "SETTING_KINDS"]

# What a per-claim setting may be: a positive integer (with a ceiling, see theorems.regime.MAX_STEPS),
# a positive number, or a non-empty list of positive numbers.
SETTING_KINDS = ("int>0", "float>0", "floats>0")


@dataclasses.dataclass(frozen=True)
class Setting:
    """One key of a claim's optional regime table, e.g. ``[lemma1] steps = 20``.

    ``default`` is used when the regime file does not give the key (None: the check derives a value
    from the regime, documented in ``doc``).
    """

    kind: str                      # one of SETTING_KINDS
    default: Any = None
    doc: str = ""

    def __post_init__(self):
        if self.kind not in SETTING_KINDS:
            raise ValueError(f"Setting kind must be one of {', '.join(SETTING_KINDS)}, got {self.kind!r}")


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
    does not fit the regime at all (e.g. a finite input alphabet is needed);
    ``forms`` are the model forms its check evaluates (see :meth:`reason_not_applicable`).
    ``settings``: the optional regime tables this claim reads, ``{table: {key: Setting}}``; the regime
    schema is built from the registered claims' declarations (claims may share a table if they declare
    it identically), and a check reads a value with ``regime.setting(table, key)``.
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
    settings: Mapping[str, Mapping[str, Setting]] = dataclasses.field(default_factory=dict, compare=False)
    forms: tuple[str, ...] = ("gated", "leaky")
    s6_exact: bool = False   # its S6 check needs the exact expectations of ``theorems.s6`` (E[Δ], E[decay], ...)

    def reason_not_applicable(self, regime) -> str | None:
        """None if the claim applies to the regime, else why not: a model form the claim's check does not
        formulate (``forms``; Mamba's "s6" only where the check evaluates the claim for it), or
        ``applicable``'s reason."""
        if regime.form not in self.forms:
            if regime.form == "s6":
                return ("not formulated for Mamba's selective scan (form s6) in this version: its update is not "
                        "G ⊙ (A h + B x) and this claim's check has no S6 counterpart")
            return f"stated for the forms {', '.join(self.forms)}, not {regime.form!r}"
        if regime.form == "s6" and self.s6_exact:
            from .s6 import exact_expectation_reason
            reason = exact_expectation_reason(regime.s6, regime.input_law, regime.input_scale)
            if reason is not None:
                return reason
        return self.applicable(regime)

    def hypotheses_hold(self, regime) -> bool:
        return all(h.holds for h in self.hypotheses(regime))

    def to_json(self) -> dict:
        return {
            "id": self.id, "title": self.title, "section": self.section, "statement": self.statement,
            "latex": self.latex, "summary": self.summary, "kind": self.kind, "corrects": self.corrects,
        }
