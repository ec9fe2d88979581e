"""Benchmark (not a test): the whole pipeline's false-FAIL rate on a claim that holds with equality.

A 1-D leaky chain whose gate reads the input only, h_t = (1 − g(x_t))h_{t−1} + g(x_t)(a h_{t−1} + x_t) + w_t
with g(x) = σ(w·x + c): two copies driven by the same inputs and noise obey Δ_t = m(x_t)Δ_{t−1} exactly,
m(x) = 1 − g(x) + a·g(x) > 0, and x_t is independent of Δ_{t−1}, so E|Δ_t| = E[m(x)]·E|Δ_{t−1}| at every
step and separation.  The Lemma 1 check is run unchanged (pilot selection, doubling stages, Bonferroni,
skew-robust one-sided tests) with its bound set to that exact ratio E[m(x)] (quadrature): every comparison
sits on the boundary, so every FAIL is false.  The family-wise rate must stay at or below α.

    python examples/boundary_false_fail_rate.py --seeds 1000 --alpha 0.01
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import integrate, special, stats

from ssmverify.checks import FAIL, Settings
from ssmverify.checks.lemma1 import Lemma1Check
from ssmverify.theorems import CLAIMS, load_regime

A, W, C = 0.5, 3.0, 1.5
REGIME = f"""
name = "boundary-leaky-input-gated"
[model]
form = "leaky"
A = [[{A}]]
B = [[1.0]]
noise_cov = 0.04
[model.gate]
kind = "sigmoid"
W = [[{W}]]
b = [{C}]
[inputs]
law = "gaussian"
scale = 1.0
"""


def exact_ratio() -> float:
    f = lambda x: (1.0 - (1.0 - A) * special.expit(W * x + C)) * math.exp(-0.5 * x * x)  # noqa: E731
    return integrate.quad(f, -np.inf, np.inf, epsabs=0.0, epsrel=1e-13)[0] / math.sqrt(2 * math.pi)


class BoundaryLemma1(Lemma1Check):
    """Lemma 1's check with the exact boundary E[m(x)] as its bound, decided whatever the hypotheses."""

    def __init__(self, r: float):
        self.r = r

    def decides(self, regime) -> bool:
        return True

    def _ratio(self, regime, dist, rhs):
        return dist[:, 1:, :], dist[:, :-1, :], self.r

    def details(self, regime, settings, comps, data):
        return {}  # the verdict is all this benchmark counts: skip the report's Lyapunov exponent and figure


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1000)
    parser.add_argument("--alpha", type=float, default=0.01)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "boundary.toml"
        path.write_text(REGIME)
        regime = load_regime(path, set(CLAIMS))
    check = BoundaryLemma1(exact_ratio())
    m = check.planned_comparisons(regime, Settings(quick=args.quick))
    fails, started = 0, time.perf_counter()
    for seed in range(args.seeds):
        settings = Settings(seed=seed, alpha=args.alpha, quick=args.quick, family_size=m)
        fails += check.run(regime, settings).verdict == FAIL
        if (seed + 1) % 100 == 0:
            print(f"{seed + 1} seeds: {fails} false FAIL(s), {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)
    lo, hi = stats.binomtest(fails, args.seeds).proportion_ci(0.95, method="exact")
    print(f"boundary claim E|Δ_t| = E[m]·E|Δ_t−1| (1-D leaky input-gated), α = {args.alpha}, "
          f"{'quick' if args.quick else 'default'} settings, family size {m}: "
          f"{fails} false FAIL(s) in {args.seeds} seeds = {fails / args.seeds:.4f} (95 % CI {lo:.4f}–{hi:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
