"""Running checks over regimes: planning the comparison family, then running each row."""

from __future__ import annotations

import dataclasses
import platform
import shlex
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Callable

from ..theorems import Regime, RegimeError, load_regime

from . import _registry
from ._base import Check, Settings
from ._registry import Registry

__all__ = ["builtin_regime_paths", "resolve_regimes", "plan_rows", "run_rows", "results_document"]

SCHEMA_VERSION = 1


def builtin_regime_paths() -> dict[str, Path]:
    """Built-in regimes by their ``name`` (files ``checks/regimes/NN-*.toml``), in file order."""
    paths = sorted((Path(__file__).parent / "regimes").glob("*.toml"), key=lambda p: p.name)
    out = {}
    for path in paths:
        with open(path, "rb") as fh:
            out[tomllib.load(fh)["name"]] = path
    return out


def resolve_regimes(args, registry: Registry | None = None) -> list[Regime]:
    """Regimes from files, ``builtin:NAME`` names or :class:`Regime` objects; none: the whole built-in suite.

    Files are validated against the schema of ``registry`` (its claims and their settings tables).
    """
    registry = registry or _registry.BUILTIN
    builtins = builtin_regime_paths()
    known = registry.claims
    if not args:
        return [load_regime(path, known, source=f"builtin:{name}") for name, path in builtins.items()]
    regimes = []
    for arg in args:
        if isinstance(arg, Regime):
            regimes.append(arg)
        elif isinstance(arg, str) and arg.startswith("builtin:"):
            name = arg.split(":", 1)[1]
            if name not in builtins:
                raise RegimeError(f"{arg}: no built-in regime of that name; built-in: {', '.join(builtins)}")
            regimes.append(load_regime(builtins[name], known, source=arg))
        else:
            regimes.append(load_regime(arg, known))
    names = [r.name for r in regimes]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RegimeError(f"{', '.join(dupes)}: regime name used by more than one file; names must be unique in a run")
    return regimes


@dataclasses.dataclass(frozen=True)
class Row:
    """One planned (regime, claim) row and the check that will decide it."""

    regime: Regime
    claim: str
    reason: str | None   # not None: the claim's setting does not fit the regime
    check: Check


def plan_rows(regimes: list[Regime], claims: list[str] | None, registry: Registry | None = None) -> list[Row]:
    """Which (regime, claim) rows a run makes.

    Claims requested explicitly (by ``--claims`` or the regime's ``claims``
    key) always get a row; by default a regime gets every claim that applies.
    """
    registry = registry or _registry.BUILTIN
    rows = []
    for regime in regimes:
        explicit = claims or (list(regime.claims) if regime.claims else None)
        for claim_id, check in registry.checks.items():
            if explicit is not None and claim_id not in explicit:
                continue
            reason = check.claim.reason_not_applicable(regime)
            if reason is not None and explicit is None:
                continue
            rows.append(Row(regime, claim_id, reason, check))
    return rows


def family_size(rows: list[Row], settings: Settings) -> int:
    return sum(r.check.planned_comparisons(r.regime, settings) for r in rows if r.reason is None)


def reproduce_command(row: Row, settings: Settings, plugin: str | None = None) -> str:
    parts = ["ssmverify", "run", row.regime.source, "--claims", row.claim, "--seed", str(settings.seed),
             "--alpha", repr(settings.alpha), "--family-size", str(settings.family_size)]
    if plugin is not None:
        parts += ["--plugin", plugin]
    if settings.quick:
        parts.append("--quick")
    return " ".join(shlex.quote(p) for p in parts)


def run_rows(rows: list[Row], settings: Settings, progress: Callable[[str], None] | None = None,
             registry: Registry | None = None) -> list:
    registry = registry or _registry.BUILTIN
    claims = registry.claims
    results = []
    for i, row in enumerate(rows, 1):
        claim = row.check.claim
        if progress:
            progress(f"[{i}/{len(rows)}] {row.regime.name} · {row.claim}")
        if row.reason is not None:
            result = row.check.not_applicable(row.regime, row.reason)
        else:
            result = row.check.run(row.regime, settings)
        details = dict(result.details)
        details["regime_source"] = row.regime.source
        details["regime_description"] = row.regime.description
        details["claim"] = {
            **claim.to_json(),
            "corrected_by": [{"id": c.id, "statement": c.statement, "latex": c.latex}
                             for c in claims.values() if c.corrects == claim.id],
        }
        details["statistics"] = settings.stats_json()
        source = registry.sources.get(row.claim, "builtin")
        details["reproduce"] = reproduce_command(row, settings, source if source.endswith(".py") else None)
        plots = details.get("plots", [])
        stem = _figure_stem(row.regime.name, row.claim)  # unique per (regime, claim), even for look-alike names
        figures = tuple(f"figures/{stem}{'' if k == 0 else f'-{k}'}.png" for k in range(len(plots)))
        results.append(dataclasses.replace(result, details=details, figures=figures))
    return results


def _figure_stem(regime: str, claim: str) -> str:
    from ..reports._format import figure_stem  # the one slug rule, shared with the reports' HTML ids
    return figure_stem(regime, claim)


def environment() -> dict:
    versions = {}
    for pkg in ("ssmverify", "jax", "jaxlib", "numpy", "scipy", "matplotlib"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    commit = None
    try:
        here = Path(__file__).resolve().parent.parent
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        commit = out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        pass
    return {"python": sys.version.split()[0], "platform": platform.platform(), "packages": versions,
            "git_commit": commit, "precision": "float64"}


def results_document(results: list, settings: Settings) -> dict:
    try:
        version = metadata.version("ssmverify")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {
        "schema": SCHEMA_VERSION,
        "version": version,
        "seed": settings.seed,
        "alpha": settings.alpha,
        "quick": settings.quick,
        "family_size": settings.family_size,
        "per_comparison_level": settings.level,
        "environment": environment(),
        "results": [r.to_json() for r in results],
    }
