"""Number and text formatting shared by every renderer, and the one slug rule for file names and ids.

Nothing here reads a row's ``details``: what the reports read from results.json is read in
``_card.py`` (the card model); this module turns values into text. Nothing here knows a claim id
either, so a new claim needs no change in reports/.
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


def path_label(path) -> str:
    """("blahut_arimoto", "points") -> "blahut arimoto › points"."""
    parts = (path,) if isinstance(path, str) else path
    return " › ".join(humanize(p) for p in parts)


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


def hypotheses_cell(row: dict) -> str:
    """"hold", "fail" or "none" for a raw row (the command line's table); the rule is :func:`_card.hypotheses_cell`."""
    from ._card import hypotheses_cell as cell  # _card imports this module
    return cell(row)
