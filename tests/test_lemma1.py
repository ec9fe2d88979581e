"""Lemma 1 checks against chains computed by hand.

1-D gated chain with constant gate g: h_t = g(a h_{t−1} + b x_t) + w_t, so two
copies driven by the same input satisfy Δ_t = g a Δ_{t−1} + (w_t − w'_t).

* synchronous coupling: Δ_t = (g a)^t δ exactly, the ratio is g·a at every t;
* independent coupling: Δ_t ~ N((g a)^t δ, 2q Σ_{j<t} (g a)^{2j}), whose mean
  absolute value is the folded-normal mean  s√(2/π) e^{−μ²/2s²} + μ(1 − 2Φ(−μ/s)).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from ssmverify.checks import FAIL, NOT_APPLICABLE, PASS, Settings
from ssmverify.checks.lemma1 import Lemma1Check, Lemma1CorrectedCheck
from ssmverify.checks.suite import resolve_regimes
from ssmverify.theorems import CLAIMS, load_regime

HAND = """
name = "hand-constant-gate"
[model]
form = "gated"
A = [[{a}]]
B = [[1.0]]
noise_cov = {q}
[model.gate]
kind = "constant"
value = {g}
[inputs]
law = "rademacher"
scale = 2.0
[lemma1]
steps = 6
separations = [{delta}]
"""


def hand_regime(tmp_path, a=0.9, g=0.5, q=0.04, delta=1.0):
    path = tmp_path / "hand.toml"
    path.write_text(HAND.format(a=a, g=g, q=q, delta=delta))
    return load_regime(path, set(CLAIMS))


def folded_normal_mean(mu, s):
    return s * math.sqrt(2 / math.pi) * math.exp(-mu * mu / (2 * s * s)) + mu * (1 - 2 * stats.norm.cdf(-mu / s))


def test_synchronous_ratio_is_exactly_g_times_a_and_the_paper_fails(tmp_path):
    regime = hand_regime(tmp_path)
    result = Lemma1Check().run(regime, Settings(quick=True, family_size=6))
    assert result.verdict == FAIL and result.hypotheses_hold
    assert result.bound == 0.0  # constant gate: L_G = 0, so the paper's κ = 0
    sync = [c for c in result.details["comparisons"] if c["coupling"] == "synchronous"]
    for c in sync:
        assert c["statistic"] == pytest.approx(0.45, rel=1e-12)
        assert c["ci"][0] <= 0.45 + 1e-12 and c["ci"][1] >= 0.45 - 1e-12
    assert result.details["smallest_supported_kappa"] == pytest.approx(0.45, rel=1e-9)


def test_independent_coupling_matches_the_folded_normal_within_its_ci(tmp_path):
    ga, q, delta = 0.45, 0.04, 1.0
    regime = hand_regime(tmp_path, q=q, delta=delta)
    result = Lemma1Check().run(regime, Settings(quick=True, family_size=6))
    indep = [c for c in result.details["comparisons"] if c["coupling"] == "independent"]
    exact_mean = [delta] + [
        folded_normal_mean(ga**t * delta, math.sqrt(2 * q * sum(ga ** (2 * j) for j in range(t))))
        for t in range(1, 7)
    ]
    for c in indep:
        t = c["t"]
        exact_ratio = exact_mean[t] / exact_mean[t - 1]
        lo, hi = c["ci"]
        assert lo <= exact_ratio <= hi, (t, exact_ratio, c["ci"])
        assert not c["decides"]  # the verdict rests on synchronous coupling
    # the noise floor: E|Δ_t| → s∞√(2/π) > 0, so the measured ratio exceeds g·a at large t
    assert indep[-1]["statistic"] > 0.9


def test_corrected_bound_passes_even_where_it_is_tight(tmp_path):
    regime = hand_regime(tmp_path)  # constant gate, 1-D: the corrected bound holds with equality
    result = Lemma1CorrectedCheck().run(regime, Settings(quick=True, family_size=12))
    assert result.verdict == PASS
    sync = [c for c in result.details["comparisons"] if c["coupling"] == "synchronous"]
    assert all(c["statistic"] == pytest.approx(1.0, rel=1e-12) for c in sync)


@pytest.mark.parametrize("name,verdict", [
    # sigmoid-quiet contracts near h_0 (gate ≈ σ(−8)) but a copy 100 × its scale away opens the gate
    # (σ(−8 + 3h) ≈ 1) and then separates at rate ≈ ρ = 0.9 > κ = 0.675: the lemma is about every pair.
    ("sigmoid-quiet", FAIL), ("sigmoid-far-apart", FAIL), ("leaky-constant-gate", FAIL),
    ("strong-feedback", NOT_APPLICABLE),
])
def test_builtin_lemma1_verdicts(name, verdict):
    regime = resolve_regimes([f"builtin:{name}"])[0]
    result = Lemma1Check().run(regime, Settings(quick=True, family_size=40))
    assert result.verdict == verdict
    corrected = Lemma1CorrectedCheck().run(regime, Settings(quick=True, family_size=80))
    assert corrected.verdict == PASS


def test_near_pairs_of_the_quiet_regime_contract():
    """Only near pairs (the default before far-apart pairs were added): the lemma holds there."""
    regime = resolve_regimes(["builtin:sigmoid-quiet"])[0]
    scale = regime.length_scale()
    near = dataclasses.replace(regime, settings={"lemma1": {"separations": (1e-3 * scale, scale)}})
    result = Lemma1Check().run(near, Settings(quick=True, family_size=1))
    assert result.verdict == PASS
    assert result.details["selected"] and result.details["pilot_paths"] > 0


def test_leaky_ratio_is_one_minus_g_times_one_minus_a():
    regime = resolve_regimes(["builtin:leaky-constant-gate"])[0]  # g = 0.3, A = 0.5 I
    result = Lemma1Check().run(regime, Settings(quick=True, family_size=40))
    assert result.statistic == pytest.approx(1 - 0.3 * (1 - 0.5), rel=1e-9)


def test_not_applicable_rows_still_report_the_measurement():
    regime = resolve_regimes(["builtin:strong-feedback"])[0]
    check = Lemma1Check()
    assert check.planned_comparisons(regime, Settings()) == 0
    result = check.run(regime, Settings(quick=True))
    assert result.verdict == NOT_APPLICABLE and not result.hypotheses_hold
    assert result.n_samples > 0 and np.isfinite(result.statistic)
    rho_lg = [h for h in result.details["hypotheses"] if h["name"] == "ρ·L_G < 1"][0]
    assert not rho_lg["holds"] and "2.7" in rho_lg["detail"]
