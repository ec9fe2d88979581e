"""The reports through the real ``ssmverify`` command.

* ``ssmverify run --quick --out X`` then ``ssmverify report X`` rewrites every file byte for byte
  (the one slow test here: it runs the quick suite, ~15-30 s); the page of that run is also opened
  in headless Chromium (marked ``browser``; skipped where Chromium is missing).
* A claim registered from outside (a fake Claim in theorems.CLAIMS and a fake Check in
  checks._registry.CHECKS, via monkeypatch) appears in every output with no edit in reports/.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ssmverify.checks.cli import main


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """``ssmverify run --quick --out X`` then ``ssmverify report X``: (X, files after run, files after report)."""
    out = tmp_path_factory.mktemp("quick") / "run"
    assert main(["run", "--quick", "--out", str(out)]) in (0, 1)
    first = _files(out)
    # results.json is written last: a folder holding it is a finished run
    newest = max((out / n).stat().st_mtime_ns for n in first)
    assert (out / "results.json").stat().st_mtime_ns == newest
    assert main(["report", str(out)]) in (0, 1)
    return out, first, _files(out)


def test_run_then_report_rewrites_every_file_byte_for_byte(quick_run):
    out, first, second = quick_run
    for name in ("results.json", "report.md", "index.html", "junit.xml", "results.tex"):
        assert name in first, name
    pngs = [n for n in first if n.startswith("figures/") and n.endswith(".png")]
    assert pngs and all(n[:-4] + ".pdf" in first for n in pngs)
    assert sorted(second) == sorted(first)
    changed = [name for name in first if first[name] != second[name]]
    assert changed == [], f"ssmverify report changed {changed}"
    from test_reports import _Nesting

    checker = _Nesting()
    checker.feed(second["index.html"].decode("utf-8"))
    checker.close()
    assert checker.errors == [] and checker.stack == []


@pytest.mark.browser
def test_quick_run_page_loads_in_headless_chromium(quick_run):
    """The real page of the quick suite in the browser; its screenshot is kept in test-artifacts/browser/."""
    from test_browser import ARTIFACTS, check_page_in_browser

    out, _, _ = quick_run
    document = json.loads((out / "results.json").read_text(encoding="utf-8"))
    n_images = sum(len(r["figures"]) for r in document["results"])
    check_page_in_browser(out, ARTIFACTS / "browser" / "quick-index.png", n_images, len(document["results"]))


@pytest.fixture
def fake_claim(monkeypatch):
    """Register a made-up claim and its check in the registry a run reads (as a plugin would be)."""
    import ssmverify.checks._registry
    from ssmverify.checks._base import Check, hypotheses_json
    from ssmverify.checks._verdict import FAIL, CheckResult
    from ssmverify.theorems import Claim, Hypothesis

    claim = Claim(id="fake", title="A fake claim that only the report tests know", section="§0.0",
                  statement="fake(x) ≤ 1", latex=r"\mathrm{fake}(x) \le 1", summary="Made up for the tests.",
                  kind="paper", hypotheses=lambda regime: (Hypothesis("x is fake", True, "by construction"),))

    class FakeCheck(Check):
        def planned_comparisons(self, regime, settings):
            return 1

        def run(self, regime, settings):
            comparison = {"label": "the only one", "statistic": 2.0, "bound": 1.0, "ci": [1.5, 2.5],
                          "claimed": "<=", "decision": "violated", "decides": True, "n": 10}
            spec = {"title": f"fake claim — {regime.name}", "panels": [{
                "xlabel": "step t", "ylabel": "fake(x) (dimensionless)",
                "series": [{"label": "measured", "x": [1, 2, 3], "y": [2.0, 2.1, 1.9], "style": "solid"}],
                "hlines": [{"y": 1.0, "label": "paper bound = 1"}]}]}
            return CheckResult(
                regime=regime.name, claim="fake", verdict=FAIL, hypotheses_hold=True, statistic=2.0, bound=1.0,
                ci=(1.5, 2.5), n_samples=10,
                details={"hypotheses": hypotheses_json(claim, regime), "statistic_name": "fake(x)",
                         "representative": "the only one", "comparisons": [comparison], "plots": [spec],
                         "caveats": ["entirely made up"], "fake_table": [{"column_a": 1, "column_b": "two"}]})

    FakeCheck.claim = claim
    registry = ssmverify.checks._registry
    monkeypatch.setattr(registry, "BUILTIN", registry.BUILTIN.with_checks([FakeCheck()], "the report tests"))
    return claim


def test_a_registered_claim_appears_in_every_output(fake_claim, tmp_path, capsys):
    out = tmp_path / "fake"
    assert main(["run", "builtin:sigmoid-quiet", "--claims", "fake", "--quick", "--out", str(out)]) == 1
    page = (out / "index.html").read_text(encoding="utf-8")
    md = (out / "report.md").read_text(encoding="utf-8")
    tex = (out / "results.tex").read_text(encoding="utf-8")
    assert 'id="card-sigmoid-quiet--fake"' in page and "fake(x) ≤ 1" in page and "column a" in page
    assert '<a id="card-sigmoid-quiet--fake"></a>' in md and "`fake(x) ≤ 1`" in md
    assert "\\texttt{fake}" in tex and "\\textbf{FAIL}" in tex
    cases = list(ET.parse(out / "junit.xml").getroot().iter("testcase"))
    assert [(c.get("classname"), c.get("name")) for c in cases] == [("sigmoid-quiet", "fake")]
    assert "statistic 2 vs bound 1" in cases[0].find("failure").get("message")
    from ssmverify.reports._format import figure_stem
    assert (out / "figures" / f"{figure_stem('sigmoid-quiet', 'fake')}.png").is_file()
    # and `ssmverify report` re-renders it from results.json alone, with no registry needed for the claim
    before = _files(out)
    capsys.readouterr()
    assert main(["report", str(out)]) == 1
    assert _files(out) == before
