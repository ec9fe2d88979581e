"""The tanh gate of §3.0.5, g_i = tanh(W_i·x + U_i·h + b_i), against oracles computed here.

* the JAX step against the NumPy twin on identical inputs and noise (every form; gates reading h or x only),
  and the simulator's own draws replayed through the twin;
* L_G = ‖U‖₂ where z = 0 is reachable (sup tanh' = 1), ‖U‖₂/4 for the sigmoid on the same weights, and a
  brute-force supremum of ‖diag(1 − tanh²(z))U‖₂ where it is not; the component-wise constant, κ, and the
  constants the JAX code of Lemma 1 uses;
* the corrected one-step bound of Lemma 1 (written with max|g|) on random pairs, through the twin;
* the gate's range: computed by brute force over the inputs, and said on every row (a caveat where the claim
  does not use it, a failing hypothesis "G ∈ [0, 1]^d" where it does);
* Lemma 1, its corrected form and Theorem 2 decided on tanh regimes (Theorem 2's three tiers, the linear one
  against a hand-computed spectral radius), the second-moment operator against an explicit Kronecker sum;
* the probe on a tanh regime; the schema (kind "tanh", unknown kinds refused naming model.gate.kind).
"""

from __future__ import annotations

import itertools
import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import ssmverify
from ssmverify.checks._knobs import apply_knobs, differentiable_knobs
from ssmverify.checks.cli import main
from ssmverify.checks.lemma1 import _observe_pairs, derivative_peak
from ssmverify.estimators._lyapunov_exponent import constant_gate_transition
from ssmverify.estimators._second_moment import second_moment_radius_regime
from ssmverify.theorems import CLAIMS, Model, RegimeError, load_regime, parse_regime, simulate
from ssmverify.theorems import _constants as K
from ssmverify.theorems._lipschitz import gate_lipschitz
from ssmverify.theorems._reference import reference_gate, reference_trajectory
from ssmverify.theorems.complexity import gate_flops, tanh_gate
from ssmverify.theorems.model import draw_step, path_key, run_with_noise
from ssmverify.theorems.theorem2 import INPUT_GATED, LINEAR, STATE_DEPENDENT, chain_tier, constant_gate_values

from conftest import Counted, counted

D, M_IN = 3, 2

STATE_GATE = """
name = "tanh-state-gate-test"
[model]
form = "gated"
A = [[0.9, 0.0], [0.0, 0.9]]
B = [[1.0], [0.5]]
noise_cov = 0.01
[model.gate]
kind = "tanh"
W = [[1.0], [-1.0]]
U = [[0.5, 0.0], [0.0, 0.5]]
b = [0.5, 0.0]
[inputs]
law = "gaussian"
scale = 1.0
[lemma1]
steps = 6
[theorem2]
steps = 60
"""

LEAKY_NEGATIVE = """
name = "tanh-leaky-negative-test"
[model]
form = "leaky"
A = [[0.5, 0.0], [0.0, 0.5]]
B = [[1.0], [0.5]]
noise_cov = 0.01
[model.gate]
kind = "tanh"
W = [[0.0], [0.0]]
b = [-2.0, -2.0]
[inputs]
law = "gaussian"
scale = 1.0
[lemma1]
steps = 6
"""

INPUT_GATED_RADEMACHER = """
name = "tanh-input-gated-test"
[model]
form = "gated"
A = [[0.8, 0.2], [0.0, 0.7]]
B = [[1.0], [0.5]]
noise_cov = 0.01
[model.gate]
kind = "tanh"
W = [[1.5], [-1.0]]
b = [0.5, 0.0]
[inputs]
law = "rademacher"
scale = 1.0
"""


def regime_of(text: str, **gate):
    """Parse a regime string, with the [model.gate] keys replaced by ``gate`` when given."""
    import tomllib
    data = tomllib.loads(text)
    if gate:
        data["model"]["gate"] = gate
    return parse_regime(data, "test", set(CLAIMS))


def _params(form: str, reads_h: bool, rng: np.random.Generator) -> dict:
    return {"A": rng.normal(size=(D, D)) * 0.5, "B": rng.normal(size=(D, M_IN)), "form": form, "gate": "tanh",
            "gate_value": None, "W": rng.normal(size=(D, M_IN)),
            "U": rng.normal(size=(D, D)) * 0.3 if reads_h else np.zeros((D, D)), "b": rng.normal(size=D)}


def _model(p: dict, noise_cov, law: str = "gaussian", scale: float = 1.0) -> Model:
    return Model.build(p["A"], p["B"], noise_cov, form=p["form"], W=p["W"], U=p["U"], b=p["b"], input_law=law,
                       input_scale=scale, activation="tanh")


# --- the simulator against the NumPy twin -------------------------------------------------------------------

@pytest.mark.parametrize("form,reads_h", list(itertools.product(("gated", "leaky"), (True, False))))
def test_jax_matches_numpy_twin_on_identical_noise(form, reads_h):
    rng = np.random.default_rng(101 + 2 * (form == "leaky") + reads_h)
    p = _params(form, reads_h, rng)
    steps, chains = 25, 3
    xs = rng.normal(size=(steps, M_IN)) * 2.0        # pre-activations of both signs: gate values in (−1, 1)
    ws = rng.normal(size=(steps, chains, D)) * 0.1
    h0s = rng.normal(size=(chains, D))
    model = _model(p, 0.01)
    ref_traj = reference_trajectory(p, h0s, xs, ws)
    # Step by step from the twin's own states: XLA's float64 tanh differs from NumPy's by a few ulps (it is
    # not correctly rounded), so one step agrees to rounding ...
    prev = np.concatenate([h0s[None], ref_traj[:-1]])
    for t in range(steps):
        one = np.asarray(run_with_noise(model, prev[t], xs[t:t + 1], ws[t:t + 1]))[0]
        np.testing.assert_allclose(one, ref_traj[t], rtol=1e-13, atol=1e-13)
    # ... and the whole trajectory to that rounding, amplified by the chain over 25 steps.
    jax_traj = np.asarray(run_with_noise(model, h0s, xs, ws))
    np.testing.assert_allclose(jax_traj, ref_traj, rtol=1e-9, atol=1e-9)
    # the twin's gate really is tanh (negative values occur), not the sigmoid
    g = np.array([reference_gate(p, x, h) for x, h in zip(xs, ref_traj[:, 0])])
    assert g.min() < 0.0 < g.max() and np.all(np.abs(g) <= 1.0)


def test_simulate_draws_replayed_through_the_twin_and_regime_builds_the_tanh_model():
    regime = regime_of(STATE_GATE)
    model = regime.model()
    assert float(model.tanh) == 1.0 and float(model.sigmoid) == 1.0
    assert float(regime_of(STATE_GATE, kind="sigmoid", W=[[1.0], [-1.0]]).model().tanh) == 0.0
    p = {"A": regime.A, "B": regime.B, "form": regime.form, "gate": "tanh", "gate_value": None, "W": regime.W,
         "U": regime.U, "b": regime.b}
    key, steps = jax.random.key(5), 10
    h0s = np.repeat(np.array([[[0.3, -0.2], [2.0, 1.0]]]), 3, axis=0)

    def final_only(model, t, hp, h, x, w, g):
        return h

    _, traj = simulate(model, key, h0s, steps, synchronous=True, observe=final_only)
    for i in range(3):
        draws = [draw_step(model, path_key(key, i), t, 2, True) for t in range(1, steps + 1)]
        xs = np.array([np.asarray(x) for x, _ in draws])
        ws = np.array([np.asarray(w) for _, w in draws])
        np.testing.assert_allclose(traj[i], reference_trajectory(p, h0s[i], xs, ws), rtol=1e-10, atol=1e-10)


def test_model_build_refuses_an_unknown_activation():
    with pytest.raises(ValueError, match="activation"):
        Model.build([[0.5]], [[1.0]], 0.1, W=[[1.0]], activation="relu")


# --- L_G and the constants ----------------------------------------------------------------------------------

def tanh_prime(z):
    return 1.0 - np.tanh(z) ** 2


def jac_norm(U, z):
    """‖diag(tanh'(z))U‖₂ for z (N, d), via the top eigenvalue of D U Uᵀ D (the module uses an SVD)."""
    s = tanh_prime(np.atleast_2d(z))
    M = s[:, :, None] * (U @ U.T)[None] * s[:, None, :]
    return np.sqrt(np.clip(np.linalg.eigvalsh(M)[:, -1], 0.0, None))


def test_lipschitz_is_the_norm_of_U_where_zero_is_reachable_and_a_quarter_of_it_for_the_sigmoid():
    regime = regime_of(STATE_GATE)
    U = regime.U
    lip = K.lipschitz(regime)
    assert lip.method.startswith("closed form") and lip.value == pytest.approx(np.linalg.norm(U, 2), rel=1e-15)
    assert K.lipschitz_componentwise(regime) == pytest.approx(np.linalg.norm(U, axis=1).max(), rel=1e-15)
    assert K.kappa(regime) == pytest.approx(0.9 * 0.5, rel=1e-14)
    assert "‖U‖₂ = 0.5" in lip.describe() and "‖U‖₂/4" not in lip.describe()
    sig = regime_of(STATE_GATE, kind="sigmoid", W=regime.W.tolist(), U=U.tolist(), b=regime.b.tolist())
    assert K.lipschitz(sig).value == pytest.approx(np.linalg.norm(U, 2) / 4.0, rel=1e-15)
    assert K.lipschitz_componentwise(sig) == pytest.approx(np.linalg.norm(U, axis=1).max() / 4.0, rel=1e-15)
    assert "‖U‖₂/4 = 0.125" in K.lipschitz(sig).describe()
    # the peaks the JAX code of Lemma 1 uses (corrected L_c and the probe's margin)
    assert float(derivative_peak(regime.model())) == 1.0 and float(derivative_peak(sig.model())) == 0.25


def test_lipschitz_where_zero_is_not_reachable_matches_brute_force():
    # W = 0 and U of rank 1: z = b + α u, a line that misses 0.
    u = np.array([1.0, 2.0, -1.0])
    U = np.outer(u, [1.0, 0.5, 0.2])
    b = np.array([1.5, -1.0, 0.7])
    r = gate_lipschitz(np.zeros((3, 1)), U, b, activation="tanh")
    t = np.linspace(-20.0, 20.0, 400_001)
    oracle = float(jac_norm(U, b[None, :] + t[:, None] * u[None, :]).max())
    assert r.certified and r.upper - r.lower <= 1e-9 * r.lower
    assert oracle <= r.upper * (1 + 1e-12) and r.value >= oracle * (1 - 1e-9)
    assert r.value < r.norm_bound * 0.95 and r.norm_bound == pytest.approx(np.linalg.norm(U, 2), rel=1e-14)
    # the sigmoid on the same weights: a different, smaller constant (σ' ≤ 1/4)
    assert gate_lipschitz(np.zeros((3, 1)), U, b).value < r.value / 2.0


def test_corrected_constant_and_factor_in_jax_use_max_abs_gate_and_the_tanh_peak():
    """_observe_pairs of Lemma 1 (JAX) against a hand computation with L_c = max_i‖U_i‖₂ and ρ·max_i|g_i|."""
    regime = regime_of(STATE_GATE, kind="tanh", W=[[1.0], [-1.0]], U=[[0.5, 0.2], [0.0, 0.3]], b=[-1.0, 0.0])
    model = regime.model()
    hp = np.array([[0.4, -0.3], [1.0, 0.5], [-2.0, 0.1]])       # base chain and two copies at t − 1
    x, w = np.array([0.8]), np.array([[0.01, 0.0], [0.0, 0.02], [0.03, -0.01]])
    g = np.array([np.tanh(regime.W @ x + regime.U @ h + regime.b) for h in hp])
    assert g[0].min() < -abs(g[0].max())                       # max|g| ≠ max g on the base chain
    hs = np.array([g[c] * (regime.A @ hp[c] + regime.B @ x) + w[c] for c in range(3)])
    obs = _observe_pairs(model, 1, jnp.asarray(hp), jnp.asarray(hs), jnp.asarray(x), jnp.asarray(w), jnp.asarray(g))
    rho = np.linalg.norm(regime.A, 2)
    lc = np.linalg.norm(regime.U, axis=1).max()
    for k in (1, 2):
        c = rho * np.abs(g[0]).max() + lc * np.linalg.norm(regime.A @ hp[k] + regime.B @ x)
        rhs = c * np.linalg.norm(hp[k] - hp[0]) + np.linalg.norm(w[k] - w[0])
        assert float(obs["rhs"][k - 1]) == pytest.approx(rhs, rel=1e-13)
        assert float(obs["dist"][k - 1]) == pytest.approx(np.linalg.norm(hs[k] - hs[0]), rel=1e-13)


@pytest.mark.parametrize("form", ["gated", "leaky"])
def test_corrected_one_step_bound_holds_pathwise_for_tanh_and_needs_the_absolute_value(form):
    """‖Δ_t‖ ≤ c_t‖Δ_{t−1}‖ + ‖w − w'‖ on random pairs through the twin; with ρ·max g (no |·|) it fails."""
    rng = np.random.default_rng(11 if form == "gated" else 12)
    p = _params(form, True, rng)
    p["b"] = p["b"] - 2.0                                      # mostly negative gates
    p["U"] = p["U"] * 0.2                                      # a small L_c: the gate's level term dominates
    rho = np.linalg.norm(p["A"], 2)
    lc = np.linalg.norm(p["U"], axis=1).max()
    worst_abs, worst_plain = -np.inf, -np.inf
    for _ in range(2000):
        h, h2, x = rng.normal(size=D) * 3, rng.normal(size=D) * 3, rng.normal(size=M_IN)
        w = rng.normal(size=(2, D)) * 0.1
        new = reference_trajectory(p, np.array([h, h2]), x[None], w[None])[0]
        g = reference_gate(p, x, h)
        v = p["A"] @ h2 + p["B"] @ x - (h2 if form == "leaky" else 0.0)
        lead = (1.0 - g.min()) if form == "leaky" else 0.0
        lhs = np.linalg.norm(new[0] - new[1])
        noise = np.linalg.norm(w[0] - w[1])
        d0 = np.linalg.norm(h - h2)
        worst_abs = max(worst_abs, lhs - ((lead + rho * np.abs(g).max() + lc * np.linalg.norm(v)) * d0 + noise))
        worst_plain = max(worst_plain, lhs - ((lead + rho * g.max() + lc * np.linalg.norm(v)) * d0 + noise))
    assert worst_abs <= 1e-12
    if form == "gated":
        assert worst_plain > 0.0


# --- the range: computed, and said on every row -------------------------------------------------------------

def test_gate_value_range_against_brute_force_over_the_inputs():
    regime = regime_of(INPUT_GATED_RADEMACHER)
    signs = np.array([[-1.0], [1.0]])
    g = np.tanh(signs @ regime.W.T + regime.b)
    lo, hi, lo_in, hi_in = K.gate_value_range(regime)
    assert (lo, hi) == (pytest.approx(g.min(), rel=1e-15), pytest.approx(g.max(), rel=1e-15)) and lo_in and hi_in
    assert K.gate_value_range(regime_of(STATE_GATE))[:4] == (-1.0, 1.0, False, False)
    const = regime_of(LEAKY_NEGATIVE)
    assert K.gate_value_range(const)[:2] == (pytest.approx(np.tanh(-2.0)), pytest.approx(np.tanh(-2.0)))


def test_range_caveat_on_every_tanh_row_and_failing_range_hypothesis_where_claims_assume_it():
    regime = regime_of(INPUT_GATED_RADEMACHER)
    caveat_claims = ("lemma1", "lemma1-corrected", "theorem2", "lemma1-independent", "theorem2-geometric",
                     "entropy-positive", "fano", "fano-corrected", "theorem1", "rd-curve", "rd-converse",
                     "data-processing")
    for cid in caveat_claims:
        hyps = CLAIMS[cid].hypotheses(regime)
        ranged = [h for h in hyps if "[0, 1]" in h.name]
        assert len(ranged) == 1 and ranged[0].holds, cid
        assert "tanh" in ranged[0].detail and "outside the [0, 1]" in ranged[0].detail, cid
    for cid in ("gate-retains", "complexity"):
        failing = [h for h in CLAIMS[cid].hypotheses(regime) if not h.holds]
        assert len(failing) == 1 and "[0, 1]" in failing[0].name and "tanh" in failing[0].detail, cid
        assert not CLAIMS[cid].hypotheses_hold(regime)
    # A tanh gate whose every value is ≥ 0 (z ∈ {0.5, 1.5}) satisfies the range: those claims decide.
    inside = regime_of(INPUT_GATED_RADEMACHER, kind="tanh", W=[[0.5], [0.5]], b=[1.0, 1.0])
    for cid in ("gate-retains", "complexity"):
        assert CLAIMS[cid].hypotheses_hold(inside), cid
    # Sigmoid and constant gates are unchanged: no range entry.
    sig = regime_of(INPUT_GATED_RADEMACHER, kind="sigmoid", W=[[1.5], [-1.0]], b=[0.5, 0.0])
    for cid in caveat_claims:
        assert not [h for h in CLAIMS[cid].hypotheses(sig) if "gate range" in h.name], cid


# --- Theorem 2's tiers, the second-moment operator, λ₁ of a constant tanh gate ------------------------------

def test_theorem2_tiers_and_constant_tanh_gate():
    assert chain_tier(regime_of(STATE_GATE)) == STATE_DEPENDENT
    assert chain_tier(regime_of(INPUT_GATED_RADEMACHER)) == INPUT_GATED
    const = regime_of(LEAKY_NEGATIVE)
    assert chain_tier(const) == LINEAR
    np.testing.assert_allclose(constant_gate_values(const), np.tanh([-2.0, -2.0]), rtol=1e-15)
    # no inputs (s = 0): W x ≡ 0, the gate reading x only is the constant tanh(b)
    silent = regime_of(INPUT_GATED_RADEMACHER.replace("scale = 1.0", "scale = 0.0"))
    assert chain_tier(silent) == LINEAR
    np.testing.assert_allclose(constant_gate_values(silent), np.tanh([0.5, 0.0]), rtol=1e-15)
    # λ₁'s exact transition: I − diag(tanh b)(I − A) in the leaky form
    M = constant_gate_transition(const.model())
    np.testing.assert_allclose(M, np.eye(2) - np.diag(np.tanh([-2.0, -2.0])) @ (np.eye(2) - const.A), rtol=1e-15)


def test_second_moment_operator_against_an_explicit_kronecker_sum():
    regime = regime_of(INPUT_GATED_RADEMACHER)
    Ms = [np.diag(np.tanh(regime.W @ np.array([e]) + regime.b)) @ regime.A for e in (-1.0, 1.0)]
    S = sum(np.kron(M, M) for M in Ms) / 2.0
    oracle = float(np.max(np.abs(np.linalg.eigvals(S))))
    res = second_moment_radius_regime(regime)
    assert res.method == "exact" and res.estimate == pytest.approx(oracle, rel=1e-12)
    sig = regime_of(INPUT_GATED_RADEMACHER, kind="sigmoid", W=regime.W.tolist(), b=regime.b.tolist())
    assert second_moment_radius_regime(sig).estimate != pytest.approx(oracle, rel=1e-3)


# --- rows on tanh regimes: decided, or why not --------------------------------------------------------------

@pytest.fixture(scope="module")
def tanh_rows(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tanh")
    paths = []
    for name, text in (("state", STATE_GATE), ("leaky", LEAKY_NEGATIVE)):
        path = folder / f"{name}.toml"
        path.write_text(text)
        paths.append(path)
    results = ssmverify.run(paths, claims=["lemma1", "lemma1-corrected", "theorem2"], quick=True)
    return {(r.regime, r.claim): r for r in results}


def test_lemma1_and_theorem2_decide_on_tanh_regimes_with_the_range_caveat(tanh_rows):
    for (regime, claim), row in tanh_rows.items():
        assert row.hypotheses_hold, (regime, claim)
        assert row.verdict in (ssmverify.Verdict.PASS, ssmverify.Verdict.FAIL), (regime, claim, row.verdict)
        assert any("tanh" in h["detail"] and "[0, 1]" in h["name"] for h in row.hypotheses), (regime, claim)
        assert any("tanh gate" in c for c in row.details["caveats"]), (regime, claim)
    # the corrected bound holds on every path, so it must PASS
    assert tanh_rows[("tanh-state-gate-test", "lemma1-corrected")].verdict == ssmverify.Verdict.PASS
    assert tanh_rows[("tanh-leaky-negative-test", "lemma1-corrected")].verdict == ssmverify.Verdict.PASS
    # κ uses L_G = ‖U‖₂ = 0.5
    assert tanh_rows[("tanh-state-gate-test", "lemma1")].details["kappa"] == pytest.approx(0.45, rel=1e-14)
    assert tanh_rows[("tanh-state-gate-test", "theorem2")].details["tier"] == STATE_DEPENDENT


def test_theorem2_fails_exactly_for_a_negative_tanh_gate_in_the_leaky_form(tanh_rows):
    """‖A‖₂ = 0.5 and L_G = 0, yet M = I − tanh(−2)(I − A) = (1 + 0.5·tanh 2)·I: ρ(M) > 1 (no gate in [0, 1]
    could do this: 1 − g/2 ∈ [0.5, 1])."""
    row = tanh_rows[("tanh-leaky-negative-test", "theorem2")]
    assert row.details["tier"] == LINEAR and row.verdict == ssmverify.Verdict.FAIL
    assert row.statistic == pytest.approx(1.0 + 0.5 * math.tanh(2.0), rel=1e-12)
    assert tanh_rows[("tanh-leaky-negative-test", "lemma1")].verdict == ssmverify.Verdict.FAIL


# --- the probe ------------------------------------------------------------------------------------------------

def test_probe_runs_on_a_tanh_regime(tmp_path, capsys):
    path = tmp_path / "state.toml"
    path.write_text(STATE_GATE)
    out = tmp_path / "probe"
    status = main(["probe", str(path), "--claim", "lemma1", "--vary", "rho=0.5:0.9:2", "--paths", "64",
                   "--out", str(out)])
    capsys.readouterr()
    assert status in (0, 1)
    doc = json.loads((out / "grid.json").read_text())
    assert len(doc["cells"]) == 2
    for cell in doc["cells"]:
        assert cell["verdict"] in ("PASS", "FAIL", "INCONCLUSIVE")
        assert cell["bound"] == pytest.approx(cell["rho"] * 0.5, rel=1e-12)   # κ = ρ·‖U‖₂, not ρ·‖U‖₂/4


def test_lipschitz_knob_rescales_a_tanh_gate():
    base = regime_of(STATE_GATE)
    r = apply_knobs(base, {"lipschitz": 0.3})
    assert K.lipschitz_vector(r) == pytest.approx(0.3, rel=1e-12)
    np.testing.assert_allclose(r.U, base.U * 0.6, rtol=1e-15)
    assert differentiable_knobs(base, ["lipschitz"]) is not None


# --- the schema -------------------------------------------------------------------------------------------------

def test_schema_accepts_tanh_and_refuses_unknown_kinds(tmp_path):
    regime = regime_of(STATE_GATE)
    assert regime.gate_kind == "tanh" and regime.gate_is_parametric and regime.gate_depends_on_state
    sig = regime_of(STATE_GATE, kind="sigmoid", W=regime.W.tolist(), U=regime.U.tolist(), b=regime.b.tolist())
    assert regime.fingerprint() != sig.fingerprint()
    for kind in ("relu", "Tanh", "softsign"):
        path = tmp_path / f"{kind}.toml"
        path.write_text(STATE_GATE.replace('kind = "tanh"', f'kind = "{kind}"'))
        with pytest.raises(RegimeError, match=r"model\.gate\.kind.*'constant', 'sigmoid', 'tanh'"):
            load_regime(path, set(CLAIMS))
    path = tmp_path / "no-w.toml"
    path.write_text(STATE_GATE.replace("W = [[1.0], [-1.0]]\n", ""))
    with pytest.raises(RegimeError, match=r"model\.gate\.W.*tanh gate"):
        load_regime(path, set(CLAIMS))
    path = tmp_path / "value.toml"
    path.write_text(STATE_GATE.replace("b = [0.5, 0.0]", "b = [0.5, 0.0]\nvalue = 0.3"))
    with pytest.raises(RegimeError, match=r"model\.gate\.value"):
        load_regime(path, set(CLAIMS))


# --- the tanh gate's flop count -----------------------------------------------------------------------------------

@pytest.mark.parametrize("reads", [False, True])
def test_tanh_gate_flops_are_counted_and_its_values_are_tanh(reads):
    rng = np.random.default_rng(3)
    d, m = 4, 3
    W, U, b = rng.normal(size=(d, m)), rng.normal(size=(d, d)), rng.normal(size=d)
    x, h = rng.normal(size=m), rng.normal(size=d)
    Counted.ops.clear()
    out = tanh_gate(counted(W), counted(U) if reads else None, counted(b), counted(x), counted(h))
    assert sum(Counted.ops.values()) == gate_flops(d, m, "tanh", reads) == gate_flops(d, m, "sigmoid", reads) + d
    z = W @ x + (U @ h if reads else 0.0) + b
    np.testing.assert_allclose([o.v for o in out], np.tanh(z), rtol=0, atol=1e-15)
    assert np.all(tanh_gate(W, None, b * 1e3, x, h) ** 2 == 1.0)      # saturated both ways, no NaN
