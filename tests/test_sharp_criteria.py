"""Theorem 2 and Lemma 1 on chains whose truth is known by hand (issues: sound verdicts, sharp criteria).

* random walk (A = I, gate 1): never converges — ρ(M) = 1 exactly;
* A = 1.05·I and A = 3·I: diverge; the Jordan block [[0.999, 1], [0, 0.999]] and (1 − 1e-12)·I converge
  (transient growth and a radius within 1e-12 of 1 must not fool the check);
* 1-D h' = σ(h − 4)(2h + x) + w: ρ·L_G = 0.5, contracts near 0 and escapes beyond h ≈ 4;
* a random walk started at ‖h0‖ = 1e8: the separation 1 is resolved by float64 (1e-8 relative), and the
  ratio E‖Δ_t‖/E‖Δ_{t−1}‖ = 1 against κ = 0 is a violation.
"""

from __future__ import annotations

import numpy as np
import pytest

from ssmverify.checks import FAIL, PASS, Settings
from ssmverify.checks.lemma1 import Lemma1Check
from ssmverify.checks.theorem2 import Theorem2Check
from ssmverify.theorems import CLAIMS, load_regime

LINEAR = """
name = "{name}"
[model]
form = "gated"
A = {A}
B = {B}
noise_cov = 0.01
h0 = {h0}
[model.gate]
kind = "constant"
value = 1.0
[inputs]
law = "gaussian"
scale = 1.0
[theorem2]
steps = {steps}
{extra}
"""


def linear(tmp_path, name, A, *, B=None, h0=None, steps=50, extra=""):
    d = len(A)
    path = tmp_path / f"{name}.toml"
    path.write_text(LINEAR.format(name=name, A=A, B=B or [[1.0]] * d, h0=h0 or [0.0] * d, steps=steps, extra=extra))
    return load_regime(path, set(CLAIMS))


SETTINGS = Settings(quick=True, family_size=4)


@pytest.mark.parametrize("name,A,extra,expected", [
    ("random-walk", [[1.0, 0.0], [0.0, 1.0]], "", FAIL),
    ("random-walk-tiny-radius", [[1.0, 0.0], [0.0, 1.0]], "initial_radius = 1e-7", FAIL),
    ("slow-expansion", [[1.05, 0.0], [0.0, 1.05]], "", FAIL),
    ("jordan", [[0.999, 1.0], [0.0, 0.999]], "", PASS),
    ("nearly-one", [[1.0 - 1e-12, 0.0], [0.0, 1.0 - 1e-12]], "", PASS),
])
def test_linear_chains_are_decided_exactly(tmp_path, name, A, extra, expected):
    result = Theorem2Check().run(linear(tmp_path, name, A, extra=extra), SETTINGS)
    assert result.verdict == expected
    assert result.details["tier"] == "linear"
    comp = result.details["comparisons"][0]
    assert comp["method"] == "exact" and comp["statistic"] == pytest.approx(max(abs(np.linalg.eigvals(A))))
    assert result.details["lyapunov_exponent"]["method"] == "exact"
    assert result.details["lyapunov_exponent"]["estimate"] == pytest.approx(np.log(max(abs(np.linalg.eigvals(A)))))


def test_overflow_over_a_long_horizon_is_a_fail_not_a_pass(tmp_path):
    result = Theorem2Check().run(linear(tmp_path, "a3", [[3.0, 0.0], [0.0, 3.0]], steps=2000), SETTINGS)
    assert result.verdict == FAIL
    assert not result.details.get("empirical_w2")  # non-finite states: no number invented


ESCAPE = """
name = "escape"
[model]
form = "gated"
A = [[2.0]]
B = [[1.0]]
noise_cov = 0.01
[model.gate]
kind = "sigmoid"
W = [[0.0]]
U = [[1.0]]
b = [-4.0]
[inputs]
law = "gaussian"
scale = 1.0
[theorem2]
steps = 60
[lemma1]
steps = 4               # copies started in the far basin; after a few doublings some copies' separations fall
separations = [100.0]   # below float64 resolution (reported, not decided), which a pilot cannot foresee
"""


def test_a_basin_far_out_is_found_by_both_claims(tmp_path):
    path = tmp_path / "escape.toml"
    path.write_text(ESCAPE)
    r = load_regime(path, set(CLAIMS))
    assert Theorem2Check().decides(r) and Lemma1Check().decides(r)  # ρ·L_G = 0.5 < 1
    t2 = Theorem2Check().run(r, SETTINGS)
    assert t2.verdict == FAIL and t2.details["tier"] == "state-dependent"
    assert t2.details["lyapunov_exponent"]["method"] == "monte-carlo"
    l1 = Lemma1Check().run(r, SETTINGS)
    assert l1.verdict == FAIL


def test_lemma1_at_a_large_state_norm_is_decided(tmp_path):
    r = linear(tmp_path, "far-walk", [[1.0]], h0=[1e8], extra="[lemma1]\nsteps = 5\nseparations = [1.0]")
    result = Lemma1Check().run(r, SETTINGS)
    assert result.verdict == FAIL
    sync = [c for c in result.details["comparisons"] if c["coupling"] == "synchronous"]
    assert all(c["decides"] for c in sync)
    assert all(c["statistic"] == pytest.approx(1.0, rel=1e-6) for c in sync)


HEAVY = """
name = "infinite-variance"
[model]
form = "gated"
A = [[1.8]]
B = [[1.0]]
noise_cov = 0.01
[model.gate]
kind = "sigmoid"
W = [[6.0]]
b = [0.0]
[inputs]
law = "gaussian"
scale = 1.0
[theorem2]
steps = 100
"""


def test_synchronising_chain_with_infinite_variance_fails_mean_square(tmp_path):
    """E log(a·g) < 0 < log E(a·g)²: copies merge almost surely, yet E h_t² → ∞."""
    path = tmp_path / "heavy.toml"
    path.write_text(HEAVY)
    r = load_regime(path, set(CLAIMS))
    result = Theorem2Check().run(r, SETTINGS)
    assert result.details["tier"] == "input-gated"
    assert result.verdict == FAIL
    sm = result.details["second_moment"]
    assert sm["estimate"] == pytest.approx(1.41, abs=0.01) and sm["ci"][0] > 1.0
    lyap = result.details["lyapunov_exponent"]
    assert lyap["ci"][1] < 0.0 and lyap["estimate"] == pytest.approx(-1.91, abs=0.1)


UNREACHABLE = """
name = "unreachable-zero"
[model]
form = "gated"
A = [[2.5, 0.0], [0.0, 2.5]]
B = [[1.0], [1.0]]
noise_cov = 0.01
[model.gate]
kind = "sigmoid"
W = [[0.0], [0.0]]
U = [[1.0, 1.0], [1.0, 1.0]]
b = [5.0, -5.0]
[inputs]
law = "gaussian"
scale = 1.0
"""


def test_the_exact_lipschitz_constant_decides_the_hypotheses(tmp_path):
    """W = 0 keeps the pre-activations away from 0: L_G = 0.354, not ‖U‖₂/4 = 0.5, so with ρ = 2.5 the
    hypothesis ρ·L_G < 1 holds (0.884), although ρ·‖U‖₂/4 = 1.25 would say it fails."""
    from ssmverify.theorems import _constants as K
    path = tmp_path / "unreachable.toml"
    path.write_text(UNREACHABLE)
    r = load_regime(path, set(CLAIMS))
    assert K.lipschitz_vector(r) == pytest.approx(0.3536, abs=1e-3)
    assert K.kappa(r) == pytest.approx(2.5 * 0.3536, abs=1e-3) and 2.5 * np.linalg.norm(r.U, 2) / 4 > 1
    assert all(h.holds for h in K.theorem2_hypotheses(r))
