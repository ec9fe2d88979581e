"""The top Lyapunov exponent λ₁ of the chain's random Jacobian products (natural log per step).

λ₁ = lim (1/t) log‖J_t ⋯ J_1 v‖ with J_t = ∂h_t/∂h_{t−1} along a path of the chain: the rate at
which two copies driven by the same inputs and noise (synchronous coupling) separate or merge
infinitesimally.  λ₁ < 0 is the sharp criterion for almost-sure synchronisation.

The Monte Carlo estimator propagates one tangent vector with ``jax.jvp`` of the one-step map
h ↦ step(model, h, x_t, w_t)[0], renormalising every step.  The first ``burn_in`` steps align the
vector with the top Oseledets direction and are not counted; over the next ``n_steps`` each path
gives (1/n_steps)·Σ log‖J_t v_{t−1}‖, paths are i.i.d., and the interval is Student-t over paths.
Path p at step t uses exactly the simulator's draws, ``draw_step(model, path_key(key, p), t, 1,
True)`` (chain 0 under synchronous coupling), so results are reproducible and do not depend on
``chunk``.  The starting tangent direction is a standard normal vector from the key
``fold_in(path_key(key, p), 0)`` (the simulator numbers its steps from 1, so it never uses it).

For a constant gate (or a sigmoid or tanh gate with W = U = 0, i.e. the constant gate σ(b) or tanh(b)) the chain is
linear, J_t = M for every t, and λ₁ = log ρ(M) exactly (:func:`exact_lyapunov_exponent`).

JAX is imported on first use, so ``import estimators`` stays NumPy/SciPy only.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from ._intervals import mean_ci
from ._validate import positive_int

__all__ = ["LyapunovEstimate", "constant_gate_transition", "exact_lyapunov_exponent", "linear_lyapunov_exponent",
           "top_lyapunov_exponent"]

# Half-width floor of the interval, relative to max(1, |λ̂|): each step's log growth carries
# rounding of order 1e-16 (times the conditioning of J_t), so paths that agree to rounding --
# a linear chain after burn-in -- give a t-interval of width ~1e-17 that rounding alone can miss.
ROUNDING_FLOOR = 1e-12


@dataclasses.dataclass(frozen=True)
class LyapunovEstimate:
    """λ₁ in nats per step, with a two-sided interval.

    ``method``: "exact" (log ρ(M) of a linear chain; ``ci`` is the point) or
    "monte-carlo" (jvp tangent propagation; Student-t over ``n_paths`` i.i.d. paths at level
    ``confidence``).  ``n_nonfinite`` paths overflowed (state or tangent); when there are any,
    ``estimate`` and ``ci`` are NaN rather than computed from the surviving paths.  A path on which
    J_t v = 0 exactly (a singular product) makes the estimate and interval −inf.
    """

    estimate: float
    ci: tuple[float, float]
    method: str
    n_paths: int
    n_steps: int
    burn_in: int = 0
    confidence: float | None = None
    n_nonfinite: int = 0


def linear_lyapunov_exponent(M) -> float:
    """log ρ(M), the exact λ₁ of h_t = M h_{t−1} + (noise); −inf when ρ(M) = 0."""
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.size == 0:
        raise ValueError(f"M must be a non-empty square matrix, got shape {M.shape}")
    if not np.all(np.isfinite(M)):
        raise ValueError("M contains non-finite values (inf or NaN)")
    radius = float(np.max(np.abs(np.linalg.eigvals(M))))
    return math.log(radius) if radius > 0.0 else -math.inf


def constant_gate_transition(model) -> np.ndarray:
    """M with h_t = M h_{t−1} + B x_t·g + w_t for a gate that depends on neither x nor h.

    Gated form: diag(g) A.  Leaky form: I − diag(g)(I − A).  The gate is the constant one, or
    σ(b) (tanh(b)) for a sigmoid (tanh) gate with W = 0 and U = 0.  Raises ValueError otherwise.
    """
    A = np.asarray(model.A, dtype=np.float64)
    d = A.shape[0]
    if float(model.sigmoid) > 0.5:
        if np.any(np.asarray(model.W)) or np.any(np.asarray(model.U)):
            raise ValueError("model: the gate depends on the input or the state, so the chain is not linear "
                             "(no exact λ₁; use top_lyapunov_exponent)")
        b = np.asarray(model.b, dtype=np.float64)
        g = np.tanh(b) if float(getattr(model, "tanh", 0.0)) > 0.5 else 1.0 / (1.0 + np.exp(-b))
    else:
        g = np.asarray(model.gate_value, dtype=np.float64)
    if float(model.leaky) > 0.5:
        return np.eye(d) - g[:, None] * (np.eye(d) - A)
    return g[:, None] * A


def exact_lyapunov_exponent(model) -> LyapunovEstimate:
    """λ₁ = log ρ(M) for a model whose gate depends on neither x nor h (method "exact")."""
    lam = linear_lyapunov_exponent(constant_gate_transition(model))
    return LyapunovEstimate(lam, (lam, lam), "exact", 0, 0)


@functools.lru_cache(maxsize=None)
def _kernel():
    """The jitted chunk function (built on first use so that importing this module needs no JAX)."""
    import jax
    import jax.numpy as jnp

    from ..theorems.model import draw_step, path_key, step

    def one_path(model, key, path, h0, burn_in, total):
        kp = path_key(key, path)
        v0 = jax.random.normal(jax.random.fold_in(kp, 0), (model.d,), dtype=jnp.float64)
        v0 = v0 / jnp.linalg.norm(v0)

        def body(carry, t):
            h, v, acc = carry
            x, w = draw_step(model, kp, t, 1, True)
            h_new, jv = jax.jvp(lambda hh: step(model, hh, x, w[0])[0], (h,), (v,))
            growth = jnp.linalg.norm(jv)
            positive = growth > 0.0
            log_growth = jnp.where(positive, jnp.log(jnp.where(positive, growth, 1.0)), -jnp.inf)
            acc = acc + jnp.where(t > burn_in, log_growth, 0.0)
            v_new = jnp.where(positive, jv / jnp.where(positive, growth, 1.0), v)
            return (h_new, v_new, acc), None

        (_, _, acc), _ = jax.lax.scan(body, (h0, v0, jnp.float64(0.0)), jnp.arange(1, total + 1))
        return acc

    @functools.partial(jax.jit, static_argnames=("total",))
    def chunk_fn(model, key, paths, h0, burn_in, total):
        return jax.vmap(lambda p: one_path(model, key, p, h0, burn_in, total))(paths)

    return chunk_fn


def top_lyapunov_exponent(model, key, *, n_paths: int, n_steps: int, burn_in: int, h0=None,
                          confidence: float = 0.95, chunk: int = 256, first_path: int = 0) -> LyapunovEstimate:
    """Monte Carlo estimate of λ₁ with a Student-t interval over ``n_paths`` i.i.d. paths.

    ``model``: a :class:`theorems.model.Model`; ``key``: a JAX PRNG key (the simulator's);
    each path runs ``burn_in + n_steps`` steps from ``h0`` (default ``model.h0``) and counts the
    last ``n_steps``.  Paths are numbered from ``first_path`` and processed ``chunk`` at a time
    (one compilation per (chunk, d, m, burn_in + n_steps); the parameters are traced data).
    The interval's half-width is at least ``ROUNDING_FLOOR``·max(1, |λ̂|).
    """

    n_paths = positive_int("n_paths", n_paths, minimum=2)
    n_steps = positive_int("n_steps", n_steps)
    burn_in = positive_int("burn_in", burn_in, minimum=0)
    chunk = positive_int("chunk", chunk)
    if not (0.0 < float(confidence) < 1.0):
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    d = model.d
    start = np.asarray(model.h0 if h0 is None else h0, dtype=np.float64)
    if start.shape != (d,):
        raise ValueError(f"h0 must have shape ({d},), got {start.shape}")
    size = min(chunk, n_paths)
    fn = _kernel()
    parts = []
    for lo in range(0, n_paths, size):
        ids = np.arange(first_path + lo, first_path + lo + size, dtype=np.int64)   # NumPy: no eager JAX ops
        acc = fn(model, key, ids, start, np.int64(burn_in), burn_in + n_steps)
        parts.append(np.asarray(acc)[: min(size, n_paths - lo)])
    per_path = np.concatenate(parts) / n_steps
    method = "monte-carlo"
    n_bad = int(np.sum(np.isnan(per_path) | (per_path == np.inf)))
    if n_bad:
        nan = float("nan")
        return LyapunovEstimate(nan, (nan, nan), method, n_paths, n_steps, burn_in, float(confidence), n_bad)
    if np.any(per_path == -np.inf):  # J_t v = 0 on some path: a singular product, λ₁ = −inf
        return LyapunovEstimate(-math.inf, (-math.inf, -math.inf), method, n_paths, n_steps, burn_in,
                                float(confidence))
    ci = mean_ci(per_path, confidence)
    half = max(0.5 * (ci.high - ci.low), ROUNDING_FLOOR * max(1.0, abs(ci.estimate)))
    return LyapunovEstimate(ci.estimate, (ci.estimate - half, ci.estimate + half), method, n_paths, n_steps,
                            burn_in, float(confidence))
