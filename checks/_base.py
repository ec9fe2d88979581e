"""What every check shares: run settings, keys, the Check interface, and drawing samples.

A Monte Carlo check declares *what* to simulate (a :class:`Simulation`: initial
states, horizon, couplings, an observer) separately from *how it decides*
(``comparisons``).  ``Check.run`` then draws in doubling stages with
``simulate``; the probe draws whole parameter grids with ``simulate_grid``
through the same two pieces.
"""

from __future__ import annotations

import abc
import dataclasses
import functools
import hashlib
import math
from typing import Callable

import jax
import numpy as np

from ..theorems import Claim, Regime, simulate
from ..theorems.model import simulate_grid

from ._verdict import NOT_APPLICABLE, CheckResult, Verdict, combine, representative, select_worst, staged


@dataclasses.dataclass(frozen=True)
class Settings:
    """Run-wide settings.  ``family_size`` is m, the number of comparisons in the run."""

    seed: int = 0
    alpha: float = 0.01
    quick: bool = False
    family_size: int = 1
    stages: int | None = None   # override of max_stages (the probe uses 1)
    n_paths: int | None = None  # override of paths (the probe's --paths)

    @property
    def paths(self) -> int:
        """Paths in the first sampling stage; later stages double the total."""
        if self.n_paths is not None:
            return self.n_paths
        return 1024 if self.quick else 2048

    @property
    def max_stages(self) -> int:
        if self.stages is not None:
            return self.stages
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


@dataclasses.dataclass(frozen=True)
class Simulation:
    """What a check simulates.

    ``initial(first, n)`` gives the (n, K, d) initial states of paths
    first..first+n−1; ``finish(final, obs)`` turns the simulator's output for one
    coupling into named arrays with leading axis n.  ``purpose`` names the random
    stream: checks with the same purpose on the same regime see the same paths.
    """

    purpose: str
    n_steps: int
    couplings: tuple[str, ...]
    observe: Callable
    initial: Callable[[int, int], np.ndarray]
    finish: Callable[[np.ndarray, dict], dict]



# --- the size estimate ------------------------------------------------------------------------------
# Rough constants of a 2-core CPU (measured on the simulator and NumPy's dense kernels).  The estimate
# decides whether a run can fit in memory before anything is simulated, and drives the progress bar's
# ETA; it is meant to be right within a small factor, on the high side for memory.
SECONDS_PER_CHAIN_STEP = 3e-7      # one step of one chain, d and m small
SECONDS_PER_STATE_FLOP = 4e-10     # ... plus this per entry of A, U, W touched in that step
SECONDS_PER_FLOP = 2e-10           # NumPy dense linear algebra (matrix products, eigenvalues)
SECONDS_PER_ROW = 0.3              # set-up of a row: hypotheses, planning, compilation when cached
HOST_COPIES = 4                    # copies of the drawn data alive at once (stages, concatenation, tests)
SIMULATOR_CHUNK = 1024             # paths per compiled simulator call (theorems.model.simulate)


def chain_step_seconds(d: int, m: int) -> float:
    """Seconds of one simulator step of one chain (a state of dimension d, inputs of dimension m)."""
    return SECONDS_PER_CHAIN_STEP + SECONDS_PER_STATE_FLOP * (2 * d * d + d * m)


def total_paths(settings: "Settings", stages: int, pilot: int = 0) -> int:
    """Paths drawn when every one of ``stages`` doubling stages runs (the most a row may draw)."""
    return pilot + settings.paths * 2 ** (max(stages, 1) - 1)


def simulation_estimate(n_paths: int, steps: int, chains: int, couplings: int, d: int, m: int,
                        values_per_step: float) -> tuple[float, float]:
    """(peak bytes, seconds) of simulating ``n_paths`` paths of ``chains`` coupled chains for ``steps`` steps
    under ``couplings`` couplings, keeping ``values_per_step`` float64 observations per path and step."""
    kept = float(n_paths) * (steps + 1) * values_per_step * 8.0 * couplings
    chunk = min(n_paths, SIMULATOR_CHUNK)
    device = chunk * (steps + 1) * values_per_step * 8.0 * 2 + chunk * chains * (d + m) * 8.0 * 8
    bytes_ = kept * HOST_COPIES + device + 16.0 * 8 * (d * d + d * m)
    seconds = float(n_paths) * steps * chains * couplings * chain_step_seconds(d, m)
    return bytes_, seconds


class Check(abc.ABC):
    """The interface every claim's check implements: plan, estimate, run one (regime, claim) row.

    ``claim`` is the :class:`~ssmverify.theorems.Claim` checked.  ``run`` returns the row, built with
    :meth:`result` (the one place a :class:`CheckResult` is assembled) or :meth:`not_applicable`.
    ``planned_comparisons`` is an upper bound on the deciding *statistical* comparisons ``run`` makes
    (closed forms count 0): the run fixes its comparison family, and so every per-comparison level, from
    these numbers before anything is simulated.  A check whose comparisons are all statistical draws
    should derive from :class:`MonteCarloCheck` instead, which adds staged sampling and lets the probe
    batch whole parameter grids.
    """

    claim: Claim

    @abc.abstractmethod
    def planned_comparisons(self, regime: Regime, settings: Settings) -> int:
        """An upper bound on the deciding statistical comparisons ``run`` makes (fixes the family size)."""

    @abc.abstractmethod
    def run(self, regime: Regime, settings: Settings) -> CheckResult:
        """The row of this claim in ``regime``, decided at ``settings.level`` per comparison."""

    def verdict(self, regime: Regime, settings: Settings) -> Verdict:
        """The verdict of :meth:`run` alone, for callers that need nothing else (the probe's certification
        and shrinking).  Default: ``run(...).verdict``; a check may skip its reported-only work here."""
        return self.run(regime, settings).verdict

    def decides(self, regime: Regime) -> bool:
        """Whether the row may PASS or FAIL (default: the paper's hypotheses hold in the regime)."""
        return self.claim.hypotheses_hold(regime)

    def splits(self, regime: Regime) -> bool:
        """Whether this row uses sample splitting (a pilot picks the one comparison that may FAIL)."""
        return False

    def estimate(self, regime: Regime, settings: Settings) -> tuple[float, float]:
        """(peak bytes, seconds) this row may need, from shapes and settings alone: nothing is simulated, no
        hypothesis is evaluated.  Default: the set-up of a row only."""
        return 0.0, SECONDS_PER_ROW

    def margin_function(self, regime: Regime, settings: Settings, n: int):
        """A JAX-differentiable ``model -> point margin`` on n fixed paths (common random numbers), or None.

        The point margin is the largest (statistic − bound) over the deciding comparisons, the quantity
        the probe's search maximises.
        """
        return None

    def tightest_constant(self, comps: list) -> dict | None:
        """For claims with a constant (Lemma 1's κ): the smallest constant the comparisons support, for the
        probe's maps; None for claims without one."""
        return None

    def result(self, regime: Regime, comps: list, n: int, *, details: dict | None = None,
               verdict: Verdict | None = None, pool: list | None = None) -> CheckResult:
        """The row: verdict from the comparisons (:func:`combine`, or NOT_APPLICABLE when the check does not
        decide), the representative comparison's statistic, bound, interval and method, and ``details``
        completed with the hypotheses, the representative's label and every comparison.  ``pool``: the
        comparisons the representative is picked from, when not all of them (default: ``comps``)."""
        if verdict is None:
            verdict = combine(comps) if self.decides(regime) else NOT_APPLICABLE
        rep = representative(comps if pool is None else pool, verdict)
        details = {"hypotheses": hypotheses_json(self.claim, regime), **(details or {})}
        details.setdefault("representative", rep.label if rep else None)
        details["comparisons"] = [c.to_json() for c in comps]
        details.setdefault("plots", [])
        nan = math.nan
        return CheckResult(
            regime=regime.name, claim=self.claim.id, verdict=verdict,
            hypotheses_hold=self.claim.hypotheses_hold(regime),
            statistic=rep.statistic if rep else nan, bound=rep.bound if rep else nan,
            ci=rep.ci if rep else (nan, nan), n_samples=n, details=details,
            method=rep.method if rep else None,
        )

    def not_applicable(self, regime: Regime, reason: str) -> CheckResult:
        """A row for a claim whose setting does not fit the regime (nothing simulated)."""
        return not_applicable(self.claim, regime, reason)


class MonteCarloCheck(Check):
    """A check that decides from random samples, drawn in doubling stages.

    Subclasses say how to draw samples first..first+n−1 (:meth:`draw`, deterministic given the seed) and
    *how they decide* (:meth:`comparisons`), and may add reported context (:meth:`details`).  :meth:`run`
    draws in stages until the verdict is decided (or the last stage), with sample splitting when
    :meth:`splits`.
    """

    # Sample splitting (see checks._verdict.staged): a pilot picks the one comparison that may FAIL.
    splits_sample: bool = False

    def splits(self, regime: Regime) -> bool:
        return self.splits_sample

    @abc.abstractmethod
    def draw(self, regime: Regime, settings: Settings, first: int, n: int) -> dict:
        """Samples first..first+n−1 as named arrays with leading axis n (the same for the same seed)."""

    @abc.abstractmethod
    def comparisons(self, regime: Regime, data: dict, level: float, decides: bool) -> list:
        """The comparisons of the drawn ``data`` at per-comparison level ``level``."""

    def details(self, regime: Regime, settings: Settings, comps: list, data: dict) -> dict:
        """Reported context of the row (caveats, units, plot specifications, ...)."""
        return {}

    def _sample(self, regime: Regime, settings: Settings):
        """Staged sampling until the verdict is decided: (comparisons, data, n, stages used, pilot paths)."""
        decides = self.decides(regime)
        split = self.splits(regime) and decides and settings.stages is None
        pilot = pilot_size(settings) if split else 0
        comps, data, n, used = staged(
            lambda first, n_new: self.draw(regime, settings, first, n_new),
            lambda data: self.comparisons(regime, data, settings.level, decides),
            settings.paths, settings.max_stages if decides else 1,
            select=select_worst if split else None, pilot_size=pilot,
        )
        return comps, data, n, used, pilot

    def run(self, regime: Regime, settings: Settings) -> CheckResult:
        return self.staged_result(regime, settings, *self._sample(regime, settings))

    def verdict(self, regime: Regime, settings: Settings) -> Verdict:
        """:meth:`run`'s verdict without :meth:`details` (the reported context: laws, distances, exponents
        and plots, often the costlier part), where the check decides as this class does."""
        if type(self).run is not MonteCarloCheck.run or type(self).staged_result is not MonteCarloCheck.staged_result:
            return super().verdict(regime, settings)
        comps, _, n, _, _ = self._sample(regime, settings)
        return self.result(regime, comps, n).verdict

    def staged_result(self, regime, settings, comps, data, n, used, pilot: int = 0) -> CheckResult:
        """The row after staged sampling: the stages and pilot used, then :meth:`details`."""
        details = {
            "stages_used": used,
            "pilot_paths": pilot,
            "selected": sorted(c.label for c in comps if c.selected and c.decides) if pilot else None,
            **self.details(regime, settings, comps, data),
        }
        return self.result(regime, comps, n, details=details)


class SimulatorCheck(MonteCarloCheck):
    """A Monte Carlo check whose samples are paths of the regime's gated recurrence.

    Subclasses declare *what* to simulate (:meth:`simulation`: initial states, horizon, couplings, an
    observer); :meth:`draw` runs the JAX simulator on it (memoised across stages and across checks with
    the same ``purpose``), and the probe batches whole parameter grids through :meth:`draw_grid`.
    """

    @abc.abstractmethod
    def simulation(self, regime: Regime, settings: Settings, probe: bool = False) -> Simulation:
        """What to simulate.  ``probe=True`` may return a lighter simulation that still yields every
        *deciding* quantity (a probe needs verdicts and margins, not the reported context)."""

    def estimate(self, regime: Regime, settings: Settings) -> tuple[float, float]:
        """Reads the :class:`Simulation` and assumes a few observations per chain and step; sized for the
        most stages ``run`` may draw.  A check that keeps more overrides it."""
        try:
            sim = self.simulation(regime, settings)
            chains = int(np.shape(sim.initial(0, 1))[1])
        except Exception:   # no simulation for this regime (the claim may not apply): set-up only
            return 0.0, SECONDS_PER_ROW
        pilot = pilot_size(settings) if self.splits(regime) and settings.stages is None else 0
        n = total_paths(settings, settings.max_stages, pilot)
        bytes_, seconds = simulation_estimate(n, sim.n_steps, chains, len(sim.couplings), regime.d, regime.m,
                                              4 * chains)
        return bytes_, seconds + SECONDS_PER_ROW

    def draw(self, regime: Regime, settings: Settings, first: int, n: int) -> dict:
        """Paths first..first+n−1 of every coupling, as ``{"coupling.name": array}`` (memoised)."""
        sim = self.simulation(regime, settings)
        return _draw(sim, regime, settings, first, n)

    def draw_grid(self, regimes: list[Regime], settings: Settings, n: int) -> list[dict]:
        """Paths 0..n−1 for many regimes of one shape, the cells batched through ``jax.vmap``.

        All cells share the random stream of the first regime (common random numbers).
        """
        sims = [self.simulation(r, settings, probe=True) for r in regimes]
        sim0 = sims[0]
        h0s = np.stack([s.initial(0, n) for s in sims])
        outs: list[dict] = [{} for _ in regimes]
        for coupling in sim0.couplings:
            key = settings.key(regimes[0].name, sim0.purpose, coupling)
            finals, obs = simulate_grid([r.model() for r in regimes], key, h0s, sim0.n_steps,
                                        synchronous=coupling == "synchronous", observe=sim0.observe)
            for c, out in enumerate(outs):
                cell_obs = jax.tree_util.tree_map(lambda a, c=c: a[c], obs)
                out.update({f"{coupling}.{k}": v for k, v in sims[c].finish(finals[c], cell_obs).items()})
        return outs


@dataclasses.dataclass(frozen=True)
class _DrawRequest:
    """What a draw depends on (the cache key: regime fingerprint, seed, purpose, paths), and what it needs."""

    fingerprint: str
    seed: int
    purpose: str
    first: int
    n: int
    regime: Regime = dataclasses.field(compare=False)
    settings: Settings = dataclasses.field(compare=False)
    sim: Simulation = dataclasses.field(compare=False)


# A row's later stages, and checks sharing a ``purpose`` on one regime, reuse paths already drawn.
@functools.lru_cache(maxsize=8)
def _draw_cached(request: _DrawRequest) -> dict:
    regime, settings, sim, first = request.regime, request.settings, request.sim, request.first
    out, model, h0s = {}, regime.model(), sim.initial(first, request.n)
    for coupling in sim.couplings:
        final, obs = simulate(model, settings.key(regime.name, sim.purpose, coupling), h0s, sim.n_steps,
                              synchronous=coupling == "synchronous", observe=sim.observe, first_path=first)
        out.update({f"{coupling}.{k}": v for k, v in sim.finish(final, obs).items()})
    return out


def _draw(sim: Simulation, regime: Regime, settings: Settings, first: int, n: int) -> dict:
    return _draw_cached(_DrawRequest(regime.fingerprint(), settings.seed, sim.purpose, first, n,
                                     regime, settings, sim))


def pilot_size(settings: Settings) -> int:
    """Paths of the pilot that picks the deciding comparison (sample splitting): half a first stage."""
    return max(settings.paths // 2, 64)


def hypotheses_json(claim: Claim, regime: Regime) -> list[dict]:
    return [h.to_json() for h in claim.hypotheses(regime)]


def not_applicable(claim: Claim, regime: Regime, reason: str) -> CheckResult:
    """A row for a claim whose setting does not fit the regime (nothing simulated).  A form the claim does not
    formulate has no hypotheses to evaluate: the one listed is the form, which does not hold."""
    if regime.form not in claim.forms:
        hypotheses, hold = [{"name": f"model form in {{{', '.join(claim.forms)}}}", "holds": False,
                             "detail": f"the regime's form is {regime.form}"}], False
    else:
        hypotheses, hold = hypotheses_json(claim, regime), claim.hypotheses_hold(regime)
    return CheckResult(
        regime=regime.name, claim=claim.id, verdict=NOT_APPLICABLE, hypotheses_hold=hold,
        statistic=float("nan"), bound=float("nan"), ci=(float("nan"), float("nan")), n_samples=0,
        details={"reason": reason, "hypotheses": hypotheses, "comparisons": [], "plots": []},
    )
