"""The probe's search: the largest violation in the knobs' box, by evolution strategy or gradient ascent."""

from __future__ import annotations

import math

import numpy as np

from ...theorems import Regime

from .._base import Settings
from .._knobs import Knob, apply_knobs, differentiable_knobs
from .._registry import CHECKS
from .grid import _progress, evaluate


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
