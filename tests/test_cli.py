"""The ssmverify command end to end: exit status, determinism, reproduce commands."""

from __future__ import annotations

import json
import shlex

import pytest

from ssmverify.checks.cli import main

CONVERGING = """
name = "hand-written-converging"
claims = ["lemma1-corrected", "theorem2"]
[model]
form = "leaky"
A = [[0.6, 0.1], [0.0, 0.4]]
B = [[1.0], [0.0]]
noise_cov = 0.02
[model.gate]
kind = "constant"
value = [0.5, 0.9]
[inputs]
law = "rademacher"
scale = 1.0
[lemma1]
steps = 5
[theorem2]
steps = 80
"""


@pytest.fixture
def regime_file(tmp_path):
    path = tmp_path / "converging.toml"
    path.write_text(CONVERGING)
    return path


def rows(out):
    return json.loads((out / "results.json").read_text())["results"]


def test_exit_0_without_fail_and_the_verdicts_the_mathematics_predicts(regime_file, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["run", str(regime_file), "--quick", "--out", str(out)]) == 0
    got = {r["claim"]: r["verdict"] for r in rows(out)}
    # M = I − diag(g)(I − A) has spectral radius < 1: the chain converges; the corrected lemma always holds.
    assert got == {"lemma1-corrected": "PASS", "theorem2": "PASS"}
    printed = capsys.readouterr().out
    assert "theorem2" in printed and "PASS" in printed and "CI" in printed
    assert (out / "report.md").exists()
    for row in rows(out):
        assert all((out / f).exists() for f in row["figures"])


def test_exit_1_when_a_claim_fails(tmp_path):
    assert main(["run", "builtin:constant-gate", "--claims", "lemma1", "--quick", "--out", str(tmp_path / "o")]) == 1


def test_same_seed_same_bytes_different_seed_different_numbers(regime_file, tmp_path):
    # lemma1-corrected is decided by Monte Carlo (theorem2 is exact on this linear chain: seed-free)
    args = ["run", str(regime_file), "--quick", "--claims", "lemma1-corrected"]
    main(args + ["--out", str(tmp_path / "a")])
    main(args + ["--out", str(tmp_path / "b")])
    main(args + ["--out", str(tmp_path / "c"), "--seed", "1"])
    a = (tmp_path / "a" / "results.json").read_bytes()
    assert a == (tmp_path / "b" / "results.json").read_bytes()
    assert rows(tmp_path / "a")[0]["statistic"] != rows(tmp_path / "c")[0]["statistic"]


def test_a_rows_reproduce_command_reproduces_the_row(regime_file, tmp_path):
    out = tmp_path / "suite"
    main(["run", str(regime_file), "builtin:constant-gate", "--quick", "--out", str(out)])
    row = [r for r in rows(out) if r["regime"] == "constant-gate" and r["claim"] == "theorem2"][0]
    argv = shlex.split(row["details"]["reproduce"])
    assert argv[:2] == ["ssmverify", "run"] and "--family-size" in argv
    main(argv[1:] + ["--out", str(tmp_path / "again")])
    again = rows(tmp_path / "again")[0]
    for key in ("verdict", "statistic", "bound", "ci", "n_samples"):
        assert again[key] == row[key]
    assert again["details"]["statistics"] == row["details"]["statistics"]


def test_list_names_claims_and_builtin_regimes(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "lemma1" in out and "theorem2" in out and "constant-gate" in out


def test_results_json_follows_the_public_schema(regime_file, tmp_path):
    out = tmp_path / "o"
    main(["run", str(regime_file), "--quick", "--claims", "theorem2", "--alpha", "0.05", "--seed", "7",
          "--out", str(out)])
    doc = json.loads((out / "results.json").read_text())
    assert doc["schema"] == 1 and doc["seed"] == 7 and doc["alpha"] == 0.05 and doc["version"]
    row = doc["results"][0]
    assert set(row) == {"regime", "claim", "verdict", "hypotheses_hold", "statistic", "bound", "ci", "n_samples",
                        "method", "details", "figures"}
    assert row["method"] in ("monte-carlo", "exact", "observation")
    stats = row["details"]["statistics"]
    assert stats["alpha"] == 0.05 and 0 < stats["level"] <= 0.05
    assert len(row["ci"]) == 2 and row["n_samples"] >= 1024
