"""Discrete entropy against scipy; Fano bound against direct evaluation of the inequality."""

import math

import numpy as np
import pytest
from scipy.stats import entropy as scipy_entropy

from ssmverify.estimators import discrete_entropy, entropy_terms_bits, fano_lower_bound, quantised_gaussian_entropy


@pytest.mark.parametrize("base", [None, 2, 10])
def test_discrete_entropy_matches_scipy(base):
    rng = np.random.default_rng(0)
    for _ in range(5):
        counts = rng.integers(0, 20, size=12)
        counts[rng.integers(12)] = 0  # an empty cell
        assert discrete_entropy(counts, base=base) == pytest.approx(scipy_entropy(counts, base=base), rel=1e-12)


def test_miller_madow_term():
    counts = np.array([5, 0, 3, 2])
    k, n = 3, 10
    assert discrete_entropy(counts, correction="miller-madow") == pytest.approx(
        scipy_entropy(counts) + (k - 1) / (2 * n), rel=1e-12
    )


def test_miller_madow_reduces_small_sample_bias():
    # Uniform source on K = 16 letters, N = 24 draws: the plug-in estimate is
    # biased down by ~(K-1)/(2N) and more.  Over 400 seeds the plug-in bias must
    # be significantly negative and Miller-Madow's strictly smaller in size;
    # "significant" is 3 SE of the mean over seeds.
    K, N, reps = 16, 24, 400
    h = math.log(K)
    plug, mm = [], []
    for s in range(reps):
        counts = np.bincount(np.random.default_rng(s).integers(0, K, N), minlength=K)
        plug.append(discrete_entropy(counts) - h)
        mm.append(discrete_entropy(counts, correction="miller-madow") - h)
    plug, mm = np.array(plug), np.array(mm)
    se = lambda v: v.std(ddof=1) / math.sqrt(reps)  # noqa: E731
    assert plug.mean() < -3 * se(plug)
    # Paired comparison of absolute errors of the two mean estimates.
    assert abs(mm.mean()) + 3 * se(mm) < abs(plug.mean())


def _g_bits(p, log2_m_minus_1):
    """h_b(p) + p log2(M - 1), evaluated directly (the oracle)."""
    # log1p keeps (1 - p) log(1 - p) accurate for the tiny p that tiny H gives.
    hb = 0.0 if p in (0.0, 1.0) else -(p * math.log2(p) + (1 - p) * math.log1p(-p) / math.log(2))
    return hb + p * log2_m_minus_1


def _check_strong(h, p, log2_m_minus_1):
    # At the root: g(P) = H to rounding; just above: >= H; just below: < H.
    assert _g_bits(p, log2_m_minus_1) == pytest.approx(h, rel=1e-10, abs=1e-12)
    assert _g_bits(p * (1 + 1e-8), log2_m_minus_1) >= h
    assert _g_bits(p * (1 - 1e-8), log2_m_minus_1) < h


@pytest.mark.parametrize("m", [2, 4])
def test_fano_strong_small_alphabets(m):
    log2_m1 = math.log2(m - 1)
    for h in [1e-12, 1e-6, *np.linspace(0.05, math.log2(m) - 0.05, 9)]:
        p = fano_lower_bound(h, m, form="strong")
        assert 0 <= p <= 1 - 1 / m
        _check_strong(h, p, log2_m1)
        weak = fano_lower_bound(h, m, form="weak")
        assert weak == pytest.approx(max(0.0, (h - 1) / math.log2(m)), rel=1e-12, abs=1e-15)
        assert weak <= p


def test_fano_astronomical_alphabet_via_log():
    log2_m = 5000.0  # M = 2^5000 overflows any float
    log2_m1 = log2_m  # log2(M - 1) = 5000 + log2(1 - 2^-5000): 5000 in float64
    for h in [0.5, 1.0, 100.0, 2500.0, 4999.0]:
        p = fano_lower_bound(h, log_alphabet_size=log2_m, form="strong")
        _check_strong(h, p, log2_m1)
        assert fano_lower_bound(h, log_alphabet_size=log2_m, form="weak") <= p


def test_fano_huge_python_int_alphabet():
    m = 2**400
    for h in [3.0, 200.0, 399.5]:
        for form in ("weak", "strong"):
            assert fano_lower_bound(h, m, form=form) == pytest.approx(
                fano_lower_bound(h, log_alphabet_size=400.0, form=form), rel=1e-12
            )
        _check_strong(h, fano_lower_bound(h, m, form="strong"), 400.0)


def test_fano_units_and_endpoints():
    # nats in, nats out: the same bound.
    assert fano_lower_bound(1.7, 8, base=None, form="strong") == pytest.approx(
        fano_lower_bound(1.7 / math.log(2), 8, form="strong"), rel=1e-12
    )
    assert fano_lower_bound(0.0, 8, form="strong") == 0.0
    assert fano_lower_bound(3.0, 8, form="strong") == pytest.approx(1 - 1 / 8, rel=1e-12)  # H = log M
    with pytest.raises(ValueError, match="cond_entropy .* exceeds"):
        fano_lower_bound(3.01, 8)
    with pytest.raises(ValueError, match="cond_entropy .* exceeds"):
        fano_lower_bound(5000.5, log_alphabet_size=5000.0, form="strong")


def test_fano_weak_never_exceeds_strong():
    for m in [2, 3, 10, 1000]:
        for h in np.linspace(0.0, math.log2(m), 25):
            assert fano_lower_bound(h, m, form="weak") <= fano_lower_bound(h, m, form="strong") + 1e-15


# --- quantiser entropies ------------------------------------------------------------------------------

def test_entropy_terms_bits_against_counts():
    # Oracle: scipy's entropy of the counts of each distinct row, counted here with a dict.
    rng = np.random.default_rng(4)
    cells = rng.integers(-3, 4, size=(500, 3)) * np.array([1, 1, 2])
    counts: dict = {}
    for row in map(tuple, cells):
        counts[row] = counts.get(row, 0) + 1
    terms, mm, occupied = entropy_terms_bits(cells)
    n, k = cells.shape[0], len(counts)
    assert occupied == k and terms.shape == (n,)
    assert terms.mean() == pytest.approx(scipy_entropy(list(counts.values()), base=2), rel=1e-12)
    assert mm == pytest.approx((k - 1) / (2 * n * math.log(2)), rel=1e-15)
    assert terms[0] == pytest.approx(-math.log2(counts[tuple(cells[0])] / n), rel=1e-15)
    # Indices far apart (the mixed-radix key would exceed 2^62): the same terms as a compact relabelling.
    spread = cells * np.array([2 ** 40, 2 ** 40, 1], dtype=np.int64)
    np.testing.assert_array_equal(entropy_terms_bits(spread)[0], terms)


@pytest.mark.parametrize("base", [None, 2])
def test_quantised_gaussian_entropy_against_cell_sums(base):
    # Oracle: -sum_k p_k log p_k over cells [(k - 1/2) step, (k + 1/2) step), p_k from scipy.stats.norm.
    from scipy.stats import norm
    means = np.array([0.0, 0.3, -1.7, 12.5])
    for sd, step in [(1.0, 0.5), (0.2, 1.0), (3.0, 2.0)]:
        got = quantised_gaussian_entropy(means, sd, step, base=base)
        for mu, h in zip(means, got):
            k = np.arange(-400, 401) + round(mu / step)
            p = norm.cdf((k + 0.5) * step, mu, sd) - norm.cdf((k - 0.5) * step, mu, sd)
            assert h == pytest.approx(scipy_entropy(p[p > 0], base=base), rel=1e-9, abs=1e-12)
    np.testing.assert_array_equal(quantised_gaussian_entropy(means, 0.0, 1.0, base=base), np.zeros(4))
