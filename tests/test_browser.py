"""index.html opened in a real browser: headless Chromium (Debian's ``chromium``; .ci/run installs it).

No Selenium or Playwright: Chromium's own command line does the work.

* ``--dump-dom`` on a *probe copy* of the page. The copy differs from index.html only by one inline
  <script> inserted right after <head> (asserted below). On ``load`` that script counts the <img>
  elements and those that decoded (``complete && naturalWidth > 0``), collects every error event
  (script errors and failed resource loads, captured) and every ``console.error`` call, and writes
  them as JSON into a <pre id="ssmverify-probe"> that the dumped DOM carries back to the test.
* ``--screenshot`` of the unmodified page, kept in test-artifacts/ (git-ignored) for a person to look at.
* ``--enable-logging=stderr``: Chromium logs each console message of the page as a "CONSOLE" line;
  index.html has no script, so any such line is an error.

Any network request is made to fail (``--host-resolver-rules``): a page that needed the network would
show it as a broken image or an error. The test skips, saying why, where Chromium is not installed.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from ssmverify.reports import render_all
from ssmverify.reports._sample import sample_document

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

PROBE = """<script id="ssmverify-probe-script">
window.__probeErrors = [];
window.addEventListener("error", function (e) {
  var t = e.target;
  window.__probeErrors.push(String(e.message || (t && (t.src || t.href)) || "error event"));
}, true);
(function () {
  var original = console.error;
  console.error = function () {
    window.__probeErrors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})();
window.addEventListener("load", function () {
  var imgs = document.images, loaded = 0, broken = [];
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) { loaded++; } else { broken.push(imgs[i].alt || String(i)); }
  }
  var pre = document.createElement("pre");
  pre.id = "ssmverify-probe";
  pre.textContent = JSON.stringify({images: imgs.length, loaded: loaded, broken: broken,
                                    errors: window.__probeErrors, title: document.title,
                                    cards: document.querySelectorAll("section.card").length});
  document.body.appendChild(pre);
});
</script>"""


def skip_without_chromium() -> None:
    """Skip, saying why, where Chromium is missing -- except in CI (.ci/run sets SSMVERIFY_REQUIRE_BROWSER)."""
    if chromium_path() is not None:
        return
    reason = "Chromium is not installed (apt-get install chromium; .ci/run installs it)"
    if os.environ.get("SSMVERIFY_REQUIRE_BROWSER"):
        pytest.fail(reason + ", but SSMVERIFY_REQUIRE_BROWSER is set")
    pytest.skip(reason)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def run_chromium(chromium: str, url: str, *extra: str, timeout: float = 90) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="ssmverify-chromium-") as profile:
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
               "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}",
               "--enable-logging=stderr", "--v=0", *extra, url]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "HOME": profile})


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def check_page_in_browser(folder: Path, screenshot: Path, expected_images: int, expected_cards: int) -> dict:
    """Open folder/index.html in headless Chromium; assert it loads cleanly; keep a screenshot. Returns the probe."""
    skip_without_chromium()
    chromium = chromium_path()
    original = (folder / "index.html").read_text(encoding="utf-8")
    assert "<script" not in original
    probe_page = original.replace("<head>", "<head>\n" + PROBE, 1)
    assert probe_page.replace("<head>\n" + PROBE, "<head>", 1) == original, "the copy differs only by the probe"
    (folder / "probe.html").write_text(probe_page, encoding="utf-8")
    try:
        proc = run_chromium(chromium, (folder / "probe.html").as_uri(), "--virtual-time-budget=10000",
                            "--dump-dom")
    finally:
        (folder / "probe.html").unlink()
    match = re.search(r'<pre id="ssmverify-probe">(.*?)</pre>', proc.stdout, re.S)
    assert match, f"the probe did not report (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    result = json.loads(html.unescape(match.group(1)))
    assert result["title"] == "ssmverify report"
    assert result["images"] == expected_images
    assert result["loaded"] == result["images"], f"figures that did not load: {result['broken']}"
    assert result["errors"] == [], result["errors"]
    assert result["cards"] == expected_cards
    assert console_lines(proc.stderr) == []

    screenshot.parent.mkdir(parents=True, exist_ok=True)
    shot = run_chromium(chromium, (folder / "index.html").as_uri(), "--window-size=1280,4000",
                        f"--screenshot={screenshot}")
    assert console_lines(shot.stderr) == []
    assert screenshot.is_file() and screenshot.read_bytes().startswith(b"\x89PNG"), shot.stderr[-3000:]
    shutil.copy(folder / "index.html", screenshot.with_suffix(".html"))
    return result


def test_index_html_loads_in_headless_chromium(tmp_path):
    skip_without_chromium()
    document = sample_document()
    render_all(tmp_path, document)
    n_images = sum(len(r["figures"]) for r in document["results"])
    assert n_images > 0
    check_page_in_browser(tmp_path, ARTIFACTS / "browser" / "sample-index.png", n_images, len(document["results"]))


def test_probe_catches_a_broken_figure_and_a_console_error(tmp_path):
    """The harness itself: a page with a missing image and a script error must not pass."""
    skip_without_chromium()
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html><head><title>ssmverify report</title></head><body>'
        '<section class="card"><img alt="missing" src="figures/none.png">'
        '<img alt="remote" src="https://example.invalid/x.png"></section></body></html>', encoding="utf-8")
    with pytest.raises(AssertionError, match="did not load"):
        check_page_in_browser(tmp_path, tmp_path / "shot.png", 2, 1)
    pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html><head><title>ssmverify report</title>'
        '<link rel="stylesheet" href="nothere.css"></head><body>'
        f'<section class="card"><img alt="ok" src="data:image/png;base64,{pixel}"></section></body></html>',
        encoding="utf-8")
    with pytest.raises(AssertionError, match=r"nothere\.css"):
        check_page_in_browser(tmp_path, tmp_path / "shot.png", 1, 1)
