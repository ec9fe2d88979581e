"""The probe's grid: cells, chunking, vmapped or whole-run evaluation, Dask, and grid.csv / grid.json.

A cell is decided exactly as a run row is: :func:`~ssmverify.checks._verdict.combine` over its
comparisons (NOT_APPLICABLE where the check does not decide), reported through
:func:`~ssmverify.checks._verdict.representative`.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import sys

import numpy as np

from ...theorems import CLAIMS, Regime, parse_regime

from .._base import Check, Settings, SimulatorCheck, simulation_estimate
from .._knobs import Knob, apply_knobs, regime_to_dict
from .._registry import CHECKS
from .._verdict import (FAIL, INCONCLUSIVE, NOT_APPLICABLE, PASS, CheckResult, Comparison, Verdict, combine,
                        representative)

MEMORY_BUDGET = 256 * 2**20  # bytes of per-step observations held for one chunk of cells
MAX_CHUNK = 64


def _progress(done: int, total: int, what: str) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    print(f"\r{what} [{'#' * filled}{'-' * (width - filled)}] {done}/{total}", end="" if done < total else "\n",
          file=sys.stderr, flush=True)


def batched(check: Check) -> bool:
    """Whether the check declares its simulation (then cells are vmapped) or only runs whole."""
    return isinstance(check, SimulatorCheck)


def cell_estimate(check: Check, regime: Regime, settings: Settings) -> tuple[float, float]:
    """(bytes of per-step observations, seconds) of one cell's light simulation (a batched check's cell)."""
    sim = check.simulation(regime, settings, probe=True)
    chains = int(sim.initial(0, 1).shape[1])
    values = 3 * chains + regime.d   # per path and step: a few values per chain, plus the state
    per_cell = settings.paths * sim.n_steps * len(sim.couplings) * values * 8
    seconds = simulation_estimate(settings.paths, sim.n_steps, chains, len(sim.couplings), regime.d, regime.m,
                                  values)[1]
    return float(per_cell), seconds


def chunk_size(check: Check, regime: Regime, settings: Settings) -> int:
    if not batched(check):
        return 1
    per_cell = cell_estimate(check, regime, settings)[0]
    return int(max(1, min(MAX_CHUNK, MEMORY_BUDGET // max(per_cell, 1))))


# ------------------------------------------------------------------------------------- a cell's numbers


def _excess(value, bound, claimed: str) -> float:
    """How far ``value`` lies past ``bound`` on the side that violates the claim (NaN stays NaN)."""
    value, bound = float(value), float(bound)
    return value - bound if claimed in ("<=", "<") else bound - value


def _largest(values) -> float:
    """The largest finite value; −inf when there is none (a NaN never becomes a margin)."""
    return max((v for v in values if math.isfinite(v)), default=-math.inf)


def _margins(deciding: list[tuple]) -> tuple[float, float]:
    """(objective, certified margin) over deciding (statistic, bound, ci, claimed): the largest point
    excess, and the largest excess of the interval's end nearest the bound (> 0: significant)."""
    point = _largest(_excess(s, b, c) for s, b, _, c in deciding)
    certified = _largest(_excess(ci[0] if c in ("<=", "<") else ci[1], b, c) for _, b, ci, c in deciding)
    return point, certified


def cell_verdict(comps: list[Comparison], decides: bool) -> tuple[Verdict, Comparison | None, float]:
    """(verdict, representative, its margin) of a cell's comparisons, as ``Check.result`` decides a row."""
    verdict = combine(comps) if decides else NOT_APPLICABLE
    rep = representative(comps, verdict)
    return verdict, rep, (_excess(rep.statistic, rep.bound, rep.claimed) if rep else math.nan)


def _cell(verdict, rep: dict | None, margin: float, deciding: list[tuple], decides: bool) -> dict:
    objective, certified = _margins(deciding)
    return {
        "verdict": verdict,
        "statistic": rep["statistic"] if rep else math.nan,
        "bound": rep["bound"] if rep else math.nan,
        "margin": margin,
        "ci": list(rep["ci"]) if rep else [math.nan, math.nan],
        "comparison": rep["label"] if rep else None,
        "objective": objective if decides else -math.inf,
        "certified_margin": certified,
    }


def summarise(comps: list[Comparison], decides: bool) -> dict:
    """A cell's verdict, representative comparison and margins from its comparisons."""
    verdict, rep, margin = cell_verdict(comps, decides)
    deciding = [(c.statistic, c.bound, c.ci, c.claimed) for c in comps if c.decides] if decides else []
    rep_json = {"label": rep.label, "statistic": rep.statistic, "bound": rep.bound, "ci": rep.ci} if rep else None
    return _cell(verdict, rep_json, margin, deciding, decides)


def summarise_row(result: CheckResult, decides: bool) -> dict:
    """A cell from a whole run's row: the row's own verdict and representative, margins from its comparisons."""
    comps = result.comparisons
    label = result.details.get("representative")
    claimed = next((c["claimed"] for c in comps if c["label"] == label), "<=")
    rep = {"label": label, "statistic": result.statistic, "bound": result.bound, "ci": result.ci}
    margin = _excess(result.statistic, result.bound, claimed) if label is not None else math.nan
    deciding = [(c["statistic"], c["bound"], c["ci"], c["claimed"]) for c in comps if c["decides"]] if decides else []
    return _cell(result.verdict, rep if label is not None else None, margin, deciding, decides)


# ---------------------------------------------------------------------------------------- evaluation


def evaluate(check: Check, regimes: list[Regime], settings: Settings, chunk: int) -> list[dict]:
    """One summary per regime (cell).  Batched in vmapped chunks of ``chunk`` when the check allows."""
    out = []
    if not batched(check):
        for regime in regimes:
            result = check.run(regime, settings)
            cell = summarise_row(result, check.decides(regime))
            cell.update(hypotheses_hold=result.hypotheses_hold, n_samples=result.n_samples)
            out.append(cell)
        return out
    for start in range(0, len(regimes), chunk):
        part = regimes[start:start + chunk]
        padded = part + [part[-1]] * (chunk - len(part))  # fixed shape: one compilation for every chunk
        datas = check.draw_grid(padded, settings, settings.paths)
        for regime, data in zip(part, datas):
            decides = check.decides(regime)
            comps = check.comparisons(regime, data, settings.level, decides)
            cell = summarise(comps, decides)
            cell.update(hypotheses_hold=check.claim.hypotheses_hold(regime), n_samples=settings.paths)
            tight = check.tightest_constant(comps) if decides else None
            if tight is not None:
                cell.update(tight)
            out.append(cell)
    return out


def _evaluate_payload(payload: dict) -> list[dict]:
    """Evaluate one chunk of cells from plain data (what a Dask worker receives)."""
    base = parse_regime(payload["regime"], payload["source"], set(CLAIMS))
    settings = Settings(**payload["settings"])
    regimes = [apply_knobs(base, values) for values in payload["cells"]]
    return evaluate(CHECKS[payload["claim"]], regimes, settings, payload["chunk"])


def run_grid(base: Regime, claim: str, knobs: list[Knob], settings: Settings, dask: str | None = None) -> dict:
    check = CHECKS[claim]
    combos = [dict(zip([k.name for k in knobs], map(float, vals)))
              for vals in itertools.product(*[k.values for k in knobs])]
    regimes = [apply_knobs(base, values) for values in combos]
    family = sum(check.planned_comparisons(r, settings) for r in regimes)
    settings = Settings(seed=settings.seed, alpha=settings.alpha, quick=settings.quick, family_size=max(family, 1),
                        stages=1, n_paths=settings.paths)
    chunk = chunk_size(check, base, settings)
    payloads = [{
        "regime": regime_to_dict(base), "source": base.source, "claim": claim, "chunk": chunk,
        "settings": {"seed": settings.seed, "alpha": settings.alpha, "quick": settings.quick,
                     "family_size": settings.family_size, "stages": 1, "n_paths": settings.paths},
        "cells": combos[i:i + chunk],
    } for i in range(0, len(combos), chunk)]
    cells: list[dict] = []
    if dask:
        cells = _run_on_dask(dask, payloads, len(combos))
    else:
        for payload in payloads:
            cells += _evaluate_payload(payload)
            _progress(len(cells), len(combos), f"probe {claim}: cells")
    for values, cell in zip(combos, cells):
        cell.update(values)
    return {"settings": settings, "cells": cells, "combos": combos, "chunk": chunk, "family_size": family}


def _run_on_dask(address: str, payloads: list[dict], total: int) -> list[dict]:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise RuntimeError("--dask needs dask.distributed: pip install 'ssmverify[dask]'") from None
    with Client(address) as client:
        futures = [client.submit(_evaluate_payload, p, pure=False) for p in payloads]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list = [None] * len(futures)
        done = 0
        for future in as_completed(futures):
            results[index[future.key]] = future.result()
            done += len(results[index[future.key]])
            _progress(done, total, "probe on dask: cells")
    return [cell for part in results for cell in part]


# ------------------------------------------------------------------------------------------- outputs


def grid_csv(knobs: list[Knob], cells: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    names = [k.name for k in knobs]
    writer.writerow(names + ["hypotheses_hold", "statistic", "bound", "margin", "ci_low", "ci_high", "verdict"])
    for c in cells:
        writer.writerow([repr(c[n]) for n in names] + [c["hypotheses_hold"], repr(float(c["statistic"])),
                        repr(float(c["bound"])), repr(float(c["margin"])), repr(float(c["ci"][0])),
                        repr(float(c["ci"][1])), c["verdict"]])
    return buf.getvalue()


def grid_document(base, claim, knobs, grid, search_result, counterexamples) -> dict:
    settings = grid["settings"]
    cells = [{**{k.name: c[k.name] for k in knobs},
              **{key: c[key] for key in ("hypotheses_hold", "statistic", "bound", "margin", "ci", "verdict",
                                         "n_samples", "comparison", "objective", "certified_margin")},
              **({"smallest_supported_kappa": c["smallest_supported_kappa"]} if "smallest_supported_kappa" in c else {})}
             for c in grid["cells"]]
    doc = {
        "claim": claim,
        "regime": base.name,
        "regime_source": base.source,
        "seed": settings.seed,
        "alpha": settings.alpha,
        "paths_per_cell": settings.paths,
        "family_size": grid["family_size"],
        "per_comparison_level": settings.level,
        "multiple_testing": f"Bonferroni over {len(cells)} cells and {grid['family_size']} deciding comparisons",
        "knobs": [k.to_json() for k in knobs],
        "cells": cells,
        "counts": {v: sum(c["verdict"] == v for c in cells) for v in (PASS, FAIL, INCONCLUSIVE, NOT_APPLICABLE)},
    }
    tight = [c["smallest_supported_kappa"] for c in cells
             if c.get("smallest_supported_kappa") is not None and math.isfinite(c["smallest_supported_kappa"])]
    if tight:
        kappas = [float(c["bound"]) for c in cells if c["hypotheses_hold"]]
        at = max((c for c in cells if c.get("smallest_supported_kappa") == max(tight)), key=lambda c: 0)
        from ..theorem2 import lyapunov_json
        lyap = lyapunov_json(apply_knobs(base, {k.name: at[k.name] for k in knobs}), settings)
        doc["tightest_constant"] = {
            "name": "κ", "smallest_supported": max(tight),
            "paper_range": [min(kappas), max(kappas)] if kappas else None,
            "meaning": "every κ below this value is refuted by some cell's deciding comparison",
            "at": {k.name: at[k.name] for k in knobs},
            "lyapunov_exponent_there": lyap,
            "measured_rate_there": float(np.exp(lyap["estimate"])) if np.isfinite(lyap["estimate"]) else None,
        }
    if search_result is not None:
        doc["search"] = search_result
    doc["counterexamples"] = counterexamples
    return doc


def dumps(doc: dict) -> str:
    from ...reports._io import dumps as json_dumps
    return json_dumps(doc)
