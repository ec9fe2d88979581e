"""The run side of a hostile user: every input gets a verdict or one line, and a killed run leaves a consistent folder.

* Hostile inputs (in-process, mostly ``--dry-run``: validated, estimated, never simulated): regime files of any
  bytes and any numbers, every option, the output folder, the size estimate.  Exit status 2, one line on stderr
  naming what is wrong, no traceback, nothing written.  Exit 3 for an internal error (traceback only with
  ``--debug``), 130 for an interrupt, and neither touches the output folder.
* Property-based (Hypothesis): regime documents generated from the schema of ``theorems/regime.py`` and then
  mutated (wrong types, huge and tiny numbers, NaN, unknown keys, random and non-UTF-8 bytes) give exit status
  0, 1 or 2, no traceback, and nothing written on 2.  A few valid ones run for real (tiny steps, ``--quick``).
* Kill and interrupt tests (subprocesses): SIGKILL and SIGINT at start-up, during the simulation, while figure
  workers draw, between report files and between the two renames of the folder swap.  The folder is then the
  old complete run (or, once the next start has cleaned up, is restored to it) or a complete new run that
  ``ssmverify report`` re-renders to the same bytes; no process is left behind; SIGINT gives 130 and one line;
  a second run into a folder in use is refused with exit 2, naming the run that holds it.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssmverify.checks import cli
from ssmverify.checks.cli import main

LINUX = sys.platform.startswith("linux")

GOOD = """\
name = "hostile"
description = "a small valid regime"
[model]
form = "gated"
A = [[0.5, 0.1], [0.0, 0.4]]
B = [[1.0], [0.5]]
noise_cov = 0.05
h0 = [0.0, 0.0]
[model.gate]
kind = "constant"
value = 0.5
[inputs]
law = "gaussian"
scale = 1.0
[lemma1]
steps = 3
[theorem2]
steps = 20
"""


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)`` with stdout and stderr captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def assert_refused(status: int, err: str, *fragments: str) -> str:
    """Exit 2 with exactly one line on stderr, no traceback, naming every fragment."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert status == 2, (status, err)
    assert "Traceback" not in err
    refusal = [ln for ln in lines if ln.startswith("error: ")]
    assert len(refusal) == 1, err
    for fragment in fragments:
        assert fragment in refusal[0], (fragment, refusal[0])
    return refusal[0]


# ------------------------------------------------------------------------------------ hostile regime files

REGIME_CASES = [
    # (old, new, what the one line must name)
    ("A = [[0.5, 0.1], [0.0, 0.4]]", "A = [[1" + "0" * 400 + ", 0.1], [0.0, 0.4]]", ("model.A[0][0]", "float64")),
    ("A = [[0.5, 0.1], [0.0, 0.4]]", "A = [[-1" + "0" * 400 + ", 0.1], [0.0, 0.4]]", ("model.A[0][0]",)),
    ("noise_cov = 0.05", "noise_cov = 1" + "0" * 320, ("model.noise_cov", "float64")),
    ("scale = 1.0", "scale = inf", ("inputs.scale", "finite")),
    ("scale = 1.0", "scale = -inf", ("inputs.scale",)),
    ("scale = 1.0", "scale = nan", ("inputs.scale", "finite")),
    ("scale = 1.0", "scale = -0.5", ("inputs.scale", "> 0")),
    ("scale = 1.0", "scale = -1e-320", ("inputs.scale", "> 0")),
    ("scale = 1.0", "scale = 2024-01-01", ("inputs.scale", "must be a number")),
    ("scale = 1.0", "scale = [1.0]", ("inputs.scale", "must be a number")),
    ("scale = 1.0", "scale = {x = 1}", ("inputs.scale", "must be a number")),
    ("h0 = [0.0, 0.0]", "h0 = [0.0, nan]", ("model.h0[1]", "finite")),
    ("h0 = [0.0, 0.0]", "h0 = [0.0, 1e999]", ("model.h0[1]", "finite")),
    ("h0 = [0.0, 0.0]", "h0 = []", ("model.h0",)),
    ("h0 = [0.0, 0.0]", 'h0 = ["a", "b"]', ("model.h0[0]", "must be a number")),
    ("A = [[0.5, 0.1], [0.0, 0.4]]", "A = [[0.5, 0.1], [0.0]]", ("model.A",)),
    ("A = [[0.5, 0.1], [0.0, 0.4]]", "A = [[[0.5]]]", ("model.A",)),
    ("A = [[0.5, 0.1], [0.0, 0.4]]", "A = 0.5", ("model.A",)),
    ("A = [[0.5, 0.1], [0.0, 0.4]]", "A = []", ("model.A",)),
    ("B = [[1.0], [0.5]]", "B = [[1.0, true], [0.5, 0.5]]", ("model.B[0][1]",)),
    ("noise_cov = 0.05", "noise_cov = [[1e308, 1e308], [1e308, 1e308]]", None),   # extreme but a covariance
    ("noise_cov = 0.05", "noise_cov = -0.0001", ("model.noise_cov", ">= 0")),
    ("value = 0.5", "value = 1e-400", None),          # underflows to 0.0: a valid gate (accepted)
    ("value = 0.5", "value = 1.0000001", ("model.gate.value", "[0, 1]")),
    ("value = 0.5", "value = [0.5]", ("model.gate.value", "wrong shape")),
    ('kind = "constant"', 'kind = "Constant"', ("model.gate.kind", "must be one of")),
    ('kind = "constant"', "kind = 1", ("model.gate.kind", "non-empty string")),
    ('form = "gated"', 'form = ""', ("model.form",)),
    ('name = "hostile"', 'name = "  "', ("name", "non-empty string")),
    ('name = "hostile"', "name = 12", ("name",)),
    ('name = "hostile"', 'name = "hostile"\nname2 = 1', ("name2", "unknown key")),
    ('name = "hostile"', 'name = "hostile"\n"\\u0007bell\\nkey" = 1', ("unknown key", "\\x07")),
    ('description = "a small valid regime"', "description = 3", ("description",)),
    ('name = "hostile"', 'name = "hostile"\nclaims = []', ("claims", "non-empty list")),
    ('name = "hostile"', 'name = "hostile"\nclaims = ["lemma1", 3]', ("claims",)),
    ('name = "hostile"', 'name = "hostile"\nclaims = "lemma1"', ("claims",)),
    ("[lemma1]\nsteps = 3", "[lemma1]\nsteps = 1000000000000000000000000000000", ("lemma1.steps", "at most 1,000,000")),
    ("[lemma1]\nsteps = 3", "[lemma1]\nsteps = 100000000", ("lemma1.steps", "at most")),
    ("[lemma1]\nsteps = 3", "[lemma1]\nsteps = 1e8", ("lemma1.steps", "positive integer")),
    ("[lemma1]\nsteps = 3", "[lemma1]\nsteps = 0", ("lemma1.steps", "positive integer")),
    ("[lemma1]\nsteps = 3", "[lemma1]\nsteps = -5", ("lemma1.steps", "positive integer")),
    ("[lemma1]\nsteps = 3", "[lemma1]\nsteps = true", ("lemma1.steps", "positive integer")),
    ("[lemma1]\nsteps = 3", "[lemma1]\nsteps = 3\nseparations = [1.0, 0.0]", ("lemma1.separations", "> 0")),
    ("[lemma1]\nsteps = 3", "[lemma1]\nsteps = 3\nseparations = [1e400]", ("lemma1.separations[0]",)),
    ("[lemma1]\nsteps = 3", "[lemma1]\nstep = 3", ("lemma1.step", "did you mean 'steps'")),
    ('name = "hostile"', 'name = "hostile"\nfano = 3', ("'fano'", "must be a table")),
    ("[theorem2]\nsteps = 20", "[theorem2]\nsteps = 20\nradii = [-1.0]", ("theorem2.radii", "> 0")),
    ("[theorem2]\nsteps = 20", "[theorem2]\nsteps = 20\ninitial_radius = nan", ("theorem2.initial_radius",)),
    ("[theorem2]\nsteps = 20", "[theorem2]\nsteps = 9" + "9" * 5000, ("not valid TOML",)),
    ("[theorem2]\nsteps = 20", "[fano]\nsteps = 10000000", ("fano.steps", "at most")),
    ("[theorem2]\nsteps = 20", "[rate_distortion]\nsteps = 10000000000", ("rate_distortion.steps", "at most")),
    ("[inputs]", "[inputz]", ("inputz", "unknown key")),
    ("[model.gate]", "[model.gait]", ("model.gait",)),
    ("law = \"gaussian\"", "law = \"gaussian\"\nlaw = \"rademacher\"", ("not valid TOML",)),
    ("value = 0.5", "value = 0.5\n[model.gate.extra]\nx = 1", ("model.gate.extra", "unknown key")),
]


@pytest.mark.parametrize("old,new,fragments", REGIME_CASES)
def test_a_hostile_regime_file_gets_one_line_and_exit_2(tmp_path, old, new, fragments):
    assert old in GOOD
    path = tmp_path / "regime.toml"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    out = tmp_path / "out"
    status, _, err = run_cli(["run", str(path), "--quick", "--dry-run", "--out", str(out)])
    if fragments is None:
        assert status == 0, err
    else:
        assert_refused(status, err, str(path), *fragments)
    assert listing(tmp_path) == ["regime.toml"]


@pytest.mark.parametrize("content,fragment", [
    (b"name = \"\xff\xfe\"\n", "not UTF-8 text (byte 0xff"),
    (b"\xef\xbb\xbf" + GOOD.encode(), None),                         # a BOM: TOML forbids it, refused as TOML
    (GOOD.encode("utf-16"), "not UTF-8"),
    (b"\x00\x01\x02\x03", "not valid TOML"),
    (b"", "'name'"),
    (b"a = [" * 100_000, "not valid TOML"),                           # nesting a recursive parser cannot follow
    (b"name = \"x\"\n" + b"#" * (17 * 2**20), "larger than 16 MiB"),
    (GOOD.encode()[:37], "not valid TOML"),                            # truncated mid-key
])
def test_any_bytes_give_one_line_naming_the_file(tmp_path, content, fragment):
    path = tmp_path / "regime.toml"
    path.write_bytes(content)
    status, _, err = run_cli(["run", str(path), "--dry-run", "--out", str(tmp_path / "out")])
    assert_refused(status, err, str(path), *([fragment] if fragment else []))
    assert listing(tmp_path) == ["regime.toml"]


@pytest.mark.parametrize("target,fragment", [
    ("/dev/zero", "larger than 16 MiB"),
    ("{tmp}", "is a directory"),
    ("{tmp}/absent.toml", "file not found"),
    ("{tmp}/a\x00b.toml", "not a usable file name"),
])
def test_regime_paths_that_are_not_files(tmp_path, target, fragment):
    if target == "/dev/zero" and not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    target = target.replace("{tmp}", str(tmp_path))
    status, _, err = run_cli(["run", target, "--dry-run", "--out", str(tmp_path / "out")])
    assert_refused(status, err, fragment)
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------------------ hostile options

OPTION_CASES = [
    (["--alpha", "1e-320"], ("--alpha 1e-320", "per-comparison level", "1e-12")),
    (["--alpha", "1e-14"], ("--alpha", "below 1e-12")),
    (["--alpha", "0"], ("strictly between 0 and 1",)),
    (["--alpha", "1"], ("strictly between 0 and 1",)),
    (["--alpha", "nan"], ("strictly between 0 and 1",)),
    (["--alpha", "inf"], ("strictly between 0 and 1",)),
    (["--alpha", "0x10"], ("must be a number",)),
    (["--family-size", "1e20"], ("--family-size", "must be an integer")),
    (["--family-size", "100000000000000000000"], ("--family-size", "2^63")),
    (["--family-size", "1000000000000000000"], ("--family-size 1000000000000000000", "per-comparison level")),
    (["--family-size", "0"], ("--family-size", ">= 1")),
    (["--family-size", "-1"], ("--family-size", ">= 0")),
    (["--seed", "99999999999999999999"], ("--seed", "2^63")),
    (["--seed", "1" * 5000], ("--seed", "must be an integer")),
    (["--seed", "1.5"], ("--seed", "must be an integer")),
    (["--claims", ""], ("--claims", "(none given)")),
    (["--claims", ",,,"], ("--claims", "(none given)")),
    (["--claims", "lemma1,\x1b[31mred"], ("--claims", "\\x1b")),
    (["--bogus"], ("unrecognized arguments",)),
    (["--quick=yes"], ("--quick",)),
]


@pytest.mark.parametrize("extra,fragments", OPTION_CASES)
def test_a_hostile_option_gets_one_line_and_exit_2(tmp_path, extra, fragments):
    out = tmp_path / "out"
    status, _, err = run_cli(["run", "builtin:constant-gate", "--quick", "--out", str(out)] + extra)
    assert_refused(status, err, *fragments)
    assert listing(tmp_path) == []


def test_usage_errors_outside_run_exit_2(tmp_path):
    for argv, fragment in [([], "required"), (["frobnicate"], "invalid choice"),
                           (["calibrate", "--level", "1e-300", "--out", str(tmp_path / "c")], "--level 1e-300"),
                           (["calibrate", "--level", "0.7", "--out", str(tmp_path / "c")], "below 0.5"),
                           (["probe", "builtin:constant-gate", "--claim", "lemma1", "--vary", "gate=0:1:3",
                             "--alpha", "1e-300", "--out", str(tmp_path / "p")], "--alpha 1e-300"),
                           (["probe", "builtin:constant-gate", "--claim", "lemma1", "--vary", "gate=0:1:1e9",
                             "--out", str(tmp_path / "p")], "--vary gate"),
                           (["probe", "builtin:constant-gate", "--claim", "lemma1", "--vary", "gate=0:1:3",
                             "--out", ""], "--out: an empty path")]:
        status, _, err = run_cli(argv)
        assert_refused(status, err, fragment)
    assert listing(tmp_path) == []


@pytest.mark.parametrize("make,fragment", [
    (lambda tmp: "", "--out: an empty path"),
    (lambda tmp: str(tmp / "file.txt" / "sub"), "is a file, so no folder can be made under it"),
    (lambda tmp: str(tmp / "file.txt" / "a" / "b"), "is a file"),
    (lambda tmp: str(tmp / "file.txt"), "exists and is not a folder"),
    (lambda tmp: str(tmp / "foreign"), "holds files that are not from an ssmverify run (notes.txt)"),
    (lambda tmp: "/", "a file system root"),
    (lambda tmp: ".", "the current folder"),
    (lambda tmp: str(tmp / "dangling"), "symbolic link to nothing"),
    (lambda tmp: str(tmp / "bad\x00name"), "NUL"),
])
def test_an_unusable_output_folder_is_refused_before_any_work(tmp_path, monkeypatch, make, fragment):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    monkeypatch.chdir(tmp_path)
    before = listing(tmp_path)
    started = time.perf_counter()
    status, _, err = run_cli(["run", "builtin:constant-gate", "--quick", "--out", make(tmp_path)])
    assert_refused(status, err, fragment)
    assert time.perf_counter() - started < 10
    assert listing(tmp_path) == before


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root can write anywhere")
def test_an_unwritable_output_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        status, _, err = run_cli(["run", "builtin:constant-gate", "--quick", "--out", str(locked / "out")])
        assert_refused(status, err, "no permission")
    finally:
        locked.chmod(0o700)


# ------------------------------------------------------------------------------------------- size estimate

def _square(d: int, entry: str = "0") -> str:
    row = "[" + ",".join([entry] * d) + "]"
    return "[" + ",".join([row] * d) + "]"


def test_a_3000_by_3000_model_is_refused_at_once(tmp_path):
    path = tmp_path / "huge.toml"
    path.write_text(f'name = "huge"\n[model]\nform = "gated"\nA = {_square(3000)}\nB = {_square(3000)}\n'
                    'noise_cov = 0.1\n[model.gate]\nkind = "constant"\nvalue = 0.5\n[inputs]\nlaw = "gaussian"\n')
    started = time.perf_counter()
    status, _, err = run_cli(["run", str(path), "--out", str(tmp_path / "out")])
    assert_refused(status, err, str(path), "16 MiB")
    assert time.perf_counter() - started < 5


def test_a_model_too_big_for_memory_is_refused_naming_estimate_and_limit(tmp_path, monkeypatch):
    d = 400
    path = tmp_path / "big.toml"
    path.write_text(f'name = "big"\n[model]\nform = "gated"\nA = {_square(d)}\nB = [' + ",".join(["[1]"] * d)
                    + ']\nnoise_cov = 0.1\n[model.gate]\nkind = "constant"\nvalue = 0.5\n[inputs]\nlaw = "gaussian"\n'
                    '[theorem2]\nsteps = 2000\n')
    monkeypatch.setenv("SSMVERIFY_MAX_MEMORY", "1G")
    started = time.perf_counter()
    status, _, err = run_cli(["run", str(path), "--claims", "theorem2", "--out", str(tmp_path / "out")])
    line = assert_refused(status, err, "needs about", "GB of memory", "theorem2 on big", "SSMVERIFY_MAX_MEMORY",
                          "1.07 GB")
    assert "estimate" in line
    assert time.perf_counter() - started < 20
    assert not (tmp_path / "out").exists()


def test_steps_far_beyond_memory_are_refused_with_the_machine_limit(tmp_path, monkeypatch):
    monkeypatch.delenv("SSMVERIFY_MAX_MEMORY", raising=False)
    path = tmp_path / "long.toml"
    path.write_text(GOOD.replace("[lemma1]\nsteps = 3", "[lemma1]\nsteps = 1000000"))
    status, _, err = run_cli(["run", str(path), "--claims", "lemma1", "--out", str(tmp_path / "out")])
    assert_refused(status, err, "needs about", "TB of memory", "of the memory available now")
    status, _, err = run_cli(["run", str(path), "--claims", "lemma1", "--out", str(tmp_path / "out"),
                              "--dry-run"])
    assert status == 2


@pytest.mark.parametrize("value", ["lots", "-1G", "0", "1X"])
def test_a_bad_memory_limit_is_refused(tmp_path, monkeypatch, value):
    monkeypatch.setenv("SSMVERIFY_MAX_MEMORY", value)
    status, _, err = run_cli(["run", "builtin:constant-gate", "--quick", "--out", str(tmp_path / "out")])
    assert_refused(status, err, "SSMVERIFY_MAX_MEMORY")


def test_dry_run_prints_the_plan_and_the_estimate_and_writes_nothing(tmp_path):
    status, out, err = run_cli(["run", "builtin:constant-gate", "builtin:sigmoid-quiet", "--quick", "--dry-run",
                                "--out", str(tmp_path / "out")])
    assert status == 0 and "Traceback" not in err
    assert "estimate: at most" in out and "of memory" in out and "constant-gate · theorem2" in out
    assert listing(tmp_path) == []


def test_every_check_estimates_every_builtin_regime_quickly():
    from ssmverify.checks._base import Settings
    from ssmverify.checks._registry import CHECKS
    from ssmverify.checks.suite import resolve_regimes
    started = time.perf_counter()
    for regime in resolve_regimes([]):
        for check in CHECKS.values():
            for quick in (False, True):
                mem, seconds = check.estimate(regime, Settings(quick=quick))
                assert 0 <= mem < 8e9 and 0 < seconds < 600, (regime.name, check.claim.id)
    assert time.perf_counter() - started < 30


def test_progress_bar_draws_an_eta_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    old = cli.PROGRESS_AFTER_SECONDS
    cli.PROGRESS_AFTER_SECONDS = 0.0
    try:
        bar = cli._Bar([1.0, 2.0], stream=stream)
        bar.start(0, "regime · \x1b[2Jclaim")
        time.sleep(0.6)
        bar.start(1, "next")
        time.sleep(0.4)
        bar.close()
    finally:
        cli.PROGRESS_AFTER_SECONDS = old
    text = stream.getvalue()
    assert "ETA" in text and "\r[" in text and "#" in text and "\x1b[2J" not in text and "\\x1b" in text


# -------------------------------------------------------------------------- exit 3, exit 130, in process

@pytest.fixture(scope="module")
def old_run(tmp_path_factory):
    """A complete run of the kill tests' command, and the bytes of every file in it."""
    out = tmp_path_factory.mktemp("old") / "run"
    status, _, err = run_cli(["run", "builtin:constant-gate", "--quick", "--claims", "theorem2,lemma1",
                              "--out", str(out)])
    assert status == 1, err
    (out / "notes.txt").write_text("the user's own file, carried over by every new run\n")
    return out, snapshot(out)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def fresh_copy(old_run, tmp_path) -> Path:
    out = tmp_path / "run"
    shutil.copytree(old_run[0], out)
    return out


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.ssmverify"))


def test_an_internal_error_exits_3_with_one_line_and_leaves_the_folder(old_run, tmp_path, monkeypatch):
    from ssmverify.checks._registry import CHECKS
    out = fresh_copy(old_run, tmp_path)

    def broken(regime, settings):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(CHECKS["theorem2"], "run", broken)
    argv = ["run", "builtin:constant-gate", "--quick", "--claims", "theorem2", "--out", str(out)]
    status, _, err = run_cli(argv)
    assert status == 3 and "Traceback" not in err
    assert [ln for ln in err.splitlines() if "internal error" in ln] == [
        "ssmverify: internal error: ZeroDivisionError: a bug (run again with --debug for the traceback)"]
    assert snapshot(out) == old_run[1] and leftovers(out) == []
    status, _, err = run_cli(["--debug"] + argv)
    assert status == 3 and "Traceback" in err and "ZeroDivisionError: a bug" in err
    status, _, err = run_cli(argv + ["--debug"])
    assert status == 3 and "Traceback" in err
    assert snapshot(out) == old_run[1] and leftovers(out) == []


@pytest.mark.parametrize("how", ["raised", "swallowed by a callback"])
def test_an_interrupt_exits_130_and_leaves_the_folder(old_run, tmp_path, monkeypatch, how):
    """A Ctrl-C raised in the run, or one that a callback swallowed (JAX's gc hook): the flag stops the run."""
    import ssmverify.checks.api
    out = fresh_copy(old_run, tmp_path)
    real = ssmverify.checks.api.run_rows

    def interrupted(rows, settings, progress=None, registry=None):
        if how == "raised":
            raise KeyboardInterrupt
        results = real(rows, settings, progress=progress, registry=registry)
        cli._INTERRUPTS.requested = True     # what the unraisable hook records; nothing was raised here
        return results

    monkeypatch.setattr(ssmverify.checks.api, "run_rows", interrupted)
    status, _, err = run_cli(["run", "builtin:constant-gate", "--quick", "--claims", "theorem2", "--out", str(out)])
    assert status == 130 and "Traceback" not in err
    assert err.splitlines()[-1] == "ssmverify: interrupted; the output folder is as it was"
    assert snapshot(out) == old_run[1] and leftovers(out) == []


def test_a_new_run_replaces_the_old_one_whole_and_keeps_the_users_files(old_run, tmp_path):
    out = fresh_copy(old_run, tmp_path)
    (out / "figures" / "stale-from-an-old-run.png").write_bytes(b"old")
    (out / ".results.json.abc.tmp").write_bytes(b"half")
    status, _, err = run_cli(["run", "builtin:constant-gate", "--quick", "--claims", "theorem2,lemma1", "--seed", "0",
                              "--out", str(out)])
    assert status == 1, err
    now = snapshot(out)
    assert "figures/stale-from-an-old-run.png" not in now and ".results.json.abc.tmp" not in now
    assert now == old_run[1]            # same seed: the same bytes, and notes.txt carried over
    assert leftovers(out) == []


# --------------------------------------------------------------------------------------------- Hypothesis

_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_ ", min_size=1, max_size=12).filter(str.strip)
_ENTRY = st.floats(-1.5, 1.5, allow_nan=False, width=64)


@st.composite
def regime_documents(draw, small_steps: bool = False):
    """A valid regime document, drawn from the schema of theorems/regime.py."""
    d = draw(st.integers(1, 2 if small_steps else 3))
    m = draw(st.integers(1, 1 if small_steps else 2))
    matrix = lambda rows, cols: st.lists(st.lists(_ENTRY, min_size=cols, max_size=cols),  # noqa: E731
                                         min_size=rows, max_size=rows)
    model = {"form": draw(st.sampled_from(["gated", "leaky"])), "A": draw(matrix(d, d)), "B": draw(matrix(d, m))}
    if draw(st.booleans()):
        model["noise_cov"] = draw(st.floats(0.0, 1.0))
    else:
        L = draw(matrix(d, d))
        model["noise_cov"] = [[sum(L[i][k] * L[j][k] for k in range(d)) for j in range(d)] for i in range(d)]
    if draw(st.booleans()):
        model["h0"] = draw(st.lists(_ENTRY, min_size=d, max_size=d))
    if draw(st.booleans()):
        value = draw(st.one_of(st.floats(0.0, 1.0), st.lists(st.floats(0.0, 1.0), min_size=d, max_size=d)))
        model["gate"] = {"kind": "constant", "value": value}
    else:
        model["gate"] = {"kind": "sigmoid", "W": draw(matrix(d, m))}
        if draw(st.booleans()):
            model["gate"]["U"] = draw(matrix(d, d))
        if draw(st.booleans()):
            model["gate"]["b"] = draw(st.lists(_ENTRY, min_size=d, max_size=d))
    doc = {"name": draw(_NAME), "model": model,
           "inputs": {"law": draw(st.sampled_from(["gaussian", "rademacher"])),
                      "scale": draw(st.floats(0.1, 3.0))}}
    if draw(st.booleans()):
        doc["description"] = draw(st.text(min_size=1, max_size=30).filter(str.strip))
    top = 3 if small_steps else 30
    doc["lemma1"] = {"steps": draw(st.integers(1, top))}
    if draw(st.booleans()):
        doc["lemma1"]["separations"] = draw(st.lists(st.floats(1e-3, 10.0), min_size=1, max_size=3))
    doc["theorem2"] = {"steps": draw(st.integers(2, 3 * top))}
    if draw(st.booleans()):
        doc["theorem2"]["radii"] = draw(st.lists(st.floats(1e-3, 10.0), min_size=1, max_size=2))
    doc["fano"] = {"steps": draw(st.integers(1, 3))}
    if draw(st.booleans()):
        doc["rate_distortion"] = {"steps": draw(st.integers(1, top))}
    return doc


_JUNK = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, 10 ** 400, -(10 ** 400), 2 ** 63, 10 ** 30, 1e-320, -1e-320,
                     1e308, -1e308, 0, -1, 0.0, -0.0, True, False, "", "x", "\x00\x1b[31m", [], [[]], [[[1.0]]],
                     {"x": 1}, [1, "a"], [math.nan], [10 ** 400]]),
    st.floats(), st.integers(), st.text(max_size=8),
    st.lists(st.floats(), max_size=3), st.lists(st.lists(st.floats(), max_size=3), max_size=3),
)


def _paths(node, prefix=()):
    """Every (path, value) in a document: table keys, list indices."""
    yield prefix, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated_documents(draw):
    """A valid document with one to three mutations: junk leaves, removed keys, unknown keys, tables as scalars."""
    doc = draw(regime_documents())
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p, _ in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["junk", "junk", "junk", "remove", "unknown"]))
        if action == "remove":
            del parent[path[-1]]
        elif action == "unknown" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=6))] = draw(_JUNK)
        else:
            parent[path[-1]] = draw(_JUNK)
    return doc


def _toml_string(text: str) -> str:
    """A TOML basic string: quote, backslash and control characters escaped, everything else as it is."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_key(key: str) -> str:
    return _toml_string(key)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return _toml_string(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def to_toml(doc: dict) -> str:
    lines: list[str] = []

    def emit(table: dict, prefix: tuple):
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
        tables = {k: v for k, v in table.items() if isinstance(v, dict)}
        if prefix:
            lines.append("[" + ".".join(_toml_key(k) for k in prefix) + "]")
        lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in scalars.items())
        for k, v in tables.items():
            emit(v, prefix + (k,))

    emit(doc, ())
    return "\n".join(lines) + "\n"


@st.composite
def corrupted_bytes(draw):
    """A valid document's TOML with its bytes damaged: inserted, replaced or cut, often not UTF-8."""
    raw = bytearray(to_toml(draw(regime_documents())).encode())
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(raw)))
        kind = draw(st.sampled_from(["insert", "replace", "cut"]))
        junk = draw(st.binary(min_size=1, max_size=4))
        if kind == "insert":
            raw[at:at] = junk
        elif kind == "replace":
            raw[at:at + len(junk)] = junk
        else:
            del raw[at:]
    return bytes(raw)


HYPOTHESIS = settings(max_examples=60, deadline=None, database=None, derandomize=True,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _check_property(tmp_path: Path, content: bytes, argv_tail: list[str]) -> int:
    folder = tmp_path / uuid.uuid4().hex
    folder.mkdir()
    path = folder / "regime.toml"
    path.write_bytes(content)
    out = folder / "out"
    status, _, err = run_cli(["run", str(path), "--out", str(out)] + argv_tail)
    assert status in (0, 1, 2), (status, err)
    assert "Traceback" not in err, err
    if status == 2:
        assert len([ln for ln in err.splitlines() if ln.startswith("error: ")]) == 1, err
        assert listing(folder) == ["regime.toml"], err
    shutil.rmtree(folder)
    return status


@settings(HYPOTHESIS, max_examples=25)
@given(doc=regime_documents())
def test_property_every_generated_regime_is_validated_and_estimated(tmp_path, doc):
    assert _check_property(tmp_path, to_toml(doc).encode(), ["--quick", "--dry-run"]) == 0


@HYPOTHESIS
@given(doc=mutated_documents())
def test_property_mutated_regimes_get_a_verdict_or_one_line(tmp_path, doc):
    _check_property(tmp_path, to_toml(doc).encode(), ["--quick", "--dry-run"])


@HYPOTHESIS
@given(content=st.one_of(corrupted_bytes(), st.binary(max_size=64)))
def test_property_random_bytes_get_one_line(tmp_path, content):
    _check_property(tmp_path, content, ["--quick", "--dry-run"])


@settings(HYPOTHESIS, max_examples=4)
@given(doc=regime_documents(small_steps=True), claim=st.sampled_from(["theorem2", "lemma1-corrected", "fano"]))
def test_property_generated_regimes_run_to_a_verdict(tmp_path, doc, claim):
    doc["name"] = "fuzz"     # names are data for the renderers; here the model is what varies
    _check_property(tmp_path, to_toml(doc).encode(), ["--quick", "--claims", claim])


# ------------------------------------------------------------------------------------ kill and interrupt

COMMAND = ["run", "builtin:constant-gate", "--quick", "--claims", "theorem2,lemma1"]


def _executable() -> list[str]:
    script = Path(sys.executable).with_name("ssmverify")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ssmverify.checks.cli"]


class Run:
    """``ssmverify run`` in a subprocess, marked by a token in its environment (inherited by its workers)."""

    def __init__(self, out: Path, hook: str | None = None, pause: float = 60.0):
        self.token = f"SSMVERIFY_KILL_TEST_{uuid.uuid4().hex}"
        env = dict(os.environ, SSMVERIFY_KILL_TEST=self.token)
        env.pop("SSMVERIFY_TEST_HOOK", None)
        if hook:
            env["SSMVERIFY_TEST_HOOK"] = f"{hook}:{pause}"
        self.err_path = out.parent / f"stderr-{self.token}.txt"
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(_executable() + COMMAND + ["--out", str(out)], stdout=subprocess.DEVNULL,
                                     stderr=self.err, env=env, start_new_session=True)

    def wait_for(self, stage: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if f"ssmverify-test-hook: {stage}".encode() in self.err_path.read_bytes():
                return
            assert self.proc.poll() is None, self.stderr()
            time.sleep(0.05)
        raise AssertionError(f"never reached {stage}: {self.stderr()}")

    def signal(self, sig) -> int:
        self.proc.send_signal(sig)
        status = self.proc.wait(timeout=60)
        self.err.close()
        return status

    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    def processes(self) -> list[int]:
        """Live processes that carry this run's token (the run itself, figure workers, resource tracker)."""
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/environ", "rb") as fh:
                        if self.token.encode() in fh.read():
                            found.append(int(entry))
                except OSError:
                    continue
        return found

    def assert_nothing_left(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while self.processes() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert self.processes() == [], f"processes left behind: {self.processes()}"


def assert_complete_new_run(out: Path, tmp_path: Path) -> None:
    """A complete run: it re-renders from its own results.json to the same bytes."""
    assert (out / "results.json").is_file()
    copy = tmp_path / "rerendered"
    shutil.copytree(out, copy)
    status, _, err = run_cli(["report", str(copy)])
    assert status in (0, 1), err
    assert snapshot(copy) == snapshot(out)


def settle(out: Path) -> None:
    """What the next start does with a killed run's leftovers (under the lock)."""
    from ssmverify.reports._io import OutputFolder
    folder = OutputFolder(out, marker="results.json", owned=cli._run_owned)
    folder._lock()
    try:
        folder.recover()
    finally:
        folder._unlock()


needs_proc = pytest.mark.skipif(not LINUX, reason="process checks read /proc")


@needs_proc
@pytest.mark.parametrize("moment", ["start-up", "simulate", "figures", "write", "swap", "committed"])
def test_sigkill_at_any_moment_leaves_the_old_run_or_the_new_one(old_run, tmp_path, moment):
    out = fresh_copy(old_run, tmp_path)
    (out / "figures" / "from-an-older-run.png").write_bytes(b"not named by the new results.json")
    old = snapshot(out)
    run = Run(out, hook=None if moment == "start-up" else moment)
    if moment == "start-up":
        time.sleep(0.4)
    else:
        run.wait_for(moment)
    assert run.signal(signal.SIGKILL) == -signal.SIGKILL
    run.assert_nothing_left()
    if moment == "swap":   # killed between the two renames: the folder is aside until the next start
        assert not out.exists() and any(".ssmverify-old-" in n for n in leftovers(out))
    settle(out)
    assert leftovers(out) == []
    if moment == "committed":   # the complete new run: what its results.json renders, and the user's files
        assert_complete_new_run(out, tmp_path)
        assert snapshot(out) == old_run[1]
    else:
        assert snapshot(out) == old


@needs_proc
@pytest.mark.parametrize("moment", ["start", "imports", "simulate", "figures", "write"])
def test_sigint_at_any_moment_exits_130_with_one_line_and_the_folder_untouched(old_run, tmp_path, moment):
    out = fresh_copy(old_run, tmp_path)
    if moment == "imports":   # a short pause at start, then the Ctrl-C lands while JAX and the checks import
        run = Run(out, hook="start", pause=0.1)
        run.wait_for("start")
        time.sleep(0.4)
    else:
        run = Run(out, hook=moment)
        run.wait_for(moment)
    assert run.signal(signal.SIGINT) == 130, run.stderr()
    err = run.stderr()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert [ln for ln in err.splitlines() if "interrupted" in ln] == [
        "ssmverify: interrupted; the output folder is as it was"]
    run.assert_nothing_left()
    assert snapshot(out) == old_run[1] and leftovers(out) == []


@needs_proc
def test_a_second_run_is_refused_then_a_killed_runs_lock_is_taken_over(old_run, tmp_path):
    out = fresh_copy(old_run, tmp_path)
    first = Run(out, hook="simulate")
    first.wait_for("simulate")
    status, _, err = run_cli(["run", "builtin:constant-gate", "--quick", "--claims", "theorem2", "--out", str(out)])
    assert_refused(status, err, "in use by another ssmverify run", f"pid {first.proc.pid}", "started")
    assert first.signal(signal.SIGKILL) == -signal.SIGKILL
    first.assert_nothing_left()
    assert snapshot(out) == old_run[1]
    # The lock file (naming a dead pid) and the staging folder stay behind; the next run takes both over.
    assert ".run.ssmverify-lock" in leftovers(out) and any(".ssmverify-new-" in n for n in leftovers(out))
    second = Run(out)
    assert second.proc.wait(timeout=120) == 1, second.stderr()
    second.err.close()
    second.assert_nothing_left()
    assert leftovers(out) == []
    assert_complete_new_run(out, tmp_path)
    assert snapshot(out) == old_run[1]   # same seed, same bytes (and the user's notes.txt carried over)
