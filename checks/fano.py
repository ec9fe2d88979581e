"""Checks of Fano's inequality (§4.4): the paper's per-symbol form and the sequence form.

Each Monte Carlo path runs the JAX simulator for T = ``[fano] steps`` steps from
h_0 and records (x_t, h_t) at every step; for every horizon t ≤ T the pair
(x_{1:t}, h_t) is one draw of the joint law.  For each draw the exact posterior
p(x_{1:t} | h_t) over all |X|^t sequences is computed from the Gaussian
likelihoods of ``theorems.fano.conditional_laws`` (uniform prior, log-sum-exp; for Mamba's S6 the
transition is the input's diagonal decay and drive, ``theorems.fano.symbol_transitions``),
and gives exact per-sample terms, in bits:

* ent_i = −Σ_x p(x | h_i) log₂ p(x | h_i), whose mean is H(x_{1:t} | h_t)
  (the Rao–Blackwellised form of E[−log₂ p(x | h)]; the plain form is reported too),
* err_i = 1 − max_x p(x | h_i), whose mean is the error probability P_e of the
  MAP decoder (the smallest of any decoder, so the one Fano's bound is hardest on).

Only Monte Carlo error remains.  Sampling: half of the paths run the model, half
the model with its noise standard deviation doubled (defensive importance
sampling, so that the states near decision boundaries, where the posterior is
uncertain, are drawn even when that is rare); every draw carries the weight
w = p(h)/(½ p(h) + ½ p₂(h)) ≤ 2, computed exactly from the Gaussian mixtures, and
H = E[w·ent], P_e = E[w·err] remain means of exact per-sample terms.
Comparisons, one per horizon t:

* ``fano``: E[w·(err − ent/log₂|X|)] + 1/log₂|X| ≥ 0.  Linear in the per-sample
  terms, so the Student-t interval of the mean is the interval of P_e − bound.
* ``fano-corrected``, weak (reported): the same with t·log₂|X|.
* ``fano-corrected``, strong (decides): φ_K(P_e) ≥ H with φ_K(p) = h_b(p) + p log₂(K − 1),
  K = |X|^t (equivalent to P_e ≥ φ_K⁻¹(H)).  Not linear, so the interval is built
  from two one-sided bounds: below, Jensen (φ_K concave: φ_K(P_e) − H ≥ E[w·(φ_K(err) − ent)],
  a mean with a t interval); above, φ_K(P_hi) − H_lo from intervals at level α_i/2
  (Bonferroni).  The two-sided coverage is ≥ 1 − α_i.

Range.  A horizon whose conditional law overflowed float64, or whose states float64 cannot
resolve (``theorems.fano.horizon_issue``), is not computed; a horizon where states or
likelihoods overflowed gives non-finite per-sample terms.  Either way its comparisons are
undecided, with a note saying which, and its reported P_e and H are NaN, never a number
made from an overflow.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from ..estimators import logsumexp, mean_ci
from ..theorems import Regime, simulate
from ..theorems.fano import (FANO, FANO_CORRECTED, MAX_SEQUENCE_BITS, alphabet_bits, conditional_laws,
                           decodable_steps, exact_posterior_reason, fano_phi, fano_steps, horizon_issue, max_error,
                           paper_bound, singular_step, strong_bound, weak_bound)
from ..theorems._memo import Keyed

from ._base import (SECONDS_PER_FLOP, SECONDS_PER_ROW, Check, Settings, hypotheses_json, not_applicable,
                    simulation_estimate, total_paths)
from ._verdict import (UNDECIDED, CheckResult, Comparison, combine, interval_comparison, mean_bounds, mean_comparison,
                       representative, staged)

LN2 = math.log(2.0)
_ROWS_TIMES_SEQUENCES = 1 << 21  # posterior block size (rows × sequences) held in memory at once
# Paths per simulator path-budget unit of the run settings.  Near a horizon where decoding starts to
# fail, P_e and H are both small and rare-event estimates need many draws; the draws are cheap
# (short horizons, a closed-form posterior), so the Fano checks take 8× the run's base sample size.
SAMPLES_PER_PATH = 8
# Defensive importance sampling: half the paths run with the noise standard deviation × INFLATE, so
# the rare states near a decision boundary are sampled too; every draw is weighted by
# p(h)/(½ p(h) + ½ p_INFLATE(h)) ≤ 2 (balance heuristic), which keeps the estimates unbiased and the
# variance at most about twice that of plain sampling.
INFLATE = 2.0
TRIVIAL_ERROR = 1e-3   # P_e below this (0.1 %): x_{1:t} is decoded essentially without error


def _observe(model, t, hs_prev, hs, x, w, g):
    return {"x": x, "h": hs[0]}


# --- exact posterior ---------------------------------------------------------------------

def sequence_index(xs: np.ndarray, m: int) -> np.ndarray:
    """Index of each drawn x_{1:t} (rows of xs, shape (n, t, m)) in the enumeration order."""
    codes = ((xs > 0).astype(np.int64) << np.arange(m)[None, None, :]).sum(axis=2)   # (n, t)
    idx = np.zeros(xs.shape[0], np.int64)
    for j in range(xs.shape[1]):
        idx = idx * (2 ** m) + codes[:, j]
    return idx


def posterior_terms(law, h: np.ndarray, idx: np.ndarray | None = None, inflate: float | None = None) -> dict:
    """Per-sample exact terms of the posterior p(x_{1:t} | h) for the states ``h`` (n, d).

    Returns bits: ``ent`` (posterior entropy), ``err`` (1 − max posterior) and,
    with ``idx`` (the drawn sequences), ``nll`` = −log₂ p(x_drawn | h).
    Log-likelihoods: ll_k = −½ r_k − ½ log det P_k with r_k = (h − μ_k)ᵀP_k⁻¹(h − μ_k),
    expanded into matrix products (with a shared covariance, after whitening by
    its Cholesky factor).  States and means are centred first to limit cancellation.

    With ``inflate`` = c, also the importance weights of the defensive mixture
    q = ½ p + ½ p_c, p_c the law of h_t with the noise standard deviation × c
    (given x_{1:t}: N(μ_k, c² P_k)): ``weight`` = p(h)/q(h) for the state and
    ``pair_weight`` = p(h | x)/q(h | x) for the drawn pair (both ≤ 2).
    """
    centre = law.means.mean(axis=0)
    mu = law.means - centre
    hc = h - centre
    n, d = hc.shape
    K = mu.shape[0]
    if law.covs.shape[0] == 1:
        L = np.linalg.cholesky(law.covs[0])
        nu = np.linalg.solve(L, mu.T).T                 # (K, d)
        feats = np.linalg.solve(L, hc.T).T              # y = L⁻¹(h − centre), (n, d)
        lin, const = 2.0 * nu, -np.einsum("kd,kd->k", nu, nu)
        quad = -np.eye(d).reshape(1, d * d)              # −|y|², the same for every k
        logdet = np.zeros(K)
    else:
        prec = np.linalg.inv(law.covs)
        prec = 0.5 * (prec + prec.transpose(0, 2, 1))
        _, logdet = np.linalg.slogdet(law.covs)
        pm = np.einsum("kij,kj->ki", prec, mu)           # P_k⁻¹ μ_k
        lin, const = 2.0 * pm, -np.einsum("ki,ki->k", mu, pm)
        quad = -prec.reshape(K, d * d)
        feats = hc
    ent, err = np.empty(n), np.empty(n)
    nll = np.empty(n) if idx is not None else None
    weight = np.empty(n) if inflate else None
    pair = np.empty(n) if inflate and idx is not None else None
    block = max(1, _ROWS_TIMES_SEQUENCES // K)
    for a in range(0, n, block):
        b = min(a + block, n)
        f = feats[a:b]
        sq = (f[:, :, None] * f[:, None, :]).reshape(b - a, d * d)
        r = np.maximum(-(f @ lin.T + const[None, :] + sq @ quad.T), 0.0)   # r_k ≥ 0, (rows, K)
        ll = -0.5 * r - 0.5 * logdet[None, :]
        rows = np.arange(b - a)
        # Normaliser and MAP error from the odds of the other sequences against the MAP one,
        # o = Σ_{k≠MAP} p_k/p_MAP: log Z = ll_MAP + log1p(o) and P(error | h) = o/(1 + o).  Unlike
        # 1 − max p, this keeps a tiny error (o ~ 1e-180, a sharp posterior) instead of rounding it
        # to 0 while the entropy keeps it, which would make h_b(err) < ent on such samples.
        # NaN likelihoods (overflow) stay NaN.
        top_k = ll.argmax(axis=1)
        top = ll[rows, top_k]
        odds_terms = np.exp(ll - top[:, None])
        odds_terms[rows, top_k] = 0.0
        odds = odds_terms.sum(axis=1)
        norm = top + np.log1p(odds)
        lp = ll - norm[:, None]                          # log posterior, nats
        p = np.exp(lp)
        ent[a:b] = -(p * lp).sum(axis=1) / LN2
        err[a:b] = odds / (1.0 + odds)
        if idx is not None:
            nll[a:b] = -lp[rows, idx[a:b]] / LN2
        if inflate:
            llc = ll + 0.5 * r * (1.0 - 1.0 / inflate ** 2) - d * math.log(inflate)
            weight[a:b] = 2.0 / (1.0 + np.exp(logsumexp(llc, axis=1) - norm))
            if pair is not None:
                pair[a:b] = 2.0 / (1.0 + np.exp(llc[rows, idx[a:b]] - ll[rows, idx[a:b]]))
    out = {"ent": np.maximum(ent, 0.0), "err": np.clip(err, 0.0, 1.0)}
    if nll is not None:
        out["nll"] = nll
    if weight is not None:
        out["weight"] = weight
    if pair is not None:
        out["pair_weight"] = pair
    return out


# --- shared simulation ---------------------------------------------------------------------

def _laws(regime: Regime):
    """(steps, laws, singular t) for the regime; memoised (planning and both claims use it)."""
    return _laws_cached(Keyed(regime.fingerprint(), regime))


@functools.lru_cache(maxsize=8)
def _laws_cached(request: Keyed):
    regime = request.value
    steps = decodable_steps(regime)
    laws = conditional_laws(regime, max(steps)) if steps and not regime.gate_depends_on_state else []
    return steps, laws, singular_step(laws) if laws else None


def horizon_issues(regime: Regime) -> dict[int, str]:
    """{t: why} for the horizons whose posterior cannot be computed in float64 (see ``horizon_issue``)."""
    steps, laws, _ = _laws(regime)
    issues = {}
    for t in steps:
        why = horizon_issue(laws[t - 1])
        if why is not None:
            issues[t] = why
    return issues


def setting_reason(regime: Regime) -> str | None:
    """Why the exact computation cannot be made in this regime (None: it can)."""
    reason = exact_posterior_reason(regime)
    if reason is not None:
        return reason
    _, _, bad = _laws(regime)
    if bad is not None:
        return (f"the covariance of h_t given x_{{1:t}} is singular at t = {bad} (no noise in some direction): "
                "the posterior has point masses that Gaussian likelihoods cannot express; give the noise "
                "a positive variance in every direction")
    return None


def _draw_terms(regime: Regime, settings: Settings, first: int, n: int) -> dict:
    """Per-sample terms for paths [first, first + n): half from the model, half with the noise sd × INFLATE.

    Memoised (8 entries) on (regime, seed, first, n): both Fano claims share the same draws.
    """
    return _terms_cached(Keyed((regime.fingerprint(), settings.seed, first, n), (regime, settings, first, n)))


@functools.lru_cache(maxsize=8)
def _terms_cached(request: Keyed) -> dict:
    regime, settings, first, n = request.value
    steps, laws, _ = _laws(regime)
    issues = horizon_issues(regime)
    T = fano_steps(regime)
    model = regime.model()
    halves = ((model, "samples", first // 2, n // 2),
              (model.replace(noise_chol=INFLATE * model.noise_chol), "samples, inflated noise",
               (first + 1) // 2, n - n // 2))
    cols: dict = {k: [[] for _ in steps] for k in ("err", "ent", "nll", "w", "pw")}
    for mdl, purpose, start, count in halves:
        key = settings.key(regime.name, "fano", purpose)    # shared by both claims: same draws
        h0s = np.broadcast_to(regime.h0, (count, 1, regime.d))
        _, obs = simulate(mdl, key, h0s, T, synchronous=True, observe=_observe, first_path=start)
        xs, hs = obs["x"], obs["h"]                          # (count, T, m), (count, T, d)
        for j, t in enumerate(steps):
            if t in issues:                                  # not computable: NaN terms, undecided later
                terms = {k: np.full(count, np.nan) for k in ("err", "ent", "nll", "weight", "pair_weight")}
            else:
                # Overflow in states or likelihoods gives NaN/inf terms, which the comparisons report.
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    terms = posterior_terms(laws[t - 1], hs[:, t - 1], sequence_index(xs[:, :t], regime.m),
                                            inflate=INFLATE)
            for k, src in (("err", "err"), ("ent", "ent"), ("nll", "nll"), ("w", "weight"),
                           ("pw", "pair_weight")):
                cols[k][j].append(terms[src])
    return {k: np.stack([np.concatenate(parts) for parts in v], axis=1) for k, v in cols.items()}


# --- comparisons ---------------------------------------------------------------------------

def _ci(x, level):
    """Student-t interval of the mean at 1 − level, for the reported per-horizon table (not for decisions)."""
    return mean_ci(x, confidence=1.0 - level)


def _bounds(x, level):
    """(mean, lower, upper) of E[x], each end at error ``level`` (skew-robust; degenerate when x does not vary)."""
    return mean_bounds(x, level)


def strong_comparison(err, ent, w, m: int, t: int, level: float, *, label: str, decides: bool = True) -> Comparison:
    """φ_K(P_e) ≥ H with φ_K(p) = h_b(p) + p log₂(K − 1), K = 2^(m t), from weighted per-sample terms.

    Statistic φ_K(P̂_e) − Ĥ (bits).  Each end of the interval has error ≤ level:
    lower end: φ_K is concave, so φ_K(P_e) − H ≥ E[φ_K(err) − ent] (Jensen), a mean
    of per-sample terms: its lower bound at error level;
    upper end: φ_K(P_hi) − H_lo with P_hi, H_lo one-sided bounds at error level/2 each
    (Bonferroni), φ_K increasing on [0, 1 − 1/K] ∋ P_e.  Bounds are skew-robust.
    Numerical tolerance: relative to log₂ K = m·t bits, the scale of every entropy here.
    """
    p_max = max_error(m, t)
    P_hat, H_hat = float(np.mean(w * err)), float(np.mean(w * ent))
    _, jensen_lo, _ = _bounds(w * (fano_phi(err, m, t) - ent), level)
    _, _, p_hi = _bounds(w * err, level / 2.0)
    _, h_lo, _ = _bounds(w * ent, level / 2.0)
    stat = fano_phi(min(max(P_hat, 0.0), p_max), m, t) - H_hat
    lo = min(jensen_lo, stat)
    hi = max(fano_phi(min(max(p_hi, 0.0), p_max), m, t) - h_lo, stat)
    meta = {"t": t, "form": "strong", "P_e": P_hat, "H_bits": H_hat, "phi_of_P_e_bits": stat + H_hat,
            "bound_at_H": float(strong_bound(H_hat, m, t)),
            "construction": "lower end: Jensen (mean of φ(err) − ent); upper end: φ(P_hi) − H_lo"}
    return interval_comparison(label, stat, lo, hi, 0.0, ">=", err.size, decides=decides, meta=meta,
                               scale=float(m * t))


def _linear_comparison(err, ent, w, divisor, level, *, label, form, decides, t):
    """E[err] − (E[ent] − 1)/divisor ≥ 0 from the weighted per-sample terms (a mean: skew-robust bounds)."""
    diff = w * (err - ent / divisor) + 1.0 / divisor
    comp = mean_comparison(diff, 0.0, level, label=label, claimed=">=", decides=decides, scale=1.0)
    P_hat, H_hat = float(np.mean(w * err)), float(np.mean(w * ent))
    meta = {"t": t, "form": form, "P_e": P_hat, "H_bits": H_hat, "bound_at_H": (H_hat - 1.0) / divisor}
    return dataclasses.replace(comp, meta=meta)


def _undecided(label: str, n: int, t: int, form: str, note: str, decides: bool) -> Comparison:
    nan = math.nan
    return Comparison(label, nan, 0.0, (nan, nan), UNDECIDED, n, ">=", decides,
                      {"t": t, "form": form, "P_e": nan, "H_bits": nan, "note": note})


def nonfinite_note(data: dict, j: int, t: int) -> str | None:
    """A note when some per-sample term at horizon index j is NaN or infinite (overflow), else None."""
    cols = [data[k][:, j] for k in ("err", "ent", "w")]
    bad = ~np.all([np.isfinite(c) for c in cols], axis=0)
    if not bad.any():
        return None
    return (f"t={t}: {int(bad.sum())} of {bad.size} per-sample terms are not finite (the states h_t or their "
            "likelihoods overflowed float64): undecided")


def fano_comparisons(data: dict, steps: list[int], m: int, level: float, claim_id: str,
                     issues: dict[int, str] | None = None) -> list[Comparison]:
    """The comparisons of one claim at every horizon; a horizon with an issue (``horizon_issues``) or with
    non-finite per-sample terms gets undecided comparisons that say why."""
    comps = []
    issues = issues or {}
    for j, t in enumerate(steps):
        err, ent, w = data["err"][:, j], data["ent"][:, j], data["w"][:, j]
        note = issues.get(t) or nonfinite_note(data, j, t)
        if note is not None:
            if claim_id == "fano":
                comps.append(_undecided(f"t={t}: paper", err.size, t, "paper", note, True))
            else:
                comps.append(_undecided(f"t={t}: weak", err.size, t, "weak", note, False))
                comps.append(_undecided(f"t={t}: strong", err.size, t, "strong", note, True))
            continue
        if claim_id == "fano":
            comps.append(_linear_comparison(err, ent, w, m, level, label=f"t={t}: paper", form="paper",
                                            decides=True, t=t))
        else:
            comps.append(_linear_comparison(err, ent, w, m * t, level, label=f"t={t}: weak", form="weak",
                                            decides=False, t=t))
            comps.append(strong_comparison(err, ent, w, m, t, level, label=f"t={t}: strong"))
    return comps


class _FanoBase(Check):
    claim = FANO

    def estimate(self, regime, settings):
        """T steps of one chain per path (x_t and h_t kept), every stage drawn; the conditional laws of the
        2^(m·t) sequences of each enumerated horizon; the posterior in blocks of ≤ 2^21 (row, sequence) pairs."""
        if self.claim.applicable(regime) is not None or regime.gate_depends_on_state:
            return 0.0, SECONDS_PER_ROW
        d, m, T = regime.d, regime.m, fano_steps(regime)
        n = SAMPLES_PER_PATH * total_paths(settings, settings.max_stages)
        mem, seconds = simulation_estimate(n, T, 1, 1, d, m, d + m)
        steps = decodable_steps(regime)
        per_sequence = d + (d * d if regime.gate_kind != "constant" else 0)  # input-gated, S6: a covariance each
        laws = sum(2.0 ** (m * t) for t in steps) * per_sequence * 8 * 2
        block = min(n, max(1, _ROWS_TIMES_SEQUENCES >> m)) * d * d * 8 + _ROWS_TIMES_SEQUENCES * 8 * 10
        mem = max(mem, laws + block + n * len(steps) * 5 * 8 * 2)
        seconds += sum(n * 2.0 ** (m * t) * (d * d + 3 * d + 20) for t in steps) * SECONDS_PER_FLOP
        return mem, seconds + SECONDS_PER_ROW

    def planned_comparisons(self, regime, settings):
        if self.claim.applicable(regime) is not None or setting_reason(regime) is not None:
            return 0
        return len(decodable_steps(regime))

    def run(self, regime: Regime, settings: Settings) -> CheckResult:
        claim = self.claim
        reason = self.claim.applicable(regime) or setting_reason(regime)
        if reason is not None:
            return not_applicable(claim, regime, reason)
        steps, _, _ = _laws(regime)
        issues = horizon_issues(regime)
        m = alphabet_bits(regime)

        def draw(first, n):
            return _draw_terms(regime, settings, first, n)

        def decide(data):
            return fano_comparisons(data, steps, m, settings.level, claim.id, issues)

        comps, data, n, used = staged(draw, decide, SAMPLES_PER_PATH * settings.paths, settings.max_stages)
        verdict = combine(comps)
        # A PASS row reports its closest call among horizons where decoding makes errors (P_e > 0.1 %):
        # where P_e and H are both ~0, every form holds with near-equality and says nothing.
        informative = [c for c in comps if c.meta.get("P_e", 0.0) > TRIVIAL_ERROR]
        rep = representative(informative if verdict == "PASS" and informative else comps, verdict)
        table = self._table(data, steps, m, settings.level)
        caveats = list(issues.values())
        caveats += [note for j, t in enumerate(steps) if t not in issues
                    for note in [nonfinite_note(data, j, t)] if note is not None]
        T = fano_steps(regime)
        if len(steps) < T:
            caveats.append(f"horizons t > {max(steps)} are not evaluated: 2^(m·t) sequences exceed the "
                           f"enumeration limit 2^{MAX_SEQUENCE_BITS}")
        if regime.form == "s6":
            caveats.append("S6: the drive Δ_c(x)·(P_B x)_n·x_c is quadratic in x, so a symbol and its negation leave "
                           "the same drive except through the change of Δ between them: the sign of the inputs is "
                           "weakly recorded, which the exact posterior accounts for")
        if 1 in steps and m == 1:
            caveats.append("t = 1 with binary inputs: the paper's and the weak bound are ≤ 0 there (H ≤ 1 bit), "
                           "so they hold trivially, and with K = 2 the strong form is an equality for every "
                           "posterior (h_b(P_e) = H pointwise): its interval's lower end is 0")
        details = {
            "hypotheses": hypotheses_json(claim, regime),
            "rests_on": ("exact posterior p(x_{1:t} | h_t) over all |X|^t input sequences (h_t is Gaussian given "
                         + ("x_{1:t} because S6's transition diag(exp(Δ(x)A)) and drive Δ(x)(P_B x)x read only the "
                            "input" if regime.form == "s6" else "x_{1:t} because the gate does not depend on h")
                         + "); ĥ_t = h_t; P_e is the MAP decoder's "
                         "error; H and P_e are means of exact per-sample terms (defensive importance sampling: half "
                         "the paths with the noise sd doubled, weights p/(½p + ½p₂) ≤ 2), so only Monte Carlo "
                         "error remains"),
            "caveats": caveats,
            "units": "entropies in bits; probabilities dimensionless",
            "alphabet": {"per_symbol_bits": m, "per_symbol_size": 2 ** m},
            "steps": steps, "stages_used": used,
            "statistic_name": ("P_e − (H(x_{1:t}|h_t) − 1)/log₂|X| (dimensionless)" if claim.id == "fano" else
                               "φ_K(P_e) − H(x_{1:t}|h_t), φ_K(p) = h_b(p) + p·log₂(K − 1), K = |X|^t "
                               "(bits; strong form)"),
            "representative": rep.label if rep else None,
            "representative_rule": ("FAIL: the strongest violation; PASS: the closest call among horizons with "
                                    f"P_e > {TRIVIAL_ERROR:g}"),
            "comparisons": [c.to_json() for c in comps],
            "per_horizon": table,
        }
        details["plots"] = [self._plot(regime, table, m)]
        return self.result(regime, comps, n, details=details, verdict=verdict,
                           pool=informative if verdict == "PASS" and informative else comps)

    @staticmethod
    def _table(data, steps, m, level) -> list[dict]:
        rows = []
        for j, t in enumerate(steps):
            w = data["w"][:, j]
            err, ent, nll = w * data["err"][:, j], w * data["ent"][:, j], data["pw"][:, j] * data["nll"][:, j]
            if not (np.all(np.isfinite(err)) and np.all(np.isfinite(ent))):
                nan = math.nan      # overflowed or not computable: reported as NaN, not as a number
                rows.append({"t": t, "sequences": 2 ** (m * t), "P_e": nan, "P_e_ci": [nan, nan], "H_bits": nan,
                             "H_ci": [nan, nan], "H_bits_plain": nan, "H_plain_ci": [nan, nan], "paper_bound": nan,
                             "weak_bound": nan, "strong_bound": nan, "max_entropy_bits": m * t})
                continue
            plain = _ci(nll, level) if np.all(np.isfinite(nll)) else None
            p_ci, h_ci = _ci(err, level), _ci(ent, level)
            rows.append({
                "t": t, "sequences": 2 ** (m * t),
                "P_e": p_ci.estimate, "P_e_ci": [p_ci.low, p_ci.high],
                "H_bits": h_ci.estimate, "H_ci": [h_ci.low, h_ci.high],
                "H_bits_plain": plain.estimate if plain else math.nan,
                "H_plain_ci": [plain.low, plain.high] if plain else [math.nan, math.nan],
                "paper_bound": float(paper_bound(h_ci.estimate, m)),
                "weak_bound": float(weak_bound(h_ci.estimate, m, t)),
                "strong_bound": float(strong_bound(h_ci.estimate, m, t)),
                "max_entropy_bits": m * t,
            })
        return rows

    @staticmethod
    def _plot(regime, table, m) -> dict:
        ts = [r["t"] for r in table]
        col = lambda k: [r[k] for r in table]  # noqa: E731
        ents = ", ".join(f"{r['H_bits']:.2f}" for r in table)
        return {"title": f"Fano's inequality (§4.4) — {regime.name}", "panels": [{
            "xlabel": "horizon t (steps): decode x_{1:t} from h_t", "ylabel": "probability (dimensionless)",
            "yscale": "linear",
            "series": [
                {"label": "P_e, MAP decoder (band: CI)", "x": ts, "y": col("P_e"),
                 "lo": [r["P_e_ci"][0] for r in table], "hi": [r["P_e_ci"][1] for r in table],
                 "style": "solid", "marker": "o"},
                {"label": "paper: (H − 1 bit)/log₂|X|", "x": ts, "y": col("paper_bound"), "style": "dashed",
                 "marker": "s"},
                {"label": "weak: (H − 1 bit)/(t·log₂|X|)", "x": ts, "y": col("weak_bound"), "style": "dotted"},
                {"label": "strong: φ⁻¹(H), K = |X|^t", "x": ts, "y": col("strong_bound"), "style": "solid"},
            ],
            "hlines": [{"y": 1.0, "label": "probability 1"}],
            "note": (f"H(x_1:t | h_t) in bits for t = {ts[0]}..{ts[-1]}: {ents}; log₂|X| = {m} bit(s); "
                     "bounds at the estimate of H"),
        }]}


class FanoCheck(_FanoBase):
    claim = FANO


class FanoCorrectedCheck(_FanoBase):
    claim = FANO_CORRECTED
