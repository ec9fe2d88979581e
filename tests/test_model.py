"""The JAX simulator against its NumPy twin, and the properties the checks rely on."""

from __future__ import annotations

import itertools
import zlib

import jax
import numpy as np
import pytest

from ssmverify.theorems import Model, simulate
from ssmverify.theorems._reference import reference_trajectory
from ssmverify.theorems.model import (PATHS_MINOR_MAX_D, _paths_minor, _simulate_chunk, draw_step, path_key,
                                      run_with_noise, simulate_grid)

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
    rng = np.random.default_rng(zlib.crc32(f"{form}/{gate}".encode()))   # str hash() differs per process
    p = _params(form, gate, rng)
    steps, chains = 25, 3
    xs = rng.normal(size=(steps, M_IN))
    ws = rng.normal(size=(steps, chains, D)) * 0.1
    h0s = rng.normal(size=(chains, D))
    jax_traj = np.asarray(run_with_noise(_model(p, 0.01), h0s, xs, ws))
    ref_traj = reference_trajectory(p, h0s, xs, ws)
    np.testing.assert_allclose(jax_traj, ref_traj, rtol=1e-12, atol=1e-12)


def _obs_draws(model, t, hp, h, x, w, g):
    return {"h": h, "x": x, "w": w}


@pytest.mark.parametrize("synchronous", [True, False])
@pytest.mark.parametrize("law", ["gaussian", "rademacher"])
def test_simulate_draws_replayed_through_the_twin(synchronous, law):
    """simulate() is the twin's update applied to the very inputs and noise it drew: check path by path.

    The simulator reports the x_t and w_t it used (through ``observe``); they are fed to the NumPy twin, and
    they are also what draw_step() gives for that path and step (the draws are a function of the key, the
    global path number and the step alone)."""
    rng = np.random.default_rng(7)
    p = _params("leaky", "sigmoid", rng)
    Q = np.array([[0.02, 0.005, 0.0], [0.005, 0.01, 0.0], [0.0, 0.0, 0.0]])  # PSD, singular
    model = _model(p, Q, law=law, scale=0.7)
    key = jax.random.key(3)
    steps, n_paths = 12, 5
    h0s = np.repeat(rng.normal(size=(1, 2, D)), n_paths, axis=0)

    final, obs = simulate(model, key, h0s, steps, synchronous=synchronous, observe=_obs_draws, first_path=40,
                          chunk=4)
    for i in range(n_paths):
        xs, ws = obs["x"][i], obs["w"][i]                                  # (T, m), (T, K, d): what it used
        ref = reference_trajectory(p, h0s[i], xs, ws)
        np.testing.assert_allclose(obs["h"][i], ref, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(final[i], ref[-1], rtol=1e-12, atol=1e-12)
        draws = [draw_step(model, path_key(key, 40 + i), t, 2, synchronous) for t in range(1, steps + 1)]
        np.testing.assert_array_equal(xs, np.array([np.asarray(x) for x, _ in draws]))
        # the same normals times Lᵀ: a lone matrix-vector product may round differently from a block's
        np.testing.assert_allclose(ws, np.array([np.asarray(w) for _, w in draws]), rtol=1e-14, atol=1e-17)
        if law == "rademacher":
            assert set(np.round(np.abs(xs), 12).ravel()) == {0.7}
        if synchronous:
            np.testing.assert_array_equal(ws[:, 0], ws[:, 1])
        else:
            assert not np.allclose(ws[:, 0], ws[:, 1])
        # the noise has covariance Q: its null direction (third coordinate) is never excited
        assert np.all(ws[:, :, 2] == 0.0)


@pytest.mark.parametrize("synchronous", [True, False])
@pytest.mark.parametrize("d", [PATHS_MINOR_MAX_D, PATHS_MINOR_MAX_D + 1])
def test_both_block_layouts_replay_through_the_twin(d, synchronous):
    """Blocks run paths minor up to PATHS_MINOR_MAX_D and paths first above it: on each side of the switch the
    states are the twin's update of the draws the simulator reports, and those are draw_step's."""
    assert _paths_minor(d) == (d <= PATHS_MINOR_MAX_D)
    rng = np.random.default_rng(d)
    m = 3
    p = {"A": rng.normal(size=(d, d)) / (2 * np.sqrt(d)), "B": rng.normal(size=(d, m)), "form": "gated",
         "gate": "sigmoid", "gate_value": None, "W": rng.normal(size=(d, m)), "U": rng.normal(size=(d, d)),
         "b": rng.normal(size=d)}
    L = np.tril(rng.normal(size=(d, d))) * 0.1
    model = _model(p, L @ L.T)
    key = jax.random.key(5)
    steps, n_paths = 19, 3   # 19 = one whole block of draws and part of the next
    h0s = rng.normal(size=(n_paths, 2, d))
    final, obs = simulate(model, key, h0s, steps, synchronous=synchronous, observe=_obs_draws, first_path=7)
    assert obs["h"].shape == (n_paths, steps, 2, d) and obs["x"].shape == (n_paths, steps, m)
    for i in range(n_paths):
        ref = reference_trajectory(p, h0s[i], obs["x"][i], obs["w"][i])
        np.testing.assert_allclose(obs["h"][i], ref, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(final[i], ref[-1], rtol=1e-12, atol=1e-12)
        draws = [draw_step(model, path_key(key, 7 + i), t, 2, synchronous) for t in range(1, steps + 1)]
        np.testing.assert_array_equal(obs["x"][i], np.array([np.asarray(x) for x, _ in draws]))
        np.testing.assert_allclose(obs["w"][i], np.array([np.asarray(w) for _, w in draws]), rtol=1e-13, atol=1e-16)


def test_couplings_share_inputs_and_chain_zeros_noise():
    """Inputs are shared by every chain and both couplings; chain 0's noise is the same under both couplings;
    under synchronous coupling every chain has chain 0's noise, under independent coupling none has."""
    rng = np.random.default_rng(8)
    model = _model(_params("gated", "sigmoid", rng), np.diag([0.03, 0.02, 0.01]))
    key, h0s = jax.random.key(12), rng.normal(size=(7, 3, D))
    _, sync = simulate(model, key, h0s, 9, synchronous=True, observe=_obs_draws, chunk=8)
    _, indep = simulate(model, key, h0s, 9, synchronous=False, observe=_obs_draws, chunk=8)
    np.testing.assert_array_equal(sync["x"], indep["x"])
    np.testing.assert_array_equal(sync["w"][:, :, 0], indep["w"][:, :, 0])
    for c in (1, 2):
        np.testing.assert_array_equal(sync["w"][:, :, c], sync["w"][:, :, 0])
        assert not np.any(indep["w"][:, :, c] == indep["w"][:, :, 0])
    assert not np.any(indep["w"][:, :, 1] == indep["w"][:, :, 2])
    # one chain alone sees chain 0's noise under either coupling
    _, one = simulate(model, key, h0s[:, :1], 9, synchronous=False, observe=_obs_draws, chunk=8)
    np.testing.assert_array_equal(one["w"][:, :, 0], sync["w"][:, :, 0])
    np.testing.assert_array_equal(one["x"], sync["x"])


def test_counter_based_normals_are_jax_randoms():
    """The hash is jax.random's Threefry-2x32, and at step 0 the normals are jax.random.normal's own."""
    from jax.extend.random import threefry2x32_p

    from ssmverify.theorems.model import _key_words, _normals, _threefry2x32

    rng = np.random.default_rng(0)
    k1, k2, x1, x2 = (jax.numpy.asarray(rng.integers(0, 2**32, size=257, dtype=np.uint64).astype(np.uint32))
                      for _ in range(4))
    ours = _threefry2x32(k1, k2, x1, x2)
    theirs = threefry2x32_p.bind(k1, k2, x1, x2)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    key = path_key(jax.random.key(21), 5)
    with jax.threefry_partitionable(True):
        expected = np.asarray(jax.random.normal(key, (1000,), dtype=np.float64))
    words = _key_words(key)
    got = np.asarray(_normals(words[0], words[1], 0, jax.numpy.arange(1000, dtype=jax.numpy.uint32)))
    np.testing.assert_array_equal(got, expected)


def test_normals_are_standard_normal_and_uncorrelated_across_steps_and_indices():
    from scipy import stats

    from ssmverify.theorems.model import _key_words, _normals

    words = _key_words(path_key(jax.random.key(4), 3))
    t = jax.numpy.arange(1, 401, dtype=jax.numpy.uint32)[:, None]
    j = jax.numpy.arange(500, dtype=jax.numpy.uint32)[None, :]
    z = np.asarray(_normals(words[0], words[1], t, j))                                 # (400 steps, 500 indices)
    assert stats.kstest(z.ravel(), "norm").pvalue > 1e-4
    n = z.size
    assert abs(z.mean()) < 5 / np.sqrt(n) and abs(z.var() - 1.0) < 5 * np.sqrt(2 / n)
    for a, b in ((z[1:], z[:-1]), (z[:, 1:], z[:, :-1])):                 # neighbouring steps, neighbouring j
        assert abs(np.mean(a * b)) < 5 / np.sqrt(a.size)


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


def test_new_parameter_values_do_not_recompile():
    """Parameters, form, gate kind and input law are traced data: one compilation serves them all.  The
    coupling is structural (it decides how many normals a step draws): each coupling compiles once."""
    rng = np.random.default_rng(2)
    p = _params("gated", "sigmoid", rng)
    model = _model(p, 0.01)
    key = jax.random.key(5)
    h0s = np.zeros((300, 1, D))
    simulate(model, key, h0s, 10, observe=_obs_norm)
    simulate(model, key, h0s, 10, synchronous=False, observe=_obs_norm)
    size = _simulate_chunk._cache_size()
    other = model.replace(A=model.A * 0.5, U=model.U * 2.0, leaky=jax.numpy.asarray(1.0),
                          sigmoid=jax.numpy.asarray(0.0), rademacher=jax.numpy.asarray(1.0),
                          tanh=jax.numpy.asarray(1.0), noise_chol=model.noise_chol * 3.0)
    for sync in (True, False):
        simulate(other, key, h0s, 10, synchronous=sync, observe=_obs_norm, chunk=64)
    assert _simulate_chunk._cache_size() == size, "new parameter values must reuse the compilation"


@pytest.mark.parametrize("synchronous", [True, False])
def test_coupled_chains_do_not_depend_on_chunking(synchronous):
    """Chunks of one, two or three blocks of paths (the last one padded), and paths simulated on their own,
    give bit-identical states, inputs and noise: every program computes blocks of the same size."""
    from ssmverify.theorems.model import CPU_PATH_BLOCK

    rng = np.random.default_rng(3)
    model = _model(_params("leaky", "sigmoid", rng), np.diag([0.02, 0.01, 0.03]), law="rademacher")
    n = 2 * CPU_PATH_BLOCK + 77
    key, h0s = jax.random.key(6), rng.normal(size=(n, 3, D))
    ref_f, ref_o = simulate(model, key, h0s, 5, synchronous=synchronous, observe=_obs_draws, chunk=n, first_path=3)
    for chunk in (1, 2 * CPU_PATH_BLOCK):
        f, o = simulate(model, key, h0s, 5, synchronous=synchronous, observe=_obs_draws, chunk=chunk, first_path=3)
        np.testing.assert_array_equal(f, ref_f)
        for name in ref_o:
            np.testing.assert_array_equal(o[name], ref_o[name])
    # paths 3 + 600 .. are the same paths when simulated on their own from first_path = 603
    f, o = simulate(model, key, h0s[600:], 5, synchronous=synchronous, observe=_obs_draws, first_path=603)
    np.testing.assert_array_equal(f, ref_f[600:])
    np.testing.assert_array_equal(o["h"], ref_o["h"][600:])
    np.testing.assert_array_equal(o["w"], ref_o["w"][600:])


_DEVICES_SCRIPT = r"""
import os, sys
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=" + sys.argv[1]
import jax, numpy as np
from ssmverify.theorems.model import Model, simulate, simulate_grid, simulate_traced

def observe(model, t, hp, h, x, w, g):
    return {"h": h, "x": x, "w": w, "g": g}

rng = np.random.default_rng(0)
d, m = 3, 2
A, B, W = rng.normal(size=(d, d)) * 0.5, rng.normal(size=(d, m)), rng.normal(size=(d, m))
model = Model.build(A, B, 0.02, form="leaky", W=W, U=rng.normal(size=(d, d)), b=rng.normal(size=d))
key, h0s = jax.random.key(8), rng.normal(size=(1100, 3, d))     # more than two blocks of paths
assert len(jax.devices()) == int(sys.argv[1])
out = {}
for sync in (True, False):
    for chunk in (1, 4096):
        f, o = simulate(model, key, h0s, 6, synchronous=sync, observe=observe, chunk=chunk, first_path=2)
        out.update({f"{sync}.{chunk}.final": f, **{f"{sync}.{chunk}.{k}": v for k, v in o.items()}})
models = [model, model.replace(A=model.A * 0.3), model.replace(leaky=jax.numpy.asarray(0.0))]
f, o = simulate_grid(models, key, np.stack([h0s[:1030]] * 3), 6, synchronous=False, observe=observe, first_path=2)
out.update({"grid.final": f, **{f"grid.{k}": v for k, v in o.items()}})
f, o = simulate_traced(model, key, jax.numpy.arange(5, 1035), jax.numpy.asarray(h0s[:1030]), 6, True, observe)
out.update({"traced.final": np.asarray(f), "traced.h": np.asarray(o["h"])})
np.savez(sys.argv[2], **out)
"""


def test_results_do_not_depend_on_the_number_of_devices(tmp_path):
    """Paths split over 1, 2 or 3 host devices (three blocks of paths, the last one padded: the blocks do not
    divide evenly among the devices) give bit-identical states, inputs, noise and gates, in simulate (two
    chunk sizes), simulate_grid and simulate_traced."""
    import subprocess
    import sys

    script = tmp_path / "devices.py"
    script.write_text(_DEVICES_SCRIPT)
    env = {k: v for k, v in __import__("os").environ.items() if k != "XLA_FLAGS"}
    runs = {}
    for n in (1, 2, 3):
        out = tmp_path / f"d{n}.npz"
        subprocess.run([sys.executable, str(script), str(n), str(out)], check=True, env=env, timeout=600)
        runs[n] = np.load(out)
    for n in (2, 3):
        assert sorted(runs[n].files) == sorted(runs[1].files)
        for name in runs[1].files:
            np.testing.assert_array_equal(runs[n][name], runs[1][name], err_msg=f"{n} devices: {name}")


def test_gradient_through_the_simulator_matches_finite_differences():
    """simulate_traced stays differentiable in the parameters (the probe's search uses jax.grad through it)."""
    from ssmverify.theorems.model import simulate_traced

    rng = np.random.default_rng(5)
    model = _model(_params("leaky", "sigmoid", rng), np.diag([0.02, 0.01, 0.03]), scale=0.8)
    key, paths = jax.random.key(2), jax.numpy.arange(64)
    h0s = jax.numpy.asarray(rng.normal(size=(64, 2, D)))

    def loss(model):
        _, obs = simulate_traced(model, key, paths, h0s, 6, True, _obs_norm)
        return obs.mean()

    grad = jax.grad(loss)(model)
    eps = 1e-6
    for name, index in (("A", (0, 1)), ("U", (2, 0)), ("input_scale", ())):
        value = getattr(model, name)
        up = loss(model.replace(**{name: value.at[index].add(eps)}))
        down = loss(model.replace(**{name: value.at[index].add(-eps)}))
        np.testing.assert_allclose(float(getattr(grad, name)[index]), float(up - down) / (2 * eps), rtol=1e-5, atol=1e-9)


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


def test_stack_models_concrete_and_traced():
    """stack_models stacks every field along a new leading axis, exactly; inside jax.jit (traced leaves) too."""
    from ssmverify.theorems.model import stack_models
    rng = np.random.default_rng(12)
    models = [_model(_params("leaky", "sigmoid", rng), 0.01 * (i + 1)) for i in range(3)]
    stacked = stack_models(models)
    traced = jax.jit(lambda ms: stack_models(ms))(models)
    for name in ("A", "noise_chol", "b", "leaky", "tanh"):
        want = np.stack([np.asarray(getattr(m, name)) for m in models])
        np.testing.assert_array_equal(np.asarray(getattr(stacked, name)), want)
        np.testing.assert_array_equal(np.asarray(getattr(traced, name)), want)
    assert stacked.A.shape == (3, D, D) and stacked.s6 is False
