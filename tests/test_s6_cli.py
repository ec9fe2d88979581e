"""Form s6 through the command and the probe: a bad checkpoint is refused with one line naming the file and the
tensor (exit 2, nothing written); the probe's S6 knobs change exactly the arrays they name, and the paper's
knobs are refused on S6 (and the S6 knobs on the paper's forms)."""

from __future__ import annotations

import numpy as np
import pytest

from ssmverify.checks._knobs import KnobError, apply_knobs, regime_to_dict
from ssmverify.checks.cli import main
from ssmverify.checks.suite import resolve_regimes
from ssmverify.theorems import CLAIMS, parse_regime
from ssmverify.theorems.s6 import mamba_init

REGIME = """name = "layer"
[model]
form = "s6"
weights = "{weights}"
layer = {layer}
channels = [0, 1]
noise_cov = 1e-4
[inputs]
law = "gaussian"
scale = 1.0
"""


def _checkpoint(path, *, drop: str | None = None, x_rows: int | None = None):
    from safetensors.numpy import save_file

    p = mamba_init(4, 3, 1, seed=0)
    prefix = "backbone.layers.0.mixer."
    x_proj = np.concatenate([p.x_proj_dt, p.x_proj_B, np.zeros((3, 4))])
    tensors = {prefix + "A_log": p.A_log, prefix + "x_proj.weight": x_proj if x_rows is None else x_proj[:x_rows],
               prefix + "dt_proj.weight": p.dt_proj_weight, prefix + "dt_proj.bias": p.dt_proj_bias}
    if drop:
        del tensors[prefix + drop]
    save_file(tensors, str(path))


@pytest.mark.parametrize("case, needle", [
    ({"drop": "dt_proj.bias"}, "dt_proj.bias"),
    ({"x_rows": 5}, "x_proj.weight"),
    ({"layer": 3}, "layers.3"),
    ({"missing": True}, "nope.safetensors"),
])
def test_a_bad_checkpoint_is_refused_with_one_line_naming_file_and_tensor(tmp_path, capsys, case, needle):
    weights = "nope.safetensors" if case.get("missing") else "ckpt.safetensors"
    if not case.get("missing"):
        _checkpoint(tmp_path / weights, drop=case.get("drop"), x_rows=case.get("x_rows"))
    regime = tmp_path / "layer.toml"
    regime.write_text(REGIME.format(weights=weights, layer=case.get("layer", 0)), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(regime), "--quick", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(regime) in err and needle in err, err
    assert not out.exists()


def test_a_good_checkpoint_runs_relative_to_the_regime_file(tmp_path, monkeypatch, capsys):
    _checkpoint(tmp_path / "ckpt.safetensors")
    (tmp_path / "layer.toml").write_text(REGIME.format(weights="ckpt.safetensors", layer=0), encoding="utf-8")
    monkeypatch.chdir(tmp_path.parent)   # the weights path is read relative to the regime file, not the cwd
    assert main(["run", str(tmp_path / "layer.toml"), "--quick", "--claims", "theorem2", "--out",
                 str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "results.json").is_file()


def test_s6_probe_knobs_change_exactly_their_arrays():
    base = resolve_regimes(["builtin:mamba-init"])[0]
    scaled = apply_knobs(base, {"A_scale": 2.5, "dt_bias_scale": 0.5})
    np.testing.assert_allclose(scaled.s6.A, 2.5 * base.s6.A, rtol=1e-14)
    np.testing.assert_allclose(scaled.s6.dt_proj_bias, 0.5 * base.s6.dt_proj_bias, rtol=0)
    for name in ("dt_proj_weight", "x_proj_dt", "x_proj_B"):
        np.testing.assert_array_equal(getattr(scaled.s6, name), getattr(base.s6, name))
    entry = apply_knobs(base, {"model.A_log[1][2]": 0.25})
    assert entry.s6.A_log[1, 2] == 0.25 and np.sum(entry.s6.A_log != base.s6.A_log) == 1
    # the dictionary form round-trips through the validator, arrays and all
    again = parse_regime(regime_to_dict(base), "again", set(CLAIMS))
    assert again.s6 == base.s6 and again.fingerprint() != "" and np.array_equal(again.noise_cov, base.noise_cov)


@pytest.mark.parametrize("knob", ["rho", "lipschitz", "gate"])
def test_paper_knobs_are_refused_on_s6(knob):
    base = resolve_regimes(["builtin:mamba-init"])[0]
    with pytest.raises(KnobError, match="S6"):
        apply_knobs(base, {knob: 0.5})


def test_s6_knobs_are_refused_on_the_papers_forms():
    base = resolve_regimes(["builtin:sigmoid-quiet"])[0]
    with pytest.raises(KnobError, match="s6"):
        apply_knobs(base, {"A_scale": 2.0})
    with pytest.raises(KnobError, match="> 0"):
        apply_knobs(resolve_regimes(["builtin:mamba-init"])[0], {"A_scale": -1.0})


def test_binary_inputs_too_many_for_exact_expectations_are_not_applicable_not_an_error(tmp_path):
    """24 binary channels: the exact law of W_Δ[c]·x has 2^24 atoms, beyond the enumeration limit. The claims
    that need those expectations say so (NOT_APPLICABLE with the reason); the others still run."""
    import ssmverify

    p = mamba_init(24, 1, 1, seed=2)
    arrays = "\n".join(f"{k} = {v.tolist()!r}" for k, v in p.arrays().items())
    path = tmp_path / "wide.toml"
    path.write_text(f'name = "wide"\n[model]\nform = "s6"\n{arrays}\nnoise_cov = 1e-4\n'
                    '[inputs]\nlaw = "rademacher"\nscale = 1.0\n', encoding="utf-8")
    rows = {r.claim: r for r in ssmverify.run([str(path)], claims=["lemma1", "theorem2", "gate-retains"], quick=True)}
    for claim in ("lemma1", "theorem2"):
        assert rows[claim].verdict == "NOT_APPLICABLE" and "atoms" in rows[claim].details["reason"], claim
    assert rows["gate-retains"].verdict == "PASS"


def test_fixed_point_without_noise_or_drive_stands_on_its_proof_when_the_radius_cannot_be_computed(tmp_path):
    import ssmverify

    p = mamba_init(24, 1, 1, seed=3)
    arrays = {**p.arrays(), "x_proj_B": np.zeros_like(p.x_proj_B)}      # no drive: 0 is the common fixed point
    text = "\n".join(f"{k} = {v.tolist()!r}" for k, v in arrays.items())
    path = tmp_path / "still.toml"
    path.write_text(f'name = "still"\n[model]\nform = "s6"\n{text}\nnoise_cov = 0.0\n'
                    '[inputs]\nlaw = "rademacher"\nscale = 1.0\n', encoding="utf-8")
    (row,) = ssmverify.run([str(path)], claims=["fixed-point"], quick=True)
    assert row.verdict == "PASS" and row.method == "exact"
