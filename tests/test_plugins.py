"""Claims of one's own: ``--plugin FILE.py`` and ``plugins=``, with the shipped example.

The example's claim (examples/custom_claim.py) is checked against an oracle it does not compute itself:
E‖h_t‖ from an independent NumPy simulation (the reference twin's update, NumPy's generator).
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import ssmverify
from ssmverify.checks.cli import main
from ssmverify.theorems._reference import reference_trajectory

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "custom_claim.py"


def test_the_example_plugin_gives_a_row_in_every_report_format(tmp_path, capsys):
    out = tmp_path / "out"
    status = main(["run", "--plugin", str(EXAMPLE), "builtin:constant-gate", "--quick", "--out", str(out)])
    assert status in (0, 1)
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    rows = [r for r in doc["results"] if r["claim"] == "norm-growth"]
    assert len(rows) == 1 and rows[0]["verdict"] == "PASS" and rows[0]["method"] == "monte-carlo"
    assert "--plugin" in rows[0]["details"]["reproduce"]
    assert any(r["claim"] == "lemma1" for r in doc["results"])        # the built-in claims run beside it
    assert 'id="card-constant-gate--norm-growth"' in (out / "index.html").read_text(encoding="utf-8")
    assert "norm-growth" in (out / "report.md").read_text(encoding="utf-8")
    assert "norm-growth" in (out / "results.tex").read_text(encoding="utf-8")
    cases = {c.get("name") for c in ET.parse(out / "junit.xml").getroot().iter("testcase")}
    assert "norm-growth" in cases
    assert len(rows[0]["figures"]) == 1 and (out / rows[0]["figures"][0]).is_file()
    capsys.readouterr()
    assert main(["list", "--plugin", str(EXAMPLE)]) == 0
    assert "norm-growth" in capsys.readouterr().out


def test_the_plugin_claim_against_an_independent_numpy_simulation():
    """E‖h_t‖ measured by the plugin's check vs a NumPy simulation of the same chain (other random numbers)."""
    results = ssmverify.run(["builtin:constant-gate"], claims=["norm-growth"], plugins=[EXAMPLE], quick=True)
    comps = {c["t"]: c for c in results.rows[0].comparisons}
    regime = ssmverify.load_regime("builtin:constant-gate")
    rng = np.random.default_rng(12345)
    n, T = 4000, max(comps)
    params = {"A": regime.A, "B": regime.B, "form": regime.form, "gate": "constant", "gate_value": regime.gate_value}
    chol = np.linalg.cholesky(regime.noise_cov)
    norms = np.empty((n, T))
    for p in range(n):
        xs = regime.input_scale * rng.standard_normal((T, regime.m))
        ws = (rng.standard_normal((T, 1, regime.d)) @ chol.T)
        traj = reference_trajectory(params, regime.h0[None, :], xs, ws)   # (T, 1, d)
        norms[p] = np.linalg.norm(traj[:, 0, :], axis=-1)
    for t, c in comps.items():
        ref, ref_se = norms[:, t - 1].mean(), norms[:, t - 1].std(ddof=1) / math.sqrt(n)
        half = (c["ci"][1] - c["ci"][0]) / 2          # the check's interval at its per-comparison level
        assert abs(c["statistic"] - ref) <= half + 5 * ref_se, (t, c["statistic"], ref)
        # the claimed bound, by hand: ‖h_0‖ + t(s‖B‖_F + √tr Q) = t(√2 + 0.1·√2) for this regime
        assert c["bound"] == pytest.approx(t * (math.sqrt(2) + math.sqrt(0.02)), rel=1e-12)


def test_the_plugin_settings_table_is_declared_with_its_claim(tmp_path):
    regime = tmp_path / "r.toml"
    regime.write_text('name = "r"\nclaims = ["norm-growth"]\n[model]\nform = "gated"\nA = [[0.5]]\nB = [[1.0]]\n'
                      'noise_cov = 0.01\n[model.gate]\nkind = "constant"\nvalue = 1.0\n[inputs]\nlaw = "gaussian"\n'
                      '[norm_growth]\nsteps = 3\n', encoding="utf-8")
    results = ssmverify.run([regime], plugins=[EXAMPLE], quick=True)
    assert [r.claim for r in results] == ["norm-growth"]
    assert sorted(c["t"] for c in results[0].comparisons) == [1, 2, 3]
    # without the plugin, the file names an unknown claim and an unknown table: refused before any work
    with pytest.raises(ssmverify.SsmverifyError, match="unknown"):
        ssmverify.load_regime(regime)


def _plugin(tmp_path, text: str) -> Path:
    path = tmp_path / "plugin.py"
    path.write_text(text, encoding="utf-8")
    return path


BAD_PLUGINS = [
    ("raise RuntimeError('boom')\n", "raised RuntimeError while it was imported: boom"),
    ("def f(:\n", "not valid Python"),
    ("X = 1\n", "defines no CHECKS"),
    ("CHECKS = [object()]\n", "is not a check"),
    ("import ssmverify.checks._registry as r\nCHECKS = [r.CHECKS['lemma1']]\n", "already registered"),
]


@pytest.mark.parametrize("text, message", BAD_PLUGINS)
def test_a_bad_plugin_is_bad_input_exit_2_naming_the_file(tmp_path, capsys, text, message):
    path = _plugin(tmp_path, text)
    out = tmp_path / "out"
    status = main(["run", "--plugin", str(path), "builtin:constant-gate", "--quick", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and str(path) in err[0] and message in err[0], err
    assert not out.exists()


def test_a_missing_plugin_file_and_a_non_python_one(tmp_path, capsys):
    for name in ("absent.py", "notes.txt"):
        status = main(["run", "--plugin", str(tmp_path / name), "--quick", "--out", str(tmp_path / "o")])
        err = capsys.readouterr().err
        assert status == 2 and name in err
    with pytest.raises(ssmverify.PluginError, match="absent.py"):
        ssmverify.run(plugins=[tmp_path / "absent.py"])


def test_plugins_do_not_change_the_builtin_registry():
    before = list(ssmverify.claims())
    ssmverify.plan(["builtin:constant-gate"], plugins=[EXAMPLE], claims=["norm-growth"])
    assert list(ssmverify.claims()) == before and "norm-growth" not in before
    assert "norm-growth" in ssmverify.claims(plugins=[EXAMPLE])
