"""Mean-square stability of an input-gated chain: the spectral radius of S = E[M(x) ⊗ M(x)].

For a gate that does not depend on the state (U = 0, or a constant gate) the chain is
h_t = M(x_t) h_{t−1} + η_t with i.i.d. x_t and

    gated form:  M(x) = diag(g(x)) A,        leaky form:  M(x) = I − diag(g(x))(I − A),

g(x) = σ(W x + b) (or tanh(W x + b), ``activation="tanh"``).  The second moments follow E[h_t h_tᵀ] = E[M X Mᵀ] + (terms of the input and
noise), so the chain is mean-square stable iff ρ(S) < 1 for the d²×d² operator
S = E[M(x) ⊗ M(x)] (vec(M X Mᵀ) = (M ⊗ M) vec(X), row- or column-major alike).  S maps the cone
of positive semidefinite matrices into itself, so ρ(S) is a real eigenvalue (its Perron root)
with positive semidefinite left and right eigenvectors.

Methods (``method="auto"`` picks the first that applies):

* "exact": a constant gate (S = M ⊗ M, ρ(S) = ρ(M)²), or Rademacher inputs with m ≤ 12
  (the mean over all 2ᵐ sign vectors);
* "quadrature": Gaussian inputs with m ≤ 3 — tensor Gauss–Hermite (probabilists') quadrature,
  the order doubled until ρ changes by less than ``rtol`` relative; the order and the last change
  (the reported numerical error, and the half-width of ``ci``) come back with it.  A steep gate
  converges slowly (g = σ(6x) has poles at ±iπ/6: order 1024 for 1e-12), and the node count
  grows like orderᵐ, so for m = 3 the cap ``max_nodes`` may stop it first: the reported change
  then says how far it got;
* "monte-carlo": N i.i.d. inputs; ρ̂ is the Perron root of the sample mean Ŝ and its interval
  comes from the delta method: with u, v the left and right Perron vectors of Ŝ,
  ψ_k = uᵀ(M_k ⊗ M_k)v / (uᵀv) has mean exactly ρ̂ and the Student-t interval of the ψ_k is the
  first-order interval for ρ (valid when the Perron root is simple).

Mamba's selective scan (form "s6", ``theorems/s6.py``): M(x) = diag(decay(x)) with
decay_{c·N+n}(x) = exp(Δ_c(x) A[c, n]).  Then M ⊗ M is diagonal, E[M ⊗ M] is the diagonal of the
E[decay_i decay_j], and Cauchy–Schwarz gives E[decay_i decay_j] ≤ max_k E[decay_k²], so
ρ(E[M ⊗ M]) = max_i E[decay_i²] = max E[exp(2 Δ_c A[c, n])] (:func:`s6_second_moment_radius`).  Each
E[exp(2Δ_c A[c, n])] is a one-dimensional expectation over u_c = W_c[c]·x + b_c, computed as
``theorems.s6`` computes E[exp(Δ_c A[c, n])] (Gauss–Legendre panels for Gaussian inputs, exact atoms for
Rademacher inputs), kept as E[decay²] − 1 so that a radius close to 1 keeps its distance from 1.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
from scipy import special

from ._intervals import mean_ci
from ._validate import positive_int, real_array

__all__ = ["SecondMomentOperator", "SecondMomentRadius", "second_moment_operator", "second_moment_radius",
           "second_moment_radius_regime", "transition_matrices", "s6_second_moments", "s6_second_moment_radius",
           "s6_decay_second_moments"]

EXACT_MAX_M = 12
QUADRATURE_MAX_M = 3


@dataclasses.dataclass(frozen=True, eq=False)
class SecondMomentOperator:
    """S = E[M(x) ⊗ M(x)] (d²×d²), how it was computed and with how many nodes or samples."""

    matrix: np.ndarray
    method: str                 # "exact" | "quadrature" | "monte-carlo"
    n: int                      # sign vectors, quadrature nodes or samples (1 for a constant gate)
    order: int | None = None    # Gauss–Hermite order per input dimension
    numerical_error: float = 0.0
    converged: bool = True      # quadrature: the last change met rtol before the order/node caps


@dataclasses.dataclass(frozen=True)
class SecondMomentRadius:
    """ρ(S) with an interval: the point ("exact"), ± the last change ("quadrature"), or the
    delta-method Student-t interval at ``confidence`` ("monte-carlo")."""

    estimate: float
    ci: tuple[float, float]
    method: str
    n: int
    order: int | None = None
    numerical_error: float = 0.0
    confidence: float | None = None
    converged: bool = True
    note: str = ""              # e.g. a Perron root that is not simple (the delta method then does not apply)


def transition_matrices(A, W, b, x, *, form: str, gate_value=None, activation: str = "sigmoid",
                        s6=None) -> np.ndarray:
    """M(x_k) for inputs x (N, m): (N, d, d).  ``W = None`` means the constant gate ``gate_value``; otherwise
    g(x) = φ(W x + b) with φ = ``activation`` ("sigmoid" or "tanh").  ``form="s6"``: M(x) = diag(decay(x)) of
    the S6 parameters ``s6`` (``theorems.s6.transition``); A, W, b are then not used."""
    if form == "s6":
        if s6 is None:
            raise ValueError("form 's6' needs the S6 parameters (s6=S6Params)")
        from ..theorems.s6 import transition
        decay, _ = transition(s6, np.atleast_2d(np.asarray(x, dtype=np.float64)))
        return decay[:, :, None] * np.eye(s6.d)[None]
    A = np.asarray(A, dtype=np.float64)
    d = A.shape[0]
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    if W is None:
        g = np.broadcast_to(np.asarray(gate_value, dtype=np.float64), (x.shape[0], d))
    else:
        z = x @ np.asarray(W, dtype=np.float64).T + np.asarray(b, dtype=np.float64)[None, :]
        g = np.tanh(z) if _activation(activation) == "tanh" else special.expit(z)
    if form == "gated":
        return g[:, :, None] * A[None]
    return np.eye(d)[None] - g[:, :, None] * (np.eye(d) - A)[None]


def _activation(activation: str) -> str:
    if activation not in ("sigmoid", "tanh"):
        raise ValueError(f"activation must be 'sigmoid' or 'tanh', got {activation!r}")
    return activation


def _kron_mean(Ms: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Σ_k w_k M_k ⊗ M_k (mean when weights is None), as one matrix product."""
    n, d, _ = Ms.shape
    flat = Ms.reshape(n, d * d)
    wflat = flat / n if weights is None else flat * weights[:, None]
    G = wflat.T @ flat                                     # [(i,j), (a,b)] = Σ w M_ij M_ab
    return G.reshape(d, d, d, d).transpose(0, 2, 1, 3).reshape(d * d, d * d)


def _radius(S: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(S))))


def _perron(S: np.ndarray):
    """Perron root of S with real right and left eigenvectors, and the relative gap to the next modulus."""
    vals, vecs = np.linalg.eig(S)
    i = int(np.argmax(np.abs(vals)))
    lvals, lvecs = np.linalg.eig(S.T)
    j = int(np.argmin(np.abs(lvals - vals[i])))

    def real(vec):
        k = int(np.argmax(np.abs(vec)))
        return np.real(vec * np.conj(vec[k]) / abs(vec[k]))

    mods = np.sort(np.abs(vals))[::-1]
    gap = (mods[0] - mods[1]) / mods[0] if mods.size > 1 and mods[0] > 0 else 1.0
    return float(np.abs(vals[i])), real(lvecs[:, j]), real(vecs[:, i]), float(gap)


def _validate(A, W, b, form, input_law, input_scale, gate_value):
    A = real_array("A", A, ndim=2)
    if A.shape[0] != A.shape[1] or A.size == 0:
        raise ValueError(f"A must be a non-empty square matrix, got shape {A.shape}")
    d = A.shape[0]
    if form not in ("gated", "leaky"):
        raise ValueError(f"form must be 'gated' or 'leaky', got {form!r}")
    if input_law not in ("gaussian", "rademacher"):
        raise ValueError(f"input_law must be 'gaussian' or 'rademacher', got {input_law!r}")
    s = float(input_scale)
    if not (math.isfinite(s) and s > 0):
        raise ValueError(f"input_scale must be a positive number, got {input_scale!r}")
    if W is None:
        if gate_value is None:
            raise ValueError("gate_value is required when W is None (a constant gate)")
        gv = real_array("gate_value", np.broadcast_to(np.asarray(gate_value, dtype=np.float64), (d,)))
        return A, None, None, gv, s
    W = real_array("W", W, ndim=(1, 2)).reshape(d, -1)
    b = np.zeros(d) if b is None else real_array("b", b, ndim=(0, 1)).reshape(-1)
    if b.shape != (d,):
        raise ValueError(f"b must have length {d}, got shape {b.shape}")
    return A, W, b, None, s


def _choose(method, W, input_law):
    m = 0 if W is None else W.shape[1]
    if method == "auto":
        if W is None or m == 0 or (input_law == "rademacher" and m <= EXACT_MAX_M):
            return "exact"
        if input_law == "gaussian" and m <= QUADRATURE_MAX_M:
            return "quadrature"
        return "monte-carlo"
    if method == "exact" and not (W is None or m == 0 or (input_law == "rademacher" and m <= EXACT_MAX_M)):
        raise ValueError(f"method 'exact' needs a constant gate or Rademacher inputs with m ≤ {EXACT_MAX_M}")
    if method == "quadrature" and not (input_law == "gaussian" and W is not None and 0 < m <= QUADRATURE_MAX_M):
        raise ValueError(f"method 'quadrature' needs Gaussian inputs with 1 ≤ m ≤ {QUADRATURE_MAX_M}")
    if method not in ("exact", "quadrature", "monte-carlo"):
        raise ValueError(f"method must be 'auto', 'exact', 'quadrature' or 'monte-carlo', got {method!r}")
    return method


def _gauss_hermite(m: int, order: int, scale: float):
    # The probabilists' rule (weight e^{−x²/2}) of numpy.polynomial.hermite_e.hermegauss, from SciPy,
    # whose asymptotic formulas stay finite past the order ~300 where hermegauss overflows.
    nodes, weights = special.roots_hermitenorm(order)
    weights = weights / math.sqrt(2.0 * math.pi)
    grid = np.stack(np.meshgrid(*([nodes] * m), indexing="ij"), axis=-1).reshape(-1, m) * scale
    w = np.prod(np.stack(np.meshgrid(*([weights] * m), indexing="ij"), axis=-1).reshape(-1, m), axis=1)
    return grid, w


def _samples(m, input_law, scale, n, seed):
    rng = np.random.default_rng(seed)
    if input_law == "gaussian":
        return scale * rng.standard_normal((n, m))
    return scale * rng.choice((-1.0, 1.0), size=(n, m))


def second_moment_operator(A, W, b, *, form: str, input_law: str, input_scale: float, method: str = "auto",
                           gate_value=None, n_samples: int = 100_000, seed: int = 0, rtol: float = 1e-12,
                           start_order: int = 8, max_order: int = 8192,
                           max_nodes: int = 2 ** 21, activation: str = "sigmoid") -> SecondMomentOperator:
    """S = E[M(x) ⊗ M(x)] for g(x) = φ(W x + b), φ = σ or tanh (``activation``), or the constant gate
    ``gate_value`` when W is None.

    Quadrature doubles its order from ``start_order`` until ρ(S) changes by less than ``rtol``
    (relative), at most ``max_order`` per dimension and ``max_nodes`` nodes in all.  Monte Carlo
    uses ``n_samples`` inputs from ``numpy.random.default_rng(seed)``.
    """
    A, W, b, gv, s = _validate(A, W, b, form, input_law, input_scale, gate_value)
    chosen = _choose(method, W, input_law)
    act = _activation(activation)
    if W is None or W.shape[1] == 0:
        M = transition_matrices(A, W, b, np.zeros((1, 0 if W is None else W.shape[1])), form=form, gate_value=gv,
                                activation=act)
        return SecondMomentOperator(_kron_mean(M), "exact", 1)
    m = W.shape[1]
    if chosen == "exact":
        signs = s * np.array(list(itertools.product((-1.0, 1.0), repeat=m)))
        return SecondMomentOperator(_kron_mean(transition_matrices(A, W, b, signs, form=form, activation=act)),
                                    "exact", len(signs))
    if chosen == "quadrature":
        order, prev, change, converged = positive_int("start_order", start_order), None, math.inf, False
        while True:
            x, w = _gauss_hermite(m, order, s)
            S = _kron_mean(transition_matrices(A, W, b, x, form=form, activation=act), w)
            r = _radius(S)
            if prev is not None:
                change = abs(r - prev)
                if change <= rtol * max(r, 1e-300):
                    converged = True
                    break
            if 2 * order > max_order or (2 * order) ** m > max_nodes:
                break
            prev, order = r, 2 * order
        return SecondMomentOperator(S, "quadrature", order ** m, order, change, converged)
    n = positive_int("n_samples", n_samples, minimum=2)
    Ms = transition_matrices(A, W, b, _samples(m, input_law, s, n, seed), form=form, activation=act)
    return SecondMomentOperator(_kron_mean(Ms), "monte-carlo", n)


def second_moment_radius(A, W, b, *, form: str, input_law: str, input_scale: float, method: str = "auto",
                         gate_value=None, n_samples: int = 100_000, seed: int = 0, confidence: float = 0.95,
                         activation: str = "sigmoid", **quadrature) -> SecondMomentRadius:
    """ρ(E[M(x) ⊗ M(x)]): < 1 iff the input-gated chain is mean-square stable.

    Arguments as :func:`second_moment_operator` (``quadrature`` passes rtol, start_order,
    max_order, max_nodes; ``activation`` is φ of g(x) = φ(W x + b)).  A constant gate gives ρ(M)² exactly.
    """
    A, W, b, gv, s = _validate(A, W, b, form, input_law, input_scale, gate_value)
    chosen = _choose(method, W, input_law)
    act = _activation(activation)
    if W is None or W.shape[1] == 0:
        M = transition_matrices(A, W, b, np.zeros((1, 0 if W is None else W.shape[1])), form=form, gate_value=gv,
                                activation=act)[0]
        r = float(np.max(np.abs(np.linalg.eigvals(M)))) ** 2
        return SecondMomentRadius(r, (r, r), "exact", 1)
    if chosen != "monte-carlo":
        op = second_moment_operator(A, W, b, form=form, input_law=input_law, input_scale=s, method=chosen,
                                    activation=act, **quadrature)
        r = _radius(op.matrix)
        err = op.numerical_error if op.method == "quadrature" else 0.0
        return SecondMomentRadius(r, (r - err, r + err), op.method, op.n, op.order, err, None, op.converged)
    n = positive_int("n_samples", n_samples, minimum=2)
    d, m = A.shape[0], W.shape[1]
    Ms = transition_matrices(A, W, b, _samples(m, input_law, s, n, seed), form=form, activation=act)
    S = _kron_mean(Ms)
    r, u, v, gap = _perron(S)
    Uu, Vv = u.reshape(d, d), v.reshape(d, d)
    # ψ_k = uᵀ (M_k ⊗ M_k) v / uᵀv = Σ U ⊙ (M_k V M_kᵀ) / uᵀv
    psi = np.einsum("ia,kij,jb,kab->k", Uu, Ms, Vv, Ms, optimize=True) / float(u @ v)
    ci = mean_ci(psi, confidence)
    note = "" if gap > 1e-8 else "the Perron root of Ŝ is not simple: the delta-method interval is unreliable"
    return SecondMomentRadius(r, (ci.low, ci.high), "monte-carlo", n, None, 0.0, float(confidence), True, note)


def s6_second_moments(params, input_law: str, input_scale: float) -> np.ndarray:
    """E[decay_i(x)²] − 1 = E[expm1(2 Δ_c A[c, n])] for every (c, n), shape (m, N), in [−1, 0).

    One-dimensional expectations over u_c, with ``theorems.s6``'s quadrature (Gaussian inputs) or exact atoms
    (Rademacher inputs); subtracting 1 inside the expectation keeps the precision of values close to 1."""
    from ..theorems.s6 import _decay_expectation
    return _decay_expectation(params, input_law, input_scale, lambda z: np.expm1(2.0 * z))


def s6_decay_second_moments(params, input_law: str, input_scale: float) -> np.ndarray:
    """E[decay_i(x)²] = E[exp(2 Δ_c A[c, n])] for every (c, n), shape (m, N), in [0, 1], accurate at both
    ends: averaged directly where it is below 1/2 (tiny values keep their digits), as 1 + E[expm1(2ΔA)] above
    (values close to 1 keep theirs)."""
    from ..theorems.s6 import _decay_expectation
    direct = _decay_expectation(params, input_law, input_scale, lambda z: np.exp(2.0 * z))
    near_one = 1.0 + s6_second_moments(params, input_law, input_scale)
    return np.clip(np.where(direct < 0.5, direct, near_one), 0.0, 1.0)


def s6_second_moment_radius(params, input_law: str, input_scale: float) -> SecondMomentRadius:
    """ρ(E[M(x) ⊗ M(x)]) = max_i E[decay_i²] for an S6 layer (see the module docstring).

    ``method`` is "exact" for Rademacher inputs and input scale 0 (finitely many atoms, summed), "quadrature"
    for Gaussian inputs (composite Gauss–Legendre to float64 rounding); ``note`` names the maximising
    (channel, state) and gives 1 − ρ, computed without cancellation."""
    m1 = s6_second_moments(params, input_law, input_scale)
    values = s6_decay_second_moments(params, input_law, input_scale)
    i = int(np.argmax(values))
    c, n = divmod(i, params.N)
    gap = -float(m1[c, n])
    r = float(values[c, n])
    method = "quadrature" if input_law == "gaussian" and float(input_scale) != 0.0 else "exact"
    return SecondMomentRadius(r, (r, r), method, 0, note=f"max at channel {c}, state {n} (index {i}); "
                                                          f"1 − ρ = {gap:.6g}")


def second_moment_radius_regime(regime, **kwargs) -> SecondMomentRadius:
    """:func:`second_moment_radius` for a regime whose gate does not depend on the state (form "s6":
    :func:`s6_second_moment_radius`, exact up to quadrature rounding; ``kwargs`` are not used)."""
    if getattr(regime, "form", None) == "s6":
        return s6_second_moment_radius(regime.s6, regime.input_law, regime.input_scale)
    if regime.gate_depends_on_state:
        raise ValueError(f"regime {regime.name!r}: the gate depends on the state (U ≠ 0), so h_t is not "
                         "M(x_t)h_{t−1} + η_t; the second-moment operator does not apply")
    if regime.gate_kind == "constant":
        return second_moment_radius(regime.A, None, None, form=regime.form, input_law=regime.input_law,
                                    input_scale=regime.input_scale, gate_value=regime.gate_value, **kwargs)
    return second_moment_radius(regime.A, regime.W, regime.b, form=regime.form, input_law=regime.input_law,
                                input_scale=regime.input_scale, activation=regime.gate_kind, **kwargs)
