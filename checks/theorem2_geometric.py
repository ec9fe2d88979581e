"""Check of the proof step of Theorem 2: E‖Δ_t‖ ≤ κᵗ E‖Δ_0‖ (Lemma 1 iterated).

The same paired paths as ``lemma1`` (purpose "lemma1": a base chain from h_0 and
one copy per separation δ at h_0 + δ·u, u a random unit vector per path, same
inputs), so this row costs no new simulation or compilation.  ‖Δ_0‖ = δ exactly,
so at every t ≤ T and δ the statistic is E‖Δ_t‖/‖Δ_0‖ against κᵗ, decided by the
one-sided test of E[‖Δ_t‖ − κᵗ‖Δ_0‖] ≤ 0 (skew-robust; exact when the difference
does not vary, as for an isotropic linear chain).  Synchronous coupling decides
(the coupling most favourable to the claim); independent coupling is reported.
A pilot share of the paths picks the one (t, δ) most likely to violate the claim
(sample splitting); a PASS needs every point to hold.  A step is decided when every
path resolved the copies' separation at every step up to it (above 64 ulps of
the magnitudes entering the update: after an unresolved step the distance is
rounding, not dynamics); otherwise the paths that lost it are counted as 0, a
lower bound on E‖Δ_t‖, which can establish a violation but not a PASS (else the
point is reported, not decided).  The corrected iterate E[Π_{k≤t} c_k] (synchronous,
c_k = the corrected one-step factor, recovered pathwise from the simulation) is
reported and drawn beside κᵗ.

Form "s6" (Mamba's selective scan) is decided without simulation: κ = 0 (the gate reads only x), and
Δ_t[i] = Δ_0[i]·Π_{k≤t} exp(Δ_c(x_k) A[c, n]) ≠ 0 on every path, so E‖Δ_1‖ > 0 = κ‖Δ_0‖: FAIL by exact
mathematics.  The row reports the exact E‖Δ_t‖/‖Δ_0‖ = E[decay_i]^t along each coordinate direction and the
bound ρ^(t/2), ρ = max_i E[decay_i²], valid for every direction (``theorems.theorem2_geometric``).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..theorems import _constants as K
from ..theorems.theorem2 import is_s6
from ..theorems.theorem2_geometric import CORRECTED_STATEMENT, THEOREM2_GEOMETRIC, s6_coordinate_ratios

from ._base import SECONDS_PER_ROW
from ._verdict import EPS, RESOLUTION_ULPS, VIOLATED, exact_comparison, ratio_comparisons
from .lemma1 import COUPLINGS, _Lemma1Base, _resolved, _steps_and_seps

__all__ = ["Theorem2GeometricCheck"]


class Theorem2GeometricCheck(_Lemma1Base):
    claim = THEOREM2_GEOMETRIC
    needs_corrected_terms = False
    deciding_couplings = ("synchronous",)
    rests_on = "synchronous coupling (shared inputs and noise), the coupling most favourable to the claim"
    statistic_name = "ratio E‖Δ_t‖ / ‖Δ_0‖ against κᵗ"

    # --- form s6: exact, no simulation ------------------------------------------------------------

    def splits(self, regime) -> bool:
        return False if is_s6(regime) else super().splits(regime)

    def planned_comparisons(self, regime, settings):
        return 0 if is_s6(regime) else super().planned_comparisons(regime, settings)

    def estimate(self, regime, settings):
        if is_s6(regime):
            return 8.0 * 1024 * 64, SECONDS_PER_ROW + 0.01 * regime.m
        return super().estimate(regime, settings)

    def run(self, regime, settings):
        if not is_s6(regime):
            return super().run(regime, settings)
        from ..estimators._second_moment import s6_decay_second_moments
        steps, _ = _steps_and_seps(regime)
        p = regime.s6
        ratios = s6_coordinate_ratios(regime, steps)                         # (T, m, N)
        i = int(np.argmax(ratios[0]))
        c, n = divmod(i, p.N)
        rho = float(np.max(s6_decay_second_moments(p, regime.input_law, regime.input_scale)))   # in [0, 1]
        decides = self.decides(regime)
        proof = ("exact: κ = 0 (the S6 gate reads only x), so the claim asserts Δ_1 = 0; but Δ_1[i] = "
                 "exp(Δ_c(x_1)·A[c, n])·Δ_0[i] with exp(·) > 0 for every input, so ‖Δ_1‖ > 0 on every path "
                 "whenever Δ_0 ≠ 0")
        first = exact_comparison(f"synchronous, Δ_0 along (channel {c}, state {n}), t=1: E‖Δ_1‖/‖Δ_0‖ = "
                                 "E[exp(Δ_c A[c, n])]", float(ratios[0, c, n]), 0.0, "<=", decides=decides,
                                 meta={"coupling": "synchronous", "t": 1, "channel": c, "state": n, "index": i,
                                       "kappa_power": 0.0, "certificate": proof})
        comps = [dataclasses.replace(first, decision=VIOLATED, z=math.inf)]
        comps.append(exact_comparison(f"synchronous, Δ_0 along (channel {c}, state {n}), t={steps}: "
                                      f"E‖Δ_t‖/‖Δ_0‖ = E[exp(Δ_c A[c, n])]^t", float(ratios[-1, c, n]), 0.0, "<=",
                                      decides=False, meta={"coupling": "synchronous", "t": steps, "channel": c,
                                                           "state": n, "index": i, "kappa_power": 0.0,
                                                           "note": "reported: the last step of the horizon"}))
        details = {
            "method": "exact: κ = 0 while S6's decays are positive (closed-form E‖Δ_t‖/‖Δ_0‖ reported)",
            "rests_on": "synchronous coupling (shared inputs and noise): Δ_t = diag(decay(x_t)) Δ_{t−1}, exactly",
            "caveats": ["κ = 0 (L_G = 0: the S6 gate does not read h): the claim asserts h_t = h'_t from t = 1 on"],
            "steps": steps, "statistic_name": self.statistic_name, "kappa": 0.0,
            "corrected_statement": CORRECTED_STATEMENT,
            "s6_exact": {
                "coordinate_ratios": ratios.tolist(),
                "coordinate_ratios_meaning": "E‖Δ_t‖/‖Δ_0‖ = E[exp(Δ_c A[c, n])]^t for Δ_0 along (c, n), t = 1..T",
                "second_moment_radius": rho,
                "mean_square_bound": [rho ** (t / 2.0) for t in range(1, steps + 1)],
                "mean_square_bound_meaning": "ρ^(t/2), ρ = max_i E[decay_i²]: E‖Δ_t‖/‖Δ_0‖ ≤ √(E‖Δ_t‖²)/‖Δ_0‖ "
                                             "≤ ρ^(t/2) for every direction of Δ_0",
                "slowest": {"channel": c, "state": n, "index": i},
            },
            "plots": [_s6_plot(regime, ratios, rho, steps, (c, n))],
        }
        return self.result(regime, comps, 0, details=details)

    def comparisons(self, regime, data, level, decides):
        steps, seps = _steps_and_seps(regime)
        kappa = K.kappa(regime)
        powers = np.array([kappa ** t for t in range(1, steps + 1)])            # (T,)
        decide_on = self.deciding_couplings if decides else ()
        comps = []
        for coupling in (c for c in COUPLINGS if f"{c}.dist" in data):
            dist, scale = data[f"{coupling}.dist"], data[f"{coupling}.scale"]     # (n, T+1, S)
            n = dist.shape[0]
            with np.errstate(invalid="ignore", over="ignore"):
                # per path: every step up to t resolved the separation
                path_ok = np.logical_and.accumulate(
                    _resolved(dist[:, :-1, :], dist[:, 1:, :], scale[:, :-1, :], scale[:, 1:, :]), axis=1)
                ok = path_ok.all(axis=0)                                          # (T, S)
                a = dist[:, 1:, :]
                b = np.broadcast_to(dist[:, :1, :], a.shape)                    # ‖Δ_0‖ = δ
                # Paths that lost the separation to rounding: their true distance is ≥ 0, so counting them as
                # 0 gives a lower bound on E‖Δ_t‖ — enough to establish a violation, not to establish a PASS.
                a_low = np.where(path_ok, a, 0.0)
                p = powers[None, :, None]
                tol = RESOLUTION_ULPS * EPS * (scale[:, 1:, :] + p * scale[:, :1, :] + np.abs(a) + p * b).mean(axis=0)
            order = [(s, t) for s in range(len(seps)) for t in range(1, steps + 1)]
            metas, labels = [], []
            for s, t in order:
                metas.append({"coupling": coupling, "separation": seps[s], "t": t, "kappa_power": float(powers[t - 1])})
                labels.append(f"{coupling}, δ={seps[s]:g}, t={t}")
            ti, si = [t - 1 for s, t in order], [s for s, t in order]
            decides_col = [coupling in decide_on and bool(ok[t - 1, s]) for s, t in order]
            full = ratio_comparisons(a[:, ti, si].reshape(n, -1), b[:, ti, si].reshape(n, -1), powers[ti], level,
                                     labels=labels, decides=decides_col, metas=metas, tol=tol[ti, si])
            bad = [j for j, (s, t) in enumerate(order) if not ok[t - 1, s]]
            if bad:
                bt, bs = [ti[j] for j in bad], [si[j] for j in bad]
                low_metas = [{**metas[j], "note": (
                    f"separation below float64 resolution at or before this step on "
                    f"{int((~path_ok[:, ti[j], si[j]]).sum())} path(s); those counted as 0 (a lower bound on "
                    "E‖Δ_t‖): decides only a violation")} for j in bad]
                low = ratio_comparisons(a_low[:, bt, bs].reshape(n, -1), b[:, bt, bs].reshape(n, -1), powers[bt],
                                        level, labels=[labels[j] for j in bad], decides=coupling in decide_on,
                                        metas=low_metas, tol=tol[bt, bs])
                for j, c in zip(bad, low):
                    if c.decides and c.decision == VIOLATED:
                        full[j] = c
                    else:
                        full[j] = dataclasses.replace(full[j], decides=False, meta={
                            **full[j].meta, "note": "separation below float64 resolution at or before this step: "
                                                    "reported, not decided"})
            comps += full
        return comps

    def details(self, regime, settings, comps, data):
        steps, seps = _steps_and_seps(regime)
        kappa = K.kappa(regime)
        caveats = []
        if kappa == 0.0:
            caveats.append("κ = 0 (L_G = 0: the gate does not read h): the claim asserts h_t = h'_t from t = 1 on")
        unresolved = [c for c in comps if c.meta.get("note", "").startswith("separation below")]
        lower = sum(1 for c in unresolved if c.decides)
        if unresolved:
            caveats.append(f"{len(unresolved)} of {len(comps)} comparisons had paths whose separation fell below float64 "
                           f"resolution at or before that step: {lower} decide a violation on a lower bound (those "
                           "paths counted as 0), the others are reported, not decided")
        nonfinite = sum(1 for c in comps if "non-finite" in c.meta.get("note", "") or "overflow" in c.meta.get("note", ""))
        if nonfinite:
            caveats.append(f"non-finite distances (overflow) at {nonfinite} comparison(s)")
        if regime.gate_depends_on_state:
            caveats.append("κ = ρ·L_G has units of 1/state: κᵗ changes when the state is measured in other units, "
                           "the measured ratio does not")
        corrected = _corrected_iterate(data, len(seps))
        return {
            "rests_on": self.rests_on, "caveats": caveats, "steps": steps, "separations": list(seps),
            "statistic_name": self.statistic_name, "kappa": kappa, "rho": K.rho(regime),
            "lipschitz": K.lipschitz_vector(regime),
            "corrected_statement": CORRECTED_STATEMENT,
            "corrected_iterate": ({f"{s:g}": corrected[:, k].tolist() for k, s in enumerate(seps)}
                                  if corrected is not None else None),
            "corrected_iterate_meaning": "E[Π_{k≤t} c_k] under synchronous coupling (dimensionless): the corrected "
                                         "bound on E‖Δ_t‖/‖Δ_0‖",
            "plots": [_geometric_plot(regime, comps, kappa, steps, seps, corrected)],
        }


def _corrected_iterate(data, n_seps):
    """E[Π_{k≤t} c_k] per (t, δ), synchronous coupling, with c_k = rhs_k/‖Δ_{k−1}‖ (w = w' there).

    NaN where some path had merged copies (‖Δ_{k−1}‖ = 0: c_k is not recovered) or overflowed."""
    rhs, dist = data.get("synchronous.rhs"), data.get("synchronous.dist")
    if rhs is None or dist is None:
        return None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        prev = dist[:, :-1, :]
        c = np.where(prev > 0.0, rhs / prev, np.nan)
        prod = np.cumprod(c, axis=1)
        return prod.mean(axis=0)                                                 # (T, S)


def _s6_plot(regime, ratios, rho, steps, slowest) -> dict:
    ts = list(range(1, steps + 1))
    j = int(np.argmin(ratios[0]))
    fc, fn = divmod(j, regime.s6.N)
    c, n = slowest
    series = [
        {"label": f"exact, slowest coordinate (channel {c}, state {n})", "x": ts,
         "y": ratios[:, c, n].tolist(), "style": "solid"},
        {"label": f"exact, fastest coordinate (channel {fc}, state {fn})", "x": ts,
         "y": ratios[:, fc, fn].tolist(), "style": "solid"},
        {"label": f"bound for every direction: ρ^(t/2), ρ = max E[decay²] = {rho:.4g}", "x": ts,
         "y": [rho ** (t / 2.0) for t in ts], "style": "dotted"},
    ]
    return {
        "title": f"Theorem 2's proof on S6: E‖Δ_t‖/‖Δ_0‖ against κᵗ = 0 — {regime.name}",
        "panels": [{"xlabel": "step t", "ylabel": "E‖Δ_t‖ / ‖Δ_0‖ (dimensionless)", "yscale": "log",
                    "series": series, "hlines": [],
                    "note": "closed forms (no simulation); κᵗ = 0 for t ≥ 1 (κ = 0) cannot be drawn on the log axis"}],
    }


def _geometric_plot(regime, comps, kappa, steps, seps, corrected) -> dict:
    series = []
    for coupling in COUPLINGS:
        for k, sep in enumerate(seps):
            rows = [c for c in comps if c.meta["coupling"] == coupling and c.meta["separation"] == sep]
            if not rows:
                continue
            shown = [not c.meta.get("note", "").startswith("separation below") for c in rows]
            series.append({
                "label": f"measured, {coupling}, δ={sep:g}", "x": [c.meta["t"] for c in rows],
                "y": [c.statistic if ok else math.nan for c, ok in zip(rows, shown)],
                "lo": [c.ci[0] if ok else math.nan for c, ok in zip(rows, shown)],
                "hi": [c.ci[1] if ok else math.nan for c, ok in zip(rows, shown)],
                "style": "solid" if coupling == "synchronous" else "dashed",
            })
            if coupling == "synchronous" and corrected is not None:
                series.append({"label": f"corrected bound, {coupling}, δ={sep:g}", "x": list(range(1, steps + 1)),
                               "y": [float(v) for v in corrected[:, k]], "style": "dotted"})
    ts = list(range(1, steps + 1))
    series.append({"label": f"paper: κᵗ, κ = ρ·L_G = {kappa:.3g}", "x": ts, "y": [kappa ** t for t in ts],
                   "style": "solid", "color": "#000000"})
    note = ("bands: confidence intervals at the per-comparison level (Bonferroni-adjusted); dotted: the corrected "
            "bound E[Π c_k]; steps below float64 resolution are not drawn")
    if kappa == 0.0:
        note += "; κᵗ = 0 for t ≥ 1 (κ = 0) cannot be drawn on the log axis"
    return {
        "title": f"Theorem 2's proof: E‖Δ_t‖/‖Δ_0‖ against κᵗ — {regime.name}",
        "panels": [{"xlabel": "step t", "ylabel": "E‖Δ_t‖ / ‖Δ_0‖ (dimensionless)", "yscale": "log",
                    "series": series, "hlines": [], "note": note}],
    }
