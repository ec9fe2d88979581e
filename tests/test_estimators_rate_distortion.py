"""Reverse water-filling against hand computation; Blahut-Arimoto against closed forms."""

import math

import numpy as np
import pytest
from scipy.stats import norm, ortho_group

from ssmverify.estimators import (
    blahut_arimoto,
    blahut_arimoto_curve,
    csiszar_lower_line,
    discretise_gaussian,
    distortion_rate_gaussian,
    gaussian_rate_distortion_band,
    rate_distortion_gaussian,
)

LN2 = math.log(2.0)
# Closed-form water-filling evaluates one log/division per component; results
# agree with the hand values to rounding.
ROUNDING_RTOL = 1e-12

# Eigenvalues (4, 1, 0.25), rotated so the eigen-decomposition path is used.
EIG = np.array([4.0, 1.0, 0.25])
COV = (lambda q: q @ np.diag(EIG) @ q.T)(ortho_group.rvs(3, random_state=0))

# (D, theta, R in nats), by hand.  sum_i min(theta, lambda_i) = D:
#   D = 0.3:  all active, 3 theta = 0.3          -> theta = 0.1,  R = 1/2 log(4*1*0.25 / 0.1^3) = 1/2 log 1000
#   D = 0.75: all active, 3 theta = 0.75         -> theta = 0.25 (= smallest eigenvalue), R = 1/2 log(16 * 4) = 3 log 2
#   D = 1.25: 0.25 + 2 theta = 1.25              -> theta = 0.5 > 0.25, R = 1/2 log(8 * 2) = 2 log 2
#   D = 2.25: 0.25 + 2 theta = 2.25              -> theta = 1 (= middle eigenvalue), R = 1/2 log 4 = log 2
#   D = 3.25: 0.25 + 1 + theta = 3.25            -> theta = 2, R = 1/2 log(4 / 2) = 1/2 log 2
#   D = 5.25 = trace, and D = 6 > trace          -> R = 0
HAND = [
    (0.3, 0.1, 0.5 * math.log(1000.0)),
    (0.75, 0.25, 3 * LN2),
    (1.25, 0.5, 2 * LN2),
    (2.25, 1.0, LN2),
    (3.25, 2.0, 0.5 * LN2),
    (5.25, 4.0, 0.0),
    (6.0, 4.0, 0.0),
]


@pytest.mark.parametrize("D,theta,R", HAND)
def test_water_filling_hand_cases(D, theta, R):
    res = rate_distortion_gaussian(COV, D)
    assert res.water_level == pytest.approx(theta, rel=1e-9)  # rotation adds ~1e-15 to eigenvalues
    assert res.value == pytest.approx(R, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(res.allocation, np.minimum(theta, EIG), rtol=1e-9)
    np.testing.assert_allclose(res.eigenvalues, EIG, rtol=1e-12)
    assert rate_distortion_gaussian(COV, D, base=2).value == pytest.approx(R / LN2, rel=1e-9, abs=1e-12)
    if D <= 5.25:  # inverse direction: the same level from the rate
        back = distortion_rate_gaussian(COV, R)
        assert back.value == pytest.approx(D, rel=1e-9)
        assert back.water_level == pytest.approx(theta, rel=1e-9)


@pytest.mark.parametrize("base", [None, 2])
def test_rate_distortion_roundtrip(base):
    cov = np.diag([5.0, 2.0, 2.0, 0.3, 0.0])  # ties and a zero eigenvalue
    for D in np.linspace(0.01, 9.2, 37):
        r = rate_distortion_gaussian(cov, D, base=base)
        assert distortion_rate_gaussian(cov, r.value, base=base).value == pytest.approx(D, rel=ROUNDING_RTOL * 100)
    for R in np.linspace(0.0, 12.0, 25):
        d = distortion_rate_gaussian(cov, R, base=base)
        assert rate_distortion_gaussian(cov, d.value, base=base).value == pytest.approx(R, rel=1e-9, abs=1e-12)
        assert d.allocation.sum() == pytest.approx(R, rel=1e-9, abs=1e-12)


def test_water_filling_edge_cases():
    assert rate_distortion_gaussian(COV, 0.0).value == math.inf
    assert distortion_rate_gaussian(COV, math.inf).value == 0.0
    assert distortion_rate_gaussian(COV, 0.0).value == pytest.approx(5.25, rel=1e-12)
    assert rate_distortion_gaussian(COV, math.inf).value == 0.0
    # Scalar variance: R(D) = 1/2 log(s2 / D).
    assert rate_distortion_gaussian(3.0, 0.5).value == pytest.approx(0.5 * math.log(6.0), rel=ROUNDING_RTOL)
    assert distortion_rate_gaussian(3.0, 1.0, base=2).value == pytest.approx(3.0 / 4.0, rel=ROUNDING_RTOL)


def _hb(p):
    return 0.0 if p <= 0 or p >= 1 else -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


@pytest.mark.parametrize("beta", [0.25, 1.0, 2.0, 5.0, 15.0])
def test_ba_fair_binary_hamming(beta):
    res = blahut_arimoto([0.5, 0.5], 1.0 - np.eye(2), beta, tol=1e-12, base=2)
    d = 1.0 / (1.0 + math.exp(beta))
    # The uniform start is already optimal by symmetry, so D is the exact
    # slope-beta point up to rounding, and R is certified within tol.
    assert res.converged and res.rate_upper - res.rate_lower <= 1e-12
    assert res.distortion == pytest.approx(d, rel=1e-12)
    assert res.rate == pytest.approx(1.0 - _hb(d), abs=1e-12)
    assert res.value == res.rate and res.base == 2


@pytest.mark.parametrize("beta", [2.0, 3.0, 5.0])
def test_ba_skewed_binary_bracket(beta):
    # Source (0.2, 0.8), Hamming: R(D) = h(0.2) - h(D) for D <= 0.2, with slope
    # -log((1 - D) / D) nats, so slope beta sits at D = 1 / (1 + e^beta) once
    # beta > log 4 (below that the point is Dmax = 0.2, R = 0).  BA has to
    # iterate here; the certified bracket must contain the true R at BA's D.
    tol = 1e-9
    res = blahut_arimoto([0.2, 0.8], 1.0 - np.eye(2), beta, tol=tol, base=2)
    truth = _hb(0.2) - _hb(res.distortion)
    assert res.converged and res.gap <= tol
    assert res.rate_lower - 1e-12 <= truth <= res.rate_upper + 1e-12  # 1e-12: rounding in the bounds
    # Near-optimality for the slope: R + beta D is within the gap of its
    # minimum, and R + beta D - min grows like (D - D*)^2 / (2 D*(1 - D*)) (in
    # nats), so |D - D*| <= sqrt(2 D*(1 - D*) gap ln 2) up to third order.
    dstar = 1 / (1 + math.exp(beta))
    assert abs(res.distortion - dstar) <= 1.1 * math.sqrt(2 * dstar * (1 - dstar) * res.gap * LN2) + 1e-12


def test_ba_reproduction_alphabet_of_other_size():
    # Extra reproduction letter at distortion 1 from both source letters is
    # never better than letter 0 or 1, so R(D) is unchanged (3 columns).
    d3 = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    res = blahut_arimoto([0.3, 0.7], d3, 2.0, tol=1e-10, base=2)
    assert res.conditional.shape == (2, 3)
    assert res.rate_lower - 1e-12 <= _hb(0.3) - _hb(res.distortion) <= res.rate_upper + 1e-12
    # Three source letters, two reproductions: letters 0 and 2 have identical
    # rows, so the problem is the binary source (0.1 + 0.2, 0.7).
    d32 = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    res = blahut_arimoto([0.1, 0.7, 0.2], d32, 2.0, tol=1e-10, base=2)
    assert res.rate_lower - 1e-12 <= _hb(0.3) - _hb(res.distortion) <= res.rate_upper + 1e-12
    np.testing.assert_allclose(res.conditional.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_ba_stopping_gap_is_honoured(seed):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(12))
    d = rng.uniform(0, 3, size=(12, 9))
    tol = 1e-6
    res = blahut_arimoto(p, d, 3.0, tol=tol)
    assert res.converged and res.gap <= tol and res.rate_upper - res.rate_lower <= tol
    # Seeded start reaches the same point of the curve within the certificate.
    other = blahut_arimoto(p, d, 3.0, tol=tol, seed=seed + 10)
    assert abs(other.rate + 3.0 * other.distortion - res.rate - 3.0 * res.distortion) <= 2 * tol
    # Deterministic without a seed.
    assert blahut_arimoto(p, d, 3.0, tol=tol).rate == res.rate
    capped = blahut_arimoto(p, d, 3.0, tol=1e-15, max_iter=2)
    assert capped.iterations == 2 and not capped.converged


def test_ba_large_beta_no_underflow_and_beta_zero():
    res = blahut_arimoto([0.5, 0.5], 1.0 - np.eye(2), 1e4, tol=1e-12, base=2)
    assert res.rate == pytest.approx(1.0, abs=1e-12) and res.distortion < 1e-300
    flat = blahut_arimoto([0.2, 0.8], 1.0 - np.eye(2), 0.0)
    assert flat.rate == 0.0 and flat.distortion == pytest.approx(0.2, rel=1e-12)  # Dmax


def test_ba_curve_helper():
    betas = [0.0, 0.5, 1.0, 3.0]
    curve = blahut_arimoto_curve([0.5, 0.5], 1.0 - np.eye(2), betas, tol=1e-10, base=2)
    d, r = curve
    assert d.shape == r.shape == (4,) and curve.converged.all()
    assert np.all(np.diff(d) < 0) and np.all(np.diff(r) > 0)
    np.testing.assert_allclose(r, [1.0 - _hb(x) for x in d], atol=1e-10)


def test_ba_against_gaussian_water_filling():
    # N(0, 1) on a 401-point grid over +-6 sd (spacing h = 0.03), squared error,
    # reproduction alphabet = the grid.  Discretisation error, stated:
    #  * truncation: mass outside +-6 sd is 2 Phi(-6) ~ 2e-9;
    #  * lattice: a lattice Gaussian with variance s2 >> h^2 behaves like the
    #    continuous one up to aliasing terms exp(-2 pi^2 s2 / h^2); the test
    #    channel X = Xh + N splits X into lattice Gaussians of variances 1 - D
    #    and D >= 0.1, i.e. s2 / h^2 >= 111: aliasing < 1e-900.
    # We compare with R(D) for the grid law's own variance (not 1), and allow
    # DISC = 1e-6 nats, > 100x the truncation effect.  The BA certificate adds
    # its gap: the true discrete R(D) lies in [rate_lower, rate_upper].
    disc = 1e-6
    x = np.linspace(-6.0, 6.0, 401)
    p = norm.pdf(x)
    p /= p.sum()
    var = float(p @ x**2)
    d = (x[:, None] - x[None, :]) ** 2
    for beta, tol in [(0.75, 1e-3), (1.0, 1e-3), (2.0, 1e-4), (5.0, 1e-3)]:
        res = blahut_arimoto(p, d, beta, tol=tol)
        assert res.converged
        gauss = rate_distortion_gaussian(var, res.distortion).value
        assert res.rate_lower - disc <= gauss <= res.rate_upper + disc
        # Slope optimality: the Gaussian curve's min over D of R + beta D is
        # 1/2 log(2 beta var) + 1/2 (at D = 1/(2 beta)); BA's point must sit
        # within its certified gap of that minimum.
        excess = gauss + beta * res.distortion - (0.5 * math.log(2 * beta * var) + 0.5)
        assert -disc <= excess <= res.gap + disc


# --- the certified Blahut-Arimoto band of a Gaussian source ------------------------------------------

def test_discretise_gaussian_centroids_by_quadrature():
    # Oracle: each cell's mass and centroid by numerical integration of the normal density.
    from scipy import integrate
    lam = 0.7
    dz = discretise_gaussian(lam, per_sd=4, half_width=3.0)
    sd = math.sqrt(lam)
    edges = np.concatenate(([-np.inf], 0.5 * (dz.grid[:-1] + dz.grid[1:]), [np.inf]))
    assert dz.step == pytest.approx(sd / 4, rel=1e-15) and dz.points.size == dz.grid.size == 25
    for a, b, c, p in zip(edges[:-1], edges[1:], dz.points, dz.pmf):
        mass = integrate.quad(lambda u: norm.pdf(u, 0, sd), a, b)[0]
        first = integrate.quad(lambda u: u * norm.pdf(u, 0, sd), a, b)[0]
        assert p == pytest.approx(mass, rel=1e-9)
        assert c == pytest.approx(first / mass, rel=1e-8, abs=1e-12)
    with pytest.raises(ValueError, match="variance"):
        discretise_gaussian(0.0, 8, 6.0)


@pytest.mark.parametrize("base", [None, 2])
def test_band_brackets_the_scalar_gaussian_closed_form(base):
    # Oracle: R(D) = 1/2 log(s2 / D) for D < s2, written here; D(theta) = theta.
    s2 = 2.5
    div = 1.0 if base is None else LN2
    thetas = [0.04 * s2, 0.1 * s2, 0.4 * s2, 0.7 * s2]
    band = gaussian_rate_distortion_band([s2], thetas, base=base)
    assert band.base == base and len(band.points) == 4
    for theta, p in zip(thetas, band.points):
        assert p.theta == theta and p.beta == pytest.approx(1.0 / (2.0 * theta), rel=1e-15)
        assert p.upper_distortion == pytest.approx(p.distortion + p.eps, rel=1e-15)
        assert p.upper_rate == pytest.approx(0.5 * math.log(s2 / p.upper_distortion) / div, rel=1e-12)
        assert p.lower_distortion == pytest.approx(theta, rel=1e-15)
        assert p.lower_rate == pytest.approx(0.5 * math.log(s2 / theta) / div, rel=1e-12)
        # The band holds and is tight: within 3 % (plus a rounding floor) on both sides.
        assert p.upper_rate <= p.rate_upper <= 1.03 * p.upper_rate + 1e-3
        assert 0.97 * p.lower_rate - 1e-3 <= p.lower_bound <= p.lower_rate
        assert p.rate_lower_grid <= p.rate_upper + 1e-12
    # The units are a pure rescaling: nats and bits agree.
    other = gaussian_rate_distortion_band([s2], thetas, base=2 if base is None else None)
    for p, q in zip(band.points, other.points):
        assert p.rate_upper * div == pytest.approx(q.rate_upper * (LN2 if base is None else 1.0), rel=1e-12)
        assert p.distortion == pytest.approx(q.distortion, rel=1e-12)


def test_band_of_a_vector_source_adds_its_components():
    # Independent components: BA at a common slope factorises, so rates, distortions and errors add;
    # the closed form at D(theta) is sum_i max(0, 1/2 log(lambda_i / theta)) (oracle written here).
    lams = [3.0, 0.8]
    theta = 0.5
    both = gaussian_rate_distortion_band(lams, [theta])
    parts = [gaussian_rate_distortion_band([lam], [theta]) for lam in lams]
    p = both.points[0]
    assert p.distortion == pytest.approx(sum(q.points[0].distortion for q in parts), rel=1e-12)
    assert p.rate_upper == pytest.approx(sum(q.points[0].rate_upper for q in parts), rel=1e-12)
    assert p.eps == pytest.approx(sum(q.points[0].eps for q in parts), rel=1e-12)
    assert p.lower_distortion == pytest.approx(2 * theta, rel=1e-15)
    assert p.lower_rate == pytest.approx(0.5 * math.log(3.0 / theta) + 0.5 * math.log(0.8 / theta), rel=1e-12)
    assert p.upper_rate <= p.rate_upper and p.lower_bound <= p.lower_rate


def test_csiszar_line_supremum_and_weak_duality():
    # (1) The certified C* bounds sup_y c(y), brute-forced here on a grid 100x finer than the function's own,
    #     over a range beyond the letters.  (2) The line is a lower bound on the discrete source's R(D) with
    #     unrestricted reproduction, hence below what BA achieves with a much finer reproduction alphabet.
    dz = discretise_gaussian(1.0, per_sd=4, half_width=4.0)
    beta = 2.0
    q = np.random.default_rng(0).dirichlet(np.ones(dz.grid.size))
    intercept, log_c = csiszar_lower_line(dz, q, beta)
    x, p = dz.points, dz.pmf
    logz = np.log(np.exp(-beta * (x[:, None] - dz.grid[None, :]) ** 2) @ q)
    w = p / np.exp(logz)
    ys = np.linspace(x.min() - 1.0, x.max() + 1.0, 200_001)       # spacing ~1e-4 = step / 2500
    c = np.exp(-beta * (x[None, :] - ys[:, None]) ** 2) @ w
    assert log_c >= math.log(c.max()) - 1e-12
    assert log_c <= math.log(c.max()) + 1e-3                      # certified, and not loose
    assert intercept == pytest.approx(-float(np.dot(p, logz)), rel=1e-12)
    fine = np.linspace(x.min() - 0.5, x.max() + 0.5, 801)
    ba = blahut_arimoto(p, (x[:, None] - fine[None, :]) ** 2, beta, tol=1e-6)
    assert intercept - log_c - beta * ba.distortion <= ba.rate_upper + 1e-9
