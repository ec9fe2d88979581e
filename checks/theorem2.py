"""Check of Theorem 2 (§6.1): mean-square convergence to a unique stationary law, from every start.

The claim is decided in one of three tiers, named in the row's ``details.method``:

* **linear** (the gate depends on neither x nor h): h_t = M h_{t−1} + η_t converges in mean
  square from every start iff ρ(M) < 1.  Decided exactly (``theorems.theorem2.
  spectral_radius_certificate``); the exact moments and the exact W2 distance to the
  stationary law are reported, and the Monte Carlo paths only cross-check them.
* **input-gated** (the gate reads x only): h_t = M(x_t) h_{t−1} + η_t with i.i.d. random
  matrices; mean-square stable iff the spectral radius of E[M ⊗ M] is below 1
  (``estimators.second_moment_radius``: exact enumeration, quadrature or Monte Carlo with an
  interval).
* **state-dependent** (the gate reads h): Monte Carlo.  Each path runs one chain from h_0 and
  one from h_0 + r·u for every radius r (from 1e-3 to 1e4 times the regime's own length scale,
  plus any the regime file gives; a fresh random direction u per path), all on the same inputs and
  noise (synchronous coupling).
  FAIL where the states overflow (divergence observed) or the coupling distance E‖h_t − h'_t‖²
  grows significantly over the second half of the window; PASS only where it decays
  significantly from every start; INCONCLUSIVE otherwise.  The window ends at the horizon, or
  earlier where some pair's distance falls below float64 resolution (merged copies are an
  observation of contraction, not a statistic).  A pilot share of the paths picks the start
  most likely to violate (sample splitting), so one comparison per row may FAIL.

Every row also reports the top Lyapunov exponent λ₁ (exact for linear chains, else jvp tangent
propagation along paths): λ₁ < 0 is the sharp criterion for almost-sure synchronisation, which
differs from mean-square convergence (a chain can synchronise with an infinite stationary variance).

Mamba's selective scan (form "s6") is input-gated with the diagonal transition M(x) = diag(exp(Δ(x)A))
(linear when its inputs are 0).  ρ(E[M ⊗ M]) = max_i E[decay_i²] (``estimators.
s6_second_moment_radius``), and it is below 1 by exact mathematics: every decay lies in (0, 1) because
Δ = softplus(·) > 0 and A = −exp(A_log) < 0.  So no S6 layer fails Theorem 2; the row is a PASS (method
"exact") with the radius and 1 − ρ reported.  λ₁ is exact too (``theorems.s6.lyapunov_exponent``:
max A[c, n]·E[Δ_c], the slowest-forgetting coordinate), and the row reports Mamba's memory measured: per
(channel, state index) the forgetting rate E[Δ_c]·|A[c, n]| and the memory length (steps until the
retained fraction of a past input falls below 1/e, typical and mean), in ``details["s6_memory"]`` and in
a figure.
"""

from __future__ import annotations

import dataclasses
import math
import types

import jax.numpy as jnp
import numpy as np

from .. import estimators
from ..estimators._lyapunov_exponent import LyapunovEstimate, linear_lyapunov_exponent, top_lyapunov_exponent
from ..theorems import Regime
from ..theorems import _constants as K
from ..theorems.model import safe_norm, simulate_traced
from ..theorems.theorem2 import (INPUT_GATED, LINEAR, STATE_DEPENDENT, THEOREM2, chain_tier,
                               exact_moments, innovation_covariance, is_s6, linear_transition,
                               spectral_radius_certificate)

from ._base import (SECONDS_PER_FLOP, SECONDS_PER_ROW, SimulatorCheck, Settings, Simulation, chain_step_seconds,
                    pilot_size, simulation_estimate, total_paths)
from ._verdict import (EPS, HOLDS, RESOLUTION_ULPS, UNDECIDED, VIOLATED, exact_comparison, interval_comparison,
                       observation_comparison, ratio_comparison)

RELATIVE_RADII = (1e-3, 1.0, 1e2, 1e4)   # starts h_0 + r·u, r in units of the regime's length scale
EMPIRICAL_W2_MAX = 1000                  # samples per law for the exact assignment-based empirical W2
LYAPUNOV_PATHS = 256
LYAPUNOV_STEPS, LYAPUNOV_BURN_IN = 200, 50   # one horizon for every row: one compilation per (d, m)


def _observe_deciding(model, t, hs_prev, hs, x, w, g):
    """What the coupling comparisons read: squared distances to the chain from h_0, and their rounding scale."""
    scale = safe_norm(hs) + safe_norm(hs_prev @ model.A.T) + safe_norm(model.B @ x) + safe_norm(w) + safe_norm(hs_prev)
    diff = hs[1:] - hs[0]
    return {"dist2": jnp.sum(diff * diff, axis=-1), "scale": scale[0] + scale[1:]}


def _observe(model, t, hs_prev, hs, x, w, g):
    """The deciding values plus ‖h_t‖² of every chain (the reported second moments)."""
    return {**_observe_deciding(model, t, hs_prev, hs, x, w, g), "sq": jnp.sum(hs * hs, axis=-1)}


def radii(regime: Regime) -> tuple[float, ...]:
    """Distances of the starts from h_0: the regime's own scale × RELATIVE_RADII, plus any it gives."""
    own = [f * regime.length_scale() for f in RELATIVE_RADII]
    given = list(regime.setting("theorem2", "radii") or ())
    legacy = regime.setting("theorem2", "initial_radius")
    if legacy is not None:
        given.append(float(legacy))
    return tuple(sorted(set(own + given)))


def initial_states(regime: Regime, settings: Settings) -> np.ndarray:
    """Representative starts (one fixed direction per radius) for the exact laws a linear chain reports;
    the simulation draws a fresh direction per path."""
    rs = radii(regime)
    u = settings.rng(regime.name, "theorem2", "initial directions").standard_normal((len(rs), regime.d))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    return np.vstack([regime.h0, regime.h0 + np.asarray(rs)[:, None] * u])


def _steps(regime) -> int:
    return int(regime.setting("theorem2", "steps"))


class Theorem2Check(SimulatorCheck):
    claim = THEOREM2

    def splits(self, regime) -> bool:
        return chain_tier(regime) == STATE_DEPENDENT

    def estimate(self, regime, settings):
        """The coupled paths (3 values per chain and step), plus the tier's own work: the exact moments and W2
        of a linear chain, the d² × d² second-moment operator of an input-gated one, λ₁ for the others."""
        tier = chain_tier(regime)
        d, m, steps = regime.d, regime.m, _steps(regime)
        starts = 1 + len(radii(regime))
        stages = 1 if tier == LINEAR else settings.max_stages
        pilot = pilot_size(settings) if tier == STATE_DEPENDENT and settings.stages is None else 0
        mem, seconds = simulation_estimate(total_paths(settings, stages, pilot), steps, starts, 1, d, m, 3 * starts)
        if tier == LINEAR:
            # exact_moments keeps (steps + 1) d×d covariances (twice: list and array), two calls alive at once;
            # W2 at every step from every start costs a few d×d square roots.
            mem = max(mem, 4.0 * (steps + 1) * d * d * 8)
            seconds += (starts + 1) * steps * (60.0 * d ** 3 * SECONDS_PER_FLOP + 5e-5)
        elif is_s6(regime):
            # one-dimensional expectations per channel: ~1e3 quadrature nodes (or atoms) × N, a few times
            mem = max(mem, 64.0 * 1024 * max(regime.s6.N, 1) * 8)
            seconds += 0.01 * regime.m
        elif tier == INPUT_GATED:
            if regime.input_law == "rademacher" and m <= 12:
                nodes = 2 ** m
            elif regime.input_law == "gaussian" and m <= 3:
                nodes = min(2 ** 21, 1024 ** m)
            else:
                nodes = 100_000
            mem = max(mem, 3.0 * nodes * d * d * 8 + 6.0 * d ** 4 * 8)
            seconds += 2 * (2.0 * nodes * d ** 4 + 25.0 * d ** 6) * SECONDS_PER_FLOP
        k = min(EMPIRICAL_W2_MAX, settings.paths // 2)   # empirical W2: an exact k × k assignment per start
        seconds += starts * 0.5e-9 * k ** 3 if d > 1 else 0.0
        mem = max(mem, 4.0 * k * k * 8)
        lyap_mem, lyap_seconds = lyapunov_estimate(regime, settings)
        return max(mem, lyap_mem), seconds + lyap_seconds + SECONDS_PER_ROW

    def planned_comparisons(self, regime, settings):
        if not self.decides(regime):
            return 0
        tier = chain_tier(regime)
        if tier == STATE_DEPENDENT:
            return 1 if settings.stages is None else len(radii(regime))
        if tier == INPUT_GATED and not is_s6(regime):
            return 1   # the Monte Carlo method of the second-moment radius uses the level; the others do not
        return 0       # form s6: exact

    def simulation(self, regime: Regime, settings: Settings, probe: bool = False) -> Simulation:
        rs = np.asarray(radii(regime))

        def initial(first, n):
            # A fresh direction per path and radius (as Lemma 1 does): a basin that lies in some direction
            # is met by a share of the paths, not by luck of one draw (in 1-D: either sign).
            rng = settings.rng(regime.name, "theorem2", f"directions from path {first}")
            u = rng.standard_normal((n, rs.size, regime.d))
            u /= np.linalg.norm(u, axis=2, keepdims=True)
            h0s = np.repeat(regime.h0[None, None, :], 1 + rs.size, axis=1).repeat(n, axis=0)
            h0s[:, 1:, :] += rs[None, :, None] * u
            return h0s

        # A probe needs verdicts only: it leaves out the reported ‖h_t‖² (a third of the stored values).
        return Simulation("theorem2", _steps(regime), ("synchronous",), _observe_deciding if probe else _observe,
                          initial, lambda final, obs: {"final": final, **obs})

    def margin_function(self, regime, settings, n):
        """max over starts of E‖Δ_T‖²/E‖Δ_(T/2)‖² − 1 on n fixed paths, differentiable in the model."""
        sim = self.simulation(regime, settings, probe=True)
        h0s, paths = jnp.asarray(sim.initial(0, n)), jnp.arange(n, dtype=jnp.int64)
        key, steps = settings.key(regime.name, sim.purpose, "synchronous"), sim.n_steps
        half = max(steps // 2, 1)

        def margin(model):
            _, obs = simulate_traced(model, key, paths, h0s, steps, True, sim.observe)
            late, early = obs["dist2"][:, steps - 1, :].mean(axis=0), obs["dist2"][:, half - 1, :].mean(axis=0)
            return jnp.max(late / early - 1.0)

        return margin

    # --- decisions ------------------------------------------------------------------------------

    def comparisons(self, regime, data, level, decides):
        tier = chain_tier(regime)
        if tier == LINEAR:
            return [self._linear_comparison(regime, decides)]
        if tier == INPUT_GATED:
            return [self._second_moment_comparison(regime, level, decides)]
        return self._coupling_comparisons(regime, data, level, decides)

    @staticmethod
    def _linear_comparison(regime, decides):
        decision, rho, how = spectral_radius_certificate(linear_transition(regime))
        comp = exact_comparison("ρ(M) < 1 (linear chain)", rho, 1.0, "<", decides=decides,
                                meta={"certificate": how}, rtol=0.0)
        mapped = {"below": HOLDS, "at-or-above": VIOLATED}.get(decision, UNDECIDED)
        return dataclasses.replace(comp, decision=mapped, tolerance=0.0,
                                   z=math.inf if mapped == VIOLATED else -math.inf if mapped == HOLDS else 0.0)

    @staticmethod
    def _s6_second_moment_comparison(regime, decides):
        """ρ(E[M ⊗ M]) = max_i E[decay_i²] < 1 for an S6 layer: decided by the exact argument 0 < decay < 1
        (the computed radius and 1 − ρ are reported beside it)."""
        from ..theorems.s6 import S6Error
        try:
            res = _second_moment(regime, 0.5)
        except S6Error as exc:   # the radius cannot be evaluated here (e.g. too many binary inputs): the proof stands
            res = types.SimpleNamespace(estimate=math.nan, method="not computed", note=str(exc))
        label = "ρ(E[M(x) ⊗ M(x)]) = max_i E[exp(2Δ_c A[c, n])] < 1 (S6, input-gated chain)"
        proof = ("exact: decay_i(x) = exp(Δ_c(x)·A[c, n]) ∈ (0, 1) for every input, since Δ_c = softplus(·) > 0 and "
                 "A[c, n] = −exp(A_log[c, n]) < 0; hence E[decay_i²] < 1 for every i, and E[M ⊗ M] is diagonal "
                 "with entries E[decay_i decay_j] ≤ max_k E[decay_k²] (Cauchy–Schwarz), so ρ = max_i E[decay_i²] < 1")
        meta = {"second_moment_method": res.method, "certificate": proof, "where": res.note}
        comp = exact_comparison(label, res.estimate, 1.0, "<", decides=decides, meta=meta, rtol=0.0)
        return dataclasses.replace(comp, decision=HOLDS, tolerance=0.0, z=-math.inf)

    @staticmethod
    def _second_moment_comparison(regime, level, decides):
        if is_s6(regime):
            return Theorem2Check._s6_second_moment_comparison(regime, decides)
        res = _second_moment(regime, level)
        label = "ρ(E[M(x) ⊗ M(x)]) < 1 (input-gated chain)"
        meta = {"second_moment_method": res.method}
        if res.method == "monte-carlo":
            return interval_comparison(label, res.estimate, res.ci[0], res.ci[1], 1.0, "<", res.n, decides=decides,
                                       meta=meta)
        err = float(getattr(res, "numerical_error", 0.0) or 0.0)
        return exact_comparison(label, res.estimate, 1.0, "<", decides=decides, meta=meta,
                                scale=err / 1e-9 if err > 0 else None)

    @staticmethod
    def _coupling_comparisons(regime, data, level, decides):
        dist2, scale, final = data["synchronous.dist2"], data["synchronous.scale"], data["synchronous.final"]
        n, steps, k = dist2.shape
        # One pass over all values first; the per-path reductions (20x the cost, on every probe cell) only
        # to count the paths when something is not finite
        if not (np.isfinite(dist2).all() and np.isfinite(final).all()):
            bad = ~np.isfinite(dist2).all(axis=1) | ~np.isfinite(final).all(axis=(1, 2))[:, None]
            paths = int(bad.any(axis=1).sum())
            return [observation_comparison("states stay finite", math.inf, 1.0, "<", VIOLATED, n=n, decides=decides,
                                           meta={"note": f"states overflowed float64 on {paths} of {n} path(s): "
                                                         "divergence observed"})]
        rs = radii(regime)
        with np.errstate(invalid="ignore"):
            resolved = (dist2 >= (RESOLUTION_ULPS * EPS * scale) ** 2).all(axis=0)   # (steps, k)
        comps = []
        for j in range(k):
            ok = resolved[:, j]
            t2 = steps if ok.all() else int(np.argmin(ok))   # last resolved step (1-based count)
            label = f"start {j + 1} (radius {rs[j]:.3g}): E‖Δ_t2‖² / E‖Δ_t1‖²"
            meta = {"start": j + 1, "radius": rs[j]}
            if t2 < 2:
                meta["note"] = "the copies are not resolved by float64 after one step: not decided"
                comps.append(exact_comparison(label, math.nan, 1.0, "<", decides=decides, meta=meta))
                continue
            t1 = max(t2 // 2, 1)
            meta.update({"t1": t1, "t2": t2})
            if t2 < steps:
                meta["note"] = (f"copies merged below float64 resolution after step {t2}: window ends there "
                                "(contraction observed)")
            a, b = dist2[:, t2 - 1, j], dist2[:, t1 - 1, j]
            # Rounding moves a distance by ~r = RESOLUTION_ULPS·ε·scale, so its square by ~2r·‖Δ‖ + r².
            r2, r1 = RESOLUTION_ULPS * EPS * scale[:, t2 - 1, j], RESOLUTION_ULPS * EPS * scale[:, t1 - 1, j]
            tol = float(np.mean(2.0 * (r2 * np.sqrt(a) + r1 * np.sqrt(b)) + r2 * r2 + r1 * r1))
            comps.append(ratio_comparison(a, b, 1.0, level, label=label, claimed="<", decides=decides, meta=meta,
                                          tol=tol))
        return comps

    # --- report -----------------------------------------------------------------------------------

    def details(self, regime, settings, comps, data):
        steps = _steps(regime)
        starts = initial_states(regime, settings)
        tier = chain_tier(regime)
        method = {LINEAR: "exact: spectral radius of M", INPUT_GATED: "second-moment operator E[M ⊗ M]",
                  STATE_DEPENDENT: "monte-carlo: coupling from many starts"}[tier]
        if is_s6(regime) and tier == INPUT_GATED:
            method = "exact: second-moment operator E[M ⊗ M] of S6, ρ = max_i E[decay_i²] < 1 since 0 < decay < 1"
        out = {
            "method": method, "tier": tier,
            "rests_on": "mean-square convergence from every start: " + {
                LINEAR: "ρ(M) < 1 is necessary and sufficient for a linear chain",
                INPUT_GATED: "ρ(E[M(x) ⊗ M(x)]) < 1 is necessary and sufficient for i.i.d. random linear maps",
                STATE_DEPENDENT: "synchronous coupling from starts near h_0 and far from it must decay",
            }[tier],
            "caveats": self._caveats(regime),
            "steps": steps, "initial_states": starts.tolist(), "radii": list(radii(regime)),
            "statistic_name": {LINEAR: "spectral radius ρ(M)", INPUT_GATED: "spectral radius of E[M ⊗ M]",
                               STATE_DEPENDENT: "ratio E‖h_t2 − h'_t2‖² / E‖h_t1 − h'_t1‖²"}[tier],
            "lyapunov_exponent": lyapunov_json(regime, settings, steps),
            **self._moments(regime, data),
            **self._laws(regime, settings, starts, steps, data),
        }
        if tier == INPUT_GATED:
            res = _second_moment(regime, settings.level)
            out["second_moment"] = {"estimate": res.estimate, "ci": list(res.ci), "method": res.method}
            if is_s6(regime):
                from ..estimators._second_moment import s6_decay_second_moments, s6_second_moments
                m1 = s6_second_moments(regime.s6, regime.input_law, regime.input_scale)
                out["second_moment"].update({
                    "one_minus_radius": -float(np.max(m1)), "where": res.note,
                    "per_coordinate": s6_decay_second_moments(regime.s6, regime.input_law,
                                                              regime.input_scale).tolist(),
                    "meaning": "E[decay_i²] per (channel, state index); the operator E[M ⊗ M] is diagonal and its "
                               "spectral radius is the largest of these"})
        out["plots"] = [self._plot(regime, data, out)]
        if is_s6(regime):
            out["s6_memory"] = s6_memory_json(regime)
            out["plots"].append(s6_memory_plot(regime, out["s6_memory"], out["lyapunov_exponent"]))
        return out

    @staticmethod
    def _caveats(regime):
        out = []
        if chain_tier(regime) == LINEAR:
            out.append("L_G = 0: the hypotheses put no bound on ρ, so they cannot exclude divergence")
        if regime.gate_depends_on_state:
            out.append("κ = ρ·L_G has units of 1/state: the hypothesis ρ·L_G < 1 changes when the state is "
                       "measured in other units, while the conclusion does not")
            out.append("a finite test cannot cover every start: starts near h_0 and at radii up to 1e4 times the "
                       "regime's own scale are tried")
        out += [h.detail for h in K.gate_range_hypotheses(regime, needed=False, why=K.LIPSCHITZ_CLAIMS_RANGE)]
        return out

    @staticmethod
    def _moments(regime, data) -> dict:
        sq = data["synchronous.sq"]
        steps = sq.shape[1]
        half = max(steps // 2, 1)
        with np.errstate(all="ignore"):
            late, early = sq[:, steps - 1, :].mean(axis=0), sq[:, half - 1, :].mean(axis=0)
            ratio = late / early
        return {"second_moment_ratio": {"label": "E‖h_T‖² / E‖h_(T/2)‖² per start (reported, not deciding)",
                                        "values": ratio.tolist()}}

    def _laws(self, regime, settings, starts, steps, data) -> dict:
        """Reading (a): distance between laws; exact for a linear chain."""
        out: dict = {}
        final = data["synchronous.final"]
        M = linear_transition(regime)
        if M is not None:
            decision, radius, how = spectral_radius_certificate(M)
            converges = {"below": True, "at-or-above": False}.get(decision)
            if is_s6(regime):   # S6 without inputs: its decays are < 1 by proof, even where float64 rounds them to 1
                converges, how = True, "exact: every decay exp(softplus(b_Δ)_c·A[c, n]) < 1 since Δ > 0 and A < 0"
            out["linear"] = {"spectral_radius_M": radius, "certificate": how, "exact_converges": converges,
                             "exact_law": "Gaussian" if regime.input_law == "gaussian" else
                             "not Gaussian (Rademacher inputs): W2 shown is the Gelbrich lower bound"}
            S = innovation_covariance(regime)
            sigma = estimators.stationary_covariance(M, S) if decision == "below" and np.all(np.isfinite(S)) else None
            if sigma is not None and np.all(np.isfinite(sigma)):
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
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            d2 = np.mean(data["synchronous.dist2"], axis=0)
            m2 = np.mean(data["synchronous.sq"], axis=0)
            step_ratio = d2[1:] / d2[:-1]
        rs = details["radii"]
        coupling = [{"label": f"E‖h_t − h'_t‖², start r={rs[j]:.3g}", "x": ts, "y": d2[:, j].tolist(),
                     "style": "solid"} for j in range(d2.shape[1])]
        moments = [{"label": f"E‖h_t‖², start {k}", "x": ts, "y": m2[:, k].tolist(), "style": "solid"}
                   for k in range(m2.shape[1])]
        lyap = details["lyapunov_exponent"]
        hlines = []
        rate = _exp(2.0 * lyap["estimate"]) if lyap.get("estimate") is not None else math.nan
        if math.isfinite(rate) and rate > 0.0:
            hlines.append({"y": rate, "label": f"exp(2λ₁) = {rate:.3g} per step ({lyap['method']})"})
        panels = [
            {"xlabel": "step t", "ylabel": "E‖h_t − h'_t‖² (state units²)", "yscale": "log",
             "series": coupling, "hlines": [], "title": "coupling distance (synchronous)"},
            {"xlabel": "step t", "ylabel": "E‖h_t‖² (state units²)", "yscale": "log",
             "series": moments, "hlines": [], "title": "second moments"},
            {"xlabel": "step t", "ylabel": "E‖Δ_t‖² / E‖Δ_(t−1)‖² (dimensionless)", "yscale": "log",
             "title": "one-step coupling ratio",
             "series": [{"label": f"start r={rs[j]:.3g}", "x": ts[1:],
                         "y": step_ratio[:, j].tolist(), "style": "solid"} for j in range(d2.shape[1])],
             "hlines": hlines},
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


def _exp(x: float) -> float:
    """exp that overflows to inf (as NumPy does) instead of raising."""
    with np.errstate(over="ignore"):
        return float(np.exp(x))


def _second_moment(regime, level):
    """ρ(E[M(x) ⊗ M(x)]) for an input-gated regime, its interval at error ``level`` per side."""
    from ..estimators._second_moment import second_moment_radius_regime
    return second_moment_radius_regime(regime, confidence=1.0 - 2.0 * level)


def s6_memory_json(regime) -> dict:
    """Mamba's memory, per (channel c, state index n): the forgetting rate E[Δ_c]·|A[c, n]| (nats per step) and
    the memory length in steps, "typical" (k·rate > 1) and "mean" (E[decay]^k < 1/e); see ``theorems.s6``."""
    from ..theorems.s6 import forgetting_rates, memory_lengths
    p, law, s = regime.s6, regime.input_law, regime.input_scale
    rates = forgetting_rates(p, law, s)
    lengths = memory_lengths(p, law, s)
    i = int(np.argmin(rates))
    c, n = divmod(i, p.N)
    return {
        "rates": rates.tolist(), "memory_typical": lengths["typical"].tolist(),
        "memory_mean": lengths["mean"].tolist(),
        "slowest": {"channel": c, "state": n, "index": i, "rate": float(rates[c, n]),
                    "memory_typical": float(lengths["typical"][c, n]), "memory_mean": float(lengths["mean"][c, n])},
        "units": {"rates": "nats per step", "memory": "steps"},
        "meaning": ("rates[c][n] = E[Δ_c]·|A[c, n]|: the retained fraction of a past input to h[c, n] falls like "
                    "exp(−k·rate) after k steps (almost surely, for large k); memory_typical: the fewest steps k with "
                    "k·rate > 1; memory_mean: the fewest k with E[exp(Δ_c A[c, n])]^k < 1/e (never shorter, by "
                    "Jensen). The slowest coordinate attains λ₁ = −min rate."),
    }


def s6_memory_plot(regime, mem: dict, lyap: dict) -> dict:
    """Figure spec: memory length (steps) and forgetting rate (nats per step) per state index, one line per
    channel."""
    N = regime.s6.N
    ns = list(range(N))
    length_series, rate_series = [], []
    for c, (typ, mean, rate) in enumerate(zip(mem["memory_typical"], mem["memory_mean"], mem["rates"])):
        length_series.append({"label": f"typical (k·rate > 1), channel {c}", "x": ns, "y": typ, "style": "solid",
                              "marker": "o"})
        length_series.append({"label": f"mean (E[decay]^k < 1/e), channel {c}", "x": ns, "y": mean,
                              "style": "dashed", "marker": "s"})
        rate_series.append({"label": f"E[Δ_c]·|A[c, n]|, channel {c}", "x": ns, "y": rate, "style": "solid",
                            "marker": "o"})
    slow = mem["slowest"]
    hlines = []
    if lyap.get("estimate") is not None and math.isfinite(lyap["estimate"]):
        hlines.append({"y": -lyap["estimate"], "label": f"−λ₁ = {-lyap['estimate']:.3g} ({lyap['method']}), "
                                                         f"channel {slow['channel']}, state {slow['state']}"})
    return {
        "title": f"Mamba's memory per channel and state index — {regime.name}",
        "panels": [
            {"xlabel": "state index n", "ylabel": "memory length (steps)", "yscale": "log",
             "series": length_series, "hlines": [], "title": "steps until a past input's share falls below 1/e",
             "note": f"slowest: channel {slow['channel']}, state {slow['state']}, about {slow['memory_typical']:.0f} "
                     "steps (typical)"},
            {"xlabel": "state index n", "ylabel": "forgetting rate (nats per step)", "yscale": "log",
             "series": rate_series, "hlines": hlines, "title": "forgetting rate E[Δ_c]·|A[c, n]|"},
        ],
    }


def lyapunov_estimate(regime, settings) -> tuple[float, float]:
    """(bytes, seconds) of :func:`lyapunov_json`: exact (a few d×d decompositions) for a linear chain, else
    tangent propagation (about three chain steps per step) along LYAPUNOV_PATHS paths."""
    d, m = regime.d, regime.m
    if is_s6(regime):
        return 8.0 * 1024 * 8, 0.01 * m
    if chain_tier(regime) == LINEAR:
        return 8.0 * 8 * d * d, 50.0 * d ** 3 * SECONDS_PER_FLOP
    n = LYAPUNOV_PATHS // 2 if settings.quick else LYAPUNOV_PATHS
    return (8.0 * 256 * (d * d + d + m) * 8,
            n * (LYAPUNOV_STEPS + LYAPUNOV_BURN_IN) * 3 * chain_step_seconds(d, m))


def lyapunov_json(regime, settings, steps: int | None = None) -> dict:
    """The top Lyapunov exponent λ₁ (nats per step): exact for linear chains, else jvp along paths
    (LYAPUNOV_STEPS steps after LYAPUNOV_BURN_IN, from h_0, 95 % Student-t interval over paths).

    Form "s6": exact, λ₁ = max A[c, n]·E[Δ_c] (``theorems.s6.lyapunov_exponent``: the transition is diagonal,
    so each coordinate's log-product of decays obeys the law of large numbers), with the (channel, state)
    attaining it."""
    if is_s6(regime):
        from ..theorems.s6 import lyapunov_exponent
        lam = lyapunov_exponent(regime.s6, regime.input_law, regime.input_scale)
        return {"estimate": lam.exponent, "ci": [lam.exponent, lam.exponent], "method": "exact",
                "confidence": None, "n_paths": 0, "n_steps": 0,
                "channel": lam.channel, "state": lam.state, "index": lam.index,
                "meaning": "λ₁ < 0: synchronised copies merge almost surely (the sharp pathwise criterion); S6: "
                           "λ₁ = max A[c, n]·E[Δ_c], attained at (channel, state)"}
    model = regime.model()
    M = linear_transition(regime)
    if M is not None:   # from the regime's M: a sigmoid/tanh gate with W ≠ 0 is constant, φ(b), when s = 0
        lam = linear_lyapunov_exponent(M)
        est = LyapunovEstimate(lam, (lam, lam), "exact", 0, 0)
    else:
        n = LYAPUNOV_PATHS // 2 if settings.quick else LYAPUNOV_PATHS
        est = top_lyapunov_exponent(model, settings.key(regime.name, "lyapunov"), n_paths=n,
                                    n_steps=LYAPUNOV_STEPS, burn_in=LYAPUNOV_BURN_IN, confidence=0.95)
    return {"estimate": est.estimate, "ci": list(est.ci), "method": est.method,
            "confidence": est.confidence, "n_paths": est.n_paths, "n_steps": est.n_steps,
            "meaning": "λ₁ < 0: synchronised copies merge almost surely (the sharp pathwise criterion)"}
