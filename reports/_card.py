"""The card model: everything the reports read from results.json, read here and only here.

A results.json document (a dict, validated against ``results.schema.json``) becomes one :class:`Report`:
what the header and footer show (:class:`RunInfo`), the claims × regimes summary (:class:`SummaryRow`),
and one :class:`Card` per row with everything its section of index.html / report.md / the notebook
shows. The renderers (``html.py``, ``markdown.py``, ``notebook.py``, ``junit.py``, ``latex.py``) format
these fields and read nothing else; this module is the contract of what the reports read from a row and
its ``details``, and the only place that indexes into them.

Values are kept as results.json holds them: a *number* (:data:`Number`) may be a float, an int or one of
the strings ``"inf"``, ``"-inf"``, ``"nan"`` (JSON has no non-finite numbers), and is turned into text only
by ``_format.num``/``signed``/``interval`` (through ``_io.as_float``: NaN shows as "—", never as 0). A
*text* is any string of the file, markup and control characters included: every renderer escapes it
for its own format. ``None`` means "not in the file". The schema guarantees the types named here; the
reading is lenient (``.get`` with defaults) so a hand-made document with keys missing still renders.

What each key of ``details`` means (see also ``reports/results.schema.json``):

=====================  ==================================================================================
``claim``              the claim's metadata: title, section, statement (Unicode), latex, summary, kind
                       (paper | corrected | control), corrects (an id), corrected_by (id, statement, latex)
``hypotheses``         the paper's hypotheses evaluated on the regime: name, holds, detail (with numbers)
``caveats``            texts that qualify the verdict
``statistic_name``     what the statistic is, in words (``bound_name`` likewise for the bound)
``representative``     the label of the comparison whose numbers are the row's statistic, bound and CI
``rests_on``           what the verdict rests on, in words (e.g. the coupling most favourable to the claim)
``comparisons``        every comparison: label, statistic, bound, ci, claimed, decision, decides, n,
                       method, tolerance, detectable_violation, note, and claim-specific keys
``statistics``         the multiple-testing settings: alpha, family_size, max_stages, level, confidence
``plots``              figure specifications (``reports/figures.py``), one per entry of the row's ``figures``
``reproduce``          the command line that reproduces the row
``regime_source``      where the regime came from (``builtin:NAME``, a file)
``regime_description`` the regime in words
``reason``             why the claim does not apply (NOT_APPLICABLE), or what kept it open (INCONCLUSIVE)
anything else          claim-specific measurements, shown generically (:class:`ExtraScalar`, :class:`ExtraTable`)
=====================  ==================================================================================
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Union

from . import _format as f
from ._io import as_float

__all__ = [
    "Number", "Report", "RunInfo", "SummaryRow", "Card", "ClaimRef", "HypothesisLine", "Statistics",
    "ComparisonLine", "FigureLine", "ExtraScalar", "ExtraTable", "TableLine",
    "KNOWN_DETAILS", "build_report", "build_cards", "card_of_row", "extra_details", "hypotheses_cell",
]

Number = Union[float, int, str, None]
"""A number as results.json holds it: float or int, or "inf", "-inf", "nan"; ``None`` where absent."""

# Keys of ``details`` that have their own field on a Card; every other key is shown generically.
KNOWN_DETAILS = frozenset({
    "claim", "hypotheses", "rests_on", "caveats", "statistic_name", "bound_name", "representative",
    "comparisons", "plots", "statistics", "reproduce", "regime_source", "regime_description", "reason",
})

# Columns of the comparisons table that come first, in this order; other comparison keys follow.
COMPARISON_COLUMNS = ("label", "statistic", "bound", "margin", "ci", "claimed", "decision", "decides", "n")

FLAGGED = ("FAIL", "INCONCLUSIVE")  # the verdicts listed under "What did not pass"


# --- the model ------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class HypothesisLine:
    """One hypothesis of the claim, evaluated on the regime (``details.hypotheses[i]``)."""

    name: str | None     #: the hypothesis, e.g. "ρ·L_G < 1"
    holds: bool          #: whether it holds in this regime
    detail: str | None   #: the numbers behind it, e.g. "ρ·L_G = 0.5"


@dataclasses.dataclass(frozen=True)
class ClaimRef:
    """Another claim a card refers to: one that corrects this one, or the one this one corrects."""

    claim_id: str | None   #: its id
    anchor: str | None     #: the id of its card in the same regime (else in any regime); None: not in this run
    statement: str | None  #: its statement (Unicode), where known
    latex: str | None      #: its statement in LaTeX, where known


@dataclasses.dataclass(frozen=True)
class Statistics:
    """The multiple-testing settings the row was decided at (``details.statistics``); None: not stated."""

    alpha: Number = None        #: the family-wise error rate α
    family_size: int | None = None  #: m, the deciding comparisons of the whole run
    max_stages: int | None = None   #: S, the most sampling stages a check may use
    level: Number = None        #: the per-comparison level α/(m·S)
    confidence: Number = None   #: the confidence of each reported interval


@dataclasses.dataclass(frozen=True)
class ComparisonLine:
    """One comparison of the row (``details.comparisons[i]``), with the cells of the comparisons table."""

    label: str | None            #: what is compared, e.g. "coupling A, t=1"
    statistic: Number            #: the measured statistic
    bound: Number                #: the claim's bound
    ci: Sequence[Number] | None  #: its confidence interval [lo, hi]
    claimed: str | None          #: the relation the claim asserts: "<=", "<", ">=", ">"
    decision: str | None         #: "holds", "violated" or "undecided"
    decides: bool                #: part of the verdict (False: context only); a comparison that does not say decides
    method: str | None           #: "monte-carlo", "exact" or "observation"
    tolerance: Number            #: the numerical tolerance of an exact comparison
    detectable_violation: Number  #: the excess over the bound detected with about 50 % power (monte-carlo)
    note: str | None             #: a remark, e.g. what an observation saw
    representative: bool         #: whether this is the comparison the card's numbers come from
    cells: tuple[str, ...]       #: one plain text per column of :attr:`Card.comparison_columns`


@dataclasses.dataclass(frozen=True)
class FigureLine:
    """One figure file of the row (``figures[i]``) and the spec it is drawn from (``details.plots[i]``)."""

    path: str                      #: ``figures/NAME.png``, relative to the results folder
    title: Any                     #: the spec's title, else the path (a caption and alt text)
    spec: Mapping | None           #: the figure spec; None: listed without one (an older results.json)

    @property
    def pdf(self) -> str | None:
        """The vector version beside the PNG (``figures/NAME.pdf``); None when the path is not a .png."""
        return self.path[:-4] + ".pdf" if self.path.endswith(".png") else None


@dataclasses.dataclass(frozen=True)
class ExtraScalar:
    """A claim-specific value of ``details`` (a key no field of the card shows), as one line."""

    path: tuple[str, ...]  #: the keys leading to it, e.g. ("empirical_w2", "samples_per_law")
    text: str              #: the value as one line of plain text (``_format.value_text``)

    @property
    def label(self) -> str:
        return f.path_label(self.path)


@dataclasses.dataclass(frozen=True)
class ExtraTable:
    """A claim-specific list of objects in ``details``, as a table."""

    path: tuple[str, ...]             #: the keys leading to it
    columns: tuple[str, ...]          #: the union of the objects' keys, in order of first appearance
    rows: tuple[tuple[str, ...], ...]  #: one plain text per column, per object

    @property
    def label(self) -> str:
        return f.path_label(self.path)


@dataclasses.dataclass(frozen=True)
class TableLine:
    """One line of the plain verdict table (the notebook's, the command line's), every cell plain text."""

    regime: str
    claim: str
    hypotheses: str  #: "hold", "fail" or "none" (see :func:`hypotheses_cell`)
    statistic: str
    bound: str
    ci: str
    method: str      #: "monte-carlo", "exact", "observation", or "—" where nothing was compared
    verdict: str


@dataclasses.dataclass(frozen=True)
class Card:
    """One row of results.json (one claim in one regime) as every report shows it."""

    index: int                    #: position of the row in ``results``
    anchor: str                   #: its unique HTML id (``_format.anchors``), the same in index.html and report.md
    regime: str                   #: the regime's name
    claim: str                    #: the claim's id
    verdict: str                  #: PASS, FAIL, INCONCLUSIVE or NOT_APPLICABLE
    hypotheses_hold: bool         #: whether every hypothesis of the paper holds in the regime
    statistic: Number             #: the representative comparison's statistic
    bound: Number                 #: ... its bound
    ci: Sequence[Number] | None   #: ... its confidence interval [lo, hi]
    n_samples: int | None         #: the sample size (0: nothing simulated)
    method: str | None            #: how the representative comparison was decided (row ``method``; in an older
                                  #: file without it, the representative comparison's); None: nothing compared
    margin: float                 #: statistic − bound (NaN where either is missing or NaN; never 0 for NaN)
    measured: bool                #: whether anything was measured (samples drawn, or a statistic that is not NaN)
    claimed_relation: str         #: the relation the claim asserts, statistic ≤ bound: "≤" ('' when unknown)
    why: str                      #: the verdict explained in one line of plain text
    # details.claim
    claim_title: str | None       #: the claim's title
    section: str | None           #: where the paper states it, e.g. "§3.2"
    kind: str | None              #: "paper", "corrected" or "control"
    statement: str | None         #: the statement, in Unicode
    latex: str | None             #: the statement, in LaTeX
    summary: str | None           #: what the claim says, in words
    corrected_by: tuple[ClaimRef, ...]  #: the claims that correct this one
    corrects: ClaimRef | None     #: the claim this one corrects
    # the rest of details
    regime_source: str | None     #: where the regime came from
    regime_description: str | None  #: the regime in words
    reason: str | None            #: why not applicable / what kept the verdict open
    caveats: tuple[str, ...]      #: what qualifies the verdict
    statistic_name: str | None    #: the statistic, in words
    bound_name: str | None        #: the bound, in words
    statistics: Statistics        #: the multiple-testing settings
    representative: str | None    #: the label of the comparison shown
    rests_on: str | None          #: what the verdict rests on, in words
    hypotheses: tuple[HypothesisLine, ...]
    plots: tuple[Mapping, ...]    #: every figure spec of ``details.plots`` (drawn in-process by the notebook)
    figures: tuple[FigureLine, ...]  #: the figure files, each with its spec where there is one
    extras: tuple[ExtraScalar, ...]      #: claim-specific values, one line each
    extra_tables: tuple[ExtraTable, ...]  #: claim-specific lists of objects
    comparison_columns: tuple[str, ...]   #: columns of the comparisons table
    comparisons: tuple[ComparisonLine, ...]
    reproduce: str | None         #: the command line that reproduces the row

    @property
    def heading(self):
        """The claim's title, else its id."""
        return self.claim_title or self.claim

    @property
    def flagged(self) -> bool:
        """Listed under "What did not pass" (FAIL, INCONCLUSIVE)."""
        return self.verdict in FLAGGED

    @property
    def for_information_only(self) -> bool:
        """NOT_APPLICABLE with numbers: they are shown, but decide nothing."""
        return self.verdict == "NOT_APPLICABLE" and bool(self.n_samples or self.margin == self.margin)

    @property
    def hypotheses_summary(self) -> str:
        """"hold", "fail" (not all hold), or "none" (the claim has no hypotheses to check)."""
        if not self.hypotheses:
            return "none"
        return "hold" if self.hypotheses_hold else "fail"

    @property
    def deciding(self) -> int:
        """How many comparisons decide the verdict."""
        return sum(1 for c in self.comparisons if c.decides)

    def table_line(self) -> TableLine:
        """The card as one line of the plain verdict table."""
        return TableLine(regime=f.visible(self.regime), claim=f.visible(self.claim),
                         hypotheses=self.hypotheses_summary, statistic=f.num(self.statistic),
                         bound=f.num(self.bound), ci=f.interval(self.ci),
                         method=f.visible(self.method) if self.method else "—", verdict=f.visible(self.verdict))


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """The run's settings (the top-level keys of the document), for the header and footer."""

    seed: int | None
    alpha: Number                   #: family-wise error rate
    family_size: int | None         #: deciding comparisons m
    per_comparison_level: Number    #: α/(m·S)
    quick: bool | None              #: quick mode; None: not recorded
    version: str | None             #: the ssmverify that wrote the file
    git_commit: str | None          #: ``environment.git_commit``
    environment: tuple[tuple[str, Any], ...]  #: (label, value) lines of settings and environment


@dataclasses.dataclass(frozen=True)
class SummaryRow:
    """One claim's line of the claims × regimes summary."""

    claim: str
    first: Card                       #: its first card (title and section of the claim)
    cells: tuple[Card | None, ...]    #: its card in each of :attr:`Report.regimes`; None: not run there


@dataclasses.dataclass(frozen=True)
class Report:
    """A whole document: run settings, summary, and one card per row."""

    run: RunInfo
    cards: tuple[Card, ...]
    regimes: tuple[str, ...]           #: the summary's columns, in order of first appearance
    summary: tuple[SummaryRow, ...]    #: the summary's lines, one per claim in order of first appearance
    counts: tuple[tuple[str, int], ...]  #: (verdict, rows): the four verdicts, then any other in the file

    @property
    def flagged(self) -> tuple[Card, ...]:
        return tuple(c for c in self.cards if c.flagged)


# --- reading a row --------------------------------------------------------------------------------------------


def _details(row: Mapping) -> Mapping:
    return row.get("details") or {}


def _claim_meta(details: Mapping) -> Mapping:
    return details.get("claim") or {}


def hypotheses_cell(row: Mapping) -> str:
    """"hold", "fail" or "none" for a raw row (the command line's table)."""
    if not _details(row).get("hypotheses"):
        return "none"
    return "hold" if row.get("hypotheses_hold") else "fail"


def extra_details(details: Mapping, max_depth: int = 3):
    """The claim-specific keys of ``details`` (those not in :data:`KNOWN_DETAILS`), flattened for display.

    Returns (scalars, tables): scalars as (path, value) for one key/value line each, tables as
    (path, rows) for every list of dicts. A nested dict is opened into its keys (path grows, up to
    ``max_depth`` levels), so ``{"source": {"t": 21, "cov": [[...]]}}`` reads as "source › t: 21".
    """
    scalars: list[tuple[tuple[str, ...], object]] = []
    tables: list[tuple[tuple[str, ...], list[dict]]] = []

    def visit(path: tuple[str, ...], value) -> None:
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            tables.append((path, value))
        elif isinstance(value, dict) and value and len(path) < max_depth:
            for k, v in value.items():
                visit(path + (str(k),), v)
        else:
            scalars.append((path, value))

    for key, value in details.items():
        if key not in KNOWN_DETAILS:
            visit((str(key),), value)
    return scalars, tables


def _comparison_cell(comp: Mapping, column: str) -> str:
    """One cell of the comparisons table as plain text."""
    if column == "margin":
        if "statistic" in comp and "bound" in comp:
            return f.signed(as_float(comp["statistic"]) - as_float(comp["bound"]))
        return "—"
    if column == "decides":
        return "deciding" if comp.get("decides", True) else "context only"
    value = comp.get(column)
    if column == "ci" and isinstance(value, (list, tuple)) and len(value) == 2:
        return f.interval(value)
    if column == "claimed":
        return f"statistic {f.relation(value)} bound" if value else "—"
    return f.value_text(value)


def _comparisons(details: Mapping) -> tuple[tuple[str, ...], tuple[ComparisonLine, ...]]:
    comps = [c for c in details.get("comparisons") or [] if isinstance(c, dict)]
    if not comps:
        return (), ()
    columns, _ = f.table_of_dicts(comps, COMPARISON_COLUMNS)
    if "statistic" in columns and "bound" in columns and "margin" not in columns:
        columns.insert(columns.index("bound") + 1, "margin")
    rep = details.get("representative")
    lines = tuple(ComparisonLine(
        label=c.get("label"), statistic=c.get("statistic"), bound=c.get("bound"), ci=c.get("ci"),
        claimed=c.get("claimed"), decision=c.get("decision"), decides=bool(c.get("decides", True)),
        method=c.get("method"), tolerance=c.get("tolerance"), detectable_violation=c.get("detectable_violation"),
        note=c.get("note"), representative=rep is not None and c.get("label") == rep,
        cells=tuple(_comparison_cell(c, col) for col in columns)) for c in comps)
    return tuple(columns), lines


def _claimed_relation(comparisons: tuple[ComparisonLine, ...]) -> str:
    """The relation the claim asserts, from the representative comparison, else from all when they agree."""
    rep = next((c for c in comparisons if c.representative), None)
    if rep is not None and rep.claimed:
        return f.relation(rep.claimed)
    claimed = {c.claimed for c in comparisons if c.claimed}
    return f.relation(claimed.pop()) if len(claimed) == 1 else ""


def _why(verdict, statistic, bound, ci, reason, hypotheses, comparisons, statistics: Statistics,
         relation: str) -> str:
    """Why a row has its verdict, in one line (also the skip and failure messages of junit.xml)."""
    stat, bnd, interval = f.num(statistic), f.num(bound), f.interval(ci)
    if verdict == "NOT_APPLICABLE":
        if reason:
            return str(reason)
        failing = [h for h in hypotheses if not h.holds]
        if failing:
            return "hypotheses fail: " + "; ".join(f"{h.name} ({h.detail})" for h in failing)
        return "the claim's setting does not fit this regime"
    if verdict == "INCONCLUSIVE":
        text = f"confidence interval {interval} of the statistic {stat} does not separate it from the bound {bnd}"
        if reason:
            text += f": {reason}"
        return text
    deciding = [c for c in comparisons if c.decides]
    at = f" at α = {statistics.alpha}" if statistics.alpha is not None else ""
    if verdict == "FAIL":
        claim_text = f" (claimed: statistic {relation} bound)" if relation else ""
        rep = next((c for c in comparisons if c.representative), None)
        method = rep.method if rep is not None else None
        if method == "exact":
            return (f"exact: statistic {stat} vs bound {bnd}{claim_text} is violated beyond the numerical "
                    f"tolerance {f.num(rep.tolerance)}")
        if method == "observation":
            return f"observed: {rep.note or f'statistic {stat} vs bound {bnd}'}{claim_text}"
        return (f"statistic {stat} vs bound {bnd}{claim_text}; CI {interval} lies on the violating side: "
                f"significant{at} after correction")
    if verdict == "PASS" and deciding:
        if all(c.method == "exact" for c in deciding):
            return (f"holds exactly at the {len(deciding)} point(s) computed (closed form; statistic {stat}, "
                    f"bound {bnd})")
        detect = [as_float(c.detectable_violation) for c in deciding if c.method == "monte-carlo"]
        detect = [d for d in detect if d == d]
        smallest = (f"; violations larger than {f.num(max(detect))} would have been detected (≈50 % power)"
                    if detect else "")
        return f"no violation at the {len(deciding)} deciding point(s) tested{at}{smallest}"
    return f"statistic {stat}, bound {bnd}, CI {interval}"


def _figures(row: Mapping, specs: list) -> tuple[FigureLine, ...]:
    out = []
    for k, path in enumerate(row.get("figures") or []):
        path = str(path)
        spec = specs[k] if k < len(specs) else None
        title = (spec.get("title") if isinstance(spec, dict) else None) or path
        out.append(FigureLine(path=path, title=title, spec=spec))
    return tuple(out)


def _link(claim_id, regime, rows: Sequence[Mapping], anchors: Sequence[str]) -> str | None:
    """The card of ``claim_id`` in the same regime, else in any regime (its anchor), or None."""
    target = None
    for i, r in enumerate(rows):
        if r.get("claim") == claim_id:
            if r.get("regime") == regime:
                return anchors[i]
            target = target or anchors[i]
    return target


def _card(i: int, row: Mapping, anchor: str, rows: Sequence[Mapping], anchors: Sequence[str],
          by_claim: Mapping) -> Card:
    d = _details(row)
    meta = _claim_meta(d)
    regime = row.get("regime")
    stats = d.get("statistics") or {}
    statistics = Statistics(alpha=stats.get("alpha"), family_size=stats.get("family_size"),
                            max_stages=stats.get("max_stages"), level=stats.get("level"),
                            confidence=stats.get("confidence"))
    hypotheses = tuple(HypothesisLine(name=h.get("name"), holds=bool(h.get("holds")), detail=h.get("detail"))
                       for h in d.get("hypotheses") or [])
    columns, comparisons = _comparisons(d)
    relation = _claimed_relation(comparisons)
    statistic, bound, ci = row.get("statistic"), row.get("bound"), row.get("ci")
    ci = tuple(ci) if isinstance(ci, list) else ci
    reason = d.get("reason")
    verdict = row.get("verdict")
    margin = f.margin(row)
    value = as_float(statistic)
    n_samples = row.get("n_samples")
    method = row["method"] if "method" in row else next((c.method for c in comparisons if c.representative), None)
    corrected_by = tuple(
        ClaimRef(claim_id=c.get("id"), anchor=_link(c.get("id"), regime, rows, anchors),
                 statement=c.get("statement"), latex=c.get("latex"))
        for c in meta.get("corrected_by") or [])
    corrects = None
    if meta.get("corrects"):
        original = by_claim.get(meta["corrects"]) or {}
        corrects = ClaimRef(claim_id=meta["corrects"], anchor=_link(meta["corrects"], regime, rows, anchors),
                            statement=original.get("statement"), latex=original.get("latex"))
    scalars, tables = extra_details(d)
    extra_tables = []
    for path, table in tables:
        cols, cells = f.table_of_dicts(table)
        extra_tables.append(ExtraTable(path=path, columns=tuple(cols),
                                       rows=tuple(tuple(f.value_text(v) for v in r) for r in cells)))
    specs = list(d.get("plots") or [])
    return Card(
        index=i, anchor=anchor, regime=regime, claim=row.get("claim"), verdict=verdict,
        hypotheses_hold=bool(row.get("hypotheses_hold")), statistic=statistic, bound=bound, ci=ci, n_samples=n_samples,
        method=method, margin=margin, measured=bool(n_samples or value == value), claimed_relation=relation,
        why=_why(verdict, statistic, bound, ci, reason, hypotheses, comparisons, statistics, relation),
        claim_title=meta.get("title"), section=meta.get("section"), kind=meta.get("kind"),
        statement=meta.get("statement"), latex=meta.get("latex"), summary=meta.get("summary"),
        corrected_by=corrected_by, corrects=corrects,
        regime_source=d.get("regime_source"), regime_description=d.get("regime_description"), reason=reason,
        caveats=tuple(d.get("caveats") or ()), statistic_name=d.get("statistic_name"),
        bound_name=d.get("bound_name"), statistics=statistics, representative=d.get("representative"),
        rests_on=d.get("rests_on"), hypotheses=hypotheses, plots=tuple(specs), figures=_figures(row, specs),
        extras=tuple(ExtraScalar(path=k, text=f.value_text(v)) for k, v in scalars),
        extra_tables=tuple(extra_tables), comparison_columns=columns, comparisons=comparisons,
        reproduce=d.get("reproduce"))


def build_cards(rows: Sequence[Mapping]) -> tuple[Card, ...]:
    """One card per row, in order; links between cards (corrections) resolved within ``rows``."""
    anchors = f.anchors(rows)
    by_claim: dict = {}
    for row in rows:  # claim id -> its details.claim, first seen: what a corrected claim corrects
        by_claim.setdefault(row.get("claim"), _claim_meta(_details(row)))
    return tuple(_card(i, row, anchors[i], rows, anchors, by_claim) for i, row in enumerate(rows))


def card_of_row(row: Mapping) -> Card:
    """The card of a single row (links only to itself)."""
    return build_cards([row])[0]


def _environment(document: Mapping) -> tuple[tuple[str, Any], ...]:
    env = document.get("environment") or {}
    rows = [
        ("ssmverify", document.get("version")),
        ("seed", document.get("seed")),
        ("α (family-wise)", document.get("alpha")),
        ("deciding comparisons m", document.get("family_size")),
        ("per-comparison level", f.num(document.get("per_comparison_level"), 6)),
        ("quick mode", "yes" if document.get("quick") else "no"),
        ("python", env.get("python")),
        ("platform", env.get("platform")),
        ("precision", env.get("precision")),
        ("git commit", env.get("git_commit") or "not recorded (not run from a git checkout)"),
    ]
    rows += [(f"package {k}", v if v is not None else "not installed") for k, v in (env.get("packages") or {}).items()]
    return tuple(rows)


_REUSE: list = []   # (document, Report) while a caller renders one document many times (see ``reusing``)


@contextlib.contextmanager
def reusing(document: Mapping):
    """Within the block, :func:`build_report` of this very document (the same object, not modified meanwhile)
    is built once and shared by every renderer: ``render_all`` renders one document into four formats."""
    _REUSE.append((document, None))
    try:
        yield
    finally:
        _REUSE.pop()


def build_report(document: Mapping) -> Report:
    """The whole document as the reports show it."""
    if _REUSE and _REUSE[-1][0] is document:
        if _REUSE[-1][1] is None:
            _REUSE[-1] = (document, _build_report(document))
        return _REUSE[-1][1]
    return _build_report(document)


def _build_report(document: Mapping) -> Report:
    cards = build_cards(document.get("results", []))
    claims = f.ordered_unique(c.claim for c in cards)
    regimes = tuple(f.ordered_unique(c.regime for c in cards))
    cells: dict = {}
    for c in cards:
        cells.setdefault((c.claim, c.regime), c)
    summary = tuple(SummaryRow(claim=claim, first=next(c for c in cards if c.claim == claim),
                               cells=tuple(cells.get((claim, regime)) for regime in regimes))
                    for claim in claims)
    counts = {v: 0 for v in f.VERDICTS}
    for c in cards:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
    env = document.get("environment") or {}
    run = RunInfo(seed=document.get("seed"), alpha=document.get("alpha"), family_size=document.get("family_size"),
                  per_comparison_level=document.get("per_comparison_level"), quick=document.get("quick"),
                  version=document.get("version"), git_commit=env.get("git_commit"),
                  environment=_environment(document))
    return Report(run=run, cards=cards, regimes=regimes, summary=summary, counts=tuple(counts.items()))
