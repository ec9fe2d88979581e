"""Rendering: everything here reads results.json (a dict) and writes files; nothing re-simulates.

``render_all(out_dir, document)`` writes the figures, report.md and results.json.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import figures, markdown
from ._io import dumps, write_atomic

__all__ = ["render_all", "load_results"]


def load_results(out_dir: str | Path) -> dict:
    path = Path(out_dir) / "results.json"
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def render_all(out_dir: str | Path, document: dict) -> list[Path]:
    """Write every output of a run into ``out_dir``; results.json last. Returns the paths written."""
    out = Path(out_dir)
    written = []
    for row in document["results"]:
        for spec, name in zip(row["details"].get("plots", []), row.get("figures", [])):
            path = out / name
            images = figures.to_bytes(spec, ("png", "pdf"))
            write_atomic(path, images["png"])
            write_atomic(path.with_suffix(".pdf"), images["pdf"])
            written += [path, path.with_suffix(".pdf")]
    write_atomic(out / "report.md", markdown.render(document))
    written.append(out / "report.md")
    write_atomic(out / "results.json", dumps(document))
    written.append(out / "results.json")
    return written
