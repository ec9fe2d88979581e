"""Verdicts do not depend on the units of the state.

Measuring the state in units 1/c as large multiplies it by c: B → cB, Q → c²Q, h_0 → c·h_0,
U → U/c (the gate reads the same pre-activation), and every length setting → c·length.  Each claim
whose statement is dimensionless must get the same verdict for c from 1e-4 to 1e4.  The paper's
Lemma 1 is the exception, and a finding: κ = ρ·L_G has units 1/state, so its hypotheses and its bound
change with c.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ssmverify.checks import Settings
from ssmverify.checks.suite import family_size, plan_rows, resolve_regimes, run_rows
from ssmverify.checks.theorem1 import Theorem1Check
from ssmverify.theorems import CLAIMS

LENGTHS = {("lemma1", "separations"), ("theorem2", "radii"), ("theorem2", "initial_radius")}
# Claims whose statement has units: κ = ρ·L_G (Lemma 1 and its readings), and a differential entropy
# (h → c·h adds d·log₂ c bits), whose sign is the claim.
NOT_DIMENSIONLESS = {"lemma1", "lemma1-independent", "theorem2-geometric", "entropy-positive"}


def rescale(regime, c: float):
    settings = {}
    for table, values in regime.settings.items():
        settings[table] = {
            key: (tuple(c * v for v in value) if isinstance(value, tuple) else c * value)
            if (table, key) in LENGTHS else value
            for key, value in values.items()
        }
    # Mamba's S6 form: the state's units enter through the drive Δ·(P_B x)·x, linear in P_B (B is a placeholder)
    s6 = None if regime.s6 is None else dataclasses.replace(regime.s6, x_proj_B=c * regime.s6.x_proj_B)
    return dataclasses.replace(
        regime, B=c * regime.B, noise_cov=c * c * regime.noise_cov, h0=c * regime.h0,
        U=None if regime.U is None else regime.U / c, settings=settings, s6=s6,
    )


def verdicts(regimes):
    rows = plan_rows(regimes, None)
    settings = Settings(quick=True)
    settings = Settings(quick=True, family_size=max(family_size(rows, settings), 1))
    return {(r.regime, r.claim): (r.verdict, r.hypotheses_hold) for r in run_rows(rows, settings)}


@pytest.mark.slow
def test_the_built_in_suite_gives_the_same_verdicts_in_other_units():
    regimes = resolve_regimes([])
    base = verdicts(regimes)
    for c in (1e-4, 1e4):
        scaled = verdicts([rescale(r, c) for r in regimes])
        differ = {k: (base[k], scaled[k]) for k in base if k[1] not in NOT_DIMENSIONLESS and base[k] != scaled[k]}
        # The paper's hypotheses ρ·L_G < 1 (Theorem 2) and L_G < 1 (§4.5.1, fixed-point) are not dimensionless:
        # where one flips with the units, the row flips to or from NOT_APPLICABLE — that is the finding, and only
        # a state-dependent gate shows it (L_G = 0 otherwise).
        flipped = {k for k, (b, s) in differ.items() if b[1] != s[1]}
        assert all(k[1] in ("theorem2", "fixed-point")
                   and any(r.name == k[0] and r.gate_depends_on_state for r in regimes) for k in flipped), flipped
        rest = {k: v for k, v in differ.items() if k not in flipped}
        assert not rest, f"c = {c:g}: {rest}"
        if c == 1e-4:
            assert flipped  # sigmoid-quiet: U × 1e4 makes ρ·L_G ≫ 1


@pytest.mark.parametrize("c", [1e-5, 1e-4, 1.0, 1e4])
def test_theorem1_violation_survives_any_units(c):
    """gate-drops-noise violates Theorem 1 126-fold; no absolute tolerance may hide it at small scales."""
    regime = rescale(resolve_regimes(["builtin:gate-drops-noise"])[0], c)
    check = Theorem1Check()
    result = check.run(regime, Settings(quick=True, family_size=max(check.planned_comparisons(regime, Settings()), 1)))
    assert result.verdict == "FAIL"
    assert result.statistic == pytest.approx(33.33 * c * c, rel=1e-3)


def test_rescaling_is_exact_on_the_model():
    regime = resolve_regimes(["builtin:sigmoid-far-apart"])[0]
    scaled = rescale(regime, 8.0)
    h = np.array([0.3, -0.7])
    pre = regime.W @ np.array([0.2]) + regime.U @ h + regime.b
    pre_scaled = scaled.W @ np.array([0.2]) + scaled.U @ (8.0 * h) + scaled.b
    np.testing.assert_allclose(pre, pre_scaled, rtol=1e-15)
    assert scaled.length_scale() == pytest.approx(8.0 * regime.length_scale(), rel=1e-15)
    assert set(CLAIMS) >= NOT_DIMENSIONLESS


def test_rescaling_is_exact_on_the_s6_form():
    from ssmverify.theorems.s6 import transition

    regime = resolve_regimes(["builtin:mamba-init"])[0]
    scaled = rescale(regime, 8.0)
    x = np.random.default_rng(0).normal(size=(5, regime.m))
    decay, drive = transition(regime.s6, x)
    decay_s, drive_s = transition(scaled.s6, x)
    np.testing.assert_array_equal(decay, decay_s)
    np.testing.assert_allclose(drive_s, 8.0 * drive, rtol=1e-15)
    assert scaled.length_scale() == pytest.approx(8.0 * regime.length_scale(), rel=1e-12)
