"""What every check shares: run settings, keys, and the Check interface."""

from __future__ import annotations

import dataclasses
import hashlib

import jax
import numpy as np

from theorems import Claim, Regime

from ._verdict import NOT_APPLICABLE, CheckResult


@dataclasses.dataclass(frozen=True)
class Settings:
    """Run-wide settings.  ``family_size`` is m, the number of comparisons in the run."""

    seed: int = 0
    alpha: float = 0.01
    quick: bool = False
    family_size: int = 1

    @property
    def paths(self) -> int:
        """Paths in the first sampling stage; later stages double the total."""
        return 1024 if self.quick else 2048

    @property
    def max_stages(self) -> int:
        return 2 if self.quick else 3

    @property
    def level(self) -> float:
        """α_i = α / (m · S): the per-comparison level (Bonferroni over comparisons and stages)."""
        return self.alpha / (max(self.family_size, 1) * self.max_stages)

    def key(self, regime: str, claim: str, purpose: str = "") -> jax.Array:
        """A key that depends only on (seed, regime, claim, purpose): rows reproduce one at a time."""
        digest = hashlib.sha256(f"{self.seed}|{regime}|{claim}|{purpose}".encode()).digest()
        return jax.random.key(int.from_bytes(digest[:4], "little"))

    def rng(self, regime: str, claim: str, purpose: str = "") -> np.random.Generator:
        digest = hashlib.sha256(f"{self.seed}|{regime}|{claim}|{purpose}|numpy".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))

    def stats_json(self) -> dict:
        return {
            "alpha": self.alpha, "family_size": self.family_size, "max_stages": self.max_stages,
            "level": self.level, "confidence": 1.0 - self.level,
        }


class Check:
    """A Monte Carlo checker for one claim.  Subclasses set ``claim`` and implement the two methods."""

    claim: Claim

    def planned_comparisons(self, regime: Regime, settings: Settings) -> int:
        """How many deciding comparisons ``run`` will make (it fixes the family size up front)."""
        raise NotImplementedError

    def run(self, regime: Regime, settings: Settings) -> CheckResult:
        raise NotImplementedError


def hypotheses_json(claim: Claim, regime: Regime) -> list[dict]:
    return [h.to_json() for h in claim.hypotheses(regime)]


def not_applicable(claim: Claim, regime: Regime, reason: str) -> CheckResult:
    """A row for a claim whose setting does not fit the regime (nothing simulated)."""
    return CheckResult(
        regime=regime.name, claim=claim.id, verdict=NOT_APPLICABLE, hypotheses_hold=False,
        statistic=float("nan"), bound=float("nan"), ci=(float("nan"), float("nan")), n_samples=0,
        details={"reason": reason, "hypotheses": hypotheses_json(claim, regime), "comparisons": [], "plots": []},
    )
