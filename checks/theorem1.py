"""Check of ``theorem1`` (§6.1): E‖h_t − ĥ_t‖² ≤ D(I_min) at I_min = I(ĥ_t; x_{1:t}), for gates of h_t.

Deciding compressors: the noiseless gates (keep a coordinate subset, scale, the regime's gate), each
an exact comparison of its distortion against the distortion-rate function of h_t at its own
I(ĥ_t; x_{1:t}).  Uniform scalar quantisers are reported beside them (Monte Carlo, not deciding: they
are not gates).  Shared machinery and units: :mod:`._gaussian_source`.
"""

from __future__ import annotations

import math

from .. import estimators
from ..theorems import Regime
from ..theorems._gaussian_source import evaluate_linear, linear_compressors, source_of
from ..theorems.theorem1 import THEOREM1

from ._base import Settings, hypotheses_json
from ._gaussian_source import (GaussianSourceCheck, closed_comparison, mean_ci_at, quantiser_steps, quantiser_terms,
                               rd_plot, source_json)
from ._verdict import VIOLATED, CheckResult, combine, exact_comparison, interval_comparison, staged

__all__ = ["Theorem1Check"]

THEOREM1_SAMPLES_PER_PATH = 4             # theorem1 quantisers are reported, not decided: fewer samples


class Theorem1Check(GaussianSourceCheck):
    claim = THEOREM1
    samples_per_path = THEOREM1_SAMPLES_PER_PATH

    def planned_comparisons(self, regime, settings):
        if not self._computable(regime):
            return 0
        return 0  # every deciding comparison is a closed form (the quantisers are reported, not deciding)

    def run(self, regime: Regime, settings: Settings) -> CheckResult:
        na = self._na(regime)
        if na is not None:
            return na
        src = source_of(regime)
        rows = [evaluate_linear(src, c) for c in linear_compressors(regime, src)]
        # Mark the subset keeping the most information about the inputs, per size.
        best: dict[int, dict] = {}
        for r in rows:
            if r["family"] == "keep-subset gate":
                if r["dims"] not in best or r["info_inputs_bits"] > best[r["dims"]]["info_inputs_bits"]:
                    best[r["dims"]] = r
        exact = []
        for r in rows:
            r["most_informative_of_its_size"] = any(b is r for b in best.values())
            bound = estimators.distortion_rate_gaussian(src.cov, r["info_inputs_bits"], base=2).value
            r["I_min_bits"] = r["info_inputs_bits"]
            r["D_of_I_min"] = bound
            r["excess"] = r["distortion"] - bound
            r["violates"] = exact_comparison("", r["distortion"], bound, "<=").decision == VIOLATED
            r["violates_with_mmse_decoder"] = exact_comparison("", r["distortion_mmse"], bound, "<=").decision == VIOLATED
            exact.append(closed_comparison(r["name"], r["distortion"], bound, "<=",
                                           meta={"family": r["family"], "dims": r["dims"],
                                                 "I_min_bits": r["info_inputs_bits"],
                                                 "distortion_mmse": r["distortion_mmse"]}))
        cs = quantiser_steps(src)

        def draw(first, n):
            return self._draw(regime, settings, src, first, n)

        qrows: list = []

        def decide(data):
            qrows.clear()
            out = list(exact)
            level = settings.level
            for c in cs:
                q = quantiser_terms(src, data, c, with_inputs=True)
                i_ci, d_ci = mean_ci_at(q["info_terms"], level / 2), mean_ci_at(q["dist"], level / 2)
                I, I_lo, I_hi = (max(v + q["mm"], 0.0) for v in (i_ci.estimate, i_ci.low, i_ci.high))
                r_ci = mean_ci_at(q["rate_terms"], level)
                Dr = lambda R: estimators.distortion_rate_gaussian(src.cov, R, base=2).value  # noqa: E731
                est, lo, hi = d_ci.estimate - Dr(I), d_ci.low - Dr(I_lo), d_ci.high - Dr(I_hi)
                name = f"quantiser Δ = {c:g}·sd"
                cmp_ = interval_comparison(name, est, lo, hi, 0.0, "<=", q["dist"].size, decides=False,
                                           meta={"family": "uniform scalar quantiser (not a gate: reported only)",
                                                 "I_min_bits": I, "distortion": d_ci.estimate,
                                                 "construction": "Bonferroni: I_min and D intervals at level/2"})
                out.append(cmp_)
                qrows.append({
                    "name": name, "family": "uniform scalar quantiser", "dims": src.d, "gate": False,
                    "rate_bits": r_ci.estimate + q["mm"], "rate_ci": [r_ci.low + q["mm"], r_ci.high + q["mm"]],
                    "info_inputs_bits": I, "info_ci": [I_lo, I_hi],
                    "info_is": "exact" if q["noise_diagonal"] else "lower bound (subadditivity)",
                    "distortion": d_ci.estimate, "distortion_ci": [d_ci.low, d_ci.high],
                    "I_min_bits": I, "D_of_I_min": Dr(I), "excess": est, "excess_ci": [lo, hi],
                    "violates": cmp_.decision == VIOLATED, "decides": False, "occupied_cells": q["occupied"],
                })
            return out

        n0 = THEOREM1_SAMPLES_PER_PATH * settings.paths
        comps, data, n, used = staged(draw, decide, n0, settings.max_stages)
        verdict = combine(comps)
        for r in rows:
            r["decides"] = True
        allrows = rows + list(qrows)
        worst = max(rows, key=lambda r: r["excess"]) if rows else None
        i_hx = src.info_state_inputs()
        details = {
            "hypotheses": hypotheses_json(self.claim, regime),
            "rests_on": ("exact Gaussian law of h_t; for each gate, I_min = I(ĥ_t; x_{1:t}) and D = E‖h_t − ĥ_t‖² "
                         "in closed form, against the distortion-rate function D(I_min) of h_t"),
            "caveats": self._caveats(rows, verdict),
            "units": "rates and informations in bits; distortions in state units² (total over coordinates)",
            "source": source_json(src), "stages_used": used,
            "statistic_name": "E‖h_t − ĥ_t‖² (state units²) against D(I(ĥ_t; x_{1:t}))",
            "worst_compressor": ({"name": worst["name"], "excess": worst["excess"], "distortion": worst["distortion"],
                                  "D_of_I_min": worst["D_of_I_min"], "I_min_bits": worst["I_min_bits"],
                                  "dims": worst["dims"]} if worst else None),
            "compressors": allrows,
            "data_processing": {"I_state_inputs_bits": i_hx,
                                "max_I_gate_inputs_bits": max((r["info_inputs_bits"] for r in rows), default=0.0)},
        }
        details["plots"] = [rd_plot(regime, src, allrows, "info_inputs_bits",
                                     f"Theorem 1 (§6.1): distortion vs retained input information — {regime.name}",
                                     "I_min = I(ĥ_t; x_{1:t}) (bits)",
                                     [{"y": i_hx, "label": "I(h_t; x_{1:t}) (no ĥ exceeds it)"}],
                                     note="Theorem 1 puts every gate on or below the curve",
                                     with_ba=False)]
        return self._result(regime, comps, verdict, n, details)

    @staticmethod
    def _caveats(rows, verdict):
        out = ["deciding compressors are gates (the paper's ĥ_t); quantisers are reported beside them, not decided",
               "ĥ_t itself is the reproduction; 'violates_with_mmse_decoder' says whether the best decoder "
               "E[h_t | ĥ_t] would still exceed D(I_min)"]
        broken = [r["name"] for r in rows if r.get("violates")]
        if broken:
            out.append(f"{len(broken)} of {len(rows)} gates break the bound: {', '.join(broken)}")
        infinite = [r["name"] for r in rows if not math.isfinite(r["info_inputs_bits"])]
        if infinite:
            out.append(f"I(ĥ_t; x_1:t) = ∞ for {', '.join(infinite)}: the noise leaves some direction of ĥ_t a "
                       "deterministic function of the inputs, so D(I_min) = 0 and any distortion breaks the bound")
        return out
