"""``ssmverify bench``: the simulator's speed beside a NumPy reference loop and the machine's RNG ceiling.

Both sides run the same model -- the sigmoid-gated leaky update h_t = G ⊙ (A h + B x) + (1 − G) ⊙ h + w,
G = σ(W x + U h + b), d = 16 and m = 4 by default, K chains per path sharing the inputs and the noise
(synchronous coupling) -- in float64, batched over paths, and draw the same number of standard normals per
path and step (m for the input and d for the shared noise, whatever K).  The toolkit side is
:func:`theorems.model.simulate` as the checks call it (chunks of 1024 paths, split over every JAX
device); the NumPy side is one vectorised loop over steps drawing with
``numpy.random.Generator.standard_normal``.  Each side runs once to warm up (the toolkit's compilation),
then ``repeats`` times, alternating, and the median is reported.  Two random-number ceilings are measured
in bulk, float64, spread over every device: the simulator's own counter-based normals (the same function the
simulator calls, on one long array) and ``jax.random.normal``.  A simulation step needs m + d normals per path,
so the first ceiling divided by m + d bounds the path-steps/s any implementation of this draw can reach.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

__all__ = ["bench_model_params", "numpy_reference", "run_bench", "format_bench", "size_estimate"]

DEFAULTS = {"paths": 8192, "steps": 400, "chains": 1, "d": 16, "m": 4, "repeats": 5}
CEILING_NORMALS = 1 << 22   # normals per ceiling measurement (32 MiB of float64)
SIMULATOR_CHUNK = 1024      # paths per simulator call: theorems.model.simulate's default, as the checks run it


def bench_model_params(d: int, m: int, seed: int = 0) -> dict:
    """A fixed, contracting sigmoid-gated leaky model of dimensions (d, m) (NumPy arrays)."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((d, d))
    A *= 0.9 / max(np.linalg.norm(A, 2), 1e-12)
    return {
        "A": A,
        "B": rng.standard_normal((d, m)) / np.sqrt(m),
        "W": rng.standard_normal((d, m)) / np.sqrt(m),
        "U": 0.5 * rng.standard_normal((d, d)) / np.sqrt(d),
        "b": 0.1 * rng.standard_normal(d),
        "L": 0.1 * np.eye(d),          # noise square root: Q = 0.01 I
        "input_scale": 1.0,
    }


def numpy_reference(params: dict, n_paths: int, n_steps: int, n_chains: int, seed: int = 1) -> np.ndarray:
    """The same update as a vectorised NumPy loop; returns the final states (P, K, d).

    Per step: one (P, m + d) block of standard normals (the inputs, and the noise every chain of a path
    shares), then the gate and the update of all P·K states, the state products as one (P·K, d) × (d, d)
    matrix product each and the per-path terms broadcast over the chains.
    """
    A, B, W, U, b, L = (params[k] for k in ("A", "B", "W", "U", "b", "L"))
    d, m = B.shape
    scale = params["input_scale"]
    rng = np.random.default_rng(seed)
    shape = (n_paths, n_chains, d)
    h = np.zeros((n_paths * n_chains, d))
    for _ in range(n_steps):
        z = rng.standard_normal((n_paths, m + d))
        x = scale * z[:, :m]
        w = z[:, m:] @ L.T
        g = 1.0 / (1.0 + np.exp(-((h @ U.T).reshape(shape) + (x @ W.T + b)[:, None, :])))
        new = g * ((h @ A.T).reshape(shape) + (x @ B.T)[:, None, :]) + (1.0 - g) * h.reshape(shape) + w[:, None, :]
        h = new.reshape(n_paths * n_chains, d)
    return h.reshape(shape)


def size_estimate(paths: int, chains: int, d: int, m: int) -> list[tuple[str, float, float]]:
    """``(label, bytes, seconds)`` parts of a benchmark run, for :func:`checks._resources.refuse_if_too_big`
    (upper estimates; the seconds are not estimated)."""
    states = float(paths) * chains * d * 8.0
    model = 8.0 * 8.0 * (d * d + d * m)
    numpy_side = 8.0 * states + 4.0 * paths * (m + d) * 8.0 + model
    chunk = 8192   # paths per simulator call at most (its chunk rounded up to whole blocks on every device)
    toolkit = 3.0 * states + 16.0 * chunk * chains * (d + m) * 8.0 + model
    return [("the NumPy reference loop", numpy_side, 0.0), ("the simulator", toolkit, 0.0),
            ("the random-number ceiling", 2.0 * CEILING_NORMALS * 8.0, 0.0)]


def _no_observation(model, t, h_prev, h, x, w, g):
    return None


def _median_rate(seconds: list[float], work: float) -> float:
    return work / statistics.median(seconds)


def run_bench(paths: int = DEFAULTS["paths"], steps: int = DEFAULTS["steps"], chains: int = DEFAULTS["chains"],
              d: int = DEFAULTS["d"], m: int = DEFAULTS["m"], repeats: int = DEFAULTS["repeats"]) -> dict:
    """Measure and return the benchmark as a JSON-ready dict (see :func:`format_bench` for the fields)."""
    import jax
    import jax.numpy as jnp

    from ..theorems.model import Model, _key_words, _normals, path_key, simulate

    params = bench_model_params(d, m)
    model = Model.build(params["A"], params["B"], params["L"] @ params["L"].T, form="leaky", W=params["W"],
                        U=params["U"], b=params["b"], input_scale=params["input_scale"])
    key = jax.random.key(0)
    h0s = np.zeros((paths, chains, d))

    def toolkit() -> float:
        start = time.perf_counter()
        final, _ = simulate(model, key, h0s, steps, synchronous=True, observe=_no_observation,
                            chunk=SIMULATOR_CHUNK)
        if not np.all(np.isfinite(final)):   # pragma: no cover - the model contracts
            raise RuntimeError("bench: the simulated states are not finite")
        return time.perf_counter() - start

    def reference() -> float:
        start = time.perf_counter()
        numpy_reference(params, paths, steps, chains)
        return time.perf_counter() - start

    first_call = toolkit()               # warm-up: compilation plus one run
    reference()
    ours, theirs = [], []
    for _ in range(repeats):             # alternate, so that a burst of load hits both sides alike
        ours.append(toolkit())
        theirs.append(reference())
    work = float(paths) * steps
    ours_rate, theirs_rate = _median_rate(ours, work), _median_rate(theirs, work)

    devices = jax.devices()
    mesh = jax.sharding.Mesh(np.array(devices, dtype=object), ("d",))
    sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("d"))
    n = CEILING_NORMALS - CEILING_NORMALS % len(devices)
    words = _key_words(path_key(key, 0))
    ours_bulk = jax.jit(lambda w: _normals(w[0], w[1], 1, jnp.arange(n, dtype=jnp.uint32)), out_shardings=sharding)
    jax_bulk = jax.jit(lambda k: jax.random.normal(k, (n,), jnp.float64), out_shardings=sharding)

    def ceiling(fn, arg) -> list[float]:
        fn(arg).block_until_ready()
        seconds = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn(arg).block_until_ready()
            seconds.append(time.perf_counter() - start)
        return seconds

    ours_ceiling, jax_ceiling = ceiling(ours_bulk, words), ceiling(jax_bulk, key)
    ceiling_rate = _median_rate(ours_ceiling, float(n))
    normals = m + d   # the inputs and the one noise vector the chains of a path share
    return {
        "paths": paths, "steps": steps, "chains": chains, "d": d, "m": m, "repeats": repeats,
        "precision": "float64",
        "model": "sigmoid-gated leaky update, synchronous coupling (inputs and noise shared by the chains)",
        "normals_per_path_step": normals,
        "toolkit": {"path_steps_per_s": ours_rate, "seconds": ours, "first_call_seconds": first_call},
        "numpy": {"path_steps_per_s": theirs_rate, "seconds": theirs},
        "ratio": ours_rate / theirs_rate,
        "rng_ceiling": {"normals_per_s": ceiling_rate, "normals": n, "seconds": ours_ceiling,
                        "what": "the simulator's counter-based normals in bulk, float64, spread over every device",
                        "path_steps_per_s": ceiling_rate / (m + d)},
        "jax_random_normal": {"normals_per_s": _median_rate(jax_ceiling, float(n)), "seconds": jax_ceiling},
        "toolkit_normals_per_s": ours_rate * normals,
        "devices": [str(dev) for dev in devices],
        "platform": devices[0].platform,
        "jax": jax.__version__,
        "numpy_version": np.__version__,
    }


def format_bench(result: dict) -> str:
    """The benchmark as a few lines of text."""
    r = result
    lines = [
        f"model: d = {r['d']}, m = {r['m']}, {r['chains']} chain(s) per path, {r['paths']} paths × {r['steps']} steps, "
        f"{r['precision']}, {r['normals_per_path_step']} normals per path-step",
        f"toolkit: {r['toolkit']['path_steps_per_s'] / 1e6:.3f} M path-steps/s "
        f"(median of {r['repeats']}; first call {r['toolkit']['first_call_seconds']:.2f} s)",
        f"numpy:   {r['numpy']['path_steps_per_s'] / 1e6:.3f} M path-steps/s (median of {r['repeats']})",
        f"ratio:   {r['ratio']:.2f}× (toolkit / numpy)",
        f"random-number ceiling: {r['rng_ceiling']['normals_per_s'] / 1e6:.1f} M float64 normals/s "
        f"(the simulator's generator in bulk over {len(r['devices'])} device(s); jax.random.normal: "
        f"{r['jax_random_normal']['normals_per_s'] / 1e6:.1f} M/s), that is at most "
        f"{r['rng_ceiling']['path_steps_per_s'] / 1e6:.2f} M path-steps/s at {r['normals_per_path_step']} normals "
        f"each; the toolkit draws {r['toolkit_normals_per_s'] / 1e6:.1f} M/s",
        f"devices: {', '.join(r['devices'])} (JAX {r['jax']})",
    ]
    return "\n".join(lines)
