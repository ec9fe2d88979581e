"""Check of ``rd-converse`` (§4.1, a control): every compressor of h_t lies on or above R(D).

Compressors: the noisy gates and the water-filling test channels (closed forms, exact comparisons of
I(h_t; ĥ_t) against R(E‖h_t − ĥ_t‖²)) and uniform scalar quantisers (Monte Carlo: H(ĥ) with the
Miller–Madow correction, Bonferroni intervals for rate and distortion).  Noiseless gates are left out:
I(h_t; ĥ_t) = ∞ for them.  Shared machinery and units: :mod:`._gaussian_source`.
"""

from __future__ import annotations

import numpy as np

from .. import estimators
from ..theorems import Regime
from ..theorems._gaussian_source import evaluate_linear, linear_compressors, optimal_channel, source_of
from ..theorems.rd_converse import RD_CONVERSE

from ._base import Settings, hypotheses_json
from ._gaussian_source import (NOISE_LEVELS, OPTIMAL_THETAS, GaussianSourceCheck, closed_comparison, mean_ci_at,
                               quantiser_steps, quantiser_terms, rd_plot, source_json)
from ._verdict import HOLDS, RTOL, CheckResult, combine, interval_comparison, staged

__all__ = ["RDConverseCheck"]

SAMPLES_PER_PATH = 16                     # rd-converse quantiser samples per path of the run settings


class RDConverseCheck(GaussianSourceCheck):
    claim = RD_CONVERSE
    samples_per_path = SAMPLES_PER_PATH

    def _linear(self, regime, src):
        scale = float(np.trace(src.cov)) / src.d
        comps = linear_compressors(regime, src, tuple(v * scale for v in NOISE_LEVELS))
        lam_max = float(np.linalg.eigvalsh(src.cov)[-1])
        comps += [optimal_channel(src, f * lam_max) for f in OPTIMAL_THETAS]
        return [evaluate_linear(src, c) for c in comps]

    def planned_comparisons(self, regime, settings):
        if not self._computable(regime):
            return 0
        # Only statistical comparisons need a share of α: the linear compressors are closed forms.
        return len(quantiser_steps(source_of(regime)))

    def run(self, regime: Regime, settings: Settings) -> CheckResult:
        na = self._na(regime)
        if na is not None:
            return na
        src = source_of(regime)
        linear = self._linear(regime, src)
        exact = []
        for row in linear:
            bound = estimators.rate_distortion_gaussian(src.cov, row["distortion"], base=2).value
            row["R_of_D_bits"] = bound
            exact.append(closed_comparison(row["name"], row["rate_bits"], bound, ">=",
                                           meta={"family": row["family"], "dims": row["dims"],
                                                 "distortion": row["distortion"]}, infinity_is_exact=True))
        cs = quantiser_steps(src)

        def draw(first, n):
            return self._draw(regime, settings, src, first, n)

        qrows: list = []

        def decide(data):
            qrows.clear()
            out = list(exact)
            level = settings.level
            for c in cs:
                q = quantiser_terms(src, data, c, with_inputs=False)
                r_ci, d_ci = mean_ci_at(q["rate_terms"], level / 2), mean_ci_at(q["dist"], level / 2)
                R, R_lo, R_hi = r_ci.estimate + q["mm"], r_ci.low + q["mm"], r_ci.high + q["mm"]
                rd = lambda D: estimators.rate_distortion_gaussian(src.cov, max(D, 0.0), base=2).value  # noqa: E731
                est, lo, hi = R - rd(d_ci.estimate), R_lo - rd(d_ci.low), R_hi - rd(d_ci.high)
                name = f"quantiser Δ = {c:g}·sd"
                qrows.append({"name": name, "family": "uniform scalar quantiser", "dims": src.d, "gate": False,
                              "rate_bits": R, "rate_ci": [R_lo, R_hi], "distortion": d_ci.estimate,
                              "distortion_ci": [d_ci.low, d_ci.high], "R_of_D_bits": rd(d_ci.estimate),
                              "occupied_cells": q["occupied"], "miller_madow_bits": q["mm"],
                              "steps": q["steps"].tolist()})
                out.append(interval_comparison(name, est, lo, hi, 0.0, ">=", q["dist"].size,
                                               meta={"family": "uniform scalar quantiser", "rate_bits": R,
                                                     "distortion": d_ci.estimate,
                                                     "construction": "Bonferroni: R and D intervals at level/2"}))
            return out

        n0 = SAMPLES_PER_PATH * settings.paths
        comps, data, n, used = staged(draw, decide, n0, settings.max_stages)
        verdict = combine(comps)
        rows = linear + list(qrows)
        for row, comp in zip(rows, comps):
            row["margin_bits"] = comp.statistic - comp.bound if comp.meta.get("closed_form") else comp.statistic
            row["holds"] = comp.decision == HOLDS
        details = {
            "hypotheses": hypotheses_json(self.claim, regime),
            "rests_on": ("R(D) of the exact Gaussian law of h_t (reverse water-filling); closed-form I(h; ĥ) for "
                         "noisy linear compressors and water-filling channels; H(ĥ) (Miller–Madow) for quantisers"),
            "caveats": self._caveats(src),
            "units": "rates in bits; distortions in state units² (total over coordinates)",
            "source": source_json(src), "stages_used": used,
            "statistic_name": "I(h_t; ĥ_t) − R(E‖h_t − ĥ_t‖²) (bits; closed form: I(h_t; ĥ_t) against R(D))",
            "compressors": rows,
        }
        details["plots"] = [rd_plot(regime, src, rows, "rate_bits",
                                     f"Rate-distortion converse (§4.1) — {regime.name}",
                                     "rate I(h_t; ĥ_t) (bits)", note="points must lie on or above the curve")]
        return self._result(regime, comps, verdict, n, details)

    @staticmethod
    def _caveats(src):
        out = ["noiseless gates are not tried here: I(h_t; ĥ_t) = ∞ for them, which satisfies the converse trivially",
               "the water-filling channels sit exactly on the curve: those comparisons hold with equality "
               f"(to the relative tolerance {RTOL:g})"]
        return out
