"""JSON with explicit non-finite numbers, atomic file writes, and output folders that always hold one complete run."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

import numpy as np

# JSON has no inf/NaN: they are written as the strings "inf", "-inf" and "nan".
_NONFINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def to_jsonable(value):
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return x
    return value


def as_float(value) -> float:
    """A number from results.json (accepts the non-finite strings)."""
    if isinstance(value, str):
        return _NONFINITE[value]
    return float(value) if value is not None else math.nan


def dumps(document) -> str:
    """``document`` as results.json holds it: exactly ``json.dumps(to_jsonable(document), indent=2,
    ensure_ascii=False, allow_nan=False) + "\\n"``, written without the pure-Python indenting encoder (a
    run's document is several MB, mostly flat lists of numbers, which are joined here in one step each)."""
    parts: list[str] = []
    _encode(document, "\n", parts)
    parts.append("\n")
    return "".join(parts)


_encode_str = json.encoder.encode_basestring   # what json.dumps(..., ensure_ascii=False) uses for a string
_NUMBERS = frozenset((int, float))


def _number_list(items: list, newline: str) -> str | None:
    """A list of finite Python ints and floats, indented as json.dumps would; None for any other list."""
    types = set(map(type, items))
    if not types <= _NUMBERS or (float in types and not all(map(math.isfinite, items))):
        return None
    inner = newline + "  "
    return "[" + inner + ("," + inner).join(map(repr, items)) + newline + "]"


def _encode(value, newline: str, parts: list) -> None:
    """Append the JSON text of ``to_jsonable(value)`` at the indentation ``newline`` ("\\n" + spaces)."""
    if isinstance(value, dict):
        if not all(type(k) is str for k in value):
            value = {str(k): v for k, v in value.items()}   # to_jsonable's keys, duplicates collapsed alike
        if not value:
            parts.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            parts.append(separator + _encode_str(key) + ": ")
            separator = "," + inner
            _encode(item, inner, parts)
        parts.append(newline + "}")
        return
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if not value:
            parts.append("[]")
            return
        flat = _number_list(value, newline) if type(value) is list else None
        if flat is not None:
            parts.append(flat)
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            parts.append(separator)
            separator = "," + inner
            _encode(item, inner, parts)
        parts.append(newline + "]")
        return
    parts.append(_scalar(value))


def _scalar(value) -> str:
    if isinstance(value, str):
        return _encode_str(value)
    if value is None:
        return "null"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return int.__repr__(int(value))
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if math.isnan(x):
            return '"nan"'
        if math.isinf(x):
            return '"inf"' if x > 0 else '"-inf"'
        return float.__repr__(x)
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` via a temporary file and rename: no half file after an interrupt."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# --- a folder of byte strings by key (the figure cache) ----------------------------------------------------

class ByteCache:
    """Byte strings stored by key in a folder: ``get(key, suffix)``, ``put(key, suffix, data)``, ``prune()``.

    Each entry is one file ``KEY.SUFFIX``, written atomically, whose first line carries the SHA-256 of the rest:
    an entry that is damaged or half written (a full disk, an edited file) reads as missing, never as data.
    Reading an entry touches it, and ``prune()`` deletes the least recently used entries once the folder
    holds more than ``limit`` bytes (and temporary files that killed runs left).  Any error of the file system
    makes the cache miss or skip a write; it never fails the caller.  Deleting the folder is always safe.
    """

    _MAGIC = b"ssmverify-cache-1 "

    def __init__(self, folder, limit: int = 256 * 2**20):
        self.folder = Path(folder)
        self.limit = limit

    def _path(self, key: str, suffix: str) -> Path:
        return self.folder / f"{key}.{suffix}"

    def get(self, key: str, suffix: str) -> bytes | None:
        path = self._path(key, suffix)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        header, _, payload = raw.partition(b"\n")
        if header != self._MAGIC + hashlib.sha256(payload).hexdigest().encode():
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return payload

    def put(self, key: str, suffix: str, data: bytes) -> None:
        header = self._MAGIC + hashlib.sha256(data).hexdigest().encode() + b"\n"
        with contextlib.suppress(OSError):
            write_atomic(self._path(key, suffix), header + data)

    def prune(self, stale_temporary: float = 3600.0) -> None:
        entries, now = [], time.time()
        try:
            with os.scandir(self.folder) as it:
                for entry in it:
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if entry.name.startswith(".") and entry.name.endswith(".tmp"):
                        if now - st.st_mtime > stale_temporary:
                            with contextlib.suppress(OSError):
                                os.unlink(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        entries.append((st.st_mtime, st.st_size, entry.path))
        except OSError:
            return
        total = sum(size for _, size, _ in entries)
        if total <= self.limit:
            return
        for _, size, path in sorted(entries):   # oldest first, down to 80 % of the limit
            with contextlib.suppress(OSError):
                os.unlink(path)
                total -= size
            if total <= 0.8 * self.limit:
                break


# --- test hooks ----------------------------------------------------------------------------------------

TEST_HOOK = "SSMVERIFY_TEST_HOOK"


def test_hook_active(stage: str) -> bool:
    """Whether the environment asks to pause at ``stage`` (tests only: ``SSMVERIFY_TEST_HOOK=STAGE[:SECONDS]``)."""
    return os.environ.get(TEST_HOOK, "").partition(":")[0] == stage


def test_hook(stage: str) -> None:
    """For the kill and interrupt tests: with ``SSMVERIFY_TEST_HOOK=STAGE[:SECONDS]``, say so on stderr and
    pause at ``stage`` (default 60 s) so that a test can signal the process at a known moment.  Stages:
    ``start`` (in ``checks.cli.main``, before anything is imported), ``simulate`` (before the second row),
    ``figures`` (in a figure worker), ``write`` (between report files), ``swap`` (between the two renames of
    the folder swap), ``committed`` (after the swap).  Does nothing otherwise."""
    if not test_hook_active(stage):
        return
    seconds = os.environ[TEST_HOOK].partition(":")[2]
    print(f"ssmverify-test-hook: {stage} (pid {os.getpid()})", file=sys.stderr, flush=True)
    time.sleep(float(seconds or 60.0))


# --- the output folder: always one complete run --------------------------------------------------------

class FolderError(ValueError):
    """An output folder that cannot be used (the caller passes its own error class instead)."""


_LOCK, _NEW, _OLD = ".ssmverify-lock", ".ssmverify-new-", ".ssmverify-old-"
_PROBE = ".ssmverify-write-test"


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 with RENAME_EXCHANGE); False where that is unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _remove(path: Path) -> None:
    if os.path.islink(path) or not os.path.isdir(path):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    else:
        shutil.rmtree(path, ignore_errors=True)


class OutputFolder:
    """An output folder that always holds one complete run: the old one or the new one, nothing between.

    ``open()`` validates the path (no side effect yet), creates the missing parents, takes the lock
    (``.NAME.ssmverify-lock`` beside the folder, an advisory ``flock`` that dies with its process; its text
    says which run holds it), cleans what a killed run left (its staging folders are removed; a folder it
    had renamed aside is put back when the folder itself is missing), then creates the staging folder
    ``.NAME.ssmverify-new-…`` beside it and proves it writable.  The run writes into ``staging``;
    ``commit()`` carries over the files of the old folder the tool does not own (``owned(relative path,
    is_dir)``), then swaps the staging folder in (one atomic exchange on Linux; elsewhere the old folder
    is renamed aside, the new one renamed in, the old one deleted) and deletes the old run.
    ``close()`` (or leaving the ``with`` block) removes the staging folder of a run that did not commit,
    the parents it created, and the lock.

    A folder that exists must be empty, hold ``marker`` (a run of this tool) or hold only files the tool
    owns: anything else is refused rather than replaced.
    """

    def __init__(self, path, *, option: str = "--out", marker: str = "results.json", owned=None,
                 error: type[Exception] = FolderError):
        self.option, self.marker, self.error = option, marker, error
        self.owned = owned or (lambda rel, is_dir: False)
        text = os.fspath(path) if not isinstance(path, str) else path
        if not text:
            raise error(f"{option}: an empty path names no folder")
        if "\0" in text:
            raise error(f"{option}: the path contains a NUL byte")
        self.given = text
        absolute = Path(os.path.abspath(text))
        self.path = Path(os.path.realpath(absolute)) if os.path.islink(absolute) else absolute
        self.parent, self.name = self.path.parent, self.path.name
        self.lock_path = self.parent / f".{self.name}{_LOCK}"
        self.staging: Path | None = None
        self.committed = False
        self._lock_fd: int | None = None
        self._created: list[Path] = []

    # -- checks without side effects ------------------------------------------------------------------

    def _fail(self, problem: str):
        raise self.error(f"{self.option} {self.given}: {problem}")

    def foreign(self) -> list[str]:
        """Entries of the existing folder the tool does not own (relative paths)."""
        out = []
        for root, dirs, files in os.walk(self.path):
            rel_root = Path(root).relative_to(self.path)
            for name in dirs + files:
                rel = rel_root / name
                full = Path(root) / name
                is_dir = full.is_dir() and not full.is_symlink()
                if not self.owned(rel, is_dir) and not (name.startswith(".") and name.endswith(".tmp")):
                    out.append(str(rel))
            dirs[:] = [d for d in dirs if self.owned(rel_root / d, True)]   # inside a foreign folder: all foreign
        return out

    def check(self) -> None:
        """Refuse a path that cannot become the output folder; creates and changes nothing."""
        if self.name in ("", ".", "..") or self.path == self.path.parent:
            self._fail("not a folder that can be replaced (a file system root, '.' or '..')")
        try:
            here = Path(os.path.realpath(os.getcwd()))
        except OSError:
            here = None
        if here is not None and (here == self.path or self.path in here.parents):
            self._fail("the current folder (or one above it) cannot be replaced by a run; name a folder below it")
        if os.path.islink(self.given) and not self.path.exists():
            self._fail("a symbolic link to nothing")
        probe = self.path
        while not os.path.lexists(probe):
            probe = probe.parent
        if probe != self.path and not probe.is_dir():
            self._fail(f"{probe} is a file, so no folder can be made under it")
        if probe == self.path:
            if not self.path.is_dir():
                self._fail("exists and is not a folder")
            if not (self.path / self.marker).is_file():
                try:
                    foreign = self.foreign()
                except OSError as exc:
                    self._fail(f"cannot be read: {exc.strerror or exc}")
                if foreign:
                    self._fail(f"holds files that are not from an ssmverify run ({', '.join(foreign[:3])}"
                               f"{', …' if len(foreign) > 3 else ''}) and no {self.marker}; refusing to replace "
                               f"it: choose an empty or new folder")
            if not os.access(self.path, os.W_OK | os.X_OK):
                self._fail("no permission to replace its contents")
            probe = self.parent
        if not os.access(probe, os.W_OK | os.X_OK):
            self._fail(f"no permission to write in {probe}")
        if fcntl is not None and self.lock_path.is_file():   # in use now? (checked for real by open())
            try:
                fd = os.open(self.lock_path, os.O_RDONLY)
            except OSError:
                return
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                self._fail(f"is in use by another ssmverify run ({self._holder()}; lock {self.lock_path}); "
                           f"wait for it to finish or choose another {self.option}")
            finally:
                os.close(fd)

    # -- lock --------------------------------------------------------------------------------------------

    def _holder(self) -> str:
        try:
            info = json.loads(self.lock_path.read_text(encoding="utf-8"))
            return f"pid {int(info['pid'])}, started {info['started']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "a process whose lock file cannot be read"

    def _lock(self) -> None:
        info = json.dumps({"pid": os.getpid(), "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                           "command": " ".join(sys.argv)}, ensure_ascii=True) + "\n"
        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                elif not _claim_without_flock(self.lock_path, fd):
                    raise BlockingIOError
            except (BlockingIOError, PermissionError):
                os.close(fd)
                self._fail(f"is in use by another ssmverify run ({self._holder()}; lock {self.lock_path}); "
                           f"wait for it to finish or choose another {self.option}")
            try:   # the file may have been removed (and re-created) by its last holder meanwhile: retry then
                same = os.path.samestat(os.fstat(fd), os.stat(self.lock_path))
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, info.encode())
            self._lock_fd = fd
            return

    def _unlock(self) -> None:
        if self._lock_fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.lock_path)   # while still holding it: a newcomer that opened it retries
        os.close(self._lock_fd)
        self._lock_fd = None

    # -- life cycle --------------------------------------------------------------------------------------

    def recover(self) -> list[str]:
        """Clean what killed runs left beside the folder (call with the lock held). Returns what was done."""
        done = []
        try:
            entries = sorted(self.parent.iterdir())
        except OSError:
            return done
        new = [p for p in entries if p.name.startswith(f".{self.name}{_NEW}")]
        old = sorted((p for p in entries if p.name.startswith(f".{self.name}{_OLD}")),
                     key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for p in new:
            _remove(p)
            done.append(f"removed {p.name}")
        if old and not os.path.lexists(self.path):
            os.rename(old[0], self.path)
            done.append(f"restored {self.path.name} from {old[0].name}")
            old = old[1:]
        for p in old:
            _remove(p)
            done.append(f"removed {p.name}")
        return done

    def open(self) -> "OutputFolder":
        self.check()
        try:
            missing = []
            probe = self.parent
            while not probe.exists():
                missing.append(probe)
                probe = probe.parent
            for folder in reversed(missing):
                folder.mkdir()
                self._created.append(folder)
            self._lock()
            self.recover()
            token = f"{os.getpid()}-{os.urandom(4).hex()}"
            staging = self.parent / f".{self.name}{_NEW}{token}"
            staging.mkdir()
            self.staging = staging
            probe_file = staging / _PROBE
            with open(probe_file, "wb") as fh:
                fh.write(b"ssmverify\n")
            os.unlink(probe_file)
        except OSError as exc:
            self.close()
            self._fail(f"cannot write there: {exc.strerror or exc}")
        except BaseException:
            self.close()
            raise
        return self

    def _carry_over(self) -> None:
        """Hard-link (or copy) the old folder's files that the tool does not own into the staging folder."""
        if not self.path.is_dir():
            return
        for root, dirs, files in os.walk(self.path):
            rel_root = Path(root).relative_to(self.path)
            links = [d for d in dirs if os.path.islink(os.path.join(root, d))]
            dirs[:] = [d for d in dirs if d not in links]
            for name in dirs:
                rel = rel_root / name
                if not self.owned(rel, True):
                    (self.staging / rel).mkdir(parents=True, exist_ok=True)
            for name in files + links:
                rel = rel_root / name
                if self.owned(rel, False) or (name.startswith(".") and name.endswith(".tmp")):
                    continue
                src, dst = Path(root) / name, self.staging / rel
                if os.path.lexists(dst):
                    continue
                dst.parent.mkdir(parents=True, exist_ok=True)
                if os.path.islink(src):
                    os.symlink(os.readlink(src), dst)
                    continue
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copy2(src, dst)

    def commit(self) -> None:
        """Swap the staging folder in; from here on the folder holds the new run."""
        try:
            self._carry_over()
        except OSError as exc:
            self._fail(f"cannot carry the files of the old folder over into the new run: {exc.strerror or exc}")
        old = None
        if not os.path.lexists(self.path):
            os.rename(self.staging, self.path)
        elif not test_hook_active("swap") and _exchange(self.staging, self.path):
            old = self.staging                     # holds the old run now
        else:
            old = self.parent / f".{self.name}{_OLD}{os.getpid()}-{os.urandom(4).hex()}"
            os.rename(self.path, old)
            test_hook("swap")
            try:
                os.rename(self.staging, self.path)
            except BaseException:
                os.rename(old, self.path)
                raise
        self.committed = True
        self.staging = None
        if old is not None:
            _remove(old)

    def close(self) -> None:
        if self.staging is not None:
            _remove(self.staging)
            self.staging = None
        self._unlock()
        if not self.committed:
            for folder in reversed(self._created):   # the parents this run made, innermost first
                with contextlib.suppress(OSError):
                    folder.rmdir()
            self._created = []

    def __enter__(self) -> "OutputFolder":
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()


def _claim_without_flock(lock_path: Path, fd: int) -> bool:
    """Where flock is missing: the lock is ours when the file is empty or names a process that is gone."""
    try:
        info = json.loads(os.read(fd, 4096) or b"{}")
        pid = int(info.get("pid", 0))
    except (ValueError, TypeError, AttributeError):
        return True
    if pid <= 0 or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False
