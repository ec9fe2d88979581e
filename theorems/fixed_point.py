"""§4.5.1: "if G is Lipschitz with constant L < 1, h_t converges to a unique fixed point".

Paper.  §4.5.1 states that a gate G Lipschitz with constant L < 1 makes the hidden state converge to a
unique fixed point as t → ∞; the proof sketch (§4.5.2) calls the update a contraction and invokes
Banach's theorem.  Read here in its strongest defensible form, for the model as it is (noise and
inputs included): under L_G < 1 (L_G the exact Lipschitz constant of h ↦ G(x, h), ``_constants.
lipschitz``) there is one point h* ∈ Rᵈ such that for every start h_0, E‖h_t − h*‖² → 0.

Why it fails, and where it holds.  Write F(h, x) for the noiseless update (gated: G ⊙ (A h + B x);
leaky: h + G ⊙ ((A − I) h + B x)), so h_t = F(h_{t−1}, x_t) + w_t with x_t, w_t independent of the past.

* Any mean-square limit makes (h_t) Cauchy in L², so E‖h_t − h_{t−1}‖² → 0.  But given h_{t−1} the
  step has variance Var(F(h_{t−1}, x_t) | h_{t−1}) + tr Q, so for every t ≥ 1

      E‖h_t − h_{t−1}‖² ≥ E‖h_t − E[h_t | h_{t−1}]‖² ≥ tr Q + inf_h Σ_{i∈I} Var_x F_i(h, x)    (*)

  (I: the coordinates whose gate does not read h).  Noise alone (Q ≠ 0) rules out every limit, whatever
  the gate: the paper's conclusion fails exactly.
* Inputs.  For i ∈ I, F_i(h, x) = ℓ h_i + g_i(x)(c_i + B_i x) with c = C h, C = A, ℓ = 0 (gated) or
  C = A − I, ℓ = 1 (leaky): the same algebra in both forms.  Its variance over x is the convex quadratic
  a_i c_i² + 2β_i c_i + γ_i, a_i = Var g_i, β_i = Cov(g_i, g_i B_i x), γ_i = Var(g_i B_i x), i.e.
  a_i (c_i − c°_i)² + ρ_i with c°_i = −β_i/a_i and ρ_i = min_c Var(g_i(c + B_i x)) ≥ 0.  So the floor in
  (*) is tr Q + Σ_{i∈I} ρ_i + min_y Σ_{i∈I, a_i>0} a_i ((C y)_i − c°_i)², a weighted least squares.
  Constant gate (a_i = β_i = 0): the floor is tr Q + s²‖diag(g) B‖²_F.  A floor > 0 is an exact FAIL.
* Without a floor (Q = 0 and the inputs' part vanishes), and a gate that does not read h: any
  deterministic limit h* must be a common fixed point, F(h*, x) = h* for almost every x (pass to the limit
  in h_{t+1} = F(h_t, x_{t+1})); the least-squares minimum J* = min_h E‖F(h, x) − h‖² (the same moments
  plus the mean displacement (M̄ − I) h + μ) is 0 exactly when one exists.  Then h_t − h* =
  D(x_t)(h_{t−1} − h*) with D(x) = diag(g(x)) A or I − diag(g(x))(I − A), which converges to 0 in mean
  square from every start iff ρ(E[D ⊗ D]) < 1 (= ρ(M)² for a constant gate: the linear chain
  h_t = M h_{t−1} converges to the unique fixed point 0 from every start iff ρ(M) < 1).  The hypothesis
  L_G < 1 does not involve A: a constant gate 1 (L_G = 0) with A = 2I diverges from every h_0 ≠ 0.
* Gates that read h (U ≠ 0), no noise.  Where the inputs do not enter the state (s = 0 or B = 0), 0 is a
  fixed point of every map, and |F(h, x)| ≤ |A||h| componentwise (gated form; gates in [0, 1]), so
  ρ(|A|) < 1 makes h ↦ F a contraction in a weighted max-norm — a proof of convergence to 0 from every
  start; so does ‖A‖₂ < 1 for the gated form (‖F(h, x)‖₂ ≤ ‖A h‖₂).  Leaky form: each coordinate of F is
  a convex combination of h_i and (A h)_i with weight g_i > 0, so ρ(|A|) < 1 makes the same weighted
  max-norm strictly decrease, and h_t → 0 (LaSalle).  Without such a certificate, no uniform floor and no
  contraction can be proved; the check then observes (overflow, or two float64 fixed points that are
  certified by a Newton correction far below their distance) or says it cannot decide.

Mamba's selective scan (form "s6").  h_t = decay(x_t) ⊙ h_{t−1} + drive(x_t) + w_t with decay_i ∈ (0, 1) and
a gate G = 1 − decay that reads only x (L_G = 0, the hypothesis holds).  The floor (*) holds unchanged, so noise
(tr Q > 0) refutes the claim exactly, as for the other forms; the inputs' part of the floor is not computed for
S6 (it is counted as 0, which keeps the floor a valid lower bound).  Without noise, where the drive vanishes
(s = 0, or x_proj_B = 0), 0 is a fixed point of every map and h_t = D(x_t) h_{t−1} with D(x) = diag(decay(x)),
which converges to 0 in mean square from every start because ρ(E[D ⊗ D]) = max_i E[decay_i²] < 1 (every decay
is below 1): the claim holds, exactly.  Without noise but with a drive, the check does not decide.

Corrected statement: :data:`CORRECTED_STATEMENT`.
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings

import numpy as np
from scipy import integrate, special

from . import _constants as K
from ._claim import Claim, Hypothesis, Setting
from .theorem2 import (INPUT_GATED, LINEAR, STATE_DEPENDENT, chain_tier, constant_gate_values, is_s6,
                       linear_transition)

__all__ = [
    "FIXED_POINT", "FIXED_POINT_SETTINGS", "CORRECTED_STATEMENT", "MAX_ENUMERATED_INPUTS",
    "fixed_point_hypotheses", "noise_trace", "inputs_enter_state", "deterministic", "unit_exponent",
    "RowMoments", "row_moments", "Floor", "floor", "CommonFixedPoint", "common_fixed_point",
    "contraction_certificate", "noiseless_map", "noiseless_jacobian", "fixed_point_certificate", "analysis",
    "row_norms", "s6_drive_vanishes",
    "LINEAR", "INPUT_GATED", "STATE_DEPENDENT", "chain_tier",
]

FIXED_POINT_SETTINGS = {"fixed_point": {
    "steps": Setting("int>0", 200, "horizon of the simulated chains (the deterministic iteration of a noiseless, "
                                   "input-free chain runs up to 100 times longer, stopping once every start settles)"),
    "radii": Setting("floats>0", None, "distances of the starts from h_0; default (1e-3, 1, 1e2, 1e4) × the "
                                       "regime's length scale, plus any given here"),
}}

CORRECTED_STATEMENT = (
    "With process noise or inputs entering the state there is no limit point: E‖h_t − h_{t−1}‖² ≥ tr Q + "
    "s²‖diag(g)B‖²_F for every t (constant gate; in general tr Q + the inputs' floor), and the right "
    "conclusion is convergence in law (theorem2). Without them (Q = 0, B x ≡ 0) h* = 0 is the fixed point, "
    "and h_t → 0 from every start if ρ(|A|) < 1 (gated form also if ‖A‖₂ < 1; leaky form with gates > 0), "
    "for a constant gate iff ρ(M) < 1 — whatever L_G.")

# Rademacher inputs: the moments of an input-only gate row are exact sums over the 2^m sign vectors up to
# this m; beyond it those rows are left out of the floor (still a valid, smaller, lower bound).
MAX_ENUMERATED_INPUTS = 16
EPS = float(np.finfo(np.float64).eps)
# An input-only gate whose variance over the inputs is below this fraction of E g² is left out of the floor:
# its minimiser c° = −Cov/Var would be a ratio of unresolved numbers, and treating the gate as constant could
# overstate the floor (min_c Var(g(c + Bx)) can be far below Var(g Bx) when Var g is small but not 0).
UNRESOLVED_GATE_VARIANCE = 1e-10
ZETA_MAX = 40.0
_UNRESOLVED = "input-only gate nearly constant over the inputs (Var g unresolved): left out of the floor"
# Closed forms here are sums and least-squares residuals of float64 numbers: relative tolerance.
FLOOR_RTOL = 1e-9


# --- hypotheses --------------------------------------------------------------------------------------------

def fixed_point_hypotheses(regime) -> tuple[Hypothesis, ...]:
    """The paper's one hypothesis: G Lipschitz with constant L < 1, read in h (L_G of ``_constants``).

    Holds when the certified upper end of L_G is below 1, so that a verdict is never charged to the paper on
    a regime where its hypothesis might fail.  Form "s6": the gate 1 − exp(Δ(x)A) reads only x, so L_G = 0."""
    if is_s6(regime):
        return (Hypothesis("G Lipschitz in h with constant L_G < 1", True,
                           "S6: G = 1 − exp(Δ(x)·A) reads only the input (Δ = softplus(W_Δ x + b_Δ)), so L_G = 0"),)
    lip = K.lipschitz(regime)
    gate = (f"{regime.gate_kind} gate: {lip.describe()}" if regime.gate_is_parametric
            else "constant gate: L_G = 0")
    holds = bool(lip.upper < 1.0)
    if not holds and lip.lower < 1.0:
        gate += f"; the certified upper end {lip.upper:.6g} is not below 1"
    return (Hypothesis("G Lipschitz in h with constant L_G < 1", holds, gate),) + K.gate_range_hypotheses(
        regime, needed=False, why=("the statement involves the gate only through L_G (sup tanh' = 1); the floor of "
                                   "E‖h_t − h_{t−1}‖² holds for any gate values; the leaky form's contraction "
                                   "certificate needs gates in [0, 1] and is not used for a tanh gate"))


# --- structure of the regime --------------------------------------------------------------------------------

def noise_trace(regime) -> float:
    """tr Q of the noise the simulator draws (rounding negatives of Q's eigenvalues set to 0), state units²."""
    lam = np.linalg.eigvalsh(0.5 * regime.noise_cov + 0.5 * regime.noise_cov.T)
    with np.errstate(over="ignore"):
        return float(np.sum(np.clip(lam, 0.0, None)))


def _noise_zero(regime) -> bool:
    return not np.any(regime.noise_cov)


def s6_drive_vanishes(regime) -> bool:
    """Form "s6": the drive Δ_c(x)(x_proj_B x)[n] x[c] is 0 for every input (s = 0 or x_proj_B = 0)."""
    return regime.input_scale == 0.0 or not np.any(regime.s6.x_proj_B)


def inputs_enter_state(regime) -> bool:
    """Whether x_t reaches h_t through B x_t (s > 0 and B ≠ 0; form "s6": through its drive)."""
    if is_s6(regime):
        return not s6_drive_vanishes(regime)
    return regime.input_scale != 0.0 and bool(np.any(regime.B))


def _gate_reads_x(regime) -> bool:
    if is_s6(regime):
        return regime.input_scale != 0.0 and bool(np.any(regime.s6.dt_weight))
    return regime.gate_is_parametric and regime.input_scale != 0.0 and bool(np.any(regime.W))


def deterministic(regime) -> bool:
    """No noise and x_t enters nowhere: h_t = F(h_{t−1}) with x = 0, a deterministic iteration."""
    return _noise_zero(regime) and not inputs_enter_state(regime) and not _gate_reads_x(regime)


def unit_exponent(regime) -> int:
    """e with κ = 2^e the magnitude of one step's innovation (the larger of max|s·B| and √max Q), computed
    without forming s·B (which may overflow); 0 if both vanish.  Floors are computed in units of κ, so that
    they neither overflow nor underflow and the decisions do not depend on the units of the state."""
    exps = []
    topB = float(np.max(np.abs(regime.B))) if regime.B.size else 0.0
    if regime.input_scale != 0.0 and topB > 0.0:
        exps.append(int(np.frexp(regime.input_scale)[1]) + int(np.frexp(topB)[1]))
    topQ = float(np.max(np.abs(regime.noise_cov)))
    if topQ > 0.0:
        exps.append((int(np.frexp(topQ)[1]) + 1) // 2)
    return max(exps) if exps else 0


def _scaled_inputs(regime, e: int) -> np.ndarray:
    """s·B / 2^e, exactly rescaled by powers of two (0 when s = 0)."""
    if regime.input_scale == 0.0:
        return np.zeros_like(regime.B)
    ms, es = np.frexp(regime.input_scale)
    with np.errstate(under="ignore"):
        return np.ldexp(regime.B * ms, int(es) - e)


# --- moments of the input-only rows ---------------------------------------------------------------------------

class RowMoments:
    """Per-coordinate moments of g_i(x)(c + B_i x) over the input, in units of κ (see :func:`unit_exponent`).

    ``available[i]``: row i's gate does not read h and its moments are known; ``a`` = Var g_i,
    ``c0`` = −Cov(g_i, g_i B_i x)/Var g_i (0 where a = 0), ``rho`` = min_c Var(g_i(c + B_i x)),
    ``gamma`` = Var(g_i B_i x), ``gbar`` = E g_i, ``mu`` = E[g_i B_i x]; ``err`` bounds their numerical error
    (quadrature) summed over rows; ``method`` per row ("constant", "quadrature", "enumeration", or why not).
    """

    def __init__(self, d: int):
        self.available = np.zeros(d, bool)
        self.a, self.c0, self.rho, self.gamma = (np.zeros(d) for _ in range(4))
        self.gbar, self.mu = np.full(d, np.nan), np.zeros(d)
        self.err = 0.0
        self.method = ["state-dependent gate (U_i ≠ 0): no uniform floor"] * d

    def to_json(self) -> dict:
        return {"available": self.available.tolist(), "var_gate": self.a.tolist(), "rho": self.rho.tolist(),
                "gamma": self.gamma.tolist(), "mean_gate": self.gbar.tolist(), "method": list(self.method)}


def _sigmoid(z):
    return special.expit(z)


def _activation(regime):
    """φ of the regime's parametric gate, NumPy: the sigmoid (scipy's expit) or tanh."""
    return np.tanh if regime.gate_kind == "tanh" else _sigmoid


def _gaussian_row(su: float, ks: float, tau2: float, b: float, phi=None):
    """Moments for one input-only gate row with Gaussian inputs: g = φ(su·ζ + b) (φ = ``phi``, default σ),
    ζ ~ N(0, 1) (ζ = W_i·x / su),
    and v = B_i·x with E[v | ζ] = ks·ζ, Var(v | ζ) = tau2.  Returns (a, c°, ρ, γ, ḡ, μ, error, E g²)."""
    # Over |ζ| ≤ ZETA_MAX (the Gaussian mass beyond is below 1e-340), split where the gate crosses 1/2.
    z0 = min(max(-b / su, -ZETA_MAX), ZETA_MAX)
    density = lambda z: math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)   # noqa: E731  (standard normal)
    phi = _sigmoid if phi is None else phi
    g = lambda z: float(phi(su * z + b))                                   # noqa: E731
    errs = []

    def E(f, scale=1.0):
        total = 0.0
        for lo, hi in ((-ZETA_MAX, z0), (z0, ZETA_MAX)):
            if hi <= lo:
                continue
            val, err = integrate.quad(lambda z: f(z) * density(z), lo, hi, limit=200, epsabs=1e-15 * scale,
                                      epsrel=1e-12)
            total += val
            errs.append(err)
        return total

    with warnings.catch_warnings():   # an integral short of its tolerance says so in its error estimate
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        gbar = E(g)
        gsq = E(lambda z: g(z) ** 2)
        m1 = E(lambda z: g(z) * ks * z, abs(ks) + 1e-300)                                 # E[g v]
        a = E(lambda z: (g(z) - gbar) ** 2)                                                # Var g
        var_scale = ks * ks + tau2
        beta = E(lambda z: (g(z) - gbar) * (g(z) * ks * z - m1), abs(ks) + 1e-300)        # Cov(g, g v)
        gamma = E(lambda z: (g(z) * ks * z - m1) ** 2, var_scale + 1e-300) + tau2 * gsq   # Var(g v)
        if a > 0.0:
            c0 = -beta / a
            rho = E(lambda z: (g(z) * (c0 + ks * z) - gbar * c0 - m1) ** 2, var_scale + a * c0 * c0 + 1e-300) \
                + tau2 * gsq                                                               # Var(g (c° + v))
        else:
            c0, rho = 0.0, gamma
    return a, c0, max(rho, 0.0), max(gamma, 0.0), gbar, m1, float(sum(errs)), gsq


def row_moments(regime, e: int | None = None) -> RowMoments:
    """The moments of every coordinate whose gate does not read h, in units of κ = 2^e (default
    :func:`unit_exponent`).  Gaussian inputs: one-dimensional quadrature per row (u = W_i·x is Gaussian and
    B_i·x given u is Gaussian with a mean linear in u); Rademacher inputs: exact sums over the 2^m sign
    vectors (m ≤ MAX_ENUMERATED_INPUTS)."""
    e = unit_exponent(regime) if e is None else e
    d = regime.d
    out = RowMoments(d)
    Bs = _scaled_inputs(regime, e)
    if is_s6(regime):
        out.method = ["S6: inputs' floor not computed for this form (counted as 0: the floor stays a lower bound)"] * d
        return out
    g_const = constant_gate_values(regime)
    if g_const is not None:
        rows_const = np.ones(d, bool)
        g_row = np.asarray(g_const, float)
    elif regime.gate_is_parametric:
        no_u = ~np.any(regime.U != 0.0, axis=1)
        reads_x = np.any(regime.W != 0.0, axis=1) & (regime.input_scale != 0.0)
        rows_const = no_u & ~reads_x
        g_row = _activation(regime)(regime.b)
    else:  # pragma: no cover - the schema has only these gates
        return out
    for i in np.flatnonzero(rows_const):
        out.available[i] = True
        gi = float(g_row[i])
        with np.errstate(over="ignore"):
            gamma = gi * gi * float(np.sum(Bs[i] * Bs[i]))
        out.a[i], out.c0[i], out.rho[i], out.gamma[i] = 0.0, 0.0, gamma, gamma
        out.gbar[i], out.mu[i] = gi, 0.0
        out.method[i] = "constant gate row"
    if g_const is not None:
        return out
    rows_input = no_u & reads_x
    if not rows_input.any():
        return out
    with np.errstate(over="ignore"):
        Ws = regime.input_scale * regime.W               # pre-activation per unit standard input
    if regime.input_law == "rademacher":
        m = regime.m
        if m > MAX_ENUMERATED_INPUTS:
            for i in np.flatnonzero(rows_input):
                out.method[i] = (f"input-only gate with 2^{m} Rademacher sign vectors (beyond 2^{MAX_ENUMERATED_INPUTS}): "
                                 "left out of the floor")
            return out
        signs = np.array(list(itertools.product((-1.0, 1.0), repeat=m)))         # (2^m, m)
        for i in np.flatnonzero(rows_input):
            if not (np.all(np.isfinite(Ws[i])) and np.all(np.isfinite(Bs[i]))):
                out.method[i] = "input-only gate: s·W not finite in float64, left out of the floor"
                continue
            g = _activation(regime)(signs @ Ws[i] + regime.b[i])
            v = signs @ Bs[i]
            gbar, m1 = float(g.mean()), float((g * v).mean())
            dg, gv = g - gbar, g * v - m1
            a, beta, gamma = float(np.mean(dg * dg)), float(np.mean(dg * gv)), float(np.mean(gv * gv))
            if not a > UNRESOLVED_GATE_VARIANCE * float(np.mean(g * g)):
                out.method[i] = _UNRESOLVED
                continue
            c0 = -beta / a
            rho = float(np.mean((g * (c0 + v) - gbar * c0 - m1) ** 2))
            out.available[i] = True
            out.a[i], out.c0[i], out.rho[i], out.gamma[i], out.gbar[i], out.mu[i] = a, c0, rho, gamma, gbar, m1
            out.method[i] = f"input-only gate: exact sum over 2^{m} sign vectors"
        return out
    for i in np.flatnonzero(rows_input):
        w, bi = Ws[i], Bs[i]
        su = float(row_norms(w))
        if not (math.isfinite(su) and np.all(np.isfinite(bi))):
            out.method[i] = "input-only gate: s·W not finite in float64, left out of the floor"
            continue
        if su == 0.0:
            out.method[i] = _UNRESOLVED
            continue
        ks = float((w / su) @ bi)                        # E[B_i·x | W_i·x = su·ζ] = ks·ζ
        tau2 = max(float(bi @ bi) - ks * ks, 0.0)
        a, c0, rho, gamma, gbar, m1, err, gsq = _gaussian_row(su, ks, tau2, float(regime.b[i]), _activation(regime))
        if not a > UNRESOLVED_GATE_VARIANCE * gsq:
            out.method[i] = _UNRESOLVED
            continue
        out.available[i] = True
        out.a[i], out.c0[i], out.rho[i], out.gamma[i], out.gbar[i], out.mu[i] = a, c0, rho, gamma, gbar, m1
        out.err += err
        out.method[i] = "input-only gate: quadrature over u = W_i·x (Gaussian)"
    return out


# --- the floor of E‖h_t − h_{t−1}‖² ------------------------------------------------------------------------

def _weighted_residual(X: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
    """min_y ‖X y − t‖² and a minimiser (least squares; 0 rows: ‖t‖² = 0)."""
    if X.shape[0] == 0:
        return 0.0, np.zeros(X.shape[1])
    y, *_ = np.linalg.lstsq(X, t, rcond=None)
    r = X @ y - t
    return float(r @ r), y


class Floor:
    """tr Q + the inputs' floor: a lower bound on E‖h_t − h_{t−1}‖², uniform in t (state units²).

    ``value`` = ``scale_factor`` × ``value_units`` (units of κ², see :func:`unit_exponent`); ``tolerance`` in
    the same units as ``value_units``; ``rows`` are the coordinates that entered (gate not reading h).
    """

    def __init__(self, noise_units, inputs_units, tolerance_units, e, rows, moments):
        self.noise_units, self.inputs_units = float(noise_units), float(inputs_units)
        self.value_units = self.noise_units + self.inputs_units
        self.tolerance_units = float(tolerance_units)
        self.exponent = int(e)
        self.rows = rows
        self.moments = moments

    @property
    def scale_factor(self) -> float:
        with np.errstate(over="ignore", under="ignore"):
            return float(np.ldexp(1.0, 2 * self.exponent))

    def _state(self, x: float) -> float:
        with np.errstate(over="ignore", under="ignore"):
            return float(np.ldexp(x, 2 * self.exponent))

    @property
    def value(self) -> float:
        return self._state(self.value_units)

    @property
    def noise(self) -> float:
        return self._state(self.noise_units)

    @property
    def inputs(self) -> float:
        return self._state(self.inputs_units)

    @property
    def tolerance(self) -> float:
        return self._state(self.tolerance_units)

    def to_json(self) -> dict:
        return {"value": self.value, "noise_trace": self.noise, "inputs": self.inputs, "tolerance": self.tolerance,
                "units_exponent": self.exponent, "rows": [int(i) for i in self.rows],
                "rows_left_out": [int(i) for i in np.flatnonzero(~self.moments.available)],
                "moments": self.moments.to_json()}


def _C(regime) -> np.ndarray:
    return regime.A if regime.form == "gated" else regime.A - np.eye(regime.d)


def floor(regime) -> Floor:
    """tr Q + Σ_{i∈I} ρ_i + min_y Σ_{i∈I, a_i>0} a_i ((C y)_i − c°_i)²  (see the module docstring)."""
    e = unit_exponent(regime)
    mom = row_moments(regime, e)
    with np.errstate(under="ignore"):
        Qn = np.ldexp(regime.noise_cov, -2 * e)
    lam = np.linalg.eigvalsh(0.5 * Qn + 0.5 * Qn.T)
    noise = float(np.sum(np.clip(lam, 0.0, None)))
    rows = np.flatnonzero(mom.available)
    J = rows[mom.a[rows] > 0.0]
    C = _C(regime)
    sw = np.sqrt(mom.a[J])
    with np.errstate(over="ignore", invalid="ignore"):
        X, t = sw[:, None] * C[J], sw * mom.c0[J]
        if np.all(np.isfinite(X)) and np.all(np.isfinite(t)):
            resid, _ = _weighted_residual(X, t)
        else:
            resid = math.nan
    inputs = float(np.sum(mom.rho[rows])) + resid
    magnitude = float(np.sum(mom.gamma[rows])) + float(t @ t) + abs(noise) + float(np.sum(np.abs(lam)))
    tol = FLOOR_RTOL * magnitude + mom.err
    return Floor(noise, inputs, tol, e, rows, mom)


class CommonFixedPoint:
    """J* = min_h E‖F(h, x) − h‖² (noise left out) for a gate that does not read h, and the minimiser h*.
    J* = 0 exactly when some h* is fixed by every map x ↦ F(·, x); in units of κ² like :class:`Floor`."""

    def __init__(self, value_units, tolerance_units, h_star, e):
        self.value_units, self.tolerance_units = float(value_units), float(tolerance_units)
        self.exponent = int(e)
        with np.errstate(over="ignore", under="ignore"):
            self.h_star = np.ldexp(np.asarray(h_star, float), self.exponent)

    @property
    def value(self) -> float:
        with np.errstate(over="ignore", under="ignore"):
            return float(np.ldexp(self.value_units, 2 * self.exponent))

    @property
    def tolerance(self) -> float:
        with np.errstate(over="ignore", under="ignore"):
            return float(np.ldexp(self.tolerance_units, 2 * self.exponent))

    def to_json(self) -> dict:
        return {"value": self.value, "tolerance": self.tolerance, "h_star": self.h_star.tolist()}


def common_fixed_point(regime, fl: Floor | None = None) -> CommonFixedPoint | None:
    """J* and h* (None when some row's gate reads h or its moments are unknown)."""
    fl = floor(regime) if fl is None else fl
    mom = fl.moments
    if not mom.available.all():
        return None
    d = regime.d
    C = _C(regime)
    if regime.form == "gated":
        Mbar = mom.gbar[:, None] * regime.A
    else:
        Mbar = np.eye(d) - mom.gbar[:, None] * (np.eye(d) - regime.A)
    J = np.flatnonzero(mom.a > 0.0)
    sw = np.sqrt(mom.a[J])
    with np.errstate(over="ignore", invalid="ignore"):
        X = np.vstack([sw[:, None] * C[J], Mbar - np.eye(d)])
        t = np.concatenate([sw * mom.c0[J], -mom.mu])
        if not (np.all(np.isfinite(X)) and np.all(np.isfinite(t))):
            return CommonFixedPoint(math.nan, math.nan, np.full(d, np.nan), fl.exponent)
        resid, y = _weighted_residual(X, t)
    value = float(np.sum(mom.rho)) + resid
    magnitude = float(np.sum(mom.gamma)) + float(t @ t)
    return CommonFixedPoint(value, FLOOR_RTOL * magnitude + mom.err, y, fl.exponent)


# --- gates that read h: certificates and the noiseless map ----------------------------------------------------

def _two_norm_bound(A) -> tuple[float, float]:
    """(‖A‖₂, its rounding allowance)."""
    with np.errstate(all="ignore"):
        top = float(np.max(np.abs(A))) if A.size else 0.0
        if top == 0.0 or not math.isfinite(top):
            return top, 0.0
        sc = 2.0 ** np.frexp(top)[1]
        norm = float(np.linalg.norm(A / sc, 2)) * sc
    return norm, 64.0 * EPS * A.shape[0] * norm


def contraction_certificate(regime) -> dict:
    """A proof that h_t → 0 from every start when 0 is a fixed point of every map (Q = 0, B x ≡ 0):
    ρ(|A|) < 1 (both forms; weighted max-norm), or ‖A‖₂ < 1 (gated form).  Returns {"proved": bool, "how": str,
    "abs_radius": ρ(|A|), "two_norm": ‖A‖₂}."""
    from .theorem2 import spectral_radius_certificate
    decision, radius, how = spectral_radius_certificate(np.abs(regime.A))
    how = how.replace("ρ(M)", "ρ(|A|)").replace("M^", "|A|^").replace("det M", "det |A|").replace("tr M", "tr |A|")
    norm, err = _two_norm_bound(regime.A)
    out = {"abs_radius": radius, "abs_radius_certificate": how, "two_norm": norm}
    if decision == "below" and regime.form == "leaky" and regime.gate_kind == "tanh":
        # (1 − g_i) h_i + g_i (A h)_i is a convex combination only for g_i ∈ [0, 1]; tanh gates go below 0
        out.update(proved=False, how=f"ρ(|A|) < 1 ({how}), but the leaky form's convex-combination argument needs "
                                     "gates in [0, 1] and a tanh gate takes values in (−1, 1): not certified")
    elif decision == "below":
        out.update(proved=True, how=f"ρ(|A|) < 1 ({how}): |F(h, x)| ≤ |A||h| componentwise"
                   + (" (gated form)" if regime.form == "gated" else
                      "; leaky form: each coordinate is a convex combination of h_i and (Ah)_i with weight g_i > 0")
                   + ", so a weighted max-norm of h_t decreases to 0")
    elif regime.form == "gated" and math.isfinite(norm) and norm + err < 1.0:
        out.update(proved=True, how=f"‖A‖₂ = {norm:.6g} < 1 (± {err:.1g}): ‖F(h, x)‖₂ ≤ ‖A h‖₂ ≤ ‖A‖₂‖h‖₂")
    else:
        out.update(proved=False, how=f"neither ρ(|A|) < 1 ({how})"
                   + (f" nor ‖A‖₂ < 1 (‖A‖₂ = {norm:.6g})" if regime.form == "gated" else "")
                   + " is certified")
    return out


def _gate_and_slope(regime, H: np.ndarray):
    """g(0, h) and σ'(z) for states H (n, d) (the input term W x vanishes: x = 0)."""
    n = H.shape[0]
    g_const = constant_gate_values(regime)
    if g_const is not None or regime.gate_kind == "constant":
        g = np.broadcast_to(np.asarray(g_const if g_const is not None else regime.gate_value, float),
                            (n, regime.d))
        return g, np.zeros((n, regime.d)), np.zeros((n, regime.d))
    with np.errstate(over="ignore", invalid="ignore"):
        z = H @ regime.U.T + regime.b
    g = _activation(regime)(z)
    return g, (1.0 - g * g if regime.gate_kind == "tanh" else g * (1.0 - g)), z


def noiseless_map(regime, H: np.ndarray) -> np.ndarray:
    """F(h, 0) for states H (n, d), the update as the simulator writes it with x = 0 and w = 0 (form "s6":
    decay(0) ⊙ h, the drive at x = 0 being 0)."""
    H = np.asarray(H, float)
    if is_s6(regime):
        from .s6 import transition
        decay, _ = transition(regime.s6, np.zeros(regime.s6.m))
        return H * decay
    g, _, _ = _gate_and_slope(regime, H)
    with np.errstate(over="ignore", invalid="ignore"):
        pre = H @ regime.A.T
        out = g * pre
        if regime.form == "leaky":
            out = out + (1.0 - g) * H
    return out


def noiseless_jacobian(regime, h: np.ndarray) -> np.ndarray:
    """∂F(h, 0)/∂h at one state h (d,) (form "s6": diag(decay(0)))."""
    h = np.asarray(h, float)
    if is_s6(regime):
        return np.diag(noiseless_map(regime, np.ones((1, regime.d)))[0])
    g, slope, _ = _gate_and_slope(regime, h[None])
    g, slope = g[0], slope[0]
    d = regime.d
    U = regime.U if regime.gate_is_parametric and constant_gate_values(regime) is None else np.zeros((d, d))
    with np.errstate(over="ignore", invalid="ignore"):
        if regime.form == "gated":
            return g[:, None] * regime.A + (slope * (regime.A @ h))[:, None] * U
        C = regime.A - np.eye(d)
        return np.eye(d) + g[:, None] * C + (slope * (C @ h))[:, None] * U


RESOLUTION_ULPS = 64


def row_norms(X: np.ndarray) -> np.ndarray:
    """‖x‖₂ of each row of X (..., d) without overflow or underflow of the squares: inf only for a row holding
    inf, NaN for a row holding NaN."""
    X = np.asarray(X, float)
    with np.errstate(all="ignore"):
        top = np.max(np.abs(X), axis=-1, keepdims=True)
        safe = np.where((top > 0.0) & np.isfinite(top), top, 1.0)
        out = np.squeeze(safe, -1) * np.sqrt(np.sum((X / safe) ** 2, axis=-1))
        return np.where(np.squeeze(np.isinf(top), -1) & ~np.isnan(X).any(axis=-1), np.inf, out)


def fixed_point_certificate(regime, h: np.ndarray) -> dict:
    """Whether a float64 state h is a fixed point of F(·, 0) up to a Newton correction δ (state units):
    δ = ‖(I − J_F(h))⁻¹‖₂ · (‖F(h) − h‖ + rounding), rounding = RESOLUTION_ULPS·ε times the magnitudes
    that entered F(h) (including a gate's sensitivity to rounding of its pre-activation).  δ = inf where
    I − J_F is singular in float64 (e.g. a gate that underflowed to 0: the map looks stuck, but is not)."""
    h = np.asarray(h, float)
    if not np.all(np.isfinite(h)):
        return {"delta": math.inf, "residual": math.nan, "sigma_min": math.nan}
    Fh = noiseless_map(regime, h[None])[0]
    g, slope, z = _gate_and_slope(regime, h[None])
    with np.errstate(over="ignore", invalid="ignore"):
        Ah = regime.A @ h
        mags = float(np.sum(row_norms(np.stack([h, Ah, Fh, slope[0] * np.abs(z[0]) * np.abs(Ah)]))))
        # relative rounding, and the absolute spacing of subnormal numbers (a state that decayed to ~1e-320 is 0)
        rounding = RESOLUTION_ULPS * (EPS * mags + float(np.finfo(np.float64).smallest_subnormal))
        residual = float(row_norms(Fh - h))
        Jf = noiseless_jacobian(regime, h)
        N = np.eye(regime.d) - Jf
    if not (np.all(np.isfinite(N)) and math.isfinite(residual) and math.isfinite(rounding)):
        return {"delta": math.inf, "residual": residual, "sigma_min": math.nan}
    sv = np.linalg.svd(N, compute_uv=False)
    smin = float(sv[-1])
    if smin <= regime.d * 64.0 * EPS * max(float(sv[0]), 1.0):
        return {"delta": math.inf, "residual": residual, "sigma_min": smin}
    return {"delta": (residual + rounding) / smin, "residual": residual, "sigma_min": smin}


# --- everything the check decides from, memoised per regime ---------------------------------------------------

@functools.lru_cache(maxsize=64)
def _analysis(fingerprint: str, regime_box) -> dict:
    regime = regime_box.regime
    tier = chain_tier(regime)
    fl = floor(regime)
    out = {"tier": tier, "floor": fl, "common": None, "M": None, "certificate": None}
    if tier != STATE_DEPENDENT:
        out["common"] = common_fixed_point(regime, fl)
    if tier == LINEAR:
        out["M"] = linear_transition(regime)
    elif tier == STATE_DEPENDENT and _noise_zero(regime) and not inputs_enter_state(regime):
        out["certificate"] = contraction_certificate(regime)
    return out


class _Box:
    """Carries a regime through lru_cache without hashing its arrays (the fingerprint is the key)."""

    def __init__(self, regime):
        self.regime = regime

    def __hash__(self):
        return 0

    def __eq__(self, other):
        return isinstance(other, _Box)


def analysis(regime) -> dict:
    """tier, floor (:class:`Floor`), common fixed point (tiers without U), M (linear tier) and the contraction
    certificate (U ≠ 0, Q = 0, B x ≡ 0), computed once per regime."""
    return _analysis(regime.fingerprint(), _Box(regime))


FIXED_POINT = Claim(
    id="fixed-point",
    title="Lipschitz gate ⇒ the state converges to a unique fixed point",
    section="§4.5.1",
    statement="L_G < 1  ⇒  ∃ h* ∈ Rᵈ  ∀ h_0:  E‖h_t − h*‖² → 0",
    latex=r"L_G<1 \;\Rightarrow\; \exists h^*\in\mathbb{R}^d\ \forall h_0:\ \mathbb{E}\|h_t-h^*\|^2 \to 0",
    summary=(
        "A gate Lipschitz with constant below 1 is said to make the state converge to one fixed point from "
        "every start. Process noise or inputs entering the state keep it moving (E‖h_t − h_{t−1}‖² has a "
        "positive floor), and without them the hypothesis does not involve A: a constant gate 1 with A = 2I "
        "diverges."
    ),
    kind="paper",
    hypotheses=fixed_point_hypotheses,
    settings=FIXED_POINT_SETTINGS,
    forms=("gated", "leaky", "s6"),
)
