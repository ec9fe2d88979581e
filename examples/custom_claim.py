"""A claim of your own, checked like the paper's: a complete ssmverify plugin in one file.

    ssmverify run --plugin examples/custom_claim.py builtin:constant-gate
    ssmverify list --plugin examples/custom_claim.py

or, from Python, ``ssmverify.run(["builtin:constant-gate"], plugins=["examples/custom_claim.py"])``.

The claim (ours, not the paper's): in the gated form h_t = g_t ⊙ (A h_{t−1} + B x_t) + w_t, if every gate
value satisfies |g_i| ≤ 1 and ‖A‖₂ ≤ 1, the state grows at most linearly in mean,

    E‖h_t‖ ≤ ‖h_0‖ + t · (s‖B‖_F + √tr Q)        for every t ≥ 0,

s the input scale (each input coordinate has variance s²).  Proof: ‖h_t‖ ≤ ‖A h_{t−1}‖ + ‖B x_t‖ + ‖w_t‖
≤ ‖h_{t−1}‖ + ‖B x_t‖ + ‖w_t‖, and E‖B x_t‖ ≤ (E‖B x_t‖²)^½ = s‖B‖_F, E‖w_t‖ ≤ (tr Q)^½ (Jensen).
The check simulates the chain with the toolkit's simulator and compares E‖h_t‖ with the bound at
t = 1, 2, 4, ..., T, each a one-sided Monte Carlo test at the run's per-comparison level.

A plugin defines a :class:`ssmverify.Claim` (hypotheses evaluated on a regime, with their numbers), a
check class (here a :class:`ssmverify.SimulatorCheck`: what to simulate, then how to decide), and lists
instances of its checks in ``CHECKS``.  Its optional regime table (``[norm_growth] steps = 40``) is
declared with the claim; regime files may then use it.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

import ssmverify
from ssmverify import Claim, Hypothesis, Setting, Simulation, SimulatorCheck, mean_comparison

SETTINGS = {"norm_growth": {"steps": Setting("int>0", 16, "horizon T of the chain")}}


def growth_per_step(regime) -> float:
    """s‖B‖_F + √tr Q: the most E‖h_t‖ may grow in one step (state units)."""
    return float(regime.input_scale * np.linalg.norm(regime.B) + math.sqrt(max(np.trace(regime.noise_cov), 0.0)))


def bound(regime, t: int) -> float:
    return float(np.linalg.norm(regime.h0)) + t * growth_per_step(regime)


def hypotheses(regime) -> tuple[Hypothesis, ...]:
    norm_a = float(np.linalg.norm(regime.A, 2))
    if regime.gate_kind == "constant":
        g_max = float(np.max(np.abs(regime.gate_value)))
        gate = Hypothesis("|g_i| ≤ 1", g_max <= 1.0, f"constant gate, max |g_i| = {g_max:.4g}")
    else:
        gate = Hypothesis("|g_i| ≤ 1", True, f"{regime.gate_kind} gate: values in (0, 1)")
    return (
        Hypothesis("gated form", regime.form == "gated", f"form = {regime.form}"),
        Hypothesis("‖A‖₂ ≤ 1", norm_a <= 1.0, f"‖A‖₂ = {norm_a:.4g}"),
        gate,
    )


NORM_GROWTH = Claim(
    id="norm-growth",
    title="Linear growth of the mean state norm (a user's claim)",
    section="user",
    statement="E‖h_t‖ ≤ ‖h_0‖ + t·(s‖B‖_F + √tr Q)  if |g_i| ≤ 1 and ‖A‖₂ ≤ 1 (gated form)",
    latex=r"\mathbb{E}\|h_t\| \le \|h_0\| + t\,(s\|B\|_F + \sqrt{\operatorname{tr} Q})",
    summary="With gates in [−1, 1] and a non-expansive A, each step adds at most the mean size of the input "
            "and noise terms to the mean state norm.",
    kind="user",
    hypotheses=hypotheses,
    settings=SETTINGS,
)


def horizons(regime) -> list[int]:
    """t = 1, 2, 4, ..., and T itself."""
    steps = int(regime.setting("norm_growth", "steps"))
    ts = [2 ** k for k in range(int(math.log2(steps)) + 1)]
    return sorted(set(ts + [steps]))


def _observe(model, t, hs_prev, hs, x, w, g):
    """Per step: ‖h_t‖ of the (one) chain."""
    return {"norm": jnp.sqrt(jnp.sum(hs * hs, axis=-1))[0]}


class NormGrowthCheck(SimulatorCheck):
    claim = NORM_GROWTH

    def planned_comparisons(self, regime, settings) -> int:
        return len(horizons(regime)) if self.decides(regime) else 0

    def simulation(self, regime, settings, probe: bool = False) -> Simulation:
        def initial(first, n):            # every path starts at h_0: one chain per path
            return np.repeat(regime.h0[None, None, :], n, axis=0)

        return Simulation("norm-growth", int(regime.setting("norm_growth", "steps")), ("synchronous",), _observe,
                          initial, lambda final, obs: {"norm": obs["norm"]})

    def comparisons(self, regime, data, level, decides):
        norms = data["synchronous.norm"]                     # (n, T): ‖h_t‖ for t = 1..T
        return [mean_comparison(norms[:, t - 1], bound(regime, t), level, label=f"t={t}", decides=decides,
                                meta={"t": t}) for t in horizons(regime)]

    def details(self, regime, settings, comps, data):
        ts = [c.meta["t"] for c in comps]
        return {
            "statistic_name": "E‖h_t‖ (state units)",
            "units": "state units",
            "caveats": ["a claim of the user's, not of the paper (examples/custom_claim.py)"],
            "plots": [{
                "title": f"norm-growth — {regime.name}",
                "panels": [{
                    "xlabel": "step t", "ylabel": "E‖h_t‖ (state units)",
                    "series": [
                        {"label": "measured E‖h_t‖", "x": ts, "y": [c.statistic for c in comps],
                         "lo": [c.ci[0] for c in comps], "hi": [c.ci[1] for c in comps], "style": "solid",
                         "marker": "o"},
                        {"label": "claimed bound", "x": ts, "y": [c.bound for c in comps], "style": "dashed"},
                    ],
                }],
            }],
        }


CHECKS = [NormGrowthCheck()]

if __name__ == "__main__":      # python examples/custom_claim.py: the claim on two built-in regimes
    print(ssmverify.run(["builtin:constant-gate", "builtin:sigmoid-quiet"], claims=["norm-growth"], quick=True,
                        plugins=[__file__]))
