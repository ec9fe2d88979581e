"""Check of §4 / §4.2 (``rate-dimension``): I(h_t; x_{1:t}) ≤ dim(h_t), in bits at one bit per coordinate.

Where the source h_t is exactly Gaussian (constant gate, Gaussian inputs, a defined horizon: the same
applicability as ``rd-converse``, ``theorem1`` and ``data-processing``, ``source_reason``), the
information the state carries about the inputs is a closed form,

    I(h_t; x_{1:t}) = ½ Σ_i log₂(1 + γ_i)  bits,   γ_i the generalised eigenvalues of (Σ_s, Σ_n),

∞ where the inputs reach a direction without noise (``theorems.rate_dimension.state_information``,
with a numerical enclosure).  One deciding comparison per row, exact (``exact_comparison`` with the
enclosure as its interval, relative tolerance 1e-9): I(h_t; x_{1:t}) ≤ d.  No sampling, no share of α.

Reported beside it, not deciding:

* the other direction, I(h_t; x_{1:t}) ≥ d: neither holds in general (a d-dimensional state carries
  ~0 bits when the noise dominates);
* I/d in bits and in nats per coordinate (the unit under which the row would pass is any c ≥ I/d
  bits per coordinate);
* the noise multiplier c* at which the verdict flips: with Q → c·Q the information is
  ½ Σ log₂(1 + γ_i/c), equal to d at c = c* (PASS for c ≥ c*, FAIL below);
* the paper's R(D) ≤ dim(h_t) at each D: R(D) of h_t (reverse water-filling) is ≤ d exactly for
  D ≥ D(d), the distortion-rate function at d bits, reported in state units² and relative to tr Σ_t;
* the per-direction decomposition (γ_i, bits per direction, informative directions ≤ min(d, t·m)),
  the corrected statement, and the machinery's own ``info_state_inputs()`` (canonical correlations;
  it reports ∞ once a canonical correlation is within 1e-12 of 1, about 19.4 bits in one direction).

Every number is invariant under a change of the state's units (B → cB, Q → c²Q, h_0 → c·h_0), except
D(d), which scales with c² (its ratio to tr Σ_t does not).  Rows are INCONCLUSIVE where the source's
closed forms leave float64's range (as the other Gaussian-source checks), and where the enclosure of I
straddles d (a noise eigenvalue within float64's rounding of 0 while the lower end is ≤ d).
"""

from __future__ import annotations

import math

import numpy as np

from ..theorems import Regime
from ..theorems._gaussian_source import source_of
from ..theorems.rate_dimension import (BITS_PER_COORDINATE, CORRECTED_STATEMENT, RATE_DIMENSION, distortion_at_rate,
                                       information_at_noise_scale, noise_scale_at, state_information)

from ._base import Settings, hypotheses_json
from ._gaussian_source import GaussianSourceCheck, source_json
from ._verdict import EXACT_RTOL, INCONCLUSIVE, combine, exact_comparison

__all__ = ["RateDimensionCheck"]

LN2 = math.log(2.0)


class RateDimensionCheck(GaussianSourceCheck):
    claim = RATE_DIMENSION

    def planned_comparisons(self, regime, settings):
        return 0        # closed forms only

    def run(self, regime: Regime, settings: Settings):
        na = self._na(regime)
        if na is not None:
            return na
        src = source_of(regime)
        info = state_information(src)
        d = src.d
        bound = BITS_PER_COORDINATE * d
        meta = {"unit": "bits; the bound at 1 bit per coordinate", "dim": d,
                "bits_per_coordinate": info.bits / d}
        enclosure = (info.lower, info.upper)
        main = exact_comparison("I(h_t; x_1:t) ≤ dim(h_t) (bits, 1 bit per coordinate)", info.bits, bound, "<=",
                                interval=enclosure,
                                meta={**meta, "inequality": "I(h_t; x_1:t) ≤ d", "closed_form": True})
        other = exact_comparison("the other direction, for context: I(h_t; x_1:t) ≥ dim(h_t)", info.bits, bound,
                                 ">=", interval=enclosure, decides=False,
                                 meta={**meta, "inequality": "I(h_t; x_1:t) ≥ d", "closed_form": True,
                                       "note": "not deciding: information and a coordinate count have no fixed "
                                               "relation in either direction"})
        comps = [main, other]
        verdict = combine(comps)

        if info.noise_free:
            c_star, flip = math.inf, ("the inputs reach a direction without (resolved) noise: I = ∞ at every noise "
                                      "scale c (scaling Q adds no noise there)")
        elif info.overflow:
            c_star, flip = math.inf, ("the signal-to-noise ratios γ_i exceed float64's range: c* (where I = d) is "
                                      "beyond it too")
        else:
            c_star = noise_scale_at(info.gains, bound)
            flip = ("no input reaches the state's noisy directions: I = 0 at every noise scale" if c_star == 0.0 else
                    f"with Q → c·Q, I(h_t; x_1:t) = d = {_bits(bound)} at c* = {c_star:.4g}: the claim holds for "
                    "c ≥ c* and fails below")
        with np.errstate(over="ignore", invalid="ignore"):
            trace = float(np.trace(src.cov))
        d_at = distortion_at_rate(src, bound)
        d_rel = d_at / trace if trace > 0 else math.nan
        machinery = src.info_state_inputs()
        unit = ("unit: the paper gives none for comparing a rate (bits) with a coordinate count; one bit per "
                "coordinate is used (d binary coordinates carry at most d bits). Under c bits per coordinate the "
                "bound is c·d: ")
        caveats = [unit + (f"this row would pass exactly for c ≥ I/d = {info.bits / d:.4g} bits per coordinate "
                           f"({info.bits * LN2 / d:.4g} nats)" if math.isfinite(info.bits) else
                           "I is infinite here, so no finite c makes it pass")]
        if verdict == INCONCLUSIVE:
            caveats.append(f"undecided: the numerical enclosure [{info.lower:.6g}, {info.upper:.6g}] bits of "
                           f"I(h_t; x_1:t) contains d = {d} (a noise eigenvalue within float64's rounding of 0)")
        if info.noise_free:
            caveats.append(f"{info.noise_free} direction(s) of h_t that the inputs reach carry no noise within "
                           "float64's allowance: I(h_t; x_1:t) = ∞ for exactly zero noise there; the enclosure's "
                           "upper end is ∞")
        if info.constant:
            caveats.append(f"{info.constant} direction(s) of h_t have variance within float64's allowance of 0 and "
                           "are treated as constant (they carry no information)")
        if not _agree(machinery, info):
            caveats.append(f"the canonical-correlation value of the shared machinery (info_state_inputs) is "
                           f"{machinery:.6g} bits; it reports ∞ once a canonical correlation is within 1e-12 of 1 "
                           "(about 19.4 bits in one direction) and loses relative precision near it; this check "
                           "whitens by the noise instead")
        details = {
            "hypotheses": hypotheses_json(self.claim, regime),
            "rests_on": ("exact Gaussian law of h_t (constant gate, Gaussian inputs): I(h_t; x_1:t) = "
                         "½ log₂ det(Σ_s + Σ_n)/det(Σ_n), generalised eigenvalues of (Σ_s, Σ_n) with a numerical "
                         "enclosure; no sampling"),
            "reading": ("I(h_t; x_1:t) ≤ dim(h_t) in bits at one bit per coordinate: the link §4/§4.2 need for "
                        "R(D) ≤ I(h_t; x_1:t) ≤ dim(h_t)"),
            "corrected_statement": CORRECTED_STATEMENT,
            "caveats": caveats,
            "units": "informations in bits (and nats per coordinate where said); distortions in state units²",
            "statistic_name": "I(h_t; x_{1:t}) (bits) against dim(h_t) = d",
            "source": source_json(src),
            "dim": d,
            "I_state_inputs_bits": info.bits,
            "I_state_inputs_interval_bits": [info.lower, info.upper],
            "I_state_inputs_machinery_bits": machinery,
            "bits_per_coordinate": info.bits / d,
            "nats_per_coordinate": info.bits * LN2 / d,
            "information": info.to_json(),
            "input_rank_bound": min(d, src.t * regime.m),
            "degrees_of_freedom_bound_bits": (0.5 * info.informative * math.log2(1.0 + info.gains[0])
                                              if info.gains else (math.inf if info.noise_free or info.overflow
                                                                  else 0.0)),
            "noise_scale_at_equality": c_star,
            "rate_distortion": {"D_at_d_bits": d_at, "D_at_d_bits_relative_to_trace": d_rel, "trace": trace},
            "verdict_flips_at": flip,
            "paper_rate_distortion": (
                f"R(D) of h_t (reverse water-filling) is ≤ d = {_bits(bound)} exactly for D ≥ D(d) = {d_at:.4g} "
                f"state units² ({d_rel:.4g} of tr Σ_t); below it R(D) exceeds d, and R(D) → ∞ as D → 0"),
            "tolerance_relative": EXACT_RTOL,
        }
        details["plots"] = [_plot(regime, info, d, c_star)]
        return self._result(regime, comps, verdict, 0, details)


def _bits(x: float) -> str:
    return f"{x:g} bit" + ("" if x == 1 else "s")


def _agree(machinery: float, info) -> bool:
    if math.isinf(machinery) and math.isinf(info.bits):
        return True
    if not (math.isfinite(machinery) and math.isfinite(info.bits)):
        return False
    return abs(machinery - info.bits) <= 1e-6 * max(abs(info.bits), 1e-3)


def _plot(regime, info, d, c_star) -> dict:
    series, note = [], ""
    if info.gains and math.isfinite(c_star) and info.informative:
        centre = c_star if c_star > 0.0 else 1.0
        lo, hi = min(1.0, centre) * 1e-3, max(1.0, centre) * 1e3
        cs = np.geomspace(lo, hi, 61).tolist()
        series.append({"label": "I(h_t; x_1:t) with the noise scaled Q → c·Q", "x": cs,
                       "y": [information_at_noise_scale(info.gains, c) for c in cs], "style": "solid"})
        series.append({"label": "this regime (c = 1)", "x": [1.0], "y": [info.bits], "style": "points",
                       "marker": "o"})
    else:
        note = ("I(h_t; x_1:t) = ∞ at every noise scale: the inputs reach a direction without noise"
                if info.noise_free else "signal-to-noise ratios beyond float64's range: no curve drawn"
                if info.overflow else "I(h_t; x_1:t) = 0 at every noise scale")
    vlines = [{"x": c_star, "label": f"c* = {c_star:.3g}: I = d"}] if 0.0 < c_star < math.inf else []
    return {
        "title": f"Rate and dimension (§4, §4.2): information in a {d}-dimensional state — {regime.name}",
        "panels": [{
            "xlabel": "noise scale c (Q → c·Q; c = 1 is the regime)", "ylabel": "I(h_t; x_{1:t}) (bits)",
            "xscale": "log", "yscale": "linear", "series": series,
            "hlines": [{"y": float(d), "label": f"dim(h_t) = {d} (the claimed bound, 1 bit per coordinate)"}],
            "vlines": vlines,
            "note": note or "the same d coordinates carry anything from ~0 to unboundedly many bits",
        }],
    }
