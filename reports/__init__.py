"""Rendering: everything here reads results.json (a dict) and writes files; nothing re-simulates.

``render_all(out_dir, document)`` writes, from the document alone:

* ``figures/NAME.png`` and ``.pdf`` for every figure spec of every row,
* ``index.html`` (one self-contained page: figures inlined, no network),
* ``report.md`` (the same content in Markdown),
* ``junit.xml`` (one test case per (regime, claim)),
* ``results.tex`` (booktabs tables of verdicts and margins),
* and ``results.json`` last, so a folder with results.json is a finished one.

The renderers know no claim id: a new claim's rows appear in every output unchanged. What they read
from a row is read in one place, the card model (``_card.py``); ``notebook.py`` draws the same rows as
an HTML fragment for Jupyter.
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import figures, html, junit, latex, markdown
from ._card import build_cards
from ._io import dumps, test_hook, test_hook_active, write_atomic

__all__ = ["render_all", "load_results"]


def __getattr__(name: str):
    """``validate_results`` and ``ResultsError`` (reports._schema), imported on first use: they import theorems,
    which render workers do not need."""
    if name in ("validate_results", "ResultsError"):
        from . import _schema
        return getattr(_schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    test_hook("figures")
    return figures.to_bytes(spec, ("png", "pdf"))


_PR_SET_PDEATHSIG = 1


def _watch_parent(parent: int) -> None:
    """Fallback where the kernel cannot signal us: exit as soon as the parent is gone."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


def _worker_init(parent: int) -> None:
    """Every figure worker dies with the process that started it, however that one ends (SIGKILL included),
    and leaves Ctrl-C to it (a terminal's SIGINT reaches the whole process group)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    armed = False
    if sys.platform.startswith("linux"):
        try:
            armed = ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:   # the parent died before the signal was armed
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="watch-parent").start()


def _render_figures(specs: list[dict]) -> list[dict[str, bytes]]:
    """Each figure drawn independently, in worker processes when there are several.

    A figure's bytes depend only on its spec, so the pool changes the wall time,
    not the output.  Workers are spawned (not forked): the parent may hold JAX's
    threads, which a fork would copy in an undefined state.  They die with the
    parent (even on SIGKILL), ignore Ctrl-C, and are killed at once when the
    parent stops drawing for any reason (an interrupt, an error).
    """
    workers = min(len(specs) // 4, os.cpu_count() or 1, 4)
    if test_hook_active("figures") and specs:   # the kill tests: draw in workers even for a few figures
        workers = min(len(specs), 2)
    elif workers < 2:
        return [_render_png_pdf(spec) for spec in specs]
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_init,
                               initargs=(os.getpid(),))
    try:
        result = list(pool.map(_render_png_pdf, specs, chunksize=2))
    except BaseException:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            try:
                process.kill()
            except (OSError, ValueError, AttributeError):
                pass
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return result


def render_all(out_dir: str | Path, document: dict) -> list[Path]:
    """Write every output of a run into ``out_dir``; results.json last. Returns the paths written."""
    out = Path(out_dir)
    written = []
    images: dict[str, bytes] = {}
    jobs = []
    cards = build_cards(document["results"])
    for card in cards:
        for fig in card.figures:
            path = _inside(out, fig.path)
            if fig.spec is not None and path is not None and fig.path.endswith(".png"):
                jobs.append((fig.path, path, fig.spec))
    for (name, path, _), rendered in zip(jobs, _render_figures([spec for _, _, spec in jobs])):
        write_atomic(path, rendered["png"])
        write_atomic(path.with_suffix(".pdf"), rendered["pdf"])
        images[name] = rendered["png"]
        written += [path, path.with_suffix(".pdf")]
    for card in cards:  # a figure listed without a spec (an older results.json): inline the file
        for fig in card.figures:
            path = _inside(out, fig.path)
            if fig.path not in images and path is not None and path.is_file():
                images[fig.path] = path.read_bytes()
    for name, text in (("index.html", html.render(document, images)),
                       ("report.md", markdown.render(document)),
                       ("junit.xml", junit.render(document)),
                       ("results.tex", latex.render(document))):
        write_atomic(out / name, text)
        written.append(out / name)
        if name == "index.html":
            test_hook("write")
    write_atomic(out / "results.json", dumps(document))
    written.append(out / "results.json")
    return written
