"""L_G exactly: the smallest Lipschitz constant of the gate h ↦ G(x, h) (Theorem 2, hypothesis 1).

For g = φ(W x + U h + b) applied component-wise, the Jacobian in h is diag(φ'(z)) U at the
pre-activation z = W x + U h + b, so the smallest constant with
‖G(x, h) − G(x, h')‖₂ ≤ L_G ‖h − h'‖₂ for every allowed x is

    L_G = sup { ‖diag(φ'(z)) U‖₂ : z ∈ Z },   Z = { W x + U h + b : x ∈ supp(inputs), h ∈ Rᵈ }.

(The gate is differentiable, so the sup of the Jacobian norm over the convex set of states is the
Lipschitz constant for each fixed x; x ranges over the support of the input law.)

The structure used throughout:

* φ' is even and non-increasing in |z|, with its peak φ'(0) (1/4 for the sigmoid, 1 for tanh);
* F(s) = ‖diag(s) U‖₂ is non-decreasing in each sᵢ ≥ 0 (‖diag(s)Uy‖² = Σ sᵢ²(Uᵢ·y)²), so
  L_G ≤ φ'(0)‖U‖₂ always, with equality when z = 0 is reachable;
* Z is an affine subspace (Gaussian inputs: b + range([W U])) or finitely many parallel ones
  (Rademacher inputs: b + sWε + range(U), one per sign vector ε).

Methods, in order of preference:

* ``U = 0`` or a constant gate: the gate does not depend on h, L_G = 0;
* "closed form: z = 0 reachable": 0 ∈ Z, so L_G = φ'(0)‖U‖₂ exactly;
* "certified": d ≤ 3 and every coset enumerated — multi-start optimisation gives a witnessed
  lower bound (a reachable z), and a branch and bound over boxes of pre-activations gives an upper
  bound: on a box, sᵢ ≤ φ'(dist(0, zᵢ-interval)), so F of those bounds caps F on the box
  (monotonicity).  Lines (dim Z = 1) are bisected in their own parameter, planes (d = 3,
  dim Z = 2) in pre-activation space, where a box meets the plane iff β ∈ [min n·z, max n·z] and
  the plane's projection on each coordinate is exact.  Unbounded boxes are split geometrically;
  a coordinate beyond ±40 (φ'(40) ≈ 4e-18) is not split further but still enters the bound.
  The bound is certified up to floating-point rounding (relative 1e-12);
* "optimised": d > 3 or the sign vectors sampled (m large): multi-start optimisation only; the
  upper end of the interval is the always-valid φ'(0)‖U‖₂.

Two activations exist: the sigmoid (§3.0.4, σ' = σ(1 − σ) ≤ 1/4) and tanh (§3.0.5, tanh' = 1 − tanh² =
sech² ≤ 1, so L_G = ‖U‖₂ where z = 0 is reachable, four times the sigmoid's).  Another activation whose
derivative is even, peaked at 0 and non-increasing in |z| needs only an entry in ``ACTIVATIONS`` (its
peak, φ' and φ'', and how its bound φ'(0)‖U‖₂ is written).
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Callable

import numpy as np

__all__ = ["ACTIVATIONS", "GateActivation", "GateLipschitz", "gate_lipschitz", "gate_lipschitz_regime",
           "gate_jacobian_norm"]


@dataclasses.dataclass(frozen=True)
class GateActivation:
    """A gate non-linearity φ with φ' even, peaked at 0 and non-increasing in |z|."""

    name: str
    peak: float                                   # φ'(0) = sup φ'
    d1: Callable[[np.ndarray], np.ndarray]        # φ'
    d2: Callable[[np.ndarray], np.ndarray]        # φ''
    bound_label: str = "‖U‖₂/4"                   # φ'(0)‖U‖₂ as reports write it


def _sigmoid_d1(z):
    e = np.exp(-np.abs(z))
    return e / (1.0 + e) ** 2


def _sigmoid_d2(z):
    e = np.exp(-np.abs(z))
    return _sigmoid_d1(z) * np.sign(-z) * (1.0 - e) / (1.0 + e)   # σ'(z)·(1 − 2σ(z)), stable


def _tanh_d1(z):
    e = np.exp(-2.0 * np.abs(z))
    return 4.0 * e / (1.0 + e) ** 2                                # sech² z = 1 − tanh² z, stable


def _tanh_d2(z):
    return -2.0 * np.tanh(z) * _tanh_d1(z)                        # (1 − tanh²)' = −2 tanh · sech²


ACTIVATIONS: dict[str, GateActivation] = {
    "sigmoid": GateActivation("sigmoid", 0.25, _sigmoid_d1, _sigmoid_d2, "‖U‖₂/4"),
    "tanh": GateActivation("tanh", 1.0, _tanh_d1, _tanh_d2, "‖U‖₂"),
}

# A coordinate of z beyond ±_FAR is not split further: φ'(40) ≈ 4e-18 for the sigmoid, 7e-35 for tanh.
_FAR = 40.0
_BATCH = 4096


@dataclasses.dataclass(frozen=True)
class GateLipschitz:
    """L_G with how it was obtained.  ``lower ≤ true L_G ≤ upper``; ``value`` is the number used.

    ``norm_bound`` = φ'(0)‖U‖₂ (‖U‖₂/4 for the sigmoid, ‖U‖₂ for tanh), the paper's constant, always
    ≥ upper.  ``witness`` is a reachable pre-activation z with ‖diag(φ'(z))U‖₂ = lower (None when L_G = 0
    for want of dependence on h).  ``activation`` names φ.
    """

    value: float
    lower: float
    upper: float
    method: str
    norm_bound: float
    certified: bool
    witness: tuple[float, ...] | None = None
    activation: str = "sigmoid"

    def describe(self) -> str:
        """One line for reports: the value, how it was obtained, and φ'(0)‖U‖₂ (‖U‖₂/4, or ‖U‖₂ for tanh) beside it."""
        if self.lower == self.upper:
            where = f"L_G = {self.value:.4g}"
        else:
            where = f"L_G = {self.value:.6g} ∈ [{self.lower:.6g}, {self.upper:.6g}]"
        label = ACTIVATIONS[self.activation].bound_label if self.activation in ACTIVATIONS else "φ'(0)‖U‖₂"
        return f"{where} ({self.method}; {label} = {self.norm_bound:.4g})"


def gate_jacobian_norm(U, z, activation: str = "sigmoid") -> np.ndarray:
    """‖diag(φ'(z)) U‖₂ for one pre-activation z (d,) or a stack (N, d)."""
    act = ACTIVATIONS[activation]
    U = np.asarray(U, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    return _F(U, act.d1(z))


def _F(U: np.ndarray, s: np.ndarray) -> np.ndarray:
    """‖diag(s) U‖₂ for s (d,) or (N, d)."""
    single = s.ndim == 1
    s2 = np.atleast_2d(s)
    if s2.shape[0] == 0:
        return np.zeros(0)
    out = np.linalg.norm(s2[:, :, None] * U[None], 2, axis=(1, 2))
    return out[0] if single else out


def _range_basis(D: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Orthonormal bases (range, complement) of the column space of D (d × n)."""
    d = D.shape[0]
    if D.size == 0:
        return np.zeros((d, 0)), np.eye(d)
    u, sv, _ = np.linalg.svd(D, full_matrices=True)
    tol = max(D.shape) * np.finfo(float).eps * (sv[0] if sv.size else 0.0)
    rank = int(np.sum(sv > tol))
    return u[:, :rank], u[:, rank:]


def gate_lipschitz(W, U, b, *, input_law: str = "gaussian", input_scale: float = 1.0,
                   activation: str = "sigmoid", rtol: float | None = None, max_boxes: int = 400_000,
                   n_starts: int = 16, max_sign_vectors: int = 4096, seed: int = 0) -> GateLipschitz:
    """L_G = sup over reachable z of ‖diag(φ'(z)) U‖₂ for the gate φ(W x + U h + b).

    ``input_law`` "gaussian" (support Rᵐ, so the scale does not matter unless it is 0: then x ≡ 0) or
    "rademacher" (support {−s, +s}ᵐ).  ``rtol``: the branch and bound stops when upper − lower ≤ rtol·lower
    (default 1e-9 on lines, 1e-6 on planes, where the boxes needed grow like 1/rtol: about 0.3 s);
    ``max_boxes`` caps the boxes it splits (the interval is then wider, still valid).
    ``value`` is the witnessed lower end (attained at the reachable ``witness``), which
    L-BFGS-B polishes far below the certified gap.  ``n_starts`` local optimisations start from
    the best of the candidate points; ``n_starts=0`` leaves the search to the branch and bound.
    Rademacher inputs with 2ᵐ > ``max_sign_vectors`` sample that many sign vectors (no
    certificate).  Deterministic for a given ``seed``.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    act = ACTIVATIONS[activation]
    U = np.asarray(U, dtype=np.float64)
    if U.ndim != 2 or U.shape[0] != U.shape[1]:
        raise ValueError(f"U must be a square d×d matrix, got shape {U.shape}")
    d = U.shape[0]
    W = np.zeros((d, 0)) if W is None else np.asarray(W, dtype=np.float64).reshape(d, -1)
    b = np.zeros(d) if b is None else np.asarray(b, dtype=np.float64).reshape(d)
    if not (np.all(np.isfinite(U)) and np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        raise ValueError("W, U and b must be finite")
    if input_law not in ("gaussian", "rademacher"):
        raise ValueError(f"input_law must be 'gaussian' or 'rademacher', got {input_law!r}")
    m = W.shape[1]
    norm_bound = act.peak * float(np.linalg.norm(U, 2))
    if norm_bound == 0.0:
        return GateLipschitz(0.0, 0.0, 0.0, "U = 0: the gate does not depend on h", 0.0, True, None, activation)

    # The reachable set: cosets offsets[j] + range(dirs).
    enumerated = True
    if input_law == "gaussian":
        dirs = np.hstack([W, U]) if float(input_scale) != 0.0 else U   # s = 0: x ≡ 0, Wx adds nothing
        offsets = b[None, :]
    else:
        dirs = U
        if m == 0 or not np.any(W):
            offsets = b[None, :]
        elif 2 ** m <= max_sign_vectors:
            signs = np.array(list(itertools.product((-1.0, 1.0), repeat=m)))
            offsets = b[None, :] + float(input_scale) * signs @ W.T
        else:
            enumerated = False
            signs = np.random.default_rng(seed).choice((-1.0, 1.0), size=(max_sign_vectors, m))
            offsets = b[None, :] + float(input_scale) * signs @ W.T
    V, N = _range_basis(dirs)
    k = V.shape[1]
    # Each coset's point closest to the origin; equal cosets merged.
    c = offsets - (offsets @ V) @ V.T
    scale = max(1.0, float(np.abs(offsets).max()))
    c = np.unique(np.round(c / scale, 13), axis=0) * scale
    dist0 = np.linalg.norm(c, axis=1)
    if dist0.min() <= 1e-12 * scale:
        return GateLipschitz(norm_bound, norm_bound, norm_bound, "closed form: z = 0 reachable", norm_bound, True,
                             tuple([0.0] * d), activation)

    # U ≠ 0 spans at least a line, so k ≥ 1; k = d would make 0 reachable, so for d ≤ 3 each
    # coset is a line (k = 1) or a plane in R³ (k = 2).
    lower, witness = _multistart(U, V, c, act, n_starts, seed)
    if d <= 3 and enumerated:
        if rtol is None:
            rtol = 1e-9 if k == 1 else 1e-6
        if k == 1:
            upper, best, wz, converged = _bnb_line(U, V[:, 0], c, act, lower, rtol, max_boxes)
        else:  # d = 3, k = 2: a plane
            upper, best, wz, converged = _bnb_plane(U, N[:, 0], c, act, lower, rtol, max_boxes)
        if best > lower:
            lower, witness = best, wz
        upper = min(max(upper, lower), norm_bound)
        if converged:
            method = f"certified: branch and bound over reachable pre-activations (gap ≤ {rtol:.0e} relative)"
        else:
            method = f"optimised; branch and bound stopped after {max_boxes} boxes"
        return GateLipschitz(lower, lower, upper, method, norm_bound, converged, tuple(witness.tolist()), activation)
    why = "d > 3" if enumerated else f"2^{m} sign vectors, {max_sign_vectors} sampled"
    return GateLipschitz(lower, lower, norm_bound, f"optimised (multi-start; no certificate: {why})", norm_bound,
                         False, tuple(witness.tolist()), activation)


def gate_lipschitz_regime(regime, **kwargs) -> GateLipschitz:
    """:func:`gate_lipschitz` for a :class:`~theorems.regime.Regime` (0 for a constant gate; the regime's gate kind,
    "sigmoid" or "tanh", is the activation)."""
    if regime.gate_kind == "constant":
        return GateLipschitz(0.0, 0.0, 0.0, "constant gate: G does not depend on h", 0.0, True, None)
    return gate_lipschitz(regime.W, regime.U, regime.b, input_law=regime.input_law,
                          input_scale=regime.input_scale, activation=regime.gate_kind, **kwargs)


# ---------------------------------------------------------------------------------------------
# multi-start optimisation (any d): a witnessed lower bound


def _multistart(U, V, c, act, n_starts, seed):
    d, k = V.shape
    if n_starts == 0:
        return 0.0, np.full(d, np.nan)
    from scipy import optimize  # imported here: closed forms, the common case, never need it
    n_cos = c.shape[0]
    rng = np.random.default_rng(seed)
    # Candidate parameters t (z = c_j + V t): the point nearest the origin, points zeroing one
    # or two coordinates (least norm), and random points.
    cand = [np.zeros(k)]
    for i in range(d):
        vi = V[i]
        nn = float(vi @ vi)
        if nn > 1e-24:
            cand.append(("one", i))
    if d <= 12:
        cand.extend(("two", i, j) for i in range(d) for j in range(i + 1, d))
    budget = 4096 if d <= 16 else 256
    n_cand = len(cand) * n_cos
    if n_cand > budget:
        pick = rng.choice(n_cand, size=budget, replace=False)
    else:
        pick = np.arange(n_cand)
    ts, js = [], []
    for p in pick:
        j, q = divmod(int(p), len(cand))
        spec = cand[q]
        if isinstance(spec, np.ndarray):
            t = spec
        elif spec[0] == "one":
            i = spec[1]
            t = -c[j, i] * V[i] / float(V[i] @ V[i])
        else:
            rows = [spec[1], spec[2]]
            t = -np.linalg.lstsq(V[rows], c[j, rows], rcond=None)[0]
        ts.append(t)
        js.append(j)
    spread = max(1.0, float(np.abs(c).max()))
    for _ in range(32):
        ts.append(rng.normal(0.0, spread, size=k))
        js.append(int(rng.integers(n_cos)))
    ts = np.array(ts)
    js = np.array(js)
    z = c[js] + ts @ V.T
    vals = _F(U, act.d1(z))
    order = np.argsort(-vals, kind="stable")[:n_starts]
    norm = act.peak * float(np.linalg.norm(U, 2))

    def fun(t, cj):
        zz = cj + V @ t
        s = act.d1(zz)
        uu, sv, vt = np.linalg.svd(s[:, None] * U)
        g_s = uu[:, 0] * (U @ vt[0])
        return -sv[0] / norm, -(V.T @ (g_s * act.d2(zz))) / norm

    best_i = int(order[0])
    best, best_z = float(vals[best_i]), z[best_i]
    for i in order:
        res = optimize.minimize(fun, ts[i], args=(c[js[i]],), jac=True, method="L-BFGS-B",
                                options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 500})
        zz = c[js[i]] + V @ res.x
        val = float(_F(U, act.d1(zz)))
        if val > best:
            best, best_z = val, zz
    return best, best_z


# ---------------------------------------------------------------------------------------------
# branch and bound (d ≤ 3): a certified upper bound


def _dist0(lo, hi):
    """Distance from 0 to each interval [lo, hi] (0 when it contains 0)."""
    return np.where(lo > 0.0, lo, np.where(hi < 0.0, -hi, 0.0))


def _split_point(lo, hi):
    """Where to split [lo, hi]: the midpoint, or geometrically outwards when unbounded."""
    fl, fh = np.isfinite(lo), np.isfinite(hi)
    lo_f = np.where(fl, lo, 0.0)
    hi_f = np.where(fh, hi, 0.0)
    return np.where(fl & fh, 0.5 * (lo_f + hi_f),
                    np.where(fl, lo_f + np.maximum(1.0, np.abs(lo_f)),
                             np.where(fh, hi_f - np.maximum(1.0, np.abs(hi_f)), 0.0)))


def _tol(best, rtol, norm):
    return rtol * best + 1e-15 * norm


def _run_bnb(init, evaluate, split, lower, rtol, norm, max_boxes):
    """Generic best-first branch and bound on a box store.

    ``evaluate(boxes) -> (keep mask, upper, lower values, witness points)``;
    ``split(boxes) -> (children, splittable mask)``.  Returns (upper, best, witness, converged).
    """
    boxes = init
    keep, upper, vals, pts = evaluate(boxes)
    boxes = {key: arr[keep] for key, arr in boxes.items()}
    upper, vals, pts = upper[keep], vals[keep], pts[keep]
    best, best_z = lower, None
    if vals.size and vals.max() > best:
        i = int(np.argmax(vals))
        best, best_z = float(vals[i]), pts[i]
    settled = -np.inf  # the largest upper bound of any box dropped or not splittable
    processed = 0
    while True:
        tol = _tol(best, rtol, norm)
        live = upper > best + tol
        if np.any(~live):
            settled = max(settled, float(upper[~live].max()))
        boxes = {key: arr[live] for key, arr in boxes.items()}
        upper = upper[live]
        if upper.size == 0 or processed >= max_boxes:
            break
        order = np.argsort(-upper, kind="stable")
        take, rest = order[:_BATCH], order[_BATCH:]
        chosen = {key: arr[take] for key, arr in boxes.items()}
        children, splittable = split(chosen)
        if np.any(~splittable):
            settled = max(settled, float(upper[take][~splittable].max()))
        processed += int(splittable.sum())
        keep, cu, cv, cp = evaluate(children)
        children = {key: arr[keep] for key, arr in children.items()}
        cu, cv, cp = cu[keep], cv[keep], cp[keep]
        if cv.size and cv.max() > best:
            i = int(np.argmax(cv))
            best, best_z = float(cv[i]), cp[i]
        boxes = {key: np.concatenate([boxes[key][rest], children[key]]) for key in boxes}
        upper = np.concatenate([upper[rest], cu])
    final = max(best, settled, float(upper.max()) if upper.size else -np.inf)
    return final, best, best_z, final - best <= _tol(best, rtol, norm)


def _bnb_line(U, v, c, act, lower, rtol, max_boxes):
    """Reachable set: lines z = c_j + v t.  Bisect t ∈ R."""
    norm = act.peak * float(np.linalg.norm(U, 2))
    n_cos = c.shape[0]
    moving = v != 0.0

    def hull(tl, th, j):
        with np.errstate(invalid="ignore"):  # 0·∞ for coordinates the line does not move
            a, b_ = v[None, :] * tl[:, None], v[None, :] * th[:, None]
        a = np.where(moving[None, :], a, 0.0)
        b_ = np.where(moving[None, :], b_, 0.0)
        lo = c[j] + np.minimum(a, b_)
        hi = c[j] + np.maximum(a, b_)
        slack = 1e-12 * (1.0 + np.abs(np.where(np.isfinite(lo), lo, 0.0)) + np.abs(np.where(np.isfinite(hi), hi, 0.0)))
        return lo - slack, hi + slack

    def evaluate(boxes):
        tl, th, j = boxes["tl"], boxes["th"], boxes["j"]
        lo, hi = hull(tl, th, j)
        up = _F(U, act.d1(_dist0(lo, hi)))
        t = _split_point(tl, th)
        z = c[j] + t[:, None] * v[None, :]
        return np.ones(tl.size, bool), up, _F(U, act.d1(z)), z

    def split(boxes):
        tl, th, j = boxes["tl"], boxes["th"], boxes["j"]
        lo, hi = hull(tl, th, j)
        far = np.all((lo >= _FAR) | (hi <= -_FAR) | ~moving[None, :], axis=1)
        t = _split_point(tl, th)
        ok = ~far & (t > tl) & (t < th)
        return ({"tl": np.concatenate([tl[ok], t[ok]]), "th": np.concatenate([t[ok], th[ok]]),
                 "j": np.concatenate([j[ok], j[ok]])}, ok)

    init = {"tl": np.full(n_cos, -np.inf), "th": np.full(n_cos, np.inf), "j": np.arange(n_cos)}
    up, best, wz, conv = _run_bnb(init, evaluate, split, lower, rtol, norm, max_boxes)
    return up, best, wz, conv


def _bnb_plane(U, n, c, act, lower, rtol, max_boxes):
    """Reachable set: planes n·z = β_j in R³.  Bisect boxes of z that meet the plane."""
    norm = act.peak * float(np.linalg.norm(U, 2))
    d = n.size
    beta = c @ n

    def tighten(lo, hi, j):
        """The plane's exact projection on each coordinate of the box; feasibility."""
        with np.errstate(invalid="ignore"):  # 0·∞ for coordinates the plane does not constrain
            nlo, nhi = n[None, :] * lo, n[None, :] * hi
        nlo = np.where(n[None, :] != 0.0, nlo, 0.0)
        nhi = np.where(n[None, :] != 0.0, nhi, 0.0)
        pmin, pmax = np.minimum(nlo, nhi), np.maximum(nlo, nhi)
        new_lo, new_hi = lo.copy(), hi.copy()
        for i in range(d):
            if n[i] == 0.0:
                continue
            others = [q for q in range(d) if q != i]
            smin = pmin[:, others].sum(axis=1)
            smax = pmax[:, others].sum(axis=1)
            a = (beta[j] - smax) / n[i]
            bb = (beta[j] - smin) / n[i]
            plo, phi = np.minimum(a, bb), np.maximum(a, bb)
            slack_lo = 1e-12 * (1.0 + np.abs(np.where(np.isfinite(plo), plo, 0.0)))
            slack_hi = 1e-12 * (1.0 + np.abs(np.where(np.isfinite(phi), phi, 0.0)))
            new_lo[:, i] = np.maximum(lo[:, i], plo - slack_lo)
            new_hi[:, i] = np.minimum(hi[:, i], phi + slack_hi)
        feasible = np.all(new_lo <= new_hi, axis=1)
        return new_lo, new_hi, feasible

    def evaluate(boxes):
        lo, hi, j = boxes["lo"], boxes["hi"], boxes["j"]
        tlo, thi, ok = tighten(lo, hi, j)
        boxes["lo"], boxes["hi"] = np.where(ok[:, None], tlo, lo), np.where(ok[:, None], thi, hi)
        up = _F(U, act.d1(_dist0(boxes["lo"], boxes["hi"])))
        r = _split_point(boxes["lo"], boxes["hi"])
        z = r - ((r @ n) - beta[j])[:, None] * n[None, :]
        return ok, up, _F(U, act.d1(z)), z

    def split(boxes):
        lo, hi, j = boxes["lo"], boxes["hi"], boxes["j"]
        width = np.where(np.isfinite(lo) & np.isfinite(hi), hi - lo, np.inf)
        far = (lo >= _FAR) | (hi <= -_FAR)
        mid = _split_point(lo, hi)
        tiny = width <= 1e-13 * (1.0 + np.abs(mid))
        width = np.where(far | tiny, -1.0, width)
        axis = np.argmax(width, axis=1)
        rows = np.arange(lo.shape[0])
        ok = width[rows, axis] > 0.0
        at = mid[rows, axis]
        lo1, hi1 = lo[ok].copy(), hi[ok].copy()
        lo2, hi2 = lo[ok].copy(), hi[ok].copy()
        r_ok, a_ok = rows[ok], axis[ok]
        hi1[np.arange(r_ok.size), a_ok] = at[ok]
        lo2[np.arange(r_ok.size), a_ok] = at[ok]
        return ({"lo": np.concatenate([lo1, lo2]), "hi": np.concatenate([hi1, hi2]),
                 "j": np.concatenate([j[ok], j[ok]])}, ok)

    init = {"lo": np.full((c.shape[0], d), -np.inf), "hi": np.full((c.shape[0], d), np.inf),
            "j": np.arange(c.shape[0])}
    return _run_bnb(init, evaluate, split, lower, rtol, norm, max_boxes)
