"""Verdicts with a stated error rate.

A check reduces a claim to *comparisons*: a statistic (a mean, or a ratio of two
means) against a bound.  Every comparison is one of three kinds, named in its
``method``:

* ``"monte-carlo"``: a statistical comparison.  The claim is one-sided
  (statistic ≤ bound, say), so a FAIL needs a one-sided test of the claim that
  rejects at the per-comparison level α_i; a PASS needs the other one-sided
  bound on the claimed side.  The reported interval has each end at error α_i
  (two-sided confidence 1 − 2α_i).  Bounds are *skew-robust*: the more
  conservative of the Student-t bound and Hall's skewness-corrected bound
  (:func:`estimators._intervals.skew_robust_mean_bounds`); ``ssmverify
  calibrate`` measures the resulting error rate at the levels the suite uses.
* ``"exact"``: a closed form, or samples that do not vary beyond rounding.  No
  sampling error; the decision compares numbers up to a stated *relative*
  numerical tolerance, and is worded as exact, not as significant.
* ``"observation"``: a fact observed in the simulation, e.g. states that
  overflowed float64 (divergence).

The per-comparison level is

    α_i = α / (m · S),

m the number of *deciding statistical* comparisons planned in the whole run and S
the largest number of sampling stages a check may use (Bonferroni over
comparisons and stages), so the probability of any false FAIL in the run is at
most α.  Checks that compare many (t, δ, start) points use *sample splitting*:
a pilot share of the paths picks the point most likely to violate the claim
(:func:`staged` with ``select``), and only that point may FAIL on the remaining,
fresh paths — so m counts one comparison per such row, not one per point.

Tolerances are relative to the magnitudes that entered the computation, never
absolute, so a verdict does not change with the units the state is measured in.

* FAIL: some selected deciding comparison is violated (significantly, or exactly).
* PASS: every deciding comparison holds on its claimed side.
* INCONCLUSIVE: neither, after the last stage.
* NOT_APPLICABLE: the paper's hypotheses fail in the regime (the measurement is
  still reported) or the claim's setting does not fit the regime.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from typing import Callable

import numpy as np

from ..estimators._intervals import fieller_ratio_ci_many, skew_robust_mean_bounds



class Verdict(enum.StrEnum):
    """A row's verdict.  A string enum: ``Verdict.FAIL == "FAIL"``, and JSON holds the plain string."""

    PASS = "PASS"                        # every deciding comparison holds on its claimed side
    FAIL = "FAIL"                        # a selected deciding comparison is violated (significantly, or exactly)
    INCONCLUSIVE = "INCONCLUSIVE"        # neither, after the last sampling stage
    NOT_APPLICABLE = "NOT_APPLICABLE"    # the claim's hypotheses or setting do not fit the regime


PASS, FAIL, INCONCLUSIVE, NOT_APPLICABLE = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE, Verdict.NOT_APPLICABLE
VERDICTS = tuple(Verdict)
HOLDS, VIOLATED, UNDECIDED = "holds", "violated", "undecided"
MONTE_CARLO, EXACT, OBSERVATION = "monte-carlo", "exact", "observation"

EPS = float(np.finfo(np.float64).eps)
_BIG = float(np.finfo(np.float64).max)
# Closed forms (eigenvalues, Lyapunov solves, water-filling, log-determinants) are accurate to a
# modest multiple of machine precision times their condition; a statistic within EXACT_RTOL of its
# bound, relative to the larger magnitude, is equal to it as far as float64 can tell.
EXACT_RTOL = 1e-9
RTOL = EXACT_RTOL  # the name other modules import
# Per-sample rounding allowance of simulated statistics: relative to the magnitudes that entered each
# sample (a few thousand ulps covers rounding accumulated over hundreds of steps).
SAMPLE_RTOL = 1e-12
# Two copies of the chain closer than RESOLUTION_ULPS ulps of the larger magnitude that entered their
# update are not resolved by float64: their distance is rounding, not dynamics (see checks.lemma1).
RESOLUTION_ULPS = 64

__all__ = [
    "Verdict", "PASS", "FAIL", "INCONCLUSIVE", "NOT_APPLICABLE", "VERDICTS", "Comparison", "CheckResult",
    "MONTE_CARLO", "EXACT", "OBSERVATION", "EXACT_RTOL", "SAMPLE_RTOL",
    "ratio_comparison", "ratio_comparisons", "mean_comparison", "exact_comparison", "interval_comparison",
    "observation_comparison", "combine", "representative", "staged",
]


@dataclasses.dataclass(frozen=True)
class Comparison:
    """One statistic against one bound.

    ``ci``: each end has error ≤ the per-comparison level (monte-carlo), or the value
    itself (exact, observation).  ``tolerance``: the absolute numerical tolerance
    used (derived from the magnitudes involved).  ``detectable``: for a statistical
    comparison, the smallest excess over the bound the test would have detected with
    probability about 1/2 at these samples.  ``selected``: only selected deciding
    comparisons may produce a FAIL (sample splitting; see :func:`staged`).
    ``z``: the standardised excess (how far towards violation), used for selection.
    """

    label: str
    statistic: float
    bound: float
    ci: tuple[float, float]
    decision: str          # holds | violated | undecided
    n: int
    claimed: str = "<="    # the claimed relation: statistic (claimed) bound: "<=", "<", ">=" or ">"
    decides: bool = True   # False: reported for context, not part of the verdict
    meta: dict = dataclasses.field(default_factory=dict)
    method: str = MONTE_CARLO
    tolerance: float = 0.0
    detectable: float = math.nan
    selected: bool = True
    z: float = math.nan

    def to_json(self) -> dict:
        return {
            "label": self.label, "statistic": self.statistic, "bound": self.bound, "ci": list(self.ci),
            "claimed": self.claimed, "decision": self.decision, "decides": self.decides, "n": self.n,
            "method": self.method, "tolerance": self.tolerance, "detectable_violation": self.detectable,
            "selected": self.selected, **self.meta,
        }


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """One row of results.json: one claim in one regime.

    ``statistic``, ``bound`` and ``ci`` are those of the row's representative comparison (the strongest
    violation of a FAIL, else the closest call), and ``method`` how it was decided (``"monte-carlo"``,
    ``"exact"``, ``"observation"``; ``None`` when nothing was compared).  ``details`` holds the claim's own
    context (hypotheses with their numbers, every comparison, caveats, plot specifications; documented
    field by field in ``reports/results.schema.json``), ``figures`` the figure files of the row.
    """

    regime: str
    claim: str
    verdict: Verdict
    hypotheses_hold: bool
    statistic: float
    bound: float
    ci: tuple[float, float]
    n_samples: int
    details: dict
    figures: tuple[str, ...] = ()
    method: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "verdict", Verdict(self.verdict))
        object.__setattr__(self, "ci", tuple(self.ci))
        object.__setattr__(self, "figures", tuple(self.figures))

    @property
    def comparisons(self) -> list[dict]:
        """Every comparison of the row (as in results.json), deciding or not."""
        return list(self.details.get("comparisons", []))

    @property
    def hypotheses(self) -> list[dict]:
        """The paper's hypotheses evaluated on the regime: ``{"name", "holds", "detail"}`` each."""
        return list(self.details.get("hypotheses", []))

    def to_json(self) -> dict:
        return {
            "regime": self.regime, "claim": self.claim, "verdict": str(self.verdict),
            "hypotheses_hold": self.hypotheses_hold, "statistic": self.statistic, "bound": self.bound,
            "ci": list(self.ci), "n_samples": self.n_samples, "method": self.method, "details": self.details,
            "figures": list(self.figures),
        }

    @classmethod
    def from_json(cls, row: dict) -> "CheckResult":
        """A row of a results.json document (``nan``, ``inf`` as JSON writes them)."""
        return cls(regime=row["regime"], claim=row["claim"], verdict=Verdict(row["verdict"]),
                   hypotheses_hold=bool(row["hypotheses_hold"]), statistic=_number(row["statistic"]),
                   bound=_number(row["bound"]), ci=tuple(_number(v) for v in row["ci"]),
                   n_samples=int(row["n_samples"]), details=row.get("details", {}),
                   figures=tuple(row.get("figures", ())), method=row.get("method"))

    def _repr_html_(self) -> str:
        from ..reports.notebook import row_html
        return row_html(self)


_NONFINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def _number(value) -> float:
    """A number of results.json (non-finite values are the strings "inf", "-inf", "nan"; ``null`` is NaN)."""
    if isinstance(value, str):
        return _NONFINITE[value]
    return math.nan if value is None else float(value)


def _finite_scale(*values) -> float:
    """The largest finite magnitude among ``values`` (0 if none is finite)."""
    mags = [abs(float(v)) for v in values if v is not None and math.isfinite(float(v))]
    return max(mags, default=0.0)


def _decide(lo: float, hi: float, bound: float, claimed: str, tol: float) -> str:
    """Where [lo, hi] lies relative to the bound; ``tol`` ≥ 0 is the absolute numerical tolerance.

    A non-strict claim holding with equality (within tol) holds; a strict claim at equality is
    undecided; a violation must exceed the bound by more than tol.
    """
    if any(math.isnan(v) for v in (lo, hi, bound, tol)):
        return UNDECIDED
    if claimed == "<=":
        return HOLDS if hi <= bound + tol else VIOLATED if lo > bound + tol else UNDECIDED
    if claimed == "<":
        return HOLDS if hi < bound - tol else VIOLATED if lo > bound + tol else UNDECIDED
    if claimed == ">=":
        return HOLDS if lo >= bound - tol else VIOLATED if hi < bound - tol else UNDECIDED
    if claimed == ">":
        return HOLDS if lo > bound + tol else VIOLATED if hi < bound - tol else UNDECIDED
    raise ValueError(f"claimed must be one of <=, <, >=, >; got {claimed!r}")


def _upper_claim(claimed: str) -> bool:
    return claimed in ("<=", "<")


def ratio_comparisons(a, b, bound, level: float, *, labels, claimed: str = "<=", decides=True,
                      metas=None, tol=None) -> list[Comparison]:
    """Column j: E[a_j] / E[b_j] against ``bound`` (scalar or per column), claimed ≤ (or <).

    The decision is the one-sided test of E[a − r₀ b] against 0 at r₀ = bound (a mean test,
    skew-robust, at error ``level`` on each side), with the numerical tolerance ``tol`` (per column,
    in units of a; default SAMPLE_RTOL·E[|a| + |r₀ b|]).  The reported interval for the ratio is
    the union of Fieller's and the delta-method interval with the same skew-robust bounds.
    A column whose samples are non-finite is undecided (and says so); one where every a and b is
    exactly zero (merged copies: 0/0) is reported, not decided.
    """
    if claimed not in ("<=", "<"):
        raise ValueError(f"ratio comparisons take claimed '<=' or '<', got {claimed!r}")
    a, b = np.asarray(a, float), np.asarray(b, float)
    n, k = a.shape
    bounds = np.broadcast_to(np.asarray(bound, float), (k,)).copy()
    decides = np.broadcast_to(np.asarray(decides, bool), (k,))
    metas = metas if metas is not None else [{}] * k
    finite = np.isfinite(a).all(axis=0) & np.isfinite(b).all(axis=0) & np.isfinite(bounds)
    merged = finite & ~a.any(axis=0) & ~b.any(axis=0)
    use = finite & ~merged
    with np.errstate(all="ignore"):
        ma, mb = a.mean(axis=0), b.mean(axis=0)
        est = ma / mb
        y = a - bounds * b
        taus = (SAMPLE_RTOL * (np.abs(a) + np.abs(bounds) * np.abs(b)).mean(axis=0) if tol is None
                else np.broadcast_to(np.asarray(tol, float), (k,)))
        spread = np.ptp(y, axis=0) if n else np.zeros(k)
    exact = use & (spread <= taus)
    stat_cols = use & ~exact
    y_mean, y_lo, y_hi, y_se = (np.full(k, np.nan) for _ in range(4))
    if stat_cols.any():
        y_mean[stat_cols], y_lo[stat_cols], y_hi[stat_cols], y_se[stat_cols], _ = \
            skew_robust_mean_bounds(y[:, stat_cols], level)
    r_lo, r_hi = np.full(k, np.nan), np.full(k, np.nan)
    if stat_cols.any():
        _, f_lo, f_hi = fieller_ratio_ci_many(a[:, stat_cols], b[:, stat_cols], 1.0 - 2.0 * level)
        with np.errstate(all="ignore"):
            r_hat = est[stat_cols]
            psi = (a[:, stat_cols] - r_hat * b[:, stat_cols]) / mb[stat_cols]
            _, p_lo, p_hi, _, _ = skew_robust_mean_bounds(psi, level)
        r_lo[stat_cols] = np.fmin(f_lo, r_hat + p_lo)
        r_hi[stat_cols] = np.fmax(f_hi, r_hat + p_hi)
    out = []
    for j in range(k):
        meta = dict(metas[j])
        stat, bnd, tau = float(est[j]), float(bounds[j]), float(taus[j])
        common = dict(claimed=claimed, decides=bool(decides[j]), tolerance=tau)
        if not finite[j]:
            bad = int(np.sum(~(np.isfinite(a[:, j]) & np.isfinite(b[:, j]))))
            # a overflowed to +inf on some path while b and the bound stayed finite: the true E[a] exceeds
            # float64's largest number / n, so if bound·E[b] is below that the claim is violated.
            overflow = (np.isposinf(a[:, j]).any() and not np.isnan(a[:, j]).any() and np.isfinite(b[:, j]).all()
                        and math.isfinite(bnd) and abs(bnd) * float(np.abs(b[:, j]).mean()) < _BIG / n)
            if overflow:
                meta["note"] = (f"overflow on {bad} path(s): E[a] exceeds float64's range while the bound side "
                                "stays finite — violated by observation")
                out.append(Comparison(labels[j], math.inf, bnd, (math.inf, math.inf), VIOLATED, n, meta=meta,
                                      method=OBSERVATION, z=math.inf, **common))
                continue
            meta["note"] = f"non-finite samples on {bad} path(s) (overflow): not decided"
            out.append(Comparison(labels[j], stat, bnd, (math.nan, math.nan), UNDECIDED, n, meta=meta,
                                  method=OBSERVATION, **common))
        elif merged[j]:
            meta["note"] = "every pair merged exactly (0/0): reported, not decided"
            out.append(Comparison(labels[j], math.nan, bnd, (math.nan, math.nan), UNDECIDED, n, meta=meta,
                                  method=EXACT, **{**common, "decides": False}))
        elif exact[j]:
            ym = float(y[:, j].mean())
            meta.setdefault("note", "a − bound·b is the same on every path up to the numerical tolerance")
            decision = _decide(ym, ym, 0.0, claimed, tau)
            z = math.inf if decision == VIOLATED else -math.inf if decision == HOLDS else 0.0
            out.append(Comparison(labels[j], stat, bnd, (stat, stat), decision, n, meta=meta, method=EXACT,
                                  z=z, **common))
        else:
            decision = _decide(float(y_lo[j]), float(y_hi[j]), 0.0, claimed, tau)  # = ratio_violations
            scale = abs(float(mb[j])) if mb[j] != 0 else math.nan
            detect = (stat - float(r_lo[j])) + tau / scale
            se = float(y_se[j])
            z = (float(y_mean[j]) - tau) / se if se > 0.0 else math.copysign(math.inf, float(y_mean[j]) - tau)
            out.append(Comparison(labels[j], stat, bnd, (float(r_lo[j]), float(r_hi[j])), decision, n,
                                  meta=meta, detectable=detect, z=z, **common))
    return out


def ratio_violations(a, b, bound: float, level: float) -> np.ndarray:
    """For columns of paired samples (n, k) with finite, varying a − bound·b: which columns
    :func:`ratio_comparisons` would call violated (claimed ≤, default tolerance).  The same test
    without the interval and report; ``ssmverify calibrate`` counts its false FAILs."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    y = a - bound * b
    tau = SAMPLE_RTOL * (np.abs(a) + abs(bound) * np.abs(b)).mean(axis=0)
    _, lo, _, _, _ = skew_robust_mean_bounds(y, level)
    return lo > tau


def ratio_comparison(a, b, bound: float, level: float, *, label: str, claimed: str = "<=",
                     decides: bool = True, meta: dict | None = None, tol=None) -> Comparison:
    """E[a] / E[b] against ``bound`` from paired samples (the one-column case of :func:`ratio_comparisons`)."""
    a, b = np.asarray(a, float).reshape(-1, 1), np.asarray(b, float).reshape(-1, 1)
    return ratio_comparisons(a, b, bound, level, labels=[label], claimed=claimed, decides=decides,
                             metas=[meta or {}], tol=None if tol is None else [tol])[0]


def mean_comparison(x, bound: float, level: float, *, label: str, claimed: str = "<=",
                    decides: bool = True, meta: dict | None = None, scale: float | None = None) -> Comparison:
    """E[x] against ``bound``: skew-robust one-sided bounds, each at error ``level``.

    ``scale``: the magnitude of the quantities that entered x (default E|x| + |bound|); the
    numerical tolerance is SAMPLE_RTOL·scale.
    """
    x = np.asarray(x, float)
    meta = dict(meta or {})
    bound = float(bound)
    with np.errstate(all="ignore"):
        mean = float(np.mean(x)) if x.size else math.nan
    if not np.all(np.isfinite(x)) or not math.isfinite(bound):
        meta["note"] = "non-finite samples or bound: not decided"
        return Comparison(label, mean, bound, (math.nan, math.nan), UNDECIDED, x.size, claimed, decides, meta,
                          method=OBSERVATION)
    tau = SAMPLE_RTOL * (float(np.mean(np.abs(x))) + abs(bound) if scale is None else abs(float(scale)))
    if np.ptp(x) <= tau:
        meta.setdefault("note", "the samples agree up to the numerical tolerance")
        decision = _decide(mean, mean, bound, claimed, tau)
        z = math.inf if decision == VIOLATED else -math.inf if decision == HOLDS else 0.0
        return Comparison(label, mean, bound, (mean, mean), decision, x.size, claimed, decides, meta,
                          method=EXACT, tolerance=tau, z=z)
    mean, lo, hi, se, _ = skew_robust_mean_bounds(x, level)
    decision = _decide(lo, hi, bound, claimed, tau)
    excess = (mean - bound - tau) if _upper_claim(claimed) else (bound - mean - tau)
    detect = ((mean - lo) if _upper_claim(claimed) else (hi - mean)) + tau
    z = excess / se if se > 0.0 else math.copysign(math.inf, excess)
    return Comparison(label, mean, bound, (lo, hi), decision, x.size, claimed, decides, meta,
                      tolerance=tau, detectable=detect, z=z)


def mean_bounds(x, level: float):
    """(estimate, lower, upper) of E[x], each bound at error ``level`` (skew-robust); for callers that
    build their own comparison from several means (see :func:`interval_comparison`)."""
    x = np.asarray(x, float)
    if x.size >= 2 and np.ptp(x) > 0.0:
        mean, lo, hi, _, _ = skew_robust_mean_bounds(x, level)
        return mean, lo, hi
    mean = float(np.mean(x))
    return mean, mean, mean


def exact_comparison(label: str, value: float, bound: float, claimed: str = "<=", *, n: int = 0,
                     decides: bool = True, meta: dict | None = None, scale: float | None = None,
                     rtol: float = EXACT_RTOL, interval: tuple[float, float] | None = None,
                     tolerance: float | None = None) -> Comparison:
    """A statistic known without sampling error (closed form): interval of width 0, or the numerical
    enclosure ``interval`` of the closed form where the caller has one.

    Numerical tolerance: ``tolerance`` if given, else ``rtol`` times the largest finite magnitude among
    value, bound and ``scale``.  NaN is undecided; ±inf compares as a number (a closed form that is truly
    infinite).
    """
    value, bound = float(value), float(bound)
    lo, hi = (value, value) if interval is None else (float(interval[0]), float(interval[1]))
    tau = rtol * _finite_scale(value, bound, scale) if tolerance is None else float(tolerance)
    decision = _decide(lo, hi, bound, claimed, tau)
    meta = dict(meta or {})
    if math.isnan(value) or math.isnan(bound):
        meta.setdefault("note", "not a number: not decided")
    z = math.inf if decision == VIOLATED else -math.inf if decision == HOLDS else 0.0
    return Comparison(label, value, bound, (lo, hi), decision, n, claimed, decides, meta,
                      method=EXACT, tolerance=tau, z=z)


def observation_comparison(label: str, value: float, bound: float, claimed: str, decision: str, *, n: int,
                           decides: bool = True, meta: dict | None = None) -> Comparison:
    """A fact observed in the simulation (e.g. overflow: divergence), with the decision it implies."""
    z = math.inf if decision == VIOLATED else -math.inf if decision == HOLDS else 0.0
    return Comparison(label, float(value), float(bound), (float(value), float(value)), decision, n, claimed,
                      decides, dict(meta or {}), method=OBSERVATION, z=z)


def interval_comparison(label: str, estimate: float, lo: float, hi: float, bound: float, claimed: str, n: int, *,
                        decides: bool = True, meta: dict | None = None, scale: float | None = None) -> Comparison:
    """A statistic with an interval the caller constructed (each end at error ≤ the level)."""
    estimate, lo, hi, bound = float(estimate), float(lo), float(hi), float(bound)
    tau = SAMPLE_RTOL * (_finite_scale(estimate, bound) if scale is None else abs(float(scale)))
    decision = _decide(lo, hi, bound, claimed, tau)
    detect = ((estimate - lo) if _upper_claim(claimed) else (hi - estimate)) + tau
    return Comparison(label, estimate, bound, (lo, hi), decision, n, claimed, decides, dict(meta or {}),
                      tolerance=tau, detectable=detect)


def combine(comparisons) -> str:
    """FAIL if a selected deciding comparison is violated; PASS if every deciding one holds."""
    deciding = [c for c in comparisons if c.decides]
    if any(c.decision == VIOLATED and c.selected for c in deciding):
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
        value = edge - c.bound if _upper_claim(c.claimed) else c.bound - c.ci[1 - side]
        return -math.inf if math.isnan(value) else value

    if verdict == FAIL:
        pool = [c for c in deciding if c.decision == VIOLATED and c.selected]
        return max(pool, key=lambda c: excess(c, 0))
    if verdict == INCONCLUSIVE:
        pool = [c for c in deciding if c.decision != HOLDS] or deciding
        chosen = [c for c in pool if c.selected] or pool
        return max(chosen, key=lambda c: excess(c, 1))
    return max(deciding, key=lambda c: excess(c, 1))


def select_worst(comparisons) -> set[str]:
    """The deciding comparison most likely to violate its claim: an exact or observed violation if
    there is one, else the largest standardised excess ``z``.  Returns its label (a set of ≤ 1)."""
    deciding = [c for c in comparisons if c.decides]
    if not deciding:
        return set()
    best = max(deciding, key=lambda c: (c.decision == VIOLATED, -math.inf if math.isnan(c.z) else c.z))
    return {best.label}


def staged(draw: Callable[[int, int], dict], decide: Callable[[dict], list], first_size: int, max_stages: int,
           *, select: Callable[[list], set] | None = None, pilot_size: int = 0):
    """Draw samples in doubling stages until the comparisons decide or the budget is spent.

    ``draw(first_path, n)`` returns a dict of arrays with n rows; ``decide(data)``
    returns the comparisons.  With ``select``, paths 0..pilot_size−1 are a pilot:
    ``select(decide(pilot))`` names the comparisons that may FAIL, and the stages
    then draw fresh paths from ``pilot_size`` on and decide on those alone (sample
    splitting: the choice cannot inflate the error of the test that follows).
    Returns (comparisons, data, n_paths decided on, stages used).
    """
    chosen = None
    offset = 0
    if select is not None:
        chosen = select(decide(draw(0, pilot_size)))
        offset = pilot_size
    data: dict | None = None
    n_total = 0
    comparisons: list = []
    for stage in range(max_stages):
        n_new = first_size if stage == 0 else n_total
        chunk = draw(offset + n_total, n_new)
        data = chunk if data is None else {k: np.concatenate([data[k], chunk[k]]) for k in data}
        n_total += n_new
        comparisons = decide(data)
        if chosen is not None:
            comparisons = [dataclasses.replace(c, selected=c.label in chosen) for c in comparisons]
        if combine(comparisons) != INCONCLUSIVE:
            return comparisons, data, n_total, stage + 1
    return comparisons, data, n_total, max_stages
