"""The simulator's programs kept between processes, so a second run does not trace and lower them again.

Tracing the simulator in Python and lowering it to StableHLO costs about 0.15 s per program on a 2-core
CPU, and a quick suite meets some 30 programs (one per shape, horizon and observer); JAX's persistent
compilation cache skips only the compilation after that.  With a folder set (:func:`use_program_cache`; the
``ssmverify`` command sets one beside the compilation cache) each program is exported once with
:mod:`jax.export`, serialised, and read back by later processes, whose JAX then only deserialises it (a few
milliseconds) and loads the compiled code.

A serialised program is used only where it is certainly the program the code would trace now.  Its file
name is a digest of: every source file of the ssmverify package, the jax and jaxlib versions, the
function, its static arguments (horizon, coupling, the observer's qualified name), the model's tree
structure, the shapes and dtypes of every argument, and the devices; the command keeps the folder inside
its compilation cache's, one per jax and jaxlib version and processor.  Observers from outside the package
(plugins, closures) are not covered by the source digest, so their programs are traced as before.  The
outputs are the very arrays the traced program gives (a test compares them bit for bit).  A file that
cannot be read is exported again; deleting the folder is always safe.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import tempfile
from pathlib import Path

import jax
import numpy as np

_FOLDER: Path | None = None
_LOADED: dict[str, object] = {}


def use_program_cache(folder) -> None:
    """Keep serialised programs in ``folder`` (None: trace every program in every process)."""
    global _FOLDER
    _FOLDER = None if folder is None else Path(folder)
    _LOADED.clear()


def program_cache() -> Path | None:
    return _FOLDER


@functools.lru_cache(maxsize=1)
def _package_roots() -> tuple[Path, ...]:
    """The folders of the ssmverify package and of its top-level subpackages (mapped from the project root)."""
    import ssmverify

    roots = {Path(p).resolve() for p in ssmverify.__path__}
    for name in ("theorems", "estimators", "checks", "reports"):
        module = __import__(f"ssmverify.{name}", fromlist=["__path__"])
        roots |= {Path(p).resolve() for p in module.__path__}
    return tuple(sorted(roots))


@functools.lru_cache(maxsize=1)
def _source_digest() -> str:
    """A digest of every .py file of the ssmverify package (all of its top-level folders)."""
    h = hashlib.sha256()
    for root in _package_roots():
        for path in sorted(root.rglob("*.py")):
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _versions() -> str:
    from importlib import metadata

    return f"jax {jax.__version__}, jaxlib {metadata.version('jaxlib')}"


@functools.lru_cache(maxsize=None)
def _ours(fn) -> bool:
    """Whether ``fn`` is a module-level function defined in the package's files (covered by the digest)."""
    module, qualname = getattr(fn, "__module__", "") or "", getattr(fn, "__qualname__", "") or ""
    if not module.startswith("ssmverify.") or "<" in qualname:
        return False
    try:
        source = Path(inspect.getsourcefile(fn)).resolve()
    except (TypeError, OSError):
        return False
    return any(source.is_relative_to(root) for root in _package_roots())


def _aval(a) -> str:
    return f"{a.dtype}{list(a.shape)}{'w' if getattr(a, 'weak_type', False) else ''}"


def call(fn, model, key, arrays: tuple, **static):
    """``fn(model, key, *arrays, **static)`` through the serialised program when a folder is set.

    ``fn`` is a jitted function of (model pytree, Threefry key, arrays) with static keyword arguments; a
    function among them (the observer) must be a module-level function of the package's files, else ``fn``
    is called directly (traced as usual).
    """
    from .model import _is_threefry_key

    if (_FOLDER is None or not _is_threefry_key(key)
            or not all(_ours(v) for v in static.values() if callable(v))):
        return fn(model, key, *arrays, **static)
    leaves, tree = jax.tree_util.tree_flatten(model)
    args = (jax.random.key_data(key), *arrays, *leaves)
    args = tuple(a if isinstance(a, jax.Array) else jax.device_put(np.asarray(a)) for a in args)   # no eager op
    static_text = ",".join(f"{k}={v.__module__ + '.' + v.__qualname__ if callable(v) else repr(v)}"
                           for k, v in sorted(static.items()))
    devices = jax.devices()
    ident = "|".join([
        _source_digest(), _versions(),
        f"{fn.__module__}.{getattr(fn, '__qualname__', fn.__name__)}", static_text, str(tree),
        ";".join(_aval(a) for a in args), f"{devices[0].platform}:{devices[0].device_kind}x{len(devices)}",
    ])
    name = hashlib.sha256(ident.encode()).hexdigest()[:32]
    program = _LOADED.get(name)
    if program is None:
        try:
            program = _LOADED[name] = _load_or_export(name, fn, tree, len(arrays), static, args)
        except ImportError:   # jax.export's serialisation needs the flatbuffers package: trace as before
            use_program_cache(None)
            return fn(model, key, *arrays, **static)
    return program(*args)


def _load_or_export(name: str, fn, tree, n_arrays: int, static: dict, args: tuple):
    from jax import export

    from .model import _mesh

    mesh = _mesh(tuple(jax.devices()))
    path = _FOLDER / f"{name}.jaxexport"
    exported = None
    try:
        exported = export.deserialize(bytearray(path.read_bytes()))
    except FileNotFoundError:
        pass
    except Exception:   # unreadable or from an incompatible writer: export it again
        exported = None
    if exported is None:
        def flat(words, *rest):
            model = jax.tree_util.tree_unflatten(tree, rest[n_arrays:])
            return fn(model, jax.random.wrap_key_data(words, impl="threefry2x32"), *rest[:n_arrays], **static)

        # Inputs on every device; the outputs keep the sharding the program gives them (paths split over the
        # devices).  Asking for them on every device too added a gather of every observation to each call:
        # measured, 0.41 s against 0.31 s per 9-cell probe chunk.
        everywhere = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())
        exported = export.export(jax.jit(flat, in_shardings=everywhere))(*args)
        _write(path, exported.serialize())
    return jax.jit(exported.call, in_shardings=exported.in_shardings_jax(mesh))


def _write(path: Path, data: bytes) -> None:
    """Write atomically (a reader never sees half a file); a folder that refuses is not an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".jaxexport")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        pass
