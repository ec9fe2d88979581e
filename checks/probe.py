"""``ssmverify probe``: where each bound fails, the worst violation, and replayable counterexamples.

* Grid: every combination of knob values is a cell; cells of one shape are
  simulated together with ``jax.vmap`` in fixed-size chunks (one compilation),
  all with the same random stream (common random numbers across cells).  Each
  cell gets the check's own comparisons; the grid is one Bonferroni family
  (per-comparison level α / Σ_cells m_cell), stated on the figure.
* Search (``--search BUDGET``): a derivative-free (1+λ) evolution strategy in
  the box the ranges define, on the point margin max(statistic − bound) over
  the cell's deciding comparisons, with common random numbers so candidates are
  compared on the same paths.  Started from the best grid cell.
* Certification: a violation is re-checked as a new regime with its own name,
  hence an independent random stream, exactly as ``ssmverify run FILE --claims
  ID`` would run it.  Only one that FAILs there is a counterexample; the rest
  are candidates.  Certified ones are shrunk (entries zeroed, numbers rounded,
  while the shrunk regime still FAILs on a separate stream) and certified once
  more under their final name before ``counterexamples/NNN.toml`` is written.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import sys
from pathlib import Path

import numpy as np

from ..theorems import CLAIMS, Regime, parse_regime

from ._base import Check, Settings, SimulatorCheck
from ._knobs import Knob, apply_knobs, differentiable_knobs, regime_to_dict, to_toml
from ._registry import CHECKS
from ._verdict import FAIL, HOLDS, INCONCLUSIVE, NOT_APPLICABLE, PASS, VIOLATED

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


def chunk_size(check: Check, regime: Regime, settings: Settings) -> int:
    if not batched(check):
        return 1
    sim = check.simulation(regime, settings, probe=True)
    chains = sim.initial(0, 1).shape[1]
    per_cell = settings.paths * sim.n_steps * len(sim.couplings) * (3 * chains + regime.d) * 8
    return int(max(1, min(MAX_CHUNK, MEMORY_BUDGET // max(per_cell, 1))))


def summarise(comps: list[dict], decides: bool) -> dict:
    """A cell's verdict, representative comparison and objective from its comparisons (JSON form)."""
    deciding = [c for c in comps if c["decides"]] if decides else []

    def margin(c, edge=None):
        value = c["statistic"] if edge is None else c["ci"][edge]
        value = float(value) if not isinstance(value, str) else float(value.replace("inf", "Infinity"))
        return (value - c["bound"]) if c["claimed"] != ">=" else (c["bound"] - value)

    if not decides:
        verdict = NOT_APPLICABLE
    elif any(c["decision"] == VIOLATED for c in deciding):
        verdict = FAIL
    elif deciding and all(c["decision"] == HOLDS for c in deciding):
        verdict = PASS
    else:
        verdict = INCONCLUSIVE
    pool = deciding or comps
    finite = [c for c in pool if math.isfinite(margin(c))] or pool
    rep = max(finite, key=lambda c: margin(c)) if finite else None
    point = max((margin(c) for c in deciding if math.isfinite(margin(c))), default=-math.inf)
    certified = max((margin(c, 0 if c["claimed"] != ">=" else 1) for c in deciding
                     if math.isfinite(margin(c, 0 if c["claimed"] != ">=" else 1))), default=-math.inf)
    return {
        "verdict": verdict,
        "statistic": rep["statistic"] if rep else math.nan,
        "bound": rep["bound"] if rep else math.nan,
        "margin": margin(rep) if rep else math.nan,
        "ci": list(rep["ci"]) if rep else [math.nan, math.nan],
        "comparison": rep["label"] if rep else None,
        "objective": point if decides else -math.inf,
        "certified_margin": certified,
    }


def evaluate(check: Check, regimes: list[Regime], settings: Settings, chunk: int) -> list[dict]:
    """One summary per regime (cell).  Batched in vmapped chunks of ``chunk`` when the check allows."""
    out = []
    if not batched(check):
        for regime in regimes:
            result = check.run(regime, settings)
            cell = summarise(result.details.get("comparisons", []), check.decides(regime))
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
            cell = summarise([c.to_json() for c in comps], decides)
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


# ----------------------------------------------------------------------------------------------- search


def _to_unit(knob: Knob, value: float) -> float:
    if knob.n == 1 or knob.hi == knob.lo:
        return 0.5
    if knob.log:
        return (math.log(value) - math.log(knob.lo)) / (math.log(knob.hi) - math.log(knob.lo))
    return (value - knob.lo) / (knob.hi - knob.lo)


def _from_unit(knob: Knob, u: float) -> float:
    u = min(max(u, 0.0), 1.0)
    if knob.log:
        return float(math.exp(math.log(knob.lo) + u * (math.log(knob.hi) - math.log(knob.lo))))
    return float(knob.lo + u * (knob.hi - knob.lo))


def search(base: Regime, claim: str, knobs: list[Knob], grid: dict, budget: int, settings: Settings) -> dict:
    """Largest violation in the box, from the best grid cell, on common random numbers.

    Gradient ascent through the Monte Carlo estimate where the check supplies a
    differentiable margin and every knob enters the model smoothly; a (1+λ)
    evolution strategy otherwise.  ``budget`` counts cell evaluations (one
    gradient evaluation counts as one).
    """
    check = CHECKS[claim]
    setter = differentiable_knobs(base, [k.name for k in knobs])
    margin = check.margin_function(base, grid["settings"], grid["settings"].paths) if setter else None
    if margin is None or budget < 2:
        return _evolution_search(base, claim, knobs, grid, budget, settings)
    # Gradients are local (the margin is a max over comparisons, rarely concave): explore with the
    # evolution strategy first, then climb from its best point.
    explored = _evolution_search(base, claim, knobs, grid, budget // 2, settings)
    refined = _gradient_search(base, claim, knobs, grid, budget - budget // 2, setter, margin, explored["best"])
    best = refined if refined["best_objective"] > explored["best_objective"] else explored
    return {**best, "method": f"{explored['method']} for {budget // 2} evaluations, then {refined['method']}",
            "budget": budget, "evaluations": explored["evaluations"] + refined["evaluations"],
            "start": explored["start"], "start_objective": explored["start_objective"],
            "history": explored["history"] + refined["history"]}


def _unit_to_values(knobs: list[Knob], u):
    """jnp version of _from_unit for a vector of unit coordinates."""
    import jax.numpy as jnp
    out = []
    for i, k in enumerate(knobs):
        ui = jnp.clip(u[i], 0.0, 1.0)
        if k.log:
            out.append(jnp.exp(math.log(k.lo) + ui * (math.log(k.hi) - math.log(k.lo))))
        else:
            out.append(k.lo + ui * (k.hi - k.lo))
    return jnp.stack(out)


def _gradient_search(base, claim, knobs, grid, budget, setter, margin, start_point: dict) -> dict:
    """Projected gradient ascent (Adam steps) in the unit box from ``start_point``.

    Steps that leave the region where the paper's hypotheses hold are refused
    (the step size is halved): a violation there is not a counterexample.
    """
    import jax
    import jax.numpy as jnp

    check = CHECKS[claim]
    u = np.array([_to_unit(k, start_point[k.name]) for k in knobs])
    value_and_grad = jax.jit(jax.value_and_grad(lambda x: margin(setter(_unit_to_values(knobs, x)))))
    lr, m1, m2, history = 0.05, np.zeros_like(u), np.zeros_like(u), []
    best_u, best_f = u.copy(), -math.inf
    for it in range(1, budget + 1):
        f, g = value_and_grad(jnp.asarray(u))
        f, g = float(f), np.nan_to_num(np.asarray(g, float))
        if f > best_f:
            best_f, best_u = f, u.copy()
        m1 = 0.9 * m1 + 0.1 * g
        m2 = 0.999 * m2 + 0.001 * g * g
        step = lr * (m1 / (1 - 0.9**it)) / (np.sqrt(m2 / (1 - 0.999**it)) + 1e-12)
        trial = np.clip(u + step, 0.0, 1.0)
        values = {k.name: _from_unit(k, trial[i]) for i, k in enumerate(knobs)}
        if check.decides(apply_knobs(base, values)):
            u = trial
        else:
            lr *= 0.5  # the step left the region where the claim asserts anything
        history.append({"evaluations": it, "objective": f, "best_objective": best_f})
        _progress(it, budget, f"probe {claim}: gradient search")
    combo = {k.name: _from_unit(k, best_u[i]) for i, k in enumerate(knobs)}
    best = {**evaluate(check, [apply_knobs(base, combo)], grid["settings"], grid["chunk"])[0], **combo}
    return {"method": "gradient ascent through the Monte Carlo estimate (common random numbers, Adam steps)",
            "budget": budget, "evaluations": budget, "best": best, "best_objective": best["objective"],
            "history": history}


def _evolution_search(base: Regime, claim: str, knobs: list[Knob], grid: dict, budget: int,
                      settings: Settings) -> dict:
    """(1+λ) evolution strategy on the point margin, started at the best grid cell."""
    check = CHECKS[claim]
    cells = grid["cells"]
    start = max(range(len(cells)), key=lambda i: cells[i]["objective"])
    best_x = np.array([_to_unit(k, grid["combos"][start][k.name]) for k in knobs])
    best = dict(cells[start])
    best_f = best["objective"]
    rng = settings.rng(base.name, claim, "search")
    sigma, used, history = 0.25, 0, []
    lam = max(1, min(grid["chunk"], 16, budget))
    while used < budget:
        n = min(lam, budget - used)
        xs = np.clip(best_x + sigma * rng.standard_normal((n, len(knobs))), 0.0, 1.0)
        combos = [{k.name: _from_unit(k, x[i]) for i, k in enumerate(knobs)} for x in xs]
        results = evaluate(check, [apply_knobs(base, c) for c in combos], grid["settings"], grid["chunk"])
        used += n
        i = max(range(n), key=lambda j: results[j]["objective"])
        history.append({"evaluations": used, "best_objective": max(best_f, results[i]["objective"]), "sigma": sigma})
        if results[i]["objective"] > best_f:
            best_f, best_x, best = results[i]["objective"], xs[i], {**results[i], **combos[i]}
            sigma = min(sigma * 1.5, 0.5)
        else:
            sigma = max(sigma * 0.6, 1e-3)
        _progress(used, budget, f"probe {claim}: search")
    best.update({k.name: _from_unit(k, best_x[i]) for i, k in enumerate(knobs)})
    return {"method": "(1+λ) evolution strategy (derivative-free, common random numbers)",
            "budget": budget, "evaluations": used, "start": grid["combos"][start],
            "start_objective": cells[start]["objective"], "best": best, "best_objective": best_f, "history": history}


# --------------------------------------------------------------------------------- certify and shrink


def _verdict(check: Check, regime: Regime, settings: Settings, quick: bool = False) -> str:
    s = Settings(seed=settings.seed, alpha=settings.alpha, quick=quick,
                 family_size=max(check.planned_comparisons(regime, settings), 1))
    return check.run(regime, s).verdict


def _numeric_leaves(data: dict, prefix: str = "") -> list[tuple[str, float]]:
    """Dotted paths of every number in the model and inputs tables (the shrinkable parameters)."""
    out = []

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            out.append((path, float(node)))

    walk({"model": data["model"], "inputs": data["inputs"]}, prefix)
    return out


def _round_sig(x: float, digits: int) -> float:
    if x == 0.0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits}g}")


def shrink(check: Check, regime: Regime, settings: Settings, budget: int) -> tuple[Regime, list[str]]:
    """Zero entries, then round numbers, while the claim still FAILs (quick checks on a shrink stream)."""
    current, steps, attempts = regime, [], 0
    shrink_name = f"{regime.name}-shrink"
    for mode in ("zero", 1, 2):
        for path, value in _numeric_leaves(regime_to_dict(current)):
            if attempts >= budget:
                return current, steps
            target = 0.0 if mode == "zero" else _round_sig(value, mode)
            if target == value or (mode == "zero" and path.startswith("inputs")):
                continue
            try:
                trial = apply_knobs(current, {path: target}, name=shrink_name)
            except ValueError:
                continue
            attempts += 1
            if check.decides(trial) and _verdict(check, trial, settings, quick=True) == FAIL:
                current = trial
                steps.append(f"{path}: {value:.6g} → {target:g}")
    return current, steps


def certify_and_write(base: Regime, claim: str, found: list[dict], settings: Settings, out: Path,
                      shrink_budget: int) -> list[dict]:
    """Re-check each found violation on a fresh stream; shrink and write the certified ones."""
    check = CHECKS[claim]
    reports, written = [], 0
    for k, cell in enumerate(found, 1):
        values = {key: cell[key] for key in cell["knob_names"]}
        record = {"knobs": values, "found_margin": cell["objective"], "source": cell["origin"]}
        original = apply_knobs(base, values, name=f"{base.name}-candidate-{k:03d}")
        if not check.decides(original) or _verdict(check, original, settings) != FAIL:
            record["status"] = "candidate (not significant on a fresh stream)"
            reports.append(record)
            continue
        shrunk, steps = shrink(check, original, settings, shrink_budget)
        final_name = f"{base.name}-counterexample-{written + 1:03d}"
        final = None
        for option in ((shrunk, steps), (original, [])):
            named = apply_knobs(option[0], {}, name=final_name)
            if check.decides(named) and _verdict(check, named, settings) == FAIL:
                final, steps = named, option[1]
                break
        if final is None:
            record["status"] = "candidate (certified once, not again under its final name)"
            reports.append(record)
            continue
        written += 1
        path = out / "counterexamples" / f"{written:03d}.toml"
        command = f"ssmverify run {path} --claims {claim} --seed {settings.seed} --alpha {settings.alpha!r}"
        header = (f"Counterexample to {claim} found by ssmverify probe on {base.source}.\n"
                  f"Knobs: {', '.join(f'{k}={v:.6g}' for k, v in values.items())}; found margin "
                  f"{cell['objective']:.4g}.\nShrunk: {'; '.join(steps) or 'nothing'}.\nReplay: {command}")
        data = regime_to_dict(final)
        data["claims"] = [claim]
        data["description"] = f"counterexample to {claim} (ssmverify probe)"
        from ..reports._io import write_atomic
        write_atomic(path, to_toml(data, header))
        record.update(status="certified", file=str(path.relative_to(out)), replay=command, shrink_steps=steps)
        reports.append(record)
    return reports


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
        from .theorem2 import lyapunov_json
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
    from ..reports._io import dumps as json_dumps
    return json_dumps(doc)
