"""Certifying the probe's violations: a fresh-stream verdict, shrinking, and counterexamples/NNN.toml."""

from __future__ import annotations

import math
from pathlib import Path

from ...theorems import Regime

from .._base import Check, Settings
from .._knobs import apply_knobs, regime_to_dict, to_toml
from .._registry import CHECKS
from .._verdict import FAIL


def _fresh_verdict(check: Check, regime: Regime, settings: Settings, quick: bool = False) -> str:
    """The verdict ``ssmverify run`` gives the regime alone (its own name, hence its own random stream),
    without the row's reported-only context (:meth:`Check.verdict`)."""
    s = Settings(seed=settings.seed, alpha=settings.alpha, quick=quick,
                 family_size=max(check.planned_comparisons(regime, settings), 1))
    return check.verdict(regime, s)


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
            if check.decides(trial) and _fresh_verdict(check, trial, settings, quick=True) == FAIL:
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
        if not check.decides(original) or _fresh_verdict(check, original, settings) != FAIL:
            record["status"] = "candidate (not significant on a fresh stream)"
            reports.append(record)
            continue
        shrunk, steps = shrink(check, original, settings, shrink_budget)
        final_name = f"{base.name}-counterexample-{written + 1:03d}"
        final = None
        for option in ((shrunk, steps), (original, [])):
            named = apply_knobs(option[0], {}, name=final_name)
            if check.decides(named) and _fresh_verdict(check, named, settings) == FAIL:
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
        from ...reports._io import write_atomic
        write_atomic(path, to_toml(data, header))
        record.update(status="certified", file=str(path.relative_to(out)), replay=command, shrink_steps=steps)
        reports.append(record)
    return reports
