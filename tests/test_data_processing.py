"""``data-processing`` (§5.3, control): I(ĥ; x) ≤ I(h; x) and I(ĥ; x) ≤ I(ĥ; h), against oracles written here.

Oracle: independent stationary AR(1) coordinates h_i = a_i h_i + b_i x + w_i, so
Var h_i = (b_i² + q_i)/(1 − a_i²), its noise part q_i/(1 − a_i²), and every information of a gate
that keeps coordinate 0 (with or without added noise σ²) is a scalar log-ratio.
"""

from __future__ import annotations

import math

import pytest

from ssmverify.checks import data_processing as dp
from ssmverify.checks import FAIL, NOT_APPLICABLE, PASS, Settings
from ssmverify.checks.suite import resolve_regimes
from ssmverify.theorems import CLAIMS
from conftest import build_regime

SETTINGS = Settings(quick=True, family_size=1)


def regime_of(a0, a1, b0, q0, q1, name="dpi"):
    return build_regime(name, A=[[a0, 0.0], [0.0, a1]], B=[[b0], [0.0]], Q=[[q0, 0.0], [0.0, q1]])


def test_registered_control():
    from ssmverify.checks._registry import CHECKS
    assert "data-processing" in CHECKS and CLAIMS["data-processing"].kind == "control"
    assert CLAIMS["data-processing"].section == "§5.3"


def test_informations_against_scalar_oracles():
    a0, a1, b0, q0, q1 = 0.9, 0.5, 0.5, 0.01, 1.0
    result = dp.DataProcessingCheck().run(regime_of(a0, a1, b0, q0, q1), SETTINGS)
    assert result.verdict == PASS and result.n_samples == 0
    var0, n0 = (b0 ** 2 + q0) / (1 - a0 ** 2), q0 / (1 - a0 ** 2)
    var1 = q1 / (1 - a1 ** 2)
    i_hx = 0.5 * math.log2(var0 / n0)
    assert result.details["I_state_inputs_bits"] == pytest.approx(i_hx, rel=1e-9)
    rows = {r["name"]: r for r in result.details["compressors"]}
    assert rows["keep {0}"]["info_inputs_bits"] == pytest.approx(i_hx, rel=1e-9)     # equality case
    assert rows["keep {1}"]["info_inputs_bits"] == pytest.approx(0.0, abs=1e-12)
    assert rows["keep {0}"]["rate_bits"] == math.inf
    scale = (var0 + var1) / 2
    for level in dp.NOISE_LEVELS:
        s2 = level * scale
        r = rows[f"keep {{0}} + N(0,{s2:.3g}·I)"]
        assert r["rate_bits"] == pytest.approx(0.5 * math.log2((var0 + s2) / s2), rel=1e-9)
        assert r["info_inputs_bits"] == pytest.approx(0.5 * math.log2((var0 + s2) / (n0 + s2)), rel=1e-9)
    for c in result.details["comparisons"]:
        assert c["method"] == "exact" and c["decision"] == "holds" and c["decides"]
    assert dp.DataProcessingCheck().planned_comparisons(regime_of(a0, a1, b0, q0, q1), Settings()) == 0
    assert len(result.details["plots"][0]["panels"]) == 2


def test_a_violation_would_be_caught(monkeypatch):
    """The check is not vacuous: a compressor claiming more input information than h_t has FAILs."""
    real = dp.evaluate_linear

    def inflated(src, comp):
        out = real(src, comp)
        if comp.name == "keep {0}":
            out["info_inputs_bits"] = out["info_inputs_bits"] * (1 + 1e-6)
        return out

    monkeypatch.setattr(dp, "evaluate_linear", inflated)
    result = dp.DataProcessingCheck().run(regime_of(0.9, 0.5, 0.5, 0.01, 1.0), SETTINGS)
    assert result.verdict == FAIL and result.details["representative"] == "keep {0}: I(ĥ; x) ≤ I(h; x)"


def test_builtin_regimes():
    for name in ("dpi-noise-coordinate", "constant-gate", "leaky-constant-gate"):
        regime = resolve_regimes([f"builtin:{name}"])[0]
        assert dp.DataProcessingCheck().run(regime, SETTINGS).verdict == PASS, name
    quiet = resolve_regimes(["builtin:sigmoid-quiet"])[0]
    assert dp.DataProcessingCheck().run(quiet, SETTINGS).verdict == NOT_APPLICABLE
    assert CLAIMS["data-processing"].applicable(quiet) is not None
