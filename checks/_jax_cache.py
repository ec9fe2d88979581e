"""The command line's persistent caches, in the user's cache folder: JAX's compiled programs and the figures.

The folder is ``$XDG_CACHE_HOME/ssmverify`` (default ``~/.cache/ssmverify``; ``SSMVERIFY_CACHE_DIR`` moves it).
Deleting it, or any folder in it, is always safe: the next run compiles and draws again.

* ``jax-…/``: JAX's persistent compilation cache.  Compiling the simulator and the Lyapunov kernel for every
  shape a run meets costs more than the simulation itself; with the cache a second run only traces and
  lowers each program (JAX needs the lowered program for the key) and loads the compiled one.  JAX's own key
  is a hash of the lowered program itself, the jaxlib version, the backend, the XLA flags and the compile
  options, so a change of the code (ours or JAX's) that changes a program can never load an old entry, and
  the ssmverify version adds nothing to it.  What the key leaves out on the CPU is the processor: the backend
  only says "cpu", and XLA compiles for the instruction set of the machine it runs on.  The folder is therefore
  named by the jax and jaxlib versions and by the machine (architecture and the processor's instruction-set
  flags): a cache folder shared by machines of different processors (a network home directory) never hands
  one of them a program compiled for another's instructions.  Its ``programs/`` folder keeps the simulator's
  programs exported and serialised (``theorems._programs``), so a second run does not even trace and lower
  them.  ``SSMVERIFY_NO_COMPILATION_CACHE=1`` turns both off.
* ``figures/``: the PNG and PDF of every figure ``ssmverify run`` and ``ssmverify report`` drew, keyed by the
  figure's spec and everything else that decides its bytes (``reports.figures.fingerprint``: the drawing code,
  matplotlib and the libraries under it, the matplotlibrc settings, the font), so a second run with the same
  results draws nothing.  At most 256 MB; the least recently used figures go first.
  ``SSMVERIFY_NO_FIGURE_CACHE=1`` turns it off.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
from importlib import metadata
from pathlib import Path


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def cache_root() -> Path:
    return Path(os.environ.get("SSMVERIFY_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "ssmverify"))


@functools.lru_cache(maxsize=1)
def machine_tag() -> str:
    """A short digest of the architecture and the processor's instruction-set flags (Linux: /proc/cpuinfo)."""
    text = platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features", "isa"):   # x86, Arm, RISC-V
                    text += "|" + " ".join(sorted(value.split()))
                    break
    except OSError:
        pass
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def cache_dir() -> Path:
    """The compilation cache's folder: one per (jax, jaxlib) version and machine."""
    return cache_root() / f"jax{_version('jax')}-jaxlib{_version('jaxlib')}-{machine_tag()}"


def figure_cache_dir() -> Path:
    return cache_root() / "figures"


def _usable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def enable() -> Path | None:
    """Point JAX's persistent compilation cache at :func:`cache_dir` (None: disabled or not writable)."""
    if os.environ.get("SSMVERIFY_NO_COMPILATION_CACHE"):
        return None
    path = cache_dir()
    if not _usable(path):
        return None
    import jax

    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    from ..theorems import _programs

    _programs.use_program_cache(path / "programs")
    return path


def enable_figures() -> Path | None:
    """Keep and reuse the figures ``reports.render_all`` draws in :func:`figure_cache_dir` (None: disabled or
    not writable)."""
    if os.environ.get("SSMVERIFY_NO_FIGURE_CACHE"):
        return None
    path = figure_cache_dir()
    if not _usable(path):
        return None
    from .. import reports

    reports.use_figure_cache(path)
    return path
