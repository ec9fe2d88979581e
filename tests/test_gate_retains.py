"""``gate-retains`` (§3.1.2, §4.5): a component whose gate is 0 retains its previous state.

Oracles computed here, not by the check:

* a two-step chain with a constant gate [1, 0], worked out by hand in both forms (states, the measured
  retention error r = h_t − h_{t−1} − w_t and the zero-gate error r⁰), against the simulator's update and the
  check's per-step observer;
* the check's per-step observations on simulated paths against the NumPy twin (``theorems._reference``)
  replayed on the same draws (``draw_step``), for both forms and both gate kinds;
* the deciding statistic of the gated built-in regime against an independent NumPy simulation (other
  random numbers);
* deterministic chains (no noise, no inputs) whose statistic is a geometric sum done by hand.

And the properties: verdicts on the built-in regimes written for this claim, relative tolerances (the
verdict does not change when the state is measured in units 1e±6 or 1e−12 times as large), overflow is an
observation, not a number, and the plan bounds the deciding statistical comparisons.
"""

from __future__ import annotations

import json
import math

import jax.numpy as jnp
import numpy as np
import pytest

import ssmverify
from ssmverify.checks import FAIL, INCONCLUSIVE, NOT_APPLICABLE, PASS, Settings
from ssmverify.checks.gate_retains import PURPOSE, GateRetainsCheck, _observe
from ssmverify.checks.suite import resolve_regimes
from ssmverify.reports import figures
from ssmverify.theorems import CLAIMS, parse_regime
from ssmverify.theorems._reference import reference_gate, reference_trajectory
from ssmverify.theorems.model import draw_step, path_key, run_with_noise

SETTINGS = Settings(quick=True, family_size=4)
A2 = [[0.9, 0.1], [0.0, 0.8]]
B2 = [[1.0], [0.5]]
CHECK = GateRetainsCheck()


def regime_of(A, B, Q, gate, form="gated", h0=None, name="gr", law="gaussian", scale=1.0, steps=None):
    data = {"name": name, "inputs": {"law": law, "scale": scale},
            "model": {"form": form, "A": np.asarray(A, float).tolist(), "B": np.asarray(B, float).tolist(),
                      "noise_cov": Q if np.isscalar(Q) else np.asarray(Q, float).tolist(), "gate": gate}}
    if h0 is not None:
        data["model"]["h0"] = [float(v) for v in h0]
    if steps is not None:
        data["gate_retains"] = {"steps": steps}
    return parse_regime(data, f"test:{name}", set(CLAIMS))


def deciding(row):
    return next(c for c in row.comparisons if c["label"] == "zero-gate retention error")


# --- registration and plan -------------------------------------------------------------------------------
def test_registered_with_its_plan():
    from ssmverify.checks._registry import CHECKS
    assert "gate-retains" in CHECKS and CLAIMS["gate-retains"].section == "§3.1.2, §4.5"
    gated = regime_of(A2, B2, 0.01, {"kind": "constant", "value": [1.0, 0.0]})
    leaky = regime_of(A2, B2, 0.01, {"kind": "constant", "value": [1.0, 0.0]}, form="leaky")
    sig = regime_of(A2, B2, 0.01, {"kind": "sigmoid", "W": [[1.0], [1.0]], "U": [[1.0, 0.0], [0.0, 1.0]]})
    for r in (gated, leaky, sig):
        assert CLAIMS["gate-retains"].hypotheses_hold(r) and CLAIMS["gate-retains"].applicable(r) is None
    assert CHECK.planned_comparisons(gated, Settings()) == 1         # one mean test at most
    assert CHECK.planned_comparisons(leaky, Settings()) == 0         # exact by construction
    assert "0 at component(s) [1]" in CLAIMS["gate-retains"].hypotheses(gated)[0].detail


# --- a two-step chain by hand --------------------------------------------------------------------------------
A_H = np.array([[0.5, 0.2], [0.1, 0.4]])
B_H = np.array([[1.0], [2.0]])
H0_H = np.array([1.0, 3.0])
XS_H = np.array([[0.5], [-1.0]])
WS_H = np.array([[[0.1, -0.2]], [[0.3, 0.05]]])
# (h_t, measured r_t, zero-gate r⁰_t) for t = 1, 2, with the gate [1, 0]: see the module docstring of
# theorems.gate_retains; p_1 = A h_0 + B x_1 = (1.6, 2.3) in both forms.
HAND = {
    "gated": [((1.7, -0.2), (0.6, -3.0), (-1.0, -3.0)),           # h_1,1 = w_1,1: component 1 reset
              ((0.11, 0.05), (-1.89, 0.2), (-1.7, 0.2))],          # p_2 = (−0.19, −1.91)
    "leaky": [((1.7, 2.8), (0.6, 0.0), (0.0, 0.0)),               # h_1,1 = h_0,1 + w_1,1: retained
              ((0.71, 2.85), (-1.29, 0.0), (0.0, 0.0))],           # p_2 = (0.41, −0.71)
}


@pytest.mark.parametrize("form", ["gated", "leaky"])
def test_hand_computed_two_step_chain(form):
    regime = regime_of(A_H, B_H, 0.0, {"kind": "constant", "value": [1.0, 0.0]}, form=form, h0=H0_H)
    model = regime.model()
    traj = np.asarray(run_with_noise(model, H0_H[None, :], XS_H, WS_H))            # (2, 1, 2)
    prev = H0_H
    for t, (h_hand, r_hand, r0_hand) in enumerate(HAND[form]):
        h = traj[t, 0]
        np.testing.assert_allclose(h, h_hand, rtol=0, atol=1e-14)
        np.testing.assert_allclose(h - prev - WS_H[t, 0], r_hand, rtol=0, atol=1e-14)
        g = jnp.asarray([[1.0, 0.0]])
        obs = {k: float(v) for k, v in _observe(model, t + 1, jnp.asarray(prev[None]), jnp.asarray(h[None]),
                                                jnp.asarray(XS_H[t]), jnp.asarray(WS_H[t]), g).items()}
        d = 2
        assert obs["r0"] == pytest.approx(np.mean(np.abs(r0_hand)), abs=1e-14)
        assert obs["h"] == pytest.approx(np.mean(np.abs(prev)), abs=1e-14)
        assert obs["w"] == pytest.approx(np.mean(np.abs(WS_H[t, 0])), abs=1e-14)
        assert obs["nzero"] == 1.0 and obs["zfrac"] == 0.5 and obs["gmin"] == 0.0
        assert obs["zr"] == pytest.approx(abs(r_hand[1]) / d, abs=1e-14)        # component 1 is the closed one
        assert obs["zr0"] == pytest.approx(abs(r0_hand[1]) / d, abs=1e-14)
        assert obs["r_at"] == pytest.approx(abs(r_hand[1]), abs=1e-14)
        assert obs["h_at"] == pytest.approx(abs(prev[1]), abs=1e-14)
        assert obs["ok"] == 1.0
        prev = h


# --- simulated paths against the NumPy twin ----------------------------------------------------------------
@pytest.mark.parametrize("form", ["gated", "leaky"])
@pytest.mark.parametrize("kind", ["constant", "sigmoid"])
def test_observations_match_the_numpy_twin(form, kind):
    A = [[0.8, 0.1, 0.0], [0.0, 0.7, 0.2], [0.1, 0.0, 0.6]]
    B = [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]
    if kind == "constant":
        gate, params = {"kind": "constant", "value": [1.0, 0.0, 0.5]}, {"gate": "constant",
                                                                         "gate_value": [1.0, 0.0, 0.5]}
    else:
        W, U, b = [[1.0, 0.0], [0.0, -1.0], [0.5, 0.5]], np.diag([2.0, -1.0, 0.5]).tolist(), [-3.0, 0.0, -1.0]
        gate = {"kind": "sigmoid", "W": W, "U": U, "b": b}
        params = {"gate": "sigmoid", "W": np.array(W), "U": np.array(U), "b": np.array(b)}
    regime = regime_of(A, B, [[0.02, 0.005, 0.0], [0.005, 0.03, 0.0], [0.0, 0.0, 0.01]], gate, form=form,
                       h0=[0.5, -1.0, 2.0], name=f"twin-{form}-{kind}", steps=7)
    params.update({"A": np.array(A), "B": np.array(B), "form": form})
    data = CHECK.draw(regime, SETTINGS, 30, 4)
    model = regime.model()
    key = SETTINGS.key(regime.name, PURPOSE, "synchronous")
    for i in range(4):
        draws = [draw_step(model, path_key(key, 30 + i), t, 1, True) for t in range(1, 8)]
        xs = np.array([np.asarray(x) for x, _ in draws])
        ws = np.array([np.asarray(w) for _, w in draws])                           # (T, 1, d)
        traj = reference_trajectory(params, regime.h0[None, :], xs, ws)[:, 0]     # (T, d)
        prev = np.vstack([regime.h0[None, :], traj[:-1]])
        w = ws[:, 0]
        g = np.array([reference_gate(params, xs[t], prev[t]) for t in range(7)])
        r = traj - prev - w
        r0 = -prev if form == "gated" else np.zeros_like(prev)                     # the algebra at g_i = 0
        k = np.argmin(g, axis=1)
        rows = np.arange(7)
        zero = g == 0.0
        expect = {
            "r0": np.abs(r0).mean(1), "h": np.abs(prev).mean(1), "w": np.abs(w).mean(1), "gmin": g.min(1),
            "r_at": np.abs(r[rows, k]), "r0_at": np.abs(r0[rows, k]), "h_at": np.abs(prev[rows, k]),
            "nzero": zero.sum(1), "zr": np.where(zero, np.abs(r), 0).sum(1) / 3,
            "zr0": np.where(zero, np.abs(r0), 0).sum(1) / 3, "ok": np.ones(7),
        }
        for name, value in expect.items():
            np.testing.assert_allclose(data[f"synchronous.{name}"][i], value, rtol=1e-11, atol=1e-13, err_msg=name)


# --- verdicts -------------------------------------------------------------------------------------------------
def test_builtin_regimes():
    resets, retains = resolve_regimes(["builtin:gate-zero-resets", "builtin:gate-zero-retains"])
    row = CHECK.run(resets, SETTINGS)
    assert row.verdict == FAIL and row.details["representative"] == "zero-gate retention error"
    c = deciding(row)
    assert c["method"] == "monte-carlo" and c["decides"] and c["decision"] == "violated"
    measured = next(c for c in row.comparisons if c["label"] == "measured at zero gates")
    assert not measured["decides"] and measured["decision"] == "violated"
    assert row.details["share_of_previous_state_lost"] == pytest.approx(1.0, rel=1e-12)
    # the statistic against an independent NumPy simulation: E[(1/(T d)) Σ_t Σ_i |h_{t−1,i}|]
    rng = np.random.default_rng(2024)
    n, T = 20000, 16
    A, B, g = resets.A, resets.B, resets.gate_value
    L = np.linalg.cholesky(resets.noise_cov)
    h = np.broadcast_to(resets.h0, (n, 2)).copy()
    total = np.zeros(n)
    for _ in range(T):
        total += np.abs(h).mean(1) / T
        h = g * (h @ A.T + rng.standard_normal((n, 1)) @ B.T) + rng.standard_normal((n, 2)) @ L.T
    ref, se = total.mean(), total.std(ddof=1) / math.sqrt(n)
    half = (c["ci"][1] - c["ci"][0]) / 2
    assert abs(c["statistic"] - ref) <= half + 5 * se, (c["statistic"], ref)

    row = CHECK.run(retains, SETTINGS)
    assert row.verdict == PASS
    c = deciding(row)
    assert c["method"] == "exact" and c["statistic"] == 0.0 and c["tolerance"] > 0.0
    measured = next(c for c in row.comparisons if c["label"] == "measured at zero gates")
    assert measured["statistic"] == 0.0 and measured["method"] == "exact"


# The built-in regimes of the paper's other claims (every one noisy, none overflowing at t = 1): leaky ones PASS
# exactly, gated ones FAIL (their visited states are not 0).
OTHER_BUILTINS = {
    "sigmoid-quiet", "sigmoid-far-apart", "constant-gate", "leaky-constant-gate", "expanding", "strong-feedback",
    "fano-sharp-memory", "fano-noisy-input-gated", "gate-drops-noise", "low-snr", "random-walk",
    "input-gated-stable", "infinite-variance", "escape", "noiseless-near-pairs", "noisy-near-pairs",
    "entropy-noisy-input-gated", "entropy-below-threshold", "dpi-noise-coordinate",
}


def test_every_builtin_regime_gets_a_sensible_row():
    for regime in resolve_regimes([]):
        row = CHECK.run(regime, SETTINGS)
        statistical = [c for c in row.comparisons if c["decides"] and c["method"] == "monte-carlo"]
        assert len(statistical) <= CHECK.planned_comparisons(regime, SETTINGS), regime.name
        if not row.hypotheses_hold:      # a tanh gate leaves [0, 1], which the claim assumes
            assert regime.gate_kind == "tanh" and row.verdict == NOT_APPLICABLE, regime.name
            continue
        assert row.verdict in (PASS, FAIL, INCONCLUSIVE), regime.name
        if regime.form == "leaky":
            assert row.verdict != FAIL, regime.name              # r⁰ ≡ 0: never violated
        if regime.name in OTHER_BUILTINS:
            assert row.verdict == (PASS if regime.form == "leaky" else FAIL), regime.name
            assert len(row.details["plots"]) == 1


@pytest.mark.parametrize("form", ["gated", "leaky"])
@pytest.mark.parametrize("c", [1e-12, 1e-6, 1e6])
def test_tolerance_is_relative(form, c):
    """The state measured in units c times as large (B → cB, Q → c²Q, h_0 → c·h_0): same paths (same regime
    name, so the same random numbers), every magnitude times c, the same verdict.  At c = 1e−12 the errors are
    ~1e−12: an absolute tolerance would call them zero."""
    gate = {"kind": "constant", "value": [1.0, 0.0]}
    base = CHECK.run(regime_of(A2, B2, 0.01, gate, form=form, h0=[1.0, 1.0], name="units"), SETTINGS)
    scaled = CHECK.run(regime_of(A2, np.array(B2) * c, 0.01 * c * c, gate, form=form, h0=[c, c], name="units"),
                       SETTINGS)
    assert base.verdict == scaled.verdict == (FAIL if form == "gated" else PASS)
    for a, b in zip(base.comparisons, scaled.comparisons):
        assert a["decision"] == b["decision"] and a["method"] == b["method"]
        assert b["statistic"] == pytest.approx(c * a["statistic"], rel=1e-9, abs=0.0)
        assert b["tolerance"] == pytest.approx(c * a["tolerance"], rel=1e-9)


@pytest.mark.parametrize("form", ["gated", "leaky"])
def test_deterministic_chains_are_exact(form):
    """No noise, no inputs (B = 0): every path is the same, h_{t,0} = 0.5ᵗ, h_{t,1} = 0 after a reset (gated)
    or 2 for ever (leaky).  Gated: E mean|r⁰| = (Σ_{k<16} 0.5ᵏ + 2)/32, exactly; leaky: 0."""
    gate = {"kind": "constant", "value": [1.0, 0.0]}
    row = CHECK.run(regime_of(np.eye(2) * 0.5, [[0.0], [0.0]], 0.0, gate, form=form, h0=[1.0, 2.0]), SETTINGS)
    c = deciding(row)
    assert c["method"] == "exact"
    if form == "gated":
        assert row.verdict == FAIL and c["statistic"] == pytest.approx((2 - 2.0 ** -15 + 2) / 32, rel=1e-14)
    else:
        assert row.verdict == PASS and c["statistic"] == 0.0


def test_a_state_that_stays_zero_is_reported_as_such():
    """h_0 = 0, no noise, no inputs: the gated chain never leaves 0, where a reset and retention agree."""
    gate = {"kind": "constant", "value": [1.0, 0.0]}
    row = CHECK.run(regime_of(A2, [[0.0], [0.0]], 0.0, gate, form="gated"), SETTINGS)
    assert row.verdict == PASS and deciding(row)["method"] == "exact" and deciding(row)["statistic"] == 0.0
    assert any("every visited state is 0" in c for c in row.details["caveats"])


@pytest.mark.parametrize("form", ["gated", "leaky"])
def test_overflow_is_an_observation(form):
    gate = {"kind": "constant", "value": 1.0}
    # leaves float64 at t = 2: each path is evaluated at t = 1 only, where r⁰ = −h_0 (gated) or 0 (leaky)
    row = CHECK.run(regime_of(np.eye(2) * 1e200, B2, 0.01, gate, form=form, h0=[1.0, 1.0], name="ovf2"), SETTINGS)
    overflow = [c for c in row.comparisons if c["label"] == "overflow"]
    assert overflow and overflow[0]["method"] == "observation" and not overflow[0]["decides"]
    assert "float64" in overflow[0]["note"]
    c = deciding(row)
    assert math.isfinite(c["statistic"]) and c["method"] == "exact"
    assert row.verdict == (FAIL if form == "gated" else PASS)
    assert c["statistic"] == (pytest.approx(1.0, rel=1e-12) if form == "gated" else 0.0)
    assert any("left float64's range" in x for x in row.details["caveats"])
    # leaves float64 at t = 1: nothing can be evaluated, no number is reported
    row = CHECK.run(regime_of(np.eye(2) * 1e300, B2, 0.01, gate, form=form, h0=[1e10, 1e10], name="ovf1"),
                    SETTINGS)
    assert row.verdict == INCONCLUSIVE and row.method == "observation" and math.isnan(row.statistic)
    assert deciding(row)["decision"] == "undecided"


@pytest.mark.parametrize("form", ["gated", "leaky"])
def test_sigmoid_gates_context(form):
    """A sigmoid gate is never 0: the row decides on the update at G_i = 0 and reports |r| on the steps
    with the smallest gate value — about |h_{t−1}| in the gated form, a small fraction of it in the leaky one."""
    regime = resolve_regimes(["builtin:sigmoid-quiet"])[0]
    if form == "leaky":
        regime = regime_of(regime.A, regime.B, regime.noise_cov, {"kind": "sigmoid", "W": regime.W.tolist(),
                                                                  "U": regime.U.tolist(), "b": regime.b.tolist()},
                           form="leaky", name="sigmoid-quiet-leaky")
    row = CHECK.run(regime, SETTINGS)
    ctx = row.details["smallest_gate_context"]
    assert ctx["exactly_zero"] == 0 and 0.0 < ctx["g_max"] < 1e-3
    assert not any(c["label"] == "measured at zero gates" for c in row.comparisons)
    assert any("never 0" in c for c in row.details["caveats"])
    if form == "gated":
        assert row.verdict == FAIL and ctx["ratio"] == pytest.approx(1.0, abs=0.01)
    else:
        assert row.verdict == PASS and ctx["ratio"] < 0.01
    # float64 rounds σ(−800) to 0: then the gate is 0 on the paths and r is measured there too
    shut = regime_of([[0.9]], [[1.0]], 0.01, {"kind": "sigmoid", "W": [[0.0]], "b": [-800.0]}, form=form)
    row = CHECK.run(shut, SETTINGS)
    measured = next(c for c in row.comparisons if c["label"] == "measured at zero gates")
    assert measured["statistic"] == pytest.approx(deciding(row)["statistic"], rel=1e-12)
    assert row.verdict == (FAIL if form == "gated" else PASS)


def test_same_seed_same_row_and_plot_draws():
    regime = resolve_regimes(["builtin:gate-zero-resets"])[0]
    one = ssmverify.run([regime], claims=["gate-retains"], quick=True)
    two = ssmverify.run([regime], claims=["gate-retains"], quick=True)
    strip = lambda r: json.dumps({k: v for k, v in r.to_json().items() if k != "environment"}, sort_keys=True)  # noqa: E731
    assert strip(one) == strip(two)
    png = figures.to_bytes(one.rows[0].details["plots"][0], ("png",))["png"]
    assert png.startswith(b"\x89PNG")
