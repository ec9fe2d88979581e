"""The paper's gated stochastic state update, in JAX.

Two update forms (arXiv 2410.03158):

* gated (§2.2, proof of Lemma 1 in §6.2):  h_t = G ⊙ (A h_{t-1} + B x_t) + w_t
* leaky (§3.1):  h_t = G ⊙ (A h_{t-1} + B x_t) + (1 - G) ⊙ h_{t-1} + w_t

with G = G(x_t, h_{t-1}) ∈ [0, 1]^d either a constant vector or the sigmoid gate
g_i = σ(W_i·x + U_i·h + b_i) (§3.0.4; U = 0 is the input-gated case), process
noise w_t ~ N(0, Q) and i.i.d. inputs x_t, Gaussian N(0, s² I) or Rademacher
uniform on {-s, +s}^m.

Design:

* ``step`` is written for one state; Monte Carlo paths come from ``jax.vmap``
  and time from ``jax.lax.scan``.
* Every model parameter, including the choice of form, gate kind and input law,
  is a traced array in the :class:`Model` pytree.  New parameter values, and
  whole grids of them, reuse one compilation per array shape.
* Randomness is drawn inside the scan from per-path, per-step keys made with
  ``jax.random.fold_in``; nothing of size paths × steps × d is pre-drawn, and a
  path's draws depend only on (key, global path index, step), so results do not
  depend on how paths are chunked.
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

__all__ = ["Model", "gate", "step", "safe_norm", "path_key", "draw_step", "simulate", "simulate_traced", "simulate_grid",
           "stack_models", "run_with_noise"]


@partial(
    jax.tree_util.register_dataclass,
    data_fields=[
        "A", "B", "noise_chol", "h0", "gate_value", "W", "U", "b",
        "sigmoid", "leaky", "input_scale", "rademacher", "tanh",
    ],
    meta_fields=[],
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
            A=jnp.asarray(A),
            B=jnp.asarray(B),
            noise_chol=jnp.asarray(psd_sqrt(Q)),
            h0=jnp.asarray(np.zeros(d) if h0 is None else np.asarray(h0, np.float64)),
            gate_value=jnp.asarray(np.array(gv)),
            W=jnp.asarray(np.zeros((d, m)) if W is None else np.asarray(W, np.float64)),
            U=jnp.asarray(np.zeros((d, d)) if U is None else np.asarray(U, np.float64)),
            b=jnp.asarray(np.zeros(d) if b is None else np.asarray(b, np.float64)),
            sigmoid=jnp.asarray(1.0 if sigmoid else 0.0),
            leaky=jnp.asarray(1.0 if form == "leaky" else 0.0),
            input_scale=jnp.asarray(float(input_scale)),
            rademacher=jnp.asarray(1.0 if input_law == "rademacher" else 0.0),
            tanh=jnp.asarray(1.0 if sigmoid and activation == "tanh" else 0.0),
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


def step(model: Model, h: jax.Array, x: jax.Array, w: jax.Array):
    """One update of one state; returns (h_t, G) so checks can see the gate."""
    g = gate(model, x, h)
    pre = model.A @ h + model.B @ x
    h_new = g * pre + model.leaky * (1.0 - g) * h + w
    return h_new, g


def path_key(key: jax.Array, path) -> jax.Array:
    """The key of one Monte Carlo path (global path index)."""
    return jax.random.fold_in(key, path)


def draw_step(model: Model, key_path: jax.Array, t: jax.Array, n_chains: int, synchronous):
    """The input x_t and the K noise vectors w_t of one path at step t.

    Keys: k_t = fold_in(path_key(key, path), t); the input uses fold_in(k_t, 0)
    and chain c's noise fold_in(k_t, 1 + c) (all chains use stream 1 under
    synchronous coupling, so chain 0 sees the same noise under both couplings).
    Returns x (m,), w (K, d).
    """
    k_t = jax.random.fold_in(key_path, t)
    kx = jax.random.fold_in(k_t, 0)
    gauss = jax.random.normal(kx, (model.m,), dtype=jnp.float64)
    signs = jnp.where(gauss >= 0.0, 1.0, -1.0)  # symmetric, so P(+1) = 1/2
    x = model.input_scale * jnp.where(model.rademacher > 0.5, signs, gauss)
    streams = jnp.where(synchronous, 0, jnp.arange(n_chains, dtype=jnp.int32))
    z = jax.vmap(lambda s: jax.random.normal(jax.random.fold_in(k_t, 1 + s), (model.d,), dtype=jnp.float64))(streams)
    w = z @ model.noise_chol.T
    return x, w


# observe(model, t, h_prev (K,d), h (K,d), x (m,), w (K,d), g (K,d)) -> pytree of per-step values
Observer = Callable[..., object]


def _one_path(model: Model, key, path, h0s, n_steps: int, synchronous, observe: Observer):
    n_chains = h0s.shape[0]
    key_path = path_key(key, path)  # hoisted out of the scan: one fold_in per step, not two

    def body(hs, t):
        x, w = draw_step(model, key_path, t, n_chains, synchronous)
        h_new, g = jax.vmap(lambda h, wc: step(model, h, x, wc))(hs, w)
        return h_new, observe(model, t, hs, h_new, x, w, g)

    return jax.lax.scan(body, h0s, jnp.arange(1, n_steps + 1))


@partial(jax.jit, static_argnames=("n_steps", "observe"))
def _simulate_chunk(model, key, paths, h0s, n_steps, synchronous, observe):
    return jax.vmap(lambda p, h: _one_path(model, key, p, h, n_steps, synchronous, observe))(paths, h0s)


def simulate_traced(model: Model, key, paths, h0s, n_steps: int, synchronous, observe: Observer):
    """The JAX core of :func:`simulate`, for callers that stay in JAX (e.g. to differentiate).

    ``paths`` (P,) are global path numbers, ``h0s`` (P, K, d); returns JAX arrays
    (final states, stacked observations).  For fixed key and paths the output is
    a smooth function of the model's parameters (common random numbers), so
    ``jax.grad`` through it differentiates the Monte Carlo estimate.
    """
    return _simulate_chunk(model, key, paths, h0s, n_steps, jnp.asarray(synchronous), observe)


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
    (key, p), so results are identical however the paths are chunked.
    """
    h0s = np.asarray(h0s, dtype=np.float64)
    n_paths = h0s.shape[0]
    finals, observations = [], []
    for start in range(0, n_paths, chunk):
        stop = min(start + chunk, n_paths)
        ids = np.arange(first_path + start, first_path + start + chunk, dtype=np.int64)
        block = np.zeros((chunk,) + h0s.shape[1:])
        block[: stop - start] = h0s[start:stop]
        final, obs = _simulate_chunk(model, key, jnp.asarray(ids), jnp.asarray(block), n_steps,
                                     jnp.asarray(bool(synchronous)), observe)
        finals.append(np.asarray(final)[: stop - start])
        observations.append(jax.tree_util.tree_map(lambda a, n=stop - start: np.asarray(a)[:n], obs))
    final = np.concatenate(finals)
    obs = jax.tree_util.tree_map(lambda *parts: np.concatenate(parts), *observations)
    return final, obs


@partial(jax.jit, static_argnames=("n_steps", "observe"))
def _simulate_grid_chunk(models, key, paths, h0s, n_steps, synchronous, observe):
    def one_cell(model, cell_h0s):
        return jax.vmap(lambda p, h: _one_path(model, key, p, h, n_steps, synchronous, observe))(paths, cell_h0s)

    return jax.vmap(one_cell)(models, h0s)


def stack_models(models: list[Model]) -> Model:
    """Models of equal shapes stacked along a leading cell axis (for :func:`simulate_grid`)."""
    return jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *models)


def simulate_grid(models: list[Model], key: jax.Array, h0s, n_steps: int, *, synchronous: bool = True,
                  observe: Observer, first_path: int = 0):
    """:func:`simulate` for many models at once, the cells batched with ``jax.vmap``.

    ``h0s`` has shape (C, P, K, d).  All cells use the same key and path
    numbers (common random numbers across cells).  One compilation serves every
    grid of the same (C, P, K, d, steps).  Returns (finals (C, P, K, d),
    observations with leading axes (C, P, n_steps)).
    """
    h0s = np.asarray(h0s, dtype=np.float64)
    ids = jnp.arange(first_path, first_path + h0s.shape[1], dtype=jnp.int64)
    final, obs = _simulate_grid_chunk(stack_models(models), key, ids, jnp.asarray(h0s), n_steps,
                                      jnp.asarray(bool(synchronous)), observe)
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
