"""Check of ``rd-curve`` (§4.1, a control): the analytic R(D) of h_t inside the Blahut–Arimoto band.

For each water level θ, two exact comparisons (bits): R(D' + ε) ≤ R_BA (upper side) and
R(D_θ) ≥ L_BA(D_θ + shift) (lower side), from ``estimators.gaussian_rate_distortion_band`` on a
centroid discretisation of the source's top eigen-components (see that module for why both are
deterministic inequalities).  Computed, not sampled: no share of α.  Shared machinery:
:mod:`._gaussian_source`.
"""

from __future__ import annotations

import numpy as np

from ..theorems import Regime
from ..theorems._gaussian_source import SOURCE_FLOOR, source_of
from ..theorems.rd_curve import RD_CURVE

from ._base import Settings, hypotheses_json
from ._gaussian_source import (BA_HALF_WIDTH, BA_PER_SD, GaussianSourceCheck, blahut_arimoto_band,
                               closed_comparison, rd_bits, source_json)
from ._verdict import CheckResult, combine

__all__ = ["RDCurveCheck"]


class RDCurveCheck(GaussianSourceCheck):
    claim = RD_CURVE

    def planned_comparisons(self, regime, settings):
        return 0  # Blahut–Arimoto's band is computed, not sampled: no share of α is needed

    def run(self, regime: Regime, settings: Settings) -> CheckResult:
        na = self._na(regime)
        if na is not None:
            return na
        src = source_of(regime)
        band = blahut_arimoto_band(regime)
        comps = []
        for p in band["points"]:
            up, low = p["upper_side"], p["lower_side"]
            comps.append(closed_comparison(f"θ={p['theta']:.4g}: R(D_BA + ε) ≤ R_BA", up["R_analytic_bits"],
                                           up["bound_bits"], "<=", meta={"D": up["D"], "side": "upper"}))
            comps.append(closed_comparison(f"θ={p['theta']:.4g}: R(D_θ) ≥ L_BA(D_θ + shift)",
                                           low["R_analytic_bits"], low["bound_bits"], ">=",
                                           meta={"D": low["D"], "side": "lower"}))
        verdict = combine(comps)
        caveats = ["BA runs a fixed number of iterations; its rate and dual bound are valid at any iteration, "
                   "so an unconverged run only widens the band"]
        if band["projected"]:
            caveats.append(f"the source has {len(band['all_eigenvalues'])} components; the curve is checked on its top "
                           f"{len(band['eigenvalues'])} eigen-components (a projection)")
        if len(band["eigenvalues"]) < src.d and not band["projected"]:
            caveats.append("components with zero or negligible variance (below 1e-12 of the largest, or below "
                           f"{SOURCE_FLOOR:g}) are left out")
        details = {
            "hypotheses": hypotheses_json(self.claim, regime),
            "rests_on": ("Blahut–Arimoto on a centroid discretisation in the eigenbasis (product grid, exact "
                         "factorisation), with a band derived from the exact discretisation error"),
            "caveats": caveats,
            "units": "rates in bits; distortions in state units²",
            "source": source_json(src), "blahut_arimoto": band,
            "statistic_name": "analytic R (bits) at the shifted distortion, against the BA bound",
        }
        details["plots"] = [self._plot(regime, band)]
        return self._result(regime, comps, verdict, 0, details)

    @staticmethod
    def _plot(regime, band) -> dict:
        lams = np.asarray(band["eigenvalues"])
        tr = float(lams.sum())
        ds = np.geomspace(min(p["D_ba"] for p in band["points"]) * 0.5, tr, 40).tolist()
        curve = [rd_bits(lams, D) for D in ds]
        pts = band["points"]
        return {
            "title": f"R(D): reverse water-filling vs Blahut–Arimoto — {regime.name}",
            "panels": [{
                "xlabel": "distortion D (state units²)", "ylabel": "rate (bits)", "yscale": "linear",
                "series": [
                    {"label": "analytic R(D)" + (" (top components)" if band["projected"] else ""), "x": ds,
                     "y": curve, "style": "solid"},
                    {"label": "BA point (D', R_BA); bar: certified [R_lower, R_upper] on the grid",
                     "x": [p["D_ba"] for p in pts], "y": [p["R_ba_upper_bits"] for p in pts],
                     "yerr_lo": [p["R_ba_lower_grid_bits"] for p in pts],
                     "yerr_hi": [p["R_ba_upper_bits"] for p in pts],
                     "style": "points", "marker": "x"},
                    {"label": "upper side: (D' + ε, R_BA) must lie on/above the curve",
                     "x": [p["upper_side"]["D"] for p in pts], "y": [p["upper_side"]["bound_bits"] for p in pts],
                     "style": "points", "marker": "^"},
                    {"label": "lower side: (D_θ, L_BA(D_θ + shift)) must lie on/below the curve",
                     "x": [p["lower_side"]["D"] for p in pts], "y": [p["lower_side"]["bound_bits"] for p in pts],
                     "style": "points", "marker": "v"},
                ],
                "hlines": [],
                "note": (f"grid step σ_i/{BA_PER_SD} on ±{BA_HALF_WIDTH:g}σ_i per eigen-component; "
                         f"ε = {sum(band['grid']['eps_per_component']):.3g} state units²"),
            }],
        }
