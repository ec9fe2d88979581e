"""Regime files: the schema is a contract, and bad files fail with one clear line and exit 2."""

from __future__ import annotations


import numpy as np
import pytest

from ssmverify.checks.cli import main
from ssmverify.checks.suite import builtin_regime_paths
from ssmverify.theorems import CLAIMS, RegimeError, load_regime

GOOD = """
name = "leaky-constant-gate"
claims = ["lemma1", "theorem2"]
[model]
form = "leaky"
A = [[0.5, 0.0], [0.0, 0.5]]
B = [[1.0], [1.0]]
noise_cov = 0.01
h0 = [0.0, 0.0]
[model.gate]
kind = "constant"
value = 0.3
[inputs]
law = "gaussian"
scale = 1.0
"""



def test_the_issue_example_parses(write_regime, tmp_path):
    r = load_regime(write_regime(GOOD), set(CLAIMS))
    assert r.name == "leaky-constant-gate" and r.claims == ("lemma1", "theorem2")
    assert r.d == 2 and r.m == 1 and r.form == "leaky"
    np.testing.assert_array_equal(r.noise_cov, 0.01 * np.eye(2))
    np.testing.assert_array_equal(r.gate_value, [0.3, 0.3])
    assert r.setting("lemma1", "steps") == 20  # defaults for the optional tables


def test_optional_tables_and_sigmoid_defaults(write_regime, tmp_path):
    text = GOOD.replace('kind = "constant"\nvalue = 0.3', 'kind = "sigmoid"\nW = [[1.0], [2.0]]')
    text += "\n[lemma1]\nsteps = 5\nseparations = [0.1, 2]\n[fano]\nsteps = 8\n"
    r = load_regime(write_regime(text), set(CLAIMS))
    np.testing.assert_array_equal(r.U, np.zeros((2, 2)))
    np.testing.assert_array_equal(r.b, np.zeros(2))
    assert not r.gate_depends_on_state
    assert r.setting("lemma1", "separations") == (0.1, 2.0) and r.setting("fano", "steps") == 8


def test_the_shipped_examples_are_valid_regimes():
    from pathlib import Path
    examples = sorted((Path(__file__).parent.parent / "examples").glob("*.toml"))
    assert examples
    for path in examples:
        assert load_regime(path, set(CLAIMS)).description


def test_every_builtin_regime_is_valid():
    paths = builtin_regime_paths()
    assert len(paths) >= 6
    for name, path in paths.items():
        regime = load_regime(path, set(CLAIMS))
        assert regime.name == name and regime.description, f"{path}: needs a one-line description"


BAD = [
    ("A = [[0.5, 0.0], [0.0, 0.5]]", "A = [[0.5, 0.0, 1.0], [0.0, 0.5, 1.0]]", "model.A", "square"),
    ("B = [[1.0], [1.0]]", "B = [[1.0], [1.0], [1.0]]", "model.B", "wrong shape"),
    ("noise_cov = 0.01", "noise_cov = [[0.01, 0.02], [0.0, 0.01]]", "model.noise_cov", "symmetric"),
    ("noise_cov = 0.01", "noise_cov = [[0.01, 0.02], [0.02, 0.01]]", "model.noise_cov", "positive semidefinite"),
    ("noise_cov = 0.01", "noise_cov = -1.0", "model.noise_cov", ">= 0"),
    ("value = 0.3", "value = 1.3", "model.gate.value", "[0, 1]"),
    ("value = 0.3", "value = [0.3, -0.1]", "model.gate.value", "[0, 1]"),
    ("value = 0.3", "valeu = 0.3", "model.gate.valeu", "did you mean 'value'"),
    ('form = "leaky"', 'form = "leaky"\nforn = 1', "model.forn", "did you mean 'form'"),
    ("scale = 1.0", "scale = nan", "inputs.scale", "finite"),
    ("A = [[0.5, 0.0], [0.0, 0.5]]", "A = [[0.5, nan], [0.0, 0.5]]", "model.A[0][1]", "finite"),
    ('claims = ["lemma1", "theorem2"]', 'claims = ["lemma1", "theorem3"]', "claims", "unknown claim id 'theorem3'"),
    ('law = "gaussian"', 'law = "cauchy"', "inputs.law", "must be one of"),
    ("h0 = [0.0, 0.0]", "h0 = [0.0]", "model.h0", "wrong shape"),
    ('name = "leaky-constant-gate"', "", "name", "missing"),
    ("scale = 1.0", 'scale = "big"', "inputs.scale", "must be a number"),
    ("value = 0.3", "value = true", "model.gate.value", "must be a number"),
]


@pytest.mark.parametrize("old,new,key,problem", BAD)
def test_bad_file_is_refused_naming_file_and_key(write_regime, tmp_path, old, new, key, problem):
    assert old in GOOD
    path = write_regime(GOOD.replace(old, new, 1))
    with pytest.raises(RegimeError) as info:
        load_regime(path, set(CLAIMS))
    message = str(info.value)
    assert str(path) in message and f"'{key}'" in message and problem in message, message


def test_invalid_toml_and_missing_file(write_regime, tmp_path):
    path = write_regime("name = \n")
    with pytest.raises(RegimeError, match="not valid TOML"):
        load_regime(path)
    with pytest.raises(RegimeError, match="file not found"):
        load_regime(tmp_path / "absent.toml")


@pytest.mark.parametrize("old,new,key,problem", BAD[:4] + BAD[7:8] + BAD[11:12])
def test_cli_bad_file_exits_2_with_one_line_and_writes_nothing(write_regime, tmp_path, capsys, old, new, key, problem):
    path = write_regime(GOOD.replace(old, new, 1))
    out = tmp_path / "out"
    status = main(["run", str(path), "--quick", "--out", str(out)])
    captured = capsys.readouterr()
    assert status == 2
    assert "Traceback" not in captured.err
    lines = [ln for ln in captured.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and str(path) in lines[0] and key in lines[0]
    assert not out.exists()


@pytest.mark.parametrize("argv,fragment", [
    (["run", "builtin:nope"], "no built-in regime"),
    (["run", "--claims", "lemma9"], "unknown claim id"),
    (["run", "--alpha", "1.5"], "strictly between 0 and 1"),
    (["run", "--seed", "-3"], "must be >= 0"),
    (["report", "/nonexistent-dir"], "no results.json"),
])
def test_cli_bad_arguments_exit_2(tmp_path, capsys, argv, fragment):
    status = main(argv + (["--out", str(tmp_path / "o")] if argv[0] == "run" else []))
    err = capsys.readouterr().err
    assert status == 2 and fragment in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
