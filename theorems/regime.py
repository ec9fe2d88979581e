"""Regime files: a TOML description of one model, validated strictly.

The schema (README "Regime files") is a public contract.  Every error names
the file, the key and what is wrong, and is raised as :class:`RegimeError`
before anything is simulated or written.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import math
import tomllib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .._errors import SsmverifyError
from ._claim import Setting
from .model import Model
from .s6 import S6Error, S6Params, s6_from_table

__all__ = ["Regime", "RegimeError", "load_regime", "parse_regime", "MAX_STEPS", "MAX_REGIME_BYTES",
           "PARAMETRIC_GATES", "gate_activation"]

# Sizes refused before anything is parsed or simulated (README "Exit statuses, size estimate, output folder").
MAX_REGIME_BYTES = 16 * 2**20   # a regime file is at most 16 MiB (a dense 3000 × 3000 model is larger)
MAX_STEPS = 1_000_000           # any ``steps`` setting; the run's size estimate refuses far less than this

# The optional per-claim tables, ``table -> {key: Setting}``: not written here but built from the claims'
# own declarations (``Claim.settings``) as each claim is registered (:func:`declare_settings`; the paper's
# claims in ``theorems/__init__``, a plugin's when it is loaded).  Lengths default to multiples of the
# regime's own scale (Regime.length_scale), so that they follow the units the state is measured in.
SETTINGS_TABLES: dict[str, dict[str, Setting]] = {}

_BASE_KEYS = {"name", "description", "claims", "model", "inputs"}


def declare_settings(claim) -> None:
    """Add the regime tables ``claim`` reads to the schema.  A table may be shared by several claims if they
    declare it identically; a different declaration, or a table named like a top-level key, is refused
    (ValueError naming the claim and the table) and nothing is added."""
    for table, keys in claim.settings.items():
        if not isinstance(table, str) or not table.isidentifier() or table in _BASE_KEYS:
            raise ValueError(f"claim {claim.id!r}: settings table {table!r} must be an identifier other than "
                             f"{', '.join(sorted(_BASE_KEYS))}")
        if not all(isinstance(s, Setting) for s in keys.values()):
            raise ValueError(f"claim {claim.id!r}: settings table [{table}]: every key must map to a Setting")
        known = SETTINGS_TABLES.get(table)
        if known is not None and known != dict(keys):
            raise ValueError(f"claim {claim.id!r}: settings table [{table}] is declared differently by another "
                             "claim (claims may share a table only with identical keys, kinds and defaults)")
    for table, keys in claim.settings.items():
        SETTINGS_TABLES[table] = dict(keys)
_MODEL_KEYS = {"form", "A", "B", "noise_cov", "h0", "gate"}
# Form "s6" (Mamba's selective scan): no A, B or gate table; its own arrays, or a checkpoint file.
_S6_MODEL_KEYS = {"form", "noise_cov", "h0", "A_log", "dt_proj_weight", "dt_proj_bias", "x_proj_dt", "x_proj_B",
                  "weights", "layer", "channels"}
FORMS = ("gated", "leaky", "s6")
_GATE_KEYS = {"constant": {"kind", "value"}, "sigmoid": {"kind", "W", "U", "b"}, "tanh": {"kind", "W", "U", "b"}}
# The parametric gates g_i = φ(W_i·x + U_i·h + b_i): the sigmoid (§3.0.4, values in (0, 1)) and tanh (§3.0.5, as the
# paper writes it: values in (−1, 1), outside the [0, 1] its model assumes elsewhere).
PARAMETRIC_GATES = ("sigmoid", "tanh")


def gate_activation(kind: str, z):
    """φ(z) of a parametric gate, NumPy: σ(z) = 1/(1 + e^{−z}) or tanh z."""
    z = np.asarray(z, dtype=np.float64)
    if kind == "tanh":
        return np.tanh(z)
    if kind != "sigmoid":
        raise ValueError(f"not a parametric gate kind: {kind!r}")
    with np.errstate(over="ignore"):   # exp(−z) = inf for z < −709: σ = 0, as it should be
        return 1.0 / (1.0 + np.exp(-z))


_INPUT_KEYS = {"law", "scale"}


class RegimeError(SsmverifyError, ValueError):
    """A regime file that cannot be used; the message names file and key."""


@dataclasses.dataclass(frozen=True)
class Regime:
    """One validated regime.  Arrays are NumPy float64."""

    name: str
    source: str                       # file path, or "builtin:NAME"
    claims: tuple[str, ...] | None    # None: every claim that applies
    form: str
    A: np.ndarray
    B: np.ndarray
    noise_cov: np.ndarray             # always d×d
    h0: np.ndarray
    gate_kind: str
    gate_value: np.ndarray | None     # constant gate, length d
    W: np.ndarray | None
    U: np.ndarray | None
    b: np.ndarray | None
    input_law: str
    input_scale: float
    description: str = ""
    settings: dict = dataclasses.field(default_factory=dict)
    s6: S6Params | None = None        # form "s6": Mamba's selective scan (A, B then hold only the shapes)

    @property
    def d(self) -> int:
        return self.A.shape[0]

    @property
    def m(self) -> int:
        return self.B.shape[1]

    @property
    def gate_is_parametric(self) -> bool:
        """A gate φ(W x + U h + b) (sigmoid or tanh), not the constant one."""
        return self.gate_kind in PARAMETRIC_GATES

    @property
    def gate_depends_on_state(self) -> bool:
        return self.gate_is_parametric and bool(np.any(self.U != 0.0))

    def gate_of(self, z):
        """φ(z) of this regime's parametric gate (NumPy), for pre-activations z = W x + U h + b."""
        return gate_activation(self.gate_kind, z)

    def length_scale(self) -> float:
        """The regime's own unit of length for the state: the RMS size of one step's innovation,
        √(s²‖B‖_F² + tr Q), or ‖h_0‖ if both vanish, or 1 if that vanishes too.

        Measured in other units (B → cB, Q → c²Q, h_0 → c·h_0) it becomes c times as large,
        so default separations and radii defined from it follow the units of the state.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            s2 = np.float64(self.input_scale) ** 2   # NumPy: overflow gives inf, not an exception
            inputs = s2 * np.sum(self.B * self.B) if s2 > 0.0 else 0.0   # no inputs: no term (not 0·inf)
            if self.s6 is not None and s2 > 0.0:
                inputs = self._s6_drive_power()
            innovation = float(np.sqrt(inputs + np.trace(self.noise_cov)))
        if math.isfinite(innovation) and innovation > 0.0:
            return innovation
        h0 = float(np.linalg.norm(self.h0))
        return h0 if math.isfinite(h0) and h0 > 0.0 else 1.0

    def _s6_drive_power(self) -> float:
        """E‖drive(x)‖² of the S6 form (its counterpart of s²‖B‖²_F), averaged over 4096 fixed inputs drawn
        from the regime's input law with a fixed seed: it only sets default lengths, never a verdict."""
        from .s6 import transition

        z = np.random.default_rng(0).standard_normal((4096, self.m))
        x = self.input_scale * (np.where(z >= 0.0, 1.0, -1.0) if self.input_law == "rademacher" else z)
        _, drive = transition(self.s6, x)
        return float(np.mean(np.sum(drive * drive, axis=-1)))

    def fingerprint(self) -> str:
        """A digest of everything that defines the model and its settings (for memoisation)."""
        h = hashlib.sha256(repr((self.name, self.form, self.gate_kind, self.input_law, self.input_scale,
                                 sorted((k, sorted(v.items())) for k, v in self.settings.items()))).encode())
        for arr in (self.A, self.B, self.noise_cov, self.h0, self.gate_value, self.W, self.U, self.b):
            h.update(b"none" if arr is None else np.ascontiguousarray(arr).tobytes())
        h.update(b"paper" if self.s6 is None else self.s6.key())
        return h.hexdigest()

    def setting(self, table: str, key: str):
        """The value of ``[table] key`` in the regime file, else the default its claim declares."""
        return self.settings.get(table, {}).get(key, SETTINGS_TABLES[table][key].default)

    def model(self) -> Model:
        if self.s6 is not None:
            return Model.build_s6(self.s6, self.noise_cov, h0=self.h0, input_law=self.input_law,
                                  input_scale=self.input_scale)
        return Model.build(
            self.A, self.B, self.noise_cov, form=self.form,
            gate_value=self.gate_value, W=self.W, U=self.U, b=self.b, h0=self.h0,
            input_law=self.input_law, input_scale=self.input_scale,
            activation=self.gate_kind if self.gate_is_parametric else "sigmoid",
        )


def _show(value, limit: int = 60) -> str:
    """``repr(value)`` for a one-line message: control characters escaped, huge integers and long values cut."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    try:
        text = repr(value)
    except ValueError:  # e.g. an integer beyond Python's string-conversion limit, nested in a list
        text = f"a {type(value).__name__} too large to show"
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Reader:
    """Walks the parsed TOML, producing RegimeErrors that name file and key."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, problem: str):
        where = f"key '{key}'" if key else "top level"
        raise RegimeError(f"{self.source}: {where}: {problem}")

    def unknown(self, table: dict, allowed: set[str], prefix: str):
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else f"; allowed: {', '.join(sorted(allowed))}"
                self.fail(prefix + key, f"unknown key, likely a typo{hint}")

    def table(self, parent: dict, key: str, path: str, required: bool = True) -> dict:
        if key not in parent:
            if required:
                self.fail(path, "missing required table")
            return {}
        value = parent[key]
        if not isinstance(value, dict):
            self.fail(path, f"must be a table, got {type(value).__name__}")
        return value

    def string(self, parent: dict, key: str, path: str, choices=None, default=None) -> str:
        if key not in parent:
            if default is None:
                self.fail(path, "missing required key")
            return default
        value = parent[key]
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"must be a non-empty string, got {_show(value)}")
        if choices is not None and value not in choices:
            self.fail(path, f"must be one of {', '.join(repr(c) for c in choices)}, got {_show(value)}")
        return value

    def number(self, value, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, f"must be a number, got {_show(value)}")
        try:
            x = float(value)   # an integer beyond float64's range raises OverflowError
        except OverflowError:
            self.fail(path, f"must be a number within float64's range (about ±1.8e308), got {_show(value)}")
        if not math.isfinite(x):
            self.fail(path, f"must be finite, got {_show(value)}")
        return x

    def array(self, value, path: str, shape: tuple[int | None, ...]) -> np.ndarray:
        """A numeric array of the given shape (None = any length, fixed by the caller)."""
        def walk(v, depth: int, sub: str):
            if depth == len(shape):
                return self.number(v, sub)
            if not isinstance(v, list):
                self.fail(sub, f"must be a list (expected a {len(shape)}-D array), got {_show(v)}")
            return [walk(item, depth + 1, f"{sub}[{i}]") for i, item in enumerate(v)]

        nested = walk(value, 0, path)
        try:
            arr = np.array(nested, dtype=np.float64)
        except ValueError:
            self.fail(path, "rows have different lengths")
        if arr.ndim != len(shape) or any(s is not None and s != n for s, n in zip(shape, arr.shape)):
            want = "×".join("n" if s is None else str(s) for s in shape)
            self.fail(path, f"wrong shape: expected {want}, got {'×'.join(map(str, arr.shape)) or 'scalar'}")
        if arr.size == 0:
            self.fail(path, "must not be empty")
        return arr


def parse_regime(data: dict, source: str, known_claims=None, base_dir: str | Path | None = None) -> Regime:
    """Validate parsed TOML ``data``; ``source`` names the file in messages.

    ``base_dir``: the folder a relative ``model.weights`` path (form "s6") is read from (default: the
    current directory).
    ``known_claims``: the claims a ``claims = [...]`` list may name — a mapping ``id -> Claim`` (then only
    the settings tables those claims declare are allowed), or a collection of ids (every declared table is
    allowed), or None (no check of the ids).
    """
    r = _Reader(source)
    if isinstance(known_claims, Mapping):
        tables = {t: SETTINGS_TABLES[t] for claim in known_claims.values() for t in claim.settings}
    else:
        tables = SETTINGS_TABLES
    r.unknown(data, _BASE_KEYS | set(tables), "")
    name = r.string(data, "name", "name")
    description = r.string(data, "description", "description", default="") if "description" in data else ""

    claims = None
    if "claims" in data:
        raw = data["claims"]
        if not isinstance(raw, list) or not raw or not all(isinstance(c, str) for c in raw):
            r.fail("claims", f"must be a non-empty list of claim ids, got {_show(raw)}")
        if known_claims is not None:
            for c in raw:
                if c not in known_claims:
                    close = difflib.get_close_matches(c, sorted(known_claims), n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    r.fail("claims", f"unknown claim id {_show(c)}{hint}; known: {', '.join(sorted(known_claims))}")
        claims = tuple(dict.fromkeys(raw))

    model = r.table(data, "model", "model")
    form = r.string(model, "form", "model.form", choices=FORMS)
    r.unknown(model, _S6_MODEL_KEYS if form == "s6" else _MODEL_KEYS, "model.")
    s6 = None
    if form == "s6":
        try:
            s6 = s6_from_table(model, regime_file=None if base_dir is None else Path(base_dir) / "regime.toml",
                               where=f"{source}: model")
        except S6Error as exc:
            raise RegimeError(str(exc)) from None
        d, m = s6.d, s6.m
        A, B = np.zeros((d, d)), np.zeros((d, m))   # shapes only: the S6 update is in ``s6``
    else:
        if "A" not in model:
            r.fail("model.A", "missing required key")
        A = r.array(model["A"], "model.A", (None, None))
        d = A.shape[0]
        if A.shape != (d, d):
            r.fail("model.A", f"must be square (d×d), got {A.shape[0]}×{A.shape[1]}")
        if "B" not in model:
            r.fail("model.B", "missing required key")
        B = r.array(model["B"], "model.B", (d, None))
        m = B.shape[1]

    if "noise_cov" not in model:
        r.fail("model.noise_cov", "missing required key")
    raw_q = model["noise_cov"]
    if isinstance(raw_q, list):
        Q = r.array(raw_q, "model.noise_cov", (d, d))
        if not np.allclose(Q, Q.T, rtol=1e-10, atol=1e-12):
            r.fail("model.noise_cov", "must be symmetric")
        try:
            with np.errstate(all="ignore"):
                lam_min = float(np.linalg.eigvalsh(Q).min())
        except np.linalg.LinAlgError:
            r.fail("model.noise_cov", "its eigenvalues cannot be computed in float64 (entries too large)")
        if not math.isfinite(lam_min):
            r.fail("model.noise_cov", "its eigenvalues overflow float64 (entries too large)")
        if lam_min < -1e-12 * max(1.0, float(np.abs(Q).max())):
            r.fail("model.noise_cov", f"must be positive semidefinite, smallest eigenvalue is {lam_min:.3g}")
    else:
        q = r.number(raw_q, "model.noise_cov")
        if q < 0:
            r.fail("model.noise_cov", f"a scalar variance must be >= 0, got {_show(q)}")
        Q = q * np.eye(d)

    h0 = r.array(model["h0"], "model.h0", (d,)) if "h0" in model else np.zeros(d)

    gate = r.table(model, "gate", "model.gate") if s6 is None else {}
    kind = "s6" if s6 is not None else r.string(gate, "kind", "model.gate.kind", choices=("constant",) + PARAMETRIC_GATES)
    r.unknown(gate, _GATE_KEYS.get(kind, set()), "model.gate.")
    gate_value = W = U = b = None
    if kind == "s6":
        pass   # the gate G = 1 − exp(Δ A) is built into the form
    elif kind == "constant":
        if "value" not in gate:
            r.fail("model.gate.value", "missing required key for a constant gate")
        raw_v = gate["value"]
        gv = r.array(raw_v, "model.gate.value", (d,)) if isinstance(raw_v, list) else np.full(d, r.number(raw_v, "model.gate.value"))
        if np.any(gv < 0.0) or np.any(gv > 1.0):
            r.fail("model.gate.value", f"gate values must lie in [0, 1], got {gv.tolist()}")
        gate_value = gv
    else:
        if "W" not in gate:
            r.fail("model.gate.W", f"missing required key for a {kind} gate")
        W = r.array(gate["W"], "model.gate.W", (d, m))
        U = r.array(gate["U"], "model.gate.U", (d, d)) if "U" in gate else np.zeros((d, d))
        b = r.array(gate["b"], "model.gate.b", (d,)) if "b" in gate else np.zeros(d)

    inputs = r.table(data, "inputs", "inputs")
    r.unknown(inputs, _INPUT_KEYS, "inputs.")
    law = r.string(inputs, "law", "inputs.law", choices=("gaussian", "rademacher"))
    scale = r.number(inputs["scale"], "inputs.scale") if "scale" in inputs else 1.0
    if scale < 0:   # 0 is allowed: x_t ≡ 0, the chain is driven by its noise alone (deterministic if Q = 0)
        r.fail("inputs.scale", f"must be 0 (no inputs: x_t ≡ 0) or > 0, got {_show(scale)}")
    scale = abs(scale)   # -0.0 is 0.0

    settings = {}
    for table, spec in tables.items():
        if table not in data:
            continue
        values = r.table(data, table, table)
        r.unknown(values, set(spec), f"{table}.")
        parsed = {}
        for key, setting in spec.items():
            kind_ = setting.kind
            if key not in values:
                continue
            path, v = f"{table}.{key}", values[key]
            if kind_ == "int>0":
                if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                    r.fail(path, f"must be a positive integer, got {_show(v)}")
                if v > MAX_STEPS:
                    r.fail(path, f"must be at most {MAX_STEPS:,}, got {_show(v) if v.bit_length() > 200 else f'{v:,}'}")
                parsed[key] = v
            elif kind_ == "float>0":
                x = r.number(v, path)
                if x <= 0:
                    r.fail(path, f"must be > 0, got {_show(v)}")
                parsed[key] = x
            else:
                arr = r.array(v, path, (None,))
                if np.any(arr <= 0):
                    r.fail(path, f"must all be > 0, got {arr.tolist()}")
                parsed[key] = tuple(arr.tolist())
        settings[table] = parsed

    return Regime(
        name=name, source=source, claims=claims, form=form, A=A, B=B, noise_cov=Q, h0=h0,
        gate_kind=kind, gate_value=gate_value, W=W, U=U, b=b, input_law=law, input_scale=scale,
        description=description, settings=settings, s6=s6,
    )


def load_regime(path: str | Path, known_claims=None, source: str | None = None) -> Regime:
    """Read and validate a regime file."""
    source = source or str(path)
    try:
        path = Path(path)
        with open(path, "rb") as fh:
            raw = fh.read(MAX_REGIME_BYTES + 1)   # never more: /dev/zero or a huge file is refused, not read
    except FileNotFoundError:
        raise RegimeError(f"{source}: file not found") from None
    except IsADirectoryError:
        raise RegimeError(f"{source}: is a directory, not a regime file") from None
    except OSError as exc:
        raise RegimeError(f"{source}: cannot be read: {exc.strerror or exc}") from None
    except (ValueError, TypeError) as exc:   # e.g. a NUL byte in the file name
        raise RegimeError(f"{source}: not a usable file name: {exc}") from None
    if len(raw) > MAX_REGIME_BYTES:
        raise RegimeError(f"{source}: larger than {MAX_REGIME_BYTES // 2**20} MiB, the limit for a regime file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RegimeError(f"{source}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                          "a regime file is TOML, which is UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegimeError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise RegimeError(f"{source}: not valid TOML: nested too deeply") from None
    except ValueError as exc:   # a value tomllib cannot convert, e.g. an integer of thousands of digits
        raise RegimeError(f"{source}: not valid TOML: {str(exc)[:200]}") from None
    return parse_regime(data, source, known_claims, base_dir=path.parent)
