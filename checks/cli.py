"""The ``ssmverify`` command.

    ssmverify run [REGIME.toml | builtin:NAME ...] [--claims ID,...] [--quick] [--seed N] [--alpha A] [--out DIR]
    ssmverify report DIR
    ssmverify list
    ssmverify calibrate [--seeds N] [--alpha A] [--level L] [--paths N] [--out DIR]
    ssmverify probe REGIME --claim ID --vary KNOB=lo:hi:n[:log] [--vary ...] [--search BUDGET] [--dask ADDRESS]

Exit status: 0 no FAIL, 1 at least one FAIL, 2 bad input (nothing written).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not (0.0 < value < 1.0):
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {text!r}")
    return value


def _nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


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
    report = sub.add_parser("report", help="re-render index.html, report.md, junit.xml, results.tex and the "
                                           "figures of DIR from DIR/results.json alone")
    report.add_argument("dir", help="directory holding results.json")
    sub.add_parser("list", help="list the claims and the built-in regimes")
    cal = sub.add_parser("calibrate", help="measure the toolkit's own false-FAIL rate on claims that hold with "
                                           "equality; writes DIR/calibration.json")
    cal.add_argument("--seeds", type=_nonneg_int, default=0,
                     help="trials per case (default and minimum: enough for 30 expected misses at the level)")
    cal.add_argument("--alpha", type=_probability, default=0.01,
                     help="family-wise α of the suite whose per-comparison level is calibrated (default 0.01)")
    cal.add_argument("--level", type=_probability, default=None,
                     help="calibrate this per-comparison level instead of the default suite's")
    cal.add_argument("--paths", type=_positive_int, default=256,
                     help="Monte Carlo paths per trial (default 256, fewer than the suite uses: a harder test)")
    cal.add_argument("--seed", type=_nonneg_int, default=0)
    cal.add_argument("--out", default="ssmverify-calibration", help="output directory (default ./ssmverify-calibration)")
    probe = sub.add_parser("probe", help="map where a bound fails, search for the worst violation, "
                                         "write certified counterexamples")
    probe.add_argument("regime", help="regime TOML file or builtin:NAME")
    probe.add_argument("--claim", required=True, help="the claim id to probe")
    probe.add_argument("--vary", action="append", required=True, metavar="KNOB=lo:hi:n[:log]",
                       help="a knob and its range (repeat for a 2-D map); knobs: rho, lipschitz, gate, "
                            "input_scale, noise, or a dotted key such as model.A[0][1]")
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
    return parser


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _table(document: dict) -> str:
    from reports._format import hypotheses_cell, interval, num
    header = ("regime", "claim", "hypotheses", "statistic", "bound", "CI", "verdict")
    rows = [header] + [
        (r["regime"], r["claim"], hypotheses_cell(r), num(r["statistic"]), num(r["bound"]), interval(r["ci"]),
         r["verdict"])
        for r in document["results"]
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def cmd_run(args) -> int:
    from theorems import CLAIMS

    from ._base import Settings
    from .suite import family_size, plan_rows, resolve_regimes, results_document, run_rows

    claims = None
    if args.claims:
        claims = [c.strip() for c in args.claims.split(",") if c.strip()]
        unknown = [c for c in claims if c not in CLAIMS]
        if unknown or not claims:
            raise UsageError(f"--claims: unknown claim id(s) {', '.join(map(repr, unknown)) or '(none given)'}; "
                             f"known: {', '.join(CLAIMS)}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: {out} exists and is not a directory")
    regimes = resolve_regimes(args.regimes)
    rows = plan_rows(regimes, claims)
    if not rows:
        raise UsageError("no (regime, claim) pair to run: the requested claims do not apply to these regimes")

    started = time.perf_counter()
    settings = Settings(seed=args.seed, alpha=args.alpha, quick=args.quick)
    m = args.family_size or max(family_size(rows, settings), 1)
    settings = Settings(seed=args.seed, alpha=args.alpha, quick=args.quick, family_size=m)
    _progress(f"ssmverify: {len(rows)} checks over {len(regimes)} regime(s), {m} deciding comparisons, "
              f"α = {args.alpha}, per-comparison level {settings.level:.3g}")
    results = run_rows(rows, settings, progress=_progress)
    document = results_document(results, settings)
    document = _normalise(document)
    from reports import render_all
    _progress(f"writing reports to {out}/ ...")
    render_all(out, document)
    print(_table(document))
    n_fail = sum(r["verdict"] == "FAIL" for r in document["results"])
    _progress(f"done in {time.perf_counter() - started:.1f} s: {n_fail} FAIL; results in {out}/results.json")
    return EXIT_FAIL if n_fail else EXIT_OK


def _normalise(document: dict) -> dict:
    """The document exactly as results.json will hold it, so run and report render the same bytes."""
    from reports._io import dumps
    return json.loads(dumps(document))


def cmd_report(args) -> int:
    from reports import load_results, render_all
    folder = Path(args.dir)
    if not (folder / "results.json").is_file():
        raise UsageError(f"{folder}: no results.json in this directory")
    try:
        document = load_results(folder)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{folder / 'results.json'}: not valid JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("schema") != 1 or not isinstance(document.get("results"), list):
        raise UsageError(f"{folder / 'results.json'}: key 'schema': expected a schema-1 ssmverify results file")
    render_all(folder, document)
    print(_table(document))
    return EXIT_FAIL if any(r.get("verdict") == "FAIL" for r in document["results"]) else EXIT_OK


def cmd_list(args) -> int:
    from theorems import CLAIMS

    from .suite import resolve_regimes
    print("claims:")
    for claim in CLAIMS.values():
        print(f"  {claim.id:<18} {claim.section:<6} {claim.title}")
    print("built-in regimes (run one with builtin:NAME):")
    for regime in resolve_regimes([]):
        print(f"  {regime.name:<28} {regime.description}")
    return EXIT_OK


def cmd_calibrate(args) -> int:
    from reports._io import dumps, write_atomic

    from .calibrate import run_calibration, table

    out = Path(args.out)
    if not args.out or (out.exists() and not out.is_dir()):
        raise UsageError(f"--out: {args.out!r} is not a usable directory")
    if args.level is not None and args.level >= 0.5:
        raise UsageError("--level: a per-comparison level must lie below 0.5")
    started = time.perf_counter()
    document = run_calibration(args.alpha, level=args.level, n_paths=args.paths, seeds=args.seeds, seed=args.seed,
                               progress=_progress)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "calibration.json", dumps(document))
    print(table(document))
    above = [c["shape"] for c in document["cases"] if c["significantly_above"]]
    _progress(f"done in {time.perf_counter() - started:.1f} s; {out}/calibration.json"
              + (f"; miss rate significantly above the level: {', '.join(above)}" if above else ""))
    return EXIT_FAIL if above else EXIT_OK


def cmd_probe(args) -> int:
    from reports import probe_figures
    from reports._io import write_atomic
    from theorems import CLAIMS

    from . import probe
    from ._base import Settings
    from ._knobs import KnobError, apply_knobs, parse_vary
    from ._verdict import RTOL
    from .suite import resolve_regimes

    if args.claim not in CLAIMS:
        raise UsageError(f"--claim: unknown claim id {args.claim!r}; known: {', '.join(CLAIMS)}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: {out} exists and is not a directory")
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
    settings = Settings(seed=args.seed, alpha=args.alpha, n_paths=args.paths)
    started = time.perf_counter()
    try:
        grid = probe.run_grid(base, args.claim, knobs, settings, dask=args.dask)
    except RuntimeError as exc:
        raise UsageError(str(exc)) from None
    _progress(f"grid: {len(grid['cells'])} cells in {time.perf_counter() - started:.1f} s")
    search = None
    if args.search:
        search = probe.search(base, args.claim, knobs, grid, args.search, grid["settings"])
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
    counterexamples = probe.certify_and_write(base, args.claim, found, settings, out, args.shrink_budget)
    doc = probe.grid_document(base, args.claim, knobs, grid, search, counterexamples)
    doc = _normalise(doc)
    for fmt, image in probe_figures.to_bytes(doc, ("png", "pdf")).items():
        write_atomic(out / f"grid.{fmt}", image)
    write_atomic(out / "grid.csv", probe.grid_csv(knobs, grid["cells"]))
    write_atomic(out / "grid.json", probe.dumps(doc))
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
    _progress(f"done in {time.perf_counter() - started:.1f} s; outputs in {out}/")
    certified = sum(c["status"] == "certified" for c in counterexamples)
    return EXIT_FAIL if certified or counts.get("FAIL") else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    from theorems import RegimeError
    try:
        args = build_parser().parse_args(argv)
        if args.command in ("run", "probe"):
            from . import _jax_cache
            _jax_cache.enable()
        handler = {"run": cmd_run, "report": cmd_report, "list": cmd_list, "probe": cmd_probe,
                   "calibrate": cmd_calibrate}[args.command]
        return handler(args)
    except (UsageError, RegimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
