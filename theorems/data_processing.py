"""§5.3 (information bottleneck), a control: the data-processing inequality for compressors of h_t.

x_{1:t} → h_t → ĥ_t is a Markov chain for any compressor ĥ_t computed from h_t (and
independent noise), so
    I(ĥ_t; x_{1:t}) ≤ I(h_t; x_{1:t})    and    I(ĥ_t; x_{1:t}) ≤ I(ĥ_t; h_t).
§5.3 relies on both: the bottleneck minimises I(z; h_t) subject to I(z; x_{1:T}) ≥ τ,
which is feasible only for τ ≤ I(h_t; x), and I(z; h_t) ≥ τ there.  True
statements: the check must PASS wherever it runs; a FAIL points to a bug in the
closed forms of Theorem 1's machinery (``theorems._gaussian_source``), which it reuses.

Where.  Linear-Gaussian regimes (constant gate, Gaussian inputs), as Theorem 1:
h_t ~ N(μ_t, Σ_s + Σ_n) with Σ_s the input-driven part, and for a linear compressor
ĥ = C h + c₀ + z, z ~ N(0, Z), every information is a log-determinant (bits).
"""

from __future__ import annotations

from ._claim import Claim
from ._gaussian_source import RATE_DISTORTION_SETTINGS, source_hypotheses, source_reason

__all__ = ["DATA_PROCESSING"]

DATA_PROCESSING = Claim(
    id="data-processing",
    title="Data processing: a compressor of h_t knows no more about the inputs than h_t does",
    section="§5.3",
    statement="I(ĥ_t; x_{1:t}) ≤ I(h_t; x_{1:t})  and  I(ĥ_t; x_{1:t}) ≤ I(ĥ_t; h_t)  for every compressor ĥ_t of h_t",
    latex=(r"I(\hat h_t;x_{1:t}) \le I(h_t;x_{1:t}),\quad I(\hat h_t;x_{1:t}) \le I(\hat h_t;h_t)"),
    summary=(
        "The information bottleneck of §5.3 rests on the data-processing inequality for x_{1:t} → h_t → ĥ_t. "
        "A control: it must PASS for every compressor (gates, noisy gates, water-filling channels), in closed form."
    ),
    kind="control",
    hypotheses=source_hypotheses,
    applicable=source_reason,
    settings=RATE_DISTORTION_SETTINGS,
)
