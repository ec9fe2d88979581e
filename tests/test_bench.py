"""``ssmverify bench``: its NumPy reference is the simulator's model, its report has every field, its CLI
exits 0 (and 2 on bad arguments).  No speed is asserted: only that the numbers exist and are positive."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ssmverify.checks.bench import bench_model_params, numpy_reference, run_bench
from ssmverify.checks.cli import main
from ssmverify.theorems._reference import reference_trajectory

FIELDS = {"paths", "steps", "chains", "d", "m", "repeats", "precision", "model", "normals_per_path_step",
          "toolkit", "numpy", "ratio", "rng_ceiling", "toolkit_normals_per_s", "devices", "platform", "jax",
          "jax_random_normal"}


@pytest.mark.parametrize("chains", [1, 3])
def test_numpy_reference_is_the_simulated_model(chains):
    """The reference loop is the twin's leaky sigmoid-gated update on the normals it draws (inputs and one
    noise vector per path and step, shared by the chains)."""
    d, m, paths, steps = 5, 3, 4, 6
    p = bench_model_params(d, m)
    got = numpy_reference(p, paths, steps, chains, seed=11)
    rng = np.random.default_rng(11)
    z = np.stack([rng.standard_normal((paths, m + d)) for _ in range(steps)], axis=1)   # (P, T, m + d)
    twin = {"A": p["A"], "B": p["B"], "form": "leaky", "gate": "sigmoid", "W": p["W"], "U": p["U"], "b": p["b"]}
    for i in range(paths):
        xs = p["input_scale"] * z[i, :, :m]
        ws = np.repeat((z[i, :, m:] @ p["L"].T)[:, None, :], chains, axis=1)
        ref = reference_trajectory(twin, np.zeros((chains, d)), xs, ws)
        np.testing.assert_allclose(got[i], ref[-1], rtol=1e-12, atol=1e-12)


def _check_fields(result: dict, paths: int, steps: int, chains: int) -> None:
    assert FIELDS <= set(result)
    assert (result["paths"], result["steps"], result["chains"]) == (paths, steps, chains)
    assert result["precision"] == "float64"
    assert result["normals_per_path_step"] == result["m"] + result["d"]
    for side in ("toolkit", "numpy"):
        assert result[side]["path_steps_per_s"] > 0 and len(result[side]["seconds"]) == result["repeats"]
    assert result["ratio"] > 0
    assert result["rng_ceiling"]["normals_per_s"] > 0
    assert result["devices"] and all(isinstance(dev, str) for dev in result["devices"])


def test_run_bench_reports_every_field():
    result = run_bench(paths=64, steps=5, chains=2, d=3, m=2, repeats=2)
    _check_fields(result, 64, 5, 2)
    json.dumps(result)   # JSON-ready


def test_cli_bench_json(capsys):
    assert main(["bench", "--paths", "32", "--steps", "4", "--chains", "3", "--d", "4", "--m", "2",
                 "--repeats", "1", "--json"]) == 0
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 1
    _check_fields(json.loads(out), 32, 4, 3)


def test_cli_bench_text(capsys):
    assert main(["bench", "--paths", "16", "--steps", "3", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "path-steps/s" in out and "ratio" in out and "ceiling" in out and "devices" in out


@pytest.mark.parametrize("argv", [["--paths", "0"], ["--steps", "-3"], ["--chains", "x"], ["--d", "1.5"],
                                  ["--m", ""], ["--repeats", "0"], ["--bogus"]])
def test_cli_bench_bad_arguments_exit_2_with_one_line(argv, capsys):
    assert main(["bench", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and captured.err.startswith("error:")


def test_cli_bench_refuses_a_run_too_big_for_memory(monkeypatch, capsys):
    monkeypatch.setenv("SSMVERIFY_MAX_MEMORY", "1G")
    assert main(["bench", "--paths", "100000000", "--d", "64"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "memory" in err
