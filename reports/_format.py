"""Number and verdict formatting shared by every renderer.

Nothing here knows a claim id: every renderer works from the fields of a row
of results.json, and keys it does not know are shown generically
(``extra_details``), so a new claim needs no change in reports/.
"""

from __future__ import annotations

import hashlib
import json
import math
import re

from ._io import as_float

VERDICTS = ("PASS", "FAIL", "INCONCLUSIVE", "NOT_APPLICABLE")

# What each verdict means, in the words of checks/_verdict.py (shown on every page).
VERDICT_MEANING = {
    "PASS": "every deciding comparison holds on the side of the bound the claim asserts (statistically at "
            "level α, or exactly where the row says exact)",
    "FAIL": "a deciding comparison is violated: its interval lies entirely on the violating side of the bound "
            "(the chance of any false FAIL in the whole run is at most α), or exactly where the row says exact",
    "INCONCLUSIVE": "neither: some interval still straddles the bound after the last sampling stage",
    "NOT_APPLICABLE": "the paper's hypotheses fail in this regime, or the claim's setting does not fit it; "
                      "the measurement is still reported where one was made",
}

# Keys of ``details`` that the renderers show in their own place; any other key is shown generically.
KNOWN_DETAILS = frozenset({
    "claim", "hypotheses", "rests_on", "caveats", "statistic_name", "bound_name", "representative",
    "comparisons", "plots", "statistics", "reproduce", "regime_source", "regime_description", "reason",
})

# Columns of the comparisons table that come first, in this order; other comparison keys follow.
COMPARISON_COLUMNS = ("label", "statistic", "bound", "margin", "ci", "claimed", "decision", "decides", "n")

_RELATION = {"<=": "≤", "<": "<", ">=": "≥", ">": ">", "==": "="}


# Characters that must never reach a terminal or a page as themselves: C0 and C1 controls (escape sequences,
# carriage returns, NUL), line and paragraph separators, the bidirectional overrides that reorder what is
# shown ("Trojan Source"), and lone surrogates (no encoding can write them).
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                        r"\ud800-\udfff]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match) -> str:
    ch = match.group()
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text) -> str:
    """``text`` as one line with every control character shown as its escape (ESC as the four characters
    ``\\x1b``, a newline as ``\\n``); ``None`` is the empty string. Every renderer passes the strings of
    results.json through this before its own escaping, so no name can move a cursor or reorder a line."""
    s = "" if text is None else str(text)
    return _INVISIBLE.sub(_escaped, s) if _INVISIBLE.search(s) else s


def num(value, digits: int = 4) -> str:
    try:
        x = as_float(value)
    except (KeyError, TypeError, ValueError, OverflowError):
        return visible(value)
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x + 0.0:.{digits}g}"  # + 0.0 turns -0.0 into 0


def signed(value, digits: int = 4) -> str:
    """A margin: always with its sign (+0.21, −0.67, 0)."""
    x = as_float(value)
    if math.isnan(x):
        return "—"
    if x == 0:
        return "0"
    text = num(x, digits)
    return text if text.startswith("-") else "+" + text


def interval(ci) -> str:
    if not ci:
        return "—"
    lo, hi = (as_float(v) for v in ci)
    if math.isnan(lo) and math.isnan(hi):
        return "—"
    return f"[{num(lo)}, {num(hi)}]"


def margin(row: dict) -> float:
    """statistic − bound (nan where either is missing)."""
    return as_float(row.get("statistic")) - as_float(row.get("bound"))


def relation(symbol) -> str:
    return _RELATION.get(symbol, str(symbol)) if symbol else ""


def hypotheses_cell(row: dict) -> str:
    hyps = row.get("details", {}).get("hypotheses", [])
    if not hyps:
        return "none"
    return "hold" if row.get("hypotheses_hold") else "fail"


def failing_hypotheses(row: dict) -> list[dict]:
    return [h for h in row.get("details", {}).get("hypotheses", []) if not h.get("holds")]


def representative_comparison(row: dict) -> dict | None:
    """The comparison the row's numbers come from (matched by its label), if it is listed."""
    details = row.get("details", {})
    label = details.get("representative")
    for comp in details.get("comparisons", []) or []:
        if isinstance(comp, dict) and label is not None and comp.get("label") == label:
            return comp
    return None


def claimed_relation(row: dict) -> str:
    """The relation the claim asserts between statistic and bound, e.g. '≤' ('' when unknown)."""
    comp = representative_comparison(row)
    if comp and comp.get("claimed"):
        return relation(comp["claimed"])
    comps = [c for c in row.get("details", {}).get("comparisons", []) or [] if isinstance(c, dict)]
    claimed = {c.get("claimed") for c in comps if c.get("claimed")}
    return relation(claimed.pop()) if len(claimed) == 1 else ""


def verdict_reason(row: dict) -> str:
    """Why a row is not PASS, in one line (for skip and failure messages)."""
    verdict = row.get("verdict")
    details = row.get("details", {})
    stat, bound, ci = num(row.get("statistic")), num(row.get("bound")), interval(row.get("ci"))
    if verdict == "NOT_APPLICABLE":
        if details.get("reason"):
            return details["reason"]
        failing = failing_hypotheses(row)
        if failing:
            return "hypotheses fail: " + "; ".join(f"{h.get('name')} ({h.get('detail')})" for h in failing)
        return "the claim's setting does not fit this regime"
    if verdict == "INCONCLUSIVE":
        text = f"confidence interval {ci} of the statistic {stat} does not separate it from the bound {bound}"
        if details.get("reason"):
            text += f": {details['reason']}"
        return text
    comps = [c for c in details.get("comparisons", []) or [] if isinstance(c, dict) and c.get("decides")]
    alpha = (details.get("statistics") or {}).get("alpha")
    at = f" at α = {alpha}" if alpha is not None else ""
    if verdict == "FAIL":
        rel = claimed_relation(row)
        claim_text = f" (claimed: statistic {rel} bound)" if rel else ""
        rep = representative_comparison(row) or {}
        method = rep.get("method")
        if method == "exact":
            return (f"exact: statistic {stat} vs bound {bound}{claim_text} is violated beyond the numerical "
                    f"tolerance {num(rep.get('tolerance'))}")
        if method == "observation":
            return f"observed: {rep.get('note') or f'statistic {stat} vs bound {bound}'}{claim_text}"
        return (f"statistic {stat} vs bound {bound}{claim_text}; CI {ci} lies on the violating side: "
                f"significant{at} after correction")
    if verdict == "PASS" and comps:
        if all(c.get("method") == "exact" for c in comps):
            return f"holds exactly at the {len(comps)} point(s) computed (closed form; statistic {stat}, bound {bound})"
        detect = [as_float(c.get("detectable_violation")) for c in comps if c.get("method") == "monte-carlo"]
        detect = [d for d in detect if d == d]
        smallest = f"; violations larger than {num(max(detect))} would have been detected (≈50 % power)" if detect else ""
        return f"no violation at the {len(comps)} deciding point(s) tested{at}{smallest}"
    return f"statistic {stat}, bound {bound}, CI {ci}"


def humanize(key: str) -> str:
    return str(key).replace("_", " ")


def value_text(value, limit: int = 8, _depth: int = 0) -> str:
    """Any JSON value as one readable line (numbers to 4 significant digits, long lists shortened)."""
    if _depth > 32:
        return "…"
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) or value in ("inf", "-inf", "nan"):
        return num(value)
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if not value:
            return "—"
        return "; ".join(f"{humanize(k)}: {value_text(v, limit, _depth + 1)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        if not value:
            return "none"
        items = [value_text(v, limit, _depth + 1) for v in value]
        if len(items) > limit:
            items = items[: limit - 2] + ["…", items[-1]]
            return "[" + ", ".join(items) + f"] ({len(value)} values)"
        return "[" + ", ".join(items) + "]"
    return str(value)


def table_of_dicts(rows: list[dict], first: tuple[str, ...] = ()) -> tuple[list[str], list[list]]:
    """Columns (the union of keys, ``first`` leading, then in order of first appearance) and raw cell values."""
    columns = [c for c in first if any(c in r for r in rows)]
    for r in rows:
        for k in r:
            if k not in columns:
                columns.append(k)
    return columns, [[r.get(c) for c in columns] for r in rows]


def extra_details(details: dict, max_depth: int = 3):
    """The claim-specific keys of ``details``, flattened for display.

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


def path_label(path) -> str:
    """("blahut_arimoto", "points") -> "blahut arimoto › points"."""
    parts = (path,) if isinstance(path, str) else path
    return " › ".join(humanize(p) for p in parts)


def comparison_cells(comp: dict, column: str) -> str:
    """One cell of the comparisons table as text."""
    if column == "margin":
        if "statistic" in comp and "bound" in comp:
            return signed(as_float(comp["statistic"]) - as_float(comp["bound"]))
        return "—"
    value = comp.get(column)
    if column == "ci" and isinstance(value, (list, tuple)) and len(value) == 2:
        return interval(value)
    if column == "claimed":
        return f"statistic {relation(value)} bound" if value else "—"
    return value_text(value)


def comparison_table(row: dict) -> tuple[list[str], list[dict]]:
    """(columns, comparisons) for the per-card table of every comparison."""
    comps = [c for c in row.get("details", {}).get("comparisons", []) or [] if isinstance(c, dict)]
    if not comps:
        return [], []
    columns, _ = table_of_dicts(comps, COMPARISON_COLUMNS)
    if "statistic" in columns and "bound" in columns and "margin" not in columns:
        columns.insert(columns.index("bound") + 1, "margin")
    return columns, comps


_SLUG_LIMIT = 60  # characters of a name kept in a file name or an id


def slug(text) -> str:
    """The one rule for names in file names and HTML ids: ASCII letters, digits, ``-`` and ``_`` kept, anything
    else a ``-``, at most 60 characters (so any name gives a portable, short file name); ``x`` if nothing is left.
    Different names can share a slug: :func:`figure_stem` and :func:`anchors` add what makes theirs unique."""
    s = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_" else "-" for ch in str(text)).strip("-")
    return s[:_SLUG_LIMIT].strip("-") or "x"


def figure_stem(regime, claim) -> str:
    """The file name (without ``.png``) of a row's figure: the slugs of regime and claim, then 8 hex digits of a
    hash of the exact (regime, claim), so names that look alike (``a/b`` and ``a-b``) never share a file."""
    exact = json.dumps([str(regime), str(claim)], ensure_ascii=True)
    return f"{slug(regime)}--{slug(claim)}-{hashlib.sha256(exact.encode('ascii')).hexdigest()[:8]}"


def anchors(results: list[dict]) -> list[str]:
    """One unique HTML id per row (``card-REGIME--CLAIM``, then ``-2``, ``-3``... where slugs coincide),
    the same in index.html and report.md."""
    used: set[str] = set()
    next_k: dict[str, int] = {}
    out = []
    for row in results:
        base = f"card-{slug(row.get('regime'))}--{slug(row.get('claim'))}"
        anchor, k = base, next_k.get(base, 1)
        while anchor in used:
            k += 1
            anchor = f"{base}-{k}"
        next_k[base] = k
        used.add(anchor)
        out.append(anchor)
    return out


def ordered_unique(values) -> list:
    return list(dict.fromkeys(values))


def claim_index(results: list[dict]) -> dict[str, dict]:
    """Claim id -> its ``details.claim`` (first seen), to show what a corrected claim corrects."""
    out: dict[str, dict] = {}
    for row in results:
        claim = row.get("details", {}).get("claim") or {}
        out.setdefault(row.get("claim"), claim)
    return out


def grid(results: list[dict]) -> tuple[list[str], list[str], dict[tuple[str, str], int]]:
    """Claims (rows) × regimes (columns) in order of first appearance, and (claim, regime) -> row index."""
    claims = ordered_unique(r.get("claim") for r in results)
    regimes = ordered_unique(r.get("regime") for r in results)
    cells: dict[tuple[str, str], int] = {}
    for i, r in enumerate(results):
        cells.setdefault((r.get("claim"), r.get("regime")), i)
    return claims, regimes, cells


def counts(results: list[dict]) -> dict[str, int]:
    out = {v: 0 for v in VERDICTS}
    for r in results:
        out[r.get("verdict")] = out.get(r.get("verdict"), 0) + 1
    return out


def environment_rows(document: dict) -> list[tuple[str, object]]:
    """(label, value) rows of the run's settings and environment, for the foot of every report."""
    env = document.get("environment") or {}
    rows = [
        ("ssmverify", document.get("version")),
        ("seed", document.get("seed")),
        ("α (family-wise)", document.get("alpha")),
        ("deciding comparisons m", document.get("family_size")),
        ("per-comparison level", num(document.get("per_comparison_level"), 6)),
        ("quick mode", "yes" if document.get("quick") else "no"),
        ("python", env.get("python")),
        ("platform", env.get("platform")),
        ("precision", env.get("precision")),
        ("git commit", env.get("git_commit") or "not recorded (not run from a git checkout)"),
    ]
    rows += [(f"package {k}", v if v is not None else "not installed") for k, v in (env.get("packages") or {}).items()]
    return rows
