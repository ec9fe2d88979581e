"""The simulator's serialised programs (theorems/_programs.py): the very arrays the traced program gives,
read back by a fresh process without tracing, and never used where the source digest does not cover the
observer."""

from __future__ import annotations

import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from ssmverify.theorems import _programs
from ssmverify.theorems.model import Model, simulate, simulate_grid

_SCRIPT = r"""
import os, sys
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
import jax, numpy as np
from ssmverify.theorems import _programs
from ssmverify.theorems.model import Model, simulate, simulate_grid
from ssmverify.checks.theorem2 import _observe          # an observer of the package: covered by the digest

mode, folder, out = sys.argv[1:4]
if mode == "load":        # a second process reads the programs back: exporting (tracing) again is an error
    import jax.export
    def refuse(*args, **kwargs):
        raise AssertionError("the program was exported again")
    jax.export.export = refuse
if mode != "direct":
    _programs.use_program_cache(folder)
assert len(jax.devices()) == 2
rng = np.random.default_rng(0)
d, m = 3, 2
model = Model.build(rng.normal(size=(d, d)) * 0.5, rng.normal(size=(d, m)), 0.02, form="leaky",
                    W=rng.normal(size=(d, m)), U=rng.normal(size=(d, d)), b=rng.normal(size=d))
key, h0s = jax.random.key(4), rng.normal(size=(1100, 4, d))
res = {}
f, o = simulate(model, key, h0s, 7, observe=_observe, first_path=3)
res.update({"final": f, **o})
other = model.replace(A=model.A * 0.3)        # new parameter values: the same program
f, o = simulate(other, key, h0s, 7, observe=_observe)
res.update({"other.final": f, **{f"other.{k}": v for k, v in o.items()}})
f, o = simulate_grid([model, other], key, np.stack([h0s[:600]] * 2), 7, observe=_observe)
res.update({"grid.final": f, **{f"grid.{k}": v for k, v in o.items()}})
np.savez(out, **res)
"""


def test_serialised_programs_give_the_traced_programs_arrays_and_are_read_back(tmp_path):
    """Two devices, as the command runs: without the cache, exporting, and a fresh process reading the
    programs back (exporting refused there) give bit-identical finals and observations, for simulate
    (two parameter values, one program) and simulate_grid; the second process writes nothing."""
    script = tmp_path / "programs.py"
    script.write_text(_SCRIPT)
    folder = tmp_path / "programs"
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    runs = {}
    for mode in ("direct", "export", "load"):
        out = tmp_path / f"{mode}.npz"
        subprocess.run([sys.executable, str(script), mode, str(folder), str(out)], check=True, env=env,
                       timeout=600)
        runs[mode] = np.load(out)
        if mode == "export":
            written = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
            assert len(written) == 2, written          # simulate's program and the grid's
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == written
    for mode in ("export", "load"):
        assert sorted(runs[mode].files) == sorted(runs["direct"].files)
        for name in runs["direct"].files:
            np.testing.assert_array_equal(runs[mode][name], runs["direct"][name], err_msg=f"{mode}: {name}")


def _local_observer(model, t, hp, h, x, w, g):
    return {"h": h}


@pytest.fixture
def program_folder(tmp_path):
    previous = _programs.program_cache()
    _programs.use_program_cache(tmp_path / "programs")
    yield tmp_path / "programs"
    _programs.use_program_cache(previous)


def _model():
    rng = np.random.default_rng(1)
    return Model.build(rng.normal(size=(2, 2)) * 0.5, rng.normal(size=(2, 1)), 0.1, W=rng.normal(size=(2, 1)))


def test_observers_outside_the_package_are_traced_not_cached(program_folder):
    """The source digest covers only the package, so a test's (or a plugin's) observer never gets a file."""
    model, key, h0s = _model(), jax.random.key(2), np.zeros((40, 1, 2))
    f, o = simulate(model, key, h0s, 5, observe=_local_observer)
    assert not program_folder.exists() or not any(program_folder.iterdir())
    _programs.use_program_cache(None)
    f2, o2 = simulate(model, key, h0s, 5, observe=_local_observer)
    np.testing.assert_array_equal(f, f2)
    np.testing.assert_array_equal(o["h"], o2["h"])


def test_an_unreadable_program_is_exported_again_and_the_key_separates_horizons(program_folder):
    """A damaged file is replaced by a fresh export with the same results; another horizon (a static
    argument) is another program."""
    from ssmverify.checks.theorem2 import _observe

    model, key, h0s = _model(), jax.random.key(3), np.zeros((40, 5, 2))
    f, o = simulate(model, key, h0s, 6, observe=_observe)
    (path,) = program_folder.iterdir()
    path.write_bytes(b"not a serialised program")
    _programs.use_program_cache(program_folder)          # forget the program loaded in this process
    f2, o2 = simulate(model, key, h0s, 6, observe=_observe)
    np.testing.assert_array_equal(f, f2)
    np.testing.assert_array_equal(o["dist2"], o2["dist2"])
    assert path.read_bytes() != b"not a serialised program"
    simulate(model, key, h0s, 7, observe=_observe)
    assert len(list(program_folder.iterdir())) == 2
    _programs.use_program_cache(None)
    f3, o3 = simulate(model, key, h0s, 6, observe=_observe)
    np.testing.assert_array_equal(f, f3)
    np.testing.assert_array_equal(o["dist2"], o3["dist2"])
