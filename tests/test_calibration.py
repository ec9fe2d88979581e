"""The false-FAIL rate stays at or below α.

Each test repeats a decision many times on data whose true statistic sits
exactly on the bound (the hardest case for a false FAIL) and counts FAILs.  The
assertion allows the count a binomial(N, α) variable would exceed with
probability 0.001, so a correct procedure passes and one whose error rate is
above α (a one-sided critical value used two-sided, a missing stage or
family correction) fails.  Seeds are fixed: the outcome is deterministic.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ssmverify.checks import FAIL, Settings
from ssmverify.checks._verdict import VIOLATED, combine, mean_comparison, ratio_comparison, staged
from ssmverify.checks.lemma1 import Lemma1CorrectedCheck
from ssmverify.checks.suite import resolve_regimes
from ssmverify.theorems import CLAIMS, load_regime


def allowed_failures(n_trials: int, alpha: float) -> int:
    return int(stats.binom.ppf(0.999, n_trials, alpha))


@pytest.mark.parametrize("law", ["normal", "exponential"])
def test_mean_comparison_at_the_boundary(law):
    alpha, trials, n = 0.05, 4000, 200
    rng = np.random.default_rng(11)
    fails = 0
    for _ in range(trials):
        x = rng.standard_normal(n) if law == "normal" else rng.exponential(size=n) - 1.0  # mean exactly 0
        fails += mean_comparison(x, 0.0, alpha, label="null").decision == VIOLATED
    assert fails <= allowed_failures(trials, alpha)
    assert fails > 0  # the test has power to see failures at all: it is not vacuous


def test_ratio_comparison_at_the_boundary():
    alpha, trials, n, r = 0.05, 4000, 300, 0.6
    rng = np.random.default_rng(12)
    fails = 0
    for _ in range(trials):
        b = rng.gamma(2.0, 1.0, n)
        a = r * b + rng.normal(0.0, 0.5, n)  # E[a] = r E[b] exactly
        fails += ratio_comparison(a, b, r, alpha, label="null").decision == VIOLATED
    assert fails <= allowed_failures(trials, alpha)


def test_staged_sampling_with_a_family_keeps_the_run_wide_rate():
    """20 comparisons, 3 stages, all at the boundary: P(any FAIL in the run) ≤ α."""
    alpha, trials, m, stages = 0.1, 600, 20, 3
    settings = Settings(alpha=alpha, family_size=m, quick=False)
    assert settings.max_stages == stages
    rng = np.random.default_rng(13)
    fails = 0
    for _ in range(trials):
        def draw(first, n):
            return {"x": rng.standard_normal((n, m))}

        def decide(data):
            return [mean_comparison(data["x"][:, j], 0.0, settings.level, label=str(j)) for j in range(m)]

        comps, *_ = staged(draw, decide, 50, stages)
        fails += combine(comps) == FAIL
    assert fails <= allowed_failures(trials, alpha)


TIGHT = """
name = "tight-constant-gate"
[model]
form = "leaky"
A = [[0.3]]
B = [[1.0]]
noise_cov = 0.09
[model.gate]
kind = "constant"
value = 0.6
[inputs]
law = "gaussian"
scale = 1.0
[lemma1]
steps = 4
separations = [0.5]
"""


def test_claims_true_by_construction_do_not_fail_over_many_seeds(tmp_path):
    """lemma1-corrected holds on every path (with equality for this 1-D constant gate) — never a FAIL."""
    path = tmp_path / "tight.toml"
    path.write_text(TIGHT)
    regimes = [load_regime(path, set(CLAIMS)), resolve_regimes(["builtin:sigmoid-quiet"])[0]]
    alpha, seeds = 0.2, 12
    check = Lemma1CorrectedCheck()
    fails = 0
    for seed in range(seeds):
        for regime in regimes:
            settings = Settings(seed=seed, alpha=alpha, quick=True,
                                family_size=check.planned_comparisons(regime, Settings()))
            fails += check.run(regime, settings).verdict == FAIL
    assert fails <= allowed_failures(seeds * len(regimes), alpha)
    assert fails == 0


# --- the boundary cases of `ssmverify calibrate`, at small levels ------------------------------------

from ssmverify.checks.calibrate import CASES, run_calibration  # noqa: E402


def test_calibration_cases_have_the_shapes_they_claim():
    from ssmverify.checks.calibrate import shape_statistics
    shapes = {c.shape: shape_statistics(c, np.random.default_rng(5)) for c in CASES}
    assert abs(shapes["symmetric"]["skewness"]) < 0.05
    assert shapes["right-skewed"]["skewness"] > 1.0
    assert shapes["left-skewed"]["skewness"] < -1.0
    assert shapes["heavy-tailed"]["excess_kurtosis"] > 10.0
    both = shapes["left-skewed heavy-tailed"]
    assert both["skewness"] < -1.0 and both["excess_kurtosis"] > 5.0


def test_calibration_bound_is_the_exact_mean_ratio():
    """The boundary r = E[m(x)] by quadrature against a large Monte Carlo mean (oracle: sampling)."""
    rng = np.random.default_rng(6)
    for case in CASES:
        x = rng.standard_normal(2_000_000)
        mc = case.m(x)
        assert abs(mc.mean() - case.bound()) < 5 * mc.std() / np.sqrt(x.size)


@pytest.mark.slow
@pytest.mark.parametrize("level,shapes", [
    (1e-3, None),                                    # every shape
    (1e-4, ("left-skewed", "heavy-tailed")),         # the shapes where a plain t bound errs, at a small level
])
def test_false_fail_rate_stays_at_the_level(level, shapes):
    """Each case holds with equality: every FAIL is false.  Expected misses ≥ 30 per case (trials × level),
    1024 paths per trial (the suite's smallest deciding sample).  `ssmverify calibrate` runs all five at the
    default suite's level."""
    doc = run_calibration(0.01, level=level, n_paths=1024, min_expected=30, shapes=shapes)
    assert len(doc["cases"]) == (len(CASES) if shapes is None else len(shapes))
    for case in doc["cases"]:
        assert case["trials"] * level >= 30
        assert case["misses"] <= int(stats.binom.ppf(0.999, case["trials"], level)), case
        assert not case["significantly_above"]
