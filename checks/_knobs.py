"""Probe knobs: parsing ``--vary KNOB=lo:hi:n[:log]`` and applying values to a regime.

Every edit goes through the regime file's own validator (``parse_regime``), so
a knob can never produce a model a regime file could not describe.  The same
dictionary form is written back as TOML for counterexample files.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re

import numpy as np

from ..theorems import CLAIMS, Regime, RegimeError, parse_regime
from ..theorems import _constants as K
from .._errors import SsmverifyError

NAMED = {
    "rho": "rescale A to this spectral norm ρ = ‖A‖₂",
    "lipschitz": "rescale the sigmoid or tanh gate's U to this L_G (‖U‖₂/4, or ‖U‖₂ for tanh, where z = 0 is reachable)",
    "gate": "set every component of the constant gate to this value",
    "input_scale": "the input scale s",
    "noise": "scalar noise variance q (Q = q·I)",
    "A_scale": "form s6: multiply Mamba's A = −exp(A_log) by this factor (A_log + log of it)",
    "dt_bias_scale": "form s6: multiply Mamba's dt_proj_bias by this factor (Δ = softplus(W_Δ x + factor·b_Δ))",
}
_PAPER_KNOBS = ("rho", "lipschitz", "gate")
_S6_KNOBS = ("A_scale", "dt_bias_scale")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[\d+\])*$")


class KnobError(SsmverifyError, ValueError):
    """A --vary argument that cannot be used (message names the knob): bad usage, exit status 2."""


@dataclasses.dataclass(frozen=True)
class Knob:
    name: str
    lo: float
    hi: float
    n: int
    log: bool = False

    @property
    def values(self) -> np.ndarray:
        if self.n == 1:
            return np.array([self.lo])
        if self.log:
            return np.geomspace(self.lo, self.hi, self.n)
        return np.linspace(self.lo, self.hi, self.n)

    def to_json(self) -> dict:
        return {"name": self.name, "lo": self.lo, "hi": self.hi, "n": self.n, "log": self.log,
                "values": self.values.tolist()}


def parse_vary(text: str) -> Knob:
    if "=" not in text:
        raise KnobError(f"--vary {text!r}: expected KNOB=lo:hi:n or KNOB=lo:hi:n:log")
    name, spec = text.split("=", 1)
    name = name.strip()
    parts = spec.split(":")
    if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] != "log"):
        raise KnobError(f"--vary {name}: expected lo:hi:n or lo:hi:n:log, got {spec!r}")
    try:
        lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise KnobError(f"--vary {name}: lo and hi must be numbers and n an integer, got {spec!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or n < 1 or (n > 1 and not lo < hi):
        raise KnobError(f"--vary {name}: need finite lo < hi and n >= 1, got {spec!r}")
    log = len(parts) == 4
    if log and lo <= 0:
        raise KnobError(f"--vary {name}: a log-spaced range needs lo > 0, got {lo}")
    if name not in NAMED:
        _split_path(name)  # validates the dotted path syntax
    return Knob(name, lo, hi, n, log)


def _split_path(path: str) -> list:
    keys: list = []
    for part in path.split("."):
        if not _PATH.match(part):
            raise KnobError(f"--vary {path}: not a knob ({', '.join(NAMED)}) nor a dotted key path like model.A[0][1]")
        base, *idx = re.split(r"\[", part)
        keys.append(base)
        keys += [int(i.rstrip("]")) for i in idx]
    return keys


def regime_to_dict(r: Regime) -> dict:
    """The regime in the regime-file schema (what ``parse_regime`` reads).  A form-s6 regime read from a
    checkpoint file is written with its arrays (the layer and channels it read), so the result stands alone."""
    if r.s6 is not None:
        model: dict = {"form": "s6", **{k: v.tolist() for k, v in r.s6.arrays().items()}}
    else:
        gate: dict = {"kind": r.gate_kind}
        if r.gate_kind == "constant":
            gate["value"] = r.gate_value.tolist()
        else:
            gate.update(W=r.W.tolist(), U=r.U.tolist(), b=r.b.tolist())
        model = {"form": r.form, "A": r.A.tolist(), "B": r.B.tolist(), "gate": gate}
    model.update(noise_cov=r.noise_cov.tolist(), h0=r.h0.tolist())
    out: dict = {"name": r.name}
    if r.description:
        out["description"] = r.description
    if r.claims:
        out["claims"] = list(r.claims)
    out["model"] = model
    out["inputs"] = {"law": r.input_law, "scale": r.input_scale}
    for table, values in r.settings.items():
        out[table] = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
    return out


def _set_path(data: dict, path: str, value: float) -> None:
    keys = _split_path(path)
    node = data
    for i, key in enumerate(keys[:-1]):
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            raise KnobError(f"--vary {path}: the regime has no key {'.'.join(map(str, keys[:i + 1]))}") from None
    last = keys[-1]
    try:
        current = node[last]
    except (KeyError, IndexError, TypeError):
        raise KnobError(f"--vary {path}: the regime has no such scalar key") from None
    if isinstance(current, (list, dict, str, bool)):
        raise KnobError(f"--vary {path}: not a scalar (it holds {type(current).__name__}); index into it")
    node[last] = float(value)


def apply_knobs(regime: Regime, values: dict[str, float], name: str | None = None) -> Regime:
    """The regime with each knob set to its value (validated as a regime file would be)."""
    data = regime_to_dict(regime)
    if name:
        data["name"] = name
    for knob, value in values.items():
        if regime.s6 is not None and knob in _PAPER_KNOBS:
            raise KnobError(f"--vary {knob}: not a knob of Mamba's S6 form (it has no A matrix or gate table); "
                            f"S6 knobs: {', '.join(_S6_KNOBS)}, input_scale, noise, or a dotted key such as "
                            "model.A_log[0][1]")
        if regime.s6 is None and knob in _S6_KNOBS:
            raise KnobError(f"--vary {knob}: a knob of Mamba's S6 form (model.form = \"s6\"); this regime's form "
                            f"is {regime.form}")
        if knob == "A_scale":
            if not value > 0:
                raise KnobError(f"--vary A_scale: the factor must be > 0 (A stays negative), got {value:g}")
            data["model"]["A_log"] = (regime.s6.A_log + math.log(value)).tolist()
        elif knob == "dt_bias_scale":
            data["model"]["dt_proj_bias"] = (regime.s6.dt_proj_bias * value).tolist()
        elif knob == "rho":
            norm = K.rho(regime)
            if norm == 0.0:
                raise KnobError("--vary rho: A is zero, so it cannot be rescaled to a spectral norm")
            data["model"]["A"] = (regime.A * (value / norm)).tolist()
        elif knob == "lipschitz":
            if not regime.gate_is_parametric or not np.any(regime.U):
                raise KnobError("--vary lipschitz: needs a sigmoid or tanh gate with a non-zero U (L_G = ‖U‖₂/4 "
                                "for the sigmoid, ‖U‖₂ for tanh, where z = 0 is reachable)")
            data["model"]["gate"]["U"] = (regime.U * (value / K.lipschitz_vector(regime))).tolist()
        elif knob == "gate":
            if regime.gate_kind != "constant":
                raise KnobError("--vary gate: needs a constant gate (kind = \"constant\")")
            data["model"]["gate"]["value"] = [float(value)] * regime.d
        elif knob == "input_scale":
            data["inputs"]["scale"] = float(value)
        elif knob == "noise":
            data["model"]["noise_cov"] = float(value)
        else:
            _set_path(data, knob, value)
    try:
        return parse_regime(data, f"{regime.source} with {_describe(values)}", set(CLAIMS))
    except RegimeError as exc:
        raise KnobError(str(exc)) from None


def _describe(values: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:.6g}" for k, v in values.items())


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError("non-finite number in a regime")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def to_toml(data: dict, header: str = "") -> str:
    """A regime dictionary as TOML (scalars and arrays first, then sub-tables)."""
    lines = [f"# {ln}" for ln in header.splitlines()] if header else []

    def emit(table: dict, prefix: str):
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
        tables = {k: v for k, v in table.items() if isinstance(v, dict)}
        if prefix:
            lines.append(f"[{prefix}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in scalars.items())
        for k, v in tables.items():
            lines.append("")
            emit(v, f"{prefix}.{k}" if prefix else k)

    emit(data, "")
    return "\n".join(lines) + "\n"


def differentiable_knobs(base: Regime, names: list[str]):
    """A JAX function ``values (k,) -> Model`` applying these knobs to ``base``, or None.

    It mirrors :func:`apply_knobs` (same order, ρ and L_G rescale the *base*
    matrices) for the knobs that enter the model smoothly: rho, lipschitz, gate,
    input_scale, noise (> 0), and entries of A, B, W, U, b and the constant gate
    value.  Anything else (h0, a noise matrix entry, a setting) returns None,
    and the search falls back to its derivative-free strategy.
    """
    import jax.numpy as jnp

    if base.s6 is not None:   # S6 knobs: the search uses its derivative-free strategy
        return None
    model0 = base.model()
    ops = []
    fields = {("model", "A"): "A", ("model", "B"): "B", ("model", "gate", "W"): "W",
              ("model", "gate", "U"): "U", ("model", "gate", "b"): "b", ("model", "gate", "value"): "gate_value"}
    for i, name in enumerate(names):
        if name == "rho":
            rho0 = K.rho(base)
            if rho0 == 0.0:
                return None
            ops.append(lambda m, v, rho0=rho0: m.replace(A=model0.A * (v / rho0)))
        elif name == "lipschitz":
            lip0 = K.lipschitz_vector(base)
            if not base.gate_is_parametric or lip0 == 0.0:
                return None
            ops.append(lambda m, v, lip0=lip0: m.replace(U=model0.U * (v / lip0)))
        elif name == "gate":
            if base.gate_kind != "constant":
                return None
            ops.append(lambda m, v: m.replace(gate_value=jnp.full_like(m.gate_value, v)))
        elif name in ("input_scale", "inputs.scale"):
            ops.append(lambda m, v: m.replace(input_scale=v))
        elif name == "noise":
            ops.append(lambda m, v: m.replace(noise_chol=jnp.sqrt(v) * jnp.eye(base.d)))
        else:
            keys = _split_path(name)
            strings = tuple(k for k in keys if isinstance(k, str))
            index = tuple(k for k in keys if isinstance(k, int))
            field = fields.get(strings)
            if field is None or (field == "gate_value" and base.gate_kind != "constant"):
                return None
            if field in ("W", "U", "b") and not base.gate_is_parametric:
                return None
            shape = getattr(model0, field).shape
            if field == "gate_value" and not index:
                ops.append(lambda m, v: m.replace(gate_value=jnp.full_like(m.gate_value, v)))
            elif len(index) == len(shape) and all(0 <= j < s for j, s in zip(index, shape)):
                ops.append(lambda m, v, f=field, ix=index: m.replace(**{f: getattr(m, f).at[ix].set(v)}))
            else:
                return None

    def setter(values):
        model = model0
        for op, k in zip(ops, range(len(ops))):
            model = op(model, values[k])
        return model

    return setter
