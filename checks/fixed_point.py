"""Check of §4.5.1: under L_G < 1, h_t converges (in mean square) to one fixed point h* from every start.

The deciding comparisons, in order (``theorems.fixed_point`` has the mathematics):

1. **the floor** of E‖h_t − h_{t−1}‖², uniform in t: tr Q plus the inputs' floor over the coordinates whose
   gate does not read h (closed form: s²‖diag(g)B‖²_F for a constant gate; quadrature over u = W_i·x or an
   exact sum over the sign vectors for an input-only gate).  A mean-square limit forces E‖h_t − h_{t−1}‖² → 0,
   so a floor > 0 (beyond its numerical tolerance, relative to the magnitudes that entered) is an exact FAIL.
   The measured E‖h_t − h_{t−1}‖² (Monte Carlo, from h_0) is reported beside it.
2. gate not reading h, floor 0: **a common fixed point** (J* = min_h E‖F(h, x) − h‖² = 0, input-only gates) and
   **mean-square contraction** about it: ρ(M) < 1 for a constant gate (``spectral_radius_certificate``, exact),
   ρ(E[D(x) ⊗ D(x)]) < 1 for an input-only gate (Theorem 2's second-moment comparison).  Necessary and
   sufficient, so PASS or FAIL.
3. gate reading h, no noise, floor 0: where the inputs do not enter the state (s = 0 or B = 0) 0 is a fixed
   point of every map and ρ(|A|) < 1 (or ‖A‖₂ < 1, gated form) is a **certified contraction**: PASS.
   Otherwise the chains are run from h_0 and from starts at radii 1e-3 … 1e4 × the regime's length scale:
   overflow is a FAIL by observation; for a deterministic chain (x enters nowhere), a settled float64 state
   h̃ ≠ 0 that is a fixed point up to a Newton correction δ = ‖(I − J_F(h̃))⁻¹‖(‖F(h̃) − h̃‖ + rounding) below
   1e-6 × its distance to the fixed point 0 is a second fixed point: FAIL by observation.  Anything else is
   INCONCLUSIVE: a gate that may close leaves no provable floor, and a finite run proves no convergence.

The only statistical deciding comparison is the second-moment radius of an input-only gate when it is
estimated by Monte Carlo (a common fixed point with inputs entering is needed to reach it): planned 1 there.

Form "s6" (Mamba's selective scan): the floor is tr Q (its inputs' part is not computed for S6 and counts as
0), so noise FAILs the claim exactly.  Without noise and with no drive (s = 0 or x_proj_B = 0), 0 is the common
fixed point and ρ(E[D ⊗ D]) = max_i E[decay_i²] < 1 (Theorem 2's exact S6 comparison): PASS.  Without noise
but with a drive: INCONCLUSIVE (not decided for this form).  No statistical comparison: planned 0.
"""

from __future__ import annotations

import dataclasses
import math
import types

import jax.numpy as jnp
import numpy as np

from ..estimators._second_moment import EXACT_MAX_M, QUADRATURE_MAX_M
from ..theorems import Regime
from ..theorems import _constants as K
from ..theorems.fixed_point import (CORRECTED_STATEMENT, FIXED_POINT, INPUT_GATED, LINEAR, STATE_DEPENDENT,
                                    analysis, deterministic, fixed_point_certificate, inputs_enter_state,
                                    noiseless_map, noise_trace, row_norms)
from ..theorems.model import simulate
from ..theorems.fixed_point import s6_drive_vanishes
from ..theorems.theorem2 import is_s6, spectral_radius_certificate

from ._base import (SECONDS_PER_FLOP, SECONDS_PER_ROW, Check, Settings, simulation_estimate)
from ._verdict import (EPS, HOLDS, RESOLUTION_ULPS, UNDECIDED, VIOLATED,
                       exact_comparison, mean_comparison, observation_comparison)
from .theorem2 import Theorem2Check

__all__ = ["FixedPointCheck", "RELATIVE_RADII", "length", "radii"]

PURPOSE = "fixed-point"
RELATIVE_RADII = (1e-3, 1.0, 1e2, 1e4)
DETERMINISTIC_STEPS_FACTOR = 100       # the deterministic iteration may run this many times the horizon
DETERMINISTIC_FLOP_BUDGET = 2e9        # ... but at most about this many multiply-adds
DETERMINISTIC_DIRECTIONS = 8           # random unit directions per radius, plus ±e_i for the first 4 axes
MAX_CERTIFIED_POINTS = 32
SEPARATION_FACTOR = 1e6                # two fixed points are distinct when apart by > this × their corrections


def _steps(regime) -> int:
    return int(regime.setting("fixed_point", "steps"))


def length(regime: Regime) -> float:
    """The regime's own unit of length for the state, as ``Regime.length_scale()``: one step's innovation
    √(s²‖B‖²_F + tr Q), else ‖h_0‖, else — new here — 1/‖U‖₂ for a gate that reads h (the state size over which
    the gate changes), else 1.  Unlike ``length_scale`` it reads s = 0 as "no inputs" even where ‖B‖² overflows
    (0·inf)."""
    with np.errstate(over="ignore", invalid="ignore"):
        inputs = 0.0 if regime.input_scale == 0.0 else float(np.float64(regime.input_scale) ** 2
                                                             * np.sum(regime.B * regime.B))
        innovation = float(np.sqrt(inputs + np.trace(regime.noise_cov)))
        if math.isfinite(innovation) and innovation > 0.0:
            return innovation
        h0 = float(row_norms(regime.h0))
        if math.isfinite(h0) and h0 > 0.0:
            return h0
        if regime.gate_depends_on_state:
            norm_u = float(np.linalg.norm(regime.U, 2))
            if math.isfinite(norm_u) and norm_u > 0.0 and math.isfinite(1.0 / norm_u):
                return 1.0 / norm_u
    return 1.0


def radii(regime: Regime) -> tuple[float, ...]:
    """Distances of the starts from h_0: the regime's own length (:func:`length`) × RELATIVE_RADII, plus any
    the regime file gives."""
    own = [f * length(regime) for f in RELATIVE_RADII]
    return tuple(sorted(set(own + list(regime.setting("fixed_point", "radii") or ()))))


def _observe(model, t, hs_prev, hs, x, w, g):
    step = hs - hs_prev
    return {"move2": jnp.sum(step * step, axis=-1), "finite": jnp.all(jnp.isfinite(hs), axis=-1)}


class FixedPointCheck(Check):
    claim = FIXED_POINT

    # --- planning ----------------------------------------------------------------------------------------

    def planned_comparisons(self, regime, settings):
        if not self.decides(regime):
            return 0
        a = analysis(regime)
        if a["tier"] != INPUT_GATED or is_s6(regime):
            return 0
        fl, common = a["floor"], a["common"]
        if fl.value_units > fl.tolerance_units or common is None or not common.value_units <= common.tolerance_units:
            return 0
        # The second-moment radius (Theorem 2's comparison) is estimated by Monte Carlo beyond these sizes.
        exact = regime.m <= (EXACT_MAX_M if regime.input_law == "rademacher" else QUADRATURE_MAX_M)
        return 0 if exact else 1

    def estimate(self, regime, settings):
        d, m, steps = regime.d, regime.m, _steps(regime)
        seconds = SECONDS_PER_ROW + 0.02 * d            # moments: a few quadratures per row
        if deterministic(regime):
            n = 1 + len(radii(regime)) * (DETERMINISTIC_DIRECTIONS + 2 * min(d, 4))
            T = self._deterministic_steps(regime, n)
            return 16.0 * n * T + 8.0 * n * d * 4, seconds + T * (2e-5 + 2.0 * n * d * d * SECONDS_PER_FLOP)
        chains = 1 + len(radii(regime)) if regime.gate_depends_on_state else 1   # at most
        mem, sim_seconds = simulation_estimate(settings.paths, steps, chains, 1, d, m, 2 * chains)
        return mem, seconds + sim_seconds

    @staticmethod
    def _deterministic_steps(regime, n_starts: int) -> int:
        steps = _steps(regime)
        budget = int(DETERMINISTIC_FLOP_BUDGET / max(n_starts * regime.d * regime.d, 1))
        return max(steps, min(DETERMINISTIC_STEPS_FACTOR * steps, budget))

    # --- the row -----------------------------------------------------------------------------------------

    def run(self, regime: Regime, settings: Settings):
        decides = self.decides(regime)
        a = analysis(regime)
        tier, fl = a["tier"], a["floor"]
        comps = [self._floor_comparison(regime, fl, decides)]
        # Far starts only where their overflow may decide (a gate reading h, not already refuted by the floor).
        sim = self._simulate(regime, settings, far=tier == STATE_DEPENDENT and comps[0].decision != VIOLATED)
        decided_by = None
        if comps[0].decision == VIOLATED:
            parts = [name for name, v in (("noise floor tr Q", fl.noise_units), ("inputs' floor", fl.inputs_units))
                     if v > fl.tolerance_units]
            decided_by = "exact: " + (" + ".join(parts) or "floor")
        elif is_s6(regime):
            decided_by = self._s6(regime, comps, decides, sim)
        elif tier in (LINEAR, INPUT_GATED):
            decided_by = self._linear_or_input_gated(regime, settings, a, comps, decides, sim)
        else:
            decided_by = self._state_dependent(regime, a, comps, decides, sim)
        # The floor at 0 holds trivially (it proves nothing on its own): the row reports what decided it.
        pool = [c for c in comps if c.decides and not (c is comps[0] and c.decision == HOLDS)] or comps
        comps += self._reported(regime, fl, sim)
        details = self._details(regime, a, sim, decided_by, comps)
        return self.result(regime, comps, sim["n"], details=details, pool=pool)

    # --- decisions ---------------------------------------------------------------------------------------

    @staticmethod
    def _floor_comparison(regime, fl, decides):
        label = "uniform floor of E‖h_t − h_{t−1}‖² (a limit needs 0)"
        meta = {"noise_trace": fl.noise, "inputs_floor": fl.inputs, "units": "state units²",
                "closed_form": "tr Q + Σ_i min_c Var(g_i(c + B_i x)) + weighted least squares over the rows "
                               "whose gate does not read h"}
        value = fl.value_units
        if not math.isfinite(value):
            meta["note"] = "the floor is not finite in float64: not decided"
        comp = exact_comparison(label, value, 0.0, "<=", decides=decides, meta=meta,
                                tolerance=fl.tolerance_units)
        # Reported in state units; decided in units of κ² (no overflow or underflow; the same decision).
        return dataclasses.replace(comp, statistic=fl.value, ci=(fl.value, fl.value), tolerance=fl.tolerance)

    def _linear_or_input_gated(self, regime, settings, a, comps, decides, sim):
        common = a["common"]
        if common is None:
            rows = [i for i, ok in enumerate(a["floor"].moments.available) if not ok]
            comps.append(exact_comparison("inputs' floor computable", math.nan, 0.0, "<=", decides=decides,
                                          meta={"note": "rows " + ", ".join(map(str, rows)) + ": "
                                                + a["floor"].moments.method[rows[0]] + " — not decided"}))
            comps += self._overflow(regime, sim, decides)
            return None
        if a["tier"] == INPUT_GATED:
            label = "common fixed point: min_h E‖F(h, x) − h‖² = 0"
            comp = exact_comparison(label, common.value_units, 0.0, "<=", decides=decides,
                                    tolerance=common.tolerance_units,
                                    meta={"h_star": common.h_star.tolist(), "units": "state units²",
                                          "meaning": "a deterministic limit h* must satisfy F(h*, x) = h* for "
                                                     "almost every x"})
            comps.append(dataclasses.replace(comp, statistic=common.value, ci=(common.value, common.value),
                                             tolerance=common.tolerance))
            if comps[-1].decision == VIOLATED:
                return "exact: no common fixed point"
            level = settings.level
            comp = Theorem2Check._second_moment_comparison(regime, level, decides)
            comps.append(dataclasses.replace(comp, label="ρ(E[D(x) ⊗ D(x)]) < 1: mean-square contraction about h*"))
            return "second-moment operator E[D ⊗ D] about the common fixed point"
        decision, rho, how = spectral_radius_certificate(a["M"])
        comp = exact_comparison("ρ(M) < 1: h_t = M h_{t−1} converges to 0 from every start", rho, 1.0, "<",
                                decides=decides, meta={"certificate": how}, rtol=0.0)
        mapped = {"below": HOLDS, "at-or-above": VIOLATED}.get(decision, UNDECIDED)
        comps.append(dataclasses.replace(comp, decision=mapped, tolerance=0.0,
                                         z=math.inf if mapped == VIOLATED else -math.inf if mapped == HOLDS else 0.0))
        return "exact: spectral radius of M"

    def _s6(self, regime, comps, decides, sim):
        """S6 without noise: with no drive, 0 is the common fixed point and mean-square contraction about it is
        exact (every decay is below 1); with a drive, not decided."""
        if s6_drive_vanishes(regime):
            comp = Theorem2Check._s6_second_moment_comparison(regime, decides)
            comps.append(dataclasses.replace(
                comp, label="S6, no drive: ρ(E[D(x) ⊗ D(x)]) = max_i E[decay_i²] < 1, mean-square contraction "
                            "about the common fixed point h* = 0"))
            return "exact: S6 without noise or drive, contraction to 0 (every decay is below 1)"
        comps += self._overflow(regime, sim, decides)
        comps.append(exact_comparison("S6 inputs' floor, or a common fixed point and contraction", math.nan, 0.0,
                                      "<=", decides=decides, meta={"note": (
                                          "S6 without noise, with inputs driving the state: the inputs' floor "
                                          "(Var_x of decay_i(x)·h_i + drive_i(x), minimised over h) is not computed "
                                          "for this form in this version: not decided")}))
        return None

    def _state_dependent(self, regime, a, comps, decides, sim):
        cert = a["certificate"]
        if cert is not None and cert["proved"]:
            comps.append(exact_comparison("certified contraction to the common fixed point 0", 0.0, 0.0, "<=",
                                          decides=decides, meta={"certificate": cert["how"]}))
            return "certified contraction (weighted max-norm or ‖A‖₂)"
        obs = self._overflow(regime, sim, decides) + self._two_fixed_points(regime, sim, decides)
        comps += obs
        if any(c.decision == VIOLATED for c in obs):
            seen = [c.label for c in obs if c.decision == VIOLATED]
            return "observation: " + " and ".join("divergence (overflow)" if lab == "states stay finite"
                                                   else "two fixed points" for lab in seen)
        if cert is not None:
            why = f"no certified contraction ({cert['how']})"
        elif regime.noise_cov.any():   # pragma: no cover - a noise floor decides first
            why = "noise"
        else:
            why = ("the gate reads h and may close (σ → 0 as U h → −∞), so no floor uniform in the state is provable "
                   "for those coordinates, and the coordinates whose gate does not read h give none")
        comps.append(exact_comparison("proof of convergence or of a positive floor", math.nan, 0.0, "<=",
                                      decides=decides, meta={"note": why + ": not decided"}))
        return None

    @staticmethod
    def _overflow(regime, sim, decides):
        bad, n = sim["nonfinite"], sim["n_starts"]
        if bad == 0:
            return [observation_comparison("states stay finite", 0.0, 1.0, "<", HOLDS, n=sim["n"], decides=False,
                                           meta={"note": f"no overflow from {n} start(s) in {sim['steps_run']} steps "
                                                         "(reported: a finite run proves no convergence)"})]
        return [observation_comparison("states stay finite", math.inf, 1.0, "<", VIOLATED, n=sim["n"], decides=decides,
                                       meta={"note": f"states overflowed float64 from {bad} of {n} start(s): "
                                                     "divergence observed"})]

    @staticmethod
    def _two_fixed_points(regime, sim, decides):
        pts = sim.get("certified_points")
        if pts is None:
            return []
        best = max(pts, key=lambda p: p["separation_ratio"], default=None)
        if best is not None and best["separation_ratio"] > SEPARATION_FACTOR:
            return [observation_comparison(
                "a second fixed point besides 0", best["norm"], 0.0, "<=", VIOLATED, n=sim["n"], decides=decides,
                meta={"point": best["point"], "newton_correction": best["delta"],
                      "note": "a settled float64 state h̃ with F(h̃) = h̃ up to a Newton correction "
                              f"{best['delta']:.3g}, far below ‖h̃‖ = {best['norm']:.6g}; 0 is a fixed point too, "
                              "so the fixed point is not unique (the chain started at either stays there)"})]
        return []

    # --- simulation --------------------------------------------------------------------------------------

    def _simulate(self, regime, settings, far: bool) -> dict:
        if deterministic(regime):
            return self._iterate(regime, settings)
        steps = _steps(regime)
        rs = np.asarray(radii(regime)) if far else np.zeros(0)
        n = settings.paths
        rng = settings.rng(regime.name, PURPOSE, "directions")
        u = rng.standard_normal((n, rs.size, regime.d))
        u /= np.maximum(np.linalg.norm(u, axis=2, keepdims=True), 1e-300)
        h0s = np.repeat(regime.h0[None, None, :], 1 + rs.size, axis=1).repeat(n, axis=0)
        h0s[:, 1:, :] += rs[None, :, None] * u
        final, obs = simulate(regime.model(), settings.key(regime.name, PURPOSE, "paths"), h0s, steps,
                              synchronous=True, observe=_observe)
        move2 = obs["move2"]                                   # (n, steps, K)
        finite = obs["finite"].all(axis=1) & np.isfinite(final).all(axis=2) & np.isfinite(move2).all(axis=1)
        return {"kind": "monte-carlo", "n": n, "steps": steps, "steps_run": steps, "radii": rs.tolist(),
                "move2": move2[:, :, 0], "n_starts": int(finite.size), "nonfinite": int((~finite).sum()),
                "chain0_finite": bool(finite[:, 0].all())}

    def _iterate(self, regime, settings) -> dict:
        """The deterministic iteration h ↦ F(h, 0) from h_0 and from h_0 + r·u (r in radii, u: ±e_i for the
        first four axes and random unit directions), until every start settles or overflows."""
        d = regime.d
        rs = np.asarray(radii(regime))
        dirs = []
        for i in range(min(d, 4)):
            e = np.zeros(d)
            e[i] = 1.0
            dirs += [e, -e]
        rnd = settings.rng(regime.name, PURPOSE, "deterministic directions").standard_normal((DETERMINISTIC_DIRECTIONS, d))
        dirs += list(rnd / np.linalg.norm(rnd, axis=1, keepdims=True))
        dirs = np.asarray(dirs)
        starts = np.vstack([regime.h0[None], (regime.h0[None, None, :] + rs[:, None, None] * dirs[None]).reshape(-1, d)])
        names = ["h_0"] + [f"h_0 + {r:.3g}·u{j + 1}" for r in rs for j in range(len(dirs))]
        n = starts.shape[0]
        size0 = row_norms(starts)
        T = self._deterministic_steps(regime, n)
        H = starts.copy()
        active = np.ones(n, bool)
        settled = np.zeros(n, bool)
        overflow = np.zeros(n, bool)
        history = []
        steps_run = 0
        with np.errstate(all="ignore"):
            for t in range(1, T + 1):
                new = noiseless_map(regime, H)
                move = row_norms(new - H)
                size = row_norms(new)
                mags = size + row_norms(H @ regime.A.T) + row_norms(H)
                history.append(np.where(active, move * move, np.nan))
                bad = ~np.all(np.isfinite(new), axis=1)
                overflow |= bad & active
                still = np.isfinite(mags) & ((move <= RESOLUTION_ULPS * EPS * mags)
                                             | (size <= RESOLUTION_ULPS * EPS * size0))
                settled |= still & active & ~bad
                H = np.where(bad[:, None], H, new)
                active &= ~bad & ~still
                steps_run = t
                if not active.any():
                    break
        out = {"kind": "deterministic", "n": 0, "steps": _steps(regime), "steps_run": steps_run,
               "radii": rs.tolist(), "n_starts": n, "nonfinite": int(overflow.sum()),
               "settled": int(settled.sum()), "move2_starts": np.array(history).T, "chain0_finite": not overflow[0],
               "ends": H, "settled_mask": settled, "start_labels": names}
        if regime.gate_depends_on_state:
            out["certified_points"] = self._certify(regime, H[settled & ~overflow])
        return out

    @staticmethod
    def _certify(regime, ends: np.ndarray) -> list[dict]:
        """Newton corrections of distinct settled end points (up to MAX_CERTIFIED_POINTS, the largest first)."""
        if ends.size == 0:
            return []
        norms = row_norms(ends)
        order = np.argsort(-norms)
        kept: list[np.ndarray] = []
        for k in order:
            p = ends[k]
            if norms[k] == 0.0 or any(row_norms(p - q) <= 1e-9 * max(norms[k], row_norms(q)) for q in kept):
                continue
            kept.append(p)
            if len(kept) >= MAX_CERTIFIED_POINTS:
                break
        out = []
        for p in kept:
            c = fixed_point_certificate(regime, p)
            norm = float(row_norms(p))
            ratio = norm / c["delta"] if c["delta"] > 0.0 else (math.inf if math.isfinite(c["delta"]) else 0.0)
            out.append({"point": p.tolist(), "norm": norm, "delta": c["delta"], "residual": c["residual"],
                        "sigma_min": c["sigma_min"], "separation_ratio": ratio})
        return out

    # --- report ------------------------------------------------------------------------------------------

    @staticmethod
    def _reported(regime, fl, sim) -> list:
        """The measured E‖h_t − h_{t−1}‖² over the second half of the horizon, beside the floor (not deciding)."""
        if sim["kind"] != "monte-carlo" or not sim["chain0_finite"]:
            return []
        move2 = sim["move2"]
        steps = move2.shape[1]
        late = move2[:, steps // 2:].mean(axis=1)
        return [mean_comparison(late, fl.value, 0.01, label="measured E‖h_t − h_{t−1}‖², t in the second half, "
                                "from h_0 (≥ the floor)", claimed=">=", decides=False,
                                meta={"t_from": steps // 2 + 1, "t_to": steps, "level": 0.01})]

    def _details(self, regime, a, sim, decided_by, comps) -> dict:
        fl = a["floor"]
        if is_s6(regime):
            lip = types.SimpleNamespace(value=0.0, lower=0.0, upper=0.0,
                                        method="S6: the gate 1 − exp(Δ(x)A) reads only x, so L_G = 0")
        else:
            lip = K.lipschitz(regime)
        caveats = [
            "the paper writes G(x_t): its Lipschitz constant is read in h (what a contraction of h_t needs); the noise "
            "floor fails the claim whatever the gate, and a constant gate (Lipschitz constant 0 in x and in h alike) "
            "already fails it, so the reading does not decide any verdict",
            "convergence to one point is stronger than Theorem 2's convergence in law: with noise or inputs the chain "
            "can still have a unique stationary law",
        ]
        if a["tier"] == LINEAR:
            caveats.append("L_G = 0: the hypothesis puts no bound on A, so it cannot exclude divergence")
        if regime.gate_depends_on_state:
            caveats.append("L_G has units of 1/state (U multiplies h): the hypothesis L_G < 1 changes when the state "
                           "is measured in other units, while the conclusion does not")
        if regime.gate_depends_on_state and decided_by is None:
            caveats.append("a finite run from finitely many starts proves no convergence; a PASS needs a certified "
                           "contraction")
        out = {
            "method": decided_by or "undecided", "tier": a["tier"],
            "rests_on": ("a mean-square limit makes E‖h_t − h_{t−1}‖² → 0 (Cauchy in L²); the conditional variance "
                         "given h_{t−1} is a floor uniform in t; without it, a common fixed point and mean-square "
                         "contraction about it are necessary and sufficient (gate not reading h), or a certified "
                         "contraction (gate reading h)"),
            "caveats": caveats,
            "statistic_name": "per comparison: the floor of E‖h_t − h_{t−1}‖² (state units²), J*, ρ(M) or an observation",
            "units": "squared distances in state units²",
            "lipschitz": {"value": lip.value, "lower": lip.lower, "upper": lip.upper, "method": lip.method},
            "floor": fl.to_json(),
            "noise_trace": noise_trace(regime),
            "inputs_enter_state": inputs_enter_state(regime),
            "deterministic": deterministic(regime),
            "corrected_statement": CORRECTED_STATEMENT,
            "simulation": self._sim_json(sim),
        }
        if a["common"] is not None:
            out["common_fixed_point"] = a["common"].to_json()
        if a["M"] is not None:
            decision, rho, how = spectral_radius_certificate(a["M"])
            out["linear"] = {"spectral_radius_M": rho, "certificate": how}
        if a["certificate"] is not None:
            out["contraction_certificate"] = a["certificate"]
        out["plots"] = [self._plot(regime, fl, sim)]
        return out

    @staticmethod
    def _sim_json(sim) -> dict:
        out = {k: sim[k] for k in ("kind", "n", "steps", "steps_run", "radii", "n_starts", "nonfinite")}
        if sim["kind"] == "monte-carlo":
            with np.errstate(all="ignore"):
                out["mean_move2_from_h0"] = sim["move2"].mean(axis=0).tolist()
        else:
            out["settled"] = sim["settled"]
            out["end_points"] = sim["ends"][:8].tolist()
            if "certified_points" in sim:
                out["certified_points"] = sim["certified_points"][:8]
        return out

    @staticmethod
    def _plot(regime, fl, sim) -> dict:
        hlines = []
        if fl.value > 0.0 and math.isfinite(fl.value):
            hlines.append({"y": fl.value, "label": f"floor tr Q + inputs' floor = {fl.value:.3g} (closed form)"})
        if sim["kind"] == "monte-carlo":
            with np.errstate(all="ignore"):
                y = sim["move2"].mean(axis=0)
            series = [{"label": "E‖h_t − h_{t−1}‖², from h_0 (Monte Carlo)", "x": list(range(1, y.size + 1)),
                       "y": y.tolist(), "style": "solid"}]
            note = "a mean-square limit needs this to go to 0; it cannot fall below the floor"
        else:
            hist = sim["move2_starts"]                          # (n_starts, steps_run)
            T = hist.shape[1]
            stride = max(1, T // 400)
            xs = list(range(1, T + 1, stride))
            pick = [0] + list(range(1, hist.shape[0], max(1, (hist.shape[0] - 1) // 6)))[:6]
            series = [{"label": "from " + sim["start_labels"][k], "x": xs,
                       "y": hist[k, ::stride].tolist(), "style": "solid"} for k in pick]
            note = "deterministic iteration (no noise, no inputs); a start that settled or overflowed stops"
        return {"title": f"§4.5.1 fixed point: how far the state moves per step — {regime.name}",
                "panels": [{"xlabel": "step t", "ylabel": "‖h_t − h_{t−1}‖² (state units²)", "yscale": "log",
                            "series": series, "hlines": hlines, "note": note,
                            "title": "step size"}]}
