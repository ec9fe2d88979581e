"""The claim registry: claim id -> the check that decides it.

:data:`BUILTIN` holds the paper's claims (``theorems.CLAIMS``), each with its check; the two lists are
checked against each other when this module is imported, so a claim without a check (or a check of a
claim the paper's list does not hold) fails at import with a message naming it, not as a KeyError in
the middle of a run.  To add a claim of the paper: its modules in ``theorems/`` and ``checks/``, one entry
in ``theorems.CLAIMS`` and one in ``_BUILTIN_CHECKS`` below.  A claim of your own is a *plugin*
(:mod:`.plugins`): :meth:`Registry.with_checks` gives a run its own registry, the built-in one untouched.
"""

from __future__ import annotations

import dataclasses
import re
from types import MappingProxyType
from typing import Mapping

from .._errors import SsmverifyError
from ..theorems import CLAIMS as PAPER_CLAIMS
from ..theorems import Claim
from ..theorems.regime import declare_settings
from ._base import Check
from .complexity import ComplexityCheck
from .data_processing import DataProcessingCheck
from .entropy_positive import EntropyPositiveCheck
from .fano import FanoCheck, FanoCorrectedCheck
from .fixed_point import FixedPointCheck
from .gate_retains import GateRetainsCheck
from .lemma1 import Lemma1Check, Lemma1CorrectedCheck
from .lemma1_independent import Lemma1IndependentCheck
from .rate_dimension import RateDimensionCheck
from .rd_converse import RDConverseCheck
from .rd_curve import RDCurveCheck
from .theorem1 import Theorem1Check
from .theorem2 import Theorem2Check
from .theorem2_geometric import Theorem2GeometricCheck

__all__ = ["BUILTIN", "CHECKS", "CLAIMS", "Registry", "RegistryError"]

CLAIM_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
CLAIM_KINDS = ("paper", "corrected", "control", "user")

_BUILTIN_CHECKS = (
    Lemma1Check(), Lemma1CorrectedCheck(), Theorem2Check(), FanoCheck(), FanoCorrectedCheck(),
    RDConverseCheck(), Theorem1Check(), RDCurveCheck(),
    Lemma1IndependentCheck(), Theorem2GeometricCheck(), EntropyPositiveCheck(), DataProcessingCheck(),
    GateRetainsCheck(), ComplexityCheck(), RateDimensionCheck(), FixedPointCheck(),
)


class RegistryError(SsmverifyError):
    """A check that cannot be registered (bad claim id, a clash with a registered claim, a bad settings
    table); the message names where the check came from."""


@dataclasses.dataclass(frozen=True)
class Registry:
    """Claims and their checks, in report order, with where each came from (``"builtin"`` or a file)."""

    checks: Mapping[str, Check]
    sources: Mapping[str, str]

    @property
    def claims(self) -> dict[str, Claim]:
        return {cid: check.claim for cid, check in self.checks.items()}

    def with_checks(self, checks, source: str) -> "Registry":
        """A new registry with ``checks`` added (each validated); this one is unchanged."""
        merged, sources = dict(self.checks), dict(self.sources)
        for check in checks:
            claim = _validated(check, source)
            if claim.id in merged and sources[claim.id] != source:
                raise RegistryError(f"{source}: claim id {claim.id!r} is already registered "
                                    f"(by {sources[claim.id]}); choose another id")
            try:
                declare_settings(claim)
            except ValueError as exc:
                raise RegistryError(f"{source}: {exc}") from None
            merged[claim.id], sources[claim.id] = check, source
        return Registry(MappingProxyType(merged), MappingProxyType(sources))


def _validated(check, source: str) -> Claim:
    if not isinstance(check, Check):
        raise RegistryError(f"{source}: {type(check).__name__} is not a check (derive it from "
                            "ssmverify.Check or ssmverify.MonteCarloCheck, and list an instance)")
    claim = getattr(type(check), "claim", None)
    if not isinstance(claim, Claim):
        raise RegistryError(f"{source}: {type(check).__name__}.claim must be an ssmverify.Claim")
    if not isinstance(claim.id, str) or not CLAIM_ID.fullmatch(claim.id):
        raise RegistryError(f"{source}: claim id {claim.id!r} must be 1-64 lower-case letters, digits and '-', "
                            "starting with a letter or digit")
    if claim.kind not in CLAIM_KINDS:
        raise RegistryError(f"{source}: claim {claim.id!r}: kind must be one of {', '.join(CLAIM_KINDS)}, "
                            f"got {claim.kind!r}")
    return claim


def _builtin() -> Registry:
    checks = {c.claim.id: c for c in _BUILTIN_CHECKS}
    missing = [cid for cid in PAPER_CLAIMS if cid not in checks]
    extra = [cid for cid in checks if cid not in PAPER_CLAIMS]
    stale = [cid for cid, c in checks.items() if cid in PAPER_CLAIMS and c.claim is not PAPER_CLAIMS[cid]]
    if missing or extra or stale:
        raise ImportError("ssmverify: the claim registries disagree: "
                          + "; ".join(part for part in (
                              f"claims without a check: {', '.join(missing)}" if missing else "",
                              f"checks of claims not in theorems.CLAIMS: {', '.join(extra)}" if extra else "",
                              f"checks holding another Claim object than theorems.CLAIMS: {', '.join(stale)}"
                              if stale else "") if part))
    for check in _BUILTIN_CHECKS:
        _validated(check, "builtin")
    ordered = {cid: checks[cid] for cid in PAPER_CLAIMS}       # report order: the paper's list
    return Registry(MappingProxyType(ordered), MappingProxyType({cid: "builtin" for cid in ordered}))


BUILTIN = _builtin()
CHECKS = BUILTIN.checks       # the built-in checks (read-only)
CLAIMS = BUILTIN.claims
