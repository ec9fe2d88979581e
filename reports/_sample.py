"""A small made-up results document with every case the renderers must handle.

Used by the tests (no simulation needed) and to preview the outputs:

    python -m reports._sample OUT_DIR     # writes OUT_DIR/index.html, report.md, ... from the sample

Its claim ids and regimes are invented on purpose: the renderers must not know any claim.
Every verdict occurs; numbers include the non-finite strings of results.json; one row has
characters that HTML, Markdown, XML and LaTeX all treat specially; one has claim-specific
keys (a list of dicts, a nested dict, a list of lists) that only the generic renderer shows.
"""

from __future__ import annotations

import json
import sys

from ._format import figure_stem
from ._io import dumps

__all__ = ["sample_document", "sample_row"]

_STATS = {"alpha": 0.01, "family_size": 12, "max_stages": 2, "level": 0.01 / 24, "confidence": 1 - 0.01 / 24}


def _claim(cid, title, kind="paper", corrects=None, corrected_by=()):
    return {"id": cid, "title": title, "section": "§9.9", "statement": f"E‖x_t‖ ≤ κ·E‖x_(t−1)‖  ({cid})",
            "latex": r"\mathbb{E}\|x_t\| \le \kappa\,\mathbb{E}\|x_{t-1}\|", "summary": f"What {cid} says.",
            "kind": kind, "corrects": corrects,
            "corrected_by": [{"id": c, "statement": f"E‖x_t‖ ≤ c_t·E‖x_(t−1)‖ + σ  ({c})", "latex": r"c_t"}
                             for c in corrected_by]}


def _plot(title, bound_label="paper bound κ = 0.5", corrected=True):
    xs = list(range(1, 11))
    series = [{"label": "measured, coupling A", "x": xs, "y": [0.3 + 0.01 * t for t in xs],
               "lo": [0.25 + 0.01 * t for t in xs], "hi": [0.35 + 0.01 * t for t in xs], "style": "solid"}]
    if corrected:
        series.append({"label": "corrected bound, coupling A", "x": xs, "y": [0.9] * 9 + ["nan"], "style": "dotted"})
    series.append({"label": "measured, coupling B", "x": xs, "y": [40.0] + [0.6] * 9,
                   "lo": ["-inf"] + [0.55] * 9, "hi": ["inf"] + [0.65] * 9, "style": "dashed"})
    return {"title": title, "panels": [
        {"title": "ratio per step", "xlabel": "step t", "ylabel": "ratio (dimensionless)",
         "series": series, "hlines": [{"y": 0.5, "label": bound_label}],
         "note": "bands: confidence intervals at the per-comparison level"},
        {"xlabel": "step t", "ylabel": "E‖x_t‖² (state units²)", "yscale": "log",
         "series": [{"label": "second moment", "x": xs, "y": [10.0 ** -t for t in xs], "style": "solid"},
                    {"label": "points", "x": xs, "y": [2.0 * 10.0 ** -t for t in xs],
                     "yerr_lo": [1.0 * 10.0 ** -t for t in xs], "yerr_hi": [3.0 * 10.0 ** -t for t in xs],
                     "style": "points"}]},
    ]}


def _comparisons(stat, bound, ci, decision, n=512):
    return [
        {"label": "coupling A, t=1", "statistic": stat, "bound": bound, "ci": ci, "claimed": "<=",
         "decision": decision, "decides": True, "n": n, "method": "monte-carlo", "coupling": "A", "t": 1},
        {"label": "coupling A, t=2", "statistic": 0.1, "bound": bound, "ci": [0.05, 0.15], "claimed": "<=",
         "decision": "holds", "decides": True, "n": n, "method": "monte-carlo", "coupling": "A", "t": 2},
        {"label": "coupling B, t=1", "statistic": 0.2, "bound": bound, "ci": ["-inf", "inf"], "claimed": "<=",
         "decision": "undecided", "decides": False, "n": n, "method": "monte-carlo", "coupling": "B", "t": 1,
         "note": "below float64 resolution: reported, not decided"},
    ]


def sample_row(regime, claim, verdict, *, statistic=0.3, bound=0.5, ci=(0.25, 0.35), n=512, hypotheses_hold=True,
               kind="paper", corrects=None, corrected_by=(), caveats=(), extra=None, plots=True, reason=None):
    """One row as checks/suite.py writes it (figure file names from regime and claim, by the one slug rule,
    ``_format.figure_stem``)."""
    decision = {"PASS": "holds", "FAIL": "violated"}.get(verdict, "undecided")
    details = {
        "hypotheses": [
            {"name": "‖A‖₂ ≤ ρ", "holds": True, "detail": "ρ = ‖A‖₂ = 0.9"},
            {"name": "ρ·L_G < 1", "holds": hypotheses_hold, "detail": f"ρ·L_G = {0.5 if hypotheses_hold else 2.7}"},
        ] if kind == "paper" else [],
        "rests_on": "coupling A (the coupling most favourable to the claim)",
        "caveats": list(caveats),
        "statistic_name": "ratio E‖x_t‖ / E‖x_(t−1)‖",
        "representative": "coupling A, t=1",
        "comparisons": _comparisons(statistic, bound, list(ci), decision, n) if n else [],
        "plots": [_plot(f"{claim}: contraction ratio — {regime}")] if plots else [],
        **(extra or {}),
        "regime_source": f"builtin:{regime}",
        "regime_description": f"A made-up regime called {regime}.",
        "claim": _claim(claim, f"Made-up claim {claim}", kind, corrects, corrected_by),
        "statistics": dict(_STATS),
        "reproduce": f"ssmverify run builtin:{regime} --claims {claim} --seed 0 --alpha 0.01 --family-size 12",
    }
    if reason:
        details["reason"] = reason
    return {"regime": regime, "claim": claim, "verdict": verdict, "hypotheses_hold": hypotheses_hold,
            "statistic": statistic, "bound": bound, "ci": list(ci), "n_samples": n,
            "method": "monte-carlo" if n else None, "details": details,
            "figures": [f"figures/{figure_stem(regime, claim)}.png"] if plots else []}


def sample_document(extra_rows=()) -> dict:
    """The sample, JSON-normalised exactly as results.json stores it."""
    rows = [
        sample_row("quiet", "toy-claim", "PASS", corrected_by=("toy-claim-corrected",),
                   caveats=("coupling B cannot contract to zero",),
                   extra={"kappa": 0.5, "every_admissible_kappa_violated": False, "smallest_supported": "nan",
                          "initial_states": [[0.0, 0.0], [-1.5, 2.25]],
                          "empirical_w2": {"samples_per_law": 512, "between_copies": [0.0, 0.0]},
                          "compressors": [{"name": "quantiser", "rate_bits": 2.0, "distortion": 0.125},
                                          {"name": "identity", "rate_bits": "inf", "distortion": 0.0}]}),
        sample_row("quiet", "toy-claim-corrected", "PASS", kind="corrected", corrects="toy-claim",
                   statistic=0.9999999, bound=1.0, ci=(0.99, 1.0000000001), plots=False),
        sample_row("loud", "toy-claim", "FAIL", statistic=0.9, ci=(0.85, 0.95), corrected_by=("toy-claim-corrected",),
                   caveats=("the CI at t=1 is wide",)),
        sample_row("loud", "toy-claim-corrected", "INCONCLUSIVE", kind="corrected", corrects="toy-claim",
                   statistic=0.98, bound=1.0, ci=(0.9, 1.1), plots=False),
        sample_row("strong", "toy-claim", "NOT_APPLICABLE", statistic=1.2, bound=2.7, ci=("-inf", "inf"),
                   hypotheses_hold=False),
        sample_row("odd & <odd>", "weird_id{%}$#~^\\", "NOT_APPLICABLE", statistic="nan", bound="nan",
                   ci=("nan", "nan"), n=0, hypotheses_hold=False, plots=False,
                   reason="needs a finite input alphabet | \"quoted\" & <tagged>; 50% of $5 `code` *stars*"),
        *extra_rows,
    ]
    document = {
        "schema": 1, "version": "0.0.0-sample", "seed": 7, "alpha": 0.01, "quick": True, "family_size": 12,
        "per_comparison_level": 0.01 / 24,
        "environment": {"python": "3.11.0", "platform": "Sample-OS", "packages": {"numpy": "2.0", "jax": None},
                        "git_commit": "0123456789abcdef0123456789abcdef01234567", "precision": "float64"},
        "results": rows,
    }
    return json.loads(dumps(document))


def main(argv=None) -> int:  # pragma: no cover - a preview helper
    from . import render_all
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m reports._sample OUT_DIR", file=sys.stderr)
        return 2
    for path in render_all(argv[0], sample_document()):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
