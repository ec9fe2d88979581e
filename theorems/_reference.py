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


def reference_s6_trajectory(params, h0s: np.ndarray, xs: np.ndarray, ws: np.ndarray) -> np.ndarray:
    """Trajectory (T, K, d) of K chains of Mamba's selective scan (S6) on inputs xs (T, m), noise ws (T, K, d).

    ``params``: an ``S6Params`` (attributes A_log (m, N), dt_proj_weight (m, r), dt_proj_bias (m,),
    x_proj_dt (r, m), x_proj_B (N, m)).  Scalar loops, written straight from the definition:
    Δ[c] = softplus(Σ_k dt_proj_weight[c, k] Σ_j x_proj_dt[k, j] x[j] + dt_proj_bias[c]),
    B[n] = Σ_j x_proj_B[n, j] x[j], h[c·N + n] ← exp(−exp(A_log[c, n]) Δ[c]) h[c·N + n] + Δ[c] B[n] x[c] + w.
    """
    import math

    A_log = np.asarray(params.A_log, float)
    dtw = np.asarray(params.dt_proj_weight, float)
    dtb = np.asarray(params.dt_proj_bias, float)
    xdt = np.asarray(params.x_proj_dt, float)
    xB = np.asarray(params.x_proj_B, float)
    m, N = A_log.shape
    r = dtw.shape[1]
    n_steps, n_chains = ws.shape[0], ws.shape[1]
    out = np.empty((n_steps, n_chains, m * N), dtype=float)
    hs = [[float(v) for v in h0] for h0 in np.asarray(h0s, float)]
    for t in range(n_steps):
        x = [float(v) for v in xs[t]]
        low = [sum(xdt[k, j] * x[j] for j in range(m)) for k in range(r)]
        dts = []
        for c in range(m):
            z = sum(dtw[c, k] * low[k] for k in range(r)) + dtb[c]
            dts.append(max(z, 0.0) + math.log1p(math.exp(-abs(z))))
        Bt = [sum(xB[n, j] * x[j] for j in range(m)) for n in range(N)]
        for chain in range(n_chains):
            h = hs[chain]
            for c in range(m):
                for n in range(N):
                    i = c * N + n
                    a = -math.exp(A_log[c, n])
                    h[i] = math.exp(dts[c] * a) * h[i] + dts[c] * Bt[n] * x[c] + float(ws[t, chain, i])
            out[t, chain] = h
    return out
