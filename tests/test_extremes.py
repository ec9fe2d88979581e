"""Valid numerical extremes give verdicts, never tracebacks; NaN and overflow never become numbers.

Each extreme is a valid regime (the validator accepts it) at the edge of float64: parameters near
1e308 or 1e-300, a chain that grows for 500 steps, an initial state at 1e300, no noise and no input,
d = 1 and d = 12.  Every check must answer with a verdict; a quantity that overflowed must be
reported as non-finite (NaN/inf, written "nan"/"inf" in results.json), and a comparison that needs
it must be undecided with a note saying what happened, unless the mathematics decides it (a chain
whose states overflow has diverged).
"""

from __future__ import annotations

import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ssmverify import estimators
from ssmverify.checks._base import Settings
from ssmverify.checks._registry import CHECKS
from ssmverify.checks._verdict import VERDICTS
from ssmverify.theorems import CLAIMS, parse_regime
from ssmverify.theorems.model import psd_sqrt, safe_norm

SETTINGS = Settings(seed=0, alpha=0.01, quick=True, family_size=50, n_paths=128)
I2 = [[0.5, 0.0], [0.0, 0.5]]
B2 = [[1.0], [1.0]]

# name -> regime parameters (a 2-d gated model with constant gate 0.5 unless changed).
EXTREMES = {
    "A=3I gate 1, 500 steps": {"A": [[3.0, 0.0], [0.0, 3.0]], "gate": 1.0, "rd_steps": 500},
    "noise_cov=1e308": {"Q": 1e308},
    "B=1e308": {"B": [[1e308], [1e308]]},
    "inputs.scale=1e308": {"scale": 1e308},
    "A entries 1e308": {"A": [[1e308, 0.0], [0.0, 1e308]], "rd_steps": 3},
    "A non-normal, entry 1e308": {"A": [[0.5, 1e308], [0.0, 0.5]]},     # stable (ρ = 0.25), transient 5e307
    "noise 0 and B 0": {"Q": 0.0, "B": [[0.0], [0.0]]},
    "1e-300 on everything": {"A": [[5e-301, 0.0], [0.0, 5e-301]], "B": [[1e-300], [1e-300]], "Q": 1e-300,
                             "scale": 1e-300, "h0": [1e-300, 1e-300]},
    "h0=1e300": {"h0": [1e300, 1e300]},
    "d=1": {"A": [[0.5]], "B": [[1.0]]},
    "d=12": {"A": (0.5 * np.eye(12)).tolist(), "B": [[1.0]] * 12},
}


def regime(name: str, law: str):
    p = EXTREMES[name]
    model = {"form": "gated", "A": p.get("A", I2), "B": p.get("B", B2), "noise_cov": p.get("Q", 0.01),
             "gate": {"kind": "constant", "value": p.get("gate", 0.5)}}
    if "h0" in p:
        model["h0"] = p["h0"]
    data = {"name": f"{name} ({law})", "model": model, "inputs": {"law": law, "scale": p.get("scale", 1.0)},
            "lemma1": {"steps": 2}, "theorem2": {"steps": 10}, "fano": {"steps": 3}}
    if "rd_steps" in p:
        data["rate_distortion"] = {"steps": p["rd_steps"]}
    return parse_regime(data, f"test:{name}", set(CLAIMS))


def run(claim: str, reg):
    """Plan (as the CLI does, to fix the family size) and run one check; both must not raise."""
    check = CHECKS[claim]
    reason = CLAIMS[claim].applicable(reg)
    if reason is None:
        assert check.planned_comparisons(reg, SETTINGS) >= 0
    result = check.run(reg, SETTINGS)
    assert result.verdict in VERDICTS
    json.dumps(result.to_json(), default=float)      # serialisable as the writer sees it
    return result


def notes(result) -> str:
    d = result.details
    parts = [str(d.get("reason", ""))] + [str(c) for c in d.get("caveats", [])]
    parts += [str(c.get("note", "")) for c in d.get("comparisons", [])]
    return " | ".join(parts)


def nonfinite(values) -> bool:
    return not np.all(np.isfinite(np.asarray(values, dtype=float)))


# --- safe_norm and psd_sqrt ----------------------------------------------------------------------

def test_safe_norm_keeps_nan_and_inf_non_finite_and_equals_the_norm():
    x = jnp.asarray([[np.nan, 0.0, 0.0], [np.inf, 1.0, 0.0], [-np.inf, 0.0, 0.0], [np.nan, np.inf, 0.0],
                     [1e200, 0.0, 0.0], [1e-200, 0.0, 0.0], [0.0, 0.0, 0.0], [3.0, 4.0, 0.0]])
    got = np.asarray(safe_norm(x))
    np.testing.assert_array_equal(got, np.asarray(jnp.linalg.norm(x, axis=-1)))
    assert np.isnan(got[0]) and np.isnan(got[3])          # NaN is never a distance of 0
    assert got[1] == np.inf and got[2] == np.inf and got[4] == np.inf   # overflow stays inf, as in the norm
    assert got[5] == 0.0 and got[6] == 0.0 and got[7] == 5.0
    np.testing.assert_array_equal(np.asarray(jax.grad(safe_norm)(jnp.zeros(3))), np.zeros(3))


@pytest.mark.parametrize("entry", [1e308, 2.0**1023, 1.7976931348623157e308, 3e-320, 1.0])
def test_rho_is_the_spectral_norm_up_to_the_float64_maximum(entry):
    """ρ = ‖A‖₂ stays exact where 2^e of the largest entry itself overflows (entries ≥ 2^1023), and is inf
    only where the norm truly exceeds float64 (a sum of two maximal entries)."""
    from types import SimpleNamespace

    from ssmverify.theorems._constants import rho
    diag = np.diag([entry, entry / 2])
    assert rho(SimpleNamespace(A=diag)) == entry                          # ‖diag(a, a/2)‖₂ = a, exactly
    ones = np.full((2, 2), entry)                                          # ‖a·J‖₂ = 2a
    assert rho(SimpleNamespace(A=ones)) == (2.0 * entry if 2.0 * entry < np.inf else np.inf)


def test_psd_sqrt_of_a_variance_near_the_float64_maximum():
    L = psd_sqrt(1e308 * np.eye(2))
    assert np.all(np.isfinite(L))
    np.testing.assert_allclose(L, 1e154 * np.eye(2), rtol=1e-15)
    Q = np.array([[1e308, 0.9e308], [0.9e308, 1e308]])       # largest eigenvalue 1.9e308 > float64 max
    L = psd_sqrt(Q)
    assert np.all(np.isfinite(L))
    np.testing.assert_allclose((L / 1e154) @ (L / 1e154).T, Q / 1e308, rtol=1e-14)


# --- estimators: huge finite input is rescaled exactly; non-finite input is refused --------------

def test_w2_and_lyapunov_are_homogeneous_far_outside_the_unit_range():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(40, 2)) + 0.5
    big = 2.0 ** 600                                        # squares overflow float64 without rescaling
    assert estimators.empirical_w2(x * big, y * big) == estimators.empirical_w2(x, y) * big
    assert estimators.empirical_w2(x[:, 0] * big, y[:7, 0] * big) == estimators.empirical_w2(x[:, 0], y[:7, 0]) * big
    assert estimators.empirical_w2(x / big, y / big) == estimators.empirical_w2(x, y) / big
    S = np.array([[2.0, 0.3], [0.3, 1.0]])
    sd = 2.0 ** 450                                         # variances 2^900: products of three overflow
    w = estimators.gaussian_w2([1.0, 0.0], S, [0.0, 0.5], 0.5 * S)
    assert estimators.gaussian_w2([sd, 0.0], S * sd * sd, [0.0, 0.5 * sd], 0.5 * S * sd * sd) == w * sd
    M = np.array([[0.5, 0.1], [0.0, 0.3]])
    np.testing.assert_array_equal(estimators.stationary_covariance(M, S * sd * sd),
                                  estimators.stationary_covariance(M, S) * sd * sd)
    # A strongly non-normal M (entries 1e200): balanced exactly, against the series summed in rationals.
    from fractions import Fraction as Fr
    a, b, q = Fr(1, 4), Fr(10 ** 200), Fr(1, 10 ** 300)
    series = np.zeros((2, 2), dtype=object)
    for k in range(300):
        m12 = k * a ** (k - 1) * b if k else Fr(0)
        series += q * np.array([[a ** (2 * k) + m12 * m12, m12 * a ** k], [m12 * a ** k, a ** (2 * k)]], dtype=object)
    got = estimators.stationary_covariance(np.array([[0.25, 1e200], [0.0, 0.25]]), 1e-300 * np.eye(2))
    np.testing.assert_allclose(got, series.astype(float), rtol=1e-12)
    # Entries beyond float64's range are inf (Σ₁₁ ≥ 0.01·(5e307)²), the others finite.
    got = estimators.stationary_covariance(np.array([[0.25, 5e307], [0.0, 0.25]]), 0.01 * np.eye(2))
    assert got[0, 0] == math.inf and np.all(np.isfinite(got[[0, 1, 1], [1, 0, 1]]))
    # A distance beyond float64's range is inf, never a finite number.
    assert estimators.empirical_w2(np.array([[1.7e308, 0.0]]), np.array([[-1.7e308, 0.0]])) == math.inf
    assert estimators.gaussian_w2([1e308, 0.0], np.eye(2), [-1e308, 0.0], np.eye(2)) == math.inf
    assert np.all(estimators.stationary_covariance(0.9, 1e308) == math.inf)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_w2_refuses_non_finite_samples_with_a_clear_error(bad):
    x = np.array([[0.0, 1.0], [bad, 0.0]])
    y = np.zeros((2, 2))
    with pytest.raises(ValueError, match="x contains non-finite values"):
        estimators.empirical_w2(x, y)
    with pytest.raises(ValueError, match="y contains non-finite values"):
        estimators.empirical_w2(y, x)
    with pytest.raises(ValueError, match="cov1 contains non-finite values"):
        estimators.gaussian_w2([0.0, 0.0], np.array([[bad, 0.0], [0.0, 1.0]]), [0.0, 0.0], np.eye(2))


# --- rate-distortion claims ------------------------------------------------------------------------

RD = ("rd-converse", "theorem1", "rd-curve")
# extreme -> (verdicts of the three claims, a phrase the details must contain, non-finite source moments?)
RD_EXPECTED = {
    "A=3I gate 1, 500 steps": ("INCONCLUSIVE", "closed form not finite", True),
    "noise_cov=1e308": ("INCONCLUSIVE", "out of float64 range", False),
    "B=1e308": ("INCONCLUSIVE", "closed form not finite", True),
    "inputs.scale=1e308": ("INCONCLUSIVE", "closed form not finite", True),
    "A entries 1e308": ("INCONCLUSIVE", "closed form not finite", True),
    "A non-normal, entry 1e308": ("INCONCLUSIVE", "closed form not finite", True),
    "noise 0 and B 0": ("NOT_APPLICABLE", "deterministic", False),
    "1e-300 on everything": ("decided", "", False),
    "h0=1e300": ("INCONCLUSIVE", "out of float64 range", False),
    "d=1": ("decided", "", False),
    "d=12": ("decided", "", False),
}


@pytest.mark.parametrize("name", list(EXTREMES))
def test_rate_distortion_claims_at_the_extremes(name):
    verdict, phrase, overflowed = RD_EXPECTED[name]
    reg = regime(name, "gaussian")
    for claim in RD:
        res = run(claim, reg)
        if verdict == "decided":
            # The controls must PASS; Theorem 1 is decided either way, on finite numbers.
            assert res.verdict in (("PASS",) if claim != "theorem1" else ("PASS", "FAIL")), (claim, notes(res))
            assert math.isfinite(res.statistic) and math.isfinite(res.bound)
            continue
        assert res.verdict == verdict, (claim, res.verdict, notes(res))
        assert phrase in notes(res)
        assert math.isnan(res.statistic) and math.isnan(res.bound)       # nothing was decided
        assert CHECKS[claim].planned_comparisons(reg, SETTINGS) == 0
        if verdict == "INCONCLUSIVE":
            src = res.details["source"]
            if overflowed:     # the overflowed moments are reported as they came out, not as numbers
                assert nonfinite(src["cov"]) or nonfinite(src["mean"])
            else:              # representable law whose energy overflows: E‖h‖² is reported non-finite
                with np.errstate(over="ignore"):
                    assert not math.isfinite(src["trace"] + float(np.sum(np.square(src["mean"]))))


def test_a_large_mean_leaves_the_quantisers_exact():
    """h_0 = 1e100: the source's mean is huge, its fluctuations are not; the centred quantisers still
    see them (an uncentred grid overflows int64 cell indices and reports garbage distortions)."""
    reg = parse_regime({"name": "big-mean", "model": {"form": "gated", "A": I2, "B": B2, "noise_cov": 0.01,
                                                      "h0": [1e100, -1e100], "gate": {"kind": "constant", "value": 0.5}},
                        "inputs": {"law": "gaussian", "scale": 1.0}, "rate_distortion": {"steps": 5}},
                       "test:big-mean", set(CLAIMS))
    res = run("rd-converse", reg)
    assert res.verdict == "PASS"
    trace = res.details["source"]["trace"]
    quantisers = [c for c in res.details["compressors"] if c["family"] == "uniform scalar quantiser"]
    assert quantisers and all(0.0 < q["distortion"] < trace and q["rate_bits"] > 0.5 for q in quantisers)


def test_a_default_horizon_that_overflows_says_so():
    """A stable but strongly non-normal M: Mᵗ overflows before ‖Mᵗ‖₂ falls below the tolerance.  The
    horizon must say so (not claim stationarity), and the law it gives is not finite: INCONCLUSIVE."""
    reg = parse_regime({"name": "transient", "model": {"form": "gated", "A": [[0.9, 1e308], [0.0, 0.9]], "B": B2,
                                                       "noise_cov": 0.01, "gate": {"kind": "constant", "value": 1.0}},
                        "inputs": {"law": "gaussian", "scale": 1.0}}, "test:transient", set(CLAIMS))
    res = run("rd-converse", reg)
    assert res.verdict == "INCONCLUSIVE" and "closed form not finite" in res.details["reason"]
    assert "overflowed float64" in res.details["source"]["horizon"]
    assert "smallest t" not in res.details["source"]["horizon"]


# --- Fano ------------------------------------------------------------------------------------------

FANO = ("fano", "fano-corrected")
# extreme -> (allowed verdicts of fano, of fano-corrected, horizons whose P_e must be NaN, phrase)
FANO_EXPECTED = {
    "A=3I gate 1, 500 steps": ({"PASS", "FAIL", "INCONCLUSIVE"}, {"PASS", "INCONCLUSIVE"}, set(), ""),
    "noise_cov=1e308": ({"FAIL"}, {"PASS", "INCONCLUSIVE"}, set(), ""),
    "B=1e308": ({"INCONCLUSIVE"}, {"INCONCLUSIVE"}, {1, 2, 3}, "does not resolve"),
    "inputs.scale=1e308": ({"INCONCLUSIVE"}, {"INCONCLUSIVE"}, {1, 2, 3}, "does not resolve"),
    "A entries 1e308": ({"INCONCLUSIVE"}, {"INCONCLUSIVE"}, {2, 3}, "overflowed float64"),
    "A non-normal, entry 1e308": ({"INCONCLUSIVE"}, {"INCONCLUSIVE"}, {2, 3}, "overflowed float64"),
    "noise 0 and B 0": ({"NOT_APPLICABLE"}, {"NOT_APPLICABLE"}, None, "singular"),
    "1e-300 on everything": ({"FAIL"}, {"PASS", "INCONCLUSIVE"}, set(), ""),
    "h0=1e300": ({"INCONCLUSIVE"}, {"INCONCLUSIVE"}, {1, 2, 3}, "does not resolve"),
    "d=1": ({"PASS", "FAIL", "INCONCLUSIVE"}, {"PASS", "INCONCLUSIVE"}, set(), ""),
    "d=12": ({"PASS", "FAIL", "INCONCLUSIVE"}, {"PASS", "INCONCLUSIVE"}, set(), ""),
}


@pytest.mark.parametrize("name", list(EXTREMES))
def test_fano_claims_at_the_extremes(name):
    allowed_paper, allowed_corrected, nan_horizons, phrase = FANO_EXPECTED[name]
    reg = regime(name, "rademacher")
    for claim, allowed in zip(FANO, (allowed_paper, allowed_corrected)):
        res = run(claim, reg)
        assert res.verdict in allowed, (claim, res.verdict, notes(res))
        assert phrase in notes(res)
        if nan_horizons is None:
            continue
        for row in res.details["per_horizon"]:
            if row["t"] in nan_horizons:     # not computable: NaN, never a number made from an overflow
                assert math.isnan(row["P_e"]) and math.isnan(row["H_bits"]), row
            else:
                assert math.isfinite(row["P_e"]) and math.isfinite(row["H_bits"]), row
        for comp in res.details["comparisons"]:
            if comp["t"] in nan_horizons:
                assert comp["decision"] == "undecided" and comp["note"]


# --- Lemma 1 and Theorem 2 (simulated chains) -------------------------------------------------------

SIMULATED = [(name, claim) for name in EXTREMES for claim in ("lemma1", "lemma1-corrected", "theorem2")]


@pytest.mark.parametrize(("name", "claim"), SIMULATED)
def test_simulated_claims_give_verdicts_at_the_extremes(name, claim):
    for law in ("gaussian", "rademacher"):
        res = run(claim, regime(name, law))
        if name == "A entries 1e308" and claim == "theorem2":
            # The chain diverges (M = 5e307·I; its states overflow): never PASS, never an overflow read as merging.
            assert res.verdict == "FAIL", notes(res)
        if claim == "lemma1" and name != "noise 0 and B 0":
            # constant gate 0.5: κ = 0 while the copies' distance shrinks by a factor 0.5·‖A‖ > 0 per step —
            # the lemma is false here; rounding that swamps the separation must not turn that into a PASS
            assert res.verdict != "PASS", (law, notes(res))


# --- the command line, end to end (planning, rows, results.json, every report) ---------------------

@pytest.mark.parametrize(("name", "law", "claims"), [
    ("A=3I gate 1, 500 steps", "gaussian", "rd-converse,theorem1,rd-curve"),
    ("A entries 1e308", "rademacher", "fano,fano-corrected"),
])
def test_cli_writes_non_finite_numbers_as_strings(tmp_path, name, law, claims):
    from ssmverify.checks.cli import main
    p = EXTREMES[name]
    lines = [f'name = "extreme"', "[model]", 'form = "gated"', f"A = {p.get('A', I2)}", f"B = {p.get('B', B2)}",
             f"noise_cov = {p.get('Q', 0.01)}", "[model.gate]", 'kind = "constant"', f"value = {p.get('gate', 0.5)}",
             "[inputs]", f'law = "{law}"', "[fano]", "steps = 3"]
    if "rd_steps" in p:
        lines += ["[rate_distortion]", f"steps = {p['rd_steps']}"]
    regime_file = tmp_path / "extreme.toml"
    regime_file.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    assert main(["run", str(regime_file), "--quick", "--claims", claims, "--out", str(out)]) in (0, 1)
    text = (out / "results.json").read_text()
    assert '"nan"' in text                          # NaN written as the string, never as a number
    rows = json.loads(text)["results"]
    assert {r["verdict"] for r in rows} == {"INCONCLUSIVE"}
    for f in ("index.html", "report.md", "junit.xml", "results.tex"):
        assert (out / f).is_file()


def test_figures_leave_out_what_matplotlib_cannot_draw_and_say_so():
    """Overflowed numbers in a figure spec (±inf, NaN, a bound of 1e308) used to crash matplotlib's tick
    computation in the report; they are now left out of the drawing and counted in a note."""
    from ssmverify.reports import figures
    spec = {"title": "extreme", "panels": [
        {"xlabel": "t", "ylabel": "ratio", "yscale": "linear", "series": [
            {"label": "measured, a", "x": [1, 2, 3], "y": ["inf", "nan", 2.0], "lo": ["nan", 0.0, 1.0],
             "hi": ["nan", 1e306, 3.0], "style": "solid"},
            {"label": "points", "x": [1, 2], "y": ["-inf", 1.0], "yerr_lo": [0.0, -1e306], "yerr_hi": [0.0, 1e306],
             "style": "points"}],
         "hlines": [{"y": "nan", "label": "κ = nan"}, {"y": 1e308, "label": "rate 1e308"}]},
        {"xlabel": "t", "ylabel": "E‖h‖²", "yscale": "log", "series": [
            {"label": "second moment", "x": [1, 2, 3], "y": [1.0, 1e280, "inf"], "style": "solid"}],
         "hlines": [{"y": 1.7e308, "label": "huge"}]},
        {"xlabel": "t", "ylabel": "nothing finite", "series": [
            {"label": "all NaN", "x": [1, 2], "y": ["nan", "nan"], "style": "solid"}], "hlines": []},
    ]}
    fig = figures.render(spec)
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    out = figures.save(fig, ("png", "pdf"))
    assert out["png"] and out["pdf"]
    assert "±inf (overflow)" in texts and "NaN" in texts and "too large to draw" in texts
