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

from estimators import mean_ci
from estimators._intervals import fieller_ratio_ci_many

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
    "ratio_comparison", "ratio_comparisons", "mean_comparison", "exact_comparison", "interval_comparison", "combine", "representative", "staged",
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


def ratio_comparisons(a, b, bound, level: float, *, labels, claimed: str = "<=", decides=True,
                      metas=None) -> list[Comparison]:
    """Column j: E[a_j] / E[b_j] against ``bound`` (scalar or per column), Fieller intervals at 1 − level.

    ``a`` and ``b`` have shape (n, k).  A column where every a and b is exactly
    zero (the copies have merged) has ratio 0 and holds: E[a] ≤ bound·E[b] with
    equality.  A column with non-finite samples is undecided.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    n, k = a.shape
    bounds = np.broadcast_to(np.asarray(bound, float), (k,))
    decides = np.broadcast_to(np.asarray(decides, bool), (k,))
    metas = metas if metas is not None else [{}] * k
    finite = np.isfinite(a).all(axis=0) & np.isfinite(b).all(axis=0)
    merged = finite & ~a.any(axis=0) & ~b.any(axis=0)
    use = finite & ~merged
    est, lo, hi = (np.full(k, np.nan) for _ in range(3))
    if use.any():
        est[use], lo[use], hi[use] = fieller_ratio_ci_many(a[:, use], b[:, use], 1.0 - level)
    out = []
    for j in range(k):
        meta = dict(metas[j])
        if not finite[j]:
            meta["note"] = "non-finite samples"
            stat, ci, decision = math.nan, (math.nan, math.nan), UNDECIDED
        elif merged[j]:
            meta.setdefault("note", "all pairs merged exactly")
            stat, ci, decision = 0.0, (0.0, 0.0), HOLDS
        else:
            stat, ci = float(est[j]), (float(lo[j]), float(hi[j]))
            decision = _decide(ci[0], ci[1], float(bounds[j]), claimed)
        out.append(Comparison(labels[j], stat, float(bounds[j]), ci, decision, n, claimed, bool(decides[j]), meta))
    return out


def ratio_comparison(a, b, bound: float, level: float, *, label: str, claimed: str = "<=",
                     decides: bool = True, meta: dict | None = None) -> Comparison:
    """E[a] / E[b] against ``bound`` from paired samples (the one-column case of :func:`ratio_comparisons`)."""
    a, b = np.asarray(a, float).reshape(-1, 1), np.asarray(b, float).reshape(-1, 1)
    return ratio_comparisons(a, b, bound, level, labels=[label], claimed=claimed, decides=decides,
                             metas=[meta or {}])[0]


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


def exact_comparison(label: str, value: float, bound: float, claimed: str = "<=", *, n: int = 0,
                     decides: bool = True, meta: dict | None = None) -> Comparison:
    """A statistic known without sampling error (closed form, or an exact observation): interval of width 0."""
    value, bound = float(value), float(bound)
    return Comparison(label, value, bound, (value, value), _decide(value, value, bound, claimed), n, claimed, decides,
                      {"closed_form": True, **(meta or {})})


def interval_comparison(label: str, estimate: float, lo: float, hi: float, bound: float, claimed: str, n: int, *,
                        decides: bool = True, meta: dict | None = None) -> Comparison:
    """A statistic with an interval the caller constructed (e.g. a conservative combination of two)."""
    return Comparison(label, float(estimate), float(bound), (float(lo), float(hi)),
                      _decide(float(lo), float(hi), float(bound), claimed), n, claimed, decides, dict(meta or {}))


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
