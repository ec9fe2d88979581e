"""index.html: the run as one self-contained page, from results.json alone.

Figures are inlined as base64 PNG data URIs and the CSS (``report.css``, package data) is inlined too: no
script, font or stylesheet is fetched, so the page opens from disk and can be mailed as one file. Formulas
are the claims' Unicode statements; the LaTeX source is in each formula's title attribute (hover) so no math
renderer is needed.

Everything shown comes from the card model (``reports/_card.py``); this module only formats it.
"""

from __future__ import annotations

import base64
import functools
import re
import struct
from html import escape
from importlib.resources import files
from urllib.parse import quote

from . import _format as f
from ._card import Card, ClaimRef, Report, build_report

__all__ = ["render", "css", "palette"]


@functools.cache
def css() -> str:
    """The page's stylesheet (``report.css``, shipped as package data)."""
    return files(__package__).joinpath("report.css").read_text(encoding="utf-8")


_VERDICT_RULE = re.compile(r"^\.([A-Z_]+) \{ background: var\(--([a-z]+)\);(?: color: (#[0-9a-fA-F]+);)? \}$", re.M)


@functools.cache
def palette() -> dict[str, tuple[str, str]]:
    """Verdict -> (background, text colour) of its badge, as ``report.css`` colours it (one palette for the page
    and the notebook)."""
    sheet = css()
    variables = dict(re.findall(r"--([a-z]+): (#[0-9a-fA-F]+);", sheet))
    return {verdict: (variables[var], text or "#fff") for verdict, var, text in _VERDICT_RULE.findall(sheet)
            if verdict in f.VERDICTS}


def render(document: dict, images: dict[str, bytes] | None = None) -> str:
    """The page; ``images`` maps each figure path of the rows (``figures/NAME.png``) to its PNG bytes."""
    images = images or {}
    report = build_report(document)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>ssmverify report</title>",
        f"<style>\n{css()}</style>",
        "</head>",
        "<body>",
        '<main id="top">',
        *_header(report),
        *_summary(report),
    ]
    for card in report.cards:
        out += _card(card, images)
    out += _footer(report)
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


def _e(text) -> str:
    """A value from results.json as HTML text or attribute value: control characters shown as escapes
    (``\\x1b``), then ``& < > " '`` escaped."""
    return escape(f.visible(text), quote=True)


def _target(path) -> str:
    """A relative link target (characters other than letters, digits and ``/._-`` percent-encoded), escaped."""
    return _e(quote(f.visible(path), safe="/"))


_SHORT = {"NOT_APPLICABLE": "N/A", "INCONCLUSIVE": "INCONCL."}


def _badge(verdict, big: bool = False, href: str | None = None, short: bool = False) -> str:
    v = _e(verdict)
    cls = f"badge {v}{' big' if big else ''}"
    full = str(verdict).replace("_", " ")
    label = _e(_SHORT.get(verdict, full) if short else full)
    title = f' title="{_e(full)}"' if short and label != _e(full) else ""
    if href:
        return f'<a class="{cls}" href="#{_e(href)}"{title}>{label}</a>'
    return f'<span class="{cls}"{title}>{label}</span>'


def _header(report: Report) -> list[str]:
    run = report.run
    quick = " · quick mode (fewer paths and stages)" if run.quick else ""
    return [
        "<header>",
        "<h1>ssmverify report</h1>",
        '<p class="lead">Numerical verification of the claims of arXiv 2410.03158, '
        "“Mathematical Formalism for Memory Compression in Selective State Space Models”. "
        "Each card below checks one claim of the paper (or its corrected form) in one regime "
        "(one model and input setting) by Monte Carlo simulation.</p>",
        f'<p class="small muted">Seed {_e(run.seed)} · family-wise α = {_e(run.alpha)} · '
        f'{_e(run.family_size)} deciding comparisons · per-comparison level '
        f'α<sub>i</sub> = {_e(f.num(run.per_comparison_level, 3))} '
        f"(Bonferroni over comparisons and sampling stages){_e(quick)} · ssmverify {_e(run.version)}</p>",
        "</header>",
    ]


def _summary_cell(card: Card | None) -> str:
    if card is None:
        return '<td class="cell"><span class="none" title="not run in this regime">–</span></td>'
    warn = ""
    if card.caveats:
        tip = "caveats: " + " | ".join(str(c) for c in card.caveats)
        warn = f'<a class="warn" href="#{_e(card.anchor)}" title="{_e(tip)}">⚠</a>'
    m = card.margin
    margin = f'<span class="margin num" title="margin = statistic − bound">{_e(f.signed(m))}</span>' \
        if m == m else ""
    return f'<td class="cell">{_badge(card.verdict, href=card.anchor, short=True)}{warn}{margin}</td>'


def _summary(report: Report) -> list[str]:
    out = ['<section class="panel" id="summary">', "<h2>Summary</h2>"]
    items = "".join(f'<span class="item">{_badge(v)} {n}</span>' for v, n in report.counts)
    out.append(f'<p class="counts">{len(report.cards)} checks: {items}</p>')
    out.append('<div class="scroll" style="max-height:none">')
    out.append('<table class="matrix">')
    out.append("<thead><tr><th>claim \\ regime</th>"
               + "".join(f"<th><code>{_e(r)}</code></th>" for r in report.regimes) + "</tr></thead>")
    out.append("<tbody>")
    for line in report.summary:
        title = line.first.claim_title or ""
        section = line.first.section or ""
        head = (f'<th><code>{_e(line.claim)}</code><span class="title">{_e(title)}'
                f'{" · " + _e(section) if section else ""}</span></th>')
        out.append(f"<tr>{head}{''.join(_summary_cell(card) for card in line.cells)}</tr>")
    out += ["</tbody>", "</table>", "</div>"]
    if report.flagged:
        out.append('<h3>What did not pass</h3><ul class="flagged">')
        out += [f'<li>{_badge(c.verdict, href=c.anchor)} <a href="#{_e(c.anchor)}"><code>{_e(c.claim)}</code> '
                f'in <code>{_e(c.regime)}</code></a>: {_e(c.why)}</li>' for c in report.flagged]
        out.append("</ul>")
    out.append('<p class="small muted">Click a verdict to jump to its card. The number under a verdict is its '
               "margin; ⚠ marks a verdict that carries caveats (hover to read them); – means the claim was not run "
               "in that regime; N/A = not applicable. Margin = statistic − bound for the comparison the card reports: for a "
               "claim “statistic ≤ bound” a negative margin is on the claimed side. Differences at the level of "
               "float64 rounding count as equality, so a PASS may show a tiny positive margin such as +1e-12.</p>")
    out.append('<dl class="legend">')
    for v, meaning in f.VERDICT_MEANING.items():
        out.append(f"<dt>{_badge(v)}</dt><dd>{_e(meaning)}</dd>")
    out += ["</dl>", "</section>"]
    return out


_STATEMENT_LABEL = {"paper": "The paper's statement", "corrected": "Corrected statement (checked here)",
                    "control": "Control statement"}
_KIND = {"paper": "claim of the paper", "corrected": "corrected form of a claim", "control": "control"}


def _card(card: Card, images: dict) -> list[str]:
    verdict = card.verdict
    section = card.section or ""
    kind = card.kind or ""
    out = [f'<section class="card v-{_e(verdict)}" id="{_e(card.anchor)}">']
    sub = [f"regime <code>{_e(card.regime)}</code>", f"claim <code>{_e(card.claim)}</code>"]
    if section:
        sub.append(f"paper {_e(section)}")
    if kind:
        sub.append(_e(_KIND.get(kind, kind)))
    out += [
        '<div class="card-head">',
        f"<div><h2>{_e(card.heading)} "
        f'<span class="in">· in regime {_e(card.regime)}</span></h2>'
        f'<div class="sub">{" · ".join(sub)}</div></div>',
        '<a class="top" href="#summary">↑ summary</a>',
        "</div>",
    ]
    # The verdict, with what qualifies it right next to it.
    out.append(f'<div class="verdict-line">{_badge(verdict, big=True)}<div class="why">{_e(card.why)}</div></div>')
    if card.caveats:
        out.append(f'<div class="caveats"><strong>Caveats on this {_e(str(verdict).replace("_", " "))}:</strong><ul>')
        out += [f"<li>{_e(c)}</li>" for c in card.caveats]
        out.append("</ul></div>")
    # Statements: this claim, what corrects it, what it corrects.
    out += _statement(_STATEMENT_LABEL.get(kind, "Statement") + (f" ({section})" if section else ""),
                      card.statement, card.latex, "")
    if card.summary:
        out.append(f'<p class="summary">{_e(card.summary)}</p>')
    for corr in card.corrected_by:
        out += _statement(f"Corrected statement — {_link(corr)}", corr.statement, corr.latex, "corrected",
                          raw_label=True)
    if card.corrects is not None:
        link = _link(card.corrects)
        if card.corrects.statement:
            out += _statement(f"This corrects {link}, which states", card.corrects.statement, card.corrects.latex,
                              "original", raw_label=True)
        else:
            out.append(f'<p class="statement">This corrects {link}.</p>')
    # Regime.
    source = card.regime_source
    out.append(f'<p><strong>Regime</strong> <code>{_e(card.regime)}</code>'
               f'{" (" + "<code>" + _e(source) + "</code>)" if source else ""}: {_e(card.regime_description)}</p>')
    if card.reason:
        out.append(f'<p class="reason"><strong>Why not applicable:</strong> {_e(card.reason)}</p>')
    # Numbers and hypotheses side by side.
    out.append('<div class="cols">')
    info = ""
    if card.for_information_only:
        info = ('<p class="small muted">Reported for information only: the claim asserts nothing in this regime, '
                "so these numbers decide no verdict.</p>")
    out += ["<div>", "<h3>Measurement</h3>", info, *_numbers(card), "</div>"]
    out += ["<div>", "<h3>Hypotheses of the claim</h3>", *_hypotheses(card), "</div>"]
    out.append("</div>")
    # Figures.
    for fig in card.figures:
        out += _figure(fig.path, fig.title, fig.pdf, images.get(fig.path))
    # Claim-specific details.
    out += _extras(card)
    out += _comparisons(card)
    if card.reproduce:
        out += ["<h3>Reproduce this row</h3>", f"<pre><code>{_e(card.reproduce)}</code></pre>"]
    out.append("</section>")
    return out


def _link(ref: ClaimRef) -> str:
    """A link to the card of the claim referred to, or just its id."""
    code = f"<code>{_e(ref.claim_id)}</code>"
    return f'<a href="#{_e(ref.anchor)}">{code}</a>' if ref.anchor else code


def _statement(label: str, statement, latex, cls: str, raw_label: bool = False) -> list[str]:
    if not statement:
        return []
    title = f' title="LaTeX: {_e(latex)}"' if latex else ""
    return [f'<div class="statement {cls}"><div class="label">{label if raw_label else _e(label)}</div>'
            f'<div class="formula"{title}>{_e(statement)}</div></div>']


def _numbers(card: Card) -> list[str]:
    stats = card.statistics
    rows = []
    if card.measured:
        name = card.statistic_name
        rows.append(("statistic", f'<span class="num">{_e(f.num(card.statistic))}</span>'
                     + (f' <span class="muted small">{_e(name)}</span>' if name else "")))
        bname = card.bound_name
        rows.append(("bound", f'<span class="num">{_e(f.num(card.bound))}</span>'
                     + (f' <span class="muted small">{_e(bname)}</span>' if bname else "")))
        rel = card.claimed_relation
        claimed = f' <span class="muted small">(claimed: statistic {_e(rel)} bound)</span>' if rel else ""
        rows.append(("margin", f'<span class="num">{_e(f.signed(card.margin))}</span> '
                     f'<span class="muted small">= statistic − bound</span>{claimed}'))
        conf = stats.confidence
        conf_text = f" at confidence {_e(f.num(conf, 8))} per comparison" if conf is not None else ""
        rows.append(("confidence interval", f'<span class="num">{_e(f.interval(card.ci))}</span>'
                     f'<span class="muted small">{conf_text}</span>'))
    else:
        rows.append(("statistic", '<span class="muted">nothing was measured in this regime</span>'))
    if stats.alpha is not None:
        detail = []
        if stats.family_size is not None:
            detail.append(f"m = {stats.family_size} comparisons")
        if stats.max_stages is not None:
            detail.append(f"S = {stats.max_stages} stages")
        if stats.level is not None:
            detail.append(f"α/(m·S) = {f.num(stats.level, 3)} per comparison")
        rows.append(("α (family-wise)", f"{_e(f.num(stats.alpha))} <span class=\"muted small\">"
                     f"{_e(', '.join(detail))}</span>"))
    rows.append(("sample size n", f'<span class="num">{_e(card.n_samples)}</span>'))
    if card.representative:
        rows.append(("comparison shown", _e(card.representative)))
    if card.rests_on:
        rows.append(("verdict rests on", _e(card.rests_on)))
    return ['<table class="kv">'] + [f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows] + ["</table>"]


def _hypotheses(card: Card) -> list[str]:
    if not card.hypotheses:
        return ['<p class="muted small">None: this statement is asserted without hypotheses to check.</p>']
    out = ['<table class="hyp">']
    for h in card.hypotheses:
        mark = '<span class="ok">✔ holds</span>' if h.holds else '<span class="bad">✘ fails</span>'
        out.append(f"<tr><td>{mark}</td><td><strong>{_e(h.name)}</strong><br>"
                   f'<span class="small">{_e(h.detail)}</span></td></tr>')
    out.append("</table>")
    status = "all hold" if card.hypotheses_hold else "not all hold: the paper's claim does not apply here"
    out.append(f'<p class="small muted">Hypotheses: {_e(status)}.</p>')
    return out


def _png_size(png: bytes) -> tuple[int, int] | None:
    if len(png) >= 24 and png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR":
        return struct.unpack(">II", png[16:24])
    return None


def _img(png: bytes, title) -> str:
    """An inline PNG (a data URI) with its size, ``title`` as alt text."""
    size = _png_size(png)
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_e(title)}"{dims}>'


def _figure(path: str, title, pdf: str | None, png: bytes | None) -> list[str]:
    if not png:
        return [f'<p class="missing">Figure <code>{_e(path)}</code> is not available.</p>']
    vector = f' · vector version: <a href="{_target(pdf)}">{_e(pdf)}</a>' if pdf else ""
    return ["<figure>", _img(png, title), f"<figcaption>{_e(title)}{vector}</figcaption>", "</figure>"]


def _extras(card: Card) -> list[str]:
    if not card.extras and not card.extra_tables:
        return []
    out = ["<h3>Other measurements</h3>"]
    if card.extras:
        out.append('<table class="kv">')
        out += [f'<tr><th title="{_e(".".join(x.path))}">{_e(x.label)}</th>'
                f'<td class="num">{_e(x.text)}</td></tr>' for x in card.extras]
        out.append("</table>")
    for table in card.extra_tables:
        out.append(f'<p class="small"><strong title="{_e(".".join(table.path))}">{_e(table.label)}</strong>'
                   f' <span class="muted">({len(table.rows)} rows)</span></p>')
        out.append('<div class="scroll"><table class="data" style="width:auto">')
        out.append("<thead><tr>" + "".join(f"<th>{_e(f.humanize(c))}</th>" for c in table.columns)
                   + "</tr></thead><tbody>")
        out += ["<tr>" + "".join(f'<td class="{"num wrap" if len(v) > 40 else "num"}">{_e(v)}</td>' for v in r)
                + "</tr>" for r in table.rows]
        out.append("</tbody></table></div>")
    return out


_DECISION_CLASS = {"holds": "ok", "violated": "bad", "undecided": "und"}


def _comparisons(card: Card) -> list[str]:
    if not card.comparisons:
        return []
    out = ["<details>",
           f"<summary>All {len(card.comparisons)} comparisons ({card.deciding} deciding) — the highlighted one is "
           "shown above</summary>",
           '<div class="scroll"><table class="data">',
           "<thead><tr>" + "".join(f"<th>{_e(f.humanize(c))}</th>" for c in card.comparison_columns)
           + "</tr></thead>",
           "<tbody>"]
    for c in card.comparisons:
        cls = []
        if c.representative:
            cls.append("rep")
        if not c.decides:
            cls.append("context")
        cells = []
        for col, raw in zip(card.comparison_columns, c.cells):
            text = _e(raw)
            if col == "decision" and c.decision in _DECISION_CLASS:
                text = f'<span class="{_DECISION_CLASS[c.decision]}">{text}</span>'
            cells.append(f'<td class="{"num wrap" if len(raw) > 40 else "num"}">{text}</td>')
        attr = f' class="{" ".join(cls)}"' if cls else ""
        out.append(f"<tr{attr}>{''.join(cells)}</tr>")
    out += ["</tbody></table></div>", "</details>"]
    return out


def _footer(report: Report) -> list[str]:
    out = ['<footer class="panel" id="environment">', "<h2>Environment</h2>", '<table class="kv">']
    out += [f"<tr><th>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>" for k, v in report.run.environment]
    out += ["</table>",
            '<p class="small muted">This page, report.md, junit.xml, results.tex and the figures are rendered from '
            "results.json alone: <code>ssmverify report DIR</code> rewrites them without re-simulating.</p>",
            "</footer>"]
    return out
