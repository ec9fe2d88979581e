"""Checks of Lemma 1 (§6.2): the paper's κ = ρ·L_G and the corrected pathwise bound.

Each path runs 1 + S chains on the same inputs: a base chain from h_0 and one
chain per initial separation δ_s, started at h_0 + δ_s·u with u a random unit
vector (fresh per path).  This is done twice, with the noise shared by all
chains (synchronous coupling) and with independent noise per chain.

* ``lemma1``: at every step t ≤ T and separation, E‖Δ_t‖ ≤ κ·E‖Δ_{t−1}‖ with
  κ = ρ·L_G.  The verdict rests on synchronous coupling, the coupling most
  favourable to the claim; independent coupling is reported beside it (there
  E‖Δ_t‖ ≥ E‖w_t − w'_t‖ > 0, so no contraction to zero is possible).
* ``lemma1-corrected``: E‖Δ_t‖ ≤ E[c_t‖Δ_{t−1}‖ + ‖w_t − w'_t‖] under both couplings.

Mamba's selective scan (form "s6"; the mathematics is in ``theorems.lemma1``).  The chains run the S6
update; c_t = max_i decay_i(x_t).  The paper's κ is 0 there, and the verdict of ``lemma1`` (and of
``lemma1-independent``) is exact: E‖Δ_t‖/E‖Δ_{t−1}‖ ≥ ℓ = exp(−Σ_c max_n|A[c,n]|·E[Δ_c]) > 0 at every t and
separation under either coupling, a closed form (one comparison per deciding coupling, method "exact"); the
simulated ratios are reported beside it, not decided on.  ``lemma1-corrected`` on S6 decides the pathwise bound
as for the paper's forms and, under synchronous coupling, the corrected constant: E‖Δ_t‖/E‖Δ_{t−1}‖ ≤ κ_S6 =
sup_x max_i decay_i(x) at every (t, δ), by the same ratio tests.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

from ..theorems import Regime
from ..theorems import _constants as K
from ..theorems.lemma1 import (LEMMA1, LEMMA1_CORRECTED, corrected_factor, paper_constants, paper_kappa,
                                s6_contraction_constant, s6_contraction_factors, s6_ratio_lower_bound)
from ..theorems.model import s6_transition, safe_norm, simulate_traced

from ._base import (SECONDS_PER_ROW, SimulatorCheck, Settings, Simulation, pilot_size, simulation_estimate,
                    total_paths)
from ._verdict import EPS, RESOLUTION_ULPS, VIOLATED, exact_comparison, ratio_comparisons
from .theorem2 import lyapunov_estimate, lyapunov_json

COUPLINGS = ("synchronous", "independent")


def _chain_scale(model, hs_prev, hs, x, w):
    """Per chain: the magnitudes that entered its update, ‖h_t‖ + ‖A h_{t−1}‖ + ‖B x_t‖ + ‖w_t‖ + ‖h_{t−1}‖.

    Rounding in a step is a few ulps of these; a distance between two copies is resolved
    only well above them (see ``_resolved``).  S6: ‖h_t‖ + ‖decay ⊙ h_{t−1}‖ + ‖drive‖ + ‖w_t‖ + ‖h_{t−1}‖.
    """
    if model.s6:   # static: the S6 program is compiled on its own
        log_decay, drive = s6_transition(model, x)
        return (safe_norm(hs) + safe_norm(jnp.exp(log_decay) * hs_prev) + safe_norm(drive) + safe_norm(w)
                + safe_norm(hs_prev))
    bx = safe_norm(model.B @ x)
    return (safe_norm(hs) + safe_norm(hs_prev @ model.A.T) + bx + safe_norm(w) + safe_norm(hs_prev))


def _observe_pairs(model, t, hs_prev, hs, x, w, g):
    """Per step: ‖Δ_t‖, the corrected right-hand side and the rounding scale of each (base, separated) pair."""
    if model.s6:
        return _observe_pairs_s6(model, t, hs_prev, hs, x, w, g)
    rho = jnp.sqrt(jnp.max(jnp.linalg.eigvalsh(model.A.T @ model.A)))
    lip_c = jnp.where(model.sigmoid > 0.5, jnp.max(jnp.linalg.norm(model.U, axis=1)) * derivative_peak(model), 0.0)
    base_prev, others_prev = hs_prev[0], hs_prev[1:]
    dist = safe_norm(hs[1:] - hs[0])
    prev = safe_norm(others_prev - base_prev)
    c = jax.vmap(lambda hp: corrected_factor(model, rho, lip_c, base_prev, hp, x, g[0]))(others_prev)
    rhs = c * prev + safe_norm(w[1:] - w[0])
    scale = _chain_scale(model, hs_prev, hs, x, w)
    return {"dist": dist, "rhs": rhs, "scale": scale[0] + scale[1:]}


def _observe_pairs_s6(model, t, hs_prev, hs, x, w, g):
    """The S6 pair observations: c_t = max_i decay_i(x_t) = exp(max_i Δ_c A[c,n]) (the leaky corrected factor
    with A = 0 and L_c = 0), the same for every pair of a path since the copies share x_t."""
    log_decay, _ = s6_transition(model, x)
    c = jnp.exp(jnp.max(log_decay))
    dist = safe_norm(hs[1:] - hs[0])
    prev = safe_norm(hs_prev[1:] - hs_prev[0])
    rhs = c * prev + safe_norm(w[1:] - w[0])
    scale = _chain_scale(model, hs_prev, hs, x, w)
    return {"dist": dist, "rhs": rhs, "scale": scale[0] + scale[1:]}


def derivative_peak(model):
    """sup φ' of the model's parametric gate, as traced data: 1/4 (sigmoid, §3.0.4) or 1 (tanh, §3.0.5)."""
    return jnp.where(model.tanh > 0.5, 1.0, 0.25)


def _observe_distances(model, t, hs_prev, hs, x, w, g):
    """Per step: ‖Δ_t‖ and the rounding scale only (what the paper's κ is compared with)."""
    scale = _chain_scale(model, hs_prev, hs, x, w)
    return {"dist": safe_norm(hs[1:] - hs[0]), "scale": scale[0] + scale[1:]}


def _resolved(prev_dist, dist, prev_scale, scale):
    """Whether step t measures the dynamics, not rounding: both distances exceed RESOLUTION_ULPS ulps
    of the magnitudes that entered their updates, the previous one also at step t's magnitudes (a
    separation that step t's state swamps is lost to rounding there).  Pairs that had merged exactly
    and stay merged are resolved (they are reported as merged).  Works for NumPy and JAX arrays."""
    floor = RESOLUTION_ULPS * EPS
    xp = jnp if isinstance(prev_dist, jax.Array) else np
    big = floor * xp.maximum(prev_scale, scale)
    resolved = ((prev_dist == 0.0) & (dist == 0.0)) | ((prev_dist >= big) & (dist >= floor * scale))
    # A distance that overflowed is not a rounding question: the comparison reports the overflow itself.
    # (A finite distance beside magnitudes that overflowed is not resolved: it is rounding.)
    return resolved | (xp.isfinite(prev_dist) & ~xp.isfinite(dist))


class _Lemma1Base(SimulatorCheck):
    """Both Lemma 1 checks read the same paired paths (purpose "lemma1")."""

    splits_sample = True
    # S6: the paper's κ is 0 and the row is decided by the exact lower bound ℓ of the ratio (module doc).
    exact_on_s6 = False
    # S6: the synchronous ratio is also decided against the corrected constant κ_S6 (lemma1-corrected).
    s6_constant = False

    deciding_couplings: tuple[str, ...]
    rests_on: str
    statistic_name: str

    def _exact_s6(self, regime) -> bool:
        return self.exact_on_s6 and regime.form == "s6"

    def _s6_constant(self, regime) -> bool:
        return self.s6_constant and regime.form == "s6"

    def splits(self, regime) -> bool:
        """Sample splitting, except where the row is decided exactly (S6 for the paper's κ = 0)."""
        return self.splits_sample and not self._exact_s6(regime)

    def simulation(self, regime: Regime, settings: Settings, probe: bool = False) -> Simulation:
        steps, seps = _steps_and_seps(regime)
        separations = np.asarray(seps, float)

        def initial(first, n):
            rng = settings.rng(regime.name, "lemma1", f"directions from path {first}")
            u = rng.standard_normal((n, regime.d))
            u /= np.linalg.norm(u, axis=1, keepdims=True)
            h0s = np.repeat(regime.h0[None, None, :], 1 + separations.size, axis=1).repeat(n, axis=0)
            h0s[:, 1:, :] += separations[None, :, None] * u[:, None, :]
            return h0s

        h0_scale = 2.0 * np.linalg.norm(regime.h0) + separations

        def finish(final, obs):
            n = obs["dist"].shape[0]
            dist0 = np.broadcast_to(separations, (n, separations.size))
            out = {
                "dist": np.concatenate([dist0[:, None, :], obs["dist"]], axis=1),  # (n, steps+1, S)
                "scale": np.concatenate([np.broadcast_to(h0_scale, (n, 1, separations.size)), obs["scale"]],
                                        axis=1),                                  # (n, steps+1, S)
            }
            if "rhs" in obs:
                out["rhs"] = obs["rhs"]                                            # (n, steps, S)
            return out

        if probe and not self.needs_corrected_terms:
            # Same stream as run() (purpose "lemma1"), deciding coupling only, distances only.
            return Simulation("lemma1", steps, self.deciding_couplings, _observe_distances, initial, finish)
        return Simulation("lemma1", steps, COUPLINGS, _observe_pairs, initial, finish)

    def estimate(self, regime, settings):
        """Both couplings of 1 + S chains per path, three values per pair and step (‖Δ_t‖, the corrected
        right-hand side, the rounding scale), every stage drawn; plus λ₁ for the report."""
        steps, seps = _steps_and_seps(regime)
        pilot = pilot_size(settings) if settings.stages is None else 0
        n = total_paths(settings, settings.max_stages, pilot)
        mem, seconds = simulation_estimate(n, steps, 1 + len(seps), len(COUPLINGS), regime.d, regime.m,
                                           3 * len(seps))
        # S6: λ₁ is a closed form (theorems.s6.lyapunov_exponent), nothing to simulate.
        lyap_mem, lyap_seconds = (0.0, 0.0) if regime.form == "s6" else lyapunov_estimate(regime, settings)
        return max(mem, lyap_mem), seconds + lyap_seconds + SECONDS_PER_ROW

    def planned_comparisons(self, regime, settings):
        if not self.decides(regime):
            return 0
        if self._exact_s6(regime):
            return 0  # decided by a closed form (S6: κ = 0 against the exact lower bound ℓ)
        if settings.stages is None:
            return 1  # sample splitting: one comparison per row may FAIL
        steps, seps = _steps_and_seps(regime)
        extra = steps * len(seps) if self._s6_constant(regime) else 0   # synchronous ratio against κ_S6
        return steps * len(seps) * len(self.deciding_couplings) + extra

    def comparisons(self, regime, data, level, decides):
        steps, seps = _steps_and_seps(regime)
        exact = self._exact_s6(regime)
        decide_on = self.deciding_couplings if decides and not exact else ()
        comps = []
        for coupling in (c for c in COUPLINGS if f"{c}.dist" in data):
            dist, rhs, scale = data[f"{coupling}.dist"], data.get(f"{coupling}.rhs"), data[f"{coupling}.scale"]
            num, den, bound = self._ratio(regime, dist, rhs)        # (n, steps, S) each
            with np.errstate(invalid="ignore"):
                ok = _resolved(dist[:, :-1, :], dist[:, 1:, :], scale[:, :-1, :], scale[:, 1:, :]).all(axis=0)
                tol = RESOLUTION_ULPS * EPS * (scale[:, 1:, :] + abs(bound) * scale[:, :-1, :]
                                               + np.abs(num) + abs(bound) * np.abs(den)).mean(axis=0)
            # columns ordered by separation, then t
            order = [(s, t) for s in range(len(seps)) for t in range(1, steps + 1)]
            metas, labels, decides_col = [], [], []
            for s, t in order:
                meta = {"coupling": coupling, "separation": seps[s], "t": t}
                if not ok[t - 1, s]:
                    meta["note"] = "separation below float64 resolution: reported, not decided"
                metas.append(meta)
                labels.append(f"{coupling}, δ={seps[s]:g}, t={t}")
                decides_col.append(coupling in decide_on and bool(ok[t - 1, s]))
            cols = [t - 1 for s, t in order], [s for s, t in order]
            comps += ratio_comparisons(num[:, cols[0], cols[1]], den[:, cols[0], cols[1]], bound, level,
                                       labels=labels, decides=decides_col, metas=metas, tol=tol[cols[0], cols[1]])
            if self._s6_constant(regime) and coupling == "synchronous":
                comps += _s6_constant_comparisons(regime, dist, scale, cols, labels, metas, decides_col, level)
        if exact:
            comps += _s6_exact_comparisons(regime, self.deciding_couplings, decides)
        return comps

    def details(self, regime, settings, comps, data):
        caveats = ["independent coupling: E‖Δ_t‖ ≥ E‖w_t − w'_t‖ > 0, so no contraction to zero is possible"
                   if np.any(regime.noise_cov) else "noise covariance is zero: both couplings coincide"]
        nonfinite = sum(1 for c in comps if c.meta.get("note") == "non-finite samples")
        if nonfinite:
            caveats.append(f"non-finite states (overflow) at {nonfinite} comparison(s); those are undecided")
        unresolved = sum(1 for c in comps if c.meta.get("note", "").startswith("separation below"))
        if unresolved:
            caveats.append(f"{unresolved} of {len(comps)} comparisons are reported but not decided: the copies' "
                           f"separation fell below float64 resolution ({RESOLUTION_ULPS} ulps of the magnitudes "
                           f"that entered the update)")
        steps, seps = _steps_and_seps(regime)
        s6_extra = {}
        if regime.form == "s6":
            factors = s6_contraction_factors(regime)
            dec, rates = factors["expected_decay_range"], factors["forgetting_rate_range"]
            caveats.append(
                f"S6: the gate reads only x_t, so L_G = 0 and the paper's κ = ρ·L_G = 0; yet two copies on the same "
                f"inputs differ by Δ_t = decay(x_t) ⊙ Δ_{{t−1}} (+ w_t − w'_t), each coordinate keeping the mean "
                f"fraction E[decay_i] ∈ [{dec[0]:.4g}, {dec[1]:.4g}] per step (forgetting rates E[Δ_c]|A[c,n]| ∈ "
                f"[{rates[0]:.4g}, {rates[1]:.4g}] nats/step): E‖Δ_t‖/E‖Δ_{{t−1}}‖ ≥ ℓ = "
                f"{factors['ratio_lower_bound']:.4g} exactly, and (synchronously) ≤ κ_S6 = "
                f"{factors['corrected_constant']:.6g}")
            s6_extra = {"s6_contraction": factors, **_mean_distances(data)}
        if regime.gate_depends_on_state and self.claim.kind != "corrected":
            caveats.append("κ = ρ·L_G has units of 1/state: the hypothesis ρ·L_G < 1 and the bound change when "
                           "the state is measured in other units (the corrected bound is dimensionless)")
        caveats += range_caveats(regime)
        lyap = _s6_lyapunov_json(regime) if regime.form == "s6" else lyapunov_json(regime, settings, steps)
        return {
            "rests_on": self.rests_on, "caveats": caveats, "steps": steps, "separations": list(seps),
            "statistic_name": (S6_EXACT_STATISTIC if self._exact_s6(regime) else self.statistic_name),
            **self._extra(regime, comps), **s6_extra,
            "lyapunov_exponent": lyap,
            "plots": [_ratio_plot(regime, comps, data, corrected=self.claim.kind == "corrected", lyapunov=lyap)],
        }

    def _extra(self, regime, comps) -> dict:
        return {}


S6_EXACT_STATISTIC = "exact lower bound ℓ of the ratio E‖Δ_t‖ / E‖Δ_{t−1}‖ (every t and δ; closed form)"


def _s6_exact_comparisons(regime, couplings, decides: bool) -> list:
    """S6, the paper's κ = 0: per coupling, the exact lower bound ℓ ≤ E‖Δ_t‖/E‖Δ_{t−1}‖ (every t ≥ 1 and δ) against κ.

    The statistic is ℓ; the interval is the exact enclosure of the true ratio, [ℓ, 1] under synchronous coupling
    (‖Δ_t‖ ≤ ‖Δ_{t−1}‖ on every path), [ℓ, ∞) with independent noise.  Violated exactly when ℓ > κ.
    """
    lower = s6_ratio_lower_bound(regime.s6, regime.input_law, regime.input_scale)
    kappa = paper_kappa(regime)
    out = []
    for coupling in couplings:
        comp = exact_comparison(
            f"{coupling}, every δ and t ≥ 1: exact lower bound ℓ of E‖Δ_t‖/E‖Δ_{{t−1}}‖", lower, kappa, "<=",
            decides=decides, interval=(lower, 1.0 if coupling == "synchronous" else math.inf),
            meta={"coupling": coupling, "separation": None, "t": None,
                  "note": "closed form: ℓ = exp(−Σ_c max_n|A[c,n]|·E[Δ_c]) ≤ E[min_i decay_i(x)] ≤ the ratio "
                          "(x_t independent of Δ_{t−1}; Jensen); κ = 0 claims the copies coincide after one step"})
        if lower == 0.0 and kappa == 0.0:
            # ℓ = exp(−Σ_c a_c E[Δ_c]) with every E[Δ_c] finite is > 0 mathematically; only float64 rounds it to 0.
            comp = dataclasses.replace(comp, decision=VIOLATED, z=math.inf, meta={
                **comp.meta, "note": "ℓ = exp(−Σ_c max_n|A[c,n]|·E[Δ_c]) underflows float64 but is > 0 = κ "
                                     "(every E[Δ_c] is finite): violated exactly"})
        out.append(comp)
    return out


def _s6_constant_comparisons(regime, dist, scale, cols, labels, metas, decides_col, level) -> list:
    """S6, corrected: the synchronous ratio E‖Δ_t‖/E‖Δ_{t−1}‖ against κ_S6 = sup_x max_i decay_i(x), per (t, δ)."""
    const, _ = s6_contraction_constant(regime.s6, regime.input_law, regime.input_scale)
    num, den = dist[:, 1:, :], dist[:, :-1, :]
    with np.errstate(invalid="ignore"):
        tol = RESOLUTION_ULPS * EPS * (scale[:, 1:, :] + const * scale[:, :-1, :]
                                       + np.abs(num) + const * np.abs(den)).mean(axis=0)
    return ratio_comparisons(num[:, cols[0], cols[1]], den[:, cols[0], cols[1]], const, level,
                             labels=[f"{lab}, ratio ≤ κ_S6" for lab in labels], decides=decides_col,
                             metas=[{**m, "s6_constant": const} for m in metas], tol=tol[cols[0], cols[1]])


def _mean_distances(data) -> dict:
    """E‖Δ_t‖ (t = 0..T) per coupling and separation index, with its standard error, as reported on S6 rows."""
    out = {}
    for coupling in COUPLINGS:
        dist = data.get(f"{coupling}.dist")
        if dist is None:
            continue
        with np.errstate(invalid="ignore", over="ignore"):
            mean = dist.mean(axis=0)
            se = dist.std(axis=0, ddof=1) / math.sqrt(dist.shape[0])
        out[coupling] = {"mean": mean.T.tolist(), "standard_error": se.T.tolist()}
    return {"mean_distance": {**out, "layout": "[separation index][t = 0..steps], state units"}}


def _s6_lyapunov_json(regime) -> dict:
    """λ₁ of the S6 chain, exact (``theorems.s6.lyapunov_exponent``), in :func:`lyapunov_json`'s format."""
    from ..theorems import s6
    lam = s6.lyapunov_exponent(regime.s6, regime.input_law, regime.input_scale).exponent
    return {"estimate": lam, "ci": [lam, lam], "method": "exact", "confidence": None, "n_paths": 0, "n_steps": 0,
            "meaning": "λ₁ = max A[c,n]·E[Δ_c] < 0 (S6: diagonal transition, exact): synchronised copies merge "
                       "almost surely, at the rate exp(λ₁) per step, not in one step"}


def range_caveats(regime) -> list[str]:
    """The tanh gate's range, as a caveat of the row (its hypotheses say it too): [] for other gates."""
    return [h.detail for h in K.gate_range_hypotheses(regime, needed=False, why=(
        "Lemma 1, its corrected bound and Theorem 2 do not use G ∈ [0, 1] (the corrected bound is written with "
        "max_i |g_i|; L_G and L_c use sup tanh' = 1)"))]


# Near pairs and far-apart ones: the lemma quantifies over every pair of states.
DEFAULT_RELATIVE_SEPARATIONS = (1e-3, 1.0, 1e2, 1e4)


def _steps_and_seps(regime):
    """Horizon and initial separations; by default (1e-3, 1, 1e2, 1e4) × the regime's own length scale."""
    seps = regime.setting("lemma1", "separations")
    if seps is None:
        seps = tuple(f * regime.length_scale() for f in DEFAULT_RELATIVE_SEPARATIONS)
    return int(regime.setting("lemma1", "steps")), tuple(seps)


class Lemma1Check(_Lemma1Base):
    claim = LEMMA1
    needs_corrected_terms = False

    def margin_function(self, regime, settings, n):
        """max over resolved synchronous (t, δ) of E‖Δ_t‖/E‖Δ_{t−1}‖ − ρ(A)·φ'(0)‖U‖₂ (‖U‖₂/4 for the sigmoid gate,
        ‖U‖₂ for tanh), differentiable in the model."""
        if regime.form == "s6":
            return None   # decided exactly there (κ = 0 against ℓ); the probe's parameters are the paper's
        sim = self.simulation(regime, settings, probe=True)
        h0s = jnp.asarray(sim.initial(0, n))
        key = settings.key(regime.name, sim.purpose, "synchronous")
        paths = jnp.arange(n, dtype=jnp.int64)
        seps = jnp.asarray(_steps_and_seps(regime)[1], dtype=jnp.float64)

        def margin(model):
            _, obs = simulate_traced(model, key, paths, h0s, sim.n_steps, True, _observe_distances)
            dist = jnp.concatenate([jnp.broadcast_to(seps, (n, 1, seps.size)), obs["dist"]], axis=1)
            h0_scale = 2.0 * float(np.linalg.norm(regime.h0)) + seps
            scale = jnp.concatenate([jnp.broadcast_to(h0_scale, (n, 1, seps.size)), obs["scale"]], axis=1)
            prev = jax.lax.stop_gradient(dist[:, :-1, :])
            sc = jax.lax.stop_gradient(scale)
            ok = _resolved(prev, jax.lax.stop_gradient(dist[:, 1:, :]), sc[:, :-1, :], sc[:, 1:, :]).all(axis=0)
            mean_prev = dist[:, :-1, :].mean(axis=0)
            ok = ok & (jax.lax.stop_gradient(mean_prev) > 0.0)
            ratio = dist[:, 1:, :].mean(axis=0) / jnp.where(ok, mean_prev, 1.0)
            kappa = jnp.linalg.norm(model.A, 2) * jnp.linalg.norm(model.U, 2) * derivative_peak(model) * model.sigmoid
            return jnp.max(jnp.where(ok, ratio - kappa, -jnp.inf))

        return margin
    exact_on_s6 = True
    deciding_couplings = ("synchronous",)
    rests_on = "synchronous coupling (shared inputs and noise), the coupling most favourable to the claim"
    statistic_name = "ratio E‖Δ_t‖ / E‖Δ_{t−1}‖"

    def _ratio(self, regime, dist, rhs):
        return dist[:, 1:, :], dist[:, :-1, :], paper_kappa(regime)

    def tightest_constant(self, comps) -> dict:
        return tightest_kappa(comps)

    def _extra(self, regime, comps):
        return {**paper_constants(regime), **tightest_kappa(comps)}


def tightest_kappa(comps) -> dict:
    """The smallest κ the measurements support: every κ below a deciding comparison's CI is refuted."""
    # Only comparisons in the error-controlled family: with sample splitting, the selected one.
    sync = [c for c in comps if c.meta["coupling"] == "synchronous" and c.decides and c.selected
            and math.isfinite(c.ci[0])]
    worst_low = max((c.ci[0] for c in sync), default=math.nan)
    return {"smallest_supported_kappa": worst_low, "every_admissible_kappa_violated": bool(worst_low > 1.0)}


class Lemma1CorrectedCheck(_Lemma1Base):
    claim = LEMMA1_CORRECTED
    needs_corrected_terms = True
    deciding_couplings = COUPLINGS
    s6_constant = True
    rests_on = "both couplings (the corrected bound includes the noise difference ‖w_t − w'_t‖)"
    statistic_name = "ratio E‖Δ_t‖ / E[c_t‖Δ_{t−1}‖ + ‖w_t − w'_t‖]"

    def decides(self, regime) -> bool:
        return True

    def _ratio(self, regime, dist, rhs):
        return dist[:, 1:, :], rhs, 1.0


def _ratio_plot(regime, comps, data, corrected: bool, lyapunov: dict | None = None) -> dict:
    """Figure spec: the measured ratio against t with its CI, κ, and the corrected bound."""
    steps, seps = _steps_and_seps(regime)
    series = []
    for coupling in COUPLINGS:
        for sep in seps:
            rows = [c for c in comps if c.meta["coupling"] == coupling and c.meta.get("separation") == sep
                    and "s6_constant" not in c.meta]
            # Steps below float64 resolution measure rounding, not the dynamics: left out of the curves.
            shown = [not c.meta.get("note", "").startswith("separation below") for c in rows]
            series.append({
                "label": f"measured, {coupling}, δ={sep:g}",
                "x": [c.meta["t"] for c in rows],
                "y": [c.statistic if ok else math.nan for c, ok in zip(rows, shown)],
                "lo": [c.ci[0] if ok else math.nan for c, ok in zip(rows, shown)],
                "hi": [c.ci[1] if ok else math.nan for c, ok in zip(rows, shown)],
                "style": "solid" if coupling == "synchronous" else "dashed",
            })
            if not corrected:
                dist, rhs = data[f"{coupling}.dist"], data[f"{coupling}.rhs"]
                s = list(seps).index(sep)
                with np.errstate(divide="ignore", invalid="ignore"):
                    bound = rhs[:, :, s].mean(axis=0) / dist[:, :-1, s].mean(axis=0)
                series.append({
                    "label": f"corrected bound, {coupling}, δ={sep:g}", "x": list(range(1, steps + 1)),
                    "y": [float(v) if ok else math.nan for v, ok in zip(bound, shown)], "style": "dotted",
                })
    if corrected:
        hlines = [{"y": 1.0, "label": "corrected bound (ratio = 1)"}]
        ylabel = "E‖Δ_t‖ / E[c_t‖Δ_{t−1}‖ + ‖w_t − w'_t‖] (dimensionless)"
    else:
        hlines = [{"y": paper_kappa(regime), "label": f"paper κ = ρ·L_G = {paper_kappa(regime):.3g}"}]
        with np.errstate(over="ignore"):
            rate = float(np.exp(lyapunov["estimate"])) if lyapunov else math.nan
        if math.isfinite(rate):
            hlines.append({"y": rate, "label": f"measured contraction rate exp(λ₁) = {rate:.3g} ({lyapunov['method']})"})
        if regime.form == "s6":
            ell = s6_ratio_lower_bound(regime.s6, regime.input_law, regime.input_scale)
            hlines.append({"y": ell, "label": f"S6: exact lower bound ℓ of every ratio = {ell:.3g}"})
        ylabel = "E‖Δ_t‖ / E‖Δ_{t−1}‖ (dimensionless)"
    return {
        "title": f"{'Corrected Lemma 1' if corrected else 'Lemma 1'}: contraction ratio — {regime.name}",
        "panels": [{
            "xlabel": "step t", "ylabel": ylabel, "yscale": "linear", "series": series, "hlines": hlines,
            "note": "bands: confidence intervals at the per-comparison level (Bonferroni-adjusted); steps where "
                    "the copies are closer than float64 resolves are not drawn",
        }],
    }
