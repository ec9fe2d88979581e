"""Mamba's selective scan (S6) as a gated state space model, in NumPy (float64).

The model, per input channel c = 0..m−1 and state index n = 0..N−1, driven by inputs x_t ∈ R^m:

    Δ_t      = softplus(W_c x_t + b_Δ) ∈ R^m,   W_c = dt_proj_weight @ x_proj_dt  (m×m, rank ≤ r)
    B_t      = x_proj_B x_t ∈ R^N
    A        = −exp(A_log) ∈ R^{m×N}       (every entry strictly negative)
    h_t[c,n] = exp(Δ_t[c] A[c,n]) h_{t−1}[c,n] + Δ_t[c] B_t[n] x_t[c] + w_t[c,n]

The state h ∈ R^{m×N} is flattened row-major to d = m·N (index i = c·N + n).  The update is linear in
the state with an input-dependent *diagonal* transition: h_t = decay(x_t) ⊙ h_{t−1} + drive(x_t) + w_t,
decay(x) = exp(Δ(x)[c] A[c,n]) ∈ (0, 1]^d, drive(x) = Δ(x)[c] B(x)[n] x[c].  This is the paper's gated
form with the gate playing the role of the decay.

Inputs are i.i.d., Gaussian N(0, s² I_m) or Rademacher uniform on {−s, +s}^m.  Because the transition is
diagonal, the quantities that govern memory are per-coordinate expectations of one-dimensional functions
of the scalar u_c = W_c[c]·x + b_c:

* E[Δ_c] (:func:`expected_delta`) and E[exp(Δ_c A[c,n])] (:func:`expected_decay`), computed exactly up to
  quadrature rounding: for Gaussian inputs u_c is N(b_c, s²‖W_c[c]‖²), a one-dimensional integral done
  by composite Gauss–Legendre on panels fine enough to resolve both the Gaussian and the integrand;
  for Rademacher inputs u_c has finitely many atoms, enumerated exactly (equal |weights| merged into
  binomial atoms; refused beyond 2^22 atoms);
* the forgetting rates E[Δ_c]|A[c,n]|, memory lengths, and the top Lyapunov exponent of the recursion.

Parameters come from arrays (:meth:`S6Params.from_arrays`), the ``[model]`` table of a regime of form
``"s6"`` (:func:`s6_from_table`), a checkpoint of a Mamba model (:func:`load_s6_weights`, ``.safetensors``
or ``.npz`` under the reference implementation's tensor names) or Mamba's standard initialisation
(:func:`mamba_init`).  Every refusal is an :class:`S6Error` with a one-line message naming the file (if
any), the key or tensor, and what is wrong.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "S6Error", "S6Params", "LyapunovExponent", "ARRAY_KEYS", "INPUT_LAWS", "MAX_RADEMACHER_ATOMS",
    "softplus", "inverse_softplus", "s6_from_table", "load_s6_weights", "mamba_init",
    "delta", "transition", "s6_step", "expected_delta", "expected_decay", "forgetting_rates",
    "memory_lengths", "lyapunov_exponent", "exact_expectation_reason",
]

ARRAY_KEYS = ("A_log", "dt_proj_weight", "dt_proj_bias", "x_proj_dt", "x_proj_B")
INPUT_LAWS = ("gaussian", "rademacher")
# Exact Rademacher expectations enumerate the atoms of u_c = W_c[c]·x + b_c; beyond this many, refused.
MAX_RADEMACHER_ATOMS = 2 ** 22
# A = −exp(A_log) must be finite and nonzero in float64.
_A_LOG_MAX = 709.0
_A_LOG_MIN = -745.0


class S6Error(ValueError):
    """A refused S6 parameter, file or setting; the message is one line naming the file (if any) and the
    key or tensor, and what is wrong."""


# ---------------------------------------------------------------------------------------------------------
# Small numerics


def softplus(z):
    """softplus(z) = log(1 + e^z), computed stably as max(z, 0) + log1p(e^{−|z|})."""
    z = np.asarray(z, dtype=np.float64)
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def inverse_softplus(y):
    """The z with softplus(z) = y, for y > 0: z = y + log(−expm1(−y)) (stable for small and large y)."""
    y = np.asarray(y, dtype=np.float64)
    return y + np.log(-np.expm1(-y))


def _name(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _dims(shape) -> str:
    return "×".join(str(int(k)) for k in shape)


def _describe(value) -> str:
    if isinstance(value, bool):
        return f"a boolean ({value!r})"
    if isinstance(value, str):
        return f"a string ({value[:40]!r})"
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    return f"a {type(value).__name__}"


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _bad_element(value, path: str = ""):
    """The first element of a nested list that is not a real number, as (path, value), or None."""
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            bad = _bad_element(v, f"{path}[{i}]")
            if bad is not None:
                return bad
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return path, value
    return None


def _array(value, key: str, ndim: int, where: str) -> np.ndarray:
    """``value`` as a read-only float64 array of ``ndim`` dimensions with finite entries, or S6Error."""
    name = _name(where, key)
    what = ("a 1-D array (list) of finite numbers" if ndim == 1
            else "a 2-D array (list of equal-length lists) of finite numbers")
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "O":
            value = value.tolist()
        elif value.dtype.kind not in "fiu":
            raise S6Error(f"{name}: must be {what}, got an array of dtype {value.dtype}")
    elif not isinstance(value, (list, tuple)):
        raise S6Error(f"{name}: must be {what}, got {_describe(value)}")
    if not isinstance(value, np.ndarray):
        bad = _bad_element(value)
        if bad is not None:
            raise S6Error(f"{name}: must be {what}, got {_describe(bad[1])} at {bad[0] or 'top level'}")
    try:
        arr = np.array(value, dtype=np.float64)
    except (ValueError, TypeError, OverflowError):
        raise S6Error(f"{name}: must be {what}; its rows have unequal lengths") from None
    if arr.ndim != ndim:
        raise S6Error(f"{name}: must be {what}, got shape {tuple(arr.shape)}")
    if arr.size == 0:
        raise S6Error(f"{name}: must not be empty, got shape {tuple(arr.shape)}")
    finite = np.isfinite(arr)
    if not finite.all():
        idx = tuple(int(k) for k in np.argwhere(~finite)[0])
        raise S6Error(f"{name}: must be {what}, got {arr[idx]!r} at {list(idx)}")
    arr.setflags(write=False)
    return arr


def _check_a_log(A_log: np.ndarray, name: str) -> None:
    bad = ~((A_log > _A_LOG_MIN) & (A_log < _A_LOG_MAX))
    if bad.any():
        idx = tuple(int(k) for k in np.argwhere(bad)[0])
        raise S6Error(f"{name}: every entry must lie in ({_A_LOG_MIN:g}, {_A_LOG_MAX:g}) so that A = −exp(A_log) "
                      f"is finite and nonzero; entry {list(idx)} is {float(A_log[idx])!r}")


def _validated(arrays: Mapping, where: str) -> dict[str, np.ndarray]:
    """The five arrays, converted and checked for types, finiteness, shapes and the A_log range."""
    A_log = _array(arrays["A_log"], "A_log", 2, where)
    m, N = A_log.shape
    dtw = _array(arrays["dt_proj_weight"], "dt_proj_weight", 2, where)
    if dtw.shape[0] != m:
        raise S6Error(f"{_name(where, 'dt_proj_weight')}: shape {dtw.shape} but A_log is {m}×{N}, so "
                      f"dt_proj_weight must have {m} rows (m×r)")
    r = dtw.shape[1]
    dtb = _array(arrays["dt_proj_bias"], "dt_proj_bias", 1, where)
    if dtb.shape != (m,):
        raise S6Error(f"{_name(where, 'dt_proj_bias')}: shape {dtb.shape} but A_log is {m}×{N}, so "
                      f"dt_proj_bias must have {m} entries")
    xdt = _array(arrays["x_proj_dt"], "x_proj_dt", 2, where)
    if xdt.shape != (r, m):
        raise S6Error(f"{_name(where, 'x_proj_dt')}: shape {xdt.shape} but A_log is {m}×{N} and dt_proj_weight "
                      f"is {m}×{r}, so x_proj_dt must be {r}×{m}")
    xB = _array(arrays["x_proj_B"], "x_proj_B", 2, where)
    if xB.shape != (N, m):
        raise S6Error(f"{_name(where, 'x_proj_B')}: shape {xB.shape} but A_log is {m}×{N}, so x_proj_B must be "
                      f"{N}×{m} (N×m)")
    _check_a_log(A_log, _name(where, "A_log"))
    return {"A_log": A_log, "dt_proj_weight": dtw, "dt_proj_bias": dtb, "x_proj_dt": xdt, "x_proj_B": xB}


# ---------------------------------------------------------------------------------------------------------
# Parameters


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class S6Params:
    """The parameters of one S6 layer restricted to m channels: validated, float64, read-only.

    Shapes: ``A_log`` (m, N), ``dt_proj_weight`` (m, r), ``dt_proj_bias`` (m,), ``x_proj_dt`` (r, m),
    ``x_proj_B`` (N, m).  Two instances are equal when all five arrays are equal entry by entry (the
    comparison and the hash go through :meth:`key`, a digest of shapes and bytes).
    """

    A_log: np.ndarray
    dt_proj_weight: np.ndarray
    dt_proj_bias: np.ndarray
    x_proj_dt: np.ndarray
    x_proj_B: np.ndarray

    def __post_init__(self):
        checked = _validated({k: getattr(self, k) for k in ARRAY_KEYS}, "S6Params")
        for k, v in checked.items():
            object.__setattr__(self, k, v)

    @classmethod
    def from_arrays(cls, A_log, dt_proj_weight, dt_proj_bias, x_proj_dt, x_proj_B, *, where: str = "") -> "S6Params":
        """Validate and build; errors are prefixed with ``where`` (e.g. ``"regime.toml: model"``)."""
        checked = _validated({"A_log": A_log, "dt_proj_weight": dt_proj_weight, "dt_proj_bias": dt_proj_bias,
                              "x_proj_dt": x_proj_dt, "x_proj_B": x_proj_B}, where)
        return cls(**checked)

    # sizes -------------------------------------------------------------------------------------------
    @property
    def m(self) -> int:
        """Number of input channels."""
        return int(self.A_log.shape[0])

    @property
    def N(self) -> int:
        """State size per channel."""
        return int(self.A_log.shape[1])

    @property
    def r(self) -> int:
        """Rank of the Δ projection (dt rank)."""
        return int(self.dt_proj_weight.shape[1])

    @property
    def d(self) -> int:
        """Flattened state dimension m·N."""
        return self.m * self.N

    # derived arrays ----------------------------------------------------------------------------------
    @property
    def A(self) -> np.ndarray:
        """A = −exp(A_log), (m, N), every entry finite and < 0."""
        return -np.exp(self.A_log)

    @property
    def dt_weight(self) -> np.ndarray:
        """W_c = dt_proj_weight @ x_proj_dt (m×m): Δ = softplus(W_c x + dt_proj_bias)."""
        return self.dt_proj_weight @ self.x_proj_dt

    def arrays(self) -> dict[str, np.ndarray]:
        """The five arrays by their regime key names."""
        return {k: getattr(self, k) for k in ARRAY_KEYS}

    def index(self, c: int, n: int) -> int:
        """Flattened state index of (channel c, state n): c·N + n."""
        if not (0 <= c < self.m and 0 <= n < self.N):
            raise S6Error(f"S6Params.index: (c, n) = ({c}, {n}) out of range for m = {self.m}, N = {self.N}")
        return c * self.N + n

    def restrict(self, channels: Sequence[int]) -> "S6Params":
        """The sub-model on ``channels`` (distinct indices into 0..m−1), with the other channels' inputs
        set to 0: rows of A_log, dt_proj_weight, dt_proj_bias and the matching columns of x_proj_dt and
        x_proj_B are kept."""
        ch = _channel_list(channels, self.m, "S6Params.restrict: channels")
        return S6Params(self.A_log[ch], self.dt_proj_weight[ch], self.dt_proj_bias[ch],
                        self.x_proj_dt[:, ch], self.x_proj_B[:, ch])

    # identity ----------------------------------------------------------------------------------------
    def key(self) -> bytes:
        """A SHA-256 digest of the five arrays' shapes and float64 bytes."""
        cached = self.__dict__.get("_key")
        if cached is None:
            h = hashlib.sha256()
            for k in ARRAY_KEYS:
                a = np.ascontiguousarray(getattr(self, k), dtype=np.float64)
                h.update(f"{k}:{a.shape};".encode())
                h.update(a.tobytes())
            cached = h.digest()
            object.__setattr__(self, "_key", cached)
        return cached

    def __eq__(self, other):
        if not isinstance(other, S6Params):
            return NotImplemented
        return self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    def __repr__(self):
        return f"S6Params(m={self.m}, N={self.N}, r={self.r}, key={self.key().hex()[:12]})"


def _channel_list(channels, size: int, name: str) -> list[int]:
    """``channels`` as a list of distinct ints in 0..size−1, or S6Error naming ``name``."""
    if isinstance(channels, np.ndarray):
        if channels.ndim != 1 or channels.dtype.kind not in "iu":
            raise S6Error(f"{name}: must be a list of channel indices (integers), got an array of dtype "
                          f"{channels.dtype} and shape {channels.shape}")
        channels = channels.tolist()
    if not isinstance(channels, (list, tuple)):
        raise S6Error(f"{name}: must be a list of channel indices (integers), got {_describe(channels)}")
    if not channels:
        raise S6Error(f"{name}: must list at least one channel")
    seen: dict[int, int] = {}
    for i, c in enumerate(channels):
        if not _is_int(c):
            raise S6Error(f"{name}[{i}]: must be an integer channel index, got {_describe(c)}")
        c = int(c)
        if not 0 <= c < size:
            raise S6Error(f"{name}[{i}]: channel index {c} out of range 0..{size - 1} ({size} channels)")
        if c in seen:
            raise S6Error(f"{name}[{i}]: channel {c} repeats {name}[{seen[c]}] (channels must be distinct)")
        seen[c] = i
    return list(seen)


# ---------------------------------------------------------------------------------------------------------
# Regime table


def s6_from_table(model: Mapping, *, regime_file: Path | None, where: str) -> S6Params:
    """Build :class:`S6Params` from the ``[model]`` table of a regime of form ``"s6"``.

    Either the five arrays ``A_log``, ``dt_proj_weight``, ``dt_proj_bias``, ``x_proj_dt``, ``x_proj_B``
    (nested lists), or ``weights = "file.safetensors" | "file.npz"`` with ``layer`` (integer ≥ 0, required)
    and optionally ``channels`` (distinct channel indices; default all), loaded by :func:`load_s6_weights`.
    A relative ``weights`` path is taken relative to the folder of ``regime_file`` (the current directory
    when ``regime_file`` is None).  The keys ``form``, ``noise_cov`` and ``h0`` are ignored here, and so
    are unknown keys (the caller checks them).  ``where`` prefixes every message, e.g.
    ``"regime.toml: model"``.
    """
    if not isinstance(model, Mapping):
        raise S6Error(f"{where}: must be a table, got {_describe(model)}")
    given_arrays = [k for k in ARRAY_KEYS if k in model]
    if "weights" in model:
        if given_arrays:
            raise S6Error(f"{_name(where, 'weights')}: give either weights (with layer and channels) or the five "
                          f"arrays {', '.join(ARRAY_KEYS)}, not both (found weights and {', '.join(given_arrays)})")
        weights = model["weights"]
        if not isinstance(weights, str) or not weights.strip():
            raise S6Error(f"{_name(where, 'weights')}: must be the path of a .safetensors or .npz file (a string), "
                          f"got {_describe(weights)}")
        if "layer" not in model:
            raise S6Error(f"{_name(where, 'layer')}: missing (weights needs the layer to read, an integer ≥ 0)")
        layer = model["layer"]
        if not _is_int(layer) or layer < 0:
            raise S6Error(f"{_name(where, 'layer')}: must be an integer ≥ 0, got {_describe(layer)}")
        channels = model.get("channels")
        if channels is not None:
            if not isinstance(channels, (list, tuple)):
                raise S6Error(f"{_name(where, 'channels')}: must be a list of channel indices (integers), "
                              f"got {_describe(channels)}")
            for i, c in enumerate(channels):
                if _is_int(c) and c < 0:
                    raise S6Error(f"{_name(where, 'channels')}[{i}]: channel indices must be ≥ 0, got {c}")
            # types and distinctness checked here; the range (0..d_inner−1) once the file is read
            _channel_list(channels, 2 ** 62, _name(where, "channels"))
        path = Path(weights)
        if not path.is_absolute() and regime_file is not None:
            path = Path(regime_file).parent / path
        try:
            return load_s6_weights(path, int(layer), channels)
        except S6Error as e:
            raise S6Error(f"{_name(where, 'weights')}: {e}") from None
    for k in ("layer", "channels"):
        if k in model:
            raise S6Error(f"{_name(where, k)}: only allowed together with weights (a checkpoint file)")
    missing = [k for k in ARRAY_KEYS if k not in model]
    if missing:
        raise S6Error(f"{_name(where, missing[0])}: missing (form \"s6\" needs either the five arrays "
                      f"{', '.join(ARRAY_KEYS)} or weights and layer)")
    return S6Params.from_arrays(*(model[k] for k in ARRAY_KEYS), where=where)


# ---------------------------------------------------------------------------------------------------------
# Checkpoints

_SUFFIXES = (".safetensors", ".npz")
_LAYER_RE = re.compile(r"(?:^|\.)layers\.(\d+)\.mixer\.")


def _ranges(values: Sequence[int]) -> str:
    """Sorted integers written as runs: [0, 1, 2, 5] -> '0..2, 5'."""
    values = sorted(set(values))
    out, start = [], None
    for i, v in enumerate(values):
        if start is None:
            start = v
        if i + 1 == len(values) or values[i + 1] != v + 1:
            out.append(str(start) if start == v else f"{start}..{v}")
            start = None
    return ", ".join(out)


class _Reader:
    """Lazy access to the tensors of a .safetensors or .npz file (only the needed tensors are read)."""

    def __init__(self, path: Path, label: str):
        self.label = label
        self.kind = path.suffix.lower()
        try:
            if self.kind == ".safetensors":
                from safetensors import safe_open   # lazy: keeps `import ssmverify.theorems.s6` light
                self._cm = safe_open(str(path), framework="numpy")
                self._handle = self._cm.__enter__()
                self.keys = list(self._handle.keys())
            else:
                self._cm = None
                with open(path, "rb") as fh:
                    if fh.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):
                        raise ValueError("not a zip archive (an .npz file is one)")
                self._handle = np.load(path, allow_pickle=False)
                if not hasattr(self._handle, "files"):
                    raise ValueError("it holds a single .npy array, not an .npz archive of named tensors")
                self.keys = list(self._handle.files)
        except S6Error:
            raise
        except Exception as e:   # corrupt header, not a zip, truncated file, ...
            raise S6Error(f"{label}: cannot read as {self.kind[1:]}: {_one_line(e)}") from None

    def get(self, name: str) -> np.ndarray:
        try:
            if self.kind == ".safetensors":
                return np.asarray(self._handle.get_tensor(name))
            return np.asarray(self._handle[name])
        except Exception as e:   # unsupported dtype, truncated data, pickled object arrays, ...
            raise S6Error(f"{self.label}: tensor '{name}': cannot be read: {_one_line(e)}") from None

    def close(self):
        try:
            if self._cm is not None:
                self._cm.__exit__(None, None, None)
            else:
                self._handle.close()
        except Exception:
            pass


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text[:200]


def _as_float64(arr: np.ndarray, label: str, name: str) -> np.ndarray:
    if arr.dtype.kind in "bcOSUM":
        raise S6Error(f"{label}: tensor '{name}': must hold real floating-point numbers, got dtype {arr.dtype}")
    try:
        return np.asarray(arr, dtype=np.float64)   # float16/32, bfloat16 (ml_dtypes) and ints convert
    except (TypeError, ValueError) as e:
        raise S6Error(f"{label}: tensor '{name}': dtype {arr.dtype} cannot be converted to float64: "
                      f"{_one_line(e)}") from None


def _check_finite(arr: np.ndarray, label: str, name: str, what: str = "") -> None:
    finite = np.isfinite(arr)
    if not finite.all():
        idx = [int(k) for k in np.argwhere(~finite)[0]]
        raise S6Error(f"{label}: tensor '{name}': non-finite value {arr[tuple(idx)]!r} at {idx}{what}")


def load_s6_weights(path, layer: int, channels: Sequence[int] | None = None) -> S6Params:
    """Read one Mamba layer's S6 parameters from a ``.safetensors`` or ``.npz`` checkpoint.

    The layer's tensors are found by their names in the reference implementation, with any prefix
    (``backbone.`` in mamba_ssm, ``model.`` elsewhere): ``…layers.{layer}.mixer.A_log`` (d_inner, N),
    ``….x_proj.weight`` (r + 2N, d_inner), whose rows are the Δ part (r rows), the B part (N rows) and the
    C part (N rows, not needed here), ``….dt_proj.weight`` (d_inner, r) and ``….dt_proj.bias``
    (d_inner,).  Exactly one prefix must hold the layer.  r is read from dt_proj.weight, N from A_log.

    ``channels`` (distinct indices into 0..d_inner−1, default all) keeps those channels' rows of A_log,
    dt_proj.weight and dt_proj.bias and their columns of the Δ and B projections: the result is the
    sub-model on those channels with every other channel's input set to 0 (its Δ and B then see only the
    kept channels).  Any real dtype (float16, bfloat16, float32, ...) is converted to float64.

    Every refusal is an :class:`S6Error` naming the file and the tensor (or ``layer`` / ``channels``).
    """
    path = Path(path)
    label = str(path)
    if not _is_int(layer) or layer < 0:
        raise S6Error(f"{label}: layer must be an integer ≥ 0, got {_describe(layer)}")
    layer = int(layer)
    if path.suffix.lower() not in _SUFFIXES:
        raise S6Error(f"{label}: unknown file type {path.suffix or '(no suffix)'!r}: weights must be a "
                      ".safetensors or .npz file")
    if not path.exists():
        raise S6Error(f"{label}: file not found")
    if not path.is_file():
        raise S6Error(f"{label}: not a file")
    reader = _Reader(path, label)
    try:
        return _load_layer(reader, label, layer, channels)
    finally:
        reader.close()


def _load_layer(reader: _Reader, label: str, layer: int, channels) -> S6Params:
    keys = reader.keys
    layers = sorted({int(mt.group(1)) for k in keys for mt in [_LAYER_RE.search(k)] if mt})
    present = (f"layers present: {_ranges(layers)}" if layers
               else "the file holds no 'layers.K.mixer.' tensors")
    suffix = f"layers.{layer}.mixer."
    anchor = suffix + "A_log"
    prefixes = sorted({k[: -len(anchor)] for k in keys
                       if k.endswith(anchor) and (len(k) == len(anchor) or k[-len(anchor) - 1] == ".")})
    if not prefixes:
        raise S6Error(f"{label}: tensor '…{anchor}' missing ({present})")
    if len(prefixes) > 1:
        raise S6Error(f"{label}: tensor '…{anchor}' is ambiguous: found under the prefixes "
                      f"{', '.join(repr(p) for p in prefixes)}")
    prefix = prefixes[0]
    names = {part: f"{prefix}{suffix}{part}" for part in ("A_log", "x_proj.weight", "dt_proj.weight", "dt_proj.bias")}
    key_set = set(keys)
    for name in names.values():
        if name not in key_set:
            raise S6Error(f"{label}: tensor '{name}' missing ({present})")
    tensors = {part: reader.get(name) for part, name in names.items()}
    for part, ndim in (("A_log", 2), ("x_proj.weight", 2), ("dt_proj.weight", 2), ("dt_proj.bias", 1)):
        shape = tuple(tensors[part].shape)
        if len(shape) != ndim or 0 in shape:
            raise S6Error(f"{label}: tensor '{names[part]}': must be a non-empty {ndim}-D array, got shape {shape}")
    d_inner, N = tensors["A_log"].shape
    dtw_shape = tuple(tensors["dt_proj.weight"].shape)
    if dtw_shape[0] != d_inner:
        raise S6Error(f"{label}: tensor '{names['dt_proj.weight']}': shape {dtw_shape} but A_log is {d_inner}×{N}, "
                      f"so dt_proj.weight must have {d_inner} rows (d_inner×r)")
    r = dtw_shape[1]
    if tuple(tensors["dt_proj.bias"].shape) != (d_inner,):
        raise S6Error(f"{label}: tensor '{names['dt_proj.bias']}': shape {tuple(tensors['dt_proj.bias'].shape)} but "
                      f"A_log is {d_inner}×{N}, so dt_proj.bias must have {d_inner} entries")
    xp_shape = tuple(tensors["x_proj.weight"].shape)
    if xp_shape != (r + 2 * N, d_inner):
        raise S6Error(f"{label}: tensor '{names['x_proj.weight']}': shape {xp_shape} but dt_proj.weight is "
                      f"{d_inner}×{r} and A_log is {d_inner}×{N}, so x_proj.weight must be (r + 2N)×d_inner = "
                      f"{r + 2 * N}×{d_inner} (rows: Δ part, B part, C part)")
    if channels is None:
        ch = list(range(d_inner))
    else:
        ch = _channel_list(channels, d_inner, f"{label}: channels")
    sel = np.asarray(ch, dtype=np.intp)
    A_log = _as_float64(tensors["A_log"], label, names["A_log"])[sel]
    dtw = _as_float64(tensors["dt_proj.weight"], label, names["dt_proj.weight"])[sel]
    dtb = _as_float64(tensors["dt_proj.bias"], label, names["dt_proj.bias"])[sel]
    xp = _as_float64(tensors["x_proj.weight"], label, names["x_proj.weight"])
    x_dt, x_B = xp[:r][:, sel], xp[r:r + N][:, sel]
    what = "" if channels is None else " (of the selected channels)"
    _check_finite(A_log, label, names["A_log"], what)
    _check_finite(dtw, label, names["dt_proj.weight"], what)
    _check_finite(dtb, label, names["dt_proj.bias"], what)
    _check_finite(xp[: r + N][:, sel], label, names["x_proj.weight"], " (Δ and B rows" +
                  (", selected channels)" if channels is not None else ")"))
    _check_a_log(A_log, f"{label}: tensor '{names['A_log']}'")
    return S6Params.from_arrays(A_log, dtw, dtb, x_dt, x_B, where=f"{label}: layer {layer}")


# ---------------------------------------------------------------------------------------------------------
# Initialisation


def mamba_init(m: int, N: int, r: int | None = None, *, seed: int = 0, dt_min: float = 1e-3,
               dt_max: float = 1e-1, dt_init_floor: float = 1e-4) -> S6Params:
    """Mamba's standard initialisation of one layer with m channels, state size N and dt rank r.

    * A: the S4D-real initialisation A[c, n] = −(n + 1), i.e. A_log[c, n] = log(n + 1);
    * dt bias: Δ0 drawn log-uniformly in [dt_min, dt_max], raised to at least dt_init_floor, and stored
      as its inverse softplus Δ0 + log(−expm1(−Δ0)) so that softplus(bias) = Δ0;
    * dt_proj_weight: uniform in [−r^{−1/2}, r^{−1/2}] (the reference's dt_init="random", dt_scale = 1);
    * x_proj (Δ, B and C rows): uniform in [−1/√m, 1/√m], torch's default nn.Linear initialisation with
      fan_in = m; the C rows are drawn and discarded.
    r defaults to ceil(m / 16).  Deterministic in ``seed`` (numpy's PCG64 Generator).
    """
    for name, v in (("m", m), ("N", N)):
        if not _is_int(v) or v < 1:
            raise S6Error(f"mamba_init: {name} must be an integer ≥ 1, got {_describe(v)}")
    if r is None:
        r = math.ceil(m / 16)
    if not _is_int(r) or r < 1:
        raise S6Error(f"mamba_init: r must be an integer ≥ 1, got {_describe(r)}")
    if not _is_int(seed) or seed < 0:
        raise S6Error(f"mamba_init: seed must be an integer ≥ 0, got {_describe(seed)}")
    for name, v in (("dt_min", dt_min), ("dt_max", dt_max), ("dt_init_floor", dt_init_floor)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                or not math.isfinite(v) or v <= 0:
            raise S6Error(f"mamba_init: {name} must be a finite number > 0, got {_describe(v)}")
    if dt_min > dt_max:
        raise S6Error(f"mamba_init: dt_min = {dt_min!r} must be ≤ dt_max = {dt_max!r}")
    m, N, r = int(m), int(N), int(r)
    rng = np.random.Generator(np.random.PCG64(int(seed)))
    dt_std = r ** -0.5
    dt_proj_weight = rng.uniform(-dt_std, dt_std, size=(m, r))
    dt0 = np.exp(rng.uniform(size=m) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min))
    dt0 = np.maximum(dt0, dt_init_floor)
    dt_proj_bias = inverse_softplus(dt0)
    bound = 1.0 / math.sqrt(m)
    x_proj = rng.uniform(-bound, bound, size=(r + 2 * N, m))
    A_log = np.log(np.broadcast_to(np.arange(1, N + 1, dtype=np.float64), (m, N)))
    return S6Params.from_arrays(A_log, dt_proj_weight, dt_proj_bias, x_proj[:r], x_proj[r:r + N],
                                where="mamba_init")


# ---------------------------------------------------------------------------------------------------------
# The recursion


def _inputs(params: S6Params, x, name: str = "x") -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 1 or x.shape[-1] != params.m:
        raise S6Error(f"{name}: must have last dimension m = {params.m}, got shape {x.shape}")
    return x


def delta(params: S6Params, x) -> np.ndarray:
    """Δ(x) = softplus(W_c x + b_Δ): shape (m,) for one input x (m,), (..., m) for a batch (..., m)."""
    x = _inputs(params, x)
    return softplus(x @ params.dt_weight.T + params.dt_proj_bias)


def transition(params: S6Params, x) -> tuple[np.ndarray, np.ndarray]:
    """The input-dependent affine map h ↦ decay ⊙ h + drive of one step (before the noise w_t).

    decay[c·N + n] = exp(Δ(x)[c] A[c, n]) (the diagonal of M(x)), drive[c·N + n] = Δ(x)[c] B(x)[n] x[c]
    (the vector c(x)), with B(x) = x_proj_B x.  Shapes (d,) each for x (m,), (..., d) for x (..., m).
    """
    x = _inputs(params, x)
    dlt = delta(params, x)                                   # (..., m)
    Bx = x @ params.x_proj_B.T                               # (..., N)
    decay = np.exp(dlt[..., :, None] * params.A)             # (..., m, N)
    drive = dlt[..., :, None] * Bx[..., None, :] * x[..., :, None]
    shape = x.shape[:-1] + (params.d,)
    return decay.reshape(shape), drive.reshape(shape)


def s6_step(params: S6Params, h, x, w) -> np.ndarray:
    """One S6 step on the flattened state: h_t = exp(Δ A) ⊙ h_{t−1} + Δ B x + w_t.

    h (d,), x (m,), w (d,) → (d,); leading batch dimensions broadcast.
    """
    h = np.asarray(h, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if h.shape[-1:] != (params.d,) or w.shape[-1:] != (params.d,):
        raise S6Error(f"s6_step: h and w must have last dimension d = {params.d}, got {h.shape} and {w.shape}")
    decay, drive = transition(params, x)
    return decay * h + drive + w


# ---------------------------------------------------------------------------------------------------------
# Exact expectations over the input law

_GL_X, _GL_W = np.polynomial.legendre.leggauss(12)
_Z_MAX = 38.5          # φ(38.5) ≈ e^{−741}: the Gaussian has no float64 mass beyond


def _check_law(input_law, input_scale) -> float:
    if input_law not in INPUT_LAWS:
        raise S6Error(f"input law must be one of {', '.join(INPUT_LAWS)}, got {input_law!r}")
    if isinstance(input_scale, bool) or not isinstance(input_scale, (int, float, np.integer, np.floating)) \
            or not math.isfinite(input_scale) or input_scale < 0:
        raise S6Error(f"input scale must be a finite number ≥ 0, got {_describe(input_scale)}")
    return float(input_scale)


def _normal_expectation(f, mean: float, sd: float, window: tuple[float, float]) -> np.ndarray:
    """E[f(U)] for U ~ N(mean, sd²), f mapping u (K,) to (K, ...), analytic in the strip |Im u| < π/2
    with |f| bounded there (true of softplus and of exp(A·softplus) with A < 0, and of expm1 of it).

    Composite 12-point Gauss–Legendre over mean ± 38.5 sd, on panels at most sd wide everywhere and at
    most 1 wide (in u) inside ``window``, where f itself varies; outside the window f is (to float64
    accuracy) linear, exponential or constant on the scale of sd.  Error near float64 rounding.
    """
    if sd == 0.0:
        return f(np.array([mean]))[0]
    # Panels are laid out in z = (u − mean)/sd so that the Gaussian weights carry no cancellation.
    pts = [np.arange(-_Z_MAX, _Z_MAX + 0.5, 1.0)]
    wlo, whi = max(window[0], mean - _Z_MAX * sd), min(window[1], mean + _Z_MAX * sd)
    if wlo < whi:
        pts.append((np.arange(math.floor(wlo), math.ceil(whi) + 1.0, 1.0) - mean) / sd)
    bp = np.unique(np.clip(np.concatenate(pts), -_Z_MAX, _Z_MAX))
    a, b = bp[:-1], bp[1:]
    half, mid = (b - a) / 2.0, (a + b) / 2.0
    z = (mid[:, None] + half[:, None] * _GL_X).ravel()
    u = mean + sd * z
    wts = (half[:, None] * _GL_W).ravel() * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return np.tensordot(wts, f(u), axes=(0, 0))


def _atom_groups(weights: np.ndarray, s: float) -> tuple[np.ndarray, np.ndarray]:
    """The distinct nonzero |weights|·s and how many inputs share each (equal ones merge into a binomial)."""
    a = np.abs(weights[weights != 0.0]) * s
    return np.unique(a[a != 0.0], return_counts=True)


def _rademacher_atoms(weights: np.ndarray, s: float, c: int) -> tuple[np.ndarray, np.ndarray]:
    """The exact law of Σ_j weights_j ξ_j with ξ_j uniform on {−s, s}: (values, probabilities).

    Equal |weights| are merged into one binomial factor; zero weights drop out.
    """
    from scipy.stats import binom
    vals, counts = _atom_groups(weights, s)
    size = 1
    for k in counts:
        size *= int(k) + 1
        if size > MAX_RADEMACHER_ATOMS:
            raise S6Error(f"Rademacher inputs: channel {c}: the exact law of W_c[{c}]·x has "
                          f"{math.prod(int(k) + 1 for k in counts) if len(counts) < 64 else 'over 2^64'} atoms "
                          f"(from {int(counts.sum())} nonzero input weights); exact enumeration is limited to "
                          f"{MAX_RADEMACHER_ATOMS} atoms (m ≤ 22 for generic weights)")
    support, prob = np.zeros(1), np.ones(1)
    for v, k in zip(vals, counts):
        i = np.arange(k + 1)
        sv, sp = v * (2 * i - k), binom.pmf(i, k, 0.5)
        support = (support[:, None] + sv[None, :]).ravel()
        prob = (prob[:, None] * sp[None, :]).ravel()
    return support, prob


def exact_expectation_reason(params: S6Params, input_law: str, input_scale) -> str | None:
    """None if the one-dimensional expectations over the input law (:func:`expected_delta`,
    :func:`expected_decay`, ...) can be computed exactly here, else why not: binary inputs whose exact law of
    W_c[c]·x has more than ``MAX_RADEMACHER_ATOMS`` atoms, or a Gaussian spread that overflows float64."""
    try:
        s = _check_law(input_law, input_scale)
        for c in range(params.m):
            if s == 0.0:
                continue
            if input_law == "gaussian":
                if not math.isfinite(s * float(np.linalg.norm(params.dt_weight[c]))):
                    raise S6Error(f"Gaussian inputs: channel {c}: the spread s·‖W_c[{c}]‖ of Δ's argument "
                                  f"overflows float64 (input scale {s!r})")
            elif math.prod(int(k) + 1 for k in _atom_groups(params.dt_weight[c], s)[1]) > MAX_RADEMACHER_ATOMS:
                _rademacher_atoms(params.dt_weight[c], s, c)   # raises, with the message
    except S6Error as exc:
        return f"the exact expectations over the input law cannot be computed: {exc}"
    return None


def _expect(params: S6Params, input_law: str, input_scale, f, window_for) -> np.ndarray:
    """(E[f_c(u_c)])_c with u_c = W_c[c]·x + b_c, x from the input law; f(c, u) -> (K, ...)."""
    s = _check_law(input_law, input_scale)
    Wc, b = params.dt_weight, params.dt_proj_bias
    out = []
    for c in range(params.m):
        fc = (lambda u, c=c: f(c, u))
        if s == 0.0:
            out.append(fc(np.array([b[c]]))[0])
        elif input_law == "gaussian":
            sd = s * float(np.linalg.norm(Wc[c]))
            if not math.isfinite(sd):
                raise S6Error(f"Gaussian inputs: channel {c}: the spread s·‖W_c[{c}]‖ of Δ's argument overflows "
                              f"float64 (input scale {s!r})")
            out.append(_normal_expectation(fc, float(b[c]), sd, window_for(c)))
        else:
            support, prob = _rademacher_atoms(Wc[c], s, c)
            acc = 0.0
            step = max(1, 2 ** 20 // max(1, params.N))
            for k in range(0, support.size, step):       # chunks keep memory bounded
                acc = acc + np.tensordot(prob[k:k + step], fc(b[c] + support[k:k + step]), axes=(0, 0))
            out.append(acc)
    return np.array(out, dtype=np.float64)


def expected_delta(params: S6Params, input_law: str, input_scale: float) -> np.ndarray:
    """E[Δ_c] for c = 0..m−1, shape (m,), under i.i.d. inputs of the given law and scale s.

    Δ_c = softplus(u_c) with u_c = W_c[c]·x + b_c.  Gaussian inputs: u_c ~ N(b_c, s²‖W_c[c]‖²), a 1-D
    integral done by adaptive-panel Gauss–Legendre quadrature (see ``_normal_expectation``).  Rademacher
    inputs: u_c takes finitely many values, enumerated exactly (at most 2^22 of them, else S6Error).
    s = 0 gives softplus(b) exactly.
    """
    return _expect(params, input_law, input_scale, lambda c, u: softplus(u), lambda c: (-40.0, 40.0))


def _decay_expectation(params: S6Params, input_law: str, input_scale: float, fn) -> np.ndarray:
    A, A_log = params.A, params.A_log
    return _expect(params, input_law, input_scale,
                   lambda c, u: fn(softplus(u)[:, None] * A[c][None, :]),
                   lambda c: (-float(A_log[c].max()) - 40.0, 40.0))


def _expected_decay_m1(params: S6Params, input_law: str, input_scale: float) -> np.ndarray:
    """E[exp(Δ_c A[c, n]) − 1], (m, N): kept apart from 1 so that small rates keep their precision."""
    return _decay_expectation(params, input_law, input_scale, np.expm1)


def expected_decay(params: S6Params, input_law: str, input_scale: float) -> np.ndarray:
    """E[exp(Δ_c A[c, n])], shape (m, N): the mean fraction of the state kept per step, exact up to
    quadrature rounding in the same way as :func:`expected_delta` (relative accuracy also when tiny)."""
    return _decay_expectation(params, input_law, input_scale, np.exp)


def forgetting_rates(params: S6Params, input_law: str, input_scale: float) -> np.ndarray:
    """E[Δ_c]·|A[c, n]|, shape (m, N), in nats per step.

    The fraction of a past contribution to h[c, n] that survives k steps is exp(A[c,n] Σ Δ_c over those
    steps); by the law of large numbers its logarithm falls like −k·E[Δ_c]|A[c,n]| almost surely.
    """
    return expected_delta(params, input_law, input_scale)[:, None] * np.abs(params.A)


def _steps_past_one(rate: np.ndarray) -> np.ndarray:
    """The smallest integer k ≥ 1 with k·rate > 1 (inf where rate = 0), as floats."""
    rate = np.asarray(rate, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k = np.floor(1.0 / rate) + 1.0
        k = np.where((k > 1.0) & ((k - 1.0) * rate > 1.0), k - 1.0, k)
        k = np.where(np.isfinite(k) & (k * rate <= 1.0), k + 1.0, k)
    return np.where(rate > 0.0, k, np.inf)


def memory_lengths(params: S6Params, input_law: str, input_scale: float) -> dict[str, np.ndarray]:
    """How many steps a past input's contribution to h[c, n] lasts, two ways, each (m, N) (floats; inf
    where the coordinate never forgets):

    * ``"typical"``: the smallest integer k with k·rate > 1, rate = E[Δ_c]|A[c,n]|
      (:func:`forgetting_rates`), i.e. the typical retained fraction exp(−k·rate) is below 1/e;
    * ``"mean"``: the smallest integer k with E[exp(Δ_c A[c,n])]^k < 1/e, i.e. the retained fraction
      averaged over inputs is below 1/e.  By Jensen's inequality E[exp(ΔA)] ≥ exp(E[ΔA]), so the mean
      length is never shorter than the typical one.
    """
    typical = _steps_past_one(forgetting_rates(params, input_law, input_scale))
    m1 = _expected_decay_m1(params, input_law, input_scale)
    with np.errstate(divide="ignore"):
        mean_rate = -np.log1p(np.maximum(m1, -1.0))
    return {"typical": typical, "mean": _steps_past_one(mean_rate)}


@dataclasses.dataclass(frozen=True)
class LyapunovExponent:
    """The top Lyapunov exponent of the S6 recursion and where it is attained.

    ``exponent`` (nats per step, < 0) = max over (c, n) of A[c, n]·E[Δ_c]; ``channel`` and ``state``
    are the maximising (c, n) (first in row-major order on ties) and ``index`` = c·N + n.
    """

    exponent: float
    channel: int
    state: int
    index: int


def lyapunov_exponent(params: S6Params, input_law: str, input_scale: float) -> LyapunovExponent:
    """The top Lyapunov exponent of h_t = M(x_t) h_{t−1} + c(x_t) + w_t, exactly.

    Two trajectories on the same inputs and noise differ by δ_t = M(x_t) δ_{t−1}, and M is diagonal, so
    δ_t[i] = δ_0[i] ∏ exp(Δ_s[c] A[c, n]); by the law of large numbers (1/t) log|δ_t[i]| → A[c, n] E[Δ_c]
    almost surely.  The top exponent is the largest of these, the slowest-forgetting coordinate.
    """
    rates = expected_delta(params, input_law, input_scale)[:, None] * params.A
    i = int(np.argmax(rates))
    c, n = divmod(i, params.N)
    return LyapunovExponent(float(rates[c, n]), c, n, i)
