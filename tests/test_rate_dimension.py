"""``rate-dimension`` (§4, §4.2): I(h_t; x_{1:t}) ≤ dim(h_t) in bits, against oracles computed here.

* 1-D chains by hand: h_t = a h_{t−1} + b x_t + w_t (gate folded into a, b), x ~ N(0, s²), w ~ N(0, q):
  Var(h_t) = (b²s² + q)·Σ_{k<t} a^{2k}, Var(h_t | x_{1:t}) = q·Σ_{k<t} a^{2k}, so
  I = ½ log₂(Var / Var|x) = ½ log₂(1 + b²s²/q) at every t;
* a 2-D chain at a finite horizon by brute force: the joint covariance of (h_t, x_1, …, x_t) unrolled
  from the recursion (no signal/noise split), I = ½ log₂ det Var(h) det Var(x) / det Var(h, x); and a
  Monte Carlo estimate from the NumPy twin (``theorems._reference``): sample covariances of h_t with
  independent input paths and with one fixed input path, tolerance from their standard errors;
* the pre-log: with Q → c·Q, I grows by (r/2)·log₂(c₁/c₂) between two small c, r = min(d, t·m);
* units: B → cB, Q → c²Q, h_0 → c·h_0 with c = 1e6 leaves I, the verdict and c* unchanged;
* the noise scale c* at which I = d, by hand in 1-D (γ/(2^{2d} − 1)), and the verdict flips there.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ssmverify.checks import FAIL, INCONCLUSIVE, NOT_APPLICABLE, PASS, Settings
from ssmverify.checks.rate_dimension import RateDimensionCheck
from ssmverify.checks.suite import resolve_regimes
from ssmverify.theorems import CLAIMS
from ssmverify.theorems._gaussian_source import source_of, source_reason
from ssmverify.theorems._reference import reference_trajectory
from ssmverify.theorems.rate_dimension import RATE_DIMENSION, information_at_noise_scale, state_information
from conftest import build_regime

SETTINGS = Settings(quick=True, family_size=1)
CHECK = RateDimensionCheck()


def run(regime):
    return CHECK.run(regime, SETTINGS)


def one_d(a=0.5, b=1.0, q=1e-6, gate=1.0, form="gated", s=1.0, steps=None, name="rd1"):
    tables = {"rate_distortion": {"steps": steps}} if steps else {}
    return build_regime(name, A=[[a]], B=[[b]], Q=q, gate=gate, form=form, scale=s, **tables)


def hand_1d(a, b, q, g, form, s, t):
    """(Var h_t, Var h_t | x, I bits) written out for the 1-D chain."""
    a_eff = g * a if form == "gated" else 1.0 - g * (1.0 - a)
    geo = sum(a_eff ** (2 * k) for k in range(t))
    var = ((g * b * s) ** 2 + q) * geo
    var_x = q * geo
    return var, var_x, 0.5 * math.log2(var / var_x)


# --- the claim and its applicability ------------------------------------------------------------

def test_claim_declaration():
    assert RATE_DIMENSION.id == "rate-dimension" and RATE_DIMENSION.kind == "paper"
    assert "§4.2" in RATE_DIMENSION.section and "bit" in RATE_DIMENSION.statement
    assert CHECK.planned_comparisons(one_d(), Settings()) == 0


@pytest.mark.parametrize("kw, word", [
    ({"gate": {"kind": "sigmoid", "W": [[1.0]], "b": [0.0]}}, "constant gate"),
    ({"law": "rademacher"}, "Rademacher"),
    ({"A": [[2.0]]}, "stationary"),
])
def test_not_applicable_where_h_t_is_not_gaussian(kw, word):
    args = {"A": [[0.5]], "B": [[1.0]], "Q": 0.01, **kw}
    regime = build_regime("na", **args)
    result = run(regime)
    assert result.verdict == NOT_APPLICABLE and word in result.details["reason"]
    assert result.details["reason"] == source_reason(regime) == RATE_DIMENSION.applicable(regime)


# --- closed forms against hand and brute force ------------------------------------------------

@pytest.mark.parametrize("a, b, q, g, form, s, steps", [
    (0.5, 1.0, 1e-6, 1.0, "gated", 1.0, None),      # the built-in rate-one-coordinate: ≈ 9.97 bits
    (0.9, 0.7, 0.3, 0.6, "gated", 2.0, 4),
    (0.3, 1.5, 2.0, 0.4, "leaky", 0.5, 7),
    (0.8, 1.0, 50.0, 1.0, "leaky", 1.0, None),
])
def test_one_dimension_by_hand(a, b, q, g, form, s, steps):
    regime = one_d(a, b, q, g, form, s, steps)
    src = source_of(regime)
    var, var_x, bits = hand_1d(a, b, q, g, form, s, src.t)
    assert src.cov[0, 0] == pytest.approx(var, rel=1e-12)
    assert src.noise_cov[0, 0] == pytest.approx(var_x, rel=1e-12)
    assert bits == pytest.approx(0.5 * math.log2(1.0 + (g * b * s) ** 2 / q), rel=1e-12)   # independent of t
    result = run(regime)
    assert result.statistic == pytest.approx(bits, rel=1e-11)
    assert result.ci[0] <= bits <= result.ci[1]
    assert result.details["bits_per_coordinate"] == pytest.approx(bits, rel=1e-11)
    assert result.details["nats_per_coordinate"] == pytest.approx(bits * math.log(2), rel=1e-11)
    assert result.verdict == (FAIL if bits > 1.0 else PASS)
    assert result.method == "exact" and result.n_samples == 0


def _two_d_regime(steps=3):
    return build_regime("rd2", A=[[0.6, 0.3], [-0.2, 0.5]], B=[[1.0], [0.4]],
                        Q=[[0.05, 0.01], [0.01, 0.02]], gate=[0.8, 0.5], h0=[0.3, -0.1],
                        rate_distortion={"steps": steps})


def _brute_force_bits(A, B, Q, g, s, t):
    """Joint covariance of (h_t, x_1..x_t) unrolled from h_k = M h_{k−1} + G B x_k + w_k (h_0 fixed)."""
    M, GB = np.diag(g) @ A, np.diag(g) @ B
    d, m = B.shape
    n = d + t * m
    J = np.zeros((n, n))
    J[d:, d:] = s * s * np.eye(t * m)
    var_h = np.zeros((d, d))
    for k in range(1, t + 1):                       # x_k enters h_t through M^{t−k} G B
        P = np.linalg.matrix_power(M, t - k)
        J[:d, d + (k - 1) * m: d + k * m] = P @ GB * s * s
        var_h += P @ (s * s * GB @ GB.T + Q) @ P.T
    J[:d, :d] = var_h
    J[d:, :d] = J[:d, d:].T
    ld = lambda X: np.linalg.slogdet(X)[1]    # noqa: E731
    return 0.5 * (ld(var_h) + ld(J[d:, d:]) - ld(J)) / math.log(2.0)


def test_two_dimensions_brute_force_joint_covariance():
    A, B = np.array([[0.6, 0.3], [-0.2, 0.5]]), np.array([[1.0], [0.4]])
    Q, g = np.array([[0.05, 0.01], [0.01, 0.02]]), np.array([0.8, 0.5])
    for t in (1, 3, 6):
        bits = _brute_force_bits(A, B, Q, g, 1.0, t)
        result = run(_two_d_regime(t))
        assert result.statistic == pytest.approx(bits, rel=1e-10), t
        assert result.ci[0] <= result.statistic <= result.ci[1]
        assert result.verdict == (FAIL if bits > 2.0 else PASS)
    assert result.verdict == FAIL


def test_two_dimensions_monte_carlo_with_the_numpy_twin():
    """Sample covariances of h_t from the twin: independent input paths (Var h) and one fixed path (Var h | x)."""
    t, n = 3, 6000
    regime = _two_d_regime(t)
    params = {"A": regime.A, "B": regime.B, "form": regime.form, "gate": "constant",
              "gate_value": regime.gate_value}
    rng = np.random.default_rng(20241003)
    L = np.linalg.cholesky(regime.noise_cov)
    h0s = np.tile(regime.h0, (n, 1))
    ws = rng.standard_normal((t, n, 2)) @ L.T
    fixed = reference_trajectory(params, h0s, rng.standard_normal((t, 1)), ws)[-1]
    xs = rng.standard_normal((n, t, 1))
    ws2 = rng.standard_normal((t, n, 2)) @ L.T
    free = np.stack([reference_trajectory(params, regime.h0[None, :], xs[i], ws2[:, i:i + 1])[-1, 0]
                     for i in range(n)])
    ld = lambda X: np.linalg.slogdet(np.cov(X, rowvar=False))[1]    # noqa: E731
    estimate = 0.5 * (ld(free) - ld(fixed)) / math.log(2.0)
    # Var of log det of a k×k sample covariance ≈ 2k/n for Gaussian samples; two independent ones.
    se = math.sqrt(2 * 2 * 2 / n) / (2.0 * math.log(2.0))
    result = run(regime)
    assert abs(estimate - result.statistic) <= 5.0 * se, (estimate, result.statistic, se)


def test_pre_log_is_the_number_of_informative_directions():
    """I ≈ (r/2)·log₂(1/c) as Q → c·Q, c → 0, with r = rank Σ_s = min(d, t·m): 3 states, 1 input, t = 2."""
    regime = build_regime("prelog", A=[[0.9, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 0.2]], B=[[1.0], [1.0], [1.0]],
                          Q=1.0, rate_distortion={"steps": 2})
    info = state_information(source_of(regime))
    assert info.informative == 2 and len(info.gains) == 3 and info.gains[2] == pytest.approx(0.0, abs=1e-9)
    slope = information_at_noise_scale(info.gains, 1e-12) - information_at_noise_scale(info.gains, 1e-10)
    assert slope == pytest.approx(0.5 * 2 * math.log2(100.0), rel=1e-6)
    assert run(regime).details["input_rank_bound"] == 2


# --- verdicts ---------------------------------------------------------------------------------

def test_zero_noise_is_infinite_information_and_fails_exactly():
    result = run(one_d(q=0.0))
    assert result.verdict == FAIL and result.statistic == math.inf and result.ci == (math.inf, math.inf)
    assert result.details["noise_scale_at_equality"] == math.inf
    # the inputs reach coordinate 1, the noise does not
    result = run(build_regime("half", A=[[0.9, 0.0], [0.0, 0.5]], B=[[1.0], [1.0]], Q=[[1.0, 0.0], [0.0, 0.0]]))
    assert result.verdict == FAIL and result.ci[1] == math.inf and result.ci[0] > 2.0


def test_no_false_fail_where_the_noise_is_below_float64_resolution():
    """32 coordinates, inputs on a coordinate with noise 1e-13: I = ½ log₂(1 + 1e13) ≈ 21.6 < 32 bits.

    The canonical-correlation formula calls this ∞; the check must not FAIL on it.
    """
    d = 32
    Q, B = np.eye(d), np.zeros((d, 1))
    Q[0, 0], B[0, 0] = 1e-13, 1.0
    result = run(build_regime("quiet", A=0.5 * np.eye(d), B=B, Q=Q))
    truth = 0.5 * math.log2(1.0 + 1e13)
    assert result.verdict in (PASS, INCONCLUSIVE)
    assert result.ci[0] <= truth <= result.ci[1]
    assert result.statistic == pytest.approx(truth, rel=1e-9)


def test_coordinates_of_very_different_sizes_are_each_resolved():
    """Coordinate 0: pure noise of variance ~1e10; coordinate 1: variance ~1e-4, noise 1e-20 (≈ 26.6 bits).

    Judged against the largest variance, coordinate 1 would look constant and the row would PASS falsely.
    """
    result = run(build_regime("sep", A=0.5 * np.eye(2), B=[[0.0], [1e-2]], Q=[[1e10, 0.0], [0.0, 1e-20]]))
    truth = 0.5 * math.log2(1.0 + 1e-4 / 1e-20)
    assert result.verdict == FAIL and result.ci[0] <= truth <= result.ci[1] and result.ci[0] > 2.0
    result = run(build_regime("sep2", A=0.5 * np.eye(2), B=[[0.0], [1e-10]], Q=[[1e10, 0.0], [0.0, 1e-20]]))
    assert result.verdict == PASS and result.statistic == pytest.approx(0.5, rel=1e-9)


def test_signal_to_noise_beyond_float64():
    """b = 1e149, q = 1e-300: γ = b²/q ≈ 1e598 is not a float64, I = ½ log₂(1 + γ) ≈ 993.3 bits is."""
    result = run(one_d(a=0.5, b=1e149, q=1e-300))
    truth = 0.5 * (2 * 149 + 300) * math.log2(10.0)
    assert result.verdict == FAIL and result.statistic == pytest.approx(truth, rel=1e-12)
    assert result.details["information"]["gains_beyond_float64"] is True
    assert result.details["noise_scale_at_equality"] == math.inf


def test_equality_holds_and_constant_directions_carry_nothing():
    result = run(build_regime("eq", A=[[0.0]], B=[[math.sqrt(3.0)]], Q=1.0))     # I = ½ log₂ 4 = 1 = d
    assert result.verdict == PASS and result.statistic == pytest.approx(1.0, rel=1e-12)
    # coordinate 1 is constant (no input, no noise): I = ½ log₂(1 + 1/1) = 0.5 bit from coordinate 0
    result = run(build_regime("const", A=[[0.9, 0.0], [0.0, 0.5]], B=[[1.0], [0.0]], Q=[[1.0, 0.0], [0.0, 0.0]],
                              h0=[0.0, 4.0]))
    assert result.verdict == PASS and result.statistic == pytest.approx(0.5, rel=1e-12)
    assert result.details["information"]["constant_directions"] == 1
    # no input reaches the state: I = 0
    result = run(one_d(b=0.0, q=0.01))
    assert result.verdict == PASS and result.statistic == 0.0


def test_the_verdict_flips_at_the_reported_noise_scale():
    b, q, s = 1.3, 0.02, 1.0
    gamma = (b * s) ** 2 / q
    c_star = gamma / (2.0 ** 2 - 1.0)                 # ½ log₂(1 + γ/c) = 1
    result = run(one_d(a=0.7, b=b, q=q))
    assert result.details["noise_scale_at_equality"] == pytest.approx(c_star, rel=1e-9)
    assert result.verdict == FAIL
    assert run(one_d(a=0.7, b=b, q=q * c_star * 0.99)).verdict == FAIL
    assert run(one_d(a=0.7, b=b, q=q * c_star * 1.01)).verdict == PASS


def test_rate_distortion_context_by_hand():
    """1-D: R(D) = ½ log₂(σ²/D) ≤ 1 bit exactly for D ≥ σ²/4."""
    result = run(one_d(a=0.5, b=1.0, q=0.5))
    var = (1.0 + 0.5) / (1.0 - 0.25)
    rd = result.details["rate_distortion"]
    assert rd["D_at_d_bits"] == pytest.approx(var / 4.0, rel=1e-10)
    assert rd["D_at_d_bits_relative_to_trace"] == pytest.approx(0.25, rel=1e-10)


def test_units_invariance():
    base = build_regime("u", A=[[0.7, 0.2], [0.0, 0.6]], B=[[1.0], [0.3]], Q=[[1e-4, 0.0], [0.0, 4e-4]],
                        h0=[1.0, -2.0], gate=[0.9, 0.7])
    c = 1e6
    scaled = build_regime("u", A=[[0.7, 0.2], [0.0, 0.6]], B=[[c], [0.3 * c]],
                          Q=[[1e-4 * c * c, 0.0], [0.0, 4e-4 * c * c]], h0=[c, -2.0 * c], gate=[0.9, 0.7])
    r0, r1 = run(base), run(scaled)
    assert r0.verdict == r1.verdict == FAIL
    assert r1.statistic == pytest.approx(r0.statistic, rel=1e-9)
    assert r1.details["noise_scale_at_equality"] == pytest.approx(r0.details["noise_scale_at_equality"], rel=1e-9)
    rd0, rd1 = r0.details["rate_distortion"], r1.details["rate_distortion"]
    assert rd1["D_at_d_bits"] == pytest.approx(rd0["D_at_d_bits"] * c * c, rel=1e-9)
    assert rd1["D_at_d_bits_relative_to_trace"] == pytest.approx(rd0["D_at_d_bits_relative_to_trace"], rel=1e-9)


def test_row_shape_and_determinism():
    regime = one_d()
    a, b = run(regime), run(regime)
    assert json.dumps(a.to_json(), default=str) == json.dumps(b.to_json(), default=str)
    comps = a.details["comparisons"]
    assert [c["decides"] for c in comps] == [True, False]
    assert all(c["method"] == "exact" for c in comps)
    assert comps[0]["claimed"] == "<=" and comps[1]["claimed"] == ">="
    assert comps[1]["decision"] == "holds"            # 10 bits ≥ 1: this direction happens to hold here
    panel = a.details["plots"][0]["panels"][0]
    assert panel["xscale"] == "log" and panel["hlines"][0]["y"] == 1.0


# --- regimes ------------------------------------------------------------------------------------

def test_the_two_regimes_inline():
    """The numbers of rate-one-coordinate and rate-noisy-state (checks/regimes/), built here."""
    one = run(one_d(a=0.5, b=1.0, q=1e-6))
    assert one.verdict == FAIL and one.statistic == pytest.approx(0.5 * math.log2(1.0 + 1e6), rel=1e-11)
    noisy = run(build_regime("noisy", A=np.diag([0.9, 0.5, 0.2]), B=[[1.0], [1.0], [1.0]], Q=4.0, form="leaky",
                             gate=0.5))
    assert noisy.verdict == PASS and noisy.statistic < 0.2
    other = noisy.details["comparisons"][1]
    assert not other["decides"] and other["decision"] == "violated"     # 3 coordinates, ~0.13 bit


def test_builtin_regimes():
    from ssmverify.checks._registry import CHECKS
    assert "rate-dimension" in CHECKS and "rate-dimension" in CLAIMS
    expect = {"rate-one-coordinate": FAIL, "rate-noisy-state": PASS, "constant-gate": FAIL,
              "leaky-constant-gate": FAIL, "low-snr": PASS, "sigmoid-quiet": NOT_APPLICABLE,
              "expanding": NOT_APPLICABLE, "fano-sharp-memory": NOT_APPLICABLE}
    for name, verdict in expect.items():
        regime = resolve_regimes([f"builtin:{name}"])[0]
        assert run(regime).verdict == verdict, name
