"""Check of §2.1: H(h_t | x_{1:t}) > 0, the differential entropy of the state given the inputs.

Where the gate does not read h, h_t | x_{1:t} ~ N(μ_t(x), Σ_t(x)) with
Σ_t = M(x_t) Σ_{t−1} M(x_t)ᵀ + Q, Σ_0 = 0 (``theorems.entropy_positive``), and
H(h_t | x_{1:t}) = E_x[½ log₂ det(2πe Σ_t(x))] bits, t = 1..T (T = STEPS):

* gate independent of x and h (constant gate, or σ(b) with W = U = 0): Σ_t is
  deterministic; each t is an *exact* comparison (closed form) with an interval
  from a numerical allowance on the eigenvalues (no share of α);
* input-only gate (U = 0, W ≠ 0): Σ_1 = Q on every path, so t = 1 is exact; at
  t ≥ 2 the conditional entropy is the mean over Monte Carlo input paths of the
  exact per-path entropy, a one-sided mean comparison (skew-robust) against 0, the
  point most likely to violate chosen by a pilot (sample splitting);
* Mamba's S6: the input-only case with M(x) = diag(exp(Δ(x)A)) (Σ_1 = Q exactly, t ≥ 2 Monte Carlo);
* gate reading h: not applicable (h_t | x_{1:t} is not Gaussian).

A singular Σ_t (zero noise in some direction) has entropy −∞: exact.  An
eigenvalue within the numerical allowance of 0 makes the interval's lower end
−∞; the comparison is then decided only if the upper end is below 0.
"""

from __future__ import annotations

import math

import numpy as np

from ..theorems import Regime
from ..theorems.entropy_positive import (CORRECTED_STATEMENT, ENTROPY_POSITIVE, LOG2_2PIE, STEPS,
                                       conditional_covariances_input_gated, conditional_covariances_linear,
                                       draw_inputs, entropy_reason, gaussian_entropy_bits)
from ..theorems.theorem2 import linear_transition

from ._base import SECONDS_PER_ROW, MonteCarloCheck, Settings, not_applicable, pilot_size, total_paths
from ._verdict import EXACT_RTOL, SAMPLE_RTOL, Comparison, exact_comparison, mean_comparison

__all__ = ["EntropyPositiveCheck"]

PURPOSE = "entropy-positive"


def _exact_entropy_comparison(label: str, value: float, lo: float, hi: float, scale: float, t: int,
                              decides: bool = True, meta: dict | None = None) -> Comparison:
    """H > 0 from a closed form with its numerical interval [lo, hi]; tolerance EXACT_RTOL·scale (bits)."""
    meta = {"t": t, **(meta or {})}
    if math.isnan(value):
        meta["note"] = "covariance not finite (float64 overflow): not decided"
    elif value == -math.inf:
        meta["note"] = "Σ_t is singular: H = −∞ exactly"
    elif lo == -math.inf:
        meta["note"] = "an eigenvalue of Σ_t is within the numerical allowance of 0: lower end −∞"
    return exact_comparison(label, value, 0.0, ">", decides=decides, meta=meta, interval=(lo, hi),
                            tolerance=EXACT_RTOL * (scale if math.isfinite(scale) else 0.0))


class EntropyPositiveCheck(MonteCarloCheck):
    claim = ENTROPY_POSITIVE

    @staticmethod
    def _linear(regime) -> bool:
        return linear_transition(regime) is not None

    def splits(self, regime: Regime) -> bool:
        return not self._linear(regime)

    def planned_comparisons(self, regime, settings):
        if entropy_reason(regime) is not None or self._linear(regime) or not self.decides(regime):
            return 0
        return 1 if settings.stages is None else STEPS - 1     # t = 1 is exact; t ≥ 2 statistical

    def estimate(self, regime, settings):
        if entropy_reason(regime) is not None or self._linear(regime):
            return 0.0, SECONDS_PER_ROW
        n = total_paths(settings, settings.max_stages, pilot_size(settings))
        d = regime.d
        return 8.0 * n * STEPS * (d * d + regime.m) * 8, n * STEPS * (4e-6 + 2e-8 * d ** 3) + SECONDS_PER_ROW

    # --- input-only gate: per-path exact entropies along Monte Carlo input paths -----------------------
    def draw(self, regime, settings, first, n):
        rng = settings.rng(regime.name, PURPOSE, f"inputs from path {first}")
        xs = draw_inputs(regime, rng, n, STEPS)
        covs = conditional_covariances_input_gated(regime, xs)                 # (n, T, d, d)
        values, lows, highs, scales = [], [], [], []
        for t in range(STEPS):
            v, lo, hi, sc = gaussian_entropy_bits(covs[:, t], t + 1)
            values.append(v), lows.append(lo), highs.append(hi), scales.append(sc)
        return {"entropy": np.stack(values, 1), "entropy_lo": np.stack(lows, 1), "entropy_hi": np.stack(highs, 1),
                "scale": np.stack(scales, 1)}

    def comparisons(self, regime, data, level, decides):
        Q = np.asarray(regime.noise_cov, float)
        v, lo, hi, sc = (float(a) for a in gaussian_entropy_bits(Q, 1))
        comps = [_exact_entropy_comparison("t=1", v, lo, hi, sc, 1, decides,
                                           meta={"closed_form": "Σ_1 = Q on every input path"})]
        H = data["entropy"]
        for t in range(2, STEPS + 1):
            x = H[:, t - 1]
            # Tolerance: rounding of each term (SAMPLE_RTOL of the magnitudes summed), and at least the
            # largest numerical allowance of a path's eigenvalues.
            with np.errstate(invalid="ignore"):
                gaps = np.abs(data["entropy_hi"][:, t - 1] - x)
                gaps = gaps[~np.isnan(gaps)]   # NaN where a path's entropy is NaN; all NaN: the allowance is NaN
                allowance = (float(gaps.max()) if gaps.size else math.nan) if x.size else 0.0
                scale = float(np.mean(data["scale"][:, t - 1])) + allowance / SAMPLE_RTOL
            comps.append(mean_comparison(x, 0.0, level, label=f"t={t}", claimed=">", decides=decides,
                                         meta={"t": t, "min_over_paths_bits": float(np.min(x)) if x.size else math.nan},
                                         scale=scale))
        return comps

    # --- both tiers -------------------------------------------------------------------------------------
    def run(self, regime: Regime, settings: Settings):
        reason = entropy_reason(regime)
        if reason is not None:
            return not_applicable(self.claim, regime, reason)
        if not self._linear(regime):
            return super().run(regime, settings)
        covs = conditional_covariances_linear(regime, STEPS)
        comps = []
        for t in range(1, STEPS + 1):
            v, lo, hi, sc = (float(a) for a in gaussian_entropy_bits(covs[t - 1], t))
            comps.append(_exact_entropy_comparison(f"t={t}", v, lo, hi, sc, t, meta={"closed_form": "Σ_t = MΣ_{t−1}Mᵀ + Q"}))
        return self.staged_result(regime, settings, comps, {"covariances": covs}, 0, 0)

    def details(self, regime, settings, comps, data):
        Q = np.asarray(regime.noise_cov, float)
        lam = np.linalg.eigvalsh(Q)
        linear = self._linear(regime)
        threshold = 1.0 / (2.0 * math.pi * math.e)
        caveats = ["differential entropy: its sign depends on the units of the state (h → c·h adds d·log₂|c| bits)",
                   "Σ_t ⪰ Q on every input path, so the entropy is smallest at t = 1, where it is ½ log₂ det(2πe Q)"]
        if lam.min() <= 0.0:
            caveats.append("Q is singular: h_t | x_{1:t} has no density in some direction and H = −∞")
        elif float(np.sum(np.log2(lam))) + lam.size * LOG2_2PIE < 0.0:
            caveats.append(f"det(2πe Q) < 1: H(h_1 | x_1) < 0 (for Q = qI this is q < 1/(2πe) = {threshold:.4f})")
        out = {
            "rests_on": ("exact Gaussian law of h_t given x_{1:t}: Σ_t in closed form" if linear else
                         "exact Gaussian law of h_t given each sampled input path; mean over paths (Monte Carlo)"),
            "caveats": caveats, "units": "bits (differential entropy, state measured in its own units)",
            "statistic_name": "H(h_t | x_{1:t}) (bits)", "steps": STEPS,
            "method": "closed form" if linear else "Monte Carlo over input paths (each term exact)",
            "noise_eigenvalues": lam.tolist(),
            "entropy_at_t1_bits": float(gaussian_entropy_bits(Q, 1)[0]),
            "per_coordinate_threshold": threshold,
            "per_coordinate_threshold_meaning": "Q = qI: H(h_1 | x_1) = (d/2)·log₂(2πe q) < 0 iff q < 1/(2πe)",
            "corrected_statement": CORRECTED_STATEMENT,
        }
        if not linear and "entropy" in data:
            H = data["entropy"]
            out["min_over_paths_bits"] = np.min(H, axis=0).tolist()
        out["plots"] = [_entropy_plot(regime, comps, linear, data)]
        return out


def _entropy_plot(regime, comps, linear, data) -> dict:
    rows = sorted(comps, key=lambda c: c.meta["t"])
    series = [{
        "label": "H(h_t | x_{1:t})" + (" (closed form)" if linear else " (mean over input paths)"),
        "x": [c.meta["t"] for c in rows], "y": [c.statistic for c in rows],
        "lo": [c.ci[0] for c in rows], "hi": [c.ci[1] for c in rows], "style": "solid", "marker": "o",
    }]
    if not linear and "entropy" in data:
        series.append({"label": "smallest over sampled input paths", "x": list(range(1, STEPS + 1)),
                       "y": np.min(data["entropy"], axis=0).tolist(), "style": "dotted"})
    return {
        "title": f"§2.1: conditional differential entropy of the state — {regime.name}",
        "panels": [{
            "xlabel": "step t", "ylabel": "H(h_t | x_{1:t}) (bits)", "yscale": "linear", "series": series,
            "hlines": [{"y": 0.0, "label": "paper: H > 0"},
                       {"y": float(gaussian_entropy_bits(np.asarray(regime.noise_cov, float), 1)[0]),
                        "label": "½ log₂ det(2πe Q): the value at t = 1, a lower bound at every t"}],
            "note": "−∞ (a singular Σ_t) is not drawn" + ("" if linear else "; band: interval at the per-comparison level"),
        }],
    }
