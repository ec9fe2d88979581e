"""The README's "Checking a Mamba layer" example, run as written: it writes a two-layer checkpoint in the
reference layout, reads one layer's channel subset through a regime file, and the command gives a row for
every claim that applies to form s6, with the verdicts the README's table states."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import numpy as np

from ssmverify.checks.cli import main
from ssmverify.theorems import CLAIMS, load_regime
from ssmverify.theorems.s6 import load_s6_weights, mamba_init

ROOT = Path(__file__).resolve().parent.parent


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("\n## Checking a Mamba layer\n", 1)[1].split("\n## ", 1)[0]


def _block(lang: str) -> str:
    return re.search(rf"```{lang}\n(.*?)```", _section(), re.S).group(1)


def test_the_readme_mamba_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    exec(compile(_block("python"), "README.md", "exec"), {})
    (tmp_path / "mamba-layer.toml").write_text(_block("toml"), encoding="utf-8")

    # the regime reads layer 1, channels 0..3, of the file the example wrote: the arrays of mamba_init(seed=1)
    # restricted to those channels, in float32 as stored
    regime = load_regime(tmp_path / "mamba-layer.toml", set(CLAIMS))
    expected = mamba_init(8, 4, 1, seed=1).restrict([0, 1, 2, 3])
    assert regime.form == "s6" and regime.d == 16 and regime.m == 4
    for name, value in expected.arrays().items():
        np.testing.assert_allclose(regime.s6.arrays()[name], value.astype(np.float32), rtol=0, atol=0)
    assert load_s6_weights(tmp_path / "mamba.safetensors", 1, [0, 1, 2, 3]) == regime.s6

    argv = shlex.split(_block("sh").strip())
    assert argv[0] == "ssmverify"
    code = main(argv[1:])
    assert code == 1   # some claims FAIL: the findings
    rows = {r["claim"]: r for r in json.loads((tmp_path / "mamba-out" / "results.json").read_text())["results"]}
    applies = {c.id for c in CLAIMS.values() if "s6" in c.forms and c.reason_not_applicable(regime) is None}
    assert set(rows) == applies
    assert {"lemma1", "lemma1-corrected", "theorem2", "theorem2-geometric", "fixed-point"} <= applies
    assert rows["lemma1"]["verdict"] == "FAIL" and rows["lemma1"]["method"] == "exact"
    assert rows["lemma1-corrected"]["verdict"] == "PASS"
    assert rows["theorem2"]["verdict"] == "PASS" and rows["theorem2"]["method"] == "exact"
    assert rows["theorem2-geometric"]["verdict"] == "FAIL"
    assert rows["fixed-point"]["verdict"] == "FAIL"
    memory = rows["theorem2"]["details"]["s6_memory"]
    assert np.asarray(memory["rates"], dtype=float).shape == (4, 4) and memory["units"]["memory"] == "steps"
    assert (tmp_path / "mamba-out" / "index.html").is_file()
