"""The probe's map: margin (statistic − bound) over the knobs, from grid.json alone.

Names (claim, regime, knobs) are data: drawn as plain text (no math text, so ``$`` is a dollar
sign) with control characters shown as escapes, exactly as in the figures of results.json.
"""

from __future__ import annotations


import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402

from . import figures  # noqa: E402
from ._format import visible  # noqa: E402
from ._io import as_float  # noqa: E402

_MARK = {"FAIL": ("x", "#000000", "FAIL (significant violation)"),
         "INCONCLUSIVE": ("o", "#777777", "INCONCLUSIVE")}


def _values(cells, key):
    return np.array([as_float(c[key]) for c in cells])


def render(doc: dict) -> "matplotlib.figure.Figure":
    knobs, cells = doc["knobs"], doc["cells"]
    margin = _values(cells, "margin")
    hold = np.array([bool(c["hypotheses_hold"]) for c in cells])
    verdicts = [c["verdict"] for c in cells]
    stats_line = (f"{visible(doc['multiple_testing'])}: α = {doc['alpha']}, per-comparison level "
                  f"{as_float(doc['per_comparison_level']):.2g}; {doc['paths_per_cell']} paths per cell")
    fig, ax = plt.subplots(figsize=(7.6, 6.4))
    # The colour scale is set by the cells inside the paper's region: outside it the claim asserts nothing.
    inside = margin[np.isfinite(margin) & hold]
    finite = inside if inside.size else margin[np.isfinite(margin)]
    span = float(np.max(np.abs(finite))) if finite.size else 1.0
    span = span if span > 0 else 1.0
    norm = TwoSlopeNorm(vmin=-span, vcenter=0.0, vmax=span)
    if len(knobs) >= 2:
        kx, ky = knobs[0], knobs[1]
        xs, ys = np.array(kx["values"]), np.array(ky["values"])
        grid = np.full((ys.size, xs.size), np.nan)
        hgrid = np.zeros((ys.size, xs.size))
        vgrid = np.empty((ys.size, xs.size), dtype=object)
        for c, m, h, v in zip(cells, margin, hold, verdicts):
            i = int(np.argmin(np.abs(ys - as_float(c[ky["name"]]))))
            j = int(np.argmin(np.abs(xs - as_float(c[kx["name"]]))))
            grid[i, j], hgrid[i, j], vgrid[i, j] = m, float(h), v
        mesh = ax.pcolormesh(xs, ys, np.ma.masked_invalid(grid), cmap="RdBu_r", norm=norm, shading="nearest")
        fig.colorbar(mesh, ax=ax, extend="both", label="margin: statistic − bound (> 0 violates)")
        if (hgrid < 0.5).any():
            ax.pcolormesh(xs, ys, np.ma.masked_where(hgrid >= 0.5, np.ones_like(hgrid)), shading="nearest",
                          cmap=matplotlib.colors.ListedColormap(["#dddddd"]), alpha=0.75)
            ax.fill_between([], [], color="#dddddd", label="hypotheses fail: NOT_APPLICABLE (measured, greyed)")
        measured = np.where(np.isfinite(grid), grid, np.nan)
        if np.nanmin(measured) < 0.0 < np.nanmax(measured) and xs.size > 1 and ys.size > 1:
            ax.contour(xs, ys, measured, levels=[0.0], colors="#2ca02c", linewidths=2.0, linestyles="-")
            ax.plot([], [], "-", color="#2ca02c", lw=2.0, label="measured boundary (margin = 0)")
        for verdict, (marker, colour, label) in _MARK.items():
            pts = [(xs[j], ys[i]) for i in range(ys.size) for j in range(xs.size) if vgrid[i, j] == verdict]
            if pts:
                ax.scatter(*zip(*pts), marker=marker, c=colour, s=22, lw=1.0, label=label)
        if 0.0 < hgrid.mean() < 1.0 and xs.size > 1 and ys.size > 1:
            ax.contour(xs, ys, hgrid, levels=[0.5], colors="k", linewidths=2.0)
            ax.plot([], [], "k-", lw=2.0, label="paper's hypothesis boundary (inside: hypotheses hold)")
        names = {kx["name"], ky["name"]}
        if names == {"rho", "lipschitz"}:
            r = np.linspace(max(xs.min(), 1e-9) if kx["name"] == "rho" else max(ys.min(), 1e-9),
                            xs.max() if kx["name"] == "rho" else ys.max(), 200)
            curve = 1.0 / r
            if kx["name"] == "rho":
                ax.plot(r, curve, "k--", lw=1.0, label="ρ·L_G = 1")
            else:
                ax.plot(curve, r, "k--", lw=1.0, label="ρ·L_G = 1")
            ax.set_ylim(ys.min(), ys.max())
            ax.set_xlim(xs.min(), xs.max())
        figures._plain(ax.set_xlabel(_label(kx)), ax.set_ylabel(_label(ky)))
        if kx.get("log"):
            ax.set_xscale("log")
        if ky.get("log"):
            ax.set_yscale("log")
    else:
        kx = knobs[0]
        xs = _values(cells, kx["name"])
        lo = np.array([as_float(c["ci"][0]) for c in cells]) - _values(cells, "bound")
        hi = np.array([as_float(c["ci"][1]) for c in cells]) - _values(cells, "bound")
        ax.plot(xs, margin, "-", color="#1f77b4", label="margin (statistic − bound)")
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.fill_between(xs[ok], lo[ok], hi[ok], alpha=0.2, color="#1f77b4", label="confidence interval")
        ax.axhline(0.0, color="k", lw=1.2, label="bound")
        for verdict, (marker, colour, label) in _MARK.items():
            sel = np.array([v == verdict for v in verdicts])
            if sel.any():
                ax.scatter(xs[sel], margin[sel], marker=marker, c=colour, s=30, label=label, zorder=3)
        if (~hold).any():
            ax.scatter(xs[~hold], margin[~hold], marker="s", facecolors="none", edgecolors="#999999",
                       label="hypotheses fail (NOT_APPLICABLE)")
        figures._plain(ax.set_xlabel(_label(kx)), ax.set_ylabel("margin: statistic − bound (> 0 violates)"))
        if kx.get("log"):
            ax.set_xscale("log")
    title = f"{doc['claim']} over {', '.join(str(k['name']) for k in knobs)} — {doc['regime']}"
    figures._plain(ax.set_title(figures._text(title), fontsize=10))
    legend = ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=2, fontsize=7, frameon=False)
    figures._plain(*legend.get_texts(), fig.text(0.01, 0.01, stats_line, fontsize=7, color="#444444"))
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def _label(knob: dict) -> str:
    units = {"rho": "ρ = ‖A‖₂ (dimensionless)", "lipschitz": "L_G = ‖U‖₂/4 (per state unit)",
             "gate": "constant gate value (dimensionless)", "input_scale": "input scale s (input units)",
             "noise": "noise variance q (state units²)"}
    return figures._text(units.get(knob["name"], knob["name"])) + (" [log]" if knob.get("log") else "")


def to_bytes(doc: dict, formats=("png", "pdf")) -> dict[str, bytes]:
    """The map drawn once and saved in each format."""
    return figures.save(render(doc), formats, dpi=110)

