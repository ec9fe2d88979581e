"""Rendering: everything here reads results.json (a dict) and writes files; nothing re-simulates.

``render_all(out_dir, document)`` writes, from the document alone:

* ``figures/NAME.png`` and ``.pdf`` for every figure spec of every row,
* ``index.html`` (one self-contained page: figures inlined, no network),
* ``report.md`` (the same content in Markdown),
* ``junit.xml`` (one test case per (regime, claim)),
* ``results.tex`` (booktabs tables of verdicts and margins),
* and ``results.json`` last, so a folder with results.json is a finished one.

The renderers know no claim id: a new claim's rows appear in every output unchanged.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import figures, html, junit, latex, markdown
from ._io import dumps, write_atomic

__all__ = ["render_all", "load_results"]


def load_results(out_dir: str | Path) -> dict:
    path = Path(out_dir) / "results.json"
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _inside(out: Path, name: str) -> Path | None:
    """``out/name`` when it stays inside ``out`` (a figure path from a results file is data, not trusted)."""
    path = (out / name).resolve()
    try:
        path.relative_to(out.resolve())
    except ValueError:
        return None
    return out / name


def _render_png_pdf(spec: dict) -> dict[str, bytes]:
    return figures.to_bytes(spec, ("png", "pdf"))


def _render_figures(specs: list[dict]) -> list[dict[str, bytes]]:
    """Each figure drawn independently, in worker processes when there are several.

    A figure's bytes depend only on its spec, so the pool changes the wall time,
    not the output.  Workers are spawned (not forked): the parent may hold JAX's
    threads, which a fork would copy in an undefined state.
    """
    workers = min(len(specs) // 4, os.cpu_count() or 1, 4)
    if workers < 2:
        return [_render_png_pdf(spec) for spec in specs]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(_render_png_pdf, specs, chunksize=2))


def render_all(out_dir: str | Path, document: dict) -> list[Path]:
    """Write every output of a run into ``out_dir``; results.json last. Returns the paths written."""
    out = Path(out_dir)
    written = []
    images: dict[str, bytes] = {}
    jobs = []
    for row in document["results"]:
        for spec, name in zip(row.get("details", {}).get("plots", []) or [], row.get("figures", []) or []):
            path = _inside(out, name)
            if path is not None and str(name).endswith(".png"):
                jobs.append((name, path, spec))
    for (name, path, _), rendered in zip(jobs, _render_figures([spec for _, _, spec in jobs])):
        write_atomic(path, rendered["png"])
        write_atomic(path.with_suffix(".pdf"), rendered["pdf"])
        images[name] = rendered["png"]
        written += [path, path.with_suffix(".pdf")]
    for row in document["results"]:  # a figure listed without a spec (an older results.json): inline the file
        for name in row.get("figures", []) or []:
            path = _inside(out, name)
            if name not in images and path is not None and path.is_file():
                images[name] = path.read_bytes()
    for name, text in (("index.html", html.render(document, images)),
                       ("report.md", markdown.render(document)),
                       ("junit.xml", junit.render(document)),
                       ("results.tex", latex.render(document))):
        write_atomic(out / name, text)
        written.append(out / name)
    write_atomic(out / "results.json", dumps(document))
    written.append(out / "results.json")
    return written
