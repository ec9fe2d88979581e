"""Check of §3.1.2 / §4.5: a component whose gate is 0 retains its previous state.

One chain from h_0, T steps (``[gate_retains] steps``, default 16), simulated with the
toolkit's simulator.  At every visited (h_{t−1}, x_t, w_t) the observer evaluates

* the *zero-gate retention error* r⁰_{t,i}: the model's own update (``theorems.model.step``)
  with G_i set to 0, minus h_{t−1,i} + w_{t,i}, for every component i — what the update does
  to a closed component at the states the chain actually visits (leaky: 0; gated: −h_{t−1,i}; Mamba's S6,
  whose G = 1 − exp(ΔA) is 0 exactly at Δ = 0: the update at Δ = 0, i.e. decay 1 and drive 0, so 0);
* the *measured* retention error r_{t,i} = h_{t,i} − h_{t−1,i} − w_{t,i} of the simulated step,
  summed over the components whose gate is 0 at that step (constant gates with zero entries;
  a sigmoid gate only where float64 rounds it to 0; a tanh gate where its pre-activation is 0),
  and at the component with the gate value closest to 0 (context for gates that are never 0).

Decision (one comparison, the zero-gate error E[mean_{t,i} |r⁰_{t,i}|] against 0, claimed ≤):

* every path's error within its own rounding allowance (SAMPLE_RTOL × the magnitudes
  |h_{t−1,i}| + |w_{t,i}| that entered it): exact, holds;
* leaky form and S6 otherwise: exact comparison (never statistical: the algebra gives r⁰ ≡ 0);
* gated form otherwise: a one-sided skew-robust mean test at the run's level (exact when the
  per-path errors do not vary, e.g. deterministic visited states) — the row's one statistical
  comparison.

States that leave float64's range are observations: each path is evaluated on its steps before
the first non-finite value, and the overflow is reported; with no finite step anywhere the row is
INCONCLUSIVE.  Magnitudes are rescaled by an exact power of two before they are summed, so sums of
states near float64's limit stay finite; tolerances are relative, so verdicts do not change with the
units of the state.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from ..theorems import Regime
from ..theorems.gate_retains import (CLOSED_FORM, CORRECTED_STATEMENT, GATE_RETAINS, GATE_RETAINS_SETTINGS,
                                     zero_gate_components)
from ..theorems.model import step

from ._base import SECONDS_PER_ROW, Simulation, SimulatorCheck, simulation_estimate, total_paths
from ._verdict import (SAMPLE_RTOL, UNDECIDED, Comparison, exact_comparison, mean_comparison,
                       observation_comparison)

__all__ = ["GateRetainsCheck", "steps_of"]

PURPOSE = "gate-retains"
VALUES_PER_STEP = 13          # observations kept per path and step (see _observe)
SMALLEST_SHARE = 0.01         # context: the share of steps with the smallest gate value
PLOT_BINS = 10
DECIDING = "zero-gate retention error"
MEASURED = "measured at zero gates"


def steps_of(regime: Regime) -> int:
    """T from the regime's ``[gate_retains] steps``, else the declared default."""
    default = GATE_RETAINS_SETTINGS["gate_retains"]["steps"].default
    return int(regime.settings.get("gate_retains", {}).get("steps", default))


def _observe(model, t, hs_prev, hs, x, w, g):
    """Per step, of chain 0 (the only one): see the module docstring.  Means over components are sums of
    terms already divided by d, so they stay finite wherever every term is."""
    d = hs.shape[-1]
    if model.s6:
        # S6: G = 1 − exp(Δ A) is 0 exactly where Δ = softplus(W_Δ x + b_Δ) is 0; Δ = 0 is the limit b_Δ → −∞
        # (softplus(−∞) = 0 exactly), where the decay is 1 and the drive Δ (P_B x) x vanishes.
        shut = model.replace(s6_dt_weight=jnp.zeros_like(model.s6_dt_weight),
                             s6_dt_bias=jnp.full_like(model.s6_dt_bias, -jnp.inf))
    else:
        shut = model.replace(sigmoid=jnp.zeros_like(model.sigmoid), gate_value=jnp.zeros_like(model.gate_value))
    h0_new = jax.vmap(lambda h, wc: step(shut, h, x, wc)[0])(hs_prev, w)       # the update with G = 0
    hp, h, wc, gc = hs_prev[0], hs[0], w[0], g[0]
    r0 = jnp.abs(h0_new[0] - (hp + wc))          # |r⁰|: zero-gate retention error
    r = jnp.abs(h - (hp + wc))                   # |r|: measured retention error of the simulated step
    ha, wa = jnp.abs(hp), jnp.abs(wc)
    zero = gc == 0.0
    k = jnp.argmin(jnp.abs(gc))                  # the most closed component (a tanh gate can be negative)
    out = {
        "r0": jnp.sum(r0 / d), "h": jnp.sum(ha / d), "w": jnp.sum(wa / d),
        "nzero": jnp.sum(zero.astype(jnp.float64)), "zfrac": jnp.sum(zero.astype(jnp.float64) / d),
        "zr": jnp.sum(jnp.where(zero, r, 0.0) / d), "zr0": jnp.sum(jnp.where(zero, r0, 0.0) / d),
        "zmag": jnp.sum(jnp.where(zero, ha + wa, 0.0) / d),
        "gmin": gc[k], "r_at": r[k], "r0_at": r0[k], "h_at": ha[k],
    }
    finite = jnp.all(jnp.isfinite(h)) & jnp.all(jnp.isfinite(x))
    for v in out.values():
        finite = finite & jnp.isfinite(v)
    out["ok"] = finite.astype(jnp.float64)
    return out


def _finish(final, obs) -> dict:
    return {k: np.asarray(v, float) for k, v in obs.items()}


class GateRetainsCheck(SimulatorCheck):
    claim = GATE_RETAINS

    # --- planning ---------------------------------------------------------------------------------------
    def planned_comparisons(self, regime, settings):
        # leaky: exact by construction (r⁰ ≡ 0 algebraically); gated: one mean test (or exact)
        return 1 if self.decides(regime) and regime.form == "gated" else 0

    def simulation(self, regime, settings, probe: bool = False) -> Simulation:
        h0 = np.asarray(regime.h0, float)

        def initial(first, n):
            return np.broadcast_to(h0[None, None, :], (n, 1, h0.size)).copy()

        return Simulation(PURPOSE, steps_of(regime), ("synchronous",), _observe, initial, _finish)

    def estimate(self, regime, settings):
        n = total_paths(settings, settings.max_stages)
        bytes_, seconds = simulation_estimate(n, steps_of(regime), 1, 2, regime.d, regime.m, VALUES_PER_STEP)
        return bytes_, seconds + SECONDS_PER_ROW   # two step evaluations per step: counted as two couplings

    # --- deciding ---------------------------------------------------------------------------------------
    def comparisons(self, regime, data, level, decides):
        agg = _aggregate(data)
        n = agg["n"]
        meta = {"closed_form": CLOSED_FORM[regime.form], "form": regime.form, "quantity": DECIDING,
                "paths_with_finite_steps": agg["paths"], "paths_overflowed": agg["overflowed"],
                "units": "state units"}
        comps: list[Comparison] = []
        if agg["paths"] == 0:
            meta["note"] = ("the state left float64's range at t = 1 on every path: no step can be evaluated "
                            "(an observation, not a number)")
            comps.append(observation_comparison(DECIDING, math.nan, 0.0, "<=", UNDECIDED, n=n, decides=decides,
                                                meta=meta))
        else:
            comps.append(_deciding(regime, agg, level, decides, meta))
        if agg["overflowed"]:
            comps.append(observation_comparison(
                "overflow", float(agg["overflowed"]), 0.0, "<=", UNDECIDED, n=n, decides=False,
                meta={"note": f"the state left float64's range on {agg['overflowed']} of {n} paths (first at step "
                              f"{agg['first_bad_step']}); those paths are evaluated on their steps before it",
                      "quantity": "paths whose state overflowed"}))
        if agg["zero_paths"]:
            comps.append(_measured(agg, level))
        return comps

    # --- context ----------------------------------------------------------------------------------------
    def details(self, regime, settings, comps, data):
        agg = _aggregate(data)
        form = regime.form
        zeros = zero_gate_components(regime)
        deciding = comps[0]
        caveats = [
            "decides: the update evaluated with G_i set to 0 at the visited (h_{t−1}, x_t, w_t), every component i "
            "and step t ≤ T — what the model does to a closed component on the states it visits; the retention "
            "error measured on steps whose gate really is 0 is reported beside it",
            "retention is read up to the process noise w_t, which the model adds to every component: the literal "
            "h_{t,i} = h_{t−1,i} fails in both forms wherever Q_ii > 0",
        ]
        if form == "s6":
            caveats.append("S6 (Mamba's selective scan): G_i = 1 − exp(Δ_c A_i) is 0 only in the limit Δ_c → 0 "
                           "(softplus > 0), where the decay exp(Δ_c A_i) is 1 and the drive Δ_c (P_B x)_n x_c is 0, so "
                           "G_i = 0 gives r = 0 exactly; near 0, r = −G_i h_{t−1,i} + Δ_c (P_B x)_n x_c is proportional "
                           "to G_i (Δ_c = log(1 − G_i)/A_i ≈ G_i/|A_i|), so 'close to zero retains' holds too; the "
                           "update is evaluated at Δ = 0 (W_Δ = 0, b_Δ = −∞)")
        elif form == "gated":
            caveats.append("gated form (§2.2, §5.4): h_{t,i} = G_i(A h_{t−1} + B x_t)_i + w_{t,i} has no (1 − G_i) "
                           "h_{t−1,i} term, so G_i = 0 resets the component to the noise (r = −h_{t−1,i})")
        else:
            caveats.append("leaky form (§3.1): the (1 − G_i) h_{t−1,i} term carries the component over, so G_i = 0 "
                           "gives r = 0 exactly; r = G_i((A h_{t−1} + B x_t)_i − h_{t−1,i}) is proportional to "
                           "G_i, so 'close to zero retains' holds too")
        if agg["paths"] and agg["h_mean"] == 0.0:
            caveats.append("every visited state is 0: resetting and retaining coincide there, so the zero-gate "
                           "error vanishes without anything being stored")
        if regime.gate_kind == "sigmoid":
            exact_zero = agg["zero_steps"]
            caveats.append("a sigmoid gate is never 0 (σ > 0): no step has G_i = 0 mathematically"
                           + (f"; float64 rounded the gate to 0 on {exact_zero} component-steps (measured there)"
                              if exact_zero else "; no step has a gate value of exactly 0 in float64 either"))
        elif regime.gate_kind == "tanh":
            exact_zero = agg["zero_steps"]
            caveats.append("tanh gate (§3.0.5): values in (−1, 1), outside the G_i ∈ [0, 1] of §4.5 the statement "
                           "assumes (see the hypotheses); G_i = 0 exactly where the pre-activation W_i·x + U_i·h + b_i "
                           "is 0" + (f"; {exact_zero} component-steps had G_i = 0 in float64 (measured there)"
                                     if exact_zero else "; no visited step had G_i = 0 exactly"))
        elif zeros and form == "gated" and agg["zero_paths"] and agg["zr_mean"] == 0.0 and deciding.decision != "holds":
            caveats.append("on the components whose gate is 0 the measured error is 0 only because their state is "
                           "0 (no noise reaches them); the update still resets any other component it closes")
        if agg["overflowed"]:
            caveats.append(f"the state left float64's range on {agg['overflowed']} of {agg['n']} paths: each is "
                           "evaluated on its steps before the first non-finite value (an observation)")
        context = _smallest_gate_context(agg)
        if context and (regime.gate_is_parametric or form == "s6"):
            caveats.append(
                (f"on the {context['steps']} steps with the smallest gate value (g ≤ {context['g_max']:.3g}) the "
                 if regime.gate_kind in ("sigmoid", "s6") else
                 f"on the {context['steps']} steps with the gate value closest to 0 (|g| ≤ {context['g_abs_max']:.3g}) the ")
                + f"measured |r| averages {context['r_mean']:.4g} against |h_{{t−1,i}}| = {context['h_mean']:.4g} "
                f"(|r|/|h| = {context['ratio']:.3g}); as g_i → 0 the update gives "
                + ("|r| → |h_{t−1,i}| in the gated form (the state is lost)" if form == "gated" else
                   "|r| ≈ g_i|h_{t−1,i} + (P_B x)_n x_c/|A_i|| → 0 in S6 (the state is kept)" if form == "s6" else
                   "|r| = g_i|p_i − h_{t−1,i}| → 0 in the leaky form (the state is kept)"))
        out = {
            "rests_on": ("the model's own update evaluated with G_i = 0 at the states the simulated chain visits; "
                         + ("exact (the leaky algebra gives r ≡ 0)" if form == "leaky" else
                            "exact (S6 at Δ = 0: decay 1, drive 0, so r ≡ 0)" if form == "s6" else
                            "one-sided Monte Carlo mean test over paths (exact when the paths agree)")),
            "caveats": caveats,
            "units": "state units (retention errors); gate values dimensionless",
            "statistic_name": "E[mean over t ≤ T and components i of |r⁰_{t,i}|], r⁰ = the update at G_i = 0 minus "
                              "(h_{t−1,i} + w_{t,i}) (state units)",
            "bound_name": "0 (the state retained, up to the noise)",
            "method": "exact" if form in ("leaky", "s6") else "monte-carlo mean over paths (exact when the paths agree)",
            "closed_form": CLOSED_FORM[form],
            "form": form, "steps": steps_of(regime),
            "zero_gate_components": zeros,
            "mean_abs_previous_state": agg["h_mean"], "mean_abs_noise": agg["w_mean"],
            "share_of_previous_state_lost": (agg["r0_mean"] / agg["h_mean"]
                                             if agg["paths"] and agg["h_mean"] > 0 else math.nan),
            "share_of_previous_state_lost_meaning": "E|r⁰| / E|h_{t−1,i}|: 1 when a closed gate resets the state, "
                                                    "0 when it retains it",
            "smallest_gate_context": context,
            "corrected_statement": CORRECTED_STATEMENT,
        }
        out["plots"] = [_plot(regime, agg)] if agg["paths"] else []
        return out


# --- aggregation (NumPy) ----------------------------------------------------------------------------------
def _aggregate(data: dict) -> dict:
    """Per-path means over the finite prefix of each path, in state units (rescaled by an exact power of two
    while summing, so sums of states near float64's limit stay finite)."""
    obs = {k.split(".", 1)[1]: v for k, v in data.items()}
    ok = obs["ok"] > 0.5                                      # (n, T)
    n, T = ok.shape
    prefix = np.cumprod(ok, axis=1).astype(bool)
    counts = prefix.sum(axis=1)
    good = counts > 0
    bad_rows = ~prefix.all(axis=1)
    first_bad = int(np.argmin(prefix[bad_rows], axis=1).min()) + 1 if bad_rows.any() else None

    def masked(name):
        return np.where(prefix, obs[name], 0.0)

    mags = {k: masked(k) for k in ("r0", "h", "w", "zr", "zr0", "zmag", "r_at", "r0_at", "h_at")}
    top = max((float(np.max(v)) for v in mags.values() if v.size), default=0.0)
    scale = math.ldexp(1.0, math.frexp(top)[1]) if top > 0.0 and math.isfinite(top) else 1.0
    s = {k: v / scale for k, v in mags.items()}
    nzero = masked("nzero")
    per = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for k in ("r0", "h", "w"):
            per[k] = s[k].sum(axis=1)[good] / counts[good]        # per-path mean over t (and i)
        zfrac = masked("zfrac").sum(axis=1)                      # zero-gated entries per path, divided by d
        zpaths = zfrac > 0
        for k in ("zr", "zr0", "zmag"):                          # the sums were divided by d too
            per[k] = s[k].sum(axis=1)[zpaths] / zfrac[zpaths]
    return {
        "n": n, "T": T, "paths": int(good.sum()), "overflowed": int(bad_rows.sum()), "first_bad_step": first_bad,
        "scale": scale, "per": per, "zero_paths": int(zpaths.sum()), "zero_steps": int(nzero.sum()),
        "r0_mean": float(per["r0"].mean() * scale) if good.any() else math.nan,
        "h_mean": float(per["h"].mean() * scale) if good.any() else math.nan,
        "w_mean": float(per["w"].mean() * scale) if good.any() else math.nan,
        "zr_mean": float(per["zr"].mean() * scale) if zpaths.any() else math.nan,
        "prefix": prefix, "gmin": obs["gmin"], "r_at": s["r_at"], "r0_at": s["r0_at"], "h_at": s["h_at"],
        "r0_t": s["r0"], "h_t": s["h"],
    }


def _scaled(c: Comparison, scale: float) -> Comparison:
    """A comparison made on samples divided by ``scale`` (a power of two), reported in state units."""
    if scale == 1.0:
        return c
    with np.errstate(over="ignore"):
        mul = lambda v: float(np.float64(v) * scale)            # noqa: E731
        return dataclasses.replace(c, statistic=mul(c.statistic), bound=mul(c.bound),
                                   ci=(mul(c.ci[0]), mul(c.ci[1])), tolerance=mul(c.tolerance),
                                   detectable=mul(c.detectable))


def _deciding(regime, agg, level, decides, meta) -> Comparison:
    x, h, w = agg["per"]["r0"], agg["per"]["h"], agg["per"]["w"]
    mag = h + w
    tol = SAMPLE_RTOL * float(np.mean(mag))
    meta = {**meta, "tolerance_meaning": "SAMPLE_RTOL × E[mean |h_{t−1,i}| + |w_{t,i}|], the magnitudes r⁰ is "
                                         "computed from (relative, so the verdict does not change with units)"}
    if np.all(x <= SAMPLE_RTOL * mag):
        meta["note"] = ("on every path the zero-gate error is within rounding of 0 (SAMPLE_RTOL × the magnitudes that "
                        "entered it): the state is retained exactly")
        c = exact_comparison(DECIDING, float(np.mean(x)), 0.0, "<=", n=x.size, decides=decides, meta=meta,
                             tolerance=tol)
    elif regime.form in ("leaky", "s6"):
        meta["note"] = (f"{regime.form} form: the algebra gives r⁰ ≡ 0, yet the evaluated update differs from "
                        "h_{t−1,i} + w_{t,i} beyond rounding on some path (exact comparison of the evaluated update)")
        c = exact_comparison(DECIDING, float(np.mean(x)), 0.0, "<=", n=x.size, decides=decides, meta=meta,
                             tolerance=tol)
    else:
        c = mean_comparison(x, 0.0, level, label=DECIDING, claimed="<=", decides=decides, meta=meta,
                            scale=float(np.mean(mag)))
    return _scaled(c, agg["scale"])


def _measured(agg, level) -> Comparison:
    """Reported, not deciding: the measured r on the steps and components whose gate is exactly 0."""
    x, x0, mag = agg["per"]["zr"], agg["per"]["zr0"], agg["per"]["zmag"]
    meta = {"quantity": "E[mean over zero-gated component-steps of |h_{t,i} − h_{t−1,i} − w_{t,i}|] (state units)",
            "paths": int(x.size), "component_steps": agg["zero_steps"],
            "zero_gate_error_same_entries": float(np.mean(x0) * agg["scale"]),
            "note": "measured from the simulated steps where G_i = 0; reported beside the deciding zero-gate error"}
    c = mean_comparison(x, 0.0, level, label=MEASURED, claimed="<=", decides=False, meta=meta,
                        scale=float(np.mean(mag)))
    return _scaled(c, agg["scale"])


def _smallest_gate_context(agg) -> dict | None:
    """The share SMALLEST_SHARE of (path, step) entries with the gate value closest to 0 (at that step's most closed
    component; the smallest value for gates in [0, 1]): their gate values and retention errors."""
    prefix = agg["prefix"]
    if not prefix.any():
        return None
    g = agg["gmin"][prefix]
    order = np.argsort(np.abs(g), kind="stable")
    k = max(1, int(math.ceil(SMALLEST_SHARE * g.size)))
    pick = order[:k]
    sc = agg["scale"]
    r = agg["r_at"][prefix][pick] * sc
    r0 = agg["r0_at"][prefix][pick] * sc
    h = agg["h_at"][prefix][pick] * sc
    h_mean = float(np.mean(h))
    return {
        "steps": int(k), "share": SMALLEST_SHARE, "g_min": float(g[pick].min()), "g_max": float(g[pick].max()),
        "g_abs_max": float(np.abs(g[pick]).max()),
        "g_mean": float(np.mean(g[pick])), "exactly_zero": int(np.sum(g == 0.0)),
        "r_mean": float(np.mean(r)), "r0_mean": float(np.mean(r0)), "h_mean": h_mean,
        "ratio": float(np.mean(r)) / h_mean if h_mean > 0 else math.nan,
        "meaning": "over the steps with the smallest gate value, at the component where it is smallest: measured |r|, "
                   "the zero-gate |r⁰| and |h_{t−1,i}| (state units)",
    }


def _plot(regime, agg) -> dict:
    prefix, sc = agg["prefix"], agg["scale"]
    g = agg["gmin"][prefix]
    r, r0, h = (agg[k][prefix] * sc for k in ("r_at", "r0_at", "h_at"))
    order = np.argsort(g, kind="stable")                 # by signed value: the x axis of the figure
    distinct = np.unique(g)
    if distinct.size <= PLOT_BINS:
        groups = [np.flatnonzero(g == v) for v in distinct]
    else:
        groups = [b for b in np.array_split(order, PLOT_BINS) if b.size]
    gx = [float(np.mean(g[b])) for b in groups]
    left = [
        {"label": "measured |r_t,i| at the step's most closed component", "x": gx,
         "y": [float(np.mean(r[b])) for b in groups], "style": "solid", "marker": "o"},
        {"label": "|r⁰| with G_i set to 0 at the same states", "x": gx,
         "y": [float(np.mean(r0[b])) for b in groups], "style": "dashed", "marker": "s"},
        {"label": "|h_{t−1,i}| (what a reset loses)", "x": gx,
         "y": [float(np.mean(h[b])) for b in groups], "style": "dotted"},
    ]
    T = prefix.shape[1]
    with np.errstate(invalid="ignore"):
        cnt = prefix.sum(axis=0)
        r0_t = np.where(cnt > 0, agg["r0_t"].sum(axis=0) / np.maximum(cnt, 1), np.nan) * sc
        h_t = np.where(cnt > 0, agg["h_t"].sum(axis=0) / np.maximum(cnt, 1), np.nan) * sc
    ts = list(range(1, T + 1))
    right = [
        {"label": "mean |r⁰_t,i| (deciding: the update at G_i = 0)", "x": ts, "y": r0_t.tolist(), "style": "solid",
         "marker": "o"},
        {"label": "mean |h_{t−1,i}|", "x": ts, "y": h_t.tolist(), "style": "dotted"},
    ]
    positive = bool(g.size and g.min() > 0.0)
    return {
        "title": f"§3.1.2 / §4.5: is the state retained where the gate is 0? — {regime.name} ({regime.form} form)",
        "panels": [
            {"title": "retention error against the gate value", "xlabel": "gate value g_i (smallest component)",
             "ylabel": "|r| (state units)", "xscale": "log" if positive else "linear", "yscale": "linear",
             "series": left, "hlines": [{"y": 0.0, "label": "claim: r = 0 (retained)"}],
             "note": "r = h_t,i − h_{t−1,i} − w_t,i; points: the steps grouped by gate value (equal-count bins, or each "
                     "distinct value)"},
            {"title": "zero-gate retention error over time", "xlabel": "step t",
             "ylabel": "mean over paths and components (state units)", "yscale": "linear", "series": right,
             "hlines": [{"y": 0.0, "label": "claim: r⁰ = 0"}],
             "note": "gated form: r⁰ = −h_{t−1,i}; leaky form: r⁰ = 0"},
        ],
    }
