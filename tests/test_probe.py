"""ssmverify probe: maps, search, certified counterexamples, and Dask."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ssmverify.checks._knobs import KnobError, apply_knobs, parse_vary, regime_to_dict, to_toml
from ssmverify.checks.cli import main
from ssmverify.theorems import CLAIMS, load_regime, parse_regime
from ssmverify.theorems import _constants as K

HALF_OPEN = """
name = "sigmoid-half-open"
claims = ["lemma1"]
[model]
form = "gated"
A = [[0.9, 0.0], [0.0, 0.9]]
B = [[1.0], [0.5]]
noise_cov = 0.01
[model.gate]
kind = "sigmoid"
W = [[0.5], [0.5]]
U = [[2.0, 0.0], [0.0, 2.0]]
b = [0.0, 0.0]
[inputs]
law = "gaussian"
scale = 1.0
[lemma1]
steps = 8
separations = [0.001, 1.0]  # near pairs: the search test below relies on the margin peaking inside the box
"""


@pytest.fixture
def half_open(tmp_path):
    path = tmp_path / "half.toml"
    path.write_text(HALF_OPEN)
    return path


def probe(*argv):
    return main(["probe", *map(str, argv)])


def test_knobs_rescale_exactly_and_refuse_what_cannot_apply(half_open):
    base = load_regime(half_open, set(CLAIMS))
    r = apply_knobs(base, {"rho": 0.3, "lipschitz": 1.7, "model.A[0][1]": 0.0, "noise": 0.2})
    assert K.rho(r) == pytest.approx(0.3) and K.lipschitz_vector(r) == pytest.approx(1.7)
    np.testing.assert_allclose(r.noise_cov, 0.2 * np.eye(2))
    with pytest.raises(KnobError, match="constant gate"):
        apply_knobs(base, {"gate": 0.5})
    with pytest.raises(KnobError, match="no such scalar key|has no key"):
        apply_knobs(base, {"model.A[5][0]": 1.0})
    with pytest.raises(KnobError, match="model.noise_cov"):
        apply_knobs(base, {"noise": -1.0})
    assert parse_vary("rho=0.1:1:5:log").values[-1] == pytest.approx(1.0)
    for bad in ("rho", "rho=1:0.1:5", "rho=0:1:3:log", "model..A=0:1:2", "rho=a:b:c"):
        with pytest.raises(KnobError):
            parse_vary(bad)


def test_regime_round_trips_through_the_toml_writer(half_open, tmp_path):
    base = load_regime(half_open, set(CLAIMS))
    text = to_toml(regime_to_dict(base), header="a header")
    import tomllib
    again = parse_regime(tomllib.loads(text), "round-trip", set(CLAIMS))
    assert again.fingerprint() == base.fingerprint()


def test_map_differs_from_the_paper_region_and_a_counterexample_replays(half_open, tmp_path, capsys):
    out = tmp_path / "probe"
    status = probe(half_open, "--claim", "lemma1", "--vary", "rho=0.2:1.4:4", "--vary", "lipschitz=0.05:1.5:4",
                   "--paths", 256, "--max-counterexamples", 1, "--shrink-budget", 4, "--out", out)
    assert status == 1
    doc = json.loads((out / "grid.json").read_text())
    assert {"claim", "knobs", "cells"} <= set(doc)
    assert len(doc["cells"]) == 16 and (out / "grid.csv").read_text().count("\n") == 17
    inside = [c for c in doc["cells"] if c["hypotheses_hold"]]
    outside = [c for c in doc["cells"] if not c["hypotheses_hold"]]
    assert inside and outside and all(c["verdict"] == "NOT_APPLICABLE" for c in outside)
    # The paper's region is ρ·L_G < 1, yet the claim FAILs inside it.
    assert any(c["verdict"] == "FAIL" for c in inside)
    assert all(c["rho"] * c["lipschitz"] < 1 for c in inside)
    assert doc["tightest_constant"]["smallest_supported"] > doc["tightest_constant"]["paper_range"][0]
    assert (out / "grid.png").stat().st_size > 10_000 and (out / "grid.pdf").exists()
    certified = [c for c in doc["counterexamples"] if c["status"] == "certified"]
    assert certified, doc["counterexamples"]
    file = out / certified[0]["file"]
    replay = load_regime(file, set(CLAIMS))
    assert K.rho(replay) * K.lipschitz_vector(replay) < 1  # inside the paper's region
    capsys.readouterr()
    assert main(["run", str(file), "--claims", "lemma1", "--quick", "--out", str(tmp_path / "replay")]) == 1
    row = json.loads((tmp_path / "replay" / "results.json").read_text())["results"][0]
    assert row["claim"] == "lemma1" and row["verdict"] == "FAIL"


def test_search_beats_the_best_grid_cell_where_the_worst_case_is_interior(half_open, tmp_path):
    # On this regime the margin over L_G peaks near 0.2; a 3-point grid sees 0.01, 0.505 and 1.0.
    out = tmp_path / "search"
    probe(half_open, "--claim", "lemma1", "--vary", "lipschitz=0.01:1.0:3", "--search", 32, "--paths", 256,
          "--max-counterexamples", 0, "--out", out)
    doc = json.loads((out / "grid.json").read_text())
    grid_best = max(c["objective"] for c in doc["cells"])
    assert doc["search"]["best_objective"] > grid_best + 0.02
    assert 0.05 < doc["search"]["best"]["lipschitz"] < 0.45


def test_no_certified_counterexample_for_a_claim_true_by_construction(half_open, tmp_path):
    out = tmp_path / "true"
    status = probe(half_open, "--claim", "lemma1-corrected", "--vary", "rho=0.2:1.4:3",
                   "--vary", "lipschitz=0.05:1.5:3", "--search", 16, "--paths", 256, "--out", out)
    doc = json.loads((out / "grid.json").read_text())
    assert status == 0
    assert not any(c["verdict"] == "FAIL" for c in doc["cells"])
    assert not any(c["status"] == "certified" for c in doc["counterexamples"])
    assert not (out / "counterexamples").exists()


@pytest.mark.parametrize("regime,claim,knob", [
    ("builtin:fano-noisy-input-gated", "fano-corrected", "noise=0.05:1.0:3"),
    ("builtin:gate-drops-noise", "rd-converse", "gate=0.2:1.0:3"),
])
def test_no_counterexample_for_the_information_controls(tmp_path, regime, claim, knob):
    """Checks that run whole (no vmapped simulation) go through the probe's sequential path."""
    out = tmp_path / claim
    status = probe(regime, "--claim", claim, "--vary", knob, "--search", 4, "--out", out)
    doc = json.loads((out / "grid.json").read_text())
    assert status == 0 and doc["counts"]["FAIL"] == 0
    assert doc["counterexamples"] == [] and not (out / "counterexamples").exists()


def test_dask_and_local_runs_give_identical_grid_json(half_open, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    args = ["--claim", "lemma1", "--vary", "rho=0.2:1.4:3", "--vary", "lipschitz=0.05:1.5:3", "--paths", 128,
            "--max-counterexamples", 0]
    probe(half_open, *args, "--out", tmp_path / "local")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        probe(half_open, *args, "--out", tmp_path / "dask", "--dask", cluster.scheduler_address)
    local = (tmp_path / "local" / "grid.json").read_bytes()
    assert local == (tmp_path / "dask" / "grid.json").read_bytes()


@pytest.mark.parametrize("argv,fragment", [
    (["--claim", "lemma9", "--vary", "rho=0:1:2"], "unknown claim"),
    (["--claim", "lemma1", "--vary", "gate=0:1:2"], "constant gate"),
    (["--claim", "lemma1", "--vary", "rho=0.1:1"], "lo:hi:n"),
    (["--claim", "lemma1", "--vary", "model.A[0][0]=0:1:2", "--vary", "model.A[0][0]=0:1:2"], "twice"),
])
def test_bad_probe_arguments_exit_2(half_open, tmp_path, capsys, argv, fragment):
    assert probe(half_open, *argv, "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_the_probes_light_simulation_decides_exactly_as_the_full_one(half_open):
    """lemma1 in a probe simulates only synchronous distances; its deciding comparisons are run()'s."""
    from ssmverify.checks import Settings
    from ssmverify.checks._registry import CHECKS
    check = CHECKS["lemma1"]
    regime = load_regime(half_open, set(CLAIMS))
    settings = Settings(n_paths=128, family_size=8)
    full = check.comparisons(regime, check.draw(regime, settings, 0, 128), settings.level, True)
    light = check.comparisons(regime, check.draw_grid([regime], settings, 128)[0], settings.level, True)
    deciding, light = [c for c in full if c.decides], [c for c in light if c.decides]
    assert deciding and [(c.label, c.decision) for c in deciding] == [(c.label, c.decision) for c in light]
    # vmapped cells fuse float operations differently from a single run: equal up to rounding
    np.testing.assert_allclose([c.statistic for c in light], [c.statistic for c in deciding], rtol=1e-12)
    np.testing.assert_allclose([c.ci for c in light], [c.ci for c in deciding], rtol=1e-12)


def test_theorem2s_light_probe_simulation_decides_exactly_as_the_full_one():
    """theorem2 in a probe leaves out the reported ‖h_t‖²; the coupling comparisons are run()'s."""
    from ssmverify.checks import Settings
    from ssmverify.checks._registry import CHECKS
    from ssmverify.checks.suite import resolve_regimes
    check = CHECKS["theorem2"]
    regime = resolve_regimes(["builtin:sigmoid-quiet"])[0]
    settings = Settings(n_paths=128, family_size=8)
    full_data, light_data = check.draw(regime, settings, 0, 128), check.draw_grid([regime], settings, 128)[0]
    assert "synchronous.sq" in full_data and "synchronous.sq" not in light_data
    full = check.comparisons(regime, full_data, settings.level, True)
    light = check.comparisons(regime, light_data, settings.level, True)
    assert len(full) >= 2 and [(c.label, c.decision) for c in full] == [(c.label, c.decision) for c in light]
    np.testing.assert_allclose([c.statistic for c in light], [c.statistic for c in full], rtol=1e-12)
    np.testing.assert_allclose([c.ci for c in light], [c.ci for c in full], rtol=1e-12)


@pytest.mark.parametrize("claim,knob", [("lemma1", "lipschitz=0.01:1.0:3"), ("theorem2", "rho=1.2:2.0:3")])
def test_search_gradient_matches_finite_differences_of_the_same_estimate(half_open, claim, knob):
    """With common random numbers the Monte Carlo margin is a smooth function of the knob: jax.grad = its slope."""
    import jax
    import jax.numpy as jnp

    from ssmverify.checks import Settings
    from ssmverify.checks._knobs import differentiable_knobs
    from ssmverify.checks._registry import CHECKS
    from ssmverify.checks.probe import _unit_to_values
    base = load_regime(half_open, set(CLAIMS))
    knobs = [parse_vary(knob)]
    setter = differentiable_knobs(base, [knobs[0].name])
    margin = CHECKS[claim].margin_function(base, Settings(n_paths=128, family_size=8), 128)
    f = jax.jit(lambda u: margin(setter(_unit_to_values(knobs, u))))
    u0, h = 0.3, 1e-5
    grad = float(jax.grad(f)(jnp.asarray([u0]))[0])
    fd = (float(f(jnp.asarray([u0 + h]))) - float(f(jnp.asarray([u0 - h])))) / (2 * h)
    assert np.isfinite(grad) and grad != 0.0
    assert grad == pytest.approx(fd, rel=1e-4, abs=1e-8)


def test_knobs_that_do_not_enter_smoothly_fall_back_to_the_evolution_strategy(half_open):
    from ssmverify.checks._knobs import differentiable_knobs
    base = load_regime(half_open, set(CLAIMS))
    assert differentiable_knobs(base, ["rho", "lipschitz", "model.gate.b[1]", "input_scale"]) is not None
    assert differentiable_knobs(base, ["model.h0[0]"]) is None
    assert differentiable_knobs(base, ["gate"]) is None  # a sigmoid regime has no constant gate value


def test_a_cells_verdict_is_the_runs_verdict(half_open):
    """A cell is decided as a run row is: combine() over its comparisons, and check.run agrees on the cell."""
    from ssmverify.checks import Settings
    from ssmverify.checks._registry import CHECKS
    from ssmverify.checks._verdict import NOT_APPLICABLE, combine, representative
    from ssmverify.checks.probe import run_grid
    from ssmverify.checks.probe.grid import evaluate
    from ssmverify.checks.suite import resolve_regimes
    base = load_regime(half_open, set(CLAIMS))
    check = CHECKS["lemma1"]
    knobs = [parse_vary("rho=0.2:1.4:3"), parse_vary("lipschitz=0.05:1.5:2")]
    grid = run_grid(base, "lemma1", knobs, Settings(n_paths=128))
    s = grid["settings"]
    assert s.max_stages == 1 and s.paths == 128
    verdicts = set()
    for values, cell in zip(grid["combos"], grid["cells"]):
        regime = apply_knobs(base, values)
        decides = check.decides(regime)
        comps = check.comparisons(regime, check.draw_grid([regime], s, s.paths)[0], s.level, decides)
        expected = combine(comps) if decides else NOT_APPLICABLE
        assert cell["verdict"] == expected
        assert cell["comparison"] == representative(comps, expected).label
        row = check.run(regime, s)   # the same paths: stages=1, the regime's own name, the same seed
        assert row.verdict == cell["verdict"]
        if decides:  # the same deciding comparisons (a probe's light simulation skips the reported context)
            assert row.details["representative"] == cell["comparison"]
            assert cell["statistic"] == pytest.approx(row.statistic, rel=1e-12)
        verdicts.add(cell["verdict"])
    assert {"FAIL", "NOT_APPLICABLE"} <= verdicts
    # A check that runs whole: the cell is the run's row.
    whole = CHECKS["entropy-positive"]
    regime = resolve_regimes(["builtin:constant-gate"])[0]
    s = Settings(n_paths=256, stages=1, family_size=8)
    cell, row = evaluate(whole, [regime], s, 1)[0], whole.run(regime, s)
    assert (cell["verdict"], cell["comparison"], cell["statistic"]) == (row.verdict, row.details["representative"],
                                                                        row.statistic)


@pytest.mark.parametrize("regime, claim", [
    ("sigmoid-quiet", "theorem2"),           # state-dependent: coupling comparisons; W2 and λ₁ only reported
    ("escape", "lemma1"),                    # sample splitting: the pilot selects the comparison
    ("input-gated-stable", "theorem2"),      # the second-moment operator
    ("fano-sharp-memory", "fano"),           # a check with its own run()
    ("constant-gate", "gate-retains"),
])
def test_verdict_without_the_reported_context_is_the_runs_verdict(regime, claim):
    """Check.verdict (what the probe certifies and shrinks with) gives run()'s verdict, on the same stream."""
    from ssmverify.checks import Settings
    from ssmverify.checks._registry import CHECKS
    from ssmverify.checks.suite import resolve_regimes
    r = resolve_regimes([f"builtin:{regime}"])[0]
    check = CHECKS[claim]
    for quick in (True, False):
        s = Settings(quick=quick, family_size=max(check.planned_comparisons(r, Settings()), 1))
        assert check.verdict(r, s) == check.run(r, s).verdict


def test_the_cell_summary_combines_as_a_run_and_keeps_nan_out_of_margins():
    from ssmverify.checks._verdict import HOLDS, UNDECIDED, VIOLATED, Comparison, combine
    from ssmverify.checks.probe.grid import summarise

    def comp(label, stat, ci, decision, claimed="<=", selected=True, decides=True):
        return Comparison(label, stat, 1.0, ci, decision, 100, claimed=claimed, selected=selected, decides=decides)

    # A violated comparison the pilot did not select cannot FAIL the row (combine), so neither the cell.
    comps = [comp("a", 3.0, (2.0, 4.0), VIOLATED, selected=False), comp("b", 0.5, (0.4, 0.6), HOLDS)]
    cell = summarise(comps, True)
    assert cell["verdict"] == combine(comps) == "INCONCLUSIVE"
    assert cell["objective"] == pytest.approx(2.0) and cell["certified_margin"] == pytest.approx(1.0)
    # NaN statistics are never a margin; with nothing finite the objective is −inf, the margin NaN.
    cell = summarise([comp("n", np.nan, (np.nan, np.nan), UNDECIDED)], True)
    assert cell["verdict"] == "INCONCLUSIVE" and np.isnan(cell["margin"])
    assert cell["objective"] == -np.inf and cell["certified_margin"] == -np.inf
    # A claim "statistic > bound" is violated below the bound: its margin is bound − statistic.
    cell = summarise([comp("g", -1.5, (-2.0, -1.0), VIOLATED, claimed=">")], True)
    assert cell["verdict"] == "FAIL" and cell["margin"] == pytest.approx(2.5) and cell["objective"] == pytest.approx(2.5)
    assert cell["certified_margin"] == pytest.approx(2.0)
    # Where the check does not decide: NOT_APPLICABLE, and no objective.
    cell = summarise(comps, False)
    assert cell["verdict"] == "NOT_APPLICABLE" and cell["objective"] == -np.inf
