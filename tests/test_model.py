"""The JAX simulator against its NumPy twin, and the properties the checks rely on."""

from __future__ import annotations

import itertools

import jax
import numpy as np
import pytest

from ssmverify.theorems import Model, simulate
from ssmverify.theorems._reference import reference_trajectory
from ssmverify.theorems.model import _simulate_chunk, draw_step, path_key, run_with_noise, simulate_grid

D, M_IN = 3, 2


def _params(form: str, gate: str, rng: np.random.Generator) -> dict:
    A = rng.normal(size=(D, D)) * 0.5
    B = rng.normal(size=(D, M_IN))
    p = {"A": A, "B": B, "form": form, "gate": "constant" if gate.startswith("constant") else "sigmoid",
         "gate_value": None, "W": None, "U": None, "b": None}
    if gate == "constant-scalar":
        p["gate_value"] = np.full(D, 0.37)
    elif gate == "constant-vector":
        p["gate_value"] = np.array([0.0, 0.5, 1.0])
    else:
        p["W"] = rng.normal(size=(D, M_IN))
        p["U"] = np.zeros((D, D)) if gate == "input-gated" else rng.normal(size=(D, D))
        p["b"] = rng.normal(size=D)
    return p


def _model(p: dict, noise_cov, law: str = "gaussian", scale: float = 1.0) -> Model:
    return Model.build(p["A"], p["B"], noise_cov, form=p["form"], gate_value=p["gate_value"], W=p["W"],
                       U=p["U"], b=p["b"], input_law=law, input_scale=scale)


CASES = list(itertools.product(("gated", "leaky"), ("constant-scalar", "constant-vector", "sigmoid", "input-gated")))


@pytest.mark.parametrize("form,gate", CASES)
def test_jax_matches_numpy_twin_on_identical_noise(form, gate):
    rng = np.random.default_rng(abs(hash((form, gate))) % 2**32)
    p = _params(form, gate, rng)
    steps, chains = 25, 3
    xs = rng.normal(size=(steps, M_IN))
    ws = rng.normal(size=(steps, chains, D)) * 0.1
    h0s = rng.normal(size=(chains, D))
    jax_traj = np.asarray(run_with_noise(_model(p, 0.01), h0s, xs, ws))
    ref_traj = reference_trajectory(p, h0s, xs, ws)
    np.testing.assert_allclose(jax_traj, ref_traj, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("synchronous", [True, False])
@pytest.mark.parametrize("law", ["gaussian", "rademacher"])
def test_simulate_draws_replayed_through_the_twin(synchronous, law):
    """simulate() is the twin's update applied to the draws of draw_step(): check path by path."""
    rng = np.random.default_rng(7)
    p = _params("leaky", "sigmoid", rng)
    Q = np.array([[0.02, 0.005, 0.0], [0.005, 0.01, 0.0], [0.0, 0.0, 0.0]])  # PSD, singular
    model = _model(p, Q, law=law, scale=0.7)
    key = jax.random.key(3)
    steps, n_paths = 12, 5
    h0s = np.repeat(rng.normal(size=(1, 2, D)), n_paths, axis=0)

    def final_only(model, t, hp, h, x, w, g):
        return h

    final, traj = simulate(model, key, h0s, steps, synchronous=synchronous, observe=final_only, first_path=40)
    for i in range(n_paths):
        draws = [draw_step(model, path_key(key, 40 + i), t, 2, synchronous) for t in range(1, steps + 1)]
        xs = np.array([np.asarray(x) for x, _ in draws])
        ws = np.array([np.asarray(w) for _, w in draws])
        ref = reference_trajectory(p, h0s[i], xs, ws)
        np.testing.assert_allclose(traj[i], ref, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(final[i], ref[-1], rtol=1e-12, atol=1e-12)
        if law == "rademacher":
            assert set(np.round(np.abs(xs), 12).ravel()) == {0.7}
        if synchronous:
            np.testing.assert_array_equal(ws[:, 0], ws[:, 1])
        else:
            assert not np.allclose(ws[:, 0], ws[:, 1])
        # the noise has covariance Q: its null direction (third coordinate) is never excited
        assert np.all(ws[:, :, 2] == 0.0)


def _obs_x(model, t, hp, h, x, w, g):
    return {"x": x, "w": w[0]}


def test_input_and_noise_laws_have_the_stated_moments():
    n = 20000
    rng = np.random.default_rng(0)
    p = _params("gated", "constant-scalar", rng)
    Q = np.diag([0.04, 0.01, 0.09])
    for law, scale in (("gaussian", 1.5), ("rademacher", 0.5)):
        model = _model(p, Q, law=law, scale=scale)
        _, obs = simulate(model, jax.random.key(1), np.zeros((n, 1, D)), 2, observe=_obs_x, chunk=4096)
        x = obs["x"].reshape(-1, M_IN)
        w = obs["w"].reshape(-1, D)
        # 5 standard errors: the variance of x² is 2 s⁴ (Gaussian) or 0 (Rademacher)
        se_mean = scale / np.sqrt(x.shape[0])
        assert np.all(np.abs(x.mean(axis=0)) < 5 * se_mean)
        np.testing.assert_allclose(x.var(axis=0), scale**2, atol=5 * np.sqrt(2) * scale**2 / np.sqrt(x.shape[0]))
        np.testing.assert_allclose(w.var(axis=0), np.diag(Q), rtol=5 * np.sqrt(2 / w.shape[0]))
        if law == "rademacher":
            np.testing.assert_allclose(np.abs(x), scale)


def _obs_norm(model, t, hp, h, x, w, g):
    return np.float64(0.0) + jax.numpy.linalg.norm(h[0])


def test_results_do_not_depend_on_chunking_and_parameters_do_not_recompile():
    rng = np.random.default_rng(2)
    p = _params("gated", "sigmoid", rng)
    model = _model(p, 0.01)
    key = jax.random.key(5)
    h0s = np.zeros((300, 1, D))
    f1, o1 = simulate(model, key, h0s, 10, observe=_obs_norm, chunk=128)
    f2, o2 = simulate(model, key, h0s, 10, observe=_obs_norm, chunk=64)
    np.testing.assert_array_equal(f1, f2)
    np.testing.assert_array_equal(o1, o2)
    size = _simulate_chunk._cache_size()
    other = model.replace(A=model.A * 0.5, U=model.U * 2.0, leaky=jax.numpy.asarray(1.0),
                          sigmoid=jax.numpy.asarray(0.0), rademacher=jax.numpy.asarray(1.0))
    simulate(other, key, h0s, 10, observe=_obs_norm, chunk=64)
    simulate(other, key, h0s, 10, synchronous=False, observe=_obs_norm, chunk=64)
    assert _simulate_chunk._cache_size() == size, "new parameter values or coupling must reuse the compilation"


def test_simulation_runs_in_float64():
    model = _model(_params("gated", "constant-scalar", np.random.default_rng(0)), 0.01)
    final, _ = simulate(model, jax.random.key(0), np.zeros((4, 1, D)), 3, observe=_obs_norm)
    assert final.dtype == np.float64


def test_grid_cells_equal_single_runs():
    """simulate_grid (cells vmapped) gives each cell exactly what simulate gives it alone."""
    rng = np.random.default_rng(4)
    models = [_model(_params(form, "sigmoid", rng), q) for form, q in (("gated", 0.01), ("leaky", 0.2), ("gated", 0.0))]
    key = jax.random.key(9)
    h0s = rng.normal(size=(3, 16, 2, D))
    finals, obs = simulate_grid(models, key, h0s, 7, synchronous=False, observe=_obs_norm, first_path=5)
    for c, model in enumerate(models):
        f, o = simulate(model, key, h0s[c], 7, synchronous=False, observe=_obs_norm, first_path=5)
        np.testing.assert_allclose(finals[c], f, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(obs[c], o, rtol=1e-13, atol=1e-13)


def test_safe_norm_equals_the_norm_and_has_a_zero_gradient_at_zero():
    from ssmverify.theorems.model import safe_norm
    x = jax.numpy.asarray(np.random.default_rng(0).normal(size=(20000, 3)) * np.logspace(-200, 100, 20000)[:, None])
    np.testing.assert_array_equal(np.asarray(safe_norm(x)), np.asarray(jax.numpy.linalg.norm(x, axis=-1)))
    assert float(safe_norm(jax.numpy.zeros(3))) == 0.0
    np.testing.assert_array_equal(np.asarray(jax.grad(safe_norm)(jax.numpy.zeros(3))), np.zeros(3))
