"""What a run may use and what it owns: the memory available now (and the refusal of a run whose estimate
does not fit), the smallest per-comparison level, and the files a run writes into its output folder.

Used before anything is simulated, by ``ssmverify run``/``probe``/``calibrate`` and by
:func:`ssmverify.plan` and :meth:`ssmverify.Results.write` alike.  No dependency beyond the standard
library, so the command answers ``--help`` and bad input before JAX is imported.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from .._errors import SsmverifyError

__all__ = ["run_owned", "BASE_MEMORY", "MEMORY_SHARE", "MIN_LEVEL", "ResourceError", "check_level", "duration_text", "memory_limit", "refuse_if_too_big",
           "size_text"]

# Memory of the interpreter, NumPy, SciPy, JAX and matplotlib before any work.
BASE_MEMORY = 400 * 2**20
# Part of the available memory a run may plan to use (the rest: the system, and the estimate's slack).
MEMORY_SHARE = 0.8


# The smallest per-comparison level α_i = α/(m·S) a run accepts: below it 1 − α_i is barely resolved by
# float64 and the tests' quantiles lose their accuracy (below ~1e-16 the confidence rounds to 1).
MIN_LEVEL = 1e-12


def check_level(alpha: float, m: int, stages: int, what: str, context: str = "", error=None) -> float:
    """α/(m·S); refused (``error``, naming ``what``: the option or argument that makes it so) below MIN_LEVEL."""
    level = alpha / (max(m, 1) * stages)
    if not level >= MIN_LEVEL:
        raise (error or ResourceError)(
            f"{what}: the per-comparison level α/(m·S) = {alpha:g}/({m:,}·{stages}) = {level:.3g}{context} is "
            f"below {MIN_LEVEL:g}, the smallest level the tests resolve in float64; use a larger α (or a smaller "
            "family size)")
    return level


class ResourceError(SsmverifyError):
    """A run that cannot fit in the memory it may use, or a bad SSMVERIFY_MAX_MEMORY; nothing was started."""


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def memory_available() -> tuple[float, str]:
    """(bytes, where from): MemAvailable (or free pages), lowered to a cgroup's remaining limit."""
    available, source = math.inf, "unknown"
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    available, source = float(line.split()[1]) * 1024, "MemAvailable in /proc/meminfo"
                    break
    except (OSError, ValueError, IndexError):
        pass
    if not math.isfinite(available):
        try:
            available = float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
            source = "free pages (sysconf)"
        except (ValueError, OSError, AttributeError):
            pass
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as fh:
            limit = fh.read().strip()
        if limit != "max":
            with open("/sys/fs/cgroup/memory.current", encoding="ascii") as fh:
                left = float(limit) - float(fh.read().strip())
            if left < available:
                available, source = left, "the cgroup's memory.max"
    except (OSError, ValueError):
        pass
    return available, source


def parse_bytes(text: str) -> float:
    """A size: a number of bytes, or with a binary suffix K, M, G or T (``4G``, ``500MiB``)."""
    units = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
    text = text.strip().lower().removesuffix("b").removesuffix("i")
    scale = units.get(text[-1:], 1)
    value = float(text[:-1] if scale != 1 else text) * scale
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def memory_limit() -> tuple[float, str]:
    """The memory a run may plan to use: SSMVERIFY_MAX_MEMORY (bytes, or with K/M/G/T), else a share of
    what is available now."""
    given = os.environ.get("SSMVERIFY_MAX_MEMORY")
    if given:
        try:
            value = parse_bytes(given)
        except ValueError:
            raise ResourceError(f"SSMVERIFY_MAX_MEMORY={_clip(given)}: expected a size such as 4G or 500M") from None
        if not value > 0:
            raise ResourceError(f"SSMVERIFY_MAX_MEMORY={_clip(given)}: must be positive")
        return value, "SSMVERIFY_MAX_MEMORY"
    available, source = memory_available()
    return MEMORY_SHARE * available, f"{MEMORY_SHARE:.0%} of the memory available now ({source})"


def size_text(n: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} B"


def duration_text(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "∞"
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    if seconds < 86400 * 3:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds / 86400:.3g} days"


def refuse_if_too_big(estimates: list[tuple[str, float, float]], what: str) -> tuple[float, float]:
    """(peak bytes, seconds) of a run from its parts ``(label, bytes, seconds)``; refuses, naming the estimate
    and the limit, a run whose peak cannot fit in the memory it may use."""
    peak_label, peak, seconds = "", 0.0, 0.0
    for label, mem, sec in estimates:
        seconds += sec
        if mem > peak:
            peak_label, peak = label, mem
    total = BASE_MEMORY + peak
    limit, source = memory_limit()
    if total > limit:
        raise ResourceError(f"{what} needs about {size_text(total)} of memory (estimate; the largest part: {peak_label}), "
                         f"more than the {size_text(limit)} it may use ({source}); reduce the steps, starts, "
                         "paths or model size")
    return total, seconds


_REPORT_FILES = {"results.json", "index.html", "report.md", "junit.xml", "results.tex"}


def run_owned(rel: Path, is_dir: bool) -> bool:
    """What a run writes into its output folder (a new run replaces these; anything else is carried over)."""
    parts = rel.parts
    if len(parts) == 1:
        return parts[0] == "figures" if is_dir else parts[0] in _REPORT_FILES
    return len(parts) == 2 and parts[0] == "figures" and not is_dir and rel.suffix in (".png", ".pdf")
