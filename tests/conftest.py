"""Shared test fixtures: regimes built from a few numbers, regime files, built-in regimes, quick settings.

    def test_x(make_regime):
        regime = make_regime(A=[[0.9]], B=[[1.0]], Q=0.01, gate={"kind": "constant", "value": 0.5})

Every regime goes through the real schema (``parse_regime``), so a test never builds a Regime the
toolkit would refuse.
"""

from __future__ import annotations

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
