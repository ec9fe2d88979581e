"""``fixed-point`` (§4.5.1): "L_G < 1 ⇒ h_t converges to a unique fixed point", against oracles computed here.

* hand-iterated chains: h_t = g·a·h_{t−1} in one dimension, and 2σ(1 − h)·h (fixed points 0 and 1);
* the noise floor tr Q against a NumPy simulation of E‖h_t − h_{t−1}‖² (a random walk attains it);
* the inputs' floor: s²‖diag(g)B‖²_F by hand for a constant gate; for input-only gates, Var_x F(h, x) by
  Gauss–Hermite quadrature (Gaussian) or enumeration (Rademacher) minimised over h by Nelder–Mead — not the
  check's least squares;
* the second-moment route: E[g(x)²]·a² by hand for a one-dimensional input-only gate with B = 0;
* the verdicts on the regimes written for this claim, units invariance, and the schema's inputs.scale = 0.
"""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermegauss
from scipy import optimize

import ssmverify
from ssmverify.checks import FAIL, INCONCLUSIVE, NOT_APPLICABLE, PASS, Settings
from ssmverify.checks.fixed_point import FixedPointCheck, length, radii
from ssmverify.checks.suite import builtin_regime_paths
from ssmverify.theorems import CLAIMS, RegimeError, parse_regime
from ssmverify.theorems._lipschitz import gate_lipschitz
from ssmverify.theorems._reference import reference_trajectory
from ssmverify.theorems.fixed_point import (FIXED_POINT, analysis, fixed_point_certificate, floor,
                                            noiseless_jacobian, noiseless_map)
from ssmverify.theorems.model import run_with_noise
from ssmverify.theorems.regime import declare_settings

declare_settings(FIXED_POINT)        # idempotent: the [fixed_point] table, whether or not the claim is registered
PLUGINS = [] if "fixed-point" in ssmverify.claims() else [FixedPointCheck()]
SETTINGS = Settings(quick=True, family_size=3)
CHECK = FixedPointCheck()


def regime_of(A, B, Q, gate, *, form="gated", law="gaussian", scale=1.0, h0=None, name="fp", extra=None):
    model = {"form": form, "A": np.asarray(A, float).tolist(), "B": np.asarray(B, float).tolist(),
             "noise_cov": Q if np.isscalar(Q) else np.asarray(Q, float).tolist(), "gate": gate}
    if h0 is not None:
        model["h0"] = np.asarray(h0, float).tolist()
    data = {"name": name, "inputs": {"law": law, "scale": scale}, "model": model, **(extra or {})}
    return parse_regime(data, f"test:{name}", None)


def run(regime):
    return CHECK.run(regime, SETTINGS)


# --- the regimes written for this claim (the same text as checks/regimes/NN-fixed-point-*.toml) -------------

REGIMES = {
    "fixed-point-noise": ("""
name = "fixed-point-noise"
claims = ["fixed-point"]
[model]
form = "gated"
A = [[0.5, 0.1], [0.0, 0.5]]
B = [[1.0], [0.5]]
noise_cov = 0.01
[model.gate]
kind = "constant"
value = 0.8
[inputs]
law = "gaussian"
scale = 0.0
""", FAIL, "exact: noise floor tr Q"),
    "fixed-point-inputs": ("""
name = "fixed-point-inputs"
claims = ["fixed-point"]
[model]
form = "leaky"
A = [[0.5, 0.2], [0.0, 0.6]]
B = [[1.0], [0.5]]
noise_cov = 0.0
[model.gate]
kind = "sigmoid"
W = [[1.5], [-1.0]]
b = [0.0, 0.5]
[inputs]
law = "gaussian"
scale = 1.0
""", FAIL, "exact: inputs' floor"),
    "fixed-point-expanding": ("""
name = "fixed-point-expanding"
claims = ["fixed-point"]
[model]
form = "gated"
A = [[2.0, 0.0], [0.0, 2.0]]
B = [[1.0], [1.0]]
noise_cov = 0.0
h0 = [1.0, -1.0]
[model.gate]
kind = "constant"
value = 1.0
[inputs]
law = "gaussian"
scale = 0.0
""", FAIL, "exact: spectral radius of M"),
    "fixed-point-contracting": ("""
name = "fixed-point-contracting"
claims = ["fixed-point"]
[model]
form = "leaky"
A = [[0.5, 0.3], [0.0, 0.5]]
B = [[1.0], [1.0]]
noise_cov = 0.0
h0 = [1.0, 2.0]
[model.gate]
kind = "constant"
value = [0.5, 0.7]
[inputs]
law = "rademacher"
scale = 0.0
""", PASS, "exact: spectral radius of M"),
    "fixed-point-two-fixed-points": ("""
name = "fixed-point-two-fixed-points"
claims = ["fixed-point"]
[model]
form = "gated"
A = [[2.0]]
B = [[1.0]]
noise_cov = 0.0
h0 = [0.0]
[model.gate]
kind = "sigmoid"
W = [[1.0]]
U = [[-1.0]]
b = [1.0]
[inputs]
law = "gaussian"
scale = 0.0
""", FAIL, "observation: divergence (overflow) and two fixed points"),
}


def named(name):
    return parse_regime(tomllib.loads(REGIMES[name][0]), f"test:{name}", None)


@pytest.mark.parametrize("name", list(REGIMES))
def test_verdicts_on_the_claims_regimes(name):
    text, verdict, method = REGIMES[name]
    result = run(named(name))
    assert result.hypotheses_hold
    assert result.verdict == verdict, result.details["comparisons"]
    assert result.details["method"] == method
    assert CHECK.planned_comparisons(named(name), SETTINGS) == 0


def test_the_regime_files_match_these_copies():
    """Where the regime files have been installed as built-ins, they hold the models tested above."""
    files = {name: p for name, p in builtin_regime_paths().items() if name.startswith("fixed-point-")}
    if not files:
        pytest.skip("the fixed-point regimes are not installed as built-ins yet")
    assert set(files) == set(REGIMES)
    for name, path in files.items():
        installed = tomllib.loads(path.read_text())
        ours = tomllib.loads(REGIMES[name][0])
        assert installed["model"] == ours["model"] and installed["inputs"] == ours["inputs"], name
        assert installed["claims"] == ["fixed-point"] and installed["description"]


def test_registered_claim_and_run_api():
    claim = ssmverify.claims(PLUGINS)["fixed-point"]
    assert claim.section == "§4.5.1" and claim.kind == "paper"
    regime = named("fixed-point-expanding")
    assert [h.name for h in claim.hypotheses(regime)] == ["G Lipschitz in h with constant L_G < 1"]


# --- hand-iterated chains ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("g,a,verdict", [(0.5, 1.8, PASS), (0.9, -1.0, PASS), (1.0, 2.0, FAIL),
                                         (1.0, 1.0, FAIL), (0.5, -2.0, FAIL)])
def test_one_dimensional_linear_chain_iterated_by_hand(g, a, verdict):
    """h_t = g·a·h_{t−1}: (g a)ᵗ h_0 → 0 iff |g a| < 1; g a = 1 fixes every point, −1 oscillates."""
    regime = regime_of([[a]], [[1.0]], 0.0, {"kind": "constant", "value": g}, scale=0.0, h0=[3.0])
    h, by_hand = np.array([[3.0]]), 3.0
    for _ in range(12):
        h = noiseless_map(regime, h)
        by_hand = g * a * by_hand
        assert h[0, 0] == pytest.approx(by_hand, rel=1e-15)
    result = run(regime)
    assert result.verdict == verdict
    rho = [c for c in result.details["comparisons"] if c["label"].startswith("ρ(M)")][0]
    assert rho["statistic"] == pytest.approx(abs(g * a), rel=1e-14) and rho["method"] == "exact"


def test_two_fixed_points_by_hand():
    """F(h) = 2σ(1 − h)h: F(0) = 0, F(1) = 2·½·1 = 1, F'(1) = 1 − ½ = ½ (attracting), F'(0) = 2σ(1) > 1."""
    regime = named("fixed-point-two-fixed-points")
    assert noiseless_map(regime, np.array([[0.0], [1.0]])).ravel().tolist() == [0.0, 1.0]
    assert noiseless_jacobian(regime, np.array([1.0]))[0, 0] == pytest.approx(0.5, rel=1e-15)
    assert noiseless_jacobian(regime, np.array([0.0]))[0, 0] == pytest.approx(2.0 / (1.0 + math.exp(-1.0)), rel=1e-15)
    cert = fixed_point_certificate(regime, np.array([1.0]))
    assert cert["sigma_min"] == pytest.approx(0.5) and cert["delta"] < 1e-12
    result = run(regime)
    second = [c for c in result.details["comparisons"] if c["label"] == "a second fixed point besides 0"][0]
    assert second["decision"] == "violated" and second["point"] == pytest.approx([1.0], rel=1e-12)


def test_a_stalled_float64_state_is_not_taken_for_a_fixed_point():
    """Leaky 1-D, F(h) = h + σ(−h)·h grows for ever (slower and slower): near h = 40 the increment σ(−40)·40 is
    below an ulp, so float64 stalls, but I − J_F ≈ 0 there and the Newton correction is huge."""
    regime = regime_of([[2.0]], [[1.0]], 0.0, {"kind": "sigmoid", "W": [[0.0]], "U": [[-1.0]], "b": [0.0]},
                       form="leaky", scale=0.0)
    h = np.array([[40.0]])
    assert noiseless_map(regime, h)[0, 0] == 40.0             # stuck in float64
    cert = fixed_point_certificate(regime, h[0])
    assert not cert["delta"] < 1e-6 * 40.0


def test_noiseless_map_is_the_simulators_update():
    """F(h, 0) against the JAX step (run_with_noise) and the NumPy twin, for both forms of a state-reading gate."""
    rng = np.random.default_rng(3)
    for form in ("gated", "leaky"):
        A, U, b = rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), rng.normal(size=3)
        W = rng.normal(size=(3, 2))
        regime = regime_of(A, rng.normal(size=(3, 2)), 0.0, {"kind": "sigmoid", "W": W.tolist(), "U": U.tolist(),
                                                              "b": b.tolist()}, form=form, scale=0.0)
        H = rng.normal(size=(4, 3))
        ours = noiseless_map(regime, H)
        jax_out = np.asarray(run_with_noise(regime.model(), H, np.zeros((1, 2)), np.zeros((1, 4, 3))))[0]
        params = {"A": A, "B": regime.B, "form": form, "gate": "sigmoid", "W": W, "U": U, "b": b}
        twin = reference_trajectory(params, H, np.zeros((1, 2)), np.zeros((1, 4, 3)))[0]
        np.testing.assert_allclose(ours, jax_out, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(ours, twin, rtol=1e-13, atol=1e-15)
        # the Jacobian against central differences
        h = H[0]
        eps = 1e-6
        fd = np.stack([(noiseless_map(regime, (h + eps * e)[None])[0] - noiseless_map(regime, (h - eps * e)[None])[0])
                       / (2 * eps) for e in np.eye(3)], axis=1)
        np.testing.assert_allclose(noiseless_jacobian(regime, h), fd, rtol=1e-7, atol=1e-8)


# --- the noise floor --------------------------------------------------------------------------------------------

def _numpy_moves(A, Q, g, form, h0, steps, n, seed):
    """E‖h_t − h_{t−1}‖² per t of h_t = M h_{t−1} + w_t by a NumPy loop (no inputs)."""
    rng = np.random.default_rng(seed)
    d = len(h0)
    M = np.diag(g) @ A if form == "gated" else np.eye(d) - np.diag(g) @ (np.eye(d) - A)
    L = np.linalg.cholesky(Q)
    h = np.tile(h0, (n, 1))
    out = []
    for _ in range(steps):
        new = h @ M.T + rng.standard_normal((n, d)) @ L.T
        out.append(np.sum((new - h) ** 2, axis=1))
        h = new
    return np.array(out)            # (steps, n)


@pytest.mark.parametrize("form,A,g", [("gated", [[1.0, 0.0], [0.0, 1.0]], [1.0, 1.0]),   # a random walk: = tr Q
                                      ("gated", [[0.5, 0.1], [0.0, 0.5]], [0.8, 0.8]),
                                      ("leaky", [[0.9, 0.0], [0.3, 0.2]], [0.4, 0.9])])
def test_noise_floor_against_a_numpy_simulation(form, A, g):
    Q = np.array([[0.03, 0.01], [0.01, 0.02]])
    regime = regime_of(A, [[1.0], [1.0]], Q, {"kind": "constant", "value": g}, form=form, scale=0.0, h0=[2.0, -1.0])
    fl = floor(regime)
    assert fl.value == pytest.approx(np.trace(Q), rel=1e-14) and fl.inputs == 0.0
    moves = _numpy_moves(np.asarray(A), Q, np.asarray(g), form, np.array([2.0, -1.0]), 60, 20000, 1)
    mean, se = moves.mean(axis=1), moves.std(axis=1, ddof=1) / math.sqrt(moves.shape[1])
    assert np.all(mean > np.trace(Q) - 5 * se)                # the floor holds at every t
    if form == "gated" and A[0][0] == 1.0:                    # the random walk attains it
        assert np.all(np.abs(mean - np.trace(Q)) < 5 * se)
    result = run(regime)
    assert result.verdict == FAIL and result.details["method"] == "exact: noise floor tr Q"
    assert result.statistic == pytest.approx(np.trace(Q), rel=1e-14)
    measured = [c for c in result.details["comparisons"] if c["label"].startswith("measured")][0]
    assert measured["decides"] is False and measured["ci"][1] >= np.trace(Q)


def test_noise_fails_the_claim_whatever_the_gate():
    """Gates that read h leave no inputs' floor, but tr Q still refutes every limit."""
    regime = regime_of([[0.5, 0.2], [0.1, 0.5]], [[1.0], [1.0]], 0.05,
                       {"kind": "sigmoid", "W": [[1.0], [1.0]], "U": [[0.5, 0.0], [0.0, 0.5]], "b": [0.0, 0.0]},
                       form="leaky", law="rademacher", scale=0.0)
    result = run(regime)
    assert result.verdict == FAIL and result.statistic == pytest.approx(0.1, rel=1e-14)


# --- the inputs' floor ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["gated", "leaky"])
@pytest.mark.parametrize("law", ["gaussian", "rademacher"])
def test_constant_gate_floor_is_s2_norm_of_diag_g_B(form, law):
    g, B, s = np.array([0.3, 0.9]), np.array([[1.0, -2.0], [0.5, 0.25]]), 1.7
    regime = regime_of([[0.5, 0.1], [0.0, 0.4]], B, 0.0, {"kind": "constant", "value": g.tolist()}, form=form,
                       law=law, scale=s)
    by_hand = s * s * np.sum((g[:, None] * B) ** 2)
    assert floor(regime).value == pytest.approx(by_hand, rel=1e-14)
    assert run(regime).verdict == FAIL


def _min_conditional_variance(regime, nodes, weights):
    """min over h of Var_x F(h, x) (x on the given nodes/weights, (N, m)), by Nelder–Mead from several starts."""
    A, B, W, b = regime.A, regime.B, regime.W, regime.b
    d = regime.d
    G = 1.0 / (1.0 + np.exp(-(nodes @ W.T + b)))                # (N, d)
    BX = nodes @ B.T

    def V(h):
        c = (A @ h) if regime.form == "gated" else (A - np.eye(d)) @ h
        F = G * (c + BX) + (h if regime.form == "leaky" else 0.0)
        m = weights @ F
        return float(weights @ np.sum((F - m) ** 2, axis=1))

    rng = np.random.default_rng(0)
    best = min((optimize.minimize(V, x0, method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-16,
                                                                         "maxiter": 40000})
                for x0 in rng.normal(size=(12, d)) * 3), key=lambda r: r.fun)
    return best.fun


@pytest.mark.parametrize("form", ["gated", "leaky"])
def test_input_gated_floor_gaussian_against_hermite_quadrature(form):
    regime = regime_of([[0.5, 0.2], [0.0, 0.6]], [[1.0], [0.5]], 0.0,
                       {"kind": "sigmoid", "W": [[1.5], [-1.0]], "b": [0.0, 0.5]}, form=form, scale=1.3)
    z, w = hermegauss(300)
    oracle = _min_conditional_variance(regime, 1.3 * z[:, None], w / w.sum())
    fl = floor(regime)
    assert fl.value == pytest.approx(oracle, rel=1e-8)
    assert fl.value > 0 and run(regime).verdict == FAIL


@pytest.mark.parametrize("form", ["gated", "leaky"])
def test_input_gated_floor_rademacher_against_enumeration(form):
    W = [[1.0, -0.5, 2.0], [0.3, 0.0, -1.0]]
    regime = regime_of([[0.4, 0.3], [-0.2, 0.7]], [[1.0, 0.0, 0.5], [0.0, 1.0, -1.0]], 0.0,
                       {"kind": "sigmoid", "W": W, "b": [0.2, -0.4]}, form=form, law="rademacher", scale=0.8)
    signs = np.array(np.meshgrid(*[[-1.0, 1.0]] * 3, indexing="ij")).reshape(3, -1).T
    oracle = _min_conditional_variance(regime, 0.8 * signs, np.full(8, 1 / 8))
    assert floor(regime).value == pytest.approx(oracle, rel=1e-8, abs=1e-14)


def test_measured_moves_stay_above_the_inputs_floor():
    regime = named("fixed-point-inputs")
    result = run(regime)
    measured = [c for c in result.details["comparisons"] if c["label"].startswith("measured")][0]
    assert measured["decision"] == "holds" and measured["ci"][0] > result.statistic


def test_one_dimensional_rademacher_gated_has_no_common_fixed_point():
    """x = ±s: the maps h ↦ g±(a h ± b s) have fixed points ±g± b s/(1 − g± a), which differ, while the floor
    is 0 (two points: some c cancels the input).  J* = min_h ½Σ±(F±(h) − h)², least squares by hand."""
    a, bb, s, w, b0 = 0.5, 1.0, 1.0, 1.0, 0.0
    regime = regime_of([[a]], [[bb]], 0.0, {"kind": "sigmoid", "W": [[w]], "b": [b0]}, law="rademacher", scale=s)
    gp, gm = 1 / (1 + math.exp(-(w * s + b0))), 1 / (1 + math.exp(-(-w * s + b0)))
    # F± − h = (g± a − 1) h ± g± b s: least squares over h
    X = np.array([[gp * a - 1.0], [gm * a - 1.0]]) / math.sqrt(2)
    t = np.array([-gp * bb * s, gm * bb * s]) / math.sqrt(2)
    y, *_ = np.linalg.lstsq(X, t, rcond=None)
    J_by_hand = float(np.sum((X @ y - t) ** 2))
    a_ = analysis(regime)
    assert a_["floor"].value == pytest.approx(0.0, abs=1e-12)
    assert a_["common"].value == pytest.approx(J_by_hand, rel=1e-10)
    result = run(regime)
    assert result.verdict == FAIL and result.details["method"] == "exact: no common fixed point"


@pytest.mark.parametrize("a,verdict", [(1.2, PASS), (1.9, FAIL)])
def test_input_gate_without_B_decided_by_the_second_moment(a, verdict):
    """B = 0, Q = 0: 0 is fixed by every map h ↦ g(x)·a·h, and E‖h_t‖² = (E[g²] a²)ᵗ h_0²."""
    w, s = 2.0, 1.0
    regime = regime_of([[a]], [[0.0]], 0.0, {"kind": "sigmoid", "W": [[w]], "b": [0.0]}, law="rademacher", scale=s,
                       h0=[1.0])
    gp, gm = 1 / (1 + math.exp(-w * s)), 1 / (1 + math.exp(w * s))
    second = 0.5 * (gp * gp + gm * gm) * a * a
    assert (second < 1.0) == (verdict == PASS)
    result = run(regime)
    assert result.verdict == verdict
    comp = [c for c in result.details["comparisons"] if c["label"].startswith("ρ(E[D(x) ⊗ D(x)])")][0]
    assert comp["statistic"] == pytest.approx(second, rel=1e-12)


def test_monte_carlo_second_moment_is_planned():
    """Gaussian inputs with m = 4 > 3: the second-moment radius is a Monte Carlo estimate, planned as 1."""
    regime = regime_of([[0.5, 0.0], [0.0, 0.5]], np.zeros((2, 4)), 0.0,
                       {"kind": "sigmoid", "W": np.full((2, 4), 0.5).tolist(), "b": [0.0, 0.0]}, scale=1.0,
                       h0=[1.0, 1.0])
    assert CHECK.planned_comparisons(regime, SETTINGS) == 1
    result = run(regime)
    deciding = [c for c in result.details["comparisons"] if c["decides"] and c["method"] == "monte-carlo"]
    assert len(deciding) == 1 and result.verdict == PASS


# --- gates that read the state ---------------------------------------------------------------------------------

def test_certified_contraction_passes():
    """B x ≡ 0, Q = 0 and ρ(|A|) < 1: a weighted max-norm contraction whatever the gate."""
    regime = regime_of([[0.5, -0.3], [0.2, 0.4]], [[1.0], [0.5]], 0.0,
                       {"kind": "sigmoid", "W": [[1.0], [1.0]], "U": [[2.0, 0.0], [1.0, -3.0]], "b": [0.0, 1.0]},
                       form="leaky", scale=0.0, h0=[1.0, 1.0])
    assert max(abs(np.linalg.eigvals(np.abs(regime.A)))) < 1.0
    result = run(regime)
    assert result.verdict == PASS and result.details["method"].startswith("certified contraction")


def test_gate_that_may_close_is_inconclusive():
    """Inputs enter the state, no noise, the gate reads h: no provable floor, no overflow."""
    regime = regime_of([[0.9, 0.0], [0.0, 0.9]], [[1.0], [0.5]], 0.0,
                       {"kind": "sigmoid", "W": [[0.5], [0.5]], "U": [[3.0, 0.0], [0.0, 3.0]], "b": [-8.0, -8.0]})
    result = run(regime)
    assert result.verdict == INCONCLUSIVE


def test_hypothesis_fails_when_lipschitz_constant_is_large():
    regime = regime_of([[0.5]], [[1.0]], 0.01, {"kind": "sigmoid", "W": [[1.0]], "U": [[12.0]], "b": [0.0]})
    result = run(regime)
    assert not result.hypotheses_hold and result.verdict == NOT_APPLICABLE


# --- units, extremes, schema ------------------------------------------------------------------------------------

def _rescaled(regime, c):
    """The same model with the state measured in units 1/c: B, Q, h0 × c (×c²), U ÷ c; A, W, b, s unchanged."""
    gate = ({"kind": "constant", "value": regime.gate_value.tolist()} if regime.gate_kind == "constant" else
            {"kind": "sigmoid", "W": regime.W.tolist(), "U": (regime.U / c).tolist(), "b": regime.b.tolist()})
    return regime_of(regime.A, regime.B * c, regime.noise_cov * c * c, gate, form=regime.form,
                     law=regime.input_law, scale=regime.input_scale, h0=regime.h0 * c, name=regime.name)


@pytest.mark.parametrize("name", list(REGIMES))
@pytest.mark.parametrize("c", [1e6, 1e-6])
def test_units_invariance(name, c):
    regime = named(name)
    scaled = _rescaled(regime, c)
    assert radii(scaled) == pytest.approx([c * r for r in radii(regime)], rel=1e-12)
    assert length(scaled) == pytest.approx(c * length(regime), rel=1e-12)
    a, b = run(regime), run(scaled)
    assert a.details["method"] == b.details["method"]
    if b.hypotheses_hold:
        assert a.verdict == b.verdict
    else:   # L_G has units of 1/state (U ÷ c): the paper's hypothesis, not the conclusion, changes with the units
        assert regime.gate_depends_on_state and b.verdict == NOT_APPLICABLE and c < 1
    if math.isfinite(a.statistic) and a.statistic > 0 and a.details["method"].startswith("exact: noise"):
        assert b.statistic == pytest.approx(c * c * a.statistic, rel=1e-12)


@pytest.mark.parametrize("s", [1e-200, 1e200])
def test_extreme_input_scales_still_fail_exactly(s):
    """s²‖B‖² under- or overflows in state units; the floor is decided in units of the innovation."""
    regime = regime_of([[0.5, 0.0], [0.0, 0.5]], [[1.0], [1.0]], 0.0, {"kind": "constant", "value": 0.5}, scale=s)
    result = run(regime)
    assert result.verdict == FAIL and result.details["method"] == "exact: inputs' floor"


def test_scale_zero_accepted_and_negative_refused():
    base = {"name": "s", "model": {"form": "gated", "A": [[0.5]], "B": [[1.0]], "noise_cov": 0.0,
                                   "gate": {"kind": "constant", "value": 1.0}}}
    for value in (0.0, 0, -0.0):
        regime = parse_regime({**base, "inputs": {"law": "gaussian", "scale": value}}, "test:s", set(CLAIMS))
        assert regime.input_scale == 0.0 and math.copysign(1.0, regime.input_scale) == 1.0
    for value in (-1.0, -1e-320):
        with pytest.raises(RegimeError, match=r"inputs\.scale.*must be 0 .* or > 0"):
            parse_regime({**base, "inputs": {"law": "gaussian", "scale": value}}, "test:s", set(CLAIMS))


def test_scale_zero_makes_an_input_gate_constant_elsewhere():
    """s = 0: x ≡ 0, so W x adds nothing — to the gate's Lipschitz constant, to Theorem 2's tier and to Fano's
    alphabet (one value: not applicable)."""
    U, W, b = np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([[0.0], [1.0]]), np.array([0.0, 3.0])
    gauss = gate_lipschitz(W, U, b, input_law="gaussian", input_scale=0.0)
    rad = gate_lipschitz(W, U, b, input_law="rademacher", input_scale=0.0)
    assert gauss.value == pytest.approx(rad.value, rel=1e-9) and gauss.value < np.linalg.norm(U, 2) / 4
    from ssmverify.theorems.theorem2 import chain_tier
    regime = regime_of([[0.5, 0.0], [0.0, 0.5]], [[1.0], [1.0]], 0.01,
                       {"kind": "sigmoid", "W": [[2.0], [1.0]], "b": [0.0, 0.5]}, law="rademacher", scale=0.0)
    assert chain_tier(regime) == "linear"
    fano = CLAIMS["fano"].applicable(regime)
    assert fano is not None and "inputs.scale = 0" in fano


def test_fixed_point_table_sets_horizon_and_radii():
    regime = regime_of([[0.5]], [[1.0]], 0.01, {"kind": "sigmoid", "W": [[1.0]], "U": [[0.5]], "b": [0.0]},
                       extra={"fixed_point": {"steps": 30, "radii": [0.25]}})
    assert regime.setting("fixed_point", "steps") == 30 and 0.25 in radii(regime)
    assert length(regime) == pytest.approx(math.sqrt(1.0 + 0.01), rel=1e-15)
    result = run(regime)
    assert result.details["simulation"]["steps"] == 30
    assert len(result.details["simulation"]["mean_move2_from_h0"]) == 30
