"""Check of Theorem 2 (§6.1): convergence to a unique stationary law.

Each path runs K chains from fixed, different initial states (h_0 and
h_0 + R·u_j for fixed random unit vectors u_j), driven by the same inputs and
noise (synchronous coupling).  Measured, for every t ≤ T:

* the coupling distance E‖h_t − h'_t‖² between the copies (the proof's reading:
  copies merge),
* the second moments E‖h_t‖² of each copy (bounded if the chain converges),
* for a constant gate (a linear chain), the exact W2 distance between the law of
  h_t and the stationary law (Lyapunov equation), and a Monte Carlo check of
  the exact moments; otherwise the empirical W2 between the copies' laws at T
  beside its same-law noise floor.

Deciding comparisons (when the hypotheses hold): for each copy,
E‖h_T − h'_T‖ < E‖h_{T/2} − h'_{T/2}‖ — the copies are still approaching each
other over the second half of the horizon.  States that overflow to inf/NaN are
an observation of divergence and a FAIL.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

import estimators
from theorems import Regime
from theorems.model import safe_norm, simulate_traced
from theorems.theorem2 import THEOREM2, exact_moments, innovation_covariance, linear_transition

from ._base import Check, Settings, Simulation
from ._verdict import RESOLUTION, exact_comparison, ratio_comparison

N_COPIES = 2          # initial states besides h_0
EMPIRICAL_W2_MAX = 1000  # samples per law for the exact assignment-based empirical W2


def _observe(model, t, hs_prev, hs, x, w, g):
    return {"dist": safe_norm(hs[1:] - hs[0]), "sq": jnp.sum(hs * hs, axis=-1)}


def resolved_zero(dist: np.ndarray, sq_norm: np.ndarray) -> bool:
    """Every copy within float64 resolution of the base chain (separation < RESOLUTION·max(1, ‖h‖))."""
    return bool(np.all(dist < RESOLUTION * np.maximum(1.0, np.sqrt(sq_norm))))


def initial_states(regime: Regime, settings: Settings) -> np.ndarray:
    radius = float(regime.setting("theorem2", "initial_radius"))
    u = settings.rng(regime.name, "theorem2", "initial directions").standard_normal((N_COPIES, regime.d))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    return np.vstack([regime.h0, regime.h0 + radius * u])


class Theorem2Check(Check):
    claim = THEOREM2

    def planned_comparisons(self, regime, settings):
        return N_COPIES if self.decides(regime) else 0

    def simulation(self, regime: Regime, settings: Settings, probe: bool = False) -> Simulation:
        starts = initial_states(regime, settings)
        return Simulation(
            "theorem2", int(regime.setting("theorem2", "steps")), ("synchronous",), _observe,
            lambda first, n: np.repeat(starts[None], n, axis=0),
            lambda final, obs: {"final": final, "dist": obs["dist"], "sq": obs["sq"]},
        )

    def margin_function(self, regime, settings, n):
        """max over copies of E‖Δ_T‖/E‖Δ_(T/2)‖ − 1, differentiable in the model (fixed paths)."""
        sim = self.simulation(regime, settings, probe=True)
        h0s, paths = jnp.asarray(sim.initial(0, n)), jnp.arange(n, dtype=jnp.int64)
        key, steps = settings.key(regime.name, sim.purpose, "synchronous"), sim.n_steps
        half = max(steps // 2, 1)

        def margin(model):
            _, obs = simulate_traced(model, key, paths, h0s, steps, True, _observe)
            late, early = obs["dist"][:, steps - 1, :].mean(axis=0), obs["dist"][:, half - 1, :].mean(axis=0)
            merged = jax.lax.stop_gradient(early) == 0.0
            return jnp.max(jnp.where(merged, -1.0, late / jnp.where(merged, 1.0, early) - 1.0))

        return margin

    def comparisons(self, regime, data, level, decides):
        steps = int(regime.setting("theorem2", "steps"))
        half = max(steps // 2, 1)
        dist, sq = data["synchronous.dist"], data["synchronous.sq"]
        comps = []
        for j in range(N_COPIES):
            label = f"copy {j + 1}: E‖Δ_T‖ / E‖Δ_(T/2)‖, T={steps}"
            a, b = dist[:, steps - 1, j], dist[:, half - 1, j]
            if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
                bad = int(np.sum(~np.isfinite(dist[:, :, j]).any(axis=1)))
                comps.append(exact_comparison(label, math.inf, 1.0, "<", n=a.size, decides=decides,
                                              meta={"copy": j + 1, "note": f"diverged: {bad} path(s) overflowed"}))
            elif not np.any(a) or resolved_zero(b, sq[:, half - 1, 0]):
                # Copies equal to float64 resolution at T/2 (or exactly at T): merged.
                comps.append(exact_comparison(label, 0.0, 1.0, "<", n=a.size, decides=decides,
                                              meta={"copy": j + 1, "note": "copies merged to float64 resolution"}))
            else:
                comps.append(ratio_comparison(a, b, 1.0, level, label=label, claimed="<", decides=decides,
                                              meta={"copy": j + 1}))
        return comps

    def details(self, regime, settings, comps, data):
        steps = int(regime.setting("theorem2", "steps"))
        starts = initial_states(regime, settings)
        out = {
            "rests_on": "synchronous coupling from different initial states: the copies still approach each "
                        "other over the second half of the horizon (the reading of the paper's proof)",
            "caveats": self._caveats(regime),
            "steps": steps, "initial_states": starts.tolist(),
            "statistic_name": "ratio E‖h_T − h'_T‖ / E‖h_(T/2) − h'_(T/2)‖",
            **self._laws(regime, settings, starts, steps, data),
        }
        out["plots"] = [self._plot(regime, data, out)]
        return out

    @staticmethod
    def _caveats(regime):
        out = []
        if regime.gate_kind == "constant":
            out.append("L_G = 0: the hypotheses put no bound on ρ, so they cannot exclude divergence")
        if regime.gate_depends_on_state:
            out.append("state-dependent gate: copies that do not merge would not by themselves rule out "
                       "a unique stationary law; the proof's reading is what is tested")
        return out

    def _laws(self, regime, settings, starts, steps, data) -> dict:
        """Reading (a): distance between laws; exact for a linear (constant-gate) chain."""
        out: dict = {}
        final = data["synchronous.final"]
        M = linear_transition(regime)
        if M is not None:
            radius = float(np.max(np.abs(np.linalg.eigvals(M))))
            out["linear"] = {"spectral_radius_M": radius, "exact_converges": radius < 1.0,
                             "exact_law": "Gaussian" if regime.input_law == "gaussian" else
                             "not Gaussian (Rademacher inputs): W2 shown is the Gelbrich lower bound"}
            if radius < 1.0:
                sigma = estimators.stationary_covariance(M, innovation_covariance(regime))
                w2 = []
                for start in starts:
                    means, covs = exact_moments(regime, start, steps)
                    w2.append([estimators.gaussian_w2(means[t], covs[t], np.zeros(regime.d), sigma)
                               for t in range(1, steps + 1)])
                out["linear"]["exact_w2_to_stationary"] = w2
                means, covs = exact_moments(regime, starts[0], steps)
                if np.all(np.isfinite(final[:, 0])):
                    emp_mean = final[:, 0].mean(axis=0)
                    se = np.sqrt(np.diag(covs[steps]) / final.shape[0])
                    out["linear"]["mean_check"] = {
                        "exact": means[steps].tolist(), "monte_carlo": emp_mean.tolist(),
                        "z_max": float(np.max(np.abs(emp_mean - means[steps]) / np.where(se > 0, se, 1.0))),
                    }
        if np.all(np.isfinite(final)):
            k = min(EMPIRICAL_W2_MAX, final.shape[0] // 2)
            base = final[:k, 0]
            out["empirical_w2"] = {
                "samples_per_law": k,
                "between_copies": [estimators.empirical_w2(base, final[:k, j]) for j in range(1, final.shape[1])],
                "same_law_floor": estimators.empirical_w2(base, final[k:2 * k, 0]),
            }
        return out

    def _plot(self, regime, data, details) -> dict:
        steps = details["steps"]
        ts = list(range(1, steps + 1))
        with np.errstate(over="ignore", invalid="ignore"):
            d2 = np.mean(data["synchronous.dist"] ** 2, axis=0)
            m2 = np.mean(data["synchronous.sq"], axis=0)
        coupling = [{"label": f"E‖h_t − h'_t‖², copy {j + 1}", "x": ts, "y": d2[:, j].tolist(), "style": "solid"}
                    for j in range(d2.shape[1])]
        moments = [{"label": f"E‖h_t‖², start {k}", "x": ts, "y": m2[:, k].tolist(), "style": "solid"}
                   for k in range(m2.shape[1])]
        panels = [
            {"xlabel": "step t", "ylabel": "E‖h_t − h'_t‖² (state units²)", "yscale": "log",
             "series": coupling, "hlines": [], "title": "coupling distance (synchronous)"},
            {"xlabel": "step t", "ylabel": "E‖h_t‖² (state units²)", "yscale": "log",
             "series": moments, "hlines": [], "title": "second moments"},
        ]
        lin = details.get("linear", {})
        if "exact_w2_to_stationary" in lin:
            panels.append({
                "xlabel": "step t", "ylabel": "W2(law h_t, π) (state units)", "yscale": "log", "hlines": [],
                "title": "exact W2 to the stationary law",
                "series": [{"label": f"start {k}", "x": ts, "y": w, "style": "solid"}
                           for k, w in enumerate(lin["exact_w2_to_stationary"])],
            })
        return {"title": f"Theorem 2: convergence — {regime.name}", "panels": panels}
