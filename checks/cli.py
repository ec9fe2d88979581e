"""The ``ssmverify`` command.

    ssmverify run [REGIME.toml | builtin:NAME ...] [--claims ID,...] [--quick] [--seed N] [--alpha A] [--out DIR]
    ssmverify report DIR
    ssmverify list
    ssmverify calibrate [--seeds N] [--alpha A] [--level L] [--paths N] [--out DIR]
    ssmverify probe REGIME --claim ID --vary KNOB=lo:hi:n[:log] [--vary ...] [--search BUDGET] [--dask ADDRESS]

Exit status: 0 no FAIL, 1 at least one FAIL, 2 bad input or usage (one line; nothing written), 3 internal
error (one line; the traceback with ``ssmverify --debug``), 130 interrupted (one line; the output folder as
it was).  Everything is validated, and the run's memory and time estimated, before anything is simulated.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import sys
import threading
import time
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

# Runs estimated to take longer than this show a progress bar with an ETA (on a terminal).
PROGRESS_AFTER_SECONDS = 3.0
RENDER_SECONDS_PER_ROW = 0.4   # drawing a row's figure (PNG and PDF) and its share of the reports


from .._errors import SsmverifyError  # no dependencies: --help and bad input answer before JAX loads
from ._resources import BASE_MEMORY, check_level, duration_text, refuse_if_too_big, run_owned, size_text


class UsageError(SsmverifyError):
    """Bad input or usage: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {_clip(repr(text))}") from None
    if not (0.0 < value < 1.0):
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {_clip(repr(text))}")
    return value


def _nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {_clip(repr(text))}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {_clip(repr(text))}")
    if value >= 2**63:
        raise argparse.ArgumentTypeError(f"must be below 2^63, got {_clip(text)}")
    return value


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _positive_int(text: str) -> int:
    value = _nonneg_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be >= 1, got 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ssmverify", description="Numerical verification of the claims of arXiv 2410.03158.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run checks and write results.json, index.html, report.md, junit.xml, "
                                     "results.tex and figures")
    run.add_argument("regimes", nargs="*", metavar="REGIME", help="regime TOML files or builtin:NAME (default: the built-in suite)")
    run.add_argument("--claims", help="comma-separated claim ids (default: every claim that applies)")
    run.add_argument("--quick", action="store_true", help="fewer Monte Carlo paths and stages (a smoke run)")
    run.add_argument("--seed", type=_nonneg_int, default=0, help="random seed (default 0)")
    run.add_argument("--alpha", type=_probability, default=0.01, help="family-wise error rate for FAIL (default 0.01)")
    run.add_argument("--out", default="ssmverify-out", help="output directory (default ./ssmverify-out)")
    run.add_argument("--family-size", type=_positive_int, default=None,
                     help="Bonferroni family size m (default: the number of comparisons in this run); "
                          "reproduce commands pass the original run's m")
    run.add_argument("--plugin", action="append", default=[], metavar="FILE.py",
                     help="a Python file defining claims of your own and their checks (repeatable; see the "
                          "README, 'Check your own claim')")
    run.add_argument("--dry-run", action="store_true",
                     help="validate every input and print the plan with its memory and time estimate; "
                          "simulate and write nothing")
    report = sub.add_parser("report", help="re-render index.html, report.md, junit.xml, results.tex and the "
                                           "figures of DIR from DIR/results.json alone")
    report.add_argument("dir", help="directory holding results.json")
    lister = sub.add_parser("list", help="list the claims and the built-in regimes")
    lister.add_argument("--plugin", action="append", default=[], metavar="FILE.py",
                        help="also list the claims of this plugin file (repeatable)")
    cal = sub.add_parser("calibrate", help="measure the toolkit's own false-FAIL rate on claims that hold with "
                                           "equality; writes DIR/calibration.json")
    cal.add_argument("--seeds", type=_nonneg_int, default=0,
                     help="trials per case (default and minimum: enough for 30 expected misses at the level)")
    cal.add_argument("--alpha", type=_probability, default=0.01,
                     help="family-wise α of the suite whose per-comparison level is calibrated (default 0.01)")
    cal.add_argument("--level", type=_probability, default=None,
                     help="calibrate this per-comparison level instead of the default suite's")
    cal.add_argument("--paths", type=_positive_int, default=None,
                     help="Monte Carlo paths per trial (default 1024: the smallest sample the suite decides on)")
    cal.add_argument("--seed", type=_nonneg_int, default=0)
    cal.add_argument("--out", default="ssmverify-calibration", help="output directory (default ./ssmverify-calibration)")
    probe = sub.add_parser("probe", help="map where a bound fails, search for the worst violation, "
                                         "write certified counterexamples")
    probe.add_argument("regime", help="regime TOML file or builtin:NAME")
    probe.add_argument("--claim", required=True, help="the claim id to probe")
    probe.add_argument("--vary", action="append", required=True, metavar="KNOB=lo:hi:n[:log]",
                       help="a knob and its range (repeat for a 2-D map); knobs: rho, lipschitz, gate, "
                            "input_scale, noise; for Mamba's form s6 A_scale, dt_bias_scale; or a dotted key such "
                            "as model.A[0][1]")
    probe.add_argument("--search", type=_nonneg_int, default=0, metavar="BUDGET",
                       help="cell evaluations for the search of the largest violation (default 0: no search)")
    probe.add_argument("--seed", type=_nonneg_int, default=0)
    probe.add_argument("--alpha", type=_probability, default=0.01)
    probe.add_argument("--paths", type=_positive_int, default=1024, help="Monte Carlo paths per cell (default 1024)")
    probe.add_argument("--max-counterexamples", type=_nonneg_int, default=3,
                       help="violations to certify and write (default 3)")
    probe.add_argument("--shrink-budget", type=_nonneg_int, default=20, help="shrink attempts per counterexample")
    probe.add_argument("--out", default="ssmverify-probe", help="output directory (default ./ssmverify-probe)")
    probe.add_argument("--dask", metavar="ADDRESS", help="scheduler address of an existing Dask cluster")
    bench = sub.add_parser("bench", help="the simulator's path-steps/s beside a NumPy reference loop's, and the "
                                         "machine's random-number ceiling")
    bench.add_argument("--paths", type=_positive_int, default=8192, help="Monte Carlo paths (default 8192)")
    bench.add_argument("--steps", type=_positive_int, default=400, help="steps per path (default 400)")
    bench.add_argument("--chains", type=_positive_int, default=1,
                       help="coupled chains per path, sharing inputs and noise (default 1)")
    bench.add_argument("--d", type=_positive_int, default=16, help="state dimension (default 16)")
    bench.add_argument("--m", type=_positive_int, default=4, help="input dimension (default 4)")
    bench.add_argument("--repeats", type=_positive_int, default=5, help="timed repeats after the warm-up (default 5)")
    bench.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an internal error")
    for command in sub.choices.values():   # also accepted after the command
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def _progress(message: str) -> None:
    _INTERRUPTS.checkpoint()
    print(_one_line(message), file=sys.stderr, flush=True)


def _one_line(text: str, limit: int = 1000) -> str:
    """``text`` as one terminal line: control characters shown escaped, very long text cut."""
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- interrupts ----------------------------------------------------------------------------------------

class _Interrupts:
    """Ctrl-C (SIGINT) as KeyboardInterrupt, plus a flag that the checkpoints read.

    Python delivers a KeyboardInterrupt wherever the main thread happens to be; raised inside a callback
    (JAX's garbage-collection hook, a ``__del__``) it is swallowed there.  The flag is not: every
    checkpoint (each row, before drawing, before the swap) raises it again, so an interrupted run never
    goes on to replace its output folder.  Inside a ``deferred`` section (the swap, the clean-up) a
    Ctrl-C only sets the flag; after ``finished()`` (the new run is in place) it is ignored.
    """

    def __init__(self):
        self.requested = False
        self.deferred = 0

    def handler(self, signum, frame):
        self.requested = True
        if not self.deferred:
            raise KeyboardInterrupt

    def checkpoint(self) -> None:
        if self.requested and not self.deferred:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def deferral(self):
        self.deferred += 1
        try:
            yield
        finally:
            self.deferred -= 1

    def finished(self) -> None:
        self.deferred += 1


_INTERRUPTS = _Interrupts()


@contextlib.contextmanager
def _handling_interrupts():
    """Install the SIGINT handler (and silence KeyboardInterrupts that callbacks would print) for one call."""
    global _INTERRUPTS
    _INTERRUPTS = _Interrupts()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _INTERRUPTS.handler)
    hook = sys.unraisablehook

    def unraisable(info):
        if isinstance(info.exc_value, KeyboardInterrupt):
            _INTERRUPTS.requested = True   # swallowed in a callback: the next checkpoint raises it again
            return
        hook(info)

    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = hook


# --- validation before any work ------------------------------------------------------------------------

def _check_level(alpha: float, m: int, stages: int, option: str, what: str = "") -> float:
    """Refuse a per-comparison level α/(m·S) below MIN_LEVEL, naming the option that makes it so."""
    return check_level(alpha, m, stages, option, what, error=UsageError)


# --- output folders -----------------------------------------------------------------------------------

_run_owned = run_owned   # what `ssmverify run` owns in its output folder (shared with Results.write)


def _probe_owned(rel: Path, is_dir: bool) -> bool:
    parts = rel.parts
    if len(parts) == 1:
        return parts[0] == "counterexamples" if is_dir else parts[0] in ("grid.json", "grid.csv", "grid.png",
                                                                          "grid.pdf")
    return len(parts) == 2 and parts[0] == "counterexamples" and not is_dir and rel.suffix == ".toml"


def _calibrate_owned(rel: Path, is_dir: bool) -> bool:
    return not is_dir and rel.parts == ("calibration.json",)


def _output_folder(path: str, marker: str, owned):
    from ..reports._io import OutputFolder
    return OutputFolder(path, option="--out", marker=marker, owned=owned, error=UsageError)


@contextlib.contextmanager
def _writing(folder):
    """Open ``folder`` (lock, clean-up, staging), yield it; on any exit, drop an uncommitted staging folder
    and the lock (a Ctrl-C during that clean-up is deferred)."""
    try:
        with _INTERRUPTS.deferral():
            folder.open()
        _INTERRUPTS.checkpoint()
        yield folder
    finally:
        with _INTERRUPTS.deferral():
            folder.close()


def _commit(folder) -> None:
    """The one moment the output folder changes: refused if a Ctrl-C came first; atomic against a later one."""
    with _INTERRUPTS.deferral():
        if _INTERRUPTS.requested:
            raise KeyboardInterrupt
        folder.commit()
        _INTERRUPTS.finished()


# --- progress ---------------------------------------------------------------------------------------

class _Bar:
    """Progress over weighted units (rows, cases) with an ETA, on stderr.

    On a terminal, a bar redrawn in place (from a helper thread, so it moves during a long row); elsewhere
    one line per unit.  Shown only for work estimated (or found) to take more than PROGRESS_AFTER_SECONDS.
    ``start(i, label)`` marks unit i as begun; the ETA scales the estimated seconds of the remaining units
    by how fast the finished ones went.
    """

    def __init__(self, weights: list[float], stream=None):
        self.weights = [max(w, 1e-3) for w in weights]
        self.total = sum(self.weights)
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self.index, self.label, self.unit_started = -1, "", self.started
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = None
        self._width = 0
        if self.tty:
            self._thread = threading.Thread(target=self._redraw, daemon=True, name="ssmverify-progress")
            self._thread.start()

    def start(self, index: int, label: str) -> None:
        with self._lock:
            self.index, self.label, self.unit_started = index, label, time.monotonic()
        if not self.tty:
            eta = self.eta()
            suffix = f" (about {duration_text(eta)} left)" if self.total > PROGRESS_AFTER_SECONDS and eta > 0 else ""
            print(_one_line(f"[{index + 1}/{len(self.weights)}] {label}{suffix}"), file=self.stream, flush=True)

    def done_fraction(self) -> tuple[float, float]:
        """(estimated seconds done, estimated seconds of the current unit's share that elapsed)."""
        done = sum(self.weights[: max(self.index, 0)])
        if 0 <= self.index < len(self.weights):
            w = self.weights[self.index]
            done += min(time.monotonic() - self.unit_started, 0.95 * w)
        return done, self.total

    def eta(self) -> float:
        done, total = self.done_fraction()
        elapsed = time.monotonic() - self.started
        finished = sum(self.weights[: max(self.index, 0)])
        speed = elapsed / finished if finished > 0.5 else 1.0   # real seconds per estimated second
        return max(total - done, 0.0) * min(max(speed, 0.05), 20.0)

    def _line(self) -> str:
        done, total = self.done_fraction()
        fraction = min(done / total, 1.0) if total > 0 else 0.0
        filled = int(round(24 * fraction))
        label = _one_line(self.label, 40)
        return (f"[{'#' * filled}{'.' * (24 - filled)}] {fraction:4.0%}  {self.index + 1}/{len(self.weights)} "
                f"{label}  ETA {duration_text(self.eta())}")

    def _redraw(self) -> None:
        while not self._stop.wait(0.25):
            if time.monotonic() - self.started < PROGRESS_AFTER_SECONDS and self.total <= PROGRESS_AFTER_SECONDS:
                continue
            with self._lock:
                line = self._line()
                self.stream.write("\r" + line + " " * max(self._width - len(line), 0))
                self.stream.flush()
                self._width = len(line)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            if self._width:
                self.stream.write("\r" + " " * self._width + "\r")
                self.stream.flush()


class _RowProgress:
    """The ``progress`` callback of ``run_rows``: one call as each row starts (a checkpoint for Ctrl-C)."""

    def __init__(self, labels: list[str], weights: list[float]):
        self.labels, self.bar, self.count = labels, _Bar(weights), 0

    def __call__(self, message: str) -> None:
        _INTERRUPTS.checkpoint()
        if self.count == 1:
            from ..reports._io import test_hook
            test_hook("simulate")
            _INTERRUPTS.checkpoint()
        label = self.labels[self.count] if self.count < len(self.labels) else message
        self.bar.start(self.count, label)
        self.count += 1

    def close(self) -> None:
        self.bar.close()


def _table(document: dict) -> str:
    from ..reports._format import hypotheses_cell, interval, num, visible
    header = ("regime", "claim", "hypotheses", "statistic", "bound", "CI", "verdict")
    rows = [header] + [
        (visible(str(r["regime"])), visible(str(r["claim"])), hypotheses_cell(r), num(r["statistic"]),
         num(r["bound"]), interval(r["ci"]), visible(str(r["verdict"])))
        for r in document["results"]
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


_API_ARGUMENTS = {"claims": "--claims", "alpha": "--alpha", "family_size": "--family-size", "seed": "--seed",
                  "regimes": "REGIME"}


def _option_error(exc) -> "UsageError":
    """An API argument error worded with the command line's option names."""
    name, sep, rest = str(exc).partition(":")
    return UsageError(f"{_API_ARGUMENTS[name]}:{rest}" if sep and name in _API_ARGUMENTS else str(exc))


def cmd_run(args) -> int:
    folder = _output_folder(args.out, "results.json", _run_owned)
    folder.check()
    from ._base import Settings
    stages = Settings(quick=args.quick).max_stages
    if args.family_size is not None:
        _check_level(args.alpha, args.family_size, stages, f"--family-size {args.family_size}")
    else:   # the level only shrinks as the family grows: a level that underflows with m = 1 always does
        _check_level(args.alpha, 1, stages, f"--alpha {args.alpha!r}")
    claims = None
    if args.claims is not None:
        claims = [c.strip() for c in args.claims.split(",") if c.strip()]
        if not claims:
            raise UsageError("--claims: unknown claim id(s) (none given)")

    from . import api
    try:    # everything validated, regimes read, memory estimated: nothing simulated yet
        plan = api.plan(args.regimes or None, claims=claims, seed=args.seed, alpha=args.alpha, quick=args.quick,
                        plugins=args.plugin, family_size=args.family_size)
    except api.ArgumentError as exc:
        raise _option_error(exc) from None
    peak = max((mem for _, mem, _ in plan.estimates()), default=0.0) + BASE_MEMORY
    rows, settings, m = plan.rows, plan.settings, plan.family_size
    weights = [sec for _, _, sec in plan.estimates()]
    weights.append(RENDER_SECONDS_PER_ROW * len(rows) / max(min(os.cpu_count() or 1, 4), 1))  # figures, reports
    seconds = sum(weights)
    summary = (f"{len(rows)} checks over {len(plan.regimes)} regime(s), {m} deciding comparisons, "
               f"α = {args.alpha}, per-comparison level {settings.level:.3g}; estimate: at most {size_text(peak)} "
               f"of memory, about {duration_text(seconds)}")
    if args.dry_run:
        print(_one_line(f"plan: {summary}"))
        for row, w in zip(rows, weights[:-1]):
            print(_one_line(f"  {row.regime.name} · {row.claim}: "
                            + (f"about {duration_text(w)}" if row.reason is None else "not applicable")))
        print(f"dry run: nothing simulated, nothing written (the output folder {args.out} would be replaced)")
        return EXIT_OK

    started = time.perf_counter()
    _progress(f"ssmverify: {summary}")
    with _writing(folder):
        progress = _RowProgress([f"{r.regime.name} · {r.claim}" for r in rows], weights)
        try:
            results = plan.execute(progress)
            _INTERRUPTS.checkpoint()
            document = results._document   # no copy: the command owns the results and renders them once
            from ..reports import render_all
            progress.bar.start(len(rows), f"figures and reports for {args.out}/")
            render_all(folder.staging, document)
        finally:
            progress.close()
        _commit(folder)
    from ..reports._io import test_hook
    test_hook("committed")
    print(_table(document))
    n_fail = sum(r["verdict"] == "FAIL" for r in document["results"])
    _progress(f"done in {time.perf_counter() - started:.1f} s: {n_fail} FAIL; "
              f"results in {os.path.join(args.out, 'results.json')}")
    return EXIT_FAIL if n_fail else EXIT_OK


def _normalise(document: dict) -> dict:
    """The document exactly as results.json will hold it, so run and report render the same bytes."""
    from ..reports._io import dumps
    return json.loads(dumps(document))


def cmd_report(args) -> int:
    import os

    from ..reports import ResultsError, load_results, render_all, validate_results
    folder = Path(args.dir)
    if not (folder / "results.json").is_file():
        raise UsageError(f"{folder}: no results.json in this directory")
    try:
        document = load_results(folder)
    except (ValueError, RecursionError) as exc:  # bad JSON or UTF-8, an integer of > 4300 digits; nested too deeply
        reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
        raise UsageError(f"{folder / 'results.json'}: not valid JSON: {reason}") from None
    except OSError as exc:
        raise UsageError(f"{folder / 'results.json'}: cannot be read: {exc.strerror or exc}") from None
    try:  # against the schema shipped with the package: nothing is rewritten unless every renderer can draw it
        validate_results(document)
    except ResultsError as exc:
        raise UsageError(f"{folder / 'results.json'}: {exc}") from None
    for where in (folder, folder / "figures"):
        if where.exists() and (not where.is_dir() or not os.access(where, os.W_OK | os.X_OK)):
            raise UsageError(f"{where}: not a writable directory; nothing was rewritten")
    render_all(folder, document)
    print(_table(document))
    return EXIT_FAIL if any(r.get("verdict") == "FAIL" for r in document["results"]) else EXIT_OK


def cmd_list(args) -> int:
    from .plugins import registry_with
    from .suite import resolve_regimes
    registry = registry_with(args.plugin)
    print("claims:")
    for cid, check in registry.checks.items():
        claim = check.claim
        origin = "" if registry.sources[cid] == "builtin" else f"  (plugin {registry.sources[cid]})"
        print(_one_line(f"  {claim.id:<18} {claim.section:<6} {claim.title}{origin}"))
    print("built-in regimes (run one with builtin:NAME):")
    for regime in resolve_regimes([]):
        print(f"  {regime.name:<28} {regime.description}")
    return EXIT_OK


def cmd_calibrate(args) -> int:
    from ..reports._io import dumps, write_atomic

    folder = _output_folder(args.out, "calibration.json", _calibrate_owned)
    folder.check()
    if args.level is not None and args.level >= 0.5:
        raise UsageError("--level: a per-comparison level must lie below 0.5")
    if args.level is not None:
        _check_level(args.level, 1, 1, f"--level {args.level!r}")
    else:
        _check_level(args.alpha, 1, 1, f"--alpha {args.alpha!r}")

    from ._base import Settings
    from .calibrate import BATCH, CASES, run_calibration, suite_level, table

    level = args.level if args.level is not None else suite_level(args.alpha)
    if args.level is None:
        _check_level(level, 1, 1, f"--alpha {args.alpha!r}", " (the default suite's per-comparison level)")
    n_paths = args.paths or Settings(quick=True).paths
    trials = max(int(args.seeds), math.ceil(30.0 / level))
    # Each trial draws n_paths paths of t gate values per case, in batches of BATCH trials (~50 ns each).
    parts = [(f"case {case.shape!r}", 6.0 * BATCH * n_paths * case.t * 8, 5e-8 * trials * n_paths * case.t + 0.3)
             for case in CASES]
    peak, seconds = refuse_if_too_big(parts, "this calibration")
    _progress(f"ssmverify calibrate: {len(CASES)} cases × {trials:,} trials of {n_paths:,} paths at level "
              f"{level:.3g}; estimate: at most {size_text(peak)} of memory, about {duration_text(seconds)}")
    started = time.perf_counter()
    with _writing(folder):
        bar = _Bar([sec for _, _, sec in parts])
        count = [0]

        def progress(message: str) -> None:   # called as each case ends
            _INTERRUPTS.checkpoint()
            count[0] += 1
            if bar.tty:
                bar.start(count[0], f"case {count[0] + 1}")
            else:
                _progress(message)

        if bar.tty:
            bar.start(0, "case 1")
        try:
            document = run_calibration(args.alpha, level=level, n_paths=n_paths, seeds=args.seeds, seed=args.seed,
                                       progress=progress)
        finally:
            bar.close()
        write_atomic(folder.staging / "calibration.json", dumps(document))
        _commit(folder)
    print(table(document))
    above = [c["shape"] for c in document["cases"] if c["significantly_above"]]
    _progress(f"done in {time.perf_counter() - started:.1f} s; {os.path.join(args.out, 'calibration.json')}"
              + (f"; miss rate significantly above the level: {', '.join(above)}" if above else ""))
    return EXIT_FAIL if above else EXIT_OK


def _probe_estimate(check, base, claim: str, knobs, args) -> list[tuple[str, float, float]]:
    """The probe's parts: the grid's cells (batched in chunks), the search, and certifying counterexamples."""
    from . import probe
    from ._base import Settings

    cells = math.prod(k.n for k in knobs)
    cell_settings = Settings(seed=args.seed, alpha=args.alpha, n_paths=args.paths, stages=1)
    cell_bytes, cell_seconds = check.estimate(base, cell_settings)
    if probe.batched(check):   # a cell is its (light) simulation and a decision, not a whole row with its report
        cell_seconds = probe.cell_estimate(check, base, cell_settings)[1]
    chunk = probe.chunk_size(check, base, cell_settings)
    run_bytes, run_seconds = check.estimate(base, Settings(seed=args.seed, alpha=args.alpha))
    quick_seconds = check.estimate(base, Settings(seed=args.seed, alpha=args.alpha, quick=True))[1]
    # per counterexample: up to three full verdicts (found, shrunk, final name) and the quick shrink attempts
    certify = args.max_counterexamples * (3 * run_seconds + args.shrink_budget * quick_seconds)
    return [
        (f"{claim} grid of {cells:,} cells", min(chunk, cells) * cell_bytes + cells * 4096.0, cells * cell_seconds),
        ("the search", cell_bytes, args.search * cell_seconds),
        ("certifying counterexamples", run_bytes, certify),
    ]


def cmd_probe(args) -> int:
    from ..reports import probe_figures
    from ..reports._io import write_atomic

    folder = _output_folder(args.out, "grid.json", _probe_owned)
    folder.check()
    _check_level(args.alpha, 1, 1, f"--alpha {args.alpha!r}")

    from ..theorems import CLAIMS

    from . import probe
    from ._base import Settings
    from ._knobs import KnobError, apply_knobs, parse_vary
    from ._registry import CHECKS
    from ._verdict import RTOL
    from .suite import resolve_regimes

    if args.claim not in CLAIMS:
        raise UsageError(f"--claim: unknown claim id {_clip(repr(args.claim))}; known: {', '.join(CLAIMS)}")
    base = resolve_regimes([args.regime])[0]
    try:
        knobs = [parse_vary(v) for v in args.vary]
        names = [k.name for k in knobs]
        if len(set(names)) != len(names):
            raise KnobError(f"--vary: a knob is given twice ({', '.join(names)})")
        for knob in knobs:  # every corner of the box must be a valid regime
            for value in (knob.lo, knob.hi):
                apply_knobs(base, {knob.name: value})
    except KnobError as exc:
        raise UsageError(str(exc)) from None
    check = CHECKS[args.claim]
    cells = math.prod(k.n for k in knobs)
    planned = max(check.planned_comparisons(base, Settings(seed=args.seed, alpha=args.alpha, stages=1)), 1)
    _check_level(args.alpha, cells * planned, 1, f"--alpha {args.alpha!r}",
                 f" over {cells:,} cells of about {planned} comparison(s) each")
    peak, seconds = refuse_if_too_big(_probe_estimate(check, base, args.claim, knobs, args), "this probe")
    _progress(f"ssmverify probe: {cells:,} cells; estimate: at most {size_text(peak)} of memory, "
              f"about {duration_text(seconds)}")
    settings = Settings(seed=args.seed, alpha=args.alpha, n_paths=args.paths)
    started = time.perf_counter()
    with _writing(folder):
        staging = folder.staging
        try:
            grid = probe.run_grid(base, args.claim, knobs, settings, dask=args.dask)
        except RuntimeError as exc:
            raise UsageError(str(exc)) from None
        _progress(f"grid: {len(grid['cells'])} cells in {time.perf_counter() - started:.1f} s")
        search = None
        if args.search:
            search = probe.search(base, args.claim, knobs, grid, args.search, grid["settings"])
        _INTERRUPTS.checkpoint()
        found = sorted((c for c in grid["cells"] if c["verdict"] == "FAIL"), key=lambda c: -c["objective"])
        found = [{**c, "knob_names": names, "origin": "grid"} for c in found[: args.max_counterexamples]]
        tolerance = RTOL * abs(float(search["best"]["bound"])) if search is not None else 0.0
        if search is not None and search["best_objective"] > tolerance and args.max_counterexamples:
            best = {**search["best"], "knob_names": names, "origin": "search"}
            same = [c for c in found if all(c[n] == best[n] for n in names)]
            if same:  # the search did not leave the best grid cell
                same[0]["origin"] = "grid and search"
            else:
                found = [best] + found[: args.max_counterexamples - 1]
        counterexamples = probe.certify_and_write(base, args.claim, found, settings, staging, args.shrink_budget)
        _name_the_final_folder(counterexamples, staging, args.out)
        doc = probe.grid_document(base, args.claim, knobs, grid, search, counterexamples)
        doc = _normalise(doc)
        for fmt, image in probe_figures.to_bytes(doc, ("png", "pdf")).items():
            write_atomic(staging / f"grid.{fmt}", image)
        write_atomic(staging / "grid.csv", probe.grid_csv(knobs, grid["cells"]))
        write_atomic(staging / "grid.json", probe.dumps(doc))
        _commit(folder)
    counts = doc["counts"]
    print(f"{args.claim} over {' × '.join(f'{k.name}[{k.n}]' for k in knobs)}: "
          + ", ".join(f"{v} {n}" for v, n in counts.items()))
    if "tightest_constant" in doc:
        tc = doc["tightest_constant"]
        print(f"smallest constant the measurements support: {tc['smallest_supported']:.4g} "
              f"(paper's κ over the region: {tc['paper_range']}); measured contraction rate exp(λ₁) there: "
              f"{tc['measured_rate_there'] if tc.get('measured_rate_there') is not None else 'n/a'}")
    if search is not None:
        print(f"search: best margin {search['best_objective']:.4g} after {search['evaluations']} evaluations "
              f"(best grid cell {search['start_objective']:.4g})")
    for c in counterexamples:
        print(f"  {c['status']}: {c.get('file', '')} {c['knobs']}")
    _progress(f"done in {time.perf_counter() - started:.1f} s; outputs in {args.out}/")
    certified = sum(c["status"] == "certified" for c in counterexamples)
    return EXIT_FAIL if certified or counts.get("FAIL") else EXIT_OK


def cmd_bench(args) -> int:
    from .bench import format_bench, run_bench, size_estimate

    refuse_if_too_big(size_estimate(args.paths, args.chains, args.d, args.m), "the benchmark")
    _progress(f"bench: {args.paths} paths × {args.steps} steps, {args.chains} chain(s), d = {args.d}, m = {args.m}: "
              f"warm-up, then {args.repeats} timed repeats of each side")
    result = run_bench(paths=args.paths, steps=args.steps, chains=args.chains, d=args.d, m=args.m,
                       repeats=args.repeats)
    print(json.dumps(result) if args.json else format_bench(result), flush=True)
    return EXIT_OK


def _use_every_core() -> None:
    """One XLA host device per usable core (at most 8), so the simulator splits its paths over them all.

    For the ``ssmverify`` command only, and only when the user has not set XLA_FLAGS and JAX is not loaded
    yet (it reads the flag once, when it starts); the library works with any number of devices, and results
    do not depend on it.
    """
    if "XLA_FLAGS" in os.environ or "jax" in sys.modules:
        return
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):   # not on Linux
        cores = os.cpu_count() or 1
    if cores > 1:
        os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={min(cores, 8)}"


def _reuse_freed_memory() -> None:
    """glibc only: take large blocks from the heap and keep freed memory for the next allocation.

    By default glibc maps every block over 32 MiB afresh and unmaps it when freed, so each probe chunk's
    observations (two ~60 MB arrays, made by XLA and copied by NumPy) are new pages, zeroed by the kernel
    on first touch: measured, 10–12 s of system time in a 30 × 30 theorem2 probe, 1 s with this setting
    (49 s → 43 s wall), peak memory 0.77 → 0.91 GB.  For the ``ssmverify`` command only (a library's
    allocator is its caller's business), and not when the user set glibc's own MALLOC_* variables.
    """
    if not sys.platform.startswith("linux") or any(k.startswith("MALLOC_") for k in os.environ):
        return
    import ctypes
    import platform

    if platform.libc_ver()[0] != "glibc":
        return
    M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4   # glibc's mallopt parameters (malloc.h)
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_MMAP_MAX, 0)                  # no block gets its own mapping: all come from the heap
        libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1)    # and freed memory stays there for reuse


def _name_the_final_folder(counterexamples: list[dict], staging: Path, out: str) -> None:
    """Counterexamples are written into the staging folder; their replay commands must name ``--out``."""
    from ..reports._io import write_atomic
    for record in counterexamples:
        if record.get("status") != "certified":
            continue
        path = staging / record["file"]
        final = str(Path(out) / record["file"])
        text = path.read_text(encoding="utf-8").replace(str(path), final)
        write_atomic(path, text)
        record["replay"] = record["replay"].replace(str(path), final)


def main(argv: list[str] | None = None) -> int:
    """The command line.  Exit status: 0 no FAIL, 1 some FAIL, 2 bad input or usage (SsmverifyError), 3 an
    internal error, 130 interrupted; each failure is one line on stderr (an internal error's traceback only
    with ``--debug``)."""
    if argv is None:        # the console command itself (not a call from Python): before anything imports JAX
        _use_every_core()
        _reuse_freed_memory()
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    with _handling_interrupts():
        try:
            try:
                if os.environ.get("SSMVERIFY_TEST_HOOK", "").partition(":")[0] == "start":  # see reports._io
                    seconds = os.environ["SSMVERIFY_TEST_HOOK"].partition(":")[2]
                    print(f"ssmverify-test-hook: start (pid {os.getpid()})", file=sys.stderr, flush=True)
                    time.sleep(float(seconds or 60.0))
                args = build_parser().parse_args(argv)
                debug = debug or getattr(args, "debug", False)
                if args.command in ("run", "probe", "report"):
                    from . import _jax_cache
                    if args.command != "report":
                        _jax_cache.enable()
                    if args.command != "probe":
                        _jax_cache.enable_figures()
                handler = {"run": cmd_run, "report": cmd_report, "list": cmd_list, "probe": cmd_probe,
                           "calibrate": cmd_calibrate, "bench": cmd_bench}[args.command]
                return handler(args)
            except BrokenPipeError:   # stdout closed early (``ssmverify run | head``): not an error of ours
                with contextlib.suppress(OSError):
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 141
            except KeyboardInterrupt:
                _INTERRUPTS.finished()   # a second Ctrl-C now changes nothing
                print("ssmverify: interrupted; the output folder is as it was", file=sys.stderr, flush=True)
                return EXIT_INTERRUPTED
            except SsmverifyError as exc:
                _INTERRUPTS.finished()
                print(f"error: {_one_line(exc)}", file=sys.stderr, flush=True)
                return EXIT_USAGE
            except Exception as exc:   # noqa: BLE001 - anything else is the toolkit's own fault
                _INTERRUPTS.finished()
                if debug:
                    import traceback
                    traceback.print_exc()
                print(f"ssmverify: internal error: {_one_line(f'{type(exc).__name__}: {exc}', 400)}"
                      + ("" if debug else " (run again with --debug for the traceback)"), file=sys.stderr, flush=True)
                return EXIT_INTERNAL
        except KeyboardInterrupt:   # a Ctrl-C that landed while an error above was being reported
            print("ssmverify: interrupted", file=sys.stderr, flush=True)
            return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
