"""``ssmverify calibrate``: the toolkit measures its own false-FAIL rate.

Each case is a claim that holds *with equality*, so every FAIL the decision rule
produces on it is false.  The cases are 1-D input-gated chains
h_t = a·σ(w x_t + c)·h_{t−1} + … driven by the same inputs (synchronous coupling):
there Δ_t = m(x_t)·Δ_{t−1} exactly on every path, with m(x) = a·σ(w x + c), and
x_t is independent of Δ_{t−1}, so

    E|Δ_t| = E[m(x)] · E|Δ_{t−1}|     exactly,

Lemma 1's ratio statistic sitting exactly on the bound r = E[m(x)] (computed by
adaptive quadrature).  The paths are drawn in closed form (Δ_0 = 1,
|Δ_{t−1}| = Π_{s<t} m(x_s)), and every trial is decided by the same function the
checks use (:func:`checks._verdict.ratio_violations`, the test inside
:func:`checks._verdict.ratio_comparisons`) at the per-comparison level
of the default suite (or a smaller one).  The gate's offset c and the step t set
the shape of the deciding statistic y = |Δ_t| − r|Δ_{t−1}| = |Δ_{t−1}|(m(x_t) − r):
symmetric (c = 0, t = 1), right-skewed (c < 0), left-skewed (c > 0), heavy-tailed
(a long product, t > 1: most paths have merged, a few have not), and both left-skewed
and heavy-tailed (a long product of a gate that is mostly open).

Trials use the smallest sample the suite ever decides on (the first stage of ``--quick``,
1024 paths): skewness errors shrink as the sample grows, so larger stages are safer.

A case's miss rate is significantly above its level when the one-sided binomial
test of rate ≤ level rejects at 0.001 / (number of cases).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import integrate, special, stats

from ._verdict import ratio_violations

__all__ = ["CASES", "Case", "run_calibration", "suite_level"]

BATCH = 512           # trials decided together (columns of one ratio_comparisons call)
SIGNIFICANCE = 1e-3   # for "significantly above its level", Bonferroni over the cases


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    shape: str
    a: float   # state feedback
    w: float   # gate's input weight
    c: float   # gate's offset
    t: int     # the step whose ratio E|Δ_t| / E|Δ_{t−1}| is tested

    def m(self, x):
        return self.a * special.expit(self.w * x + self.c)

    def bound(self) -> float:
        """E[m(x)], x ~ N(0, 1), by adaptive quadrature (relative error ~1e-13)."""
        f = lambda x: self.a * special.expit(self.w * x + self.c) * math.exp(-0.5 * x * x)  # noqa: E731
        val, _ = integrate.quad(f, -np.inf, np.inf, epsabs=0.0, epsrel=1e-13, limit=400)
        return val / math.sqrt(2.0 * math.pi)

    def draw(self, rng: np.random.Generator, n: int, k: int):
        """(a, b) of shape (n, k): a = |Δ_t|, b = |Δ_{t−1}| on n paths for k independent trials."""
        x = rng.standard_normal((self.t, n, k))
        factors = self.m(x)
        b = np.prod(factors[:-1], axis=0) if self.t > 1 else np.ones((n, k))
        return b * factors[-1], b


CASES = (
    Case("symmetric gate", "symmetric", a=0.9, w=1.5, c=0.0, t=1),
    Case("gate mostly shut", "right-skewed", a=0.9, w=1.5, c=-3.0, t=1),
    Case("gate mostly open", "left-skewed", a=0.9, w=1.5, c=3.0, t=1),
    Case("long product", "heavy-tailed", a=1.8, w=4.0, c=0.0, t=6),
    Case("long product, gate mostly open", "left-skewed heavy-tailed", a=1.8, w=1.5, c=3.0, t=6),
)


def shape_statistics(case: Case, rng: np.random.Generator, n: int = 200_000) -> dict:
    """Skewness and excess kurtosis of the deciding per-path statistic y = a − r b."""
    a, b = case.draw(rng, n, 1)
    y = (a - case.bound() * b)[:, 0]
    return {"skewness": float(stats.skew(y)), "excess_kurtosis": float(stats.kurtosis(y))}


def suite_level(alpha: float) -> float:
    """The per-comparison level of the default suite (``ssmverify run``) at family-wise ``alpha``."""
    from ._base import Settings
    from .suite import family_size, plan_rows, resolve_regimes

    rows = plan_rows(resolve_regimes([]), None)
    m = max(family_size(rows, Settings(alpha=alpha)), 1)
    return Settings(alpha=alpha, family_size=m).level


def run_calibration(alpha: float, *, level: float | None = None, n_paths: int | None = None, seeds: int = 0,
                    seed: int = 0, min_expected: float = 30.0, progress=None, shapes=None) -> dict:
    """Count false FAILs on every case (or those whose shape is in ``shapes``).
    Trials per case: max(seeds, ⌈min_expected / level⌉)."""
    level = suite_level(alpha) if level is None else level
    if n_paths is None:
        from ._base import Settings
        n_paths = Settings(quick=True).paths
    trials = max(int(seeds), math.ceil(min_expected / level))
    out = []
    for i, case in enumerate(CASES):
        if shapes is not None and case.shape not in shapes:
            continue
        rng = np.random.default_rng([seed, i])
        r = case.bound()
        misses, done = 0, 0
        while done < trials:
            k = min(BATCH, trials - done)
            a, b = case.draw(rng, n_paths, k)
            misses += int(ratio_violations(a, b, r, level).sum())
            done += k
        rate = misses / trials
        lo, hi = stats.binomtest(misses, trials).proportion_ci(0.95, method="exact")
        p_value = float(stats.binomtest(misses, trials, level, alternative="greater").pvalue)
        row = {"name": case.name, "shape": case.shape, "level": level, "trials": trials, "misses": misses,
               "rate": rate, "ci": [float(lo), float(hi)], "ratio_to_level": rate / level,
               "p_value_above_level": p_value, "significantly_above": p_value < SIGNIFICANCE / len(CASES),
               "paths_per_trial": n_paths, "t": case.t, "bound": r,
               **shape_statistics(case, np.random.default_rng([seed, i, 1]))}
        out.append(row)
        if progress:
            progress(f"{case.shape:<13} {misses}/{trials} misses, rate {rate:.3g} (level {level:.3g})")
    return {"alpha": alpha, "level": level, "paths_per_trial": n_paths, "cases": out,
            "decision_rule": "checks._verdict.ratio_violations: the test of ratio_comparisons (skew-robust one-sided bounds)"}


def table(document: dict) -> str:
    header = ("case", "shape", "skew", "kurt", "level", "trials", "misses", "rate", "95% CI", "rate/level")
    rows = [header] + [
        (c["name"], c["shape"], f"{c['skewness']:.2f}", f"{c['excess_kurtosis']:.1f}", f"{c['level']:.3g}",
         str(c["trials"]), str(c["misses"]), f"{c['rate']:.3g}", f"[{c['ci'][0]:.3g}, {c['ci'][1]:.3g}]",
         f"{c['ratio_to_level']:.2f}" + (" *" if c["significantly_above"] else ""))
        for c in document["cases"]
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)
