"""A persistent JAX compilation cache for the command line, in the user's cache folder.

Compiling the simulator and the Lyapunov kernel for every shape a run meets costs more than the
simulation itself; the cache makes a second run of the same suite reuse the compiled programs.
The folder is ``$XDG_CACHE_HOME/ssmverify`` (default ``~/.cache/ssmverify``), one subfolder per
(ssmverify, jax, jaxlib) version so that a new version never reads an old entry; deleting it is
always safe.  ``SSMVERIFY_NO_COMPILATION_CACHE=1`` turns it off, ``SSMVERIFY_CACHE_DIR`` moves it.
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def cache_dir() -> Path:
    root = os.environ.get("SSMVERIFY_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "ssmverify")
    tag = "-".join(f"{n}{_version(n)}" for n in ("ssmverify", "jax", "jaxlib"))
    return Path(root) / f"jax-{tag}"


def enable() -> Path | None:
    """Point JAX's persistent compilation cache at :func:`cache_dir` (None: disabled or not writable)."""
    if os.environ.get("SSMVERIFY_NO_COMPILATION_CACHE"):
        return None
    path = cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(path, os.W_OK):
        return None
    import jax

    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path
