"""The public Python API: ``import ssmverify``, typed results, the README's example, one installed name."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ssmverify
from ssmverify.checks.cli import main

ROOT = Path(__file__).resolve().parent.parent


def readme_block(heading: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_api_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(readme_block("Python API"), "README.md", "exec"), {})
    assert (tmp_path / "api-out" / "results.json").is_file() and (tmp_path / "api-out" / "index.html").is_file()


def test_results_are_typed_and_equal_to_what_the_command_writes(tmp_path):
    results = ssmverify.run(["builtin:constant-gate"], claims=["lemma1", "theorem2"], quick=True, seed=3)
    assert len(results) == 2 and isinstance(results.rows, tuple)
    for row in results:
        assert isinstance(row, ssmverify.CheckResult) and isinstance(row.verdict, ssmverify.Verdict)
        assert isinstance(row.ci, tuple) and len(row.ci) == 2 and isinstance(row.n_samples, int)
        assert row.method in ("monte-carlo", "exact", "observation")
        assert row.comparisons and row.hypotheses
    assert results.counts[ssmverify.Verdict.FAIL] == 1 and results.failed
    assert json.loads(json.dumps(results.to_json()))["results"][0]["verdict"] == "FAIL"   # plain strings
    written = results.write(tmp_path / "api")
    assert main(["run", "builtin:constant-gate", "--claims", "lemma1,theorem2", "--quick", "--seed", "3",
                 "--out", str(tmp_path / "cli")]) == 1
    api_doc = json.loads((written / "results.json").read_text(encoding="utf-8"))
    cli_doc = json.loads((tmp_path / "cli" / "results.json").read_text(encoding="utf-8"))
    assert api_doc == cli_doc                     # the command is a thin layer over the API
    again = ssmverify.load_results(written)
    assert again.to_json() == results.to_json() and [r.verdict for r in again] == [r.verdict for r in results]


def test_verdict_is_a_string_enum():
    v = ssmverify.Verdict.FAIL
    assert v == "FAIL" and str(v) == "FAIL" and f"{v}" == "FAIL" and json.dumps(v) == '"FAIL"'
    assert list(ssmverify.Verdict) == ["PASS", "FAIL", "INCONCLUSIVE", "NOT_APPLICABLE"]


def test_plan_validates_and_estimates_without_simulating():
    plan = ssmverify.plan(["builtin:constant-gate"], claims="lemma1", quick=True)
    assert plan.family_size >= 1 and len(plan.rows) == 1
    (label, mem, sec), = plan.estimates()
    assert "lemma1" in label and mem > 0 and sec > 0


@pytest.mark.parametrize("kwargs, message", [
    ({"alpha": 1.5}, "alpha: must be a number strictly between 0 and 1"),
    ({"alpha": 1e-300}, "alpha: the per-comparison level"),
    ({"seed": -1}, "seed: must be a whole number"),
    ({"claims": ["lemma9"]}, "claims: unknown claim id(s) 'lemma9'"),
    ({"family_size": 0}, "family_size: must be a whole number"),
    ({"regimes": [3.5]}, "regimes: 3.5 is neither"),
    ({"regimes": ["builtin:nope"]}, "builtin:nope: no built-in regime of that name"),
])
def test_bad_arguments_name_the_argument(kwargs, message):
    kwargs = {"regimes": ["builtin:constant-gate"], **kwargs}
    with pytest.raises(ssmverify.SsmverifyError) as info:
        ssmverify.plan(kwargs.pop("regimes"), **kwargs)
    assert message in str(info.value)


def test_load_regime_and_the_registry():
    regime = ssmverify.load_regime("builtin:constant-gate")
    assert isinstance(regime, ssmverify.Regime) and regime.name == "constant-gate"
    claims = ssmverify.claims()
    assert list(claims)[:3] == ["lemma1", "lemma1-corrected", "theorem2"]
    assert all(isinstance(c, ssmverify.Claim) for c in claims.values())


def test_notebook_display_of_results_and_rows():
    results = ssmverify.run(["builtin:constant-gate"], claims=["lemma1"], quick=True)
    page = results._repr_html_()
    assert "constant-gate" in page and "lemma1" in page and "FAIL" in page
    assert "data:image/png;base64," in page
    assert "lemma1" in results.rows[0]._repr_html_()


def test_one_installed_name(tmp_path):
    """From a folder outside the repository: ``import ssmverify`` works, the generic names do not exist."""
    code = ("import importlib.util, ssmverify, ssmverify.checks, ssmverify.theorems;"
            "print([importlib.util.find_spec(n) is None for n in ('checks', 'theorems', 'estimators', 'reports')])")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[True, True, True, True]"


def test_import_ssmverify_is_light(tmp_path):
    """``import ssmverify`` loads no JAX (names load on first use), so the command answers --help at once."""
    code = "import sys, ssmverify; print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
