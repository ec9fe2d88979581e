"""A plain NumPy loop twin of the JAX simulator, for tests only.

Slow and obviously correct on purpose: one Python loop over steps and chains,
the update written exactly as in the paper.  Tests feed both implementations
identical pre-drawn inputs and noise and compare the trajectories.
"""

from __future__ import annotations

import numpy as np


def reference_gate(params: dict, x: np.ndarray, h: np.ndarray) -> np.ndarray:
    if params["gate"] in ("sigmoid", "tanh"):
        z = params["W"] @ x + params["U"] @ h + params["b"]
        if params["gate"] == "tanh":
            return np.tanh(z)                 # §3.0.5, as written: values in (−1, 1)
        return 1.0 / (1.0 + np.exp(-z))
    return np.broadcast_to(np.asarray(params["gate_value"], dtype=float), h.shape).copy()


def reference_trajectory(params: dict, h0s: np.ndarray, xs: np.ndarray, ws: np.ndarray) -> np.ndarray:
    """Trajectory (T, K, d) of K chains on inputs xs (T, m) and noise ws (T, K, d).

    ``params``: A, B, form ("gated" | "leaky"), gate ("constant" | "sigmoid" | "tanh"),
    gate_value or W, U, b.
    """
    A, B = np.asarray(params["A"], float), np.asarray(params["B"], float)
    n_steps, n_chains = ws.shape[0], ws.shape[1]
    out = np.empty_like(ws, dtype=float)
    hs = np.array(h0s, dtype=float)
    for t in range(n_steps):
        for c in range(n_chains):
            h = hs[c]
            g = reference_gate(params, xs[t], h)
            new = g * (A @ h + B @ xs[t]) + ws[t, c]
            if params["form"] == "leaky":
                new = new + (1.0 - g) * h
            hs[c] = new
        out[t] = hs
    return out
