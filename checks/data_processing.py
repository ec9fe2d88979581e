"""Check of the data-processing inequality (§5.3), a control, on the exact Gaussian source h_t.

The same source and compressors as Theorem 1 and the converse (``checks._gaussian_source``):
noiseless gates ĥ = g ⊙ h (coordinate subsets, scalings, the regime's gate), the same
gates with added noise N(0, σ²I) on the kept coordinates, and the water-filling test
channels.  For each, two closed-form (exact) comparisons in bits:

* I(ĥ_t; x_{1:t}) ≤ I(h_t; x_{1:t});
* I(ĥ_t; x_{1:t}) ≤ I(ĥ_t; h_t)  (= ∞ for a noiseless gate: a genuine infinity, compared as such).

No sampling: no share of α.  Uniform quantisers (whose informations are estimated) are
left out.  Rows are INCONCLUSIVE where the closed forms leave float64's range, as Theorem 1's.
"""

from __future__ import annotations

import math

import numpy as np

from ..theorems import Regime
from ..theorems.data_processing import DATA_PROCESSING
from ..theorems._gaussian_source import evaluate_linear, linear_compressors, optimal_channel, source_of

from ._base import Settings, hypotheses_json
from ._gaussian_source import NOISE_LEVELS, OPTIMAL_THETAS, GaussianSourceCheck, closed_comparison, source_json
from ._verdict import combine

__all__ = ["DataProcessingCheck"]


class DataProcessingCheck(GaussianSourceCheck):
    claim = DATA_PROCESSING

    def planned_comparisons(self, regime, settings):
        return 0        # closed forms only

    @staticmethod
    def compressors(regime, src):
        scale = float(np.trace(src.cov)) / src.d
        comps = linear_compressors(regime, src)
        comps += linear_compressors(regime, src, tuple(v * scale for v in NOISE_LEVELS))
        lam_max = float(np.linalg.eigvalsh(src.cov)[-1])
        comps += [optimal_channel(src, f * lam_max) for f in OPTIMAL_THETAS]
        return comps

    def run(self, regime: Regime, settings: Settings):
        na = self._na(regime)
        if na is not None:
            return na
        src = source_of(regime)
        i_hx = src.info_state_inputs()
        rows = [evaluate_linear(src, c) for c in self.compressors(regime, src)]
        comps = []
        for r in rows:
            meta = {"family": r["family"], "dims": r["dims"], "I_hat_inputs_bits": r["info_inputs_bits"]}
            comps.append(closed_comparison(f"{r['name']}: I(ĥ; x) ≤ I(h; x)", r["info_inputs_bits"], i_hx, "<=",
                                           {**meta, "inequality": "I(ĥ_t; x_1:t) ≤ I(h_t; x_1:t)"},
                                           infinity_is_exact=True))
            comps.append(closed_comparison(f"{r['name']}: I(ĥ; x) ≤ I(ĥ; h)", r["info_inputs_bits"], r["rate_bits"],
                                           "<=", {**meta, "inequality": "I(ĥ_t; x_1:t) ≤ I(ĥ_t; h_t)"},
                                           infinity_is_exact=True))
            r["slack_state_bits"] = i_hx - r["info_inputs_bits"]
            r["slack_compressor_bits"] = r["rate_bits"] - r["info_inputs_bits"]
        verdict = combine(comps)
        tight = [r["name"] for r in rows if math.isfinite(r["slack_state_bits"])
                 and abs(r["slack_state_bits"]) <= 1e-9 * max(abs(i_hx), 1e-300)]
        caveats = ["I(ĥ_t; h_t) = ∞ for a noiseless gate (a deterministic function of a continuous h_t): the second "
                   "inequality then holds trivially; the noisy gates and water-filling channels test it"]
        if tight:
            caveats.append(f"equality I(ĥ; x) = I(h; x) (within the relative tolerance) for {', '.join(tight)}: "
                           "these keep every direction the inputs reach")
        details = {
            "hypotheses": hypotheses_json(self.claim, regime),
            "rests_on": ("exact Gaussian law of h_t (constant gate, Gaussian inputs); closed-form informations of "
                         "linear compressors, the same machinery as theorem1 and rd-converse"),
            "caveats": caveats,
            "units": "informations in bits",
            "source": source_json(src),
            "I_state_inputs_bits": i_hx,
            "statistic_name": "I(ĥ_t; x_{1:t}) (bits) against I(h_t; x_{1:t}) and I(ĥ_t; h_t)",
            "compressors": rows,
        }
        details["plots"] = [_plot(regime, rows, i_hx)]
        return self._result(regime, comps, verdict, 0, details)


def _plot(regime, rows, i_hx) -> dict:
    groups: dict[str, list] = {}
    for r in rows:
        groups.setdefault(r["family"], []).append(r)
    markers = ["o", "s", "^", "D", "v", "P"]
    left = [{"label": fam, "x": [r["distortion"] for r in rs], "y": [r["info_inputs_bits"] for r in rs],
             "style": "points", "marker": markers[k % len(markers)]} for k, (fam, rs) in enumerate(groups.items())]
    finite = [r for r in rows if math.isfinite(r["rate_bits"])]
    top = max([r["rate_bits"] for r in finite] + [i_hx if math.isfinite(i_hx) else 0.0, 1e-9])
    right = [{"label": "I(ĥ; x) = I(ĥ; h) (the bound)", "x": [0.0, top], "y": [0.0, top], "style": "dashed"}]
    right += [{"label": fam, "x": [r["rate_bits"] for r in rs if math.isfinite(r["rate_bits"])],
               "y": [r["info_inputs_bits"] for r in rs if math.isfinite(r["rate_bits"])],
               "style": "points", "marker": markers[k % len(markers)]}
              for k, (fam, rs) in enumerate(groups.items()) if any(math.isfinite(r["rate_bits"]) for r in rs)]
    return {
        "title": f"Data processing (§5.3): information about the inputs kept by each compressor — {regime.name}",
        "panels": [
            {"title": "I(ĥ; x) ≤ I(h; x)", "xlabel": "distortion E‖h_t − ĥ_t‖² (state units²)",
             "ylabel": "I(ĥ_t; x_{1:t}) (bits)", "yscale": "linear", "series": left,
             "hlines": [{"y": i_hx, "label": f"I(h_t; x_{{1:t}}) = {i_hx:.3g} bits (the bound)"}],
             "note": "every point must lie on or below the line"},
            {"title": "I(ĥ; x) ≤ I(ĥ; h)", "xlabel": "I(ĥ_t; h_t) (bits)", "ylabel": "I(ĥ_t; x_{1:t}) (bits)",
             "yscale": "linear", "series": right, "hlines": [],
             "note": "every point must lie on or below the diagonal; noiseless gates (I(ĥ; h) = ∞) are not drawn"},
        ],
    }
