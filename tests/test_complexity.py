"""``complexity`` (§5, §7): the selective update's cost, against oracles computed here.

* the flop formulas of ``theorems.complexity`` against an *instrumented* count: the same NumPy updates run on
  object arrays of scalars that count every +, −, ×, ÷, negation and exp they take part in;
* the sparse update really skips inactive rows (NaN there changes nothing), and both updates follow the NumPy
  twin ``theorems._reference`` on identical inputs and noise;
* the exact polynomial arithmetic (degree in d) on polynomials written here;
* dim_eff on visited states against the reference twin driven by the same draws;
* the exponent fit on synthetic timings t = c·size^b·noise (known b), at fixed seeds — real timings never
  decide anything here;
* the verdicts: FAIL on the built-in ``soft-gate-cost`` (sigmoid gate, d = 8) and on a gate with zeros, PASS on
  a gate that is identically 0; rows byte-identical for the same seed.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

import ssmverify
from ssmverify.checks import FAIL, NOT_APPLICABLE, PASS, Settings
from ssmverify.checks import complexity as check_module
from ssmverify.checks.complexity import ComplexityCheck, fit_exponent, measure_timings, visited_gates
from ssmverify.theorems import parse_regime
from ssmverify.theorems._reference import reference_gate, reference_trajectory
from ssmverify.theorems.complexity import (COMPLEXITY, count_polynomial, dense_flops, dense_update, exponent_in_d,
                                           gate_flops, matvec_flops, noise_flops, sigmoid_gate, sparse_flops,
                                           sparse_update, step_flops)
from ssmverify.theorems.entropy_positive import draw_inputs
from ssmverify.theorems.model import psd_sqrt
from ssmverify.theorems.regime import declare_settings

from conftest import Counted, count, counted, values

SETTINGS = Settings(quick=True)
declare_settings(COMPLEXITY)         # the [complexity] table, as registration does
# The check as a plugin until it is registered (then the registry holds it, and a plugin of the same id clashes).
PLUGINS = [] if "complexity" in ssmverify.claims() else [ComplexityCheck()]


def gate_with_zeros(rng, d, k):
    g = np.zeros(d)
    g[rng.choice(d, size=k, replace=False)] = rng.uniform(0.1, 1.0, size=k)
    return g


# --- the counts ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("form", ["gated", "leaky"])
@pytest.mark.parametrize("noise", [False, True])
def test_update_counts_match_the_instrumented_count(form, noise):
    rng = np.random.default_rng(1)
    for d in (1, 2, 3, 5):
        for m in (1, 2, 3):
            A, B = rng.standard_normal((d, d)), rng.standard_normal((d, m))
            h, x, w = rng.standard_normal(d), rng.standard_normal(m), rng.standard_normal(d)
            Ac, Bc, hc, xc = counted(A), counted(B), counted(h), counted(x)
            wc = counted(w) if noise else None
            for k in range(d + 1):
                g = gate_with_zeros(rng, d, k)
                gc = counted(g)
                n_dense, out_dense = count(dense_update, Ac, Bc, hc, xc, gc, form, wc)
                n_sparse, out_sparse = count(sparse_update, Ac, Bc, hc, xc, gc, form, wc)
                extra_dense = noise_flops(d, None, form) if noise else 0
                extra_sparse = noise_flops(d, k, form) if noise else 0
                assert n_dense == dense_flops(d, m, form) + extra_dense, (d, m, k)
                assert n_sparse == sparse_flops(d, k, m, form) + extra_sparse, (d, m, k)
                assert n_sparse == step_flops(d, k, m, form, "constant", noise=noise)
                ref = dense_update(A, B, h, x, g, form, w if noise else None)      # plain float64
                np.testing.assert_allclose(values(out_dense), ref, rtol=1e-13, atol=1e-13)
                np.testing.assert_allclose(values(out_sparse), ref, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("reads", [False, True])
def test_gate_count_matches_the_instrumented_count(reads):
    rng = np.random.default_rng(2)
    for d in (1, 2, 4):
        for m in (1, 3):
            W, U, b = rng.standard_normal((d, m)), rng.standard_normal((d, d)), rng.standard_normal(d)
            x, h = rng.standard_normal(m), rng.standard_normal(d)
            n, out = count(sigmoid_gate, counted(W), counted(U) if reads else None, counted(b), counted(x), counted(h))
            assert n == gate_flops(d, m, "sigmoid", reads)
            assert Counted.ops["exp"] == d and Counted.ops["neg"] == d and Counted.ops["/"] == d
            params = {"gate": "sigmoid", "W": W, "U": U if reads else np.zeros((d, d)), "b": b}
            np.testing.assert_allclose(values(out), reference_gate(params, x, h), rtol=1e-14)
    assert gate_flops(7, 3, "constant") == 0


def test_count_formulas_in_closed_form_at_large_sizes():
    for d, k, m in [(4096, 1, 1), (4096, 37, 5), (1000, 1000, 64), (3, 0, 2)]:
        assert matvec_flops(k, d) == (k * (2 * d - 1) if k else 0)
        assert dense_flops(d, m, "gated") == 2 * d * (d + m)
        assert dense_flops(d, m, "leaky") == 2 * d * (d + m) + 2 * d
        assert sparse_flops(d, k, m, "gated") == 2 * k * (d + m)
        assert sparse_flops(d, k, m, "leaky") == 2 * k * (d + m + 1)
        assert gate_flops(d, m, "sigmoid", False) == 2 * d * m + 4 * d
        assert gate_flops(d, m, "sigmoid", True) == 2 * d * d + 2 * d * m + 4 * d
    for form in ("gated", "leaky"):                    # the sparse update of every component is the dense one
        assert sparse_flops(64, 64, 3, form) == dense_flops(64, 3, form)
    with pytest.raises(ValueError):
        sparse_flops(4, 5, 1, "gated")
    with pytest.raises(ValueError):
        dense_flops(4, 1, "other")


def test_sparse_update_never_reads_inactive_rows():
    rng = np.random.default_rng(3)
    d, m = 12, 3
    A, B = rng.standard_normal((d, d)), rng.standard_normal((d, m))
    h, x, w = rng.standard_normal(d), rng.standard_normal(m), rng.standard_normal(d)
    g = gate_with_zeros(rng, d, 4)
    idle = g == 0
    A_bad, B_bad = A.copy(), B.copy()
    A_bad[idle], B_bad[idle] = np.nan, np.nan                 # poison the rows the sparse update must skip
    for form in ("gated", "leaky"):
        for noise in (None, w):
            clean = dense_update(A, B, h, x, g, form, noise)
            skipped = sparse_update(A_bad, B_bad, h, x, g, form, noise)
            assert np.all(np.isfinite(skipped))
            np.testing.assert_allclose(skipped, clean, rtol=1e-13, atol=1e-13)
            assert np.all(np.isnan(dense_update(A_bad, B_bad, h, x, g, form, noise)[idle]))


def _trajectory(params, h0, xs, ws, update):
    h, out = np.array(h0, float), []
    for t in range(xs.shape[0]):
        if params["gate"] == "sigmoid":
            g = sigmoid_gate(params["W"], params["U"], params["b"], xs[t], h)
        else:
            g = np.broadcast_to(np.asarray(params["gate_value"], float), h.shape).copy()
        h = update(params["A"], params["B"], h, xs[t], g, params["form"], ws[t])
        out.append(h)
    return np.array(out)


@pytest.mark.parametrize("form", ["gated", "leaky"])
@pytest.mark.parametrize("gate", ["constant", "sigmoid"])
def test_updates_follow_the_reference_twin(form, gate):
    rng = np.random.default_rng(4)
    d, m, T = 6, 2, 40
    A = 0.6 * np.eye(d) + 0.05 * rng.standard_normal((d, d))
    B = rng.standard_normal((d, m))
    params = {"A": A, "B": B, "form": form, "gate": gate}
    if gate == "constant":
        params["gate_value"] = np.array([0.0, 0.7, 0.0, 1.0, 0.3, 0.0])       # zeros: the sparse update skips
    else:
        params.update(W=rng.standard_normal((d, m)), U=0.3 * rng.standard_normal((d, d)), b=rng.standard_normal(d))
    xs, ws = rng.standard_normal((T, m)), 0.1 * rng.standard_normal((T, 1, d))
    h0 = rng.standard_normal(d)
    ref = reference_trajectory(params, h0[None], xs, ws)[:, 0]
    scale = np.abs(ref).max()
    for update in (dense_update, sparse_update):
        mine = _trajectory(params, h0, xs, ws[:, 0], update)
        np.testing.assert_allclose(mine, ref, rtol=0, atol=1e-12 * scale)


# --- exact arithmetic in d ----------------------------------------------------------------------------------
def test_count_polynomial_and_exponent_are_exact():
    assert count_polynomial(lambda d: 3 * d * d + 2 * d + 1) == (3, 2, 1)
    assert count_polynomial(lambda d: 7, base=5) == (0, 0, 7)
    assert exponent_in_d(lambda d: 0) == 0
    assert exponent_in_d(lambda d: dense_flops(d, 3, "leaky")) == 2
    assert exponent_in_d(lambda d: sparse_flops(d, 2, 3, "gated")) == 1
    assert exponent_in_d(lambda d: sparse_flops(d, 0, 3, "gated")) == 0
    with pytest.raises(ValueError, match="not a polynomial"):
        count_polynomial(lambda d: d ** 3)


# --- dim_eff on visited states ------------------------------------------------------------------------------
def regime_of(A, B, Q, gate, form="gated", name="cx", extra=None):
    data = {"name": name, "inputs": {"law": "gaussian", "scale": 1.0},
            "model": {"form": form, "A": np.asarray(A, float).tolist(), "B": np.asarray(B, float).tolist(),
                      "noise_cov": Q, "gate": gate}, **(extra or {})}
    return parse_regime(data, f"test:{name}")


def test_visited_dim_eff_against_the_reference_twin():
    rng0 = np.random.default_rng(5)
    d, m, n, T = 3, 2, 4, 10
    A = 0.5 * np.eye(d) + 0.1 * rng0.standard_normal((d, d))
    B, W, U = rng0.standard_normal((d, m)), rng0.standard_normal((d, m)), 0.4 * rng0.standard_normal((d, d))
    b = rng0.standard_normal(d)
    Q = [[0.02, 0.005, 0.0], [0.005, 0.03, 0.0], [0.0, 0.0, 0.01]]
    for form in ("gated", "leaky"):
        regime = regime_of(A, B, Q, {"kind": "sigmoid", "W": W.tolist(), "U": U.tolist(), "b": b.tolist()}, form)
        got = visited_gates(regime, np.random.default_rng(9), steps=T, n=n)
        # the same draws, in the same order, fed to the reference twin
        rng = np.random.default_rng(9)
        xs = draw_inputs(regime, rng, n, T)
        L = psd_sqrt(np.asarray(Q))
        ws = np.stack([rng.standard_normal((n, d)) @ L.T for _ in range(T)])          # (T, n, d)
        params = {"A": A, "B": B, "form": form, "gate": "sigmoid", "W": W, "U": U, "b": b}
        for p in range(n):
            traj = reference_trajectory(params, regime.h0[None], xs[p], ws[:, p][:, None])[:, 0]
            prev = np.vstack([regime.h0, traj[:-1]])
            want = [reference_gate(params, xs[p, t], prev[t]).sum() for t in range(T)]
            np.testing.assert_allclose(got["dim_eff"][p], want, rtol=1e-12)
        assert got["finite"].all() and (got["active"] == d).all()


# --- timings: the fit on synthetic timings, the pipeline with a synthetic clock ------------------------------
def synthetic_times(rng, sizes, b, repeats=7, sigma=0.05, outliers=0.1):
    sizes = np.asarray(sizes, float)
    t = 3e-7 * sizes[:, None] ** b * np.exp(sigma * rng.standard_normal((len(sizes), repeats)))
    hit = rng.random(t.shape) < outliers
    return np.where(hit, t * 20.0, t)                       # a few gross outliers (another job on the machine)


@pytest.mark.parametrize("b", [0.0, 1.0, 2.0])
def test_fit_recovers_a_known_exponent_within_its_interval(b):
    rng = np.random.default_rng(6)
    sizes = [64, 128, 256, 512, 1024, 2048]
    fit = fit_exponent(sizes, synthetic_times(rng, sizes, b))
    assert fit["lo"] <= b <= fit["hi"]
    assert fit["hi"] - fit["lo"] < 0.25 and fit["df"] == 4 and fit["confidence"] == 0.95
    exact = fit_exponent(sizes, 2e-9 * np.asarray(sizes, float)[:, None] ** b * np.ones((1, 3)))
    assert exact["exponent"] == pytest.approx(b, abs=1e-12) and exact["hi"] - exact["lo"] < 1e-9


def test_fit_interval_coverage_on_synthetic_timings():
    rng = np.random.default_rng(7)
    sizes = [8, 16, 32, 64, 128, 256, 512, 1024]
    trials = 400
    hits = sum(f["lo"] <= 1.5 <= f["hi"] for f in
               (fit_exponent(sizes, synthetic_times(rng, sizes, 1.5, repeats=5, sigma=0.3, outliers=0.0))
                for _ in range(trials)))
    se = math.sqrt(0.95 * 0.05 / trials)
    assert abs(hits / trials - 0.95) < 4 * se                 # the t-interval is calibrated under its model


def test_fit_refuses_unusable_timings():
    assert math.isnan(fit_exponent([1, 2, 4], [[1.0], [0.0], [2.0]])["exponent"])
    assert math.isnan(fit_exponent([1, 2, 4], [[1.0], [np.nan], [2.0]])["lo"])


def test_measure_timings_shapes_with_a_synthetic_clock():
    ticks = itertools.count()
    out = measure_timings("leaky", 2, 3, np.random.default_rng(8), sizes_d=(4, 8), k_fixed=2, sizes_k=(1, 2, 4),
                          d_fixed=8, target=1e-6, clock=lambda: 1e-3 * next(ticks))
    assert out["dense_vs_d"].shape == (2, 3) and out["sparse_vs_k"].shape == (3, 3)
    assert all(np.allclose(v, 1e-3) for v in out.values())   # one loop per measurement, one tick per call


def test_timings_are_reported_and_never_decide(monkeypatch):
    regime = ssmverify.load_regime("builtin:soft-gate-cost", plugins=PLUGINS)
    plain = ComplexityCheck().run(regime, SETTINGS)
    truth = {"dense_vs_d": 2.0, "sparse_vs_d": 1.0, "dense_vs_k": 0.0, "sparse_vs_k": 1.0}

    def fake(form, m, repeats, rng, **kw):
        g = np.random.default_rng(10)
        return {name: synthetic_times(g, check_module.TIMING_D if name.endswith("_d") else check_module.TIMING_KS, b,
                                      repeats=repeats) for name, b in truth.items()}

    monkeypatch.setattr(check_module, "measure_timings", fake)
    timed_regime = regime_of(regime.A, regime.B, 0.01, {"kind": "sigmoid", "W": regime.W.tolist(),
                                                         "U": regime.U.tolist(), "b": regime.b.tolist()},
                             name=regime.name, extra={"complexity": {"timing_repeats": 5}})
    timed = ComplexityCheck().run(timed_regime, SETTINGS)
    assert timed.verdict == plain.verdict == FAIL
    assert timed.details["comparisons"] == plain.details["comparisons"]
    t = timed.details["timings"]
    assert t["reproducible"] is False and "not reproducible" in t["note"]
    for name, b in truth.items():
        assert t["fits"][name]["lo"] <= b <= t["fits"][name]["hi"]
    assert len(timed.details["plots"]) == 2 and plain.details["timings"] is None
    assert ComplexityCheck().planned_comparisons(timed_regime, SETTINGS) == 0


# --- verdicts ----------------------------------------------------------------------------------------------
def test_builtin_soft_gate_regime_fails_exactly():
    result = ssmverify.run(["builtin:soft-gate-cost"], claims=["complexity"], plugins=PLUGINS,
                           quick=True)[0]
    assert result.verdict == FAIL and result.method == "exact"
    assert result.statistic == 2.0 and result.bound == 0.0          # soft gate: the dense count, degree 2 in d
    d = result.details
    at = d["counts_at_regime"]
    assert (at["d"], at["m"]) == (8, 2)
    assert at["dense_update_flops"] == 2 * 8 * (8 + 2) == 160
    assert at["gate_flops"] == 2 * 64 + 2 * 8 * 2 + 4 * 8 == 192        # the gate reads h
    assert 0.3 < d["dim_eff"]["mean"] < 3.0 and d["dim_eff"]["active_components_min"] == 8
    assert all(c["method"] == "exact" for c in d["comparisons"])
    ratio = next(c for c in d["comparisons"] if "count ratio" in c["label"])
    assert ratio["statistic"] == pytest.approx(dense_flops(4096, 2, "gated") / dense_flops(2048, 2, "gated"), rel=1e-15)
    hard = next(c for c in d["comparisons"] if c["label"].startswith("hard gate"))
    assert hard["statistic"] == 1.0 and hard["decision"] == "violated" and not hard["decides"]
    panel = d["plots"][0]["panels"][0]
    assert panel["ylabel"] == "flops per step" and panel["xscale"] == panel["yscale"] == "log"
    assert any("dense" in s["label"] for s in panel["series"]) and any("sparse" in s["label"] for s in panel["series"])
    assert any("C·dim_eff²" in h["label"] for h in panel["hlines"])


@pytest.mark.parametrize("form", ["gated", "leaky"])
def test_gate_with_zeros_fails_with_exponent_one(form):
    g = [0.0, 0.9, 0.0, 0.0, 0.4]
    regime = regime_of(0.5 * np.eye(5), np.ones((5, 2)), 0.01, {"kind": "constant", "value": g}, form)
    result = ComplexityCheck().run(regime, SETTINGS)
    assert result.verdict == FAIL and result.statistic == 1.0
    d = result.details
    assert d["dim_eff"]["mean"] == pytest.approx(1.3, rel=1e-15) and d["dim_eff"]["active_components_min"] == 2
    rep = next(c for c in d["comparisons"] if c["decides"])
    want = "2k(d + m)" if form == "gated" else "2k(d + m + 1)"
    assert want in rep["family"]
    assert d["counts_at_regime"]["sparse_update_flops"] == sparse_flops(5, 2, 2, form)
    assert d["counts_at_regime"]["C_needed"] == pytest.approx(sparse_flops(5, 2, 2, form) / 1.3 ** 2, rel=1e-14)
    assert any("diagonal" in c for c in d["caveats"])


def test_a_gate_that_is_identically_zero_passes():
    regime = regime_of(0.5 * np.eye(3), np.ones((3, 1)), 0.01, {"kind": "constant", "value": 0.0})
    result = ComplexityCheck().run(regime, SETTINGS)
    assert result.verdict == PASS and result.statistic == 0.0
    assert result.details["counts_at_regime"]["sparse_update_flops"] == 0


def test_rows_are_byte_identical_for_the_same_seed():
    rows = [json.dumps(ssmverify.run(["builtin:soft-gate-cost", "builtin:strong-feedback"], claims=["complexity"],
                                     plugins=PLUGINS, quick=True, seed=3).to_json()["results"],
                       sort_keys=True, default=str) for _ in range(2)]
    assert rows[0] == rows[1]


def test_every_builtin_regime_gets_an_exact_row():
    results = ssmverify.run(None, claims=["complexity"], plugins=PLUGINS, quick=True)
    assert len(results) >= 19
    for r in results:
        # no built-in gate is identically 0; a tanh gate leaves [0, 1], which the claim assumes (hypothesis fails)
        assert r.verdict == (FAIL if r.hypotheses_hold else NOT_APPLICABLE), r.regime
        assert all(c["method"] == "exact" for c in r.comparisons)
    # and Mamba's S6 form has no dense A for a gate to skip (its reason says so)
    assert sum(not r.hypotheses_hold for r in results) == sum(r.regime.startswith(("tanh-", "mamba-"))
                                                             for r in results)
