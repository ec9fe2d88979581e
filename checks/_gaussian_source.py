"""What the checks on the Gaussian source h_t share: the base check, the quantisers, the BA band, the figure.

Used by ``rd_converse`` (§4.1), ``theorem1`` (§6.1), ``rd_curve`` (§4.1) and ``data_processing``
(§5.3).  The source is the exact law of h_t (``theorems._gaussian_source.gaussian_source``, memoised
as ``source_of``).  Rates are in bits, distortions in state units² (total over the d coordinates).

Compressors and how each rate is defined:

* noiseless gates ĥ = g ⊙ h (keep a coordinate subset, scale, the regime's gate):
  I(ĥ; x_{1:t}) in closed form; I(h; ĥ) = ∞ (a noiseless continuous
  coordinate), so they enter ``theorem1`` only;
* noisy gates ĥ = g ⊙ h + N(0, σ² I) on the kept coordinates, and the
  water-filling test channel: I(h; ĥ) and I(ĥ; x) in closed form (``rd-converse``);
* uniform scalar quantisers ĥ_j = μ_j + Δ_j·round((h_j − μ_j)/Δ_j), Δ_j = c·√Σ_jj, on a grid
  centred at the known mean μ = E h_t, with midpoint reproduction (centring keeps the
  cell indices small and the draws exact however large μ is): deterministic, so
  I(h; ĥ) = H(ĥ), estimated from samples of the
  exact law with the Miller–Madow correction and a delta-method interval
  (mean of the per-sample terms −log₂ p̂(ĥ_i), ``estimators.entropy_terms_bits``).  For ``theorem1``
  I(ĥ; x) = I(ĥ; s) is replaced by the lower bound H(ĥ) − Σ_j H(ĥ_j | s) (subadditivity; exact when the
  noise part Σ_n is diagonal), each H(ĥ_j | s_i) computed exactly from Gaussian
  cell probabilities (``estimators.quantised_gaussian_entropy``): a valid I_min for the theorem's
  hypothesis.  Quantisers are not gates, so in ``theorem1`` they are reported, not decided.

Distortion is E‖h − ĥ‖² with ĥ itself the reproduction, in both claims; the
MMSE-decoder distortion E‖h − E[h|ĥ]‖² of the linear compressors is reported too.
Closed-form comparisons are exact (interval of width 0).  Monte Carlo
comparisons of a monotone function of two estimated means (R against R(D), D
against D(I)) use intervals at level α_i/2 for each mean (Bonferroni) and the
monotonicity of R(·) and D(·): e.g. R − R(D) ∈ [R_lo − R(D_lo), R_hi − R(D_hi)].

Blahut–Arimoto (``rd-curve``, and the BA points drawn in the ``rd-converse`` figure): the band of
``estimators.gaussian_rate_distortion_band`` on the source's top eigen-components, memoised per
regime (:func:`blahut_arimoto_band`).

Range.  Every number here is computed in float64 from the exact law of h_t.  Where that
law is not representable (a growing chain at a long horizon, parameters near 1e308) or
its distortions would overflow, the row is INCONCLUSIVE with a note saying which
(``theorems._gaussian_source.source_range_note``) and the source's moments are reported
as they came out (inf/NaN included); no comparison is made.  A comparison whose own
closed-form value or bound is not finite (outside a genuine ∞ such as the information of a
noiseless gate) is undecided, with a note, never decided on an overflowed number.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .. import estimators
from ..theorems import Regime
from ..theorems._gaussian_source import SOURCE_FLOOR, GaussianSource, source_of, source_range_note, source_reason
from ..theorems._memo import Keyed

from ._base import SECONDS_PER_FLOP, SECONDS_PER_ROW, Check, hypotheses_json, not_applicable, total_paths
from ._verdict import INCONCLUSIVE, UNDECIDED, CheckResult, Comparison, exact_comparison

__all__ = ["GaussianSourceCheck", "blahut_arimoto_band", "closed_comparison", "draw_source", "mean_ci_at",
           "quantiser_steps", "quantiser_terms", "rd_bits", "rd_plot", "source_json"]

NOISE_LEVELS = (0.1, 1.0)                 # σ² of the noisy gates, × mean per-coordinate variance
OPTIMAL_THETAS = (0.1, 0.5)               # water levels of the optimal channels, × largest eigenvalue
QUANTISER_STEPS = (0.5, 1.0, 2.0)         # Δ_j / √Σ_jj
MAX_CELLS = 1024                          # skip quantisers with more than ~this many likely cells
BA_THETAS = (0.04, 0.1, 0.2, 0.4, 0.7)    # × largest eigenvalue
BA_PER_SD, BA_HALF_WIDTH, BA_ITER = 8, 6.0, 100
MAX_BA_COMPONENTS = 4


def rd_bits(lams, D) -> float:
    """R(D) in bits of N(0, diag(lams)) (reverse water-filling)."""
    return estimators.rate_distortion_gaussian(np.diag(lams), D, base=2).value


# --- Blahut–Arimoto band (memoised) -----------------------------------------------------------------

def blahut_arimoto_band(regime: Regime) -> dict:
    """BA points and the certified band for the source's eigen-components, as reported (memoised, 16 regimes)."""
    return _band_cached(Keyed(regime.fingerprint(), regime))


@functools.lru_cache(maxsize=16)
def _band_cached(request: Keyed) -> dict:
    src = source_of(request.value)
    lam_all = np.clip(np.linalg.eigvalsh(src.cov)[::-1], 0.0, None)
    # Components below 1e-12·λ_max, or below SOURCE_FLOOR (whose cells would be subnormal), are left out.
    positive = lam_all[(lam_all > 1e-12 * lam_all[0]) & (lam_all >= SOURCE_FLOOR)]
    lams = positive[:MAX_BA_COMPONENTS]
    projected = lams.size < positive.size
    band = estimators.gaussian_rate_distortion_band(
        lams, [frac * float(lams[0]) for frac in BA_THETAS], per_sd=BA_PER_SD, half_width=BA_HALF_WIDTH,
        max_iter=BA_ITER, tol=1e-9, base=2)
    points = [{
        "theta": p.theta, "beta_nats_per_unit": p.beta,
        "D_ba": p.distortion, "R_ba_upper_bits": p.rate_upper, "R_ba_lower_grid_bits": p.rate_lower_grid,
        "eps": p.eps, "shift": p.shift,
        "upper_side": {"D": p.upper_distortion, "R_analytic_bits": p.upper_rate, "bound_bits": p.rate_upper},
        "lower_side": {"D": p.lower_distortion, "R_analytic_bits": p.lower_rate, "bound_bits": p.lower_bound,
                       "evaluated_at_D": p.lower_distortion + p.shift},
    } for p in band.points]
    discs = band.discretisations
    return {"eigenvalues": lams.tolist(), "projected": bool(projected), "all_eigenvalues": lam_all.tolist(),
            "grid": {"step_per_sd": 1.0 / BA_PER_SD, "half_width_sd": BA_HALF_WIDTH,
                     "letters_per_component": [int(dz.points.size) for dz in discs],
                     "eps_per_component": [dz.eps for dz in discs], "iterations": BA_ITER},
            "points": points}


# --- quantisers (Monte Carlo) ----------------------------------------------------------------------

def draw_source(src: GaussianSource, rng: np.random.Generator, n: int) -> dict:
    """n draws of h_t = μ + s + n from the exact law, keeping the input-driven part s and h_t − μ = s + n.

    ``hc`` = s + n is what the quantisers read: formed before μ is added, it keeps every
    digit of the fluctuation even when |μ| dwarfs it.
    """
    d = src.d
    s = rng.standard_normal((n, d)) @ estimators.psd_sqrt(src.signal_cov, symmetric=False).T
    w = rng.standard_normal((n, d)) @ estimators.psd_sqrt(src.noise_cov, symmetric=False).T
    hc = s + w
    return {"h": src.mean + hc, "s": s, "hc": hc}


def quantiser_steps(src: GaussianSource) -> list[float]:
    """The step multipliers c whose likely cell count Π_j (~6/c) stays ≤ MAX_CELLS."""
    return [c for c in QUANTISER_STEPS if (6.0 / c) ** src.d <= MAX_CELLS] or [QUANTISER_STEPS[-1]]


def quantiser_terms(src: GaussianSource, data: dict, c: float, with_inputs: bool) -> dict:
    """Per-sample terms of the quantiser ĥ_j = μ_j + Δ_j·round((h_j − μ_j)/Δ_j), Δ_j = c·√Σ_jj (bits, state units²).

    A coordinate with Σ_jj = 0 is the constant μ_j (h_j − μ_j = 0, cell 0 for any step); it gets Δ_j = c.
    """
    sd = np.sqrt(np.clip(np.diag(src.cov), 0.0, None))
    steps = c * np.where(sd > 0.0, sd, 1.0)
    hc = data["hc"] if "hc" in data else data["h"] - src.mean
    cells = np.round(hc / steps).astype(np.int64)
    recon = cells * steps
    dist = np.sum((hc - recon) ** 2, axis=1)
    h_terms, mm, occupied = estimators.entropy_terms_bits(cells)
    out = {"rate_terms": h_terms, "mm": mm, "dist": dist, "steps": steps, "occupied": occupied}
    if with_inputs:
        sd_n = np.sqrt(np.clip(np.diag(src.noise_cov), 0.0, None))
        cond = np.zeros(cells.shape[0])
        for j in range(src.d):
            # h_j − μ_j given the input part s is N(s_j, Σn_jj): the cells are those of the centred grid.
            cond += estimators.quantised_gaussian_entropy(data["s"][:, j], float(sd_n[j]), float(steps[j]), base=2)
        out["info_terms"] = h_terms - cond
        out["noise_diagonal"] = bool(np.allclose(src.noise_cov, np.diag(np.diag(src.noise_cov)), rtol=0, atol=1e-14))
    return out


def mean_ci_at(x, level):
    """Student-t interval of the mean of ``x`` at confidence 1 − ``level``."""
    return estimators.mean_ci(x, confidence=1.0 - level)


# --- shared figure ------------------------------------------------------------------------------

def _curve_series(src: GaussianSource, d_min: float, d_max: float) -> dict:
    tr = float(np.trace(src.cov))
    lo = max(min(d_min, 0.05 * tr), 1e-6 * tr)
    ds = np.geomspace(lo, tr, 40).tolist() + ([d_max * 1.05] if d_max > tr else [])
    rs = [estimators.rate_distortion_gaussian(src.cov, D, base=2).value for D in ds]
    return {"label": "R(D) of h_t (reverse water-filling)", "x": ds, "y": rs, "style": "solid"}


def _ba_series(regime: Regime) -> list[dict]:
    band = blahut_arimoto_band(regime)
    if band["projected"]:
        return []
    pts = band["points"]
    return [{"label": "Blahut–Arimoto (discretised h_t)", "x": [p["D_ba"] for p in pts],
             "y": [p["R_ba_upper_bits"] for p in pts], "style": "points", "marker": "x"}]


def rd_plot(regime, src, rows, rate_key, title, ylabel, extra_hlines=(), note="", with_ba=True) -> dict:
    """R(D) with every compressor's point; the dimension count of ĥ in the series label, apart from the rate."""
    finite = [r for r in rows if math.isfinite(r[rate_key])]
    ds = [r["distortion"] for r in finite]
    groups: dict[tuple, list] = {}
    for r in finite:
        groups.setdefault((r["family"], r["dims"]), []).append(r)
    series = [_curve_series(src, min(ds, default=1.0), max(ds, default=0.0))] + (_ba_series(regime) if with_ba else [])
    markers = ["o", "s", "^", "D", "v", "P", "*", "<", ">", "h"]
    ci_key = "rate_ci" if rate_key == "rate_bits" else "info_ci"
    for k, ((fam, dims), rs) in enumerate(groups.items()):
        s = {"label": f"{fam} — {dims} dim{'s' if dims != 1 else ''} kept", "x": [r["distortion"] for r in rs],
             "y": [r[rate_key] for r in rs], "style": "points", "marker": markers[k % len(markers)]}
        if any(ci_key in r for r in rs):
            s["yerr_lo"] = [r.get(ci_key, [r[rate_key]] * 2)[0] for r in rs]
            s["yerr_hi"] = [r.get(ci_key, [r[rate_key]] * 2)[1] for r in rs]
        series.append(s)
    return {
        "title": title,
        "panels": [{
            "xlabel": "distortion D = E‖h_t − ĥ_t‖² (state units²)", "ylabel": ylabel, "yscale": "linear",
            "series": series, "hlines": list(extra_hlines),
            "note": (note + "; " if note else "") + f"h_t at {src.horizon.split(':')[0]}; 'dims kept' is not a rate",
        }],
    }


def source_json(src: GaussianSource) -> dict:
    """The source's moments as computed (inf/NaN kept); eigenvalues and I(h; x) only where they are defined."""
    in_range = source_range_note(src) is None
    with np.errstate(over="ignore", invalid="ignore"):
        trace = float(np.trace(src.cov))
    return {"t": src.t, "horizon": src.horizon, "mean": src.mean.tolist(), "cov": src.cov.tolist(),
            "signal_cov": src.signal_cov.tolist(), "noise_cov": src.noise_cov.tolist(),
            "trace": trace,
            "eigenvalues": (np.linalg.eigvalsh(src.cov)[::-1].tolist() if in_range else [math.nan] * src.d),
            "I_state_inputs_bits": src.info_state_inputs() if in_range else math.nan}


def closed_comparison(label: str, value: float, bound: float, claimed: str, meta: dict, *,
                      infinity_is_exact: bool = False) -> Comparison:
    """An exact comparison, undecided (with a note) when its value or bound is NaN or an overflowed ∞.

    ``infinity_is_exact``: an ∞ here is a mathematical value, not an overflow (rates: I(h; ĥ) = ∞
    for a deterministic dependence, R(0) = ∞); it is then compared like any number.
    """
    value, bound = float(value), float(bound)
    if not (math.isnan(value) or math.isnan(bound)) and (
            infinity_is_exact or (math.isfinite(value) and math.isfinite(bound))):
        return exact_comparison(label, value, bound, claimed, meta=meta)
    return Comparison(label, value, bound, (value, value), UNDECIDED, 0, claimed, True,
                      {"closed_form": True, **meta,
                       "note": "closed form not finite (float64 overflow or NaN): undecided"})


# --- the base check ---------------------------------------------------------------------------------

class GaussianSourceCheck(Check):
    """The base of every check on the Gaussian source h_t: applicability, the float64 range, draws, the row."""

    samples_per_path = 0   # Monte Carlo draws of the source per path of the run settings (0: closed forms only)

    def estimate(self, regime, settings):
        """The exact law of h_t (d×d products and eigen-decompositions, up to a few hundred of them for the
        default horizon), plus the source draws of the quantisers (a dozen n × d arrays), every stage drawn."""
        if regime.gate_kind != "constant" or regime.input_law != "gaussian":
            return 0.0, SECONDS_PER_ROW          # not applicable: nothing is computed
        d = regime.d
        n = self.samples_per_path * total_paths(settings, settings.max_stages)
        mem = 12.0 * n * d * 8 + 24.0 * d * d * 8 + 256 * 2**20 * (self.samples_per_path == 0)
        seconds = 6000.0 * d ** 3 * SECONDS_PER_FLOP + 1.2e-6 * n * d   # quantisers: ~1 µs per coordinate drawn
        return mem, seconds + SECONDS_PER_ROW

    def _na(self, regime):
        """The row when nothing can be computed: NOT_APPLICABLE (setting) or INCONCLUSIVE (float64 range)."""
        reason = source_reason(regime)
        if reason is not None:
            return not_applicable(self.claim, regime, reason)
        src = source_of(regime)
        note = source_range_note(src)
        if note is None:
            return None
        details = {
            "reason": note,
            "hypotheses": hypotheses_json(self.claim, regime),
            "caveats": [note],
            "units": "rates in bits; distortions in state units² (total over coordinates)",
            "source": source_json(src), "representative": None, "comparisons": [], "plots": [],
        }
        return self.result(regime, [], 0, details=details, verdict=INCONCLUSIVE)

    @staticmethod
    def _computable(regime) -> bool:
        """The closed forms can be evaluated here (for planning the comparison family)."""
        return source_reason(regime) is None and source_range_note(source_of(regime)) is None

    def _draw(self, regime, settings, src, first, n) -> dict:
        """Samples first..first+n−1 of the source (and its input part), on this claim's stream."""
        return draw_source(src, settings.rng(regime.name, self.claim.id, f"source draws from {first}"), n)

    def _result(self, regime, comps, verdict, n, details) -> CheckResult:
        details.pop("representative", None)     # chosen by the builder, from the comparisons
        return self.result(regime, comps, n, details=details, verdict=verdict)
