"""Check of Lemma 1 as written (§6.2): the copies' noise is independent.

The same paired paths as ``lemma1`` (purpose "lemma1": base chain from h_0 and
one copy per separation δ, same inputs, each coupling simulated), so this row
costs no new simulation or compilation.  Here the *independent* coupling
decides: at every t ≤ T and δ, E‖Δ_t‖/E‖Δ_{t−1}‖ against κ = ρ·L_G by the
one-sided test of E[‖Δ_t‖ − κ‖Δ_{t−1}‖] ≤ 0 (skew-robust; exact when the
difference does not vary), one (t, δ) chosen by a pilot (sample splitting).
Synchronous coupling is reported beside it.  The noise floor E‖w_t − w'_t‖
(closed form, ``theorems.lemma1_independent.noise_floor``) is reported: no
E‖Δ_t‖ can fall below it.

Mamba's selective scan (form "s6"): κ = 0 there (``theorems.lemma1``), and the row is decided exactly, as
``lemma1``'s: the closed-form lower bound ℓ = exp(−Σ_c max_n|A[c,n]|·E[Δ_c]) > 0 of E‖Δ_t‖/E‖Δ_{t−1}‖, which
holds with independent noise too (conditional Jensen on the symmetric noise difference); the simulated ratios
and the noise floor are reported beside it.
"""

from __future__ import annotations

import math

import numpy as np

from ..theorems.lemma1 import paper_constants, paper_kappa
from ..theorems.lemma1_independent import CORRECTED_STATEMENT, LEMMA1_INDEPENDENT, noise_floor

from .lemma1 import _Lemma1Base

__all__ = ["Lemma1IndependentCheck"]


class Lemma1IndependentCheck(_Lemma1Base):
    claim = LEMMA1_INDEPENDENT
    needs_corrected_terms = False
    exact_on_s6 = True
    deciding_couplings = ("independent",)
    rests_on = ("independent coupling (same inputs, independent process noise w_t, w'_t), as the proof of Lemma 1 "
                "states it; synchronous coupling is reported beside it")
    statistic_name = "ratio E‖Δ_t‖ / E‖Δ_{t−1}‖ (independent noise)"

    def _ratio(self, regime, dist, rhs):
        return dist[:, 1:, :], dist[:, :-1, :], paper_kappa(regime)

    def tightest_constant(self, comps) -> dict:
        return _tightest_independent(comps)

    def _extra(self, regime, comps):
        floor = noise_floor(regime.noise_cov)
        const = paper_constants(regime)
        return {
            "kappa": const["kappa"], "rho": const["rho"], "lipschitz": const["lipschitz"],
            "noise_floor": floor,
            "noise_floor_meaning": "E‖w_t − w'_t‖ (state units, closed form): E‖Δ_t‖ ≥ this at every t ≥ 1",
            "corrected_statement": CORRECTED_STATEMENT,
            **_tightest_independent(comps),
        }

    def details(self, regime, settings, comps, data):
        out = super().details(regime, settings, comps, data)
        dist = data.get("independent.dist")
        if dist is not None:
            with np.errstate(invalid="ignore", over="ignore"):
                mean_dist = dist.mean(axis=0)           # (steps + 1, S)
            out["mean_distance_independent"] = {f"{s:g}": mean_dist[:, k].tolist()
                                                for k, s in enumerate(out["separations"])}
            floor = out["noise_floor"]
            if floor > 0.0:
                out["plots"].append(_distance_plot(regime, out["separations"], mean_dist, floor))
        if not np.any(regime.noise_cov):
            out["caveats"].append("Q = 0: independent and synchronous coupling coincide, so this row decides the "
                                  "same comparisons as lemma1")
        return out


def _tightest_independent(comps) -> dict:
    sel = [c for c in comps if c.meta["coupling"] == "independent" and c.decides and c.selected
           and math.isfinite(c.ci[0])]
    worst_low = max((c.ci[0] for c in sel), default=math.nan)
    return {"smallest_supported_kappa": worst_low, "every_admissible_kappa_violated": bool(worst_low > 1.0)}


def _distance_plot(regime, seps, mean_dist, floor) -> dict:
    steps = mean_dist.shape[0] - 1
    series = [{"label": f"E‖Δ_t‖, independent, δ={s:g}", "x": list(range(steps + 1)),
               "y": [float(v) for v in mean_dist[:, k]], "style": "solid"} for k, s in enumerate(seps)]
    return {
        "title": f"Lemma 1 with independent noise: distance against the noise floor — {regime.name}",
        "panels": [{
            "xlabel": "step t", "ylabel": "E‖h_t − h'_t‖ (state units)", "yscale": "log", "series": series,
            "hlines": [{"y": floor, "label": f"noise floor E‖w_t − w'_t‖ = {floor:.3g} (closed form)"}],
            "note": "independent coupling: no distance can fall below the noise floor, so κ < 1 cannot hold "
                    "once it is reached",
        }],
    }
