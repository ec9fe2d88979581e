"""Mamba's selective scan (S6): the NumPy model, its exact expectations, the loaders and the initialisation.

Every test compares with an oracle computed here and not by the code under test: hand arithmetic, the
scalar-loop twin, brute-force enumeration, scipy's adaptive quadrature, or Monte Carlo within 5 standard
errors.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate
from scipy.special import roots_hermitenorm

from ssmverify.theorems._reference import reference_s6_trajectory
from ssmverify.theorems.s6 import (
    S6Error, S6Params, delta, expected_decay, expected_delta, forgetting_rates, inverse_softplus,
    load_s6_weights, lyapunov_exponent, mamba_init, memory_lengths, s6_from_table, s6_step, softplus,
    transition,
)

L2, L3 = math.log(2.0), math.log(3.0)


def random_params(rng, m=3, N=2, r=2, scale=1.0):
    return S6Params.from_arrays(
        A_log=rng.normal(size=(m, N)) * 0.5,
        dt_proj_weight=rng.normal(size=(m, r)) * scale,
        dt_proj_bias=rng.normal(size=m),
        x_proj_dt=rng.normal(size=(r, m)) / math.sqrt(m),
        x_proj_B=rng.normal(size=(N, m)),
    )


def draw_inputs(rng, law, s, size):
    if law == "gaussian":
        return s * rng.standard_normal(size)
    return s * rng.choice([-1.0, 1.0], size=size)


# ----------------------------------------------------------------------------------------------------------
# The recursion


def hand_params():
    # m = 2, N = 2, r = 1.  W_c = dt_proj_weight @ x_proj_dt = [[1, 1], [0, 0]], b = [0, ln 3], A = [[-1, -2]] * 2.
    return S6Params.from_arrays(
        A_log=[[0.0, L2], [0.0, L2]],
        dt_proj_weight=[[1.0], [0.0]],
        dt_proj_bias=[0.0, L3],
        x_proj_dt=[[1.0, 1.0]],
        x_proj_B=[[1.0, 0.0], [1.0, 1.0]],
    )


def test_two_step_chain_by_hand():
    p = hand_params()
    h0 = np.array([1.0, 2.0, 3.0, 4.0])
    x1, x2 = np.array([1.0, -1.0]), np.array([L3, 0.0])
    w1, w2 = np.array([0.1, 0.0, 0.0, -0.2]), np.array([0.0, 0.5, 0.0, 0.0])
    # Step 1: u = [1 - 1 + 0, ln 3] so Δ = [softplus(0), softplus(ln 3)] = [ln 2, ln 4].
    # decay: channel 0 exp(-ln2 * [1, 2]) = [1/2, 1/4]; channel 1 exp(-ln4 * [1, 2]) = [1/4, 1/16].
    # B_1 = [x0, x0 + x1] = [1, 0];  drive[c, n] = Δ_c B_n x_c = [[ln2, 0], [ln4 * 1 * (-1), 0]].
    h1 = np.array([1 / 2 + L2 + 0.1, 2 / 4 + 0.0, 3 / 4 - 2 * L2, 4 / 16 - 0.2])
    # Step 2: u = [ln 3, ln 3] so Δ = [ln 4, ln 4]; decay [1/4, 1/16] in both channels.
    # B_2 = [ln 3, ln 3];  drive channel 0 = ln4 * ln3 * ln3 for both n; channel 1 has x = 0, no drive.
    h2 = np.array([h1[0] / 4 + 2 * L2 * L3 * L3, h1[1] / 16 + 2 * L2 * L3 * L3 + 0.5, h1[2] / 4, h1[3] / 16])
    got1 = s6_step(p, h0, x1, w1)
    got2 = s6_step(p, got1, x2, w2)
    np.testing.assert_allclose(got1, h1, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(got2, h2, rtol=1e-14, atol=1e-15)
    ref = reference_s6_trajectory(p, h0[None], np.stack([x1, x2]), np.stack([w1, w2])[:, None, :])
    np.testing.assert_allclose(ref[:, 0], np.stack([h1, h2]), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(delta(p, x1), [L2, 2 * L2], rtol=1e-15)
    np.testing.assert_allclose(p.A, [[-1.0, -2.0], [-1.0, -2.0]], rtol=1e-15)
    np.testing.assert_allclose(p.dt_weight, [[1.0, 1.0], [0.0, 0.0]])
    assert (p.m, p.N, p.r, p.d) == (2, 2, 1, 4)


def test_step_matches_scalar_loop_twin():
    rng = np.random.default_rng(0)
    p = random_params(rng, m=3, N=4, r=2)
    T, K = 50, 3
    h0s = rng.normal(size=(K, p.d))
    xs = rng.normal(size=(T, p.m))
    ws = 0.1 * rng.normal(size=(T, K, p.d))
    ref = reference_s6_trajectory(p, h0s, xs, ws)
    hs = h0s.copy()
    for t in range(T):
        hs = np.stack([s6_step(p, hs[k], xs[t], ws[t, k]) for k in range(K)])
        np.testing.assert_allclose(hs, ref[t], rtol=1e-13, atol=1e-13)
    # batched over chains: the same
    hb = h0s.copy()
    for t in range(T):
        hb = s6_step(p, hb, xs[t], ws[t])
    np.testing.assert_allclose(hb, ref[-1], rtol=1e-13, atol=1e-13)


def test_transition_is_the_step():
    rng = np.random.default_rng(1)
    p = random_params(rng, m=4, N=3, r=1)
    x, h, w = rng.normal(size=p.m), rng.normal(size=p.d), rng.normal(size=p.d)
    decay, drive = transition(p, x)
    np.testing.assert_allclose(decay * h + drive + w, s6_step(p, h, x, w), rtol=1e-15, atol=1e-15)
    dlt = delta(p, x)
    for c in range(p.m):
        for n in range(p.N):
            i = p.index(c, n)
            assert decay[i] == pytest.approx(math.exp(-math.exp(p.A_log[c, n]) * dlt[c]), rel=1e-14)
            B_n = sum(p.x_proj_B[n, j] * x[j] for j in range(p.m))
            assert drive[i] == pytest.approx(dlt[c] * B_n * x[c], rel=1e-13, abs=1e-15)
    xs = rng.normal(size=(5, 2, p.m))
    dec_b, dri_b = transition(p, xs)
    assert dec_b.shape == (5, 2, p.d)
    np.testing.assert_allclose(dri_b[3, 1], transition(p, xs[3, 1])[1], rtol=1e-15)


def test_softplus_stable_and_inverse():
    z = np.array([-800.0, -30.0, -1.0, 0.0, 2.5, 40.0, 800.0])
    expect = [math.exp(-800.0), math.log1p(math.exp(-30.0)), math.log1p(math.exp(-1.0)), L2,
              math.log1p(math.exp(2.5)), 40.0 + math.log1p(math.exp(-40.0)), 800.0]
    np.testing.assert_allclose(softplus(z), expect, rtol=1e-15)
    y = np.array([1e-4, 1e-2, 0.5, 3.0, 30.0])
    np.testing.assert_allclose(softplus(inverse_softplus(y)), y, rtol=1e-12)


# ----------------------------------------------------------------------------------------------------------
# Exact expectations


@pytest.mark.parametrize("law", ["gaussian", "rademacher"])
def test_expectations_vs_monte_carlo(law):
    rng = np.random.default_rng(2 if law == "gaussian" else 3)
    p = random_params(rng, m=3, N=2, r=2, scale=1.5)
    s = 1.3
    n = 250_000
    x = draw_inputs(rng, law, s, (n, p.m))
    dlt = delta(p, x)                                               # (n, m)
    ed = expected_delta(p, law, s)
    se = dlt.std(axis=0, ddof=1) / math.sqrt(n)
    assert np.all(np.abs(dlt.mean(axis=0) - ed) < 5 * se), (dlt.mean(axis=0), ed, se)
    dec = np.exp(dlt[:, :, None] * p.A)                             # (n, m, N)
    eD = expected_decay(p, law, s)
    se = dec.std(axis=0, ddof=1) / math.sqrt(n)
    assert np.all(np.abs(dec.mean(axis=0) - eD) < 5 * se), (dec.mean(axis=0), eD, se)
    np.testing.assert_allclose(forgetting_rates(p, law, s), ed[:, None] * np.exp(p.A_log), rtol=1e-15)


def test_rademacher_is_brute_force_enumeration():
    rng = np.random.default_rng(4)
    p = random_params(rng, m=4, N=3, r=2)
    s = 0.7
    Wc, b = p.dt_weight, p.dt_proj_bias
    ed = np.zeros(p.m)
    eD = np.zeros((p.m, p.N))
    for signs in itertools.product([-s, s], repeat=p.m):
        for c in range(p.m):
            u = sum(Wc[c, j] * signs[j] for j in range(p.m)) + b[c]
            dl = max(u, 0.0) + math.log1p(math.exp(-abs(u)))
            ed[c] += dl / 2 ** p.m
            for k in range(p.N):
                eD[c, k] += math.exp(-math.exp(p.A_log[c, k]) * dl) / 2 ** p.m
    np.testing.assert_allclose(expected_delta(p, "rademacher", s), ed, rtol=1e-13)
    np.testing.assert_allclose(expected_decay(p, "rademacher", s), eD, rtol=1e-13)


def test_rademacher_equal_weights_merge_into_binomial():
    # m = 30 channels whose Δ row has equal weights 0.1 (W_c = 0.1 · ones): u = 0.1 s Σ ξ_j + b exactly
    # binomial; oracle: sum over k of C(30, k)/2^30 softplus(0.1 s (2k − 30) + b).
    m, N = 30, 1
    p = S6Params.from_arrays(np.zeros((m, N)), np.full((m, 1), 0.1), np.full(m, -0.5), np.ones((1, m)),
                             np.ones((N, m)))
    s = 2.0
    oracle = sum(math.comb(m, k) / 2 ** m * math.log1p(math.exp(0.1 * s * (2 * k - m) - 0.5)) for k in range(m + 1))
    np.testing.assert_allclose(expected_delta(p, "rademacher", s), oracle, rtol=1e-13)
    # generic weights with m = 30 would need 2^30 atoms: refused with a clear message
    q = random_params(np.random.default_rng(5), m=30, N=1, r=3)
    with pytest.raises(S6Error, match="exact enumeration is limited"):
        expected_delta(q, "rademacher", 1.0)


@pytest.mark.parametrize("law", ["gaussian", "rademacher"])
def test_scale_zero_is_softplus_of_bias(law):
    rng = np.random.default_rng(6)
    p = random_params(rng, m=3, N=2)
    b = p.dt_proj_bias
    sp = [math.log1p(math.exp(v)) for v in b]
    np.testing.assert_allclose(expected_delta(p, law, 0.0), sp, rtol=1e-15)
    np.testing.assert_allclose(expected_decay(p, law, 0.0),
                               [[math.exp(-math.exp(p.A_log[c, n]) * sp[c]) for n in range(p.N)] for c in range(p.m)],
                               rtol=1e-14)


def _quad_normal(f, mean, sd):
    """E[f(U)], U ~ N(mean, sd²), by scipy's adaptive quadrature over z, split at the points where f bends."""
    g = lambda z: f(mean + sd * z) * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)  # noqa: E731
    pts = sorted({-38.0, 38.0, *[min(max((u0 - mean) / sd, -38.0), 38.0) for u0 in (-40.0, -5.0, 0.0, 5.0, 40.0)]})
    total = 0.0
    for a, b in zip(pts[:-1], pts[1:]):
        if b > a:
            total += integrate.quad(g, a, b, epsabs=0.0, epsrel=1e-13, limit=500)[0]
    return total


@pytest.mark.parametrize("bias, sigma, a_log", [
    (0.3, 0.8, 0.0), (-2.0, 0.05, 1.0), (1.0, 12.0, math.log(16.0)), (-6.0, 60.0, 4.0),
    (5.0, 1.0, 2.7), (-30.0, 3.0, -3.0), (0.0, 1e-6, 0.5), (2.0, 100.0, 600.0), (-50.0, 0.01, 3.0),
    (0.0, 1.0, -700.0),
])
def test_gaussian_quadrature_vs_adaptive_quad(bias, sigma, a_log):
    # m = 1: W_c = [[sigma]] (r = 1), so u ~ N(bias, sigma² s²) with s = 1.
    p = S6Params.from_arrays([[a_log]], [[sigma]], [bias], [[1.0]], [[1.0]])
    a = -math.exp(a_log)
    sp = lambda u: max(u, 0.0) + math.log1p(math.exp(-abs(u)))  # noqa: E731
    ed = _quad_normal(sp, bias, sigma)
    eD = _quad_normal(lambda u: math.exp(a * sp(u)), bias, sigma)
    np.testing.assert_allclose(expected_delta(p, "gaussian", 1.0), [ed], rtol=1e-10)
    np.testing.assert_allclose(expected_decay(p, "gaussian", 1.0), [[eD]], rtol=1e-10)


def test_gaussian_quadrature_vs_hermite_400_nodes():
    # For moderate spread Gauss–Hermite with 400 nodes converges to rounding: an independent oracle.
    rng = np.random.default_rng(7)
    p = random_params(rng, m=4, N=3, r=2, scale=0.6)
    s = 0.9
    z, w = roots_hermitenorm(400)
    w = w / math.sqrt(2 * math.pi)
    sd = s * np.linalg.norm(p.dt_weight, axis=1)
    u = p.dt_proj_bias[:, None] + sd[:, None] * z[None, :]          # (m, 400)
    dl = np.maximum(u, 0) + np.log1p(np.exp(-np.abs(u)))
    np.testing.assert_allclose(expected_delta(p, "gaussian", s), dl @ w, rtol=1e-12)
    dec = np.exp(dl[:, None, :] * p.A[:, :, None])
    np.testing.assert_allclose(expected_decay(p, "gaussian", s), dec @ w, rtol=1e-12)


def test_law_and_scale_refused():
    p = hand_params()
    with pytest.raises(S6Error, match="input law"):
        expected_delta(p, "uniform", 1.0)
    with pytest.raises(S6Error, match="input scale"):
        expected_delta(p, "gaussian", -1.0)
    with pytest.raises(S6Error, match="input scale"):
        expected_decay(p, "gaussian", True)


# ----------------------------------------------------------------------------------------------------------
# Lyapunov exponent and memory lengths


@pytest.mark.parametrize("law", ["gaussian", "rademacher"])
def test_lyapunov_exponent_vs_simulation(law):
    rng = np.random.default_rng(8)
    p = random_params(rng, m=3, N=2, r=2)
    s = 1.0
    lyap = lyapunov_exponent(p, law, s)
    x = draw_inputs(rng, law, s, (200_000, p.m))
    decay, _ = transition(p, x)
    logs = np.log(decay)                                            # (n, d): Δ_c A[c, n] along the sample
    mean, se = logs.mean(axis=0), logs.std(axis=0, ddof=1) / math.sqrt(len(x))
    i = lyap.index
    assert abs(mean[i] - lyap.exponent) < 5 * se[i]
    assert lyap.index == p.index(lyap.channel, lyap.state)
    # it is the slowest-decaying coordinate: every other sample mean is below it (beyond sampling error)
    others = np.delete(np.arange(p.d), i)
    assert np.all(mean[others] < lyap.exponent + 5 * se[others])
    # two chains on the same inputs and noise: their difference in coordinate i shrinks at that rate
    T = int(min(4000, 25 / abs(lyap.exponent)))    # the gap stays ≫ rounding of the O(1) states
    h, g = np.zeros(p.d), np.ones(p.d)
    for t in range(T):
        w = rng.normal(size=p.d)
        h, g = s6_step(p, h, x[t], w), s6_step(p, g, x[t], w)
    gap = math.log(abs(g[i] - h[i])) / T
    sd_one = logs[:, i].std()
    assert abs(gap - lyap.exponent) < 5 * sd_one / math.sqrt(T) + 1e-9


def test_memory_lengths_hand_case():
    # x_proj_dt = 0 so Δ = softplus(b) = 0.3 exactly (b = log(expm1(0.3))), channel 1 has b = −800 so
    # Δ = e^{−800} = 0 in float64.  |A| = 1, 3, 5 gives rates 0.3, 0.9, 1.5:
    # the smallest k with 0.3 k > 1 is 4 (3 · 0.3 = 0.9), with 0.9 k > 1 is 2, with 1.5 k > 1 is 1.
    b = math.log(math.expm1(0.3))
    p = S6Params.from_arrays(np.log([[1.0, 3.0, 5.0], [1.0, 3.0, 5.0]]), [[1.0], [1.0]], [b, -800.0],
                             [[0.0, 0.0]], np.ones((3, 2)))
    for law in ("gaussian", "rademacher"):
        lengths = memory_lengths(p, law, 1.0)
        np.testing.assert_array_equal(lengths["typical"], [[4, 2, 1], [np.inf] * 3])
        np.testing.assert_array_equal(lengths["mean"], [[4, 2, 1], [np.inf] * 3])
        np.testing.assert_allclose(forgetting_rates(p, law, 1.0)[0], [0.3, 0.9, 1.5], rtol=1e-14)


def test_memory_lengths_consistent_with_rates():
    rng = np.random.default_rng(9)
    p = random_params(rng, m=4, N=3)
    for law in ("gaussian", "rademacher"):
        rate = forgetting_rates(p, law, 1.2)
        lengths = memory_lengths(p, law, 1.2)
        k = lengths["typical"]
        assert np.all(k * rate > 1) and np.all((k - 1) * rate <= 1)
        m_rate = -np.log(expected_decay(p, law, 1.2))
        km = lengths["mean"]
        assert np.all(km * m_rate > 1 - 1e-12) and np.all((km - 1) * m_rate <= 1 + 1e-12)
        assert np.all(km >= k)                                      # Jensen: the mean forgets no faster


# ----------------------------------------------------------------------------------------------------------
# Initialisation


def test_mamba_init():
    p = mamba_init(40, 5, seed=3)
    assert (p.m, p.N, p.r) == (40, 5, 3)                            # r = ceil(40 / 16)
    np.testing.assert_allclose(p.A, -np.tile(np.arange(1.0, 6.0), (40, 1)), rtol=1e-15)
    dt0 = np.log1p(np.exp(p.dt_proj_bias))
    assert np.all(dt0 >= 1e-3 * (1 - 1e-12)) and np.all(dt0 <= 1e-1 * (1 + 1e-12))
    assert np.all(np.abs(p.dt_proj_weight) <= 3 ** -0.5)
    assert np.all(np.abs(p.x_proj_dt) <= 40 ** -0.5) and np.all(np.abs(p.x_proj_B) <= 40 ** -0.5)
    assert p.x_proj_dt.shape == (3, 40) and p.x_proj_B.shape == (5, 40) and p.dt_proj_bias.shape == (40,)
    assert mamba_init(40, 5, seed=3) == p and hash(mamba_init(40, 5, seed=3)) == hash(p)
    assert mamba_init(40, 5, seed=4) != p
    q = mamba_init(8, 2, r=4, seed=0, dt_min=0.01, dt_max=0.02, dt_init_floor=0.015)
    dq = np.log1p(np.exp(q.dt_proj_bias))
    assert q.r == 4 and np.all(dq >= 0.015 * (1 - 1e-12)) and np.all(dq <= 0.02 * (1 + 1e-12))
    with pytest.raises(S6Error, match="dt_min"):
        mamba_init(4, 2, dt_min=0.2, dt_max=0.1)
    with pytest.raises(S6Error, match="m must be"):
        mamba_init(0, 2)


def test_params_read_only_and_equality():
    p = hand_params()
    with pytest.raises(ValueError):
        p.A_log[0, 0] = 1.0
    assert p == hand_params() and p != mamba_init(2, 2) and len({p, hand_params()}) == 1
    sub = p.restrict([1])
    assert sub.m == 1 and sub.x_proj_B.shape == (2, 1)
    np.testing.assert_array_equal(sub.dt_proj_bias, [L3])
    assert "m=2" in repr(p)


# ----------------------------------------------------------------------------------------------------------
# Checkpoints

D, N_S, R = 4, 3, 2   # d_inner, N, dt rank of the test checkpoints


def checkpoint(prefix="backbone.", layers=(0, 1), dtype=np.float32, seed=10):
    rng = np.random.default_rng(seed)
    t = {f"{prefix}embedding.weight": rng.normal(size=(7, 2)).astype(dtype)}
    for k in layers:
        base = f"{prefix}layers.{k}.mixer."
        t[base + "A_log"] = rng.normal(size=(D, N_S)).astype(dtype)
        t[base + "x_proj.weight"] = rng.normal(size=(R + 2 * N_S, D)).astype(dtype)
        t[base + "dt_proj.weight"] = rng.normal(size=(D, R)).astype(dtype)
        t[base + "dt_proj.bias"] = rng.normal(size=D).astype(dtype)
        t[base + "in_proj.weight"] = rng.normal(size=(2 * D, 2)).astype(dtype)
        t[base + "D"] = np.ones(D, dtype)
        t[f"{prefix}layers.{k}.norm.weight"] = np.ones(2, dtype)
    return t


def save(tensors, path):
    if path.suffix == ".npz":
        np.savez(path, **tensors)
    else:
        from safetensors.numpy import save_file
        save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(path))
    return path


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_load_layer_split_and_channels(tmp_path, suffix):
    t = checkpoint()
    path = save(t, tmp_path / f"w{suffix}")
    base = "backbone.layers.1.mixer."
    xp = t[base + "x_proj.weight"].astype(np.float64)
    p = load_s6_weights(path, 1)
    np.testing.assert_array_equal(p.A_log, t[base + "A_log"].astype(np.float64))
    np.testing.assert_array_equal(p.dt_proj_weight, t[base + "dt_proj.weight"].astype(np.float64))
    np.testing.assert_array_equal(p.dt_proj_bias, t[base + "dt_proj.bias"].astype(np.float64))
    np.testing.assert_array_equal(p.x_proj_dt, xp[:R])               # Δ rows
    np.testing.assert_array_equal(p.x_proj_B, xp[R:R + N_S])         # B rows; the C rows xp[R + N:] unused
    assert p.A_log.dtype == np.float64 and (p.m, p.N, p.r) == (D, N_S, R)
    assert load_s6_weights(path, 0) != p
    sub = load_s6_weights(path, 1, [3, 1])
    np.testing.assert_array_equal(sub.A_log, t[base + "A_log"].astype(np.float64)[[3, 1]])
    np.testing.assert_array_equal(sub.dt_proj_weight, t[base + "dt_proj.weight"].astype(np.float64)[[3, 1]])
    np.testing.assert_array_equal(sub.x_proj_dt, xp[:R][:, [3, 1]])
    np.testing.assert_array_equal(sub.x_proj_B, xp[R:R + N_S][:, [3, 1]])
    # the sub-model is the full model with the other channels' inputs set to 0
    x = np.array([0.0, 0.7, 0.0, -1.1])
    np.testing.assert_allclose(delta(sub, x[[3, 1]]), delta(p, x)[[3, 1]], rtol=1e-14)
    assert sub == p.restrict([3, 1])


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_load_float16_and_other_prefix(tmp_path, suffix):
    t = checkpoint(prefix="model.", dtype=np.float16)
    p = load_s6_weights(save(t, tmp_path / f"h{suffix}"), 0)
    np.testing.assert_array_equal(p.A_log, t["model.layers.0.mixer.A_log"].astype(np.float64))
    assert p.A_log.dtype == np.float64
    t2 = {k[len("model."):]: v for k, v in t.items()}                   # no prefix at all
    np.testing.assert_array_equal(load_s6_weights(save(t2, tmp_path / f"bare{suffix}"), 0).A_log, p.A_log)


def test_load_bfloat16_safetensors(tmp_path):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    t = checkpoint()
    bf = {k: v.astype(ml_dtypes.bfloat16) for k, v in t.items()}
    p = load_s6_weights(save(bf, tmp_path / "b.safetensors"), 0)
    np.testing.assert_array_equal(p.A_log, bf["backbone.layers.0.mixer.A_log"].astype(np.float32).astype(np.float64))


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_load_errors(tmp_path, suffix):
    good = save(checkpoint(), tmp_path / f"good{suffix}")
    cases = []

    def case(name, tensors_or_bytes, layer=0, channels=None, *, expect):
        path = tmp_path / f"{name}{suffix}"
        if isinstance(tensors_or_bytes, bytes):
            path.write_bytes(tensors_or_bytes)
        elif tensors_or_bytes is not None:
            save(tensors_or_bytes, path)
        cases.append((path, layer, channels, expect))

    t = checkpoint()
    del t["backbone.layers.1.mixer.dt_proj.bias"]
    case("missing_bias", t, layer=1, expect=["'backbone.layers.1.mixer.dt_proj.bias' missing", "layers present: 0..1"])
    t = checkpoint()
    t["backbone.layers.0.mixer.x_proj.weight"] = np.zeros((R + 2 * N_S + 1, D), np.float32)
    case("rows", t, expect=["'backbone.layers.0.mixer.x_proj.weight'", "(9, 4)", "8×4"])
    t = checkpoint()
    t["backbone.layers.0.mixer.dt_proj.bias"][2] = np.nan
    case("nan", t, expect=["'backbone.layers.0.mixer.dt_proj.bias'", "non-finite"])
    t = checkpoint()
    t["backbone.layers.0.mixer.A_log"][1, 1] = 800.0
    case("alog", t, expect=["'backbone.layers.0.mixer.A_log'", "finite and nonzero"])
    t = checkpoint()
    t["backbone.layers.0.mixer.A_log"] = np.zeros(D, np.float32)
    case("ndim", t, expect=["'backbone.layers.0.mixer.A_log'", "2-D", "(4,)"])
    t = {**checkpoint(), **checkpoint(prefix="model.")}
    case("ambiguous", t, expect=["ambiguous", "'backbone.'", "'model.'"])
    case("layer", checkpoint(), layer=5, expect=["layers.5.mixer.A_log' missing", "layers present: 0..1"])
    case("nolayers", {"w": np.zeros(2, np.float32)}, expect=["A_log' missing", "no 'layers.K.mixer.'"])
    case("range", checkpoint(), channels=[0, 4], expect=["channels[1]", "out of range 0..3"])
    case("dup", checkpoint(), channels=[2, 0, 2], expect=["channels[2]", "repeats"])
    case("garbage", b"\x00garbage bytes, not a checkpoint" * 3, expect=["cannot read"])
    case("absent", None, expect=["file not found"])
    case("truncated", good.read_bytes()[: good.stat().st_size // 2], expect=["cannot read"])
    for path, layer, channels, expect in cases:
        with pytest.raises(S6Error) as info:
            load_s6_weights(path, layer, channels)
        msg = str(info.value)
        assert "\n" not in msg and str(path) in msg, msg
        for part in expect:
            assert part in msg, (part, msg)
    (tmp_path / f"dir{suffix}").mkdir()
    with pytest.raises(S6Error, match="not a file"):
        load_s6_weights(tmp_path / f"dir{suffix}", 0)
    with pytest.raises(S6Error, match="layer must be an integer"):
        load_s6_weights(good, True)
    with pytest.raises(S6Error, match="layer must be an integer"):
        load_s6_weights(good, -1)
    # the NaN sits in a channel that is not selected: accepted
    t = checkpoint()
    t["backbone.layers.0.mixer.dt_proj.bias"][2] = np.nan
    p = load_s6_weights(save(t, tmp_path / f"nan_ok{suffix}"), 0, [0, 1, 3])
    assert p.m == 3


def test_module_imports_stay_light():
    # pure NumPy/SciPy: no JAX, and safetensors only inside the loader (top-level imports are stdlib + NumPy)
    import ast
    import ssmverify.theorems.s6 as mod
    tree = ast.parse(open(mod.__file__, encoding="utf-8").read())
    top = {alias.name.split(".")[0] for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    top |= {node.module.split(".")[0] for node in tree.body if isinstance(node, ast.ImportFrom) and node.module}
    assert top <= {"__future__", "dataclasses", "hashlib", "math", "re", "collections", "pathlib", "numpy"}, top
    assert "jax" not in open(mod.__file__, encoding="utf-8").read()


def test_load_wrong_suffix(tmp_path):
    path = tmp_path / "w.pt"
    path.write_bytes(b"x")
    with pytest.raises(S6Error, match=r"w\.pt: unknown file type '\.pt'"):
        load_s6_weights(path, 0)


# ----------------------------------------------------------------------------------------------------------
# Regime tables

ARRAYS = {
    "A_log": [[0.0, L2], [0.0, L2]], "dt_proj_weight": [[1.0], [0.0]], "dt_proj_bias": [0.0, L3],
    "x_proj_dt": [[1.0, 1.0]], "x_proj_B": [[1.0, 0.0], [1.0, 1.0]],
}


def test_table_arrays_form():
    p = s6_from_table({"form": "s6", "noise_cov": 0.1, **ARRAYS}, regime_file=None, where="r.toml: model")
    assert p == hand_params()


def test_table_weights_form_relative_path(tmp_path):
    folder = tmp_path / "regimes"
    folder.mkdir()
    save(checkpoint(), folder / "w.safetensors")
    p = s6_from_table({"form": "s6", "weights": "w.safetensors", "layer": 1, "channels": [2, 0]},
                      regime_file=folder / "regime.toml", where="regime.toml: model")
    assert p == load_s6_weights(folder / "w.safetensors", 1, [2, 0])
    with pytest.raises(S6Error) as info:
        s6_from_table({"weights": "w.safetensors", "layer": 7}, regime_file=folder / "regime.toml",
                      where="regime.toml: model")
    msg = str(info.value)
    assert msg.startswith("regime.toml: model.weights: ") and "w.safetensors" in msg and "layers present: 0..1" in msg


@pytest.mark.parametrize("model, expect", [
    ({**ARRAYS, "weights": "w.npz", "layer": 0}, ["model.weights", "not both", "A_log"]),
    ({k: v for k, v in ARRAYS.items() if k != "x_proj_B"}, ["model.x_proj_B: missing"]),
    ({**ARRAYS, "x_proj_dt": [[1.0, 1.0, 1.0]]}, ["model.x_proj_dt: shape (1, 3)", "must be 1×2"]),
    ({**ARRAYS, "dt_proj_bias": [0.0]}, ["model.dt_proj_bias: shape (1,)", "2 entries"]),
    ({**ARRAYS, "x_proj_B": [[1.0, 0.0]] * 3}, ["model.x_proj_B: shape (3, 2)", "2×2"]),
    ({**ARRAYS, "dt_proj_weight": [[1.0], [0.0], [2.0]]}, ["model.dt_proj_weight: shape (3, 1)", "2 rows"]),
    ({**ARRAYS, "A_log": [0.0, 1.0]}, ["model.A_log", "2-D", "(2,)"]),
    ({**ARRAYS, "A_log": "zeros"}, ["model.A_log", "a string"]),
    ({**ARRAYS, "dt_proj_bias": [True, 0.0]}, ["model.dt_proj_bias", "a boolean", "[0]"]),
    ({**ARRAYS, "x_proj_B": [[1.0, 0.0], [1.0]]}, ["model.x_proj_B", "unequal lengths"]),
    ({**ARRAYS, "A_log": [[0.0, 710.0], [0.0, 0.0]]}, ["model.A_log", "finite and nonzero", "[0, 1]"]),
    ({**ARRAYS, "dt_proj_bias": [0.0, math.inf]}, ["model.dt_proj_bias", "inf"]),
    ({"weights": "w.npz"}, ["model.layer: missing"]),
    ({"weights": "w.npz", "layer": True}, ["model.layer: must be an integer"]),
    ({"weights": "w.npz", "layer": 0, "channels": [0, 0]}, ["model.channels[1]", "repeats"]),
    ({"weights": "w.npz", "layer": 0, "channels": [1.5]}, ["model.channels[0]", "integer"]),
    ({"weights": "w.npz", "layer": 0, "channels": [0, -1]}, ["model.channels[1]", "≥ 0"]),
    ({"weights": "w.npz", "layer": 0, "channels": []}, ["model.channels", "at least one"]),
    ({"weights": 3, "layer": 0}, ["model.weights", "string"]),
    ({**ARRAYS, "layer": 0}, ["model.layer", "only allowed together with weights"]),
])
def test_table_errors(model, expect):
    with pytest.raises(S6Error) as info:
        s6_from_table(model, regime_file=None, where="regime.toml: model")
    msg = str(info.value)
    assert msg.startswith("regime.toml: model") and "\n" not in msg
    for part in expect:
        assert part in msg, (part, msg)


# --- the JAX simulator's S6 form against the NumPy twin -----------------------------------------------


def _s6_model(params, Q, law="gaussian", scale=0.8):
    from ssmverify.theorems.model import Model

    return Model.build_s6(params, Q, input_law=law, input_scale=scale)


@pytest.mark.parametrize("law", ["gaussian", "rademacher"])
def test_jax_s6_step_matches_the_numpy_twin_on_identical_noise(law):
    import jax

    from ssmverify.theorems._reference import reference_s6_trajectory
    from ssmverify.theorems.model import run_with_noise

    params = mamba_init(3, 4, 2, seed=5)
    rng = np.random.default_rng(1)
    T, K, d = 40, 3, params.d
    xs = rng.normal(size=(T, params.m)) * 1.3
    ws = rng.normal(size=(T, K, d)) * 0.05
    h0s = rng.normal(size=(K, d))
    got = np.asarray(run_with_noise(_s6_model(params, 0.01, law), h0s, xs, ws))
    ref = reference_s6_trajectory(params, h0s, xs, ws)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)
    assert jax.config.jax_enable_x64


def test_simulated_s6_paths_are_the_twin_on_the_draws_the_simulator_made():
    import jax

    from ssmverify.theorems._reference import reference_s6_trajectory
    from ssmverify.theorems.model import simulate

    params = mamba_init(2, 3, 1, seed=2)
    Q = np.diag(np.linspace(0.01, 0.03, params.d))
    model = _s6_model(params, Q, "rademacher", 0.5)

    def observe(model, t, hp, h, x, w, g):
        return {"h": h, "x": x, "w": w, "g": g}

    rng = np.random.default_rng(3)
    h0s = rng.normal(size=(6, 2, params.d))
    final, obs = simulate(model, jax.random.key(4), h0s, 9, synchronous=False, observe=observe, first_path=11)
    for i in range(6):
        ref = reference_s6_trajectory(params, h0s[i], obs["x"][i], obs["w"][i])
        np.testing.assert_allclose(obs["h"][i], ref, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(final[i], ref[-1], rtol=1e-12, atol=1e-14)
        decay, _ = transition(params, obs["x"][i])                        # (T, d)
        np.testing.assert_allclose(obs["g"][i][:, 0], 1.0 - decay, rtol=1e-12, atol=1e-15)
    assert set(np.round(np.abs(obs["x"]).ravel(), 12)) == {0.5}
