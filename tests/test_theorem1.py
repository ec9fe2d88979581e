"""Theorem 1 (§6.1): D ≤ D(I_min) at I_min = I(ĥ_t; x_{1:t}), against oracles written here.

Oracles: stationary variances of independent scalar AR(1) coordinates in closed
form, Gaussian informations from determinants, the distortion-rate function by
bisection on the water level, subsets enumerated with itertools.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from ssmverify.checks._base import Settings
from ssmverify.checks._registry import CHECKS
from ssmverify.checks.suite import resolve_regimes
from conftest import build_regime

SETTINGS = Settings(seed=0, alpha=0.01, quick=True, family_size=30)


def make_regime(name, A, B, Q, gate=1.0):
    return build_regime(name, A=A, B=B, Q=Q, gate=gate)


def distortion_rate_oracle(lams, R_bits):
    lams = np.asarray(lams, float)
    if R_bits <= 0:
        return float(lams.sum())
    lo, hi = 1e-30 * lams.max(), lams.max()
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        R = np.maximum(0.0, 0.5 * np.log2(lams / mid)).sum()
        lo, hi = (mid, hi) if R > R_bits else (lo, mid)
    return float(np.minimum(hi, lams).sum())


def test_gate_dropping_a_noise_coordinate_breaks_theorem1():
    """h = (signal AR(1), pure-noise AR(1)), independent: keeping coordinate 0 keeps all input information."""
    a0, a1, b0, q0, q1 = 0.9, 0.5, 0.5, 1e-4, 25.0
    regime = make_regime("drop-noise", [[a0, 0.0], [0.0, a1]], [[b0], [0.0]], [[q0, 0.0], [0.0, q1]])
    res = CHECKS["theorem1"].run(regime, SETTINGS)
    assert res.verdict == "FAIL"
    var0 = (b0 ** 2 + q0) / (1 - a0 ** 2)
    var1 = q1 / (1 - a1 ** 2)
    I_hx = 0.5 * math.log2(var0 / (q0 / (1 - a0 ** 2)))          # only coordinate 0 carries x
    D_bound = distortion_rate_oracle([var0, var1], I_hx)
    assert res.details["representative"] == "keep {0}"
    worst = res.details["worst_compressor"]
    assert worst["name"] == "keep {0}"
    assert worst["I_min_bits"] == pytest.approx(I_hx, rel=1e-9)
    assert worst["distortion"] == pytest.approx(var1, rel=1e-9)
    assert worst["D_of_I_min"] == pytest.approx(D_bound, rel=1e-7)
    assert worst["excess"] == pytest.approx(var1 - D_bound, rel=1e-7)
    rows = {r["name"]: r for r in res.details["compressors"]}
    keep0 = rows["keep {0}"]
    assert keep0["violates"] and keep0["violates_with_mmse_decoder"] and keep0["most_informative_of_its_size"]
    assert keep0["dims"] == 1 and math.isinf(keep0["rate_bits"])
    # Scaling gates keep all the information; their distortion is Σ(1 − g)² E h_i².
    for g in (0.5, 0.9):
        row = rows[f"scale ×{g:g}"]
        assert row["info_inputs_bits"] == pytest.approx(I_hx, rel=1e-9)
        assert row["distortion"] == pytest.approx((1 - g) ** 2 * (var0 + var1), rel=1e-9)
        assert row["distortion_mmse"] == pytest.approx(0.0, abs=1e-9)
    # Dropping the signal coordinate keeps no input information: D(0) = trace, which it respects.
    assert rows["keep {1}"]["info_inputs_bits"] == pytest.approx(0.0, abs=1e-12)
    assert not rows["keep {1}"]["violates"]
    # Quantisers are reported, never decided.
    quants = [r for r in res.details["compressors"] if r["family"] == "uniform scalar quantiser"]
    assert quants and not any(r["decides"] for r in quants)
    assert all(not c["decides"] for c in res.details["comparisons"] if c["label"].startswith("quantiser"))


def test_low_snr_regime_passes():
    regime = make_regime("low-snr", [[0.5, 0.0], [0.0, 0.5]], [[0.2], [0.1]], np.eye(2), gate=0.8)
    res = CHECKS["theorem1"].run(regime, SETTINGS)
    assert res.verdict == "PASS"
    builtin = resolve_regimes(["builtin:low-snr", "builtin:gate-drops-noise"])
    assert [CHECKS["theorem1"].run(r, SETTINGS).verdict for r in builtin] == ["PASS", "FAIL"]


def test_most_informative_subsets_in_three_dimensions():
    A = [[0.6, 0.1, 0.0], [0.0, 0.5, 0.0], [0.2, 0.0, 0.7]]
    B = [[1.0, 0.0], [0.3, 0.5], [0.0, 0.2]]
    Q = [[0.3, 0.1, 0.0], [0.1, 0.2, 0.0], [0.0, 0.0, 0.5]]
    regime = make_regime("three", A, B, Q, gate=[0.9, 0.7, 0.8])
    res = CHECKS["theorem1"].run(regime, SETTINGS)
    src = res.details["source"]
    S, Sn = np.array(src["cov"]), np.array(src["noise_cov"])
    rows = {r["name"]: r for r in res.details["compressors"]}
    for k in (1, 2):
        infos = {}
        for sub in itertools.combinations(range(3), k):
            ix = np.ix_(sub, sub)
            infos[sub] = 0.5 * math.log2(np.linalg.det(S[ix]) / np.linalg.det(Sn[ix]))
            name = f"keep {{{','.join(map(str, sub))}}}"
            assert rows[name]["info_inputs_bits"] == pytest.approx(infos[sub], rel=1e-9)
            dropped = [i for i in range(3) if i not in sub]
            assert rows[name]["distortion"] == pytest.approx(sum(S[i, i] for i in dropped), rel=1e-9)
        best = max(infos, key=infos.get)
        flagged = [n for n, r in rows.items() if r.get("most_informative_of_its_size") and r["dims"] == k
                   and r["family"] == "keep-subset gate"]
        assert flagged == [f"keep {{{','.join(map(str, best))}}}"]
    # The regime's own gate is among the compressors, and data processing holds for every gate.
    assert "regime gate diag(g)" in rows
    i_hx = res.details["data_processing"]["I_state_inputs_bits"]
    assert all(r["info_inputs_bits"] <= i_hx + 1e-9 for r in rows.values() if r["decides"])
    # Every deciding comparison is a closed form: none takes a share of α.
    deciding = [c for c in res.details["comparisons"] if c["decides"]]
    assert deciding and all(c["method"] == "exact" for c in deciding)
    assert CHECKS["theorem1"].planned_comparisons(regime, SETTINGS) == 0
