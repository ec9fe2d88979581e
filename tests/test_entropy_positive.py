"""``entropy-positive`` (§2.1): H(h_t | x_{1:t}) > 0, against oracles computed here.

* constant gate: Σ_t = Σ_{k<t} Mᵏ Q Mᵏᵀ (the sum, not the check's recursion) and
  H = ½ log₂ det(2πe Σ_t) with scipy's determinant;
* 1-D input-gated chain with Rademacher inputs: the expectation over inputs is a finite sum over the 2ᵗ
  input sequences, enumerated exactly here; the check's Monte Carlo interval must contain it;
* the threshold q = 1/(2πe) for Q = qI, and −∞ for a singular Q.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import linalg

from ssmverify.checks import FAIL, NOT_APPLICABLE, PASS, Settings
from ssmverify.checks.entropy_positive import EntropyPositiveCheck
from ssmverify.checks.suite import resolve_regimes
from ssmverify.theorems import CLAIMS
from ssmverify.theorems.entropy_positive import STEPS
from conftest import build_regime

SETTINGS = Settings(quick=True, family_size=5)
THRESHOLD = 1.0 / (2.0 * math.pi * math.e)


def regime_of(A, B, Q, gate, form="gated", law="gaussian", name="ep"):
    return build_regime(name, A=A, B=B, Q=Q, gate=gate, form=form, law=law)


def test_registered_and_not_applicable_when_the_gate_reads_h():
    from ssmverify.checks._registry import CHECKS
    assert "entropy-positive" in CHECKS and CLAIMS["entropy-positive"].section == "§2.1"
    quiet = resolve_regimes(["builtin:sigmoid-quiet"])[0]
    assert CLAIMS["entropy-positive"].applicable(quiet) is not None
    result = EntropyPositiveCheck().run(quiet, SETTINGS)
    assert result.verdict == NOT_APPLICABLE and "reads h" in result.details["reason"]
    assert EntropyPositiveCheck().planned_comparisons(quiet, Settings()) == 0


def test_constant_gate_against_the_lyapunov_sum():
    A = np.array([[0.9, 0.2], [0.0, 0.7]])
    Q = np.array([[0.05, 0.01], [0.01, 0.02]])
    g = np.array([0.6, 0.9])
    regime = regime_of(A, [[1.0], [0.5]], Q, {"kind": "constant", "value": g.tolist()})
    result = EntropyPositiveCheck().run(regime, SETTINGS)
    M = np.diag(g) @ A
    for c in result.details["comparisons"]:
        t = c["t"]
        S = sum(np.linalg.matrix_power(M, k) @ Q @ np.linalg.matrix_power(M, k).T for k in range(t))
        H = 0.5 * math.log2(linalg.det(2 * math.pi * math.e * S))
        assert c["statistic"] == pytest.approx(H, rel=1e-10, abs=1e-12)
        assert c["method"] == "exact" and c["claimed"] == ">"
    assert result.verdict == FAIL                          # det(2πe Q) < 1 at t = 1
    assert result.details["representative"] == "t=1"
    assert EntropyPositiveCheck().planned_comparisons(regime, Settings()) == 0
    panel = result.details["plots"][0]["panels"][0]
    assert "(bits)" in panel["ylabel"]


@pytest.mark.parametrize("q,verdict", [(THRESHOLD * 1.02, PASS), (THRESHOLD * 0.98, FAIL)])
def test_threshold_per_coordinate(q, verdict):
    regime = regime_of(np.eye(2) * 0.5, [[1.0], [1.0]], q, {"kind": "constant", "value": 0.5})
    result = EntropyPositiveCheck().run(regime, SETTINGS)
    assert result.verdict == verdict
    assert result.details["entropy_at_t1_bits"] == pytest.approx(math.log2(2 * math.pi * math.e * q), rel=1e-12)


@pytest.mark.parametrize("Q", [[[0.5, 0.0], [0.0, 0.0]], 0.0])
def test_singular_noise_is_minus_infinity(Q):
    regime = regime_of(np.eye(2) * 0.5, [[1.0], [1.0]], Q, {"kind": "constant", "value": 0.5})
    result = EntropyPositiveCheck().run(regime, SETTINGS)
    assert result.verdict == FAIL
    first = result.details["comparisons"][0]
    assert first["statistic"] == -math.inf and first["decision"] == "violated" and first["method"] == "exact"


def test_input_gated_rademacher_matches_exact_enumeration():
    a, q, w, b = 0.5, 0.2, 1.5, 0.3
    regime = regime_of([[a]], [[1.0]], q, {"kind": "sigmoid", "W": [[w]], "b": [b]}, form="leaky",
                       law="rademacher")
    result = EntropyPositiveCheck().run(regime, SETTINGS)
    assert result.verdict == PASS                               # 2πe·0.2 > 1: positive at every t
    assert EntropyPositiveCheck().planned_comparisons(regime, Settings()) == 1
    assert EntropyPositiveCheck().planned_comparisons(regime, Settings(stages=1)) == STEPS - 1
    m = {s: 1.0 - (1.0 / (1.0 + math.exp(-(w * s + b)))) * (1.0 - a) for s in (-1.0, 1.0)}
    for c in result.details["comparisons"]:
        t = c["t"]
        total = 0.0
        for xs in itertools.product((-1.0, 1.0), repeat=t):
            var = 0.0
            for x in xs:
                var = m[x] ** 2 * var + q
            total += 0.5 * math.log2(2 * math.pi * math.e * var)
        exact = total / 2 ** t
        if t == 1:
            assert c["method"] == "exact" and c["statistic"] == pytest.approx(exact, rel=1e-12)
        else:
            assert c["method"] == "monte-carlo" and c["ci"][0] <= exact <= c["ci"][1], (t, exact, c["ci"])


def test_builtin_regimes():
    ok, bad = resolve_regimes(["builtin:entropy-noisy-input-gated", "builtin:entropy-below-threshold"])
    assert EntropyPositiveCheck().run(ok, SETTINGS).verdict == PASS
    result = EntropyPositiveCheck().run(bad, SETTINGS)
    assert result.verdict == FAIL and result.details["representative"] == "t=1"
    assert result.statistic == pytest.approx(0.5 * math.log2(2 * math.pi * math.e * 0.05), rel=1e-12)
    # later steps are positive on average: the failure is the small noise at t = 1
    later = [c for c in result.details["comparisons"] if c["t"] >= 3]
    assert all(c["statistic"] > 0 for c in later)


def test_units_change_the_sign():
    """h → c·h (B → cB, Q → c²Q) adds d·log₂ c bits: the claim's verdict depends on the units."""
    base = regime_of(np.eye(2) * 0.5, [[1.0], [1.0]], 0.02, {"kind": "constant", "value": 0.5})
    scaled = regime_of(np.eye(2) * 0.5, [[10.0], [10.0]], 2.0, {"kind": "constant", "value": 0.5})
    r0, r1 = (EntropyPositiveCheck().run(r, SETTINGS) for r in (base, scaled))
    assert r0.verdict == FAIL and r1.verdict == PASS
    for c0, c1 in zip(r0.details["comparisons"], r1.details["comparisons"]):
        assert c1["statistic"] - c0["statistic"] == pytest.approx(2 * math.log2(10.0), rel=1e-10)


def test_extremes_stay_honest():
    """Near float64's limits the closed form stays finite where it is, and overflow is never a number."""
    huge = regime_of(np.eye(2) * 0.25, [[1.0], [1.0]], 1e308, {"kind": "constant", "value": 1.0})
    result = EntropyPositiveCheck().run(huge, SETTINGS)
    assert result.verdict == PASS
    assert result.details["comparisons"][0]["statistic"] == pytest.approx(
        math.log2(2 * math.pi * math.e) + math.log2(1e308), rel=1e-12)      # d/2 = 1
    tiny = regime_of(np.eye(2) * 0.5, [[1.0], [1.0]], 1e-300, {"kind": "constant", "value": 0.5})
    result = EntropyPositiveCheck().run(tiny, SETTINGS)
    assert result.verdict == FAIL
    assert result.statistic == pytest.approx(math.log2(2 * math.pi * math.e * 1e-300), rel=1e-12)
    growing = regime_of(np.eye(2) * 3.0, [[1.0], [1.0]], 1e306, {"kind": "constant", "value": 1.0})
    result = EntropyPositiveCheck().run(growing, SETTINGS)
    comps = result.details["comparisons"]
    assert comps[0]["decision"] == "holds"
    overflowed = [c for c in comps if "not finite" in (c.get("note") or "")]
    assert overflowed and all(c["decision"] == "undecided" and math.isnan(c["statistic"]) for c in overflowed)
    assert result.verdict == "INCONCLUSIVE"
