"""``lemma1-independent``: Lemma 1 with independent noise, against oracles computed here.

* 1-D gated chain with a constant gate: two copies with independent noise satisfy
  Δ_t = g a Δ_{t−1} + (w_t − w'_t), so Δ_t ~ N((g a)ᵗ δ, 2q Σ_{j<t} (g a)^{2j}) and E|Δ_t| is the
  folded-normal mean (written here, not taken from the check);
* the noise floor E‖w − w'‖ for Q = qI is √(4q)·Γ((d+1)/2)/Γ(d/2), and for any Q a brute-force mean;
* Q = 0: the couplings coincide, so the row decides exactly what ``lemma1`` decides.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from ssmverify.checks import FAIL, PASS, Settings
from ssmverify.checks import _base
from ssmverify.checks.lemma1 import Lemma1Check
from ssmverify.checks.lemma1_independent import Lemma1IndependentCheck
from ssmverify.checks.suite import resolve_regimes
from ssmverify.theorems import CLAIMS, load_regime
from ssmverify.theorems.lemma1_independent import noise_floor

HAND = """
name = "hand-independent"
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
steps = 5
separations = [{delta}]
"""


def hand_regime(tmp_path, a=0.9, g=0.5, q=0.04, delta=1.0):
    path = tmp_path / "hand.toml"
    path.write_text(HAND.format(a=a, g=g, q=q, delta=delta))
    return load_regime(path, set(CLAIMS))


def folded_normal_mean(mu, s):
    return s * math.sqrt(2 / math.pi) * math.exp(-mu * mu / (2 * s * s)) + mu * (1 - 2 * stats.norm.cdf(-mu / s))


def test_registered():
    from ssmverify.checks._registry import CHECKS
    assert "lemma1-independent" in CLAIMS and "lemma1-independent" in CHECKS
    assert CLAIMS["lemma1-independent"].section == "§6.2"


def test_hand_chain_fails_and_matches_the_folded_normal(tmp_path):
    ga, q, delta = 0.45, 0.04, 1.0
    regime = hand_regime(tmp_path, q=q, delta=delta)
    result = Lemma1IndependentCheck().run(regime, Settings(quick=True, family_size=4))
    assert result.verdict == FAIL and result.hypotheses_hold
    assert result.bound == 0.0                      # constant gate: κ = 0
    exact = [delta] + [folded_normal_mean(ga ** t * delta, math.sqrt(2 * q * sum(ga ** (2 * j) for j in range(t))))
                       for t in range(1, 6)]
    indep = [c for c in result.details["comparisons"] if c["coupling"] == "independent"]
    assert len(indep) == 5 and all(c["decides"] for c in indep)
    for c in indep:
        ratio = exact[c["t"]] / exact[c["t"] - 1]
        assert c["ci"][0] <= ratio <= c["ci"][1], (c["t"], ratio, c["ci"])
    # synchronous coupling is reported, not deciding, and is exactly g·a
    sync = [c for c in result.details["comparisons"] if c["coupling"] == "synchronous"]
    assert sync and not any(c["decides"] for c in sync)
    assert all(c["statistic"] == pytest.approx(ga, rel=1e-12) for c in sync)
    assert result.details["noise_floor"] == pytest.approx(math.sqrt(4 * q) / math.sqrt(math.pi), rel=1e-9)
    assert result.details["plots"] and result.details["plots"][0]["panels"][0]["ylabel"].endswith("(dimensionless)")


@pytest.mark.parametrize("d,q", [(1, 0.04), (2, 0.01), (3, 2.5), (2, 1e-200), (2, 1e200)])
def test_noise_floor_isotropic_closed_form(d, q):
    expected = math.sqrt(4 * q) * math.exp(math.lgamma((d + 1) / 2) - math.lgamma(d / 2))
    assert noise_floor(q * np.eye(d)) == pytest.approx(expected, rel=1e-8)


def test_noise_floor_anisotropic_brute_force():
    Q = np.array([[1.0, 0.3], [0.3, 0.2]])
    rng = np.random.default_rng(1)
    L = np.linalg.cholesky(2 * Q)
    norms = np.linalg.norm(rng.standard_normal((400_000, 2)) @ L.T, axis=1)
    se = norms.std() / math.sqrt(norms.size)
    assert abs(noise_floor(Q) - norms.mean()) < 5 * se
    assert noise_floor(np.zeros((2, 2))) == 0.0
    assert noise_floor(np.diag([0.0, 0.5])) == pytest.approx(math.sqrt(4 * 0.5) / math.sqrt(math.pi), rel=1e-8)


def test_zero_noise_decides_what_lemma1_decides(tmp_path):
    regime = hand_regime(tmp_path, q=0.0)
    indep = Lemma1IndependentCheck().run(regime, Settings(quick=True, family_size=4))
    sync = Lemma1Check().run(regime, Settings(quick=True, family_size=4))
    assert indep.verdict == sync.verdict == FAIL
    a = {c["label"].split(", ", 1)[1]: c["statistic"] for c in indep.details["comparisons"]
         if c["coupling"] == "independent"}
    b = {c["label"].split(", ", 1)[1]: c["statistic"] for c in sync.details["comparisons"]
         if c["coupling"] == "synchronous"}
    assert a == pytest.approx(b, rel=1e-12)
    assert any("Q = 0" in c for c in indep.details["caveats"])


def test_builtin_regimes_and_no_new_simulation():
    noiseless, noisy = resolve_regimes(["builtin:noiseless-near-pairs", "builtin:noisy-near-pairs"])
    settings = Settings(quick=True, family_size=10)
    assert Lemma1Check().run(noisy, settings).verdict == PASS          # shared noise: contracts
    before = _base._draw_cached.cache_info().misses
    result = Lemma1IndependentCheck().run(noisy, settings)               # same paths as lemma1: cache hits
    assert result.verdict == FAIL
    assert _base._draw_cached.cache_info().misses == before   # the lemma1 paths: no new simulation
    assert Lemma1IndependentCheck().run(noiseless, settings).verdict == PASS
    assert Lemma1IndependentCheck().planned_comparisons(noisy, Settings()) == 1
