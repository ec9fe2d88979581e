"""Render the declarative figure specs that checks put in results.json.

A spec is ``{"title", "panels": [panel, ...]}`` with each panel
``{"title"?, "xlabel", "ylabel", "xscale"?, "yscale"?, "series": [...], "hlines": [...], "note"?}``,
a series ``{"label", "x", "y", "lo"?, "hi"?, "yerr_lo"?, "yerr_hi"?, "style", "marker"?, "color"?}``
(style: solid | dashed | dotted | points | step), an hline ``{"y", "label"}`` (a bound: drawn as a thick
black/grey reference line, named in the legend) and a vline ``{"x", "label"?}``.
Checks describe *what* to plot; this module alone decides how it looks, so
a new claim's figures need no change here. How it looks, for every figure:

* series whose labels share the text after the first ", " ("measured, X" and "corrected bound, X")
  share a colour and differ by line style, so a measurement and its bound read as a pair;
* ``lo``/``hi`` are drawn as a shaded band (non-finite ends are left out);
* on a linear axis, a few points far outside the bulk (e.g. one huge ratio at t = 1) no longer
  squash the rest: the axis keeps the bulk and the reference lines, and the points off it are
  drawn as triangles at its edge and counted in a note under the axes;
* non-finite values (±inf from an overflow, NaN), and values whose axis ticks would overflow in
  matplotlib (beyond ±1e300 on a linear axis, above 1e250 on a log axis), are not drawn and are
  counted in a note under the axes; results.json keeps them;
* a panel with more than four legend entries gets its legend beside the axes, not over the data;
* long labels are wrapped; PNG and PDF carry no timestamps, so re-rendering gives the same bytes
  (:func:`fingerprint` names everything besides the spec that decides them, for the figure cache of
  ``reports.render_all``).

Every text of a spec is data: it is drawn as plain text (matplotlib's math text is off for it, so
``$`` is a dollar sign), control characters are shown as escapes (``\\x1b``), and very long texts
are shortened. A series whose arrays disagree in length is left out and counted in the note; an
unknown marker or colour falls back to the default.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import math
import platform
import sys
import textwrap
import warnings
import zlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from ._format import visible  # noqa: E402
from ._io import as_float  # noqa: E402

STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 8,
    "legend.framealpha": 0.85,
    "axes.prop_cycle": matplotlib.cycler(color=[
        "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f",
    ]),
}
_LINESTYLES = {"solid": "-", "dashed": "--", "dotted": ":", "step": "-"}
_REFERENCE_COLOURS = ["#000000", "#555555", "#999999"]
# Markers a spec may name (one character each, so also a valid errorbar format); anything else draws "o".
MARKERS = (".", "o", "v", "^", "<", ">", "s", "p", "*", "h", "H", "+", "x", "X", "D", "d", "|", "_", "P", "8")
_TEXT_LIMIT = 500   # characters of one text from a spec (title, label, note) that are drawn
MAX_PANELS = 12     # panels drawn side by side (the figure widens with each)


def _text(value, limit: int = _TEXT_LIMIT) -> str:
    """A text from a spec as it is drawn: control characters escaped, shortened to ``limit`` characters."""
    s = visible(value)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _label(value) -> str | None:
    """A legend label (``None``: no legend entry)."""
    return None if value is None or value == "" else _text(value, 120)


@contextlib.contextmanager
def _quiet_glyphs():
    """No warning on stderr for what the data holds: a character the font lacks is drawn as a box, and a log
    axis with nothing positive on it stays empty (the note under the axes counts what is not drawn)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        warnings.filterwarnings("ignore", message=r"Data has no positive values", category=UserWarning)
        yield


def _plain(*texts) -> None:
    """Turn math text off for matplotlib Text objects drawn from data: ``$`` is a dollar sign."""
    for t in texts:
        if t is not None:
            t.set_parse_math(False)


def _arr(values) -> np.ndarray:
    return np.array([as_float(v) for v in values], dtype=float)


def _positive_only(y: np.ndarray, log: bool) -> np.ndarray:
    return np.where(y > 0, y, np.nan) if log else y


# matplotlib's limit and tick arithmetic overflows for values near the float64 maximum: beyond these
# magnitudes (linear axis) or above this value (log axis, whose autoscale margins multiply) nothing is drawn.
_LINEAR_MAX = 1e300
_LOG_MAX = 1e250


def _too_large(values: np.ndarray, log: bool) -> np.ndarray:
    """Finite values matplotlib cannot place on this axis."""
    return np.isfinite(values) & ((values > _LOG_MAX) if log else (np.abs(values) > _LINEAR_MAX))


def _drawable(values: np.ndarray, log: bool = False) -> np.ndarray:
    """The values with ±inf and those too large for the axis replaced by NaN: a gap in the drawing
    (results.json keeps the numbers)."""
    return np.where(np.isinf(values) | _too_large(values, log), np.nan, values)


def _undrawn_note(panel: dict) -> str | None:
    """A note counting the values that are not drawn (±inf, NaN, beyond the linear range); None if none."""
    inf = nan = huge = 0
    for s in panel.get("series", []):
        for key in ("x", "y"):
            log = panel.get(f"{key}scale") == "log"
            v = _arr(s.get(key, []))
            inf += int(np.isinf(v).sum())
            nan += int(np.isnan(v).sum())
            huge += int(_too_large(v, log).sum())
    for h in panel.get("hlines", []):
        huge += int(_too_large(np.array([as_float(h["y"])]), panel.get("yscale") == "log").sum())
    parts = ([f"{inf} value{'s' if inf > 1 else ''} ±inf (overflow)"] if inf else []) + \
            ([f"{nan} NaN"] if nan else []) + \
            ([f"{huge} too large to draw (beyond {_LOG_MAX:g} on a log axis, ±{_LINEAR_MAX:g} on a linear one)"]
             if huge else [])
    return " and ".join(parts) + " in the data: not drawn" if parts else None


def _legend_entries(panel: dict) -> int:
    return (sum(1 for s in panel.get("series", []) if s.get("label"))
            + sum(1 for h in panel.get("hlines", []) if h.get("label"))
            + sum(1 for v in panel.get("vlines", []) if v.get("label")))


def _colour_groups(series: list[dict]) -> list[str | None]:
    """A colour per series: series whose labels share the text after the first ", " (e.g. "measured, X" and
    "corrected bound, X") share a colour and differ by line style, so a measurement and its bound read as a pair."""
    palette = STYLE["axes.prop_cycle"].by_key()["color"]
    groups: dict[str, tuple[str, set]] = {}
    out: list[str | None] = []
    used = 0
    for s in series:
        if s.get("color") and isinstance(s["color"], str) and matplotlib.colors.is_color_like(s["color"]):
            out.append(s["color"])
            continue
        label = str(s.get("label", ""))
        key = label.split(", ", 1)[1] if ", " in label else f"\0{len(out)}"
        style = s.get("style", "solid")
        if key in groups and style not in groups[key][1]:
            groups[key][1].add(style)
            out.append(groups[key][0])
            continue
        colour = palette[used % len(palette)]
        used += 1
        groups[key] = (colour, {style})
        out.append(colour)
    return out


def _robust_limits(values: np.ndarray, refs: list[float]) -> tuple[float, float] | None:
    """Axis limits that keep the bulk of the data and the reference lines readable when a few points lie
    far outside them (e.g. one huge ratio at t = 1); None when no point is that far out."""
    values = values[np.isfinite(values)]
    if values.size < 8:
        return None
    lo, hi = np.percentile(values, [5.0, 95.0])
    lo, hi = min([lo, *refs]), max([hi, *refs])
    span = hi - lo if hi > lo else max(abs(hi), 1e-12)
    high_out = values.max() > hi + 1.5 * span
    low_out = values.min() < lo - 1.5 * span
    if not (high_out or low_out):
        return None
    top = hi if high_out else max([values.max(), *refs])
    bottom = lo if low_out else min([values.min(), *refs])
    pad = 0.08 * (top - bottom if top > bottom else span)
    return bottom - pad, top + pad


def _mismatched(s: dict) -> str | None:
    """Why a series cannot be drawn as given (arrays of different lengths), or None."""
    n = len(s.get("x", []))
    for key in ("y", "lo", "hi", "yerr_lo", "yerr_hi"):
        if key in s and len(s[key]) != n:
            return f"series {_text(s.get('label'), 60)!r}: {n} x values but {len(s[key])} {key} values"
    return None


def _draw_panel(ax, panel: dict, legend_outside: bool) -> None:
    ylog = panel.get("yscale") == "log"
    xlog = panel.get("xscale") == "log"
    skipped = [why for why in map(_mismatched, panel.get("series", [])) if why]
    series = [s for s in panel.get("series", []) if not _mismatched(s)]
    colours = _colour_groups(series)
    drawn = []  # (x, y, colour) of every series, for the off-scale markers
    for s, colour in zip(series, colours):
        x, y = _drawable(_arr(s["x"]), xlog), _positive_only(_drawable(_arr(s["y"]), ylog), ylog)
        style = s.get("style", "solid")
        label = _label(s.get("label"))
        marker = s.get("marker") if s.get("marker") in MARKERS else None
        if style == "points":
            yerr = None
            if "yerr_lo" in s and "yerr_hi" in s:
                lo, hi = _drawable(_arr(s["yerr_lo"]), ylog), _drawable(_arr(s["yerr_hi"]), ylog)
                with np.errstate(over="ignore", invalid="ignore"):
                    yerr = np.vstack([np.clip(y - lo, 0, None), np.clip(hi - y, 0, None)])
                yerr = np.where(np.isfinite(yerr) & (ylog | (yerr <= _LINEAR_MAX)), yerr, 0.0)
            ax.errorbar(x, y, yerr=yerr, fmt=marker or "o", ms=4, capsize=2, label=label, color=colour)
            drawn.append((x, y, colour))
            continue
        drawstyle = "steps-post" if style == "step" else "default"
        (line,) = ax.plot(x, y, _LINESTYLES.get(style, "-"), lw=1.8 if style == "dotted" else 1.5,
                          drawstyle=drawstyle, label=label, marker=marker, ms=3, color=colour)
        drawn.append((x, y, line.get_color()))
        if "lo" in s and "hi" in s:
            lo, hi = _drawable(_arr(s["lo"]), ylog), _drawable(_arr(s["hi"]), ylog)
            finite = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(x)
            if ylog:
                finite &= lo > 0
            if finite.any():
                ax.fill_between(x[finite], lo[finite], hi[finite], color=line.get_color(), alpha=0.15, lw=0)
    refs = []
    for k, h in enumerate(panel.get("hlines", [])):
        y = as_float(h["y"])
        if math.isfinite(y) and (not ylog or y > 0) and not _too_large(np.array([y]), ylog).any():
            ax.axhline(y, color=_REFERENCE_COLOURS[k % 3], lw=2.0, ls=["-", "--", "-."][k % 3],
                       label=_label(h.get("label")), zorder=1.5)
            refs.append(y)
    for v in panel.get("vlines", []):
        x = as_float(v["x"])
        if math.isfinite(x) and not _too_large(np.array([x]), xlog).any():
            ax.axvline(x, color="#777777", lw=1.0, ls=":", label=_label(v.get("label")))
    if ylog:
        ax.set_yscale("log")
    if xlog:
        ax.set_xscale("log")
    notes = [_text(panel["note"])] if panel.get("note") else []
    notes += [f"{why}: not drawn" for why in skipped]
    missing = _undrawn_note({**panel, "series": series})
    if missing:
        notes.append(missing)
    if not ylog and drawn:
        limits = _robust_limits(np.concatenate([y for _, y, _ in drawn]), refs)
        if limits is not None:
            ax.set_ylim(*limits)
            lo_lim, hi_lim = limits
            off = 0
            extreme = []
            for x, y, colour in drawn:
                for side, mask, edge, marker in ((1, y > hi_lim, hi_lim, "^"), (-1, y < lo_lim, lo_lim, "v")):
                    mask = mask & np.isfinite(y)
                    if mask.any():
                        ax.plot(x[mask], np.full(mask.sum(), edge), marker, color=colour, ms=7, clip_on=False,
                                zorder=5)
                        off += int(mask.sum())
                        extreme += list(y[mask])
            if off:
                biggest = max(extreme, key=abs)
                notes.append(f"▲▼ {off} point{'s' if off > 1 else ''} off the axis, drawn at its edge "
                             f"(most extreme {biggest:.4g})")
    _plain(ax.set_xlabel(_wrap(_text(panel.get("xlabel", "")), 60)))
    _plain(ax.set_ylabel(_wrap(_text(panel.get("ylabel", "")), 40)))
    if panel.get("title"):
        _plain(ax.set_title(_wrap(_text(panel["title"]), 50)))
    if notes:
        # anchored under the x-axis label (x in axes fraction, y at the label's bottom), whatever its height
        text = "\n".join(_wrap(note, 95 if legend_outside else 80) for note in notes)
        _plain(ax.annotate(text, xy=(0.0, 0.0), xycoords=("axes fraction", ax.xaxis.label),
                           xytext=(0, -4), textcoords="offset points", fontsize=7.5, color="#444444", va="top"))
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        if legend_outside:
            legend = ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
        else:
            legend = ax.legend(loc="best")
        _plain(*legend.get_texts())


def _wrap(text, width: int) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) if text and len(str(text)) > width else (text or "")


_OUTSIDE = 4  # a panel with more legend entries than this gets its legend beside the axes


def render(spec: dict) -> "matplotlib.figure.Figure":
    panels = spec.get("panels", [])[:MAX_PANELS]
    n = max(len(panels), 1)
    outside = [_legend_entries(p) > _OUTSIDE for p in panels] or [False]
    width = max(sum(4.8 + (3.0 if o else 0.0) for o in outside), 6.4)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(STYLE), _quiet_glyphs():
        # a Figure of its own (not pyplot's): the same drawing as plt.subplots on the Agg backend, without
        # importing pyplot or registering the figure with it
        fig = Figure(figsize=(width, 4.0))
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, n, squeeze=False,
                            gridspec_kw={"width_ratios": [4.8 + (3.0 if o else 0.0) for o in outside]})
        for ax, panel, o in zip(axes[0], panels, outside):
            _draw_panel(ax, panel, o)
        _plain(fig.suptitle(_wrap(_text(spec.get("title", "")), int(width * 11)), fontsize=11, fontweight="bold"))
        fig.tight_layout()
    return fig


_METADATA = {"png": {"Software": None}, "pdf": {"CreationDate": None, "ModDate": None, "Producer": None}}


def _drop_layout_placeholder(fig) -> None:
    """After ``fig.tight_layout()`` a figure keeps a placeholder layout engine, and ``savefig`` lays out a figure
    that has any engine once more, with drawing disabled, before drawing it: a whole extra pass of text and tick
    layout per format, about a quarter of the time.  The placeholder lays nothing out, so dropping it changes no
    byte of the output."""
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
            fig.set_layout_engine(None)


def save(fig, formats=("png",), dpi=None) -> dict[str, bytes]:
    """A drawn figure saved in each format, then closed; deterministic (no timestamps in the metadata)."""
    _drop_layout_placeholder(fig)
    out = {}
    for fmt in formats:
        buf = io.BytesIO()
        with _quiet_glyphs():
            fig.savefig(buf, format=fmt, metadata=_METADATA[fmt], **({"dpi": dpi} if dpi else {}))
        out[fmt] = buf.getvalue()
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:   # a figure made through pyplot (probe_figures) is released there
        pyplot.close(fig)
    return out


def to_bytes(spec: dict, formats=("png",)) -> dict[str, bytes]:
    """The figure of one spec, drawn once and saved in each format."""
    fig = render(spec)
    with matplotlib.rc_context(STYLE):
        return save(fig, formats)


# --- what decides a figure's bytes, for the figure cache -----------------------------------------------------------

# rcParams that describe the process, not a figure: left as they are by file_style()
_PROCESS_KEYS = frozenset({"backend", "backend_fallback", "interactive"})
_DRAWING_MODULES = ("figures.py", "_format.py", "_io.py")   # this module and what it imports from reports/


def _file_rc() -> dict:
    return {k: v for k, v in matplotlib.rcParamsOrig.items() if k not in _PROCESS_KEYS}


@contextlib.contextmanager
def file_style():
    """Draw with the rcParams a fresh process starts with (matplotlib's and the matplotlibrc file's), whatever
    the caller changed since: a figure drawn in this process and one drawn in a spawned worker are then the
    same bytes, and :func:`fingerprint` describes both.  STYLE is applied on top by :func:`render`."""
    with matplotlib.rc_context():
        matplotlib.rcParams.update(_file_rc())
        yield


@functools.lru_cache(maxsize=1)
def fingerprint() -> str | None:
    """A digest of everything besides the spec that decides a figure's bytes under :func:`file_style`: the
    source of the modules that draw (this one, ``_format.py``, ``_io.py``), the versions of Python, matplotlib,
    NumPy, Pillow, FreeType and zlib, the matplotlibrc settings, and the default font file.  None when one of
    them cannot be read (then nothing is cached)."""
    try:
        import PIL
        from matplotlib import font_manager, ft2font

        h = hashlib.sha256(b"ssmverify-figures-1\0")
        here = Path(__file__).resolve().parent
        for name in _DRAWING_MODULES:
            h.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
        font = Path(font_manager.findfont(font_manager.FontProperties(), fallback_to_default=True))
        stat = font.stat()
        rc = sorted((k, repr(v)) for k, v in _file_rc().items())
        for part in (sys.version, platform.machine(), matplotlib.__version__, np.__version__, PIL.__version__,
                     ft2font.__freetype_version__, zlib.ZLIB_RUNTIME_VERSION, repr(rc),
                     f"{font}:{stat.st_size}:{stat.st_mtime_ns}"):
            h.update(str(part).encode("utf-8", "backslashreplace") + b"\0")
        return h.hexdigest()
    except (OSError, ValueError, ImportError, AttributeError):
        return None


def spec_key(spec, formats) -> str | None:
    """The cache key of one figure in ``formats``: the spec's exact JSON text (key order, ints and floats, NaN
    kept apart) and :func:`fingerprint`; None for a spec that is not plain JSON data (then it is drawn)."""
    base = fingerprint()
    if base is None:
        return None
    try:
        text = json.dumps(spec, ensure_ascii=False, allow_nan=True, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        return None
    h = hashlib.sha256(base.encode() + b"\0" + ",".join(formats).encode() + b"\0")
    h.update(text.encode("utf-8", "surrogatepass"))
    return h.hexdigest()
