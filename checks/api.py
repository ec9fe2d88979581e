"""The Python API: plan and run checks, get typed results, write the reports.

    >>> import ssmverify
    >>> results = ssmverify.run(["builtin:constant-gate"], claims=["lemma1"], quick=True)
    >>> results.rows[0].verdict
    <Verdict.FAIL: 'FAIL'>
    >>> results.write("out/")                     # index.html, report.md, junit.xml, results.tex, figures

The ``ssmverify run`` command is a thin layer over :func:`plan` and :meth:`Plan.execute`: it adds the
size refusal, the progress bar and the output-folder swap, and calls nothing the API does not.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import json
import numbers
import os
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .._errors import SsmverifyError
from ..theorems import Regime
from ._base import Settings
from ._registry import Registry
from ._resources import check_level, refuse_if_too_big, run_owned
from ._verdict import CheckResult, Verdict
from .plugins import registry_with
from .suite import Row, plan_rows, resolve_regimes, results_document, run_rows
from .suite import family_size as planned_family_size

__all__ = ["ArgumentError", "Plan", "Results", "claims", "load_regime", "load_results", "plan", "run"]


class ArgumentError(SsmverifyError, ValueError):
    """A bad argument of the Python API; the message names the argument and what is wrong."""


@dataclasses.dataclass(frozen=True)
class Plan:
    """A validated run, before anything is simulated: the rows, the comparison family and the settings."""

    rows: tuple[Row, ...]
    regimes: tuple[Regime, ...]
    settings: Settings
    registry: Registry

    @property
    def family_size(self) -> int:
        return self.settings.family_size

    def estimates(self) -> list[tuple[str, float, float]]:
        """(label, peak bytes, seconds) of each row, from shapes and settings alone."""
        return _estimates(self.rows, self.settings)

    def execute(self, progress: Callable[[str], None] | None = None) -> "Results":
        """Run every row (``progress`` gets one message per row) and return the results."""
        results = run_rows(list(self.rows), self.settings, progress=progress, registry=self.registry)
        return Results(_normalise(results_document(results, self.settings)))


def load_regime(regime: str | os.PathLike, *, plugins: Iterable = ()) -> Regime:
    """A validated regime from a TOML file or a ``"builtin:NAME"``; ``plugins`` add their claims (and their
    settings tables) to what the file may name."""
    return resolve_regimes([regime] if isinstance(regime, (str, os.PathLike)) else _regime_list(regime),
                           registry_with(plugins))[0]


def claims(plugins: Iterable = ()) -> dict:
    """The registered claims, ``id -> Claim``, in report order: the paper's, then those of ``plugins``."""
    return registry_with(plugins).claims


def _estimates(rows, settings: Settings) -> list[tuple[str, float, float]]:
    out = []
    for row in rows:
        mem, sec = row.check.estimate(row.regime, settings) if row.reason is None else (0.0, 0.05)
        out.append((f"{row.claim} on {row.regime.name}", mem, sec))
    return out


def _claim_list(claims, known: dict) -> list[str] | None:
    if claims is None:
        return None
    if isinstance(claims, str):
        claims = [c.strip() for c in claims.split(",") if c.strip()]
    claims = list(claims)
    unknown = [c for c in claims if c not in known]
    if unknown or not claims:
        named = ", ".join(repr(c)[:60] for c in unknown[:5]) or "(none given)"
        raise ArgumentError(f"claims: unknown claim id(s) {named}; known: {', '.join(known)}")
    return claims


def _regime_list(regimes) -> list:
    if regimes is None:
        return []
    if isinstance(regimes, (str, os.PathLike, Regime)):
        return [regimes]
    items = list(regimes)
    for item in items:
        if not isinstance(item, (str, os.PathLike, Regime)):
            raise ArgumentError(f"regimes: {item!r} is neither a path, 'builtin:NAME' nor a Regime")
    if not items:
        raise ArgumentError("regimes: an empty list names no regime (None runs the built-in suite)")
    return items


def _validated_numbers(seed, alpha, family_size) -> None:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**63:
        raise ArgumentError(f"seed: must be a whole number in [0, 2^63), got {seed!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0.0 < float(alpha) < 1.0:
        raise ArgumentError(f"alpha: must be a number strictly between 0 and 1, got {alpha!r}")
    if family_size is not None and (isinstance(family_size, bool) or not isinstance(family_size, numbers.Integral)
                                    or family_size < 1):
        raise ArgumentError(f"family_size: must be a whole number ≥ 1, got {family_size!r}")


def plan(regimes=None, *, claims=None, seed: int = 0, alpha: float = 0.01, quick: bool = False,
         plugins: Iterable = (), family_size: int | None = None, check_memory: bool = True) -> Plan:
    """Validate everything and plan a run; nothing is simulated.

    ``regimes``: regime file paths, ``"builtin:NAME"`` names or :class:`~ssmverify.Regime` objects (None:
    the built-in suite).  ``claims``: claim ids (None: every claim that applies to each regime, or the ones
    a regime file lists).  ``plugins``: plugin files (or check instances) whose claims join the registry for
    this run.  ``family_size``: the Bonferroni family m (default: this run's planned deciding comparisons;
    a reproduce command passes the original run's).  ``check_memory``: refuse a run whose memory estimate
    does not fit in what this machine may give it (:class:`ResourceError`).  Raises :class:`~ssmverify.SsmverifyError` subclasses
    naming the argument, file or key at fault.
    """
    _validated_numbers(seed, alpha, family_size)
    registry = registry_with(plugins)
    claim_ids = _claim_list(claims, registry.claims)
    stages = Settings(quick=quick).max_stages
    check_level(alpha, family_size or 1, stages, "alpha" if family_size is None else "family_size",
                error=ArgumentError)
    chosen = resolve_regimes(_regime_list(regimes), registry)
    rows = plan_rows(chosen, claim_ids, registry)
    if not rows:
        raise ArgumentError("claims: no (regime, claim) pair to run: the requested claims do not apply to these "
                            "regimes")
    probe_settings = Settings(seed=seed, alpha=alpha, quick=quick)
    # The size estimate, from shapes and settings alone, before any comparison is planned or simulated.
    estimates = _estimates(rows, probe_settings)
    if check_memory:
        refuse_if_too_big(estimates, "this run")
    m = family_size or max(planned_family_size(rows, probe_settings), 1)
    check_level(alpha, m, stages, "alpha", f" with the run's {m:,} deciding comparisons", error=ArgumentError)
    settings = Settings(seed=seed, alpha=alpha, quick=quick, family_size=m)
    return Plan(tuple(rows), tuple(chosen), settings, registry)


def run(regimes=None, *, claims=None, seed: int = 0, alpha: float = 0.01, quick: bool = False,
        plugins: Iterable = (), family_size: int | None = None,
        progress: Callable[[str], None] | None = None) -> "Results":
    """Plan (see :func:`plan`) and run the checks; returns :class:`Results` (nothing is written to disk)."""
    return plan(regimes, claims=claims, seed=seed, alpha=alpha, quick=quick, plugins=plugins,
                family_size=family_size).execute(progress)


def _normalise(document: dict) -> dict:
    """The document exactly as results.json holds it (non-finite numbers as strings), so a run and a
    re-rendered report draw the same bytes."""
    from ..reports._io import dumps
    return json.loads(dumps(document))


class Results(Sequence):
    """The rows of a run, typed, and the results.json document they came from.

    A sequence of :class:`~ssmverify.CheckResult` (``results[0]``, ``len(results)``, iteration); in a
    notebook it displays as a table with verdict colours and the figures.
    """

    def __init__(self, document: dict):
        self._document = document
        self._rows = tuple(CheckResult.from_json(r) for r in document["results"])

    @property
    def rows(self) -> tuple[CheckResult, ...]:
        return self._rows

    def __getitem__(self, index):
        return self._rows[index]

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def counts(self) -> dict[Verdict, int]:
        """How many rows have each verdict."""
        c = collections.Counter(r.verdict for r in self._rows)
        return {v: c.get(v, 0) for v in Verdict}

    @property
    def failed(self) -> bool:
        """Whether some row FAILs (the command's exit status 1)."""
        return any(r.verdict == Verdict.FAIL for r in self._rows)

    @property
    def settings(self) -> dict:
        """seed, α, quick, family size and per-comparison level of the run."""
        d = self._document
        return {k: d[k] for k in ("seed", "alpha", "quick", "family_size", "per_comparison_level")}

    def to_json(self) -> dict:
        """The results.json document (a copy; non-finite numbers are the strings "inf", "-inf", "nan")."""
        return copy.deepcopy(self._document)

    def write(self, out: str | os.PathLike) -> Path:
        """Write every report into the folder ``out`` (results.json, index.html, report.md, junit.xml,
        results.tex, figures/), replacing an earlier run there in one step, as ``ssmverify run --out`` does.
        Returns the folder."""
        from ..reports import render_all
        from ..reports._io import OutputFolder
        folder = OutputFolder(os.fspath(out), option="out", marker="results.json", owned=run_owned,
                              error=ArgumentError)
        folder.check()
        try:
            folder.open()
            render_all(folder.staging, self._document)
            folder.commit()
        finally:
            folder.close()
        return Path(out)

    def _repr_html_(self) -> str:
        from ..reports.notebook import results_html
        return results_html(self._document)

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {v}" for v, n in self.counts.items() if n)
        return f"<Results: {len(self)} rows ({counts}); α = {self._document['alpha']}>"


def load_results(folder: str | os.PathLike) -> Results:
    """The results of an earlier run, read from ``folder/results.json`` and validated against the schema."""
    from ..reports import ResultsError, load_results as _load, validate_results
    path = Path(folder) / "results.json"
    if not path.is_file():
        raise ArgumentError(f"folder: {folder}: no results.json there")
    try:
        document = _load(folder)
    except (ValueError, RecursionError) as exc:
        raise ArgumentError(f"{path}: not valid JSON: {exc}") from None
    try:
        validate_results(document)
    except ResultsError as exc:
        raise ArgumentError(f"{path}: {exc}") from None
    return Results(document)
