"""Number and verdict formatting shared by every renderer."""

from __future__ import annotations

import math

from ._io import as_float


def num(value, digits: int = 4) -> str:
    x = as_float(value)
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:.{digits}g}"


def interval(ci) -> str:
    if not ci:
        return "—"
    lo, hi = (as_float(v) for v in ci)
    if math.isnan(lo) and math.isnan(hi):
        return "—"
    return f"[{num(lo)}, {num(hi)}]"


def hypotheses_cell(row: dict) -> str:
    hyps = row.get("details", {}).get("hypotheses", [])
    if not hyps:
        return "none"
    return "hold" if row.get("hypotheses_hold") else "fail"


def one_line_reason(row: dict) -> str:
    details = row.get("details", {})
    if details.get("reason"):
        return details["reason"]
    return details.get("regime_description", "")
