"""§5 and §7: one step of the selective update costs O(dim_eff(h_t)²), dim_eff = Σ_i G_i.

Paper.  §5 and §7 say that the gate updates "only a subset of the hidden state
components", so that one update of h_t costs O(dim_eff(h_t)²) instead of the
O(d²) of a dense recurrence, with dim_eff(h_t) = Σ_i G_i(x_t) (§4.5, §5).

Reading.  A cost bound O(dim_eff²) means: there is a constant C, independent of
the state dimension d, such that one update costs at most C·dim_eff² for every
model of the paper's class (A ∈ ℝ^{d×d} and B ∈ ℝ^{d×m} general matrices, the
class whose dense recurrence is the O(d²) baseline) and every gate value.  In
particular, at a fixed dim_eff the cost must stay bounded as d grows.  We grant
the paper everything else: the gate is evaluated for free, the process noise w_t
is neither drawn nor added, and the update may skip every component with G_i = 0
(it keeps h_{t−1,i} in the leaky form, writes 0 in the gated form: no arithmetic).

Cost.  Costs are exact counts of floating-point operations ("flops": one scalar
+, −, ×, ÷, negation or exp in float64) of the NumPy updates written here, as
functions of (d, k, m), k = #{i : G_i ≠ 0} the components that must be updated:

* a matrix–vector product of an r×c matrix: r·c products and r·(c − 1) sums,
  r(2c − 1) flops (0 when r = 0);
* dense update (every component), gated: A h (d(2d−1)) + B x (d(2m−1)) + their sum
  (d) + G ⊙ (d) = 2d(d + m);  leaky, as h + G ⊙ (pre − h): 2d(d + m) + 2d;
* sparse update (the k rows with G_i ≠ 0 only, each a full row of A: it reads all
  of h): gated 2k(d + m), leaky 2k(d + m + 1) — equal to the dense count at k = d;
* adding w_t (not counted in the verdict): dense d; sparse k (gated) or d (leaky);
* the gate itself: constant 0; sigmoid σ(W x + U h + b) = 1/(1 + exp(−z)):
  W x (d(2m−1)), + U h (d(2d−1) + d) when the gate reads h, + b (d), then
  negation, exp, 1 + ·, 1/· (4d): 2dm + 4d (input only), 2d² + 2dm + 4d (reads h);
  tanh (§3.0.5) as 1 − 2/(exp(2z) + 1): 2·, exp, + 1, 2/·, 1 − · (5d): 2dm + 5d, 2d² + 2dm + 5d.
  A tanh gate takes values in (−1, 1), outside the G ∈ [0, 1]^d that makes Σ_i G_i an effective
  dimension (§4.5): its rows are not applicable unless every value it can take is ≥ 0.

Why it fails.  A soft gate (sigmoid, or any constant gate with no zero component)
has no zero component: every one of the d components must be updated, whatever
Σ_i G_i is — e.g. G_i = k/d has dim_eff = k at every d and costs 2d(d + m).
Even a gate with exact zeros, k of its components active, costs 2k(d + m): each
active row of A reads all of h.  At fixed dim_eff (and m) the count is a
polynomial in d of degree 2 (soft gate) or 1 (k ≥ 1 active components), so it
grows without bound, while C·dim_eff² does not.  This is not an artefact of our
implementation: for a generic dense A, even known in advance, any linear program
computing the k active rows of A h needs Ω(k·d) operations (a k×d matrix has k·d
free parameters, a program of s additions and scalings realises at most a
2s-parameter family).  The claim holds only trivially, for a gate that is
identically 0 (no work, dim_eff = 0), or for models outside the class (e.g. a
diagonal A, where an active row costs O(m); not the paper's O(d²) baseline).

Mamba's selective scan (form "s6"): not applicable.  The claim is about the paper's class, a general
dense A whose O(d²) recurrence the gate is said to reduce to O(dim_eff²) by skipping components.  S6's
transition is diagonal (outside that class) and its gate G = 1 − exp(ΔA) ∈ (0, 1) is never 0, so no
component is skipped and none needs a row of a dense matrix: one step costs Θ(m·(r + N)) for the
projections (Δ through rank r, B_t = P_B x_t) and Θ(m·N) = Θ(d) for the elementwise decay, drive and
update, whatever Σ_i G_i is.  There is no dense baseline for the gate to reduce, so the row is
NOT_APPLICABLE with that reason (:func:`applicable`) rather than decided on a different question.

Corrected.  With k = #{i : G_i ≠ 0} ≥ dim_eff (k = d for a soft gate), one update
costs Θ(k·(d + m)) flops — exactly 2k(d + m) (gated) or 2k(d + m + 1) (leaky) —
plus the gate's own cost, Θ(d·m) (input-only sigmoid) or Θ(d·(d + m)) (a gate
that reads h), which must be paid before one knows which components are active.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable

import numpy as np

from . import _constants as K
from ._claim import Claim, Hypothesis, Setting

__all__ = [
    "COMPLEXITY", "CORRECTED_STATEMENT", "S6_REASON", "COMPLEXITY_SETTINGS", "FLOP_UNIT",
    "matvec_flops", "dense_flops", "sparse_flops", "noise_flops", "gate_flops", "step_flops",
    "sigmoid_gate", "tanh_gate", "dense_update", "sparse_update", "active_components",
    "count_polynomial", "exponent_in_d", "gate_reads_state", "effective_dimension_exact", "tanh_zero_components",
]

FLOP_UNIT = "flops per step (one flop: one scalar +, −, ×, ÷, negation or exp in float64)"

CORRECTED_STATEMENT = (
    "one update costs Θ(k·(d + m)) flops with k = #{i : G_i ≠ 0} ≥ dim_eff (k = d for a soft gate): exactly "
    "2k(d + m) (gated) or 2k(d + m + 1) (leaky) for a dense A, plus the gate's own cost — 0 (constant), 2dm + 4d "
    "(sigmoid of the input only), 2d² + 2dm + 4d (sigmoid reading h); not O(dim_eff²) for any constant "
    "independent of d")

COMPLEXITY_SETTINGS = {"complexity": {"timing_repeats": Setting(
    "int>0", None,
    "repeats of the wall-clock timings of the dense and sparse NumPy updates (median per size, exponent fitted "
    "against d and against k); not given: no timing (the verdict never depends on timings)")}}


# --- exact flop counts (Python integers: exact at any size) -----------------------------------------------
def _check_sizes(**sizes) -> None:
    for name, v in sizes.items():
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{name} must be an integer ≥ 0, got {v!r}")


def matvec_flops(rows: int, cols: int) -> int:
    """An r×c matrix times a vector: r·c products and r·(c − 1) sums (0 when r = 0 or c = 0)."""
    _check_sizes(rows=rows, cols=cols)
    return int(rows) * (2 * int(cols) - 1) if rows and cols else 0


def _form(form: str) -> str:
    if form not in ("gated", "leaky"):
        raise ValueError(f"form must be 'gated' or 'leaky', got {form!r}")
    return form


def dense_flops(d: int, m: int, form: str) -> int:
    """Every component updated: A h + B x (and their sum), then G ⊙ · (gated) or h + G ⊙ (· − h) (leaky)."""
    _check_sizes(d=d, m=m)
    d, m = int(d), int(m)
    pre = matvec_flops(d, d) + matvec_flops(d, m) + d
    return pre + (d if _form(form) == "gated" else 3 * d)


def sparse_flops(d: int, k: int, m: int, form: str) -> int:
    """Only the k components with G_i ≠ 0: k full rows of A (each reads all of h), k rows of B, then as dense."""
    _check_sizes(d=d, k=k, m=m)
    if k > d:
        raise ValueError(f"k (active components) must be at most d = {d}, got {k}")
    d, k, m = int(d), int(k), int(m)
    pre = matvec_flops(k, d) + matvec_flops(k, m) + k
    return pre + (k if _form(form) == "gated" else 3 * k)


def noise_flops(d: int, k: int | None, form: str) -> int:
    """Adding w_t: d (dense, k=None); sparse: k in the gated form (inactive components are set to w_i), d in the
    leaky form (every component gets w_i added)."""
    _check_sizes(d=d)
    if k is None or _form(form) == "leaky":
        return int(d)
    _check_sizes(k=k)
    return int(k)


def gate_flops(d: int, m: int, kind: str, reads_state: bool = False) -> int:
    """The gate's own cost: 0 (constant); σ(W x [+ U h] + b) = 1/(1 + exp(−z)) for a sigmoid gate (4 flops per
    component after z); tanh(W x [+ U h] + b) = 1 − 2/(exp(2z) + 1) for a tanh gate (5 flops per component)."""
    _check_sizes(d=d, m=m)
    if kind == "constant":
        return 0
    if kind not in ("sigmoid", "tanh"):
        raise ValueError(f"gate kind must be 'constant', 'sigmoid' or 'tanh', got {kind!r}")
    d, m = int(d), int(m)
    z = matvec_flops(d, m) + ((matvec_flops(d, d) + d) if reads_state else 0) + d
    return z + (4 * d if kind == "sigmoid" else 5 * d)


def step_flops(d: int, k: int, m: int, form: str, kind: str, reads_state: bool = False,
               noise: bool = False) -> int:
    """The best per-step count: the gate, then the sparse update of the k active components (= dense at k = d)."""
    return (gate_flops(d, m, kind, reads_state) + sparse_flops(d, k, m, form)
            + (noise_flops(d, k, form) if noise else 0))


# --- the updates themselves (NumPy; they also run on object arrays, which is how the tests count) ---------
def sigmoid_gate(W, U, b, x, h):
    """σ(W x + U h + b) as 1/(1 + exp(−z)); ``U=None``: a gate of the input only (U h not computed)."""
    z = W @ x
    if U is not None:
        z = z + U @ h
    z = z + b
    return 1.0 / (1.0 + np.exp(-z))


def tanh_gate(W, U, b, x, h):
    """tanh(W x + U h + b) as 1 − 2/(exp(2z) + 1) (finite for every z: exp(2z) = inf gives 1); ``U=None``: a gate of
    the input only."""
    z = W @ x
    if U is not None:
        z = z + U @ h
    z = z + b
    with np.errstate(over="ignore"):
        e = np.exp(2.0 * z)
    return 1.0 - 2.0 / (e + 1.0)


def active_components(g) -> np.ndarray:
    """Indices i with G_i ≠ 0 (comparisons, not flops)."""
    return np.flatnonzero(np.asarray(g) != 0)


def dense_update(A, B, h, x, g, form: str, w=None):
    """h_t for every component: G ⊙ (A h + B x) (gated) or h + G ⊙ (A h + B x − h) (leaky), plus w if given."""
    pre = A @ h + B @ x
    new = g * pre if _form(form) == "gated" else h + g * (pre - h)
    return new if w is None else new + w


def sparse_update(A, B, h, x, g, form: str, w=None):
    """The same h_t, computing only the components with G_i ≠ 0: rows of A and B of inactive components are never
    read.  An inactive component is 0 (gated; w_i with noise) or keeps h_{t−1,i} (leaky; + w_i with noise)."""
    form = _form(form)
    active = active_components(g)
    ga, ha = g[active], h[active]
    pre = A[active] @ h + B[active] @ x                       # k full rows of A: each reads all of h
    upd = ga * pre if form == "gated" else ha + ga * (pre - ha)
    if form == "gated":
        new = np.zeros_like(h) if w is None else np.array(w, copy=True)
        new[active] = upd if w is None else upd + w[active]
        return new
    new = np.array(h, copy=True)
    if w is not None:
        idle = np.flatnonzero(np.asarray(g) == 0)
        new[idle] = h[idle] + w[idle]
        upd = upd + w[active]
    new[active] = upd
    return new


# --- growth in d at fixed dim_eff: exact arithmetic on the counts ------------------------------------------
def count_polynomial(count: Callable[[int], int], base: int = 1024) -> tuple[Fraction, Fraction, Fraction]:
    """(a, b, c) with count(d) = a d² + b d + c, recovered exactly (rational arithmetic) from the counts at
    d = base, 2·base, 3·base and verified at 4·base and 5·base (ValueError if the count is not such a polynomial
    there)."""
    if base < 1:
        raise ValueError("base must be ≥ 1")
    D = int(base)
    p1, p2, p3 = (int(count(j * D)) for j in (1, 2, 3))
    a = Fraction(p3 - 2 * p2 + p1, 2 * D * D)
    b = Fraction(p2 - p1, D) - 3 * a * D
    c = p1 - a * D * D - b * D
    for j in (4, 5):
        d = j * D
        if a * d * d + b * d + c != int(count(d)):
            raise ValueError(f"the count is not a polynomial of degree ≤ 2 in d (mismatch at d = {d})")
    return a, b, c


def exponent_in_d(count: Callable[[int], int], base: int = 1024) -> int:
    """The exponent of d in the count, lim log count(d) / log d: its degree as a polynomial in d (exact; 0 for a
    count that does not depend on d, including the zero count)."""
    a, b, _ = count_polynomial(count, base)
    return 2 if a != 0 else 1 if b != 0 else 0


# --- the regime's gate ---------------------------------------------------------------------------------------
def gate_reads_state(regime) -> bool:
    return regime.gate_kind in ("sigmoid", "tanh") and regime.U is not None and bool(np.any(regime.U != 0.0))


def effective_dimension_exact(regime) -> tuple[float, int] | None:
    """(Σ_i G_i, #{i : G_i ≠ 0}) for a constant gate (exact); None for a sigmoid or tanh gate (it depends on x and
    h)."""
    if regime.gate_kind != "constant":
        return None
    g = np.asarray(regime.gate_value, float)
    return float(math.fsum(g.tolist())), int(np.count_nonzero(g))


def tanh_zero_components(regime) -> list[int]:
    """The components of a tanh gate that are identically 0: z_i = W_i·x + U_i·h + b_i ≡ 0 (U_i = 0, b_i = 0, and
    W_i = 0 or no inputs), so G_i = tanh 0 = 0 at every step and the sparse update never computes them.  Empty for
    other gates (a sigmoid is never 0; a constant gate's zeros are :func:`effective_dimension_exact`'s)."""
    if regime.gate_kind != "tanh":
        return []
    rows = ~np.any(np.asarray(regime.U) != 0.0, axis=1) & (np.asarray(regime.b) == 0.0)
    if regime.input_scale != 0.0:
        rows &= ~np.any(np.asarray(regime.W) != 0.0, axis=1)
    return [int(i) for i in np.flatnonzero(rows)]


S6_REASON = ("Mamba's selective scan (form s6) is outside the class this claim is about: §5 and §7 compare the gate "
             "with the O(d²) update of a general dense A, while S6's transition exp(ΔA) is diagonal and its gate "
             "G = 1 − exp(ΔA) ∈ (0, 1) is never 0, so no component is skipped; one S6 step costs Θ(m·(r + N)) flops "
             "for the projections (Δ through dt rank r, B_t = P_B x_t) plus Θ(m·N) = Θ(d) for the elementwise decay, "
             "drive and update, whatever Σ_i G_i is — there is no dense baseline for the gate to reduce")


def applicable(regime) -> str | None:
    """None for the paper's forms; for S6 the reason the claim's question (a gate reducing a dense update) does not
    arise (see the module docstring)."""
    return S6_REASON if regime.form == "s6" else None


def _hypotheses(regime) -> tuple[Hypothesis, ...]:
    d, m = regime.d, regime.m
    if regime.form == "s6":
        p = regime.s6
        return (Hypothesis("A ∈ ℝ^{d×d}, B ∈ ℝ^{d×m} general matrices (§2; the O(d²) dense baseline of §5, §7)", False,
                           f"S6: diagonal transition exp(Δ_c A[c, n]) on d = m·N = {p.m}·{p.N} = {d} components, dt "
                           f"rank r = {p.r}; gate G = 1 − exp(ΔA) ∈ (0, 1), never 0"),)
    if regime.gate_kind == "constant":
        total, k = effective_dimension_exact(regime)
        gate = Hypothesis("a gate G ∈ [0, 1]^d selects the components updated (§4.5)", True,
                          f"constant gate, {k} of {d} components ≠ 0")
        eff = Hypothesis("dim_eff = Σ_i G_i (§4.5, §5)", True, f"Σ_i G_i = {total:.6g} exactly (constant gate)")
    elif regime.gate_kind == "tanh":
        reads = gate_reads_state(regime)
        zero = tanh_zero_components(regime)
        gate = K.gate_range_hypotheses(regime, needed=True, why=(
            "dim_eff = Σ_i G_i counts the components updated only for G_i ∈ [0, 1] (a negative G_i would subtract "
            "from it); the counts are still reported. The gate reads " + ("h" if reads else "the input only (U = 0)")
            + f"; {len(zero)} of {d} components are identically 0 (rows with W_i·x + U_i·h + b_i ≡ 0)"))[0]
        eff = Hypothesis("dim_eff = Σ_i G_i (§4.5, §5)", True,
                         f"a number in (−{d}, {d}) that varies with x_t and h_{{t−1}}: evaluated on visited states")
    else:
        reads = gate_reads_state(regime)
        gate = Hypothesis("a gate G ∈ [0, 1]^d selects the components updated (§4.5)", True,
                          "sigmoid gate σ(W x + U h + b)" + (" reading h" if reads else " of the input only (U = 0)")
                          + f": every G_i ∈ (0, 1), so all {d} components are updated")
        eff = Hypothesis("dim_eff = Σ_i G_i (§4.5, §5)", True,
                         f"a number in (0, {d}) that varies with x_t and h_{{t−1}}: evaluated on visited states")
    nnz = int(np.count_nonzero(regime.A))
    shape = "diagonal" if nnz == int(np.count_nonzero(np.diag(regime.A))) else "not diagonal"
    dense = Hypothesis("A ∈ ℝ^{d×d}, B ∈ ℝ^{d×m} general matrices (§2; the O(d²) dense baseline of §5, §7)", True,
                       f"d = {d}, m = {m}; the regime's A has {nnz} of {d * d} entries ≠ 0 ({shape}); the counts are "
                       "those of the paper's class of general A")
    return gate, eff, dense


COMPLEXITY = Claim(
    id="complexity",
    title="The selective update costs O(dim_eff²) per step",
    section="§5, §7",
    statement="flops(update of h_t) ≤ C·dim_eff(h_t)²,  dim_eff = Σ_i G_i,  C independent of d",
    latex=r"\mathrm{cost}(h_{t-1}\mapsto h_t) \le C\,\dim_{\mathrm{eff}}(h_t)^2,\quad "
          r"\dim_{\mathrm{eff}} = \textstyle\sum_i G_i,\quad C \text{ independent of } d",
    summary=(
        "The gate is said to make one update cost O(dim_eff²) instead of O(d²). Exact operation counts say "
        "otherwise: a soft gate has no zero component, so all d components are updated (2d(d + m) flops), and "
        "even a gate with only k non-zero components needs k full rows of A, 2k(d + m) flops — both grow without "
        "bound in d at fixed dim_eff."
    ),
    kind="paper",
    hypotheses=_hypotheses,
    settings=COMPLEXITY_SETTINGS,
    applicable=applicable,
    forms=("gated", "leaky", "s6"),
)
