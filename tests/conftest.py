"""Shared test fixtures: regimes built from a few numbers, regime files, built-in regimes, quick settings.

    def test_x(make_regime):
        regime = make_regime(A=[[0.9]], B=[[1.0]], Q=0.01, gate={"kind": "constant", "value": 0.5})

Every regime goes through the real schema (``parse_regime``), so a test never builds a Regime the
toolkit would refuse.
"""

from __future__ import annotations

import collections
import math
import textwrap

import numpy as np
import pytest

from ssmverify.checks._base import Settings
from ssmverify.checks.suite import resolve_regimes
from ssmverify.theorems import CLAIMS, parse_regime


def _listed(value):
    return value if np.isscalar(value) else np.asarray(value, float).tolist()


def build_regime(name: str = "test", *, A, B, Q=0.01, form: str = "gated", gate=1.0, law: str = "gaussian",
                 scale: float = 1.0, h0=None, claims=None, **tables):
    """A validated Regime: ``gate`` is a number or list (a constant gate) or a ``[model.gate]`` table;
    ``tables`` are per-claim tables, e.g. ``rate_distortion={"steps": 5}``."""
    gate_table = gate if isinstance(gate, dict) else {"kind": "constant", "value": _listed(gate)}
    gate_table = {k: _listed(v) if k != "kind" else v for k, v in gate_table.items()}
    model = {"form": form, "A": _listed(A), "B": _listed(B), "noise_cov": _listed(Q), "gate": gate_table}
    if h0 is not None:
        model["h0"] = _listed(h0)
    data = {"name": name, "model": model, "inputs": {"law": law, "scale": scale}, **tables}
    if claims is not None:
        data["claims"] = list(claims)
    return parse_regime(data, f"test:{name}", set(CLAIMS))


@pytest.fixture
def make_regime():
    """Factory: ``make_regime(name, A=..., B=..., Q=..., form=..., gate=..., law=..., scale=..., h0=...)``."""
    return build_regime


@pytest.fixture
def write_regime(tmp_path):
    """Factory: ``write_regime(text, name="regime.toml")`` writes dedented TOML into tmp_path; returns the path."""
    def write(text: str, name: str = "regime.toml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path
    return write


@pytest.fixture(scope="session")
def builtin():
    """Factory: ``builtin("constant-gate")`` -> the built-in Regime of that name."""
    def get(name: str):
        return resolve_regimes([f"builtin:{name}"])[0]
    return get


@pytest.fixture
def quick_settings():
    """Quick-mode settings with a family of 10 comparisons (a per-comparison level of α/20)."""
    return Settings(quick=True, family_size=10)


# --- an instrumented scalar: counts the operations the NumPy code performs on it -------------------------------
class Counted:
    ops: collections.Counter = collections.Counter()

    def __init__(self, v):
        self.v = float(v)

    @staticmethod
    def _v(o):
        return o.v if isinstance(o, Counted) else float(o)

    def _op(self, name, value):
        Counted.ops[name] += 1
        return Counted(value)

    def __add__(self, o):
        return self._op("+", self.v + self._v(o))

    def __radd__(self, o):
        return self._op("+", self._v(o) + self.v)

    def __sub__(self, o):
        return self._op("-", self.v - self._v(o))

    def __rsub__(self, o):
        return self._op("-", self._v(o) - self.v)

    def __mul__(self, o):
        return self._op("*", self.v * self._v(o))

    def __rmul__(self, o):
        return self._op("*", self._v(o) * self.v)

    def __truediv__(self, o):
        return self._op("/", self.v / self._v(o))

    def __rtruediv__(self, o):
        return self._op("/", self._v(o) / self.v)

    def __neg__(self):
        return self._op("neg", -self.v)

    def exp(self):
        return self._op("exp", math.exp(self.v))

    def __eq__(self, o):            # comparisons select the active set: not flops
        return self.v == self._v(o)

    def __ne__(self, o):
        return self.v != self._v(o)

    __hash__ = None


def counted(a):
    a = np.asarray(a, float)
    out = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(a.shape):
        out[idx] = Counted(a[idx])
    return out


def values(a):
    return np.array([Counted._v(v) for v in np.ravel(a)]).reshape(np.shape(a))


def count(fn, *args, **kw):
    Counted.ops.clear()
    out = fn(*args, **kw)
    return sum(Counted.ops.values()), out
