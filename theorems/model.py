"""The paper's gated stochastic state update, in JAX.

Three update forms: the paper's two (arXiv 2410.03158) and Mamba's selective scan.

* gated (§2.2, proof of Lemma 1 in §6.2):  h_t = G ⊙ (A h_{t-1} + B x_t) + w_t
* leaky (§3.1):  h_t = G ⊙ (A h_{t-1} + B x_t) + (1 - G) ⊙ h_{t-1} + w_t
* s6 (Mamba's selective scan, the architecture the paper's abstraction stands for):
  h_t[c,n] = exp(Δ_t[c] A[c,n]) h_{t-1}[c,n] + Δ_t[c] (P_B x_t)[n] x_t[c] + w_t[c,n],
  Δ_t = softplus(W_Δ x_t + b_Δ), state flattened to d = m·N (see ``theorems/s6.py``); its gate in the
  paper's sense is G = 1 − exp(Δ A), which reads only the input.

with G = G(x_t, h_{t-1}) ∈ [0, 1]^d either a constant vector or the sigmoid gate
g_i = σ(W_i·x + U_i·h + b_i) (§3.0.4; U = 0 is the input-gated case), process
noise w_t ~ N(0, Q) and i.i.d. inputs x_t, Gaussian N(0, s² I) or Rademacher
uniform on {-s, +s}^m.

Design:

* ``step`` is written for one state; Monte Carlo paths come from ``jax.vmap``
  and time from ``jax.lax.scan``.
* Every model parameter, including the choice of form, gate kind and input law,
  is a traced array in the :class:`Model` pytree.  New parameter values, and
  whole grids of them, reuse one compilation per array shape.  The S6 form is
  the exception: its update has a different structure, so ``Model.s6`` is a
  static field and S6 models compile their own program (its parameters are
  traced data as well).
* Randomness is counter-based: standard normal j of step t of path p is a
  pure function of (key, p, t, j), the Threefry-2x32 hash of the counter
  (t, j) under the path's key turned into a normal as ``jax.random.normal``
  does (:func:`draw_step` is the definition).  The simulator draws the normals
  of a block of steps of a block of paths in one fused array operation and
  then runs the steps over them; nothing of size paths × steps × d is
  pre-drawn.  A path's draws depend only on (key, global path index, step),
  and every program works on blocks of a fixed number of paths, so results do
  not depend on how paths are chunked or on how many devices share them (each
  chunk is split over every JAX device: the CPU cores when XLA is given one
  host device per core, or the GPUs).
* K chains started from different states can be run side by side on the same
  inputs, sharing the process noise (synchronous coupling) or not
  (independent coupling).
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Callable

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from ..estimators._numeric import psd_sqrt  # noqa: E402  (the toolkit's one PSD square root; tests import it from here)
from . import _programs  # noqa: E402

__all__ = ["Model", "gate", "step", "s6_transition", "safe_norm", "path_key", "draw_step", "simulate", "simulate_traced", "simulate_grid",
           "stack_models", "run_with_noise"]


def _on_device(value) -> jax.Array:
    """A float64 value as a JAX array by a transfer: ``jnp.asarray`` of a NumPy value is an eager JAX
    operation, which compiles (or loads from the cache) a small program for every new shape.  A Python
    float stays weakly typed, as ``jnp.asarray(1.0)`` is (the scalar fields users replace with one)."""
    if isinstance(value, float):
        return jax.device_put(value)
    return jax.device_put(np.asarray(value, dtype=np.float64))


@partial(
    jax.tree_util.register_dataclass,
    data_fields=[
        "A", "B", "noise_chol", "h0", "gate_value", "W", "U", "b",
        "sigmoid", "leaky", "input_scale", "rademacher", "tanh",
        "s6_A", "s6_dt_weight", "s6_dt_bias", "s6_B",
    ],
    meta_fields=["s6"],
)
@dataclasses.dataclass(frozen=True)
class Model:
    """All parameters of one gated SSM, as arrays (a JAX pytree).

    ``sigmoid``, ``leaky``, ``rademacher`` and ``tanh`` are 0.0/1.0 flags kept as data so
    that one compiled simulator serves every form, gate kind and input law.  ``sigmoid`` = 1
    means a *parametric* gate φ(W x + U h + b) (not the constant one), whose activation φ is
    the sigmoid (``tanh`` = 0, §3.0.4) or tanh (``tanh`` = 1, §3.0.5; values in (−1, 1)).
    ``noise_chol`` is any square root L of Q (Q = L Lᵀ).
    """

    A: jax.Array           # (d, d)
    B: jax.Array           # (d, m)
    noise_chol: jax.Array  # (d, d)
    h0: jax.Array          # (d,)
    gate_value: jax.Array  # (d,)  constant gate (used when sigmoid == 0)
    W: jax.Array           # (d, m) parametric gate input weights
    U: jax.Array           # (d, d) parametric gate state weights
    b: jax.Array           # (d,)  parametric gate bias
    sigmoid: jax.Array     # ()    1.0: parametric gate (sigmoid or tanh), 0.0: constant gate
    leaky: jax.Array       # ()    1.0: leaky form, 0.0: gated form
    input_scale: jax.Array  # ()   s
    rademacher: jax.Array  # ()    1.0: Rademacher inputs, 0.0: Gaussian inputs
    tanh: jax.Array        # ()    1.0: the parametric gate's activation is tanh, 0.0: the sigmoid
    # Mamba's selective scan (form "s6", :meth:`build_s6`); None for the paper's forms.
    s6_A: jax.Array | None = None           # (d,)   A = −exp(A_log), flattened row-major (i = c·N + n)
    s6_dt_weight: jax.Array | None = None   # (m, m) dt_proj_weight @ x_proj_dt
    s6_dt_bias: jax.Array | None = None     # (m,)
    s6_B: jax.Array | None = None           # (N, m) x_proj_B
    s6: bool = False       # static: the S6 update has its own structure (and its own compilation)

    @property
    def d(self) -> int:
        return self.A.shape[-1]

    @property
    def m(self) -> int:
        return self.B.shape[-1]

    @classmethod
    def build(
        cls,
        A,
        B,
        noise_cov,
        *,
        form: str = "gated",
        gate_value=None,
        W=None,
        U=None,
        b=None,
        h0=None,
        input_law: str = "gaussian",
        input_scale: float = 1.0,
        activation: str = "sigmoid",
    ) -> "Model":
        """Assemble a model from NumPy-like values (already validated).

        Passing ``W`` (and optionally ``U``, ``b``) selects the parametric gate
        φ(W x + U h + b) with φ = ``activation`` ("sigmoid" or "tanh");
        otherwise ``gate_value`` (scalar or length-d) is the constant gate.
        """
        if activation not in ("sigmoid", "tanh"):
            raise ValueError(f"activation must be 'sigmoid' or 'tanh', got {activation!r}")
        A = np.asarray(A, dtype=np.float64)
        B = np.asarray(B, dtype=np.float64)
        d, m = A.shape[0], B.shape[1]
        Q = np.asarray(noise_cov, dtype=np.float64)
        Q = Q * np.eye(d) if Q.ndim == 0 else Q
        sigmoid = W is not None
        gv = np.ones(d) if gate_value is None else np.broadcast_to(np.asarray(gate_value, np.float64), (d,))
        return cls(
            A=_on_device(A),
            B=_on_device(B),
            noise_chol=_on_device(psd_sqrt(Q)),
            h0=_on_device(np.zeros(d) if h0 is None else h0),
            gate_value=_on_device(gv),
            W=_on_device(np.zeros((d, m)) if W is None else W),
            U=_on_device(np.zeros((d, d)) if U is None else U),
            b=_on_device(np.zeros(d) if b is None else b),
            sigmoid=_on_device(1.0 if sigmoid else 0.0),
            leaky=_on_device(1.0 if form == "leaky" else 0.0),
            input_scale=_on_device(float(input_scale)),
            rademacher=_on_device(1.0 if input_law == "rademacher" else 0.0),
            tanh=_on_device(1.0 if sigmoid and activation == "tanh" else 0.0),
        )

    @classmethod
    def build_s6(cls, params, noise_cov, *, h0=None, input_law: str = "gaussian",
                 input_scale: float = 1.0) -> "Model":
        """Mamba's selective scan (:class:`~ssmverify.theorems.s6.S6Params`, validated), state d = m·N.

        The paper's fields carry only the shapes (d, m); the update is :func:`s6_transition`'s.
        """
        d, m = params.d, params.m
        Q = np.asarray(noise_cov, dtype=np.float64)
        Q = Q * np.eye(d) if Q.ndim == 0 else Q
        return cls(
            A=_on_device(np.zeros((d, d))), B=_on_device(np.zeros((d, m))), noise_chol=_on_device(psd_sqrt(Q)),
            h0=_on_device(np.zeros(d) if h0 is None else h0),
            gate_value=_on_device(np.zeros(d)), W=_on_device(np.zeros((d, m))), U=_on_device(np.zeros((d, d))),
            b=_on_device(np.zeros(d)), sigmoid=_on_device(0.0), leaky=_on_device(1.0),
            input_scale=_on_device(float(input_scale)),
            rademacher=_on_device(1.0 if input_law == "rademacher" else 0.0), tanh=_on_device(0.0),
            s6_A=_on_device(params.A.ravel()), s6_dt_weight=_on_device(params.dt_weight),
            s6_dt_bias=_on_device(params.dt_proj_bias), s6_B=_on_device(params.x_proj_B), s6=True,
        )

    def replace(self, **changes) -> "Model":
        return dataclasses.replace(self, **changes)


def safe_norm(x: jax.Array, axis=-1) -> jax.Array:
    """‖x‖₂ with a zero (not NaN) derivative at x = 0, where copies of the chain have merged exactly.

    Values are bit-identical to ``jnp.linalg.norm``'s (√Σx², no rescaling: a sum
    of squares that overflows gives inf, as there).  Non-finite input stays
    non-finite: NaN gives NaN and ±inf gives inf, so a state that overflowed is
    never reported as a distance of 0.  Only an exact zero of Σx² selects the
    constant 0; the inner ``where`` keeps the square root away from 0 there, so
    its infinite derivative never enters the gradient (which is 0 at x = 0).
    """
    sq = jnp.sum(x * x, axis=axis)
    zero = sq == 0.0          # False for NaN: NaN propagates through the square root
    return jnp.where(zero, 0.0, jnp.sqrt(jnp.where(zero, 1.0, sq)))


def gate(model: Model, x: jax.Array, h: jax.Array) -> jax.Array:
    """G(x_t, h_{t-1}) for one state: the constant gate, or φ(W x + U h + b) with φ the sigmoid or tanh."""
    z = model.W @ x + model.U @ h + model.b
    act = jnp.where(model.tanh > 0.5, jnp.tanh(z), jax.nn.sigmoid(z))
    return jnp.where(model.sigmoid > 0.5, act, model.gate_value)


def s6_transition(model: Model, x: jax.Array):
    """The S6 update's input-dependent diagonal transition for inputs x (..., m).

    Δ = softplus(W_Δ x + b_Δ) (..., m); per state coordinate i = c·N + n: log-decay Δ_c·A_i, drive
    Δ_c·(P_B x)_n·x_c.  Returns (log-decay, drive), each (..., d): h_t = exp(log-decay) ⊙ h_{t−1} + drive + w_t,
    and the gate in the paper's sense is G = 1 − exp(log-decay).
    """
    m, N = model.m, model.s6_B.shape[0]
    delta = jax.nn.softplus(x @ model.s6_dt_weight.T + model.s6_dt_bias)      # (..., m)
    per_state = jnp.repeat(delta, N, axis=-1)                                  # Δ_c at i = c·N + n
    bx = x @ model.s6_B.T                                                      # (..., N)
    drive = per_state * jnp.repeat(x, N, axis=-1) * jnp.tile(bx, (1,) * (bx.ndim - 1) + (m,))
    return per_state * model.s6_A, drive


def step(model: Model, h: jax.Array, x: jax.Array, w: jax.Array):
    """One update of one state; returns (h_t, G) so checks can see the gate."""
    if model.s6:
        log_decay, drive = s6_transition(model, x)
        return jnp.exp(log_decay) * h + drive + w, -jnp.expm1(log_decay)
    g = gate(model, x, h)
    pre = model.A @ h + model.B @ x
    h_new = g * pre + model.leaky * (1.0 - g) * h + w
    return h_new, g


def path_key(key: jax.Array, path) -> jax.Array:
    """The key of one Monte Carlo path (global path index)."""
    return jax.random.fold_in(key, path)


# --- random numbers ------------------------------------------------------------------------------------
# Counter-based: normal j of step t of a path is a pure function of (path key, t, j), the Threefry-2x32
# hash of jax.random's default PRNG applied to the counter (t, j) and turned into a standard normal exactly
# as jax.random.normal turns 64 random bits into one.  Any set of (t, j) is computed in one fused,
# vectorised array expression, so the simulator draws a whole block of steps of a block of paths at once,
# and nothing depends on how paths, steps or devices are grouped.

_THREEFRY_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_NORMAL_LOW = float(np.nextafter(-1.0, 0.0))   # jax.random.normal's uniform lies in [nextafter(-1, 0), 1)


def _threefry2x32(k1, k2, x1, x2):
    """Threefry-2x32 (20 rounds) of counters (x1, x2) under key (k1, k2), all uint32, broadcasting.

    Bit for bit the hash of jax.random's ``threefry2x32`` primitive (a test compares them), written out in
    array operations so that XLA fuses it with the normal transform.
    """
    u32 = jnp.uint32
    k1, k2, x1, x2 = (jnp.asarray(v).astype(u32) for v in (k1, k2, x1, x2))
    ks = (k1, k2, k1 ^ k2 ^ u32(0x1BD11BDA))
    x1, x2 = x1 + ks[0], x2 + ks[1]
    for i in range(5):
        for r in _THREEFRY_ROTATIONS[i % 2]:
            x1 = x1 + x2
            x2 = ((x2 << u32(r)) | (x2 >> u32(32 - r))) ^ x1
        x1, x2 = x1 + ks[(i + 1) % 3], x2 + ks[(i + 2) % 3] + u32(i + 1)
    return x1, x2


def _is_threefry_key(key) -> bool:
    """Whether ``key`` is a typed JAX key of the Threefry-2x32 PRNG."""
    dtype = getattr(key, "dtype", None)
    return (dtype is not None and jnp.issubdtype(dtype, jax.dtypes.prng_key)
            and str(jax.random.key_impl(key)) == "threefry2x32")


def _key_words(key: jax.Array) -> jax.Array:
    """The two uint32 words (..., 2) of Threefry keys, typed or raw; a key of another PRNG derives them."""
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        if _is_threefry_key(key):
            return jax.random.key_data(key)
        return jax.random.bits(key, (2,), jnp.uint32) if key.ndim == 0 else \
            jax.vmap(lambda k: jax.random.bits(k, (2,), jnp.uint32))(key)
    return jnp.asarray(key).astype(jnp.uint32)


def _normals(k1, k2, t, j) -> jax.Array:
    """Standard normals N(k; t, j) for path-key words (k1, k2), step counters ``t`` and indices ``j``
    (all broadcast together).

    The 64 bits hi·2³² + lo of threefry2x32(k, (t, j)) become a uniform on [nextafter(−1, 0), 1) from their
    top 52 bits and then √2·erfinv of it, the transform of jax.random.normal: at t = 0 the values are
    ``jax.random.normal(key, (n,))[j]`` (partitionable Threefry), which a test checks.
    """
    hi, lo = _threefry2x32(k1, k2, t, j)
    bits = (hi.astype(jnp.uint64) << jnp.uint64(32)) | lo.astype(jnp.uint64)
    one = jnp.uint64(np.float64(1.0).view(np.uint64))
    unit = jax.lax.bitcast_convert_type((bits >> jnp.uint64(12)) | one, jnp.float64) - 1.0   # [0, 1)
    u = jnp.maximum(_NORMAL_LOW, unit * (1.0 - _NORMAL_LOW) + _NORMAL_LOW)
    return np.sqrt(2.0) * jax.lax.erf_inv(u)


def _n_normals(m: int, d: int, n_chains: int, synchronous: bool) -> int:
    """Normals per path and step: the input's m, then one noise stream of d per chain (one in all when the
    chains share their noise)."""
    return m + d * (1 if synchronous else n_chains)


def _inputs(model: Model, zx: jax.Array) -> jax.Array:
    """Inputs from their normals (..., m): s·z (Gaussian) or s·sign z (Rademacher: P(+s) = 1/2 exactly)."""
    signs = jnp.where(zx >= 0.0, 1.0, -1.0)
    return model.input_scale * jnp.where(model.rademacher > 0.5, signs, zx)


def _noise(model: Model, zw: jax.Array, n_chains: int, synchronous: bool, paths_minor: bool = False) -> jax.Array:
    """Noise w = L z from the noise normals (..., n·d) of a step: (..., K, d); with ``paths_minor``, from
    normals (..., n·d, P) to (..., K, d, P).

    Stream 1 + c (normals m + c·d .. m + (c+1)·d − 1) is chain c's; all chains use stream 1 under synchronous
    coupling, so chain 0 sees the same noise under both couplings.
    """
    d = model.d
    if paths_minor:
        zw = zw.reshape(zw.shape[:-2] + (-1, d, zw.shape[-1]))
        w = jnp.einsum("ij,...kjp->...kip", model.noise_chol, zw)
        chains = w.shape[:-3] + (n_chains, d, w.shape[-1])
    else:
        w = zw.reshape(zw.shape[:-1] + (-1, d)) @ model.noise_chol.T
        chains = w.shape[:-2] + (n_chains, d)
    return jnp.broadcast_to(w, chains) if synchronous else w


@partial(jax.jit, static_argnames=("n_chains", "synchronous"))
def draw_step(model: Model, key_path: jax.Array, t: jax.Array, n_chains: int, synchronous: bool):
    """The input x_t and the K noise vectors w_t of one path at step t: exactly what the simulator uses.

    The step's standard normals are N(key_path; t, j) (:func:`_normals`), a function of (key, global path,
    step, j) alone: j = 0..m−1 give the input, then the noise streams (:func:`_noise`).
    Returns x (m,), w (K, d).
    """
    words = _key_words(key_path)
    n = _n_normals(model.m, model.d, n_chains, synchronous)
    z = _normals(words[0], words[1], jnp.asarray(t).astype(jnp.uint32), jnp.arange(n, dtype=jnp.uint32))
    return _inputs(model, z[: model.m]), _noise(model, z[model.m:], n_chains, synchronous)


def _check_steps(n_steps: int) -> None:
    if not 0 <= n_steps < 2**32 - STEP_BLOCK:   # the step is the first word of the 32-bit counter
        raise ValueError(f"n_steps must lie in [0, 2^32 − {STEP_BLOCK}), got {n_steps}")


# observe(model, t, h_prev (K,d), h (K,d), x (m,), w (K,d), g (K,d)) -> pytree of per-step values
Observer = Callable[..., object]

STEP_BLOCK = 16   # steps whose normals are drawn in one fused operation


# Paths on the minor (contiguous) axis of the state and the draws, up to this state dimension: every
# elementwise operation then runs along the paths (vectorised) instead of along d, and the matrix products
# are (d × d)·(d × K·P).  Measured on the 2-core CPU (4096 paths × 200 steps, no observation), paths minor
# against paths first: d = 1, 2, 4, 8 gave 1.1–1.8× the path-steps/s; d = 16 gave 0.9× (1 chain) and
# 0.73× (5 chains), where the state's own axis is long enough to vectorise along.
PATHS_MINOR_MAX_D = 8


def _paths_minor(d: int) -> bool:
    return d <= PATHS_MINOR_MAX_D


def _batched_step(model: Model, h: jax.Array, x: jax.Array, w: jax.Array):
    """:func:`step` for a block of paths, in the block's layout (:func:`_paths_minor`): paths first, h (P, K, d),
    x (P, m), w (P, K, d); or paths minor, h (K, d, P), x (m, P), w (K, d, P).  Returns (h_t, G) in the
    layout of ``h``.

    The same arithmetic as ``step`` and :func:`gate`, with the input terms computed once per path.  The gate
    kinds are selected elementwise, not branched: measured, ``lax.cond`` here breaks XLA's fusion and costs
    more than the activations it would skip.
    """
    minor = _paths_minor(model.d)
    if model.s6:
        log_decay, drive = s6_transition(model, x.T if minor else x)          # (P, d): one per path
        if minor:
            log_decay, drive = log_decay.T[None], drive.T[None]               # (1, d, P)
        else:
            log_decay, drive = log_decay[:, None, :], drive[:, None, :]       # (P, 1, d)
        return jnp.exp(log_decay) * h + drive + w, jnp.broadcast_to(-jnp.expm1(log_decay), h.shape)
    if minor:
        pre = jnp.einsum("ij,kjp->kip", model.A, h) + (model.B @ x)[None]
        z = jnp.einsum("ij,kjp->kip", model.U, h) + (model.W @ x)[None] + model.b[None, :, None]
        gate_value = model.gate_value[None, :, None]
    else:
        pre = h @ model.A.T + (x @ model.B.T)[:, None, :]
        z = h @ model.U.T + (x @ model.W.T)[:, None, :] + model.b
        gate_value = model.gate_value
    act = jnp.where(model.tanh > 0.5, jnp.tanh(z), jax.nn.sigmoid(z))
    g = jnp.where(model.sigmoid > 0.5, act, gate_value)
    return g * pre + model.leaky * (1.0 - g) * h + w, g


def _block_draws(model: Model, words: jax.Array, t0, n_steps_block: int, n_chains: int, synchronous: bool):
    """Inputs and noise of steps t0 .. t0 + S − 1 (the normals of :func:`draw_step`, drawn in one fused
    operation) for the paths whose key words are ``words`` (P, 2), in the block's layout: paths first,
    (S, P, m) and (S, P, K, d); or paths minor, (S, m, P) and (S, K, d, P)."""
    m, d, S = model.m, model.d, n_steps_block
    n = _n_normals(m, d, n_chains, synchronous)
    steps = t0 + jnp.arange(S, dtype=jnp.uint32)
    j = jnp.arange(n, dtype=jnp.uint32)
    if not _paths_minor(d):
        z = _normals(words[None, None, :, 0], words[None, None, :, 1], steps[None, :, None], j[:, None, None])
        z = jnp.transpose(z, (1, 2, 0))                                       # (S, P, n)
        return _inputs(model, z[..., :m]), _noise(model, z[..., m:], n_chains, synchronous)
    z = _normals(words[None, None, :, 0], words[None, None, :, 1], steps[:, None, None], j[None, :, None])  # (S, n, P)
    return _inputs(model, z[:, :m]), _noise(model, z[:, m:], n_chains, synchronous, paths_minor=True)


def _run_block(model: Model, words: jax.Array, h0s: jax.Array, n_steps: int, synchronous: bool, observe: Observer):
    """Run one block of paths: key words (P, 2), initial states (P, K, d).

    The normals of each block of ``STEP_BLOCK`` steps are drawn in one fused operation, then the steps run
    over them in the block's layout (:func:`_paths_minor`); the observer sees one path at a time (``vmap``
    over the paths' axis).  Steps past ``n_steps`` in the last block leave the state unchanged and their
    observations are dropped.  Returns (final states (P, K, d), observations with leading axes
    (P, n_steps)).  Under ``jax.vmap`` over models (the grid) the normals, which do not depend on the model,
    are drawn once.
    """
    K = h0s.shape[-2]
    S = min(STEP_BLOCK, max(n_steps, 1))
    n_blocks = -(-n_steps // S)
    axis = -1 if _paths_minor(model.d) else 0   # the paths' axis of the state, the draws and the observations

    def outer(hs, t0):
        xs, ws = _block_draws(model, words, t0, S, K, synchronous)

        def inner(hs, s):
            t = t0 + s.astype(jnp.uint32)
            h_new, g = _batched_step(model, hs, xs[s], ws[s])
            obs = jax.vmap(lambda hp, h, x, w, gg: observe(model, t, hp, h, x, w, gg), in_axes=axis,
                           out_axes=axis)(hs, h_new, xs[s], ws[s], g)
            return jnp.where(t <= n_steps, h_new, hs), obs      # past the end: nothing changes

        return jax.lax.scan(inner, hs, jnp.arange(S))

    final, obs = jax.lax.scan(outer, jnp.moveaxis(h0s, 0, axis), 1 + S * jnp.arange(n_blocks, dtype=jnp.uint32))

    def steps_to_paths(a):   # (n_blocks, S, paths and the observation's axes) -> (P, n_steps, ...)
        a = a.reshape((n_blocks * S,) + a.shape[2:])[:n_steps]
        return jnp.moveaxis(a, -1, 0) if axis == -1 else jnp.moveaxis(a, 0, 1)

    return jnp.moveaxis(final, axis, 0), jax.tree_util.tree_map(steps_to_paths, obs)
# --- blocks of paths, on every device -------------------------------------------------------------------
# Paths are independent.  Every compiled program simulates them in blocks of exactly ``_path_block()``
# paths (the last one padded with copies of the last path), one block after another (``lax.map``), and the
# blocks are split across all of JAX's devices with ``shard_map`` (the host's CPU devices,
# ``XLA_FLAGS=--xla_force_host_platform_device_count=N``, which the ``ssmverify`` command sets; or the
# GPUs).  The arithmetic of a path therefore never depends on how many paths a call has, how they are
# chunked, or how many devices share them: XLA's kernels (small matrix products above all) may round a row
# differently at different batch sizes, and a fixed block size rules that out.

CPU_PATH_BLOCK = 512       # big enough that a step's fixed costs are small, small enough to stay in cache
ACCELERATOR_PATH_BLOCK = 8192   # a GPU needs many paths in flight
_MESHES: dict = {}


def _path_block() -> int:
    """Paths per block on this platform (the blocks of every simulator program have exactly this size)."""
    return CPU_PATH_BLOCK if jax.devices()[0].platform == "cpu" else ACCELERATOR_PATH_BLOCK


def _mesh(devices: tuple) -> jax.sharding.Mesh:
    if devices not in _MESHES:
        _MESHES[devices] = jax.sharding.Mesh(np.array(devices, dtype=object), ("blocks",))
    return _MESHES[devices]


def _over_devices(fn, shared: tuple, split: tuple, axes: tuple, out_axis: int):
    """``fn(*shared, *split)``, the ``split`` arrays cut along their path axes ``axes`` into blocks of
    ``_path_block()`` paths spread over every device; the outputs' path axis is ``out_axis``.

    ``fn`` is called on one block at a time (path axes of exactly the block's length).  The path count is
    padded to whole blocks, and the blocks to a multiple of the devices used, with copies of the last
    path; the padding is dropped from the outputs.
    """
    size, block = split[0].shape[axes[0]], _path_block()
    n_blocks = -(-size // block)
    devices = tuple(jax.devices())[:n_blocks]
    n_blocks += -n_blocks % len(devices)
    pad = n_blocks * block - size
    blocks = []
    for a, ax in zip(split, axes):   # path axis first, padded, cut into blocks: (n_blocks, block, ...)
        a = jnp.moveaxis(a, ax, 0)
        if pad:
            a = jnp.concatenate([a, jnp.repeat(a[-1:], pad, axis=0)])
        blocks.append(a.reshape((n_blocks, block) + a.shape[1:]))

    def one_block(parts):
        out = fn(*shared, *(jnp.moveaxis(a, 0, ax) for a, ax in zip(parts, axes)))
        return jax.tree_util.tree_map(lambda a: jnp.moveaxis(a, out_axis, 0), out)

    def on_device(*local):   # this device's blocks, one after another
        return jax.lax.map(one_block, tuple(local))

    if len(devices) == 1:
        out = on_device(*blocks)
    else:
        spec = jax.sharding.PartitionSpec
        out = jax.shard_map(on_device, mesh=_mesh(devices), in_specs=(spec("blocks"),) * len(blocks),
                            out_specs=spec("blocks"), check_vma=False)(*blocks)

    def merge(a):   # (n_blocks, block, ...) -> paths at out_axis, padding dropped
        a = a.reshape((n_blocks * block,) + a.shape[2:])[:size]
        return jnp.moveaxis(a, 0, out_axis)

    return jax.tree_util.tree_map(merge, out)


def _path_words(key: jax.Array, paths: jax.Array) -> jax.Array:
    """Key words (P, 2) of the given global path numbers."""
    return _key_words(jax.vmap(lambda p: path_key(key, p))(paths))


@partial(jax.jit, static_argnames=("n_steps", "synchronous", "observe"))
def _simulate_chunk(model, key, paths, h0s, n_steps, synchronous, observe):
    def run(model, key, paths, h0s):
        return _run_block(model, _path_words(key, paths), h0s, n_steps, synchronous, observe)

    return _over_devices(run, (model, key), (paths, h0s), (0, 0), 0)


def simulate_traced(model: Model, key, paths, h0s, n_steps: int, synchronous, observe: Observer):
    """The JAX core of :func:`simulate`, for callers that stay in JAX (e.g. to differentiate).

    ``paths`` (P,) are global path numbers, ``h0s`` (P, K, d); returns JAX arrays
    (final states, stacked observations).  For fixed key and paths the output is
    a smooth function of the model's parameters (common random numbers), so
    ``jax.grad`` through it differentiates the Monte Carlo estimate.  The paths
    are split over every JAX device; the outputs are bit-identical on any number
    of devices, while a gradient (a sum over paths, taken per device and then
    across devices) may differ in the last bits.
    """
    _check_steps(n_steps)
    return _simulate_chunk(model, key, paths, h0s, n_steps, bool(synchronous), observe)


def simulate(
    model: Model,
    key: jax.Array,
    h0s,
    n_steps: int,
    *,
    synchronous: bool = True,
    observe: Observer,
    first_path: int = 0,
    chunk: int = 1024,
):
    """Run K coupled chains on each of P paths for ``n_steps`` steps.

    ``h0s`` has shape (P, K, d): the K initial states of each path.  All chains
    of a path see the same inputs; they share the noise when ``synchronous``.
    ``observe`` (a module-level function, so it can be a static argument)
    reduces each step to the values a check needs, keeping memory
    O(P · (K·d + per-step observations)).  Returns (final states (P, K, d),
    stacked observations with leading axes (P, n_steps)) as NumPy values.
    Paths are numbered from ``first_path``; path p's randomness depends only on
    (key, p), and every program computes blocks of a fixed number of paths, so
    results are bit-identical however the paths are chunked and on any number of
    devices.  ``chunk`` (paths per compiled call) is rounded up to whole blocks on
    every device; the next chunk is dispatched before the last one is copied back.
    """
    _check_steps(n_steps)
    unit = _path_block() * len(jax.devices())
    h0s = np.asarray(h0s, dtype=np.float64)
    n_paths = h0s.shape[0]
    chunk = max(_path_block(), min(-(-int(chunk) // unit) * unit, -(-n_paths // _path_block()) * _path_block()))
    finals, observations = [], []

    def collect(pending):
        (final, obs), n = pending
        finals.append(np.asarray(final)[:n])
        observations.append(jax.tree_util.tree_map(lambda a: np.asarray(a)[:n], obs))

    pending = None
    for start in range(0, max(n_paths, 1), chunk):
        stop = min(start + chunk, n_paths)
        ids = np.arange(first_path + start, first_path + start + chunk, dtype=np.int64)
        block = np.zeros((chunk,) + h0s.shape[1:])
        block[: stop - start] = h0s[start:stop]
        # asynchronous: this chunk runs while the last one is copied back
        out = _programs.call(_simulate_chunk, model, key, (ids, block), n_steps=n_steps,
                             synchronous=bool(synchronous), observe=observe)
        if pending is not None:
            collect(pending)
        pending = (out, stop - start)
    if pending is not None:
        collect(pending)
    final = np.concatenate(finals)
    obs = jax.tree_util.tree_map(lambda *parts: np.concatenate(parts), *observations)
    return final, obs


@partial(jax.jit, static_argnames=("n_steps", "synchronous", "observe"))
def _simulate_grid_chunk(models, key, paths, h0s, n_steps, synchronous, observe):
    def run(models, key, paths, h0s):
        words = _path_words(key, paths)
        return jax.vmap(lambda model, h: _run_block(model, words, h, n_steps, synchronous, observe))(models, h0s)

    return _over_devices(run, (models, key), (paths, h0s), (0, 1), 1)


def stack_models(models: list[Model]) -> Model:
    """Models of equal shapes stacked along a leading cell axis (for :func:`simulate_grid`).

    Concrete leaves are stacked in NumPy and transferred (``jnp.stack`` would compile a program per shape);
    traced ones (inside ``jax.jit``) with ``jnp.stack``."""
    def stack(*leaves):
        if any(isinstance(a, jax.core.Tracer) for a in leaves):
            return jnp.stack(leaves)
        return jax.device_put(np.stack([np.asarray(a) for a in leaves]))

    return jax.tree_util.tree_map(stack, *models)


def simulate_grid(models: list[Model], key: jax.Array, h0s, n_steps: int, *, synchronous: bool = True,
                  observe: Observer, first_path: int = 0):
    """:func:`simulate` for many models at once, the cells batched with ``jax.vmap``.

    ``h0s`` has shape (C, P, K, d).  All cells use the same key and path
    numbers (common random numbers across cells: each step's normals are drawn
    once and shared by every cell), and the paths are split over every JAX
    device as in :func:`simulate`.  One compilation serves every grid of the
    same (C, P, K, d, steps).  Returns (finals (C, P, K, d), observations with
    leading axes (C, P, n_steps)).
    """
    _check_steps(n_steps)
    h0s = np.asarray(h0s, dtype=np.float64)
    ids = jnp.arange(first_path, first_path + h0s.shape[1], dtype=jnp.int64)
    final, obs = _programs.call(_simulate_grid_chunk, stack_models(models), key, (ids, h0s), n_steps=n_steps,
                                synchronous=bool(synchronous), observe=observe)
    return np.asarray(final), jax.tree_util.tree_map(np.asarray, obs)


@jax.jit
def run_with_noise(model: Model, h0s, xs, ws):
    """Deterministic replay on pre-drawn inputs ``xs`` (T, m) and noise ``ws`` (T, K, d).

    Uses the same ``step`` as :func:`simulate`; returns the trajectory (T, K, d).
    This is what the NumPy twin is compared against.
    """

    def body(hs, xw):
        x, w = xw
        h_new, _ = jax.vmap(lambda h, wc: step(model, h, x, wc))(hs, w)
        return h_new, h_new

    _, traj = jax.lax.scan(body, jnp.asarray(h0s, jnp.float64), (jnp.asarray(xs), jnp.asarray(ws)))
    return traj
