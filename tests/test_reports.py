"""The renderers of reports/: index.html, report.md, junit.xml, results.tex and the figures.

Everything here renders the made-up sample document of reports._sample (no simulation):
its claim ids are invented, so passing these tests shows the renderers know no claim.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ssmverify.reports import figures, html, junit, latex, load_results, markdown, render_all
from ssmverify.reports._card import extra_details
from ssmverify.reports._format import anchors, figure_stem, interval, margin, num, path_label, signed, value_text
from ssmverify.reports._io import as_float, dumps
from ssmverify.reports._sample import sample_document, sample_row

OUTPUTS = ("index.html", "report.md", "junit.xml", "results.tex", "results.json")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The sample rendered once into a folder: (folder, document, paths written)."""
    out = tmp_path_factory.mktemp("sample")
    document = sample_document()
    written = render_all(out, document)
    return out, document, written


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


class _Page(HTMLParser):
    """What a test needs from index.html: ids, local links, images, scripts, external references."""

    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.imgs, self.scripts, self.links, self.details = set(), [], [], 0, [], 0
        self.badges = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            assert a["id"] not in self.ids, f"duplicate id {a['id']}"
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
            if "badge" in (a.get("class") or ""):
                self.badges.append((a["class"], a["href"]))
        if tag == "img":
            self.imgs.append(a)
        if tag == "script":
            self.scripts += 1
        if tag == "link":
            self.links.append(a)
        if tag == "details":
            self.details += 1


def _page(text: str) -> _Page:
    p = _Page()
    p.feed(text)
    p.close()
    return p


# --- render_all ------------------------------------------------------------------------------------------------


def test_render_all_writes_every_output_and_results_json_last(rendered):
    out, document, written = rendered
    for name in OUTPUTS:
        assert (out / name).is_file(), name
    assert written[-1] == out / "results.json"
    figures_listed = [f for row in document["results"] for f in row["figures"]]
    assert figures_listed, "the sample has figures"
    for name in figures_listed:
        assert (out / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert (out / name).with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    assert load_results(out) == document
    assert (out / "index.html").stat().st_mode & 0o044, "outputs are readable by others (not mkstemp's 0600)"


def test_report_from_results_json_alone_rewrites_the_same_bytes(rendered, tmp_path):
    """Re-rendering needs nothing but results.json, and gives every file byte for byte."""
    out, _, _ = rendered
    shutil.copy(out / "results.json", tmp_path / "results.json")
    render_all(tmp_path, load_results(tmp_path))
    assert _files(tmp_path) == _files(out)


def test_figure_paths_outside_the_folder_are_not_written(tmp_path):
    row = sample_row("r", "c", "PASS")
    row["figures"] = ["../escaped.png"]
    document = {**sample_document(), "results": [json.loads(dumps(row))]}
    render_all(tmp_path / "out", document)
    assert not (tmp_path / "escaped.png").exists()
    assert "is not available" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


# --- index.html ----------------------------------------------------------------------------------------------------


def test_html_is_self_contained(rendered):
    out, document, _ = rendered
    text = (out / "index.html").read_text(encoding="utf-8")
    page = _page(text)
    assert page.scripts == 0 and page.links == [], "no script or stylesheet, inline or fetched"
    assert "@import" not in text and "@font-face" not in text
    assert not re.search(r"url\((?!data:)", text), "the CSS fetches nothing"
    assert not re.search(r'(src|href)="(https?:)?//', text), "nothing is loaded from the network"
    n_figures = sum(len(r["figures"]) for r in document["results"])
    assert len(page.imgs) == n_figures
    for img in page.imgs:
        assert img["src"].startswith("data:image/png;base64,")
        png = base64.b64decode(img["src"].split(",", 1)[1])
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert img.get("alt") and int(img["width"]) > 0 and int(img["height"]) > 0


def test_css_is_package_data_inlined_into_the_page(rendered):
    """The stylesheet is reports/report.css, shipped as package data and inlined (index.html stays one file)."""
    import tomllib
    from importlib.resources import files

    out, _, _ = rendered
    sheet = files("ssmverify.reports").joinpath("report.css").read_text(encoding="utf-8")
    assert sheet == html.css() and ":root { --pass:" in sheet
    assert f"<style>\n{sheet}</style>" in (out / "index.html").read_text(encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert "report.css" in pyproject["tool"]["setuptools"]["package-data"]["ssmverify.reports"]
    assert "box-sizing" not in (root / "reports" / "html.py").read_text(encoding="utf-8"), "no CSS in Python"


class _Nesting(HTMLParser):
    VOID = {"meta", "img", "br", "hr", "input", "link"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def test_html_is_well_nested(rendered):
    out, _, _ = rendered
    checker = _Nesting()
    checker.feed((out / "index.html").read_text(encoding="utf-8"))
    checker.close()
    assert checker.errors == [] and checker.stack == []


def test_html_summary_links_to_one_card_per_row_with_coloured_badges(rendered):
    out, document, _ = rendered
    text = (out / "index.html").read_text(encoding="utf-8")
    page = _page(text)
    ids = anchors(document["results"])
    assert set(ids) <= page.ids
    for href in page.hrefs:
        if href.startswith("#"):
            assert href[1:] in page.ids, f"dangling link {href}"
    # every row's verdict cell in the summary links to its card, with the verdict's class
    summary = text[text.index('id="summary"'):text.index("</section>", text.index('id="summary"'))]
    for row, anchor in zip(document["results"], ids):
        assert f'class="badge {row["verdict"]}" href="#{anchor}"' in summary
    assert "What did not pass" in summary
    for row, anchor in zip(document["results"], ids):  # every FAIL and INCONCLUSIVE is listed with its reason
        if row["verdict"] in ("FAIL", "INCONCLUSIVE"):
            assert summary.count(f'href="#{anchor}"') >= 2
    css = text[text.index("<style>"):text.index("</style>")]
    for verdict, colour in (("PASS", "--pass"), ("FAIL", "--fail"), ("INCONCLUSIVE", "--inc"),
                            ("NOT_APPLICABLE", "--na")):
        assert re.search(rf"\.{verdict} {{ background: var\({colour}\)", css), verdict
    assert re.search(r"--pass: #1a7f37", css) and re.search(r"--fail: #cf222e", css)  # green, red
    assert re.search(r"--inc: #d4a72c", css) and re.search(r"--na: #6e7781", css)  # amber, grey


def _card(text: str, anchor: str) -> str:
    start = text.index(f'id="{anchor}"')
    return text[start:text.index("</section>", start)]


def test_html_card_has_everything_a_reader_needs(rendered):
    out, document, _ = rendered
    text = (out / "index.html").read_text(encoding="utf-8")
    results = document["results"]
    i = next(k for k, r in enumerate(results) if r["verdict"] == "FAIL")
    row, card = results[i], _card(text, anchors(results)[i])
    claim = row["details"]["claim"]
    assert claim["statement"].replace("'", "&#x27;") in card
    assert "title=\"LaTeX: " in card and claim["section"] in card
    assert row["details"]["claim"]["corrected_by"][0]["statement"] in card  # the corrected statement
    for h in row["details"]["hypotheses"]:
        assert h["detail"] in card
    assert num(row["statistic"]) in card and num(row["bound"]) in card
    assert signed(margin(row)) in card and interval(row["ci"]) in card
    assert "α (family-wise)" in card and "at confidence" in card and str(row["n_samples"]) in card
    assert row["details"]["reproduce"] in card
    assert row["details"]["caveats"][0] in card
    # the caveats sit right after the verdict they qualify, before the statement
    assert card.index("verdict-line") < card.index("Caveats on this FAIL") < card.index("formula")
    assert "<details>" in card and "All 3 comparisons" in card
    assert 'class="rep"' in card  # the comparison reported is highlighted


def test_html_corrected_claim_says_what_it_corrects(rendered):
    out, document, _ = rendered
    text = (out / "index.html").read_text(encoding="utf-8")
    results = document["results"]
    i = next(k for k, r in enumerate(results) if r["details"]["claim"]["corrects"])
    card = _card(text, anchors(results)[i])
    original = next(r for r in results if r["claim"] == results[i]["details"]["claim"]["corrects"])
    assert "This corrects" in card and original["details"]["claim"]["statement"] in card


def test_html_escapes_everything_from_the_results(rendered):
    out, _, _ = rendered
    text = (out / "index.html").read_text(encoding="utf-8")
    assert "<odd>" not in text and "<tagged>" not in text
    assert "odd &amp; &lt;odd&gt;" in text and "&lt;tagged&gt;" in text


def test_html_shows_unknown_details_generically_and_the_environment(rendered):
    out, document, _ = rendered
    text = (out / "index.html").read_text(encoding="utf-8")
    assert "compressors" in text and "quantiser" in text and "rate bits" in text  # list of dicts -> table
    assert "empirical w2 › samples per law</th><td class=\"num\">512" in text  # nested dict, opened
    assert "[[0, 0], [-1.5, 2.25]]" in text  # list of lists
    footer = text[text.index('id="environment"'):]
    env = document["environment"]
    for value in (env["python"], env["platform"], env["git_commit"], "numpy", env["packages"]["numpy"],
                  str(document["seed"])):
        assert value in footer


def test_not_applicable_row_without_measurement_reads_sensibly(rendered):
    out, document, _ = rendered
    text = (out / "index.html").read_text(encoding="utf-8")
    results = document["results"]
    i = next(k for k, r in enumerate(results) if r["n_samples"] == 0)
    card = _card(text, anchors(results)[i])
    assert "nothing was measured" in card and "Why not applicable" in card


# --- report.md -----------------------------------------------------------------------------------------------------


def test_markdown_has_the_same_content(rendered):
    out, document, _ = rendered
    md = (out / "report.md").read_text(encoding="utf-8")
    results = document["results"]
    ids = anchors(results)
    assert md.startswith("# ssmverify report")
    for row, anchor in zip(results, ids):
        assert f'<a id="{anchor}"></a>' in md and f"](#{anchor})" in md  # card + summary link
        assert row["details"]["reproduce"] in md
        for fig in row["figures"]:
            assert f"]({fig})" in md and fig[:-4] + ".pdf" in md
        for caveat in row["details"]["caveats"]:
            assert caveat in md
        if row["details"]["comparisons"]:
            assert f"All {len(row['details']['comparisons'])} comparisons" in md
    assert md.count("<details>") == md.count("</details>") == sum(1 for r in results if r["details"]["comparisons"])
    assert "`E‖x_t‖ ≤ κ·E‖x_(t−1)‖  (toy-claim)`" in md  # formulas as code spans
    assert "This corrects" in md and "Corrected statement" in md
    assert "| name | rate bits | distortion |" in md  # unknown list of dicts -> table
    assert "## Environment" in md and document["environment"]["git_commit"] in md
    assert "margin +0.4" in md and "\\<tagged\\>" in md  # margins; HTML in text escaped
    flagged = md[md.index("### What did not pass"):md.index("Click a verdict")]
    assert flagged.count("\n- ") == sum(r["verdict"] in ("FAIL", "INCONCLUSIVE") for r in results)


def test_markdown_tables_have_consistent_columns(rendered):
    out, _, _ = rendered
    lines = (out / "report.md").read_text(encoding="utf-8").splitlines()
    k = 0
    while k < len(lines):
        if lines[k].startswith("|") and k + 1 < len(lines) and re.fullmatch(r"\|(-+\|)+", lines[k + 1]):
            width = lines[k + 1].count("|")
            j = k
            while j < len(lines) and lines[j].startswith("|"):
                cells = re.split(r"(?<!\\)\|", lines[j])
                assert len(cells) == width + 1 - 0, (lines[j], width)
                j += 1
            k = j
        else:
            k += 1


# --- junit.xml -----------------------------------------------------------------------------------------------------


def test_junit_parses_as_a_ci_system_reads_it(rendered):
    out, document, _ = rendered
    root = ET.parse(out / "junit.xml").getroot()
    results = document["results"]
    verdicts = [r["verdict"] for r in results]
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    for el in (root, suites[0]):
        assert int(el.get("tests")) == len(results)
        assert int(el.get("failures")) == verdicts.count("FAIL")
        assert int(el.get("skipped")) == verdicts.count("INCONCLUSIVE") + verdicts.count("NOT_APPLICABLE")
        assert int(el.get("errors")) == 0
    cases = suites[0].findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [(r["regime"], r["claim"]) for r in results]
    for case, row in zip(cases, results):
        failure, skipped = case.find("failure"), case.find("skipped")
        if row["verdict"] == "PASS":
            assert failure is None and skipped is None and case.find("error") is None
        elif row["verdict"] == "FAIL":
            msg = failure.get("message")
            assert num(row["statistic"]) in msg and num(row["bound"]) in msg and interval(row["ci"]) in msg
            assert skipped is None
        else:
            assert failure is None and skipped.get("message").startswith(row["verdict"])
        assert row["details"]["reproduce"] in case.find("system-out").text
    na = [c for c, r in zip(cases, results) if r["details"].get("reason")]
    assert na and "finite input alphabet" in na[0].find("skipped").get("message")
    hyp = [c for c, r in zip(cases, results) if r["verdict"] == "NOT_APPLICABLE" and not r["details"].get("reason")]
    assert hyp and "hypotheses fail: ρ·L_G < 1" in hyp[0].find("skipped").get("message")
    text = (out / "junit.xml").read_text(encoding="utf-8")
    assert "<!-- One test case per (regime, claim)" in text and "NOT_APPLICABLE is <skipped>" in text


def test_junit_survives_control_characters_and_unknown_verdicts():
    row = sample_row("r\x01", "c", "PASS", caveats=("bell \x07 here",))
    bad = sample_row("r", "weird", "MAYBE")
    document = sample_document(extra_rows=[json.loads(dumps(row)), json.loads(dumps(bad))])
    root = ET.fromstring(junit.render(document).encode("utf-8"))
    assert int(root.get("errors")) == 1
    assert root.find("testsuite").findall("testcase")[-1].find("error") is not None


# --- results.tex ---------------------------------------------------------------------------------------------------


def test_latex_table_is_booktabs_and_escaped(rendered):
    out, document, _ = rendered
    tex = (out / "results.tex").read_text(encoding="utf-8")
    for cmd in ("\\toprule", "\\midrule", "\\bottomrule", "\\begin{tabular}", "\\end{table}"):
        assert cmd in tex
    assert "weird\\_id\\{\\%\\}\\$\\#\\textasciitilde{}\\textasciicircum{}\\textbackslash{}" in tex
    assert "odd \\& \\textless{}odd\\textgreater{}" in tex
    body = "\n".join(line for line in tex.splitlines() if not line.startswith("%"))
    stripped = re.sub(r"\\[\\{}%$&#_]", "", body)
    assert stripped.count("{") == stripped.count("}")
    assert stripped.count("$") % 2 == 0
    assert all(ord(ch) < 128 for ch in tex), "pdflatex-safe: ASCII only"
    assert "\\textbf{FAIL}" in tex and "$+0.4$" in tex and "$-\\infty$" in tex
    for row in document["results"]:
        assert latex.escape(row["claim"]) in tex and latex.escape(row["regime"]) in tex


@pytest.mark.parametrize("value, expected", [
    (0.5, "$0.5$"), (-0.25, "$-0.25$"), (1.268e30, "$1.268\\times10^{30}$"), (3e-12, "$3\\times10^{-12}$"),
    ("inf", "$\\infty$"), ("-inf", "$-\\infty$"), ("nan", "--"),
])
def test_latex_numbers(value, expected):
    assert latex.number(value) == expected


def test_latex_compiles_with_pdflatex(rendered, tmp_path):
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (apt-get install texlive-latex-base texlive-latex-recommended)")
    out, _, _ = rendered
    shutil.copy(out / "results.tex", tmp_path / "results.tex")
    (tmp_path / "doc.tex").write_text("\\documentclass{article}\n\\usepackage[T1]{fontenc}\n"
                                      "\\usepackage{booktabs}\n\\begin{document}\n\\input{results.tex}\n"
                                      "\\end{document}\n", encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "doc.pdf").is_file()


# --- a new claim shows up everywhere without an edit in reports/ ---------------------------------------------------


def test_a_made_up_claim_appears_in_every_output(tmp_path):
    row = sample_row("brand-new-regime", "made-up-claim-42", "FAIL", statistic=3.5, bound=1.0, ci=(3.0, 4.0),
                     extra={"novel_measurements": [{"what": "thing", "value": 1.5}], "novel_scalar": 99})
    document = sample_document(extra_rows=[json.loads(dumps(row))])
    for other in document["results"][:-1]:  # only the new row's figure is drawn: keeps the test fast
        other["details"]["plots"], other["figures"] = [], []
    render_all(tmp_path, document)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    tex = (tmp_path / "results.tex").read_text(encoding="utf-8")
    root = ET.parse(tmp_path / "junit.xml").getroot()
    for text in (page, md, tex):
        assert "made-up-claim-42" in text and "brand-new-regime" in text
    assert 'id="card-brand-new-regime--made-up-claim-42"' in page
    assert "novel measurements" in page and "novel scalar" in page and "novel measurements" in md
    case = [c for c in root.iter("testcase") if c.get("name") == "made-up-claim-42"]
    assert len(case) == 1 and case[0].get("classname") == "brand-new-regime" and case[0].find("failure") is not None
    stem = figure_stem("brand-new-regime", "made-up-claim-42")  # the one slug rule, also the sample's
    assert row["figures"] == [f"figures/{stem}.png"] and (tmp_path / "figures" / f"{stem}.png").is_file()


# --- figures ---------------------------------------------------------------------------------------------------------


def test_figures_are_deterministic_png_and_pdf():
    spec = sample_document()["results"][0]["details"]["plots"][0]
    a, b = figures.to_bytes(spec, ("png", "pdf")), figures.to_bytes(spec, ("png", "pdf"))
    assert a == b
    assert a["png"].startswith(b"\x89PNG") and a["pdf"].startswith(b"%PDF")


def test_figure_keeps_the_bulk_readable_when_one_point_is_huge():
    xs = list(range(1, 21))
    panel = {"xlabel": "step t", "ylabel": "ratio (dimensionless)",
             "series": [{"label": "measured, A", "x": xs, "y": [175.0] + [0.5 + 0.01 * t for t in xs[1:]]},
                        {"label": "corrected bound, A", "x": xs, "y": [0.9] * 20, "style": "dotted"},
                        {"label": "measured, B", "x": xs, "y": [0.2] * 20, "style": "dashed"}],
             "hlines": [{"y": 0.675, "label": "paper κ = 0.675"}]}
    fig = figures.render({"title": "t", "panels": [panel]})
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    assert hi < 5 and lo < 0.2, "the outlier at t = 1 does not squash the rest"
    notes = [t.get_text() for t in ax.texts]
    assert any("off the axis" in n and "175" in n for n in notes)
    # a measurement and its corrected bound share a colour; another coupling gets its own
    colours = [line.get_color() for line in ax.get_lines()[:3]]
    assert colours[0] == colours[1] != colours[2]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "paper κ = 0.675" in labels and "corrected bound, A" in labels
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_figure_without_outliers_keeps_matplotlib_limits():
    xs = list(range(1, 11))
    panel = {"xlabel": "t", "ylabel": "y", "series": [{"label": "s", "x": xs, "y": [float(t) for t in xs]}]}
    fig = figures.render({"title": "t", "panels": [panel]})
    lo, hi = fig.axes[0].get_ylim()
    assert lo <= 1 and hi >= 10 and not fig.axes[0].texts
    import matplotlib.pyplot as plt
    plt.close(fig)


# --- drawing: once per figure, in this process and workers alike, and the figure cache ---------------------------------


def _sample_specs() -> list[dict]:
    return [json.loads(json.dumps(p)) for r in sample_document()["results"] for p in r["details"]["plots"]]


def test_savefig_draws_each_format_once(monkeypatch):
    """tight_layout leaves a placeholder layout engine that made every savefig lay the figure out a second time."""
    import matplotlib.figure

    draws = []
    original = matplotlib.figure.Figure.draw
    monkeypatch.setattr(matplotlib.figure.Figure, "draw", lambda self, r: draws.append(1) or original(self, r))
    figures.to_bytes(_sample_specs()[0], ("png", "pdf"))
    assert len(draws) == 2


def test_workers_and_this_process_draw_the_same_bytes(monkeypatch):
    """This process draws from the end while a spawned worker draws from the start; the caller's own rcParams
    (a notebook's style) change neither."""
    import matplotlib

    import ssmverify.reports as reports

    specs = (_sample_specs() * 3)[:6]
    alone = [figures.to_bytes(spec, reports.FORMATS) for spec in specs]
    monkeypatch.setattr(reports, "_cpus", lambda: 2)
    monkeypatch.setattr(reports, "FIGURES_PER_WORKER", 3)
    with matplotlib.rc_context({"lines.linewidth": 7.0, "font.size": 20, "axes.grid": False}):
        shared = reports._render_figures(specs)
    assert shared == alone


def test_figure_cache_second_render_draws_nothing_and_writes_the_same_bytes(rendered, tmp_path, monkeypatch):
    import ssmverify.reports as reports

    folder, document, _ = rendered
    reports.use_figure_cache(tmp_path / "cache")
    try:
        render_all(tmp_path / "first", copy.deepcopy(document))
        entries = sorted(p.name for p in (tmp_path / "cache").iterdir())
        assert entries and all(n.endswith((".png", ".pdf")) for n in entries)

        def no_drawing(specs):
            assert not specs, "every figure should come from the cache"
            return []

        monkeypatch.setattr(reports, "_render_figures", no_drawing)
        render_all(tmp_path / "second", copy.deepcopy(document))
    finally:
        reports.use_figure_cache(None)
    assert _files(tmp_path / "first") == _files(tmp_path / "second") == _files(folder)


def test_figure_cache_ignores_a_damaged_entry_and_draws_it_again(rendered, tmp_path):
    import ssmverify.reports as reports

    folder, document, _ = rendered
    cache = tmp_path / "cache"
    reports.use_figure_cache(cache)
    try:
        render_all(tmp_path / "first", copy.deepcopy(document))
        damaged = sorted(cache.glob("*.png"))[0]
        damaged.write_bytes(damaged.read_bytes()[:-10] + b"0123456789")   # same length, other bytes
        (sorted(cache.glob("*.pdf"))[0]).write_bytes(b"")                  # empty
        render_all(tmp_path / "second", copy.deepcopy(document))
    finally:
        reports.use_figure_cache(None)
    assert _files(tmp_path / "second") == _files(folder)
    header, _, payload = damaged.read_bytes().partition(b"\n")
    assert payload.startswith(b"\x89PNG") and header.endswith(hashlib.sha256(payload).hexdigest().encode())


def test_figure_cache_key_is_the_exact_spec_and_the_formats():
    spec = _sample_specs()[0]
    key = figures.spec_key(spec, ("png", "pdf"))
    assert key == figures.spec_key(copy.deepcopy(spec), ("png", "pdf")) and len(key) == 64
    assert key != figures.spec_key(spec, ("png",))
    variants = [{**spec, "title": spec["title"] + " "}, {**spec, "extra": 1}, {**spec, "extra": 1.0},
                {**spec, "extra": "nan"}, {**spec, "extra": float("nan")}, {**spec, "extra": True},
                dict(reversed(list(spec.items())))]
    keys = {figures.spec_key(v, ("png", "pdf")) for v in variants}
    assert len(keys) == len(variants) and key not in keys
    assert figures.spec_key({**spec, "extra": object()}, ("png", "pdf")) is None   # not JSON data: drawn, not cached


def test_byte_cache_round_trip_and_prune(tmp_path):
    from ssmverify.reports._io import ByteCache

    cache = ByteCache(tmp_path / "c", limit=10_000)
    assert cache.get("k", "png") is None
    cache.put("k", "png", b"\x00payload\n\xff")
    assert cache.get("k", "png") == b"\x00payload\n\xff" and cache.get("k", "pdf") is None
    for i in range(30):   # 30 × ~1 kB: the oldest go until the folder is under 80 % of the limit
        cache.put(f"e{i:02d}", "png", bytes(1000))
        os.utime(cache.folder / f"e{i:02d}.png", (1000 + i, 1000 + i))
    (cache.folder / ".e99.png.abc.tmp").write_bytes(b"left by a killed run")
    os.utime(cache.folder / ".e99.png.abc.tmp", (1000, 1000))
    cache.prune()
    left = sorted(p.name for p in cache.folder.iterdir())
    assert sum((cache.folder / n).stat().st_size for n in left) <= 8_000
    assert "e29.png" in left and "e00.png" not in left and ".e99.png.abc.tmp" not in left
    ByteCache(tmp_path / "missing" / "folder").prune()   # nothing there: nothing happens


@pytest.mark.parametrize("value", [
    {}, [], {"a": [], "b": {}}, [1, 2.5, -0.0, 1e300, 5e-324, 10**30], [1, True, None, "x", 2.0],
    [float("nan"), float("inf"), -float("inf"), 1.0], {"1": "a", 1: "b", None: 3, 2.5: "c"},
    {"t": (1, (2, [3.0, {}]))}, "é\u2028\x1b\"\\\ud800", [[], [[]], [{}]],
])
def test_dumps_is_json_dumps_of_to_jsonable(value):
    import numpy as np

    from ssmverify.reports._io import to_jsonable

    for v in (value, {"wrapped": value, "array": np.array([1.5, np.nan]), "ints": np.arange(3, dtype=np.int32),
                      "scalars": [np.float32(0.1), np.int64(7), np.bool_(False), np.float64("inf")]}):
        assert dumps(v) == json.dumps(to_jsonable(v), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"a": [1, object()]})


# --- formatting ------------------------------------------------------------------------------------------------------


def test_number_formatting_handles_non_finite_strings():
    assert num("inf") == "∞" and num("-inf") == "−∞" and num("nan") == "—" and num(None) == "—"
    assert as_float("inf") == float("inf")
    assert signed(0.25) == "+0.25" and signed(-0.25) == "-0.25" and signed(0.0) == "0" and signed("nan") == "—"
    assert interval(["-inf", "inf"]) == "[−∞, ∞]" and interval(["nan", "nan"]) == "—"
    assert value_text(list(range(20))).endswith("(20 values)")
    assert value_text({"a_b": True}) == "a b: yes"


def test_extra_details_split_scalars_and_tables():
    details = copy.deepcopy(sample_document()["results"][0]["details"])
    details["nested"] = {"level": {"rows": [{"a": 1}], "x": 2}, "y": "z"}
    scalars, tables = extra_details(details)
    assert [k for k, _ in tables] == [("compressors",), ("nested", "level", "rows")]
    keys = {k for k, _ in scalars}
    assert {("kappa",), ("initial_states",), ("empirical_w2", "samples_per_law"), ("nested", "level", "x"),
            ("nested", "y")} <= keys
    assert not {("claim",), ("plots",), ("comparisons",), ("reproduce",)} & keys
    assert path_label(("blahut_arimoto", "points")) == "blahut arimoto › points"


def test_renderers_accept_the_minimal_not_applicable_row():
    """A row as checks._base.not_applicable makes it: no plots, no comparisons, NaN numbers."""
    row = {"regime": "r", "claim": "c", "verdict": "NOT_APPLICABLE", "hypotheses_hold": False, "statistic": "nan",
           "bound": "nan", "ci": ["nan", "nan"], "n_samples": 0, "figures": [],
           "details": {"reason": "needs a finite alphabet", "hypotheses": [], "comparisons": [], "plots": []}}
    document = {"schema": 1, "seed": 0, "alpha": 0.01, "family_size": 1, "per_comparison_level": 0.01,
                "environment": {}, "results": [row]}
    assert "needs a finite alphabet" in html.render(document)
    assert "needs a finite alphabet" in markdown.render(document)
    assert "needs a finite alphabet" in junit.render(document)
    assert "N/A" in latex.render(document)
