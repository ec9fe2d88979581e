"""Hostile input on the report side (issue 11, items 3, 5, 6 and the results.json half of 7).

* ``ssmverify report DIR`` checks results.json against the schema shipped with the package before it
  renders: a damaged document exits 2 with one line naming the JSON path of the first problem, and
  every file in DIR stays byte-identical; every document the schema accepts renders (no traceback).
* Names are data: math text in a regime name does not break a figure, look-alike names get distinct
  figure files and ids, control characters are shown escaped in every output.
* report.md is safe to render: checked with a real CommonMark parser (markdown-it-py) where installed.
* Property-based (Hypothesis, derandomised): mutated results.json documents, random bytes and byte-level
  damage; the property is exit status in {0, 1, 2}, no traceback, and nothing rewritten on 2.

One quick real run (``builtin:constant-gate``, theorem2) is made per module; everything else is rendered
from documents derived from it or made here.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import json
import re
import shutil
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ssmverify.checks.cli import main
from ssmverify.reports import ResultsError, figures, html, junit, latex, markdown, render_all, validate_results
from ssmverify.reports import _format as f
from ssmverify.reports._io import dumps
from ssmverify.reports._schema import schema
from ssmverify import SsmverifyError

try:  # a real CommonMark renderer as the oracle for "report.md is safe to render" (test extra)
    import markdown_it
except ImportError:  # pragma: no cover
    markdown_it = None

ROOT = Path(__file__).resolve().parent.parent
OUTPUTS = ("index.html", "report.md", "junit.xml", "results.tex", "results.json")
# Characters that must never appear raw in an output (the set reports._format.visible escapes).
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                         r"\u2066-\u2069\ud800-\udfff]")
MATH_NAME = "cost $\\foo{$ x"
INJECTION = "<img src=x onerror=alert(1)>"
PROPERTY = settings(derandomize=True, deadline=None, database=None, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- helpers ---------------------------------------------------------------------------------------------------


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _report(folder: Path) -> tuple[int, str, str]:
    """``ssmverify report FOLDER`` in this process: (exit status, stdout, stderr). Any exception propagates."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["report", str(folder)])
    return code, out.getvalue(), err.getvalue()


def _write(folder: Path, document=None, raw: bytes | None = None) -> Path:
    """results.json in ``folder``: a document (any Python value, written as Python's json writes it: lone
    surrogates as \\u escapes, NaN as a literal) or raw bytes."""
    if raw is None:
        raw = json.dumps(document, ensure_ascii=True, allow_nan=True).encode("ascii")
    (folder / "results.json").write_bytes(raw)
    return folder


def _check_report(folder: Path) -> tuple[int, str]:
    """The property of issue 11: exit status 0, 1 or 2, no traceback, one line and nothing rewritten on 2."""
    before = _files(folder)
    code, out, err = _report(folder)
    assert code in (0, 1, 2), (code, err[-2000:])
    assert "Traceback" not in out and "Traceback" not in err
    if code == 2:
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
        assert _files(folder) == before, "a refused results.json must leave every file as it was"
    else:
        for name in OUTPUTS:
            assert (folder / name).is_file(), name
        for name in ("index.html", "report.md", "junit.xml", "results.tex"):
            assert not RAW_CONTROL.search((folder / name).read_text(encoding="utf-8")), name
    return code, err


def _refused(folder: Path, *needles: str) -> str:
    code, err = _check_report(folder)
    assert code == 2, f"accepted: {err}"
    for needle in needles:
        assert needle in err, (needle, err)
    return err


def _tiny_plot(title: str) -> dict:
    return {"title": title, "panels": [{
        "xlabel": "step t", "ylabel": "ratio", "note": "a note",
        "series": [{"label": "measured", "x": [1, 2, 3], "y": [1.0, 0.5, "nan"], "lo": [0.9, 0.4, "-inf"],
                    "hi": [1.1, 0.6, "inf"], "style": "solid"}],
        "hlines": [{"y": 1.0, "label": "bound"}]}]}


def _trim(value, keep: int = 3):
    """Long lists shortened (the structure of a real document, at a size mutations can explore)."""
    if isinstance(value, dict):
        return {k: _trim(v, keep) for k, v in value.items()}
    if isinstance(value, list):
        return [_trim(v, keep) for v in value[:keep]]
    return value


def _small(document: dict, plots: bool = True) -> dict:
    """The real document with its figure reduced to a tiny one (or none): fast to render."""
    doc = copy.deepcopy(document)
    for row in doc["results"]:
        plotted = plots and bool(row["figures"])
        row["details"] = _trim({k: v for k, v in row["details"].items() if k != "plots"})
        row["details"]["plots"] = [_tiny_plot(f"{row['claim']} — {row['regime']}")] if plotted else []
        row["figures"] = row["figures"][:1] if plotted else []
    return doc


# --- fixtures --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """``ssmverify run builtin:constant-gate --quick --claims theorem2``: (its folder, its results.json)."""
    out = tmp_path_factory.mktemp("real") / "run"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["run", "builtin:constant-gate", "--quick", "--claims", "theorem2", "--out", str(out)]) in (0, 1)
    return out, json.loads((out / "results.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def small_folder(real_run, tmp_path_factory):
    """A finished folder rendered from the small document (tiny figure)."""
    _, document = real_run
    out = tmp_path_factory.mktemp("small") / "run"
    render_all(out, json.loads(dumps(_small(document))))
    return out


@pytest.fixture
def folder(small_folder, tmp_path):
    """A fresh copy of the small folder, to damage."""
    target = tmp_path / "run"
    shutil.copytree(small_folder, target)
    return target


@pytest.fixture
def doc(small_folder):
    return json.loads((small_folder / "results.json").read_text(encoding="utf-8"))


# --- the schema itself -----------------------------------------------------------------------------------------


def test_schema_is_valid_json_schema_shipped_as_package_data():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(schema())
    from importlib.resources import files

    assert files("ssmverify.reports").joinpath("results.schema.json").is_file()   # as installed
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "results.schema.json" in project["tool"]["setuptools"]["package-data"]["ssmverify.reports"]
    assert any(d.replace(" ", "").startswith("jsonschema>=4") for d in project["project"]["dependencies"])
    assert any(d.startswith("hypothesis") for d in project["project"]["optional-dependencies"]["test"])


def test_what_run_writes_is_accepted(real_run):
    from ssmverify.reports._sample import sample_document

    _, document = real_run
    validate_results(document)
    validate_results(sample_document())


def test_results_error_is_a_toolkit_error_with_one_line_naming_the_path(doc):
    doc["results"][0]["ci"] = [0.1]
    with pytest.raises(ResultsError) as info:
        validate_results(doc)
    assert isinstance(info.value, SsmverifyError)
    assert str(info.value) == "results[0].ci: expected 2 numbers, got 1"


def test_the_first_problem_in_document_order_is_named(doc):
    second = copy.deepcopy(doc["results"][0])
    doc["results"].append(second)
    second["verdict"] = 7
    doc["results"][0]["statistic"] = "big"
    with pytest.raises(ResultsError, match=r"^results\[0\]\.statistic: "):
        validate_results(doc)


# --- damaged results.json: refused, nothing rewritten ----------------------------------------------------------


def _row(d):
    return d["results"][0]


def _series(d):
    return _row(d)["details"]["plots"][0]["panels"][0]["series"][0]


def _nest(depth: int):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


DAMAGE = [
    ("rows are numbers", lambda d: d.update(results=[1, 2]), "results[0]: expected an object"),
    ("row is null", lambda d: d["results"].insert(0, None), "results[0]: expected an object"),
    ("results is an object", lambda d: d.update(results={"0": {}}), "results: expected a list"),
    ("verdict is a number", lambda d: _row(d).update(verdict=1), "results[0].verdict: expected one of"),
    ("verdict unknown", lambda d: _row(d).update(verdict="MAYBE"), 'got "MAYBE"'),
    ("verdict lower case", lambda d: _row(d).update(verdict="pass"), "results[0].verdict"),
    ("statistic is a string", lambda d: _row(d).update(statistic="0.5"), "results[0].statistic: expected a number"),
    ("statistic nan plus newline", lambda d: _row(d).update(statistic="nan\n"), "results[0].statistic"),
    ("statistic beyond float64", lambda d: _row(d).update(statistic=10 ** 400), "digits"),
    ("statistic is a boolean", lambda d: _row(d).update(statistic=True), "results[0].statistic"),
    ("one-element CI", lambda d: _row(d).update(ci=[0.1]), "results[0].ci: expected 2 numbers, got 1"),
    ("three-element CI", lambda d: _row(d).update(ci=[0, 1, 2]), "results[0].ci: expected 2 numbers, got 3"),
    ("CI is a number", lambda d: _row(d).update(ci=0.5), "results[0].ci"),
    ("CI holds text", lambda d: _row(d).update(ci=["low", 1]), "results[0].ci[0]"),
    ("deep nesting", lambda d: _row(d)["details"].update(junk=_nest(40)), "nests too deeply"),
    ("missing regime", lambda d: _row(d).pop("regime"), 'results[0]: missing key "regime"'),
    ("missing verdict", lambda d: _row(d).pop("verdict"), 'missing key "verdict"'),
    ("missing details", lambda d: _row(d).pop("details"), 'missing key "details"'),
    ("missing figures", lambda d: _row(d).pop("figures"), 'missing key "figures"'),
    ("missing results", lambda d: d.pop("results"), 'missing key "results"'),
    ("missing version", lambda d: d.pop("version"), 'missing key "version"'),
    ("schema 2", lambda d: d.update(schema=2), "schema: expected 1"),
    ("schema true", lambda d: d.update(schema=True), "schema: expected 1"),
    ("regime is a number", lambda d: _row(d).update(regime=3), "results[0].regime"),
    ("regime is empty", lambda d: _row(d).update(regime=""), "results[0].regime"),
    ("figure path escapes", lambda d: _row(d).update(figures=["../escaped.png"]), "results[0].figures[0]"),
    ("figure path absolute", lambda d: _row(d).update(figures=["/tmp/x.png"]), "results[0].figures[0]"),
    ("figure path climbs", lambda d: _row(d).update(figures=["figures/../../x.png"]), "figures[0]"),
    ("figure path hidden", lambda d: _row(d).update(figures=["figures/.x.png"]), "figures[0]"),
    ("figure path newline", lambda d: _row(d).update(figures=["figures/a.png\n"]), "figures[0]"),
    ("figure not a png", lambda d: _row(d).update(figures=["figures/a.svg"]), "figures[0]"),
    ("lone surrogate in text", lambda d: _row(d)["details"].update(caveats=["\ud800"]), "caveats[0]"),
    ("lone surrogate in a key", lambda d: _row(d)["details"].update({"\udfff": 1}), "key"),
    ("details is null", lambda d: _row(d).update(details=None), "results[0].details"),
    ("comparison is a number", lambda d: _row(d)["details"].update(comparisons=[3]), "comparisons[0]"),
    ("claimed is a list", lambda d: _row(d)["details"]["comparisons"][0].update(claimed=["<"]), "claimed"),
    ("detectable violation is text", lambda d: _row(d)["details"]["comparisons"][0].update(
        detectable_violation="big"), "detectable_violation"),
    ("hypothesis is text", lambda d: _row(d)["details"].update(hypotheses=["holds"]), "hypotheses[0]"),
    ("plot spec is text", lambda d: _row(d)["details"].update(plots=["a plot"]), "plots[0]"),
    ("series without y", lambda d: _series(d).pop("y"), 'missing key "y"'),
    ("series lo without hi", lambda d: _series(d).pop("hi"), 'key "lo" needs "hi"'),
    ("series x holds text", lambda d: _series(d)["x"].__setitem__(1, "two"), "x[1]"),
    ("math-text marker", lambda d: _series(d).update(marker="$\\alpha$"), "marker"),
    ("unknown colour", lambda d: _series(d).update(color="not-a-colour"), "color"),
    ("too many panels", lambda d: _row(d)["details"]["plots"][0].update(
        panels=_row(d)["details"]["plots"][0]["panels"] * 13), "at most 12 panels"),
    ("environment is null", lambda d: d.update(environment=None), "environment"),
    ("packages is a list", lambda d: d["environment"].update(packages=["numpy"]), "environment.packages"),
    ("alpha is 1.5", lambda d: d.update(alpha=1.5), "alpha"),
    ("family size 0", lambda d: d.update(family_size=0), "family_size"),
    ("seed negative", lambda d: d.update(seed=-1), "seed"),
    ("quick is text", lambda d: d.update(quick="yes"), "quick"),
    ("n_samples fractional", lambda d: _row(d).update(n_samples=1.5), "n_samples"),
    ("hypotheses_hold is text", lambda d: _row(d).update(hypotheses_hold="yes"), "hypotheses_hold"),
]


@pytest.mark.parametrize("name, damage, needle", DAMAGE, ids=[d[0] for d in DAMAGE])
def test_damaged_results_are_refused_and_nothing_is_rewritten(folder, doc, name, damage, needle):
    damage(doc)
    _refused(_write(folder, doc), "results.json: ", needle)


RAW = [
    ("empty file", b""),
    ("not UTF-8", b"\xff\xfe{\x00}"),
    ("truncated", b'{"schema": 1, "results": ['),
    ("byte-order mark", b"\xef\xbb\xbf{}"),
    ("a JSON string", b'"results"'),
    ("null", b"null"),
    ("a list", b"[]"),
    ("nested 100000 deep", b"[" * 100_000 + b"]" * 100_000),
    ("integer of 5000 digits", b'{"seed": ' + b"9" * 5000 + b"}"),
]


@pytest.mark.parametrize("name, raw", RAW, ids=[r[0] for r in RAW])
def test_unreadable_results_json_is_refused(folder, name, raw):
    _refused(_write(folder, raw=raw), "results.json")


def test_a_folder_whose_figures_is_a_file_is_refused_untouched(folder):
    shutil.rmtree(folder / "figures")
    (folder / "figures").write_bytes(b"not a folder")
    _refused(folder, "not a writable directory")


# --- hostile but valid documents: rendered, names are data ----------------------------------------------------


def _hostile(doc: dict, regime: str = MATH_NAME, claim: str = "theorem2") -> dict:
    row = _row(doc)
    row["regime"], row["claim"] = regime, claim
    row["details"]["plots"] = [_tiny_plot(f"{claim} — {regime}")]
    row["details"]["plots"][0]["panels"][0]["series"][0]["label"] = f"measured, {regime}"
    row["details"]["plots"][0]["panels"][0]["title"] = regime
    row["figures"] = [f"figures/{f.figure_stem(regime, claim)}.png"]
    return doc


def test_a_regime_named_with_math_text_draws_its_figure(folder, doc):
    _hostile(doc)
    assert _check_report(_write(folder, doc))[0] in (0, 1)
    png = folder / _row(doc)["figures"][0]
    assert png.read_bytes().startswith(b"\x89PNG") and png.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    assert "cost $\\foo{$ x" in (folder / "index.html").read_text(encoding="utf-8")


def test_figure_texts_are_plain_text_not_math():
    spec = _tiny_plot(MATH_NAME)
    panel = spec["panels"][0]
    panel.update(title="$\\frac{$", xlabel="$x$", ylabel="a_b^c $", note="$$ \\undefined{")
    panel["series"][0]["label"] = "$\\bad{$"
    panel["hlines"][0]["label"] = "$\\x{$ \x1b"
    panel["vlines"] = [{"x": 2, "label": "$\\y{"}]
    fig = figures.render(spec)
    texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_parse_math")) if t.get_text()]
    data = [t for t in texts if "$" in t.get_text()]
    assert data and not any(t.get_parse_math() for t in data)
    assert any(t.get_text() == "$\\x{$ \\x1b" for t in texts), "control characters escaped in the legend"
    out = figures.save(fig, ("png", "pdf"))
    assert out["png"].startswith(b"\x89PNG")


def test_the_probe_map_draws_names_as_plain_text():
    from ssmverify.reports import probe_figures

    cells = [{"gate": g, "hypotheses_hold": g < 0.8, "statistic": g, "bound": 0.5, "margin": g - 0.5,
              "ci": [g - 0.1, g + 0.1], "verdict": "FAIL" if g > 0.7 else "PASS"} for g in (0.1, 0.5, 0.9)]
    grid = {"claim": "$\\bad{", "regime": MATH_NAME + " \x1b", "alpha": 0.01, "per_comparison_level": 0.003,
            "paths_per_cell": 64, "multiple_testing": "Bonferroni $ over 3 cells",
            "knobs": [{"name": "gate", "values": [0.1, 0.5, 0.9], "log": False}], "cells": cells}
    fig = probe_figures.render(grid)
    title = fig.axes[0].get_title()
    assert MATH_NAME in title and "\\x1b" in title and not fig.axes[0].title.get_parse_math()
    out = figures.save(fig, ("png", "pdf"))
    assert out["png"].startswith(b"\x89PNG")


def test_a_series_whose_arrays_disagree_is_left_out_with_a_note():
    spec = _tiny_plot("t")
    spec["panels"][0]["series"].append({"label": "short", "x": [1, 2, 3], "y": [1.0, 2.0], "style": "solid",
                                        "marker": "o", "color": "#zzzzzz"})
    spec["panels"][0]["series"].append({"label": "pts", "x": [1, 2], "y": [1.0, 2.0], "style": "points",
                                        "yerr_lo": [0.5], "yerr_hi": [2.5, 3.0]})
    fig = figures.render(spec)
    notes = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "'short': 3 x values but 2 y values: not drawn" in notes and "'pts'" in notes
    figures.save(fig, ("png",))


def test_control_characters_are_shown_escaped_in_every_output(folder, doc):
    _hostile(doc, regime="evil\x1b[2J\x07\u202e", claim="theorem2\x00\r")
    row = _row(doc)
    row["details"]["reason"] = "line one\nline two\x85"
    row["details"]["caveats"] = ["bell \x07 and escape \x1b[31m"]
    doc["version"] = "0.1\x1b[0m"
    assert _check_report(_write(folder, doc))[0] in (0, 1)
    for name in ("index.html", "report.md", "junit.xml", "results.tex"):
        text = (folder / name).read_text(encoding="utf-8")
        assert not RAW_CONTROL.search(text), name
        assert "x1b" in text and "u202e" in text, name
    assert "evil\\x1b[2J\\x07\\u202e" in (folder / "index.html").read_text(encoding="utf-8")
    ET.parse(folder / "junit.xml")
    for text in ("a\x1bb", "tab\there", "nul\x00", "\u2028", "\ud800"):
        assert not RAW_CONTROL.search(f.visible(text))
    assert f.visible("a\x1bb") == "a\\x1bb" and f.visible("x\ny") == "x\\ny" and f.visible(None) == ""
    assert f.num("\x1b") == "\\x1b"


def test_look_alike_names_get_distinct_figure_files_and_ids(monkeypatch, tmp_path):
    """``a/b`` and ``a-b`` in one run: two figure files, two ids (checks/suite.run_rows names the files)."""
    import ssmverify.checks._registry
    from ssmverify.checks._base import Check, Settings
    from ssmverify.checks._verdict import PASS, CheckResult
    from ssmverify.checks.suite import Row, resolve_regimes

    class Drawn(Check):
        def planned_comparisons(self, regime, settings):
            return 0

        def run(self, regime, settings):
            return CheckResult(regime=regime.name, claim="theorem2", verdict=PASS, hypotheses_hold=True,
                               statistic=0.1, bound=1.0, ci=(0.1, 0.1), n_samples=1,
                               details={"plots": [_tiny_plot(f"drawn for {regime.name}")]})

    Drawn.claim = ssmverify.checks._registry.CLAIMS["theorem2"]
    base = resolve_regimes(["builtin:constant-gate"])[0]
    rows = [Row(dataclasses.replace(base, name=name), "theorem2", None, Drawn()) for name in ("a/b", "a-b", "a b")]
    from ssmverify.checks.suite import results_document, run_rows

    settings_ = Settings(seed=0, alpha=0.01, quick=True, family_size=1)
    document = json.loads(dumps(results_document(run_rows(rows, settings_), settings_)))
    names = [r["figures"][0] for r in document["results"]]
    assert len(set(names)) == 3 and all(n.startswith("figures/a-b--theorem2-") for n in names)
    validate_results(document)
    render_all(tmp_path, document)
    pngs = [(tmp_path / n).read_bytes() for n in names]
    assert len(set(pngs)) == 3, "each card shows its own figure"
    ids = f.anchors(document["results"])
    assert len(set(ids)) == 3
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    for anchor in ids:
        assert page.count(f'id="{anchor}"') == 1


def test_ids_stay_unique_when_a_name_looks_like_a_deduplicated_id():
    rows = [{"regime": "a/b", "claim": "c"}, {"regime": "a-b", "claim": "c"}, {"regime": "a-b", "claim": "c-2"}]
    assert len(set(f.anchors(rows))) == 3


def test_figure_names_are_short_portable_and_stable():
    stem = f.figure_stem("α" * 300 + "/x", "claim" * 40)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", stem) and len(stem) <= 140
    assert stem == f.figure_stem("α" * 300 + "/x", "claim" * 40)
    assert f.figure_stem("a/b", "c") != f.figure_stem("a-b", "c") != f.figure_stem("A-b", "c")
    assert f.slug("") == "x" and f.slug("--") == "x"


def test_an_empty_run_renders(folder, doc):
    doc["results"] = []
    assert _check_report(_write(folder, doc))[0] == 0


def test_non_finite_json_literals_render(folder, doc):
    raw = json.dumps(doc).replace('"statistic": 0.4', '"statistic": NaN', 1).encode("utf-8")
    assert b"NaN" in raw
    assert _check_report(_write(folder, raw=raw))[0] in (0, 1)


# --- report.md is safe to render -------------------------------------------------------------------------------


_ALLOWED_TAGS = {"a", "br", "details", "summary", "img", "p", "h1", "h2", "h3", "h4", "ul", "ol", "li", "table",
                 "thead", "tbody", "tr", "th", "td", "code", "pre", "strong", "em", "blockquote", "hr"}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in _ALLOWED_TAGS:
            self.problems.append(f"<{tag}>")
        for key, value in attrs:
            if key.startswith("on"):
                self.problems.append(f"<{tag} {key}>")
            if key in ("href", "src") and not (value or "").startswith(("#", "figures/")):
                self.problems.append(f"<{tag} {key}={value!r}>")
        if tag == "a" and not ({"href", "id"} & set(a)):
            self.problems.append("<a> without href or id")


def _markdown_problems(text: str) -> list[str]:
    """Tags and attributes a CommonMark renderer (HTML allowed, as GitHub's) makes of report.md that the
    report itself does not write ([] where markdown-it-py is not installed)."""
    if markdown_it is None:  # pragma: no cover
        return []
    rendered = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    parser = _Tags()
    parser.feed(rendered)
    parser.close()
    return parser.problems


def _injected(doc: dict) -> dict:
    row = _row(doc)
    doc["version"] = INJECTION
    row["regime"] = "r` <b>x</b> |pipe| ```"
    row["details"]["reproduce"] = f"ssmverify run x\n```\n{INJECTION}\n```\n````"
    row["details"]["caveats"] = ["<script>alert(1)</script>", "[link](javascript:alert(1))", "![i](x.png)"]
    row["details"]["reason"] = "&lt;img src=x onerror=alert(1)&gt; <!-- comment"
    row["details"]["claim"]["summary"] = "# heading\n- item\n1. numbered\n<div onclick=x>"
    row["details"]["claim"]["statement"] = "a ```` b `"
    row["details"]["regime_description"] = "<details><summary>x</summary>"
    row["details"]["statistic_name"] = "$x$ ~~struck~~ *em* _u_"
    doc["environment"]["python"] = "`3.11` <i>"
    row["details"]["novel"] = {"k<e>y": "<iframe src=//evil>", "list": ["<svg onload=x>"]}
    row["figures"] = []
    row["details"]["plots"] = []
    return doc


def test_report_md_escapes_every_value_and_fences_hold(folder, doc):
    pytest.importorskip("markdown_it")
    _injected(doc)
    assert _check_report(_write(folder, doc))[0] in (0, 1)
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert "\\<script\\>" in md and "\\<iframe src=//evil\\>" in md and "\\<svg onload=x\\>" in md
    assert "ssmverify \\<img src=x onerror=alert(1)\\>" in md  # the version, escaped
    lines = md.splitlines()
    k = lines.index("#### Reproduce this row")
    fence = lines[k + 2]
    assert re.fullmatch(r"`{5,}sh", fence), fence  # longer than the ```` it holds
    assert lines[k + 4] == fence[:-2] and "\\n```\\n" in lines[k + 3]  # one line, newlines shown as \n
    raw = [line for line in lines if INJECTION in line and line != lines[k + 3]]
    assert raw == [f"| ssmverify | `{INJECTION}` |"], "raw only as code (the block; the version's code span)"
    assert _markdown_problems(md) == []


def test_index_html_escapes_the_same_values(folder, doc):
    from test_reports import _Nesting

    _injected(doc)
    assert _check_report(_write(folder, doc))[0] in (0, 1)
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert INJECTION not in page and "<script>" not in page and "<iframe" not in page and "<svg" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    checker = _Nesting()
    checker.feed(page)
    checker.close()
    assert checker.errors == [] and checker.stack == []


def test_the_sample_report_md_renders_safely():
    from ssmverify.reports._sample import sample_document

    pytest.importorskip("markdown_it")
    assert _markdown_problems(markdown.render(sample_document())) == []


# --- property-based: mutated documents, random bytes, byte damage ----------------------------------------------


_HOSTILE_STRINGS = ["", "inf", "-inf", "nan", "nan\n", "PASS", "FAIL", "NOT_APPLICABLE", "figures/x.png",
                    "../x.png", "figures/../x.png", MATH_NAME, "a\x1bb", "\ud800", "```", INJECTION, "0.5",
                    "a/b", "\u202eevil", "x" * 300]
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.integers(), st.just(10 ** 400),
                     st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(_HOSTILE_STRINGS),
                     st.text(max_size=12))
_VALUES = st.one_of(
    st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                 | st.dictionaries(st.sampled_from(["x", "y", "label", "ci", "verdict", "\ud800", "k"]), inner,
                                   max_size=3), max_leaves=8),
    st.integers(1, 40).map(_nest),
)


def _nodes(document) -> list[tuple]:
    out = []

    def walk(value, path):
        out.append(path)
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, path + (key,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, path + (i,))

    walk(document, ())
    return out


def _at(document, path):
    for p in path:
        document = document[p]
    return document


def _mutate(data, document):
    """One random change at a random place: replace, delete, add a key, duplicate or drop an element."""
    path = data.draw(st.sampled_from(_nodes(document)), label="path")
    op = data.draw(st.sampled_from(["replace", "replace", "delete", "add", "duplicate", "wrap"]), label="op")
    value = data.draw(_VALUES, label="value") if op in ("replace", "add") else None
    if op == "replace":
        if not path:
            return value
        _at(document, path[:-1])[path[-1]] = value
    elif op == "delete" and path:
        parent = _at(document, path[:-1])
        del parent[path[-1]]
    elif op == "add":
        target = _at(document, path)
        if isinstance(target, dict):
            target[data.draw(st.sampled_from(["extra", "ci", "verdict", "figures", "\x1b"]), label="key")] = value
        elif isinstance(target, list):
            target.append(value)
    elif op == "duplicate":
        target = _at(document, path)
        if isinstance(target, list) and target:
            target.append(copy.deepcopy(target[0]))
    elif op == "wrap" and path:
        parent = _at(document, path[:-1])
        parent[path[-1]] = [parent[path[-1]]]
    return document


@pytest.fixture(scope="module")
def bases(real_run, tmp_path_factory):
    """Finished folders to damage: the real document trimmed, with a tiny figure and without figures."""
    _, document = real_run
    out = {}
    for plots in (True, False):
        folder = tmp_path_factory.mktemp("base") / "run"
        render_all(folder, json.loads(dumps(_small(document, plots))))
        out[plots] = folder
    return out


def _fresh(base: Path, root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    target = Path(tempfile.mkdtemp(dir=root)) / "run"
    shutil.copytree(base, target)
    return target


@settings(PROPERTY, max_examples=40)
@given(data=st.data())
def test_property_mutated_results_json(bases, tmp_path_factory, data):
    plots = data.draw(st.booleans(), label="plots")
    folder = _fresh(bases[plots], tmp_path_factory.getbasetemp() / "mutated")
    document = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        document = _mutate(data, document)
    code, _ = _check_report(_write(folder, document))
    event(f"exit status {code}")
    if code != 2:
        validate_results(json.loads((folder / "results.json").read_text(encoding="utf-8")))
    shutil.rmtree(folder.parent)


@settings(PROPERTY, max_examples=25)
@given(raw=st.binary(max_size=400))
def test_property_random_bytes(bases, tmp_path_factory, raw):
    folder = _fresh(bases[False], tmp_path_factory.getbasetemp() / "bytes")
    assert _check_report(_write(folder, raw=raw))[0] == 2
    shutil.rmtree(folder.parent)


@settings(PROPERTY, max_examples=30)
@given(data=st.data())
def test_property_byte_damage(bases, tmp_path_factory, data):
    folder = _fresh(bases[False], tmp_path_factory.getbasetemp() / "damaged")
    raw = bytearray((folder / "results.json").read_bytes())
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        at = data.draw(st.integers(0, len(raw)), label="at")
        op = data.draw(st.sampled_from(["flip", "cut", "insert", "truncate"]), label="op")
        if op == "flip" and at < len(raw):
            raw[at] = data.draw(st.integers(0, 255), label="byte")
        elif op == "cut":
            del raw[at:at + data.draw(st.integers(1, 40), label="n")]
        elif op == "insert":
            raw[at:at] = data.draw(st.sampled_from([b'"', b"[", b"}", b",", b"1e999", b"-", b"\\ud800", b"\x1b"]))
        else:
            del raw[at:]
    event(f"exit status {_check_report(_write(folder, raw=bytes(raw)))[0]}")
    shutil.rmtree(folder.parent)


# Valid documents built from the schema's own terms: every one must be accepted, and every renderer must
# draw it.  Names are any text (control characters, math text, markup); numbers include the non-finite strings.
_NAMES = st.one_of(st.sampled_from(["a/b", "a-b", MATH_NAME, "evil\x1b[2J", "```", INJECTION, "x" * 200, "é"]),
                   st.text(min_size=1, max_size=15))
_TEXTS = st.one_of(st.none(), _NAMES)
_NUMBERS = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-10 ** 6, 10 ** 6),
                     st.sampled_from(["inf", "-inf", "nan"]))
_FREE = st.recursive(st.one_of(st.none(), st.booleans(), _NUMBERS, _NAMES),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_NAMES, inner, max_size=3),
                     max_leaves=6)


@st.composite
def _series_(draw):
    n = draw(st.integers(0, 4))
    arr = st.lists(_NUMBERS, min_size=n, max_size=n)
    s = {"label": draw(_TEXTS), "x": draw(arr), "y": draw(arr),
         "style": draw(st.sampled_from(["solid", "dashed", "dotted", "points", "step", "other"]))}
    if draw(st.booleans()):
        s["lo"], s["hi"] = draw(arr), draw(arr)
    if draw(st.booleans()):
        s["yerr_lo"], s["yerr_hi"] = draw(arr), draw(arr)
    if draw(st.booleans()):
        s["marker"] = draw(st.sampled_from(figures.MARKERS))
    return s


_PANEL = st.fixed_dictionaries(
    {"xlabel": _TEXTS, "ylabel": _TEXTS, "series": st.lists(_series_(), max_size=2),
     "hlines": st.lists(st.fixed_dictionaries({"y": _NUMBERS, "label": _TEXTS}), max_size=2)},
    optional={"title": _TEXTS, "note": _TEXTS, "yscale": st.sampled_from(["log", "linear"]),
              "xscale": st.sampled_from(["log", "linear"]),
              "vlines": st.lists(st.fixed_dictionaries({"x": _NUMBERS}, optional={"label": _TEXTS}), max_size=1)})
_SPEC = st.fixed_dictionaries({"panels": st.lists(_PANEL, min_size=1, max_size=2)}, optional={"title": _TEXTS})
_COMPARISON = st.fixed_dictionaries(
    {"label": _TEXTS, "statistic": _NUMBERS, "bound": _NUMBERS, "ci": st.lists(_NUMBERS, min_size=2, max_size=2),
     "claimed": st.sampled_from(["<=", "<", ">=", ">", "?"]), "decision": st.sampled_from(["holds", "violated", "x"]),
     "decides": st.booleans(), "method": st.sampled_from(["monte-carlo", "exact", "observation"])},
    optional={"detectable_violation": _NUMBERS, "note": _TEXTS, "extra": _FREE})


@st.composite
def _row_(draw):
    regime, claim = draw(_NAMES), draw(_NAMES)
    comparisons = draw(st.lists(_COMPARISON, max_size=3))
    details = {
        "hypotheses": draw(st.lists(st.fixed_dictionaries({"name": _TEXTS, "holds": st.booleans(),
                                                          "detail": _TEXTS}), max_size=2)),
        "caveats": draw(st.lists(_NAMES, max_size=2)),
        "comparisons": comparisons,
        "representative": comparisons[0]["label"] if comparisons and draw(st.booleans()) else draw(_TEXTS),
        "claim": draw(st.one_of(st.none(), st.fixed_dictionaries(
            {}, optional={"title": _TEXTS, "section": _TEXTS, "statement": _TEXTS, "summary": _TEXTS,
                          "kind": st.sampled_from(["paper", "corrected", "control", "other"]), "corrects": _TEXTS,
                          "corrected_by": st.lists(st.fixed_dictionaries({"id": _TEXTS, "statement": _TEXTS}),
                                                   max_size=1)}))),
        "statistics": draw(st.fixed_dictionaries({}, optional={"alpha": _NUMBERS, "family_size": st.integers(0, 9),
                                                             "level": _NUMBERS, "confidence": _NUMBERS})),
        "plots": draw(st.lists(_SPEC, max_size=1)),
        **draw(st.dictionaries(st.sampled_from(["extra", "reason", "reproduce", "regime_source"]), _TEXTS,
                               max_size=2)),
        "novel": draw(_FREE),
    }
    figures_ = [f"figures/{f.figure_stem(regime, claim)}.png"] if details["plots"] else \
        draw(st.lists(st.sampled_from(["figures/missing.png", "figures/ǅ-x.png"]), max_size=1))
    return {"regime": regime, "claim": claim,
            "verdict": draw(st.sampled_from(f.VERDICTS)), "hypotheses_hold": draw(st.booleans()),
            "statistic": draw(_NUMBERS), "bound": draw(_NUMBERS),
            "ci": draw(st.lists(_NUMBERS, min_size=2, max_size=2)),
            "n_samples": draw(st.integers(0, 10 ** 6)), "details": details, "figures": figures_}


_DOCUMENTS = st.builds(
    lambda rows, version, seed, quick: {
        "schema": 1, "version": version, "seed": seed, "alpha": 0.01, "quick": quick, "family_size": 3,
        "per_comparison_level": 0.01 / 6, "results": rows,
        "environment": {"python": "3.11", "platform": version, "packages": {"numpy": None, "x": version},
                        "git_commit": None, "precision": "float64"}},
    st.lists(_row_(), max_size=3), _NAMES, st.integers(0, 10 ** 30), st.booleans())


@settings(PROPERTY, max_examples=40)
@given(document=_DOCUMENTS)
def test_property_every_document_the_schema_accepts_renders(document):
    document = json.loads(dumps(document))  # exactly as results.json would hold it
    validate_results(document)
    for text in (html.render(document), markdown.render(document), junit.render(document),
                 latex.render(document)):
        assert not RAW_CONTROL.search(text)
    ET.fromstring(junit.render(document).encode("utf-8"))
    assert _markdown_problems(markdown.render(document)) == []
    ids = f.anchors(document["results"])
    assert len(set(ids)) == len(ids)


@settings(PROPERTY, max_examples=12)
@given(spec=_SPEC)
def test_property_every_figure_spec_the_schema_accepts_draws(spec):
    spec = json.loads(dumps(spec))
    validate_results({"schema": 1, "version": "v", "seed": 0, "alpha": 0.5, "quick": False, "family_size": 1,
                      "per_comparison_level": 0.5, "results": [{
                          "regime": "r", "claim": "c", "verdict": "PASS", "hypotheses_hold": True, "statistic": 0,
                          "bound": 0, "ci": [0, 0], "n_samples": 0, "figures": [], "details": {"plots": [spec]}}],
                      "environment": {"python": None, "platform": None, "packages": {}, "git_commit": None,
                                      "precision": None}})
    out = figures.save(figures.render(spec), ("png", "pdf"), dpi=20)
    assert out["png"].startswith(b"\x89PNG") and out["pdf"].startswith(b"%PDF")
