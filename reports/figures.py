"""Render the declarative figure specs that checks put in results.json.

A spec is ``{"title", "panels": [panel, ...]}`` with each panel
``{"title"?, "xlabel", "ylabel", "xscale"?, "yscale"?, "series": [...], "hlines": [...], "note"?}``,
a series ``{"label", "x", "y", "lo"?, "hi"?, "yerr_lo"?, "yerr_hi"?, "style"}``
(style: solid | dashed | dotted | points | step) and an hline ``{"y", "label"}``.
Checks describe *what* to plot; this module alone decides how it looks, so
a new claim's figures need no change here.
"""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ._io import as_float  # noqa: E402

STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 7.5,
    "legend.framealpha": 0.85,
    "axes.prop_cycle": matplotlib.cycler(color=[
        "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f",
    ]),
}
_LINESTYLES = {"solid": "-", "dashed": "--", "dotted": ":", "step": "-"}
_REFERENCE_COLOURS = ["#000000", "#555555", "#999999"]


def _arr(values) -> np.ndarray:
    return np.array([as_float(v) for v in values], dtype=float)


def _positive_only(y: np.ndarray, log: bool) -> np.ndarray:
    return np.where(y > 0, y, np.nan) if log else y


def _draw_panel(ax, panel: dict) -> None:
    ylog = panel.get("yscale") == "log"
    xlog = panel.get("xscale") == "log"
    for s in panel.get("series", []):
        x, y = _arr(s["x"]), _positive_only(_arr(s["y"]), ylog)
        style = s.get("style", "solid")
        if style == "points":
            yerr = None
            if "yerr_lo" in s:
                lo, hi = _arr(s["yerr_lo"]), _arr(s["yerr_hi"])
                yerr = np.vstack([np.clip(y - lo, 0, None), np.clip(hi - y, 0, None)])
            ax.errorbar(x, y, yerr=yerr, fmt=s.get("marker", "o"), ms=4, capsize=2, label=s["label"])
            continue
        drawstyle = "steps-post" if style == "step" else "default"
        (line,) = ax.plot(x, y, _LINESTYLES.get(style, "-"), lw=1.4, drawstyle=drawstyle, label=s["label"],
                          marker=s.get("marker"), ms=3)
        if "lo" in s and "hi" in s:
            lo, hi = _arr(s["lo"]), _arr(s["hi"])
            finite = np.isfinite(lo) & np.isfinite(hi)
            if ylog:
                finite &= lo > 0
            if finite.any():
                ax.fill_between(x[finite], lo[finite], hi[finite], color=line.get_color(), alpha=0.18, lw=0)
    for k, h in enumerate(panel.get("hlines", [])):
        y = as_float(h["y"])
        if math.isfinite(y) and (not ylog or y > 0):
            ax.axhline(y, color=_REFERENCE_COLOURS[k % 3], lw=1.6, ls=["-", "--", "-."][k % 3], label=h["label"])
    for v in panel.get("vlines", []):
        x = as_float(v["x"])
        if math.isfinite(x):
            ax.axvline(x, color="#777777", lw=1.0, ls=":", label=v.get("label"))
    if ylog:
        ax.set_yscale("log")
    if xlog:
        ax.set_xscale("log")
    ax.set_xlabel(panel.get("xlabel", ""))
    ax.set_ylabel(panel.get("ylabel", ""))
    if panel.get("title"):
        ax.set_title(panel["title"])
    if panel.get("note"):
        ax.annotate(panel["note"], xy=(0.0, -0.16), xycoords="axes fraction", fontsize=7, color="#555555",
                    va="top")
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(loc="best")


def render(spec: dict) -> "matplotlib.figure.Figure":
    panels = spec.get("panels", [])
    n = max(len(panels), 1)
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, n, figsize=(5.4 * n, 4.0), squeeze=False)
        for ax, panel in zip(axes[0], panels):
            _draw_panel(ax, panel)
        fig.suptitle(spec.get("title", ""), fontsize=10.5)
        fig.tight_layout()
    return fig


_METADATA = {"png": {"Software": None}, "pdf": {"CreationDate": None, "ModDate": None, "Producer": None}}


def to_bytes(spec: dict, formats=("png",)) -> dict[str, bytes]:
    """The figure drawn once and saved in each format; deterministic (no timestamps in the metadata)."""
    fig = render(spec)
    out = {}
    with plt.rc_context(STYLE):
        for fmt in formats:
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, metadata=_METADATA[fmt])
            out[fmt] = buf.getvalue()
    plt.close(fig)
    return out
