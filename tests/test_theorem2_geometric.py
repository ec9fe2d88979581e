"""``theorem2-geometric``: E‖Δ_t‖ ≤ κᵗ‖Δ_0‖, against chains computed by hand here.

* 1-D gated chain, constant gate g: under synchronous coupling Δ_t = (g a)ᵗ δ exactly, so the
  statistic is (g a)ᵗ on every path while κ = 0: an exact FAIL; the corrected iterate is (ρ g)ᵗ;
* 2-D linear chain A = diag(a1, a2), gate 1: Δ_t = Aᵗ δ u with u uniform on the circle, so
  E‖Δ_t‖/δ = (1/2π)∫ √(a1^{2t} cos²θ + a2^{2t} sin²θ) dθ (quadrature here);
* the sigmoid gate near h_0 without noise holds (PASS); far pairs of sigmoid-quiet open the gate and
  decay like 0.9ᵗ ≫ 0.675ᵗ (FAIL).
"""

from __future__ import annotations

import math

import pytest
from scipy import integrate

from ssmverify.checks import FAIL, NOT_APPLICABLE, PASS, Settings
from ssmverify.checks import _base
from ssmverify.checks.lemma1 import Lemma1Check
from ssmverify.checks.suite import resolve_regimes
from ssmverify.checks.theorem2_geometric import Theorem2GeometricCheck
from ssmverify.theorems import CLAIMS, load_regime, parse_regime

HAND = """
name = "hand-geometric"
[model]
form = "gated"
A = [[{a}]]
B = [[1.0]]
noise_cov = 0.04
[model.gate]
kind = "constant"
value = {g}
[inputs]
law = "gaussian"
scale = 1.0
[lemma1]
steps = 6
separations = [0.5, 3.0]
"""


def test_registered():
    from ssmverify.checks._registry import CHECKS
    assert "theorem2-geometric" in CLAIMS and "theorem2-geometric" in CHECKS


def test_constant_gate_is_an_exact_fail(tmp_path):
    path = tmp_path / "hand.toml"
    path.write_text(HAND.format(a=0.9, g=0.5))
    regime = load_regime(path, set(CLAIMS))
    result = Theorem2GeometricCheck().run(regime, Settings(quick=True, family_size=2))
    assert result.verdict == FAIL and result.bound == 0.0
    sync = [c for c in result.details["comparisons"] if c["coupling"] == "synchronous"]
    assert len(sync) == 12
    for c in sync:
        assert c["statistic"] == pytest.approx(0.45 ** c["t"], rel=1e-12)
        assert c["bound"] == 0.0 and c["method"] == "exact" and c["decision"] == "violated"
    for key, values in result.details["corrected_iterate"].items():
        assert values == pytest.approx([0.45 ** t for t in range(1, 7)], rel=1e-12)
    panel = result.details["plots"][0]["panels"][0]
    assert "dimensionless" in panel["ylabel"] and panel["xlabel"] == "step t"


def test_anisotropic_linear_chain_matches_quadrature():
    a1, a2, delta = 0.9, 0.3, 2.0
    data = {"name": "aniso", "inputs": {"law": "gaussian", "scale": 1.0},
            "model": {"form": "gated", "A": [[a1, 0.0], [0.0, a2]], "B": [[1.0], [1.0]], "noise_cov": 0.01,
                      "gate": {"kind": "constant", "value": 1.0}},
            "lemma1": {"steps": 5, "separations": [delta]}}
    regime = parse_regime(data, "test:aniso", set(CLAIMS))
    result = Theorem2GeometricCheck().run(regime, Settings(quick=True, family_size=1))
    assert result.verdict == FAIL
    for c in (c for c in result.details["comparisons"] if c["coupling"] == "synchronous"):
        t = c["t"]
        exact = integrate.quad(lambda th: math.sqrt(a1 ** (2 * t) * math.cos(th) ** 2
                                                    + a2 ** (2 * t) * math.sin(th) ** 2), 0, 2 * math.pi)[0] / (2 * math.pi)
        assert c["ci"][0] <= exact <= c["ci"][1], (t, exact, c["ci"])
        # the corrected bound (ρ·g)ᵗ = a1ᵗ holds pathwise
        assert c["statistic"] <= a1 ** t * (1 + 1e-12)


def test_builtin_verdicts_and_shared_paths():
    quiet, noiseless, cgate = resolve_regimes(["builtin:sigmoid-quiet", "builtin:noiseless-near-pairs",
                                               "builtin:constant-gate"])
    settings = Settings(quick=True, family_size=10)
    Lemma1Check().run(quiet, settings)
    before = _base._draw_cached.cache_info().misses
    result = Theorem2GeometricCheck().run(quiet, settings)
    assert _base._draw_cached.cache_info().misses == before   # the lemma1 paths: no new simulation
    assert result.verdict == FAIL
    worst = [c for c in result.details["comparisons"] if c["label"] == result.details["representative"]][0]
    assert worst["separation"] > 100 * quiet.length_scale()   # a far pair, where the gate opens
    assert result.statistic > 10 * result.bound
    assert Theorem2GeometricCheck().run(noiseless, settings).verdict == PASS
    assert Theorem2GeometricCheck().run(cgate, settings).verdict == FAIL


def test_planning_and_not_applicable():
    strong = resolve_regimes(["builtin:strong-feedback"])[0]
    check = Theorem2GeometricCheck()
    assert check.planned_comparisons(strong, Settings()) == 0
    assert check.run(strong, Settings(quick=True)).verdict == NOT_APPLICABLE
    quiet = resolve_regimes(["builtin:sigmoid-quiet"])[0]
    assert check.planned_comparisons(quiet, Settings()) == 1
    assert check.planned_comparisons(quiet, Settings(stages=1)) == 20 * 4
