"""Rendering: everything here reads results.json (a dict) and writes files; nothing re-simulates.

``render_all(out_dir, document)`` writes, from the document alone:

* ``figures/NAME.png`` and ``.pdf`` for every figure spec of every row (from the figure cache when one is
  in use, see :func:`use_figure_cache`),
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
import importlib
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import html, junit, latex, markdown
from ._card import build_report, reusing
from ._io import ByteCache, dumps, test_hook, test_hook_active, write_atomic

__all__ = ["render_all", "load_results", "use_figure_cache"]

FORMATS = ("png", "pdf")
_figure_cache: ByteCache | None = None


def use_figure_cache(folder: str | os.PathLike | None) -> None:
    """Keep the figures :func:`render_all` draws in ``folder`` and take them from there next time (None: no
    cache, the default).  A figure's bytes depend only on its spec and on what ``figures.fingerprint()``
    names, so an entry is keyed by both: a second run with the same results draws nothing, and a change of
    the spec, of the drawing code or of matplotlib never reads an old entry.  The command line uses
    ``$XDG_CACHE_HOME/ssmverify/figures`` (see ``checks/_jax_cache.py``)."""
    global _figure_cache
    _figure_cache = ByteCache(folder) if folder is not None else None


def __getattr__(name: str):
    """``validate_results`` and ``ResultsError`` (reports._schema), imported on first use: they import theorems,
    which render workers do not need; and ``figures`` (matplotlib), imported once a figure is to be drawn or
    looked up in the figure cache, so that a notebook display without figures does not load matplotlib."""
    if name in ("validate_results", "ResultsError"):
        from . import _schema
        return getattr(_schema, name)
    if name == "figures":
        return importlib.import_module(f"{__name__}.figures")
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
    from . import figures
    test_hook("figures")
    return figures.to_bytes(spec, FORMATS)


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


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# A spawned worker costs about as much as drawing a few figures (it imports matplotlib): one is started
# per FIGURES_PER_WORKER figures to draw, beside this process, which draws too.
FIGURES_PER_WORKER = 6
MAX_WORKERS = 7


def _kill(pool) -> None:
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.kill()
        except (OSError, ValueError, AttributeError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)


def _render_figures(specs: list[dict]) -> list[dict[str, bytes]]:
    """Each figure drawn independently: in this process, helped by worker processes when there are enough.

    A figure's bytes depend only on its spec (every drawing process starts from the same rcParams,
    ``figures.file_style``), so who draws it changes the wall time, not the output.  This process draws
    from the end of the list while the workers take figures from its start; a worker is started only for
    every FIGURES_PER_WORKER figures, and none beyond the processors this process may use (it draws too).
    Workers are spawned (not forked): the parent may hold JAX's threads, which a fork would copy in an
    undefined state.  They die with the parent (even on SIGKILL), ignore Ctrl-C, and are killed at once
    when the parent stops drawing for any reason (an interrupt, an error).
    """
    from . import figures

    n = len(specs)
    hooked = test_hook_active("figures") and n > 0   # the kill tests: workers draw, even a few figures
    workers = min(n, 2) if hooked else min(_cpus() - 1, n // FIGURES_PER_WORKER, MAX_WORKERS)
    if workers < 1:
        with figures.file_style():
            return [_render_png_pdf(spec) for spec in specs]
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_init,
                               initargs=(os.getpid(),))
    results: list[dict[str, bytes] | None] = [None] * n
    try:
        futures = [pool.submit(_render_png_pdf, spec) for spec in specs]
        if not hooked:
            with figures.file_style():
                for i in reversed(range(n)):   # a figure no worker has taken yet is drawn here
                    if not futures[i].cancel():
                        break                  # the workers hold this one and every one before it
                    results[i] = _render_png_pdf(specs[i])
        for i, future in enumerate(futures):
            if results[i] is None:
                results[i] = future.result()
    except BaseException:
        _kill(pool)
        raise
    pool.shutdown(wait=True)
    return results


def _figures_of(specs: list[dict]) -> list[dict[str, bytes]]:
    """The PNG and PDF of each spec: drawn once per distinct spec, taken from the figure cache where it holds
    them (see :func:`use_figure_cache`), the others drawn and kept there."""
    from . import figures

    cache = None if test_hook_active("figures") else _figure_cache   # the kill tests need figures drawn
    keys = [figures.spec_key(spec, FORMATS) for spec in specs]
    found: dict[str, dict[str, bytes]] = {}
    draw: list[int] = []   # the first of each distinct spec that is not in the cache
    seen = set()
    for i, key in enumerate(keys):
        if key is not None and key in seen:
            continue
        if key is not None:
            seen.add(key)
        entry = {fmt: cache.get(key, fmt) for fmt in FORMATS} if cache is not None and key is not None else {}
        if entry and all(v is not None for v in entry.values()):
            found[key] = entry
        else:
            draw.append(i)
    out: list[dict[str, bytes] | None] = [None] * len(specs)
    for i, drawn in zip(draw, _render_figures([specs[i] for i in draw])):
        out[i] = drawn
        if keys[i] is not None:
            found[keys[i]] = drawn
            if cache is not None:
                for fmt in FORMATS:
                    cache.put(keys[i], fmt, drawn[fmt])
    if cache is not None and draw:
        cache.prune()
    return [drawn if drawn is not None else found[key] for drawn, key in zip(out, keys)]


def render_all(out_dir: str | Path, document: dict) -> list[Path]:
    """Write every output of a run into ``out_dir``; results.json last. Returns the paths written."""
    out = Path(out_dir)
    with reusing(document):
        return _render_all(out, document)


def _render_all(out: Path, document: dict) -> list[Path]:
    written = []
    images: dict[str, bytes] = {}
    jobs = []
    cards = build_report(document).cards
    for card in cards:
        for fig in card.figures:
            path = _inside(out, fig.path)
            if fig.spec is not None and path is not None and fig.path.endswith(".png"):
                jobs.append((fig.path, path, fig.spec))
    for (name, path, _), rendered in zip(jobs, _figures_of([spec for _, _, spec in jobs])):
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
