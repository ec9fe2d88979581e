"""The contract every registered claim keeps, on every built-in regime (scipy's test_continuous_basic idea).

One run of every registered claim (the paper's, and the example plugin's) on every built-in regime, quick
settings; then, row by row: the row is well formed (the fields the reports read, the schema), its deciding
statistical comparisons do not outnumber what its check planned (the Bonferroni family is fixed from the
plans, so a check that decides more than it planned would break the run's error control), its
representative is one of its comparisons, and each plot specification becomes exactly one figure.
Adding a claim to the registry adds it here with no edit.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import ssmverify
from ssmverify.checks._base import Settings
from ssmverify.checks.plugins import registry_with
from ssmverify.checks.suite import resolve_regimes
from ssmverify.reports import figures, validate_results

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "custom_claim.py"
REGISTRY = registry_with([EXAMPLE])
REGIMES = resolve_regimes([], REGISTRY)


@pytest.fixture(scope="module")
def everything():
    results = ssmverify.run(None, claims=list(REGISTRY.claims), quick=True, plugins=[EXAMPLE])
    return results


def test_every_claim_has_a_row_on_every_builtin_regime(everything):
    pairs = {(r.regime, r.claim) for r in everything}
    assert pairs == {(g.name, c) for g in REGIMES for c in REGISTRY.claims}
    validate_results(everything.to_json())


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("claim", list(REGISTRY.claims))
def test_rows_keep_the_contract(everything, claim):
    check = REGISTRY.checks[claim]
    settings = Settings(quick=True, family_size=everything.settings["family_size"])
    by_name = {g.name: g for g in REGIMES}
    for row in (r for r in everything if r.claim == claim):
        regime = by_name[row.regime]
        where = f"{claim} on {row.regime}"
        assert isinstance(row.verdict, ssmverify.Verdict), where
        assert isinstance(row.hypotheses_hold, bool) and isinstance(row.n_samples, int) and row.n_samples >= 0
        assert len(row.ci) == 2 and all(isinstance(v, float) for v in (row.statistic, row.bound, *row.ci)), where
        assert row.method in (None, "monte-carlo", "exact", "observation"), where
        for h in row.hypotheses:
            assert set(h) >= {"name", "holds", "detail"} and isinstance(h["holds"], bool), where
        assert row.hypotheses_hold == all(h["holds"] for h in row.hypotheses), where
        details = row.details
        assert isinstance(details.get("comparisons"), list) and isinstance(details.get("plots"), list), where
        assert details["claim"]["id"] == claim and details["reproduce"].startswith("ssmverify run "), where
        if row.verdict != ssmverify.Verdict.NOT_APPLICABLE:
            assert check.claim.reason_not_applicable(regime) is None, where
        # planned ≥ deciding: statistical comparisons that may decide (with sample splitting, the selected one)
        deciding = [c for c in row.comparisons if c["decides"] and c["method"] == "monte-carlo" and c["selected"]]
        if check.claim.reason_not_applicable(regime) is None:
            assert len(deciding) <= check.planned_comparisons(regime, settings), where
        if row.verdict in (ssmverify.Verdict.PASS, ssmverify.Verdict.FAIL):
            assert any(c["decides"] for c in row.comparisons), where
        # the representative is one of the row's comparisons, and the row reports its numbers
        rep = details.get("representative")
        if rep is not None:
            chosen = [c for c in row.comparisons if c["label"] == rep]
            assert chosen, where
            assert _same(float(chosen[0]["statistic"]), row.statistic) or isinstance(chosen[0]["statistic"], str)
        # one figure per plot specification, each named after the row
        assert len(row.figures) == len(details["plots"]), where
        assert all(f.startswith("figures/") and f.endswith(".png") for f in row.figures), where


def test_each_claims_plot_specification_draws(everything):
    """One row per claim (the first with a plot): its specification draws as a PNG."""
    drawn = set()
    for row in everything:
        if row.claim in drawn or not row.details["plots"]:
            continue
        png = figures.to_bytes(row.details["plots"][0], ("png",))["png"]
        assert png.startswith(b"\x89PNG"), row.claim
        drawn.add(row.claim)
    assert drawn >= {"lemma1", "theorem2", "norm-growth"}
