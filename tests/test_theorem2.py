"""Theorem 2 check against the exact linear-Gaussian oracle.

With a constant gate the chain is h_t = M h_{t−1} + η_t; it converges iff the
spectral radius of M is below 1, its covariance follows Σ_t = M Σ_{t−1} Mᵀ + S
and the stationary one solves the discrete Lyapunov equation.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

from ssmverify import estimators
from ssmverify.checks import FAIL, NOT_APPLICABLE, PASS, Settings
from ssmverify.checks.theorem2 import Theorem2Check, radii
from ssmverify.theorems import CLAIMS, load_regime, simulate
from ssmverify.theorems.theorem2 import exact_moments, innovation_covariance, linear_transition

TEMPLATE = """
name = "{name}"
[model]
form = "{form}"
A = {A}
B = [[1.0], [0.5]]
noise_cov = [[0.04, 0.01], [0.01, 0.02]]
h0 = [1.0, -2.0]
[model.gate]
kind = "constant"
value = {g}
[inputs]
law = "gaussian"
scale = 0.5
[theorem2]
steps = 60
"""


def regime(tmp_path, name, form, A, g):
    path = tmp_path / f"{name}.toml"
    path.write_text(TEMPLATE.format(name=name, form=form, A=A, g=g))
    return load_regime(path, set(CLAIMS))


CASES = [
    ("gated-contracting", "gated", "[[0.9, 0.3], [0.0, 0.7]]", "[0.8, 0.6]", PASS),
    ("leaky-contracting", "leaky", "[[0.5, 0.2], [0.1, 0.5]]", "0.3", PASS),
    ("gated-expanding", "gated", "[[1.6, 0.0], [0.2, 1.1]]", "1.0", FAIL),
    ("leaky-random-walk", "leaky", "[[0.5, 0.0], [0.0, 0.5]]", "0.0", FAIL),   # M = I: no stationary law
    ("leaky-expanding", "leaky", "[[1.5, 0.0], [0.0, 0.5]]", "0.5", FAIL),     # M = diag(1.25, 0.75)
]


@pytest.mark.parametrize("name,form,A,g,expected", CASES)
def test_verdict_matches_the_exact_spectral_radius(tmp_path, name, form, A, g, expected):
    r = regime(tmp_path, name, form, A, g)
    radius = float(np.max(np.abs(np.linalg.eigvals(linear_transition(r)))))
    assert (radius < 1.0) == (expected == PASS)
    result = Theorem2Check().run(r, Settings(quick=True, family_size=2))
    assert result.hypotheses_hold  # constant gate: L_G = 0, every hypothesis holds
    assert result.verdict == expected
    assert result.details["linear"]["exact_converges"] == (expected == PASS)


def test_monte_carlo_law_matches_the_lyapunov_oracle(tmp_path):
    r = regime(tmp_path, "oracle", "gated", "[[0.9, 0.3], [0.0, 0.7]]", "[0.8, 0.6]")
    M, S = linear_transition(r), innovation_covariance(r)
    sigma = estimators.stationary_covariance(M, S)
    means, covs = exact_moments(r, r.h0, 60)
    np.testing.assert_allclose(covs[-1], sigma, rtol=1e-6)  # 60 steps of ρ(M)=0.72: the recursion has converged

    n = 20000

    def final_state(model, t, hp, h, x, w, g):
        return h[0]

    final, _ = simulate(r.model(), jax.random.key(3), np.repeat(r.h0[None, None], n, axis=0), 60,
                        observe=final_state, chunk=4096)
    h = final[:, 0]
    se_mean = np.sqrt(np.diag(sigma) / n)
    assert np.all(np.abs(h.mean(axis=0) - means[-1]) < 5 * se_mean)
    emp = np.cov(h.T)
    # the sample covariance of a Gaussian has sd √((Σ_ij² + Σ_ii Σ_jj)/n)
    sd = np.sqrt((sigma**2 + np.outer(np.diag(sigma), np.diag(sigma))) / n)
    assert np.all(np.abs(emp - sigma) < 5 * sd)


def test_exact_w2_to_the_stationary_law_decays_to_zero(tmp_path):
    r = regime(tmp_path, "w2", "leaky", "[[0.5, 0.2], [0.1, 0.5]]", "0.3")
    result = Theorem2Check().run(r, Settings(quick=True, family_size=2))
    radius = result.details["linear"]["spectral_radius_M"]
    for curve in result.details["linear"]["exact_w2_to_stationary"]:
        # W2 decays geometrically at rate ρ(M) (up to a constant from the non-normal part of M)
        assert curve[-1] < 10 * radius ** 59 * curve[0]
        assert all(b <= a + 1e-12 for a, b in zip(curve, curve[1:]))
    assert result.details["linear"]["mean_check"]["z_max"] < 5
    floor = result.details["empirical_w2"]["same_law_floor"]
    # starts within the regime's own scale of h_0 have forgotten it; the far ones (up to 1e4 × scale) need longer
    near = [w for w, r in zip(result.details["empirical_w2"]["between_copies"], result.details["radii"])
            if r <= r_scale()]
    assert near and all(w < 3 * floor + 0.05 for w in near)


def r_scale():
    return 1.0001 * 0.5 * np.sqrt(1.25 + 0.06 / 0.25)  # √(s²‖B‖²_F + tr Q) of TEMPLATE


def test_overflow_is_decided_exactly_not_a_crash(tmp_path):
    r = regime(tmp_path, "overflow", "gated", "[[1e8, 0.0], [0.0, 1e8]]", "1.0")
    result = Theorem2Check().run(r, Settings(quick=True, family_size=2))
    assert result.verdict == FAIL
    comp = result.details["comparisons"][0]
    assert comp["method"] == "exact" and comp["statistic"] == pytest.approx(1e8)
    assert result.details["tier"] == "linear"


def test_hypotheses_failing_gives_not_applicable_with_measurement():
    from ssmverify.checks.suite import resolve_regimes
    r = resolve_regimes(["builtin:strong-feedback"])[0]
    check = Theorem2Check()
    assert check.planned_comparisons(r, Settings()) == 0
    result = check.run(r, Settings(quick=True))
    assert result.verdict == NOT_APPLICABLE and result.n_samples > 0


@pytest.mark.parametrize("where", ["none", "distance inf", "final NaN", "both, other paths"])
def test_coupling_comparisons_count_the_paths_that_overflowed(where):
    """The state-dependent tier's coupling comparisons: any non-finite distance or final state on a path is
    divergence observed (one VIOLATED comparison naming how many paths); all finite gives one ratio per start.
    The count is checked against a path-by-path loop."""
    from ssmverify.checks.suite import resolve_regimes
    reg = resolve_regimes(["builtin:sigmoid-quiet"])[0]
    rng = np.random.default_rng(3)
    n, steps, k = 64, 30, len(radii(reg))
    dist2 = np.exp(-0.2 * np.arange(1, steps + 1))[None, :, None] * rng.uniform(0.5, 2.0, (n, steps, k))
    scale = np.ones((n, steps, k))
    final = rng.normal(size=(n, k + 1, reg.d))
    if where in ("distance inf", "both, other paths"):
        dist2[5, 17, 1] = np.inf
    if where in ("final NaN", "both, other paths"):
        final[40, 2, 0] = np.nan
    data = {"synchronous.dist2": dist2, "synchronous.scale": scale, "synchronous.final": final}
    comps = Theorem2Check._coupling_comparisons(reg, data, 0.001, True)
    bad = sum(1 for p in range(n) if not (np.all(np.isfinite(dist2[p])) and np.all(np.isfinite(final[p]))))
    if bad == 0:
        assert len(comps) == k and all(c.label.startswith("start ") for c in comps)
    else:
        assert len(comps) == 1 and comps[0].label == "states stay finite"
        assert f"states overflowed float64 on {bad} of {n} path(s)" in comps[0].meta["note"]
