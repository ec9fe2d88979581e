"""Checks of rate-distortion (§4.1, §4.2) and Theorem 1 (§6.1) on the Gaussian source h_t.

The source is the exact law of h_t (``theorems.rate_distortion.gaussian_source``).
Rates are in bits, distortions in state units² (total over the d coordinates).

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
  (mean of the per-sample terms −log₂ p̂(ĥ_i)).  For ``theorem1`` I(ĥ; x) = I(ĥ; s)
  is replaced by the lower bound H(ĥ) − Σ_j H(ĥ_j | s) (subadditivity; exact when the
  noise part Σ_n is diagonal), each H(ĥ_j | s_i) computed exactly from Gaussian
  cell probabilities: a valid I_min for the theorem's hypothesis.  Quantisers
  are not gates, so in ``theorem1`` they are reported, not decided.

Distortion is E‖h − ĥ‖² with ĥ itself the reproduction, in both claims; the
MMSE-decoder distortion E‖h − E[h|ĥ]‖² of the linear compressors is reported too.
Closed-form comparisons are exact (interval of width 0).  Monte Carlo
comparisons of a monotone function of two estimated means (R against R(D), D
against D(I)) use intervals at level α_i/2 for each mean (Bonferroni) and the
monotonicity of R(·) and D(·): e.g. R − R(D) ∈ [R_lo − R(D_lo), R_hi − R(D_hi)].

``rd-curve``: Blahut–Arimoto on a product grid in the eigenbasis of Σ.  The
source's eigen-components are independent, so BA on the product of 1-D grids at
a common slope β factorises exactly into 1-D BA runs (the iteration keeps
product form from the uniform start); rates, distortions and the dual bounds
add.  For each slope β = 1/(2θ) (θ the water level):

* upper side: the BA channel applied to the centroid-quantised source serves
  the continuous source at distortion D' + ε (Pythagoras, ε = Σ_i ε_i the exact
  quantisation error) with rate ≤ I(p, Q):  R(D' + ε) ≤ R_BA;
* lower side: the Gaussian test channel at level θ, fed with a draw of h given
  its cell, serves the discrete source at distortion D(θ) + Σ_i ε_i(1 − 2θ_i/λ_i)
  (θ_i = min(θ, λ_i); the cross term is exact because E[h − Y | h] = (θ_i/λ_i) h per
  component) with rate ≤ R(D(θ)); Csiszár's dual bound for the discrete source,
  with its supremum over every real reproduction certified on a fine grid, then
  gives R(D(θ)) ≥ L_β(D(θ) + shift).
Both are deterministic inequalities; nothing is tuned.

Range.  Every number here is computed in float64 from the exact law of h_t.  Where that
law is not representable (a growing chain at a long horizon, parameters near 1e308) or
its distortions would overflow, the row is INCONCLUSIVE with a note saying which
(``theorems.rate_distortion.source_range_note``) and the source's moments are reported
as they came out (inf/NaN included); no comparison is made.  A comparison whose own
closed-form value or bound is not finite (outside a genuine ∞ such as the information of a
noiseless gate) is undecided, with a note, never decided on an overflowed number.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from .. import estimators
from ..theorems import Regime
from ..theorems.rate_distortion import (RD_CONVERSE, RD_CURVE, THEOREM1, GaussianSource, discrete_lower_line,
                                      discretise, evaluate_linear, gaussian_source, linear_compressors,
                                      optimal_channel, source_range_note, source_reason, SOURCE_FLOOR)

from ._base import SECONDS_PER_FLOP, SECONDS_PER_ROW, Check, Settings, hypotheses_json, not_applicable, total_paths
from ._verdict import (HOLDS, INCONCLUSIVE, RTOL, UNDECIDED, VIOLATED, CheckResult, Comparison, combine,
                       exact_comparison, interval_comparison, staged)

LN2 = math.log(2.0)
NOISE_LEVELS = (0.1, 1.0)                 # σ² of the noisy gates, × mean per-coordinate variance
OPTIMAL_THETAS = (0.1, 0.5)               # water levels of the optimal channels, × largest eigenvalue
QUANTISER_STEPS = (0.5, 1.0, 2.0)         # Δ_j / √Σ_jj
MAX_CELLS = 1024                          # skip quantisers with more than ~this many likely cells
SAMPLES_PER_PATH = 16                     # rd-converse quantiser samples per path of the run settings
THEOREM1_SAMPLES_PER_PATH = 4             # theorem1 quantisers are reported, not decided: fewer samples
BA_THETAS = (0.04, 0.1, 0.2, 0.4, 0.7)    # × largest eigenvalue
BA_PER_SD, BA_HALF_WIDTH, BA_ITER = 8, 6.0, 100
MAX_BA_COMPONENTS = 4


# --- memoised source and Blahut–Arimoto ------------------------------------------------------------

_SOURCES: dict = {}
_BA: dict = {}


def source_of(regime: Regime) -> GaussianSource:
    key = regime.fingerprint()
    if key not in _SOURCES:
        if len(_SOURCES) >= 16:
            _SOURCES.pop(next(iter(_SOURCES)))
        _SOURCES[key] = gaussian_source(regime)
    return _SOURCES[key]


def _rd_bits(lams, D) -> float:
    return estimators.rate_distortion_gaussian(np.diag(lams), D, base=2).value


def blahut_arimoto_band(regime: Regime) -> dict:
    """BA points and the certified band for the source's eigen-components (memoised)."""
    key = regime.fingerprint()
    if key in _BA:
        return _BA[key]
    src = source_of(regime)
    lam_all = np.clip(np.linalg.eigvalsh(src.cov)[::-1], 0.0, None)
    # Components below 1e-12·λ_max, or below SOURCE_FLOOR (whose cells would be subnormal), are left out.
    positive = lam_all[(lam_all > 1e-12 * lam_all[0]) & (lam_all >= SOURCE_FLOOR)]
    lams = positive[:MAX_BA_COMPONENTS]
    projected = lams.size < positive.size
    discs = [discretise(float(l), BA_PER_SD, BA_HALF_WIDTH) for l in lams]
    dmats = [(dz.points[:, None] - dz.grid[None, :]) ** 2 for dz in discs]
    points = []
    for frac in BA_THETAS:
        theta = frac * float(lams[0])
        beta = 1.0 / (2.0 * theta)
        D_ba = R_up = R_low_grid = intercept = logc = 0.0
        shift = 0.0
        for dz, dm in zip(discs, dmats):
            r = estimators.blahut_arimoto(dz.pmf, dm, beta, tol=1e-9, max_iter=BA_ITER, base=2)
            D_ba += r.distortion
            R_up += r.rate_upper
            R_low_grid += r.rate_lower
            a, lc = discrete_lower_line(dz, np.asarray(r.output_pmf), beta)
            intercept += a
            logc += lc
            th_i = min(theta, dz.lam)
            shift += dz.eps * (1.0 - 2.0 * th_i / dz.lam)
        eps = float(sum(dz.eps for dz in discs))
        D_theta = float(np.minimum(theta, lams).sum())
        R_theta = float(np.maximum(0.0, 0.5 * np.log2(lams / theta)).sum())
        lower_line = (intercept - logc - beta * (D_theta + shift)) / LN2       # bits
        points.append({
            "theta": theta, "beta_nats_per_unit": beta,
            "D_ba": D_ba, "R_ba_upper_bits": R_up, "R_ba_lower_grid_bits": R_low_grid,
            "eps": eps, "shift": shift,
            "upper_side": {"D": D_ba + eps, "R_analytic_bits": _rd_bits(lams, D_ba + eps), "bound_bits": R_up},
            "lower_side": {"D": D_theta, "R_analytic_bits": R_theta, "bound_bits": lower_line,
                           "evaluated_at_D": D_theta + shift},
        })
    out = {"eigenvalues": lams.tolist(), "projected": bool(projected), "all_eigenvalues": lam_all.tolist(),
           "grid": {"step_per_sd": 1.0 / BA_PER_SD, "half_width_sd": BA_HALF_WIDTH,
                    "letters_per_component": [int(dz.points.size) for dz in discs],
                    "eps_per_component": [dz.eps for dz in discs], "iterations": BA_ITER},
           "points": points}
    if len(_BA) >= 16:
        _BA.pop(next(iter(_BA)))
    _BA[key] = out
    return out


# --- quantisers (Monte Carlo) ----------------------------------------------------------------------

def _sqrt_psd(S):
    vals, vecs = np.linalg.eigh(0.5 * (S + S.T))
    return vecs * np.sqrt(np.clip(vals, 0.0, None))


def draw_source(src: GaussianSource, rng: np.random.Generator, n: int) -> dict:
    """n draws of h_t = μ + s + n from the exact law, keeping the input-driven part s and h_t − μ = s + n.

    ``hc`` = s + n is what the quantisers read: formed before μ is added, it keeps every
    digit of the fluctuation even when |μ| dwarfs it.
    """
    d = src.d
    s = rng.standard_normal((n, d)) @ _sqrt_psd(src.signal_cov).T
    w = rng.standard_normal((n, d)) @ _sqrt_psd(src.noise_cov).T
    hc = s + w
    return {"h": src.mean + hc, "s": s, "hc": hc}


def quantiser_steps(src: GaussianSource) -> list[float]:
    """The step multipliers c whose likely cell count Π_j (~6/c) stays ≤ MAX_CELLS."""
    return [c for c in QUANTISER_STEPS if (6.0 / c) ** src.d <= MAX_CELLS] or [QUANTISER_STEPS[-1]]


def _cell_keys(cells: np.ndarray) -> np.ndarray:
    """One integer per row of integer cell indices (mixed radix over the observed ranges)."""
    lo = cells.min(axis=0)
    span = cells.max(axis=0) - lo + 1
    if float(np.prod(span.astype(float))) >= 2.0 ** 62:
        return np.unique(cells, axis=0, return_inverse=True)[1].reshape(-1)
    key = np.zeros(cells.shape[0], np.int64)
    for j in range(cells.shape[1]):
        key = key * int(span[j]) + (cells[:, j] - lo[j])
    return key


def entropy_terms(cells: np.ndarray) -> tuple[np.ndarray, float, int]:
    """Per-sample −log₂ p̂(cell_i), the Miller–Madow correction (bits) and the occupied cell count."""
    _, inverse, counts = np.unique(_cell_keys(cells), return_inverse=True, return_counts=True)
    n = cells.shape[0]
    terms = -np.log2(counts[inverse.reshape(-1)] / n)
    return terms, (counts.size - 1) / (2.0 * n * LN2), int(counts.size)


def _cell_entropy_given(mean: np.ndarray, sd: float, step: float) -> np.ndarray:
    """H(round(u/Δ)) in bits for u ~ N(mean_i, sd²), exactly (cells within ±9 sd)."""
    if sd <= 0.0:
        return np.zeros_like(mean)
    half = int(math.ceil(9.0 * sd / step)) + 1       # cells beyond ±9 sd carry < 1e-18 of the mass
    k = np.round(mean / step)[:, None] + np.arange(-half, half + 1)[None, :]
    hi = ((k + 0.5) * step - mean[:, None]) / sd
    lo = ((k - 0.5) * step - mean[:, None]) / sd
    p = np.where(lo > 0, special.ndtr(-lo) - special.ndtr(-hi), special.ndtr(hi) - special.ndtr(lo))
    p = np.clip(p, 0.0, None)
    return special.entr(p).sum(axis=1) / LN2


def quantiser_terms(src: GaussianSource, data: dict, c: float, with_inputs: bool) -> dict:
    """Per-sample terms of the quantiser ĥ_j = μ_j + Δ_j·round((h_j − μ_j)/Δ_j), Δ_j = c·√Σ_jj.

    A coordinate with Σ_jj = 0 is the constant μ_j (h_j − μ_j = 0, cell 0 for any step); it gets Δ_j = c.
    """
    sd = np.sqrt(np.clip(np.diag(src.cov), 0.0, None))
    steps = c * np.where(sd > 0.0, sd, 1.0)
    hc = data["hc"] if "hc" in data else data["h"] - src.mean
    cells = np.round(hc / steps).astype(np.int64)
    recon = cells * steps
    dist = np.sum((hc - recon) ** 2, axis=1)
    h_terms, mm, occupied = entropy_terms(cells)
    out = {"rate_terms": h_terms, "mm": mm, "dist": dist, "steps": steps, "occupied": occupied}
    if with_inputs:
        sd_n = np.sqrt(np.clip(np.diag(src.noise_cov), 0.0, None))
        cond = np.zeros(cells.shape[0])
        for j in range(src.d):
            # h_j − μ_j given the input part s is N(s_j, Σn_jj): the cells are those of the centred grid.
            cond += _cell_entropy_given(data["s"][:, j], float(sd_n[j]), float(steps[j]))
        out["info_terms"] = h_terms - cond
        out["noise_diagonal"] = bool(np.allclose(src.noise_cov, np.diag(np.diag(src.noise_cov)), rtol=0, atol=1e-14))
    return out


def _mean_ci(x, level):
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


def _rd_plot(regime, src, rows, rate_key, title, ylabel, extra_hlines=(), note="", with_ba=True) -> dict:
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


def _source_json(src: GaussianSource) -> dict:
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


class _RDBase(Check):
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
            "source": _source_json(src), "representative": None, "comparisons": [], "plots": [],
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


# --- rd-converse --------------------------------------------------------------------------------

class RDConverseCheck(_RDBase):
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
                r_ci, d_ci = _mean_ci(q["rate_terms"], level / 2), _mean_ci(q["dist"], level / 2)
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
            "source": _source_json(src), "stages_used": used,
            "statistic_name": "I(h_t; ĥ_t) − R(E‖h_t − ĥ_t‖²) (bits; closed form: I(h_t; ĥ_t) against R(D))",
            "compressors": rows,
        }
        details["plots"] = [_rd_plot(regime, src, rows, "rate_bits",
                                     f"Rate-distortion converse (§4.1) — {regime.name}",
                                     "rate I(h_t; ĥ_t) (bits)", note="points must lie on or above the curve")]
        return self._result(regime, comps, verdict, n, details)

    @staticmethod
    def _caveats(src):
        out = ["noiseless gates are not tried here: I(h_t; ĥ_t) = ∞ for them, which satisfies the converse trivially",
               "the water-filling channels sit exactly on the curve: those comparisons hold with equality "
               f"(to the relative tolerance {RTOL:g})"]
        return out


# --- theorem1 -----------------------------------------------------------------------------------

class Theorem1Check(_RDBase):
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
                i_ci, d_ci = _mean_ci(q["info_terms"], level / 2), _mean_ci(q["dist"], level / 2)
                I, I_lo, I_hi = (max(v + q["mm"], 0.0) for v in (i_ci.estimate, i_ci.low, i_ci.high))
                r_ci = _mean_ci(q["rate_terms"], level)
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
            "source": _source_json(src), "stages_used": used,
            "statistic_name": "E‖h_t − ĥ_t‖² (state units²) against D(I(ĥ_t; x_{1:t}))",
            "worst_compressor": ({"name": worst["name"], "excess": worst["excess"], "distortion": worst["distortion"],
                                  "D_of_I_min": worst["D_of_I_min"], "I_min_bits": worst["I_min_bits"],
                                  "dims": worst["dims"]} if worst else None),
            "compressors": allrows,
            "data_processing": {"I_state_inputs_bits": i_hx,
                                "max_I_gate_inputs_bits": max((r["info_inputs_bits"] for r in rows), default=0.0)},
        }
        details["plots"] = [_rd_plot(regime, src, allrows, "info_inputs_bits",
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


# --- rd-curve -----------------------------------------------------------------------------------

class RDCurveCheck(_RDBase):
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
            "source": _source_json(src), "blahut_arimoto": band,
            "statistic_name": "analytic R (bits) at the shifted distortion, against the BA bound",
        }
        details["plots"] = [self._plot(regime, band)]
        return self._result(regime, comps, verdict, 0, details)

    @staticmethod
    def _plot(regime, band) -> dict:
        lams = np.asarray(band["eigenvalues"])
        tr = float(lams.sum())
        ds = np.geomspace(min(p["D_ba"] for p in band["points"]) * 0.5, tr, 40).tolist()
        curve = [_rd_bits(lams, D) for D in ds]
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
