"""The notebook display (reports/notebook.py) and the card model as the reports' one reader.

``results_html(document)`` and ``row_html(row)`` are HTML fragments for Jupyter's ``_repr_html_``: a verdict
table in index.html's colours, every value escaped as index.html escapes it, each row's figures drawn in
this process from its plot specs as inline PNGs, well-formed, self-contained and scoped by one class.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ssmverify.checks._verdict import CheckResult
from ssmverify.reports import html
from ssmverify.reports._card import build_report
from ssmverify.reports._format import visible
from ssmverify.reports._io import dumps
from ssmverify.reports._sample import sample_document, sample_row
from ssmverify.reports.notebook import SCOPE, results_html, row_html

ROOT = Path(__file__).resolve().parent.parent
INJECTION = "<img src=x onerror=alert(1)>"
MATH_NAME = "cost $\\foo{$ x"
# index.html's palette (tests/test_reports.py checks the page's CSS for the same colours).
COLOURS = {"PASS": "#1a7f37", "FAIL": "#cf222e", "INCONCLUSIVE": "#d4a72c", "NOT_APPLICABLE": "#6e7781"}
ALLOWED_TAGS = {"div", "style", "p", "span", "table", "thead", "tbody", "tr", "th", "td", "code", "figure", "img",
                "figcaption"}
VOID = {"img", "br", "meta", "hr", "input", "link"}


class _Fragment(HTMLParser):
    """Tags, nesting, table rows and images of a fragment."""

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.tags, self.imgs, self.rows, self.problems = [], [], [], [], [], []
        self._cells = None
        self._text = None
        self.badges = []   # (verdict class, style) of every badge inside a table body row
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"<{tag}>")
        for key, value in attrs:
            if key.startswith("on"):
                self.problems.append(f"<{tag} {key}>")
            if key in ("href", "src") and not (value or "").startswith("data:image/png;base64,"):
                self.problems.append(f"<{tag} {key}={value!r}>")
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "img":
            self.imgs.append(a)
        if tag == "style":
            self._in_style = True
        if tag == "tr" and "tbody" in self.stack:
            self._cells = []
        if tag == "td" and self._cells is not None:
            self._text = []
        if tag == "span" and "badge" in (a.get("class") or "").split() and self._cells is not None:
            self.badges.append((a["class"].split()[1], a.get("style", "")))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()
        if tag == "style":
            self._in_style = False
        if tag == "td" and self._cells is not None:
            self._cells.append("".join(self._text))
            self._text = None
        if tag == "tr" and self._cells is not None:
            self.rows.append(self._cells)
            self._cells = None

    def handle_data(self, data):
        if self._in_style:
            self.style += data
        if self._text is not None:
            self._text.append(data)


def _parse(fragment: str) -> _Fragment:
    p = _Fragment()
    p.feed(fragment)
    p.close()
    assert p.errors == [] and p.stack == [], (p.errors, p.stack)
    assert p.problems == [], p.problems
    return p


def _hostile_document() -> dict:
    """The sample (every verdict, an ``odd & <odd>`` regime) plus rows named with markup, math text and control
    characters, one of them with a figure."""
    rows = [sample_row(INJECTION, "claim</td></tr><script>x</script>", "FAIL", plots=True),
            sample_row("evil\x1b[2J\u202e", MATH_NAME, "INCONCLUSIVE", plots=False,
                       caveats=("<b>bold</b>",))]
    return sample_document(extra_rows=[json.loads(dumps(r)) for r in rows])


@pytest.fixture(scope="module")
def hostile():
    document = _hostile_document()
    return document, results_html(document)


def _verdict_cell_colour(style: str) -> str:
    m = re.search(r"background:\s*(#[0-9a-fA-F]{6})", style)
    assert m, style
    return m.group(1).lower()


# --- results_html ----------------------------------------------------------------------------------------------


def test_results_html_shows_every_row_escaped(hostile):
    document, fragment = hostile
    page = _parse(fragment)
    results = document["results"]
    assert len(page.rows) == len(results)
    for row, cells in zip(results, page.rows):
        assert html._e(row["regime"]) in fragment and html._e(row["claim"]) in fragment
        # the parsed text of the cells is the value itself (control characters shown escaped)
        assert cells[0] == visible(row["regime"]) and cells[1] == visible(row["claim"])
        assert cells[-1] == row["verdict"].replace("_", " ")
    assert INJECTION not in fragment and "<script>" not in fragment and "<odd>" not in fragment
    assert "<b>" not in fragment and "\x1b" not in fragment and "\u202e" not in fragment
    assert "odd &amp; &lt;odd&gt;" in fragment and html._e(INJECTION) in fragment
    assert "evil\\x1b[2J\\u202e" in fragment


def test_results_html_colours_each_verdict_as_index_html(hostile):
    document, fragment = hostile
    page = _parse(fragment)
    assert {v: c.lower() for v, (c, _) in html.palette().items()} == COLOURS, "the notebook uses the page's palette"
    css = html.css()
    for verdict, colour in COLOURS.items():
        var = {"PASS": "pass", "FAIL": "fail", "INCONCLUSIVE": "inc", "NOT_APPLICABLE": "na"}[verdict]
        assert f"--{var}: {colour}" in css and f".{verdict} {{ background: var(--{var})" in css
    assert len(page.badges) == len(document["results"])
    for row, (cls, style) in zip(document["results"], page.badges):
        assert cls == row["verdict"]
        assert _verdict_cell_colour(style) == COLOURS[row["verdict"]]
    assert {cls for cls, _ in page.badges} == set(COLOURS), "the document has every verdict"


def test_results_html_draws_a_figure_per_plot_spec_inline(hostile):
    document, fragment = hostile
    page = _parse(fragment)
    specs = [(row, spec) for row in document["results"] for spec in row["details"]["plots"]]
    assert specs and len(page.imgs) == len(specs)
    assert any(not row["details"]["plots"] for row in document["results"]), "some rows have no figure"
    for img, (row, spec) in zip(page.imgs, specs):
        assert img["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(img["src"].split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")
        assert img["alt"] == spec["title"] and int(img["width"]) > 0 and int(img["height"]) > 0
    assert fragment.count('<img src="data:image/png;base64,') == len(specs)


def test_results_html_is_self_contained_and_scoped(hostile):
    _, fragment = hostile
    page = _parse(fragment)
    assert fragment.startswith(f'<div class="{SCOPE}">') and fragment.endswith("</div>")
    assert page.tags.count("style") == 1 and "script" not in page.tags
    assert not re.search(r"https?:|url\(|@import", page.style)
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{", page.style) for s in block.split(",")]
    assert selectors and all(s.startswith(f".{SCOPE}") for s in selectors), selectors


def test_results_html_keeps_nan_as_a_dash():
    document = sample_document()
    fragment = results_html(document)
    page = _parse(fragment)
    row = next(i for i, r in enumerate(document["results"]) if r["statistic"] == "nan")
    statistic, bound, ci = page.rows[row][3:6]
    assert statistic == bound == ci == "—"


def test_results_html_of_an_empty_run():
    document = {**sample_document(), "results": []}
    page = _parse(results_html(document))
    assert page.rows == [] and page.imgs == []


# --- row_html -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", range(len(sample_document()["results"])))
def test_row_html_of_each_sample_row(k):
    row = sample_document()["results"][k]
    result = CheckResult.from_json(row)
    fragment = row_html(result)
    page = _parse(fragment)
    assert len(page.rows) == 1
    cells = page.rows[0]
    assert cells[0] == visible(row["regime"]) and cells[1] == visible(row["claim"])
    assert html._e(row["regime"]) in fragment and html._e(row["claim"]) in fragment
    assert cells[-1] == row["verdict"].replace("_", " ")
    assert _verdict_cell_colour(page.badges[0][1]) == COLOURS[row["verdict"]]
    assert "<odd>" not in fragment and "<tagged>" not in fragment
    if row["details"]["plots"]:
        assert len(page.imgs) == 1 and page.imgs[0]["src"].startswith("data:image/png;base64,")
        assert '<img src="data:image/png;base64,' in fragment
    else:
        assert page.imgs == [] and "<img" not in fragment
    assert result._repr_html_() == fragment, "CheckResult displays through row_html"


def test_row_html_escapes_hostile_names():
    row = json.loads(dumps(sample_row(INJECTION, "c</code>\x1b", "FAIL", plots=True,
                                      caveats=("<script>alert(1)</script>",))))
    row["details"]["plots"][0]["title"] = INJECTION
    fragment = row_html(CheckResult.from_json(row))
    page = _parse(fragment)
    assert INJECTION not in fragment and "<script>" not in fragment and "</code>\x1b" not in fragment
    assert page.rows[0][:2] == [INJECTION, "c</code>\\x1b"]
    assert len(page.imgs) == 1 and page.imgs[0]["alt"] == INJECTION


def test_row_html_shows_the_method_and_the_hypotheses():
    row = json.loads(dumps(sample_row("r", "c", "PASS")))
    assert _parse(row_html(CheckResult.from_json(row))).rows[0][2:7] == ["hold", "0.3", "0.5", "[0.25, 0.35]",
                                                                         "monte-carlo"]
    older = {k: v for k, v in row.items() if k != "method"}  # a file written before rows carried their method
    older["details"]["comparisons"][0]["method"] = "exact"
    assert _parse(row_html(older)).rows[0][6] == "exact", "the representative comparison's method"
    row["method"], row["details"]["plots"], row["details"]["hypotheses"] = None, [], []
    assert _parse(row_html(CheckResult.from_json(row))).rows[0][2:7:4] == ["none", "—"]


def test_row_html_of_a_fresh_result_with_non_finite_and_numpy_values():
    """A CheckResult straight from a check (floats, NaN, NumPy values; not yet written as JSON)."""
    np = pytest.importorskip("numpy")
    spec = sample_row("r", "c", "PASS")["details"]["plots"][0]
    result = CheckResult(regime="r", claim="c", verdict="INCONCLUSIVE", hypotheses_hold=True,
                         statistic=math.nan, bound=np.float64(1.0), ci=(-math.inf, math.inf), n_samples=0,
                         details={"plots": [spec], "kappa": np.float32(0.5), "hypotheses": []})
    page = _parse(row_html(result))
    assert page.rows[0][3:6] == ["—", "1", "[−∞, ∞]"]
    assert len(page.imgs) == 1


def test_a_figure_that_cannot_be_drawn_is_reported_not_raised():
    row = json.loads(dumps(sample_row("r", "c", "PASS")))
    row["details"]["plots"] = [{"title": "broken", "panels": "not a list of panels"}]
    fragment = row_html(row)
    page = _parse(fragment)
    assert page.imgs == [] and "could not be drawn" in fragment


# --- the card model is the one reader -------------------------------------------------------------------------


_READS = re.compile(r"""details\s*\[|\.get\(\s*["']details["']|\[\s*["']details["']\s*\]|\brow\s*\[|\brow\.get\(""")


@pytest.mark.parametrize("module", ["html.py", "markdown.py", "notebook.py", "junit.py", "latex.py"])
def test_renderers_read_rows_only_through_the_card_model(module):
    source = (ROOT / "reports" / module).read_text(encoding="utf-8")
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))
    code = re.sub(r'"""(?:.|\n)*?"""', "", code)  # docstrings may name the keys they explain
    assert not _READS.findall(code), f"{module} reads a row or its details itself: use reports/_card.py"


def test_every_known_details_key_has_its_card_field():
    from ssmverify.reports import _card

    source = (ROOT / "reports" / "_card.py").read_text(encoding="utf-8")
    read = set(re.findall(r"""(?:\bd|\bdetails|_details\(row\))\.get\(\s*["'](\w+)["']""", source))
    assert read == set(_card.KNOWN_DETAILS), read ^ set(_card.KNOWN_DETAILS)
    card = build_report(sample_document()).cards[0]
    documented = {field.name for field in dataclasses.fields(card)}
    assert {"caveats", "statistics", "comparisons", "plots", "reproduce", "hypotheses", "reason"} <= documented
