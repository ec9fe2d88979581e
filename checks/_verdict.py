"""Verdicts with a stated error rate.

A check reduces a claim to *comparisons*: a statistic (a mean, or a ratio of two
means) against a bound.  Each comparison gets a two-sided confidence interval
at level 1 − α_i, where the per-comparison level is

    α_i = α / (m · S),

m the number of comparisons in the whole run (every t, separation, regime...)
and S the largest number of sampling stages a check may use.  This Bonferroni
split over comparisons and stages bounds the probability of any false FAIL in
the run by α, even though a check draws more samples when it cannot decide.

* FAIL: some comparison's interval lies entirely on the violating side of its bound.
* PASS: every comparison's interval lies on the claimed side.
* INCONCLUSIVE: neither, after the last stage.
* NOT_APPLICABLE: the paper's hypotheses fail in the regime (the measurement is
  still reported) or the claim's setting does not fit the regime.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import numpy as np

from estimators import fieller_ratio_ci, mean_ci

PASS, FAIL, INCONCLUSIVE, NOT_APPLICABLE = "PASS", "FAIL", "INCONCLUSIVE", "NOT_APPLICABLE"
VERDICTS = (PASS, FAIL, INCONCLUSIVE, NOT_APPLICABLE)
HOLDS, VIOLATED, UNDECIDED = "holds", "violated", "undecided"

# Numerical resolution of float64 simulations.  Differences between a statistic
# and its bound below RTOL (relative to max(1, |bound|)) are treated as
# equality: a bound that holds with equality (a constant gate makes the
# corrected Lemma 1 tight) must not FAIL on one unit of rounding.  A separation
# between two copies below RESOLUTION·max(1, ‖h‖) carries rounding errors of
# order 1e-10 relative and is not used to decide (see checks.lemma1).
RTOL = 1e-8
RESOLUTION = 1e-6

__all__ = [
    "PASS", "FAIL", "INCONCLUSIVE", "NOT_APPLICABLE", "VERDICTS", "Comparison", "CheckResult",
    "ratio_comparison", "mean_comparison", "combine", "representative", "staged",
]


@dataclasses.dataclass(frozen=True)
class Comparison:
    """One statistic against one bound, decided at the per-comparison level."""

    label: str
    statistic: float
    bound: float
    ci: tuple[float, float]
    decision: str          # holds | violated | undecided
    n: int
    claimed: str = "<="    # the claimed relation statistic (claimed) bound: "<=" or "<" or ">="
    decides: bool = True   # False: reported for context, not part of the verdict
    meta: dict = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "label": self.label, "statistic": self.statistic, "bound": self.bound, "ci": list(self.ci),
            "claimed": self.claimed, "decision": self.decision, "decides": self.decides, "n": self.n,
            **self.meta,
        }


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """One row of results.json: one claim in one regime."""

    regime: str
    claim: str
    verdict: str
    hypotheses_hold: bool
    statistic: float
    bound: float
    ci: tuple[float, float]
    n_samples: int
    details: dict
    figures: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "regime": self.regime, "claim": self.claim, "verdict": self.verdict,
            "hypotheses_hold": self.hypotheses_hold, "statistic": self.statistic, "bound": self.bound,
            "ci": list(self.ci), "n_samples": self.n_samples, "details": self.details,
            "figures": list(self.figures),
        }


def _decide(lo: float, hi: float, bound: float, claimed: str) -> str:
    """Where the interval [lo, hi] lies relative to the bound, equality up to RTOL included."""
    tol = RTOL * max(1.0, abs(bound)) if math.isfinite(bound) else 0.0
    if claimed == "<=":
        return HOLDS if hi <= bound + tol else VIOLATED if lo > bound + tol else UNDECIDED
    if claimed == "<":
        return HOLDS if hi < bound - tol else VIOLATED if lo >= bound - tol else UNDECIDED
    return HOLDS if lo >= bound - tol else VIOLATED if hi < bound - tol else UNDECIDED


def ratio_comparison(a, b, bound: float, level: float, *, label: str, claimed: str = "<=",
                     decides: bool = True, meta: dict | None = None) -> Comparison:
    """E[a] / E[b] against ``bound`` from paired samples (Fieller interval at 1 − level).

    When every a and b is exactly zero (the copies have merged) the ratio is
    taken as 0: the claim E[a] ≤ bound·E[b] then holds with equality.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return Comparison(label, math.nan, bound, (math.nan, math.nan), UNDECIDED, a.size, claimed, decides,
                          {**(meta or {}), "note": "non-finite samples"})
    if not np.any(a) and not np.any(b):
        return Comparison(label, 0.0, bound, (0.0, 0.0), HOLDS, a.size, claimed, decides,
                          {**(meta or {}), "note": "all pairs merged exactly"})
    ci = fieller_ratio_ci(a, b, confidence=1.0 - level)
    return Comparison(label, ci.estimate, bound, (ci.low, ci.high), _decide(ci.low, ci.high, bound, claimed),
                      a.size, claimed, decides, dict(meta or {}))


def mean_comparison(x, bound: float, level: float, *, label: str, claimed: str = "<=",
                    decides: bool = True, meta: dict | None = None) -> Comparison:
    """E[x] against ``bound`` (Student-t interval at 1 − level)."""
    x = np.asarray(x, float)
    if not np.all(np.isfinite(x)):
        return Comparison(label, math.nan, bound, (math.nan, math.nan), UNDECIDED, x.size, claimed, decides,
                          {**(meta or {}), "note": "non-finite samples"})
    ci = mean_ci(x, confidence=1.0 - level)
    return Comparison(label, ci.estimate, bound, (ci.low, ci.high), _decide(ci.low, ci.high, bound, claimed),
                      x.size, claimed, decides, dict(meta or {}))


def combine(comparisons) -> str:
    deciding = [c for c in comparisons if c.decides]
    if any(c.decision == VIOLATED for c in deciding):
        return FAIL
    if deciding and all(c.decision == HOLDS for c in deciding):
        return PASS
    return INCONCLUSIVE


def representative(comparisons, verdict: str) -> Comparison | None:
    """The comparison a row reports: the strongest violation for FAIL, else the closest call."""
    deciding = [c for c in comparisons if c.decides] or list(comparisons)
    if not deciding:
        return None

    def excess(c: Comparison, side: int) -> float:
        edge = c.ci[side]
        value = edge - c.bound if c.claimed != ">=" else c.bound - c.ci[1 - side]
        return -math.inf if math.isnan(value) else value

    if verdict == FAIL:
        pool = [c for c in deciding if c.decision == VIOLATED]
        return max(pool, key=lambda c: excess(c, 0))
    if verdict == INCONCLUSIVE:
        pool = [c for c in deciding if c.decision != HOLDS]
        return max(pool, key=lambda c: excess(c, 1))
    return max(deciding, key=lambda c: excess(c, 1))


def staged(draw: Callable[[int, int], dict], decide: Callable[[dict], list], first_size: int, max_stages: int):
    """Draw samples in doubling stages until the comparisons decide or the budget is spent.

    ``draw(first_path, n)`` returns a dict of arrays with n rows; ``decide(data)``
    returns the comparisons.  Returns (comparisons, data, n_paths, stages used).
    """
    data: dict | None = None
    n_total = 0
    comparisons: list = []
    for stage in range(max_stages):
        n_new = first_size if stage == 0 else n_total
        chunk = draw(n_total, n_new)
        data = chunk if data is None else {k: np.concatenate([data[k], chunk[k]]) for k in data}
        n_total += n_new
        comparisons = decide(data)
        if combine(comparisons) != INCONCLUSIVE:
            return comparisons, data, n_total, stage + 1
    return comparisons, data, n_total, max_stages
