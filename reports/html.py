"""index.html: the run as one self-contained page, from results.json alone.

Figures are inlined as base64 PNG data URIs and the CSS is inline: no script,
font or stylesheet is fetched, so the page opens from disk and can be mailed
as one file. Formulas are the claims' Unicode statements; the LaTeX source is
in each formula's title attribute (hover) so no math renderer is needed.
"""

from __future__ import annotations

import base64
import struct
from html import escape
from urllib.parse import quote

from . import _format as f
from ._io import as_float

__all__ = ["render"]

_CSS = """
:root { --pass: #1a7f37; --fail: #cf222e; --inc: #d4a72c; --na: #6e7781; --line: #d0d7de; --muted: #57606a; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f8fa; color: #1f2328; line-height: 1.45;
       font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-size: 15px; }
main { max-width: 1280px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { font-size: 1.7em; margin: .2em 0 .1em; }
h2 { font-size: 1.25em; margin: 0; }
h2 .in { font-weight: 400; color: var(--muted); }
h3 { font-size: 1.02em; margin: 1.1em 0 .4em; }
a { color: #0969da; }
code, pre { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .92em; }
pre { background: #1f2328; color: #f6f8fa; padding: 10px 12px; border-radius: 6px; overflow-x: auto; margin: .3em 0; }
.lead { color: var(--muted); margin: .2em 0 1em; }
.muted { color: var(--muted); }
.small { font-size: .86em; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; margin: 16px 0; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 11px; font-weight: 600; font-size: .82em;
         letter-spacing: .02em; color: #fff; white-space: nowrap; text-decoration: none; }
.badge.big { font-size: 1em; padding: 3px 14px; border-radius: 14px; }
.PASS { background: var(--pass); }
.FAIL { background: var(--fail); }
.INCONCLUSIVE { background: var(--inc); color: #1f2328; }
.NOT_APPLICABLE { background: var(--na); }
.counts .badge { margin-right: 4px; }
.counts span.item { margin-right: 14px; white-space: nowrap; }
table { border-collapse: collapse; }
.matrix { width: 100%; font-size: .92em; }
.matrix th, .matrix td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
.matrix thead th { background: #f6f8fa; font-weight: 600; }
.matrix td.cell { white-space: nowrap; }
.matrix .title { display: block; color: var(--muted); font-size: .86em; font-weight: 400; }
.matrix tbody th { min-width: 14em; }
.matrix thead th code { white-space: normal; }
.matrix .margin { display: block; color: var(--muted); font-size: .82em; margin-top: 2px; }
.matrix .none { color: #8c959f; font-size: .86em; }
ul.flagged { padding-left: 18px; margin: 4px 0 10px; font-size: .92em; }
ul.flagged li { margin: 3px 0; }
.warn { color: #9a6700; font-weight: 700; text-decoration: none; margin-left: 3px; }
dl.legend { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: .4em 0 0; font-size: .92em; }
dl.legend dt { text-align: right; }
dl.legend dd { margin: 0; }
.card { background: #fff; border: 1px solid var(--line); border-left: 7px solid var(--na); border-radius: 8px;
        padding: 16px 20px; margin: 22px 0; }
.card.v-PASS { border-left-color: var(--pass); }
.card.v-FAIL { border-left-color: var(--fail); }
.card.v-INCONCLUSIVE { border-left-color: var(--inc); }
.card-head { display: flex; justify-content: space-between; gap: 16px; align-items: flex-start; }
.card-head .sub { color: var(--muted); font-size: .9em; margin-top: 3px; }
.card-head .top { font-size: .85em; white-space: nowrap; }
.verdict-line { margin: 10px 0 4px; display: flex; gap: 12px; align-items: flex-start; flex-wrap: wrap; }
.verdict-line .why { flex: 1 1 400px; padding-top: 3px; }
.caveats { background: #fff8c5; border: 1px solid #eac54f; border-radius: 6px; padding: 6px 12px; margin: 6px 0 10px; font-size: .93em; }
.caveats ul { margin: 4px 0; padding-left: 20px; }
.reason { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; margin: 6px 0; }
.statement { margin: 10px 0; }
.statement .label { font-size: .82em; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; }
.formula { font-family: "STIX Two Math", "Cambria Math", "DejaVu Serif", "Times New Roman", serif; font-size: 1.12em;
           background: #f6f8fa; border: 1px solid #eaeef2; padding: 7px 12px; border-radius: 6px; overflow-x: auto;
           white-space: pre-wrap; margin-top: 3px; }
.statement.corrected .formula { background: #eef9f1; border-color: #b7e2c3; }
.statement.original .formula { background: #fff1f0; border-color: #f5c2be; }
.summary { margin: 4px 0 0; }
.cols { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 8px 28px; }
@media (max-width: 900px) { .cols { grid-template-columns: minmax(0, 1fr); } .card-head { flex-direction: column; } }
table.kv { width: 100%; font-size: .93em; }
table.kv th { text-align: left; font-weight: 600; padding: 4px 14px 4px 0; vertical-align: top; white-space: nowrap; width: 1%; }
table.kv td { padding: 4px 0; vertical-align: top; }
table.kv tr + tr th, table.kv tr + tr td { border-top: 1px solid #eaeef2; }
table.hyp { width: 100%; font-size: .93em; }
table.hyp td { padding: 4px 8px 4px 0; vertical-align: top; border-top: 1px solid #eaeef2; }
table.hyp td:first-child { white-space: nowrap; width: 1%; }
.ok { color: var(--pass); font-weight: 700; }
.bad { color: var(--fail); font-weight: 700; }
.und { color: #9a6700; font-weight: 700; }
figure { margin: 14px 0 6px; }
figure img { max-width: 100%; height: auto; border: 1px solid #eaeef2; border-radius: 4px; background: #fff; }
figcaption { font-size: .86em; color: var(--muted); }
.missing { color: var(--fail); }
details { margin: 10px 0; }
details > summary { cursor: pointer; font-weight: 600; }
.scroll { overflow-x: auto; max-height: 520px; overflow-y: auto; border: 1px solid #eaeef2; border-radius: 6px; margin-top: 6px; }
table.data { font-size: .85em; width: 100%; }
table.data th, table.data td { padding: 3px 8px; border-bottom: 1px solid #eaeef2; text-align: left; white-space: nowrap; }
table.data thead th { position: sticky; top: 0; background: #f6f8fa; }
table.data tr.rep td { background: #ddf4ff; }
table.data td.wrap { white-space: normal; min-width: 18em; }
table.data tr.context td { color: var(--muted); }
.num { font-variant-numeric: tabular-nums; }
footer { margin-top: 30px; }
footer table.kv { max-width: 760px; }
"""


def render(document: dict, images: dict[str, bytes] | None = None) -> str:
    """The page; ``images`` maps each figure path of the rows (``figures/NAME.png``) to its PNG bytes."""
    images = images or {}
    results = document.get("results", [])
    ids = f.anchors(results)
    by_claim = f.claim_index(results)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>ssmverify report</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        '<main id="top">',
        *_header(document),
        *_summary(document, results, ids),
    ]
    for i, row in enumerate(results):
        out += _card(row, ids[i], results, ids, by_claim, images)
    out += _footer(document)
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


def _header(document: dict) -> list[str]:
    quick = " · quick mode (fewer paths and stages)" if document.get("quick") else ""
    return [
        "<header>",
        "<h1>ssmverify report</h1>",
        '<p class="lead">Numerical verification of the claims of arXiv 2410.03158, '
        "“Mathematical Formalism for Memory Compression in Selective State Space Models”. "
        "Each card below checks one claim of the paper (or its corrected form) in one regime "
        "(one model and input setting) by Monte Carlo simulation.</p>",
        f'<p class="small muted">Seed {_e(document.get("seed"))} · family-wise α = {_e(document.get("alpha"))} · '
        f'{_e(document.get("family_size"))} deciding comparisons · per-comparison level '
        f'α<sub>i</sub> = {_e(f.num(document.get("per_comparison_level"), 3))} '
        f"(Bonferroni over comparisons and sampling stages){_e(quick)} · ssmverify {_e(document.get('version'))}</p>",
        "</header>",
    ]


def _summary(document: dict, results: list[dict], ids: list[str]) -> list[str]:
    claims, regimes, cells = f.grid(results)
    counts = f.counts(results)
    out = ['<section class="panel" id="summary">', "<h2>Summary</h2>"]
    items = "".join(f'<span class="item">{_badge(v)} {counts.get(v, 0)}</span>' for v in counts)
    out.append(f'<p class="counts">{len(results)} checks: {items}</p>')
    out.append('<div class="scroll" style="max-height:none">')
    out.append('<table class="matrix">')
    out.append("<thead><tr><th>claim \\ regime</th>"
               + "".join(f"<th><code>{_e(r)}</code></th>" for r in regimes) + "</tr></thead>")
    out.append("<tbody>")
    for claim in claims:
        first = results[next(i for (c, _), i in cells.items() if c == claim)]
        meta = first.get("details", {}).get("claim") or {}
        title = meta.get("title") or ""
        section = meta.get("section") or ""
        head = (f'<th><code>{_e(claim)}</code><span class="title">{_e(title)}'
                f'{" · " + _e(section) if section else ""}</span></th>')
        tds = []
        for regime in regimes:
            i = cells.get((claim, regime))
            if i is None:
                tds.append('<td class="cell"><span class="none" title="not run in this regime">–</span></td>')
                continue
            row = results[i]
            caveats = row.get("details", {}).get("caveats") or []
            warn = ""
            if caveats:
                tip = "caveats: " + " | ".join(str(c) for c in caveats)
                warn = f'<a class="warn" href="#{_e(ids[i])}" title="{_e(tip)}">⚠</a>'
            m = f.margin(row)
            margin = f'<span class="margin num" title="margin = statistic − bound">{_e(f.signed(m))}</span>' \
                if m == m else ""
            tds.append(f'<td class="cell">{_badge(row.get("verdict"), href=ids[i], short=True)}{warn}{margin}</td>')
        out.append(f"<tr>{head}{''.join(tds)}</tr>")
    out += ["</tbody>", "</table>", "</div>"]
    flagged = [(i, r) for i, r in enumerate(results) if r.get("verdict") in ("FAIL", "INCONCLUSIVE")]
    if flagged:
        out.append('<h3>What did not pass</h3><ul class="flagged">')
        out += [f'<li>{_badge(r.get("verdict"), href=ids[i])} <a href="#{_e(ids[i])}"><code>{_e(r.get("claim"))}</code> '
                f'in <code>{_e(r.get("regime"))}</code></a>: {_e(f.verdict_reason(r))}</li>' for i, r in flagged]
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


def _card(row: dict, anchor: str, results: list[dict], ids: list[str], by_claim: dict, images: dict) -> list[str]:
    d = row.get("details", {}) or {}
    claim = d.get("claim") or {}
    verdict = row.get("verdict")
    section = claim.get("section") or ""
    kind = claim.get("kind") or ""
    out = [f'<section class="card v-{_e(verdict)}" id="{_e(anchor)}">']
    sub = [f"regime <code>{_e(row.get('regime'))}</code>", f"claim <code>{_e(row.get('claim'))}</code>"]
    if section:
        sub.append(f"paper {_e(section)}")
    if kind:
        sub.append(_e(_KIND.get(kind, kind)))
    out += [
        '<div class="card-head">',
        f"<div><h2>{_e(claim.get('title') or row.get('claim'))} "
        f'<span class="in">· in regime {_e(row.get("regime"))}</span></h2>'
        f'<div class="sub">{" · ".join(sub)}</div></div>',
        '<a class="top" href="#summary">↑ summary</a>',
        "</div>",
    ]
    # The verdict, with what qualifies it right next to it.
    why = f.verdict_reason(row)
    out.append(f'<div class="verdict-line">{_badge(verdict, big=True)}<div class="why">{_e(why)}</div></div>')
    caveats = d.get("caveats") or []
    if caveats:
        out.append(f'<div class="caveats"><strong>Caveats on this {_e(str(verdict).replace("_", " "))}:</strong><ul>')
        out += [f"<li>{_e(c)}</li>" for c in caveats]
        out.append("</ul></div>")
    # Statements: this claim, what corrects it, what it corrects.
    out += _statement(_STATEMENT_LABEL.get(kind, "Statement") + (f" ({section})" if section else ""),
                      claim.get("statement"), claim.get("latex"), "")
    if claim.get("summary"):
        out.append(f'<p class="summary">{_e(claim["summary"])}</p>')
    for corr in claim.get("corrected_by") or []:
        link = _link_to(corr.get("id"), row.get("regime"), results, ids)
        out += _statement(f"Corrected statement — {link}", corr.get("statement"), corr.get("latex"), "corrected",
                          raw_label=True)
    if claim.get("corrects"):
        orig = by_claim.get(claim["corrects"]) or {}
        link = _link_to(claim["corrects"], row.get("regime"), results, ids)
        if orig.get("statement"):
            out += _statement(f"This corrects {link}, which states", orig.get("statement"), orig.get("latex"),
                              "original", raw_label=True)
        else:
            out.append(f'<p class="statement">This corrects {link}.</p>')
    # Regime.
    source = d.get("regime_source")
    out.append(f'<p><strong>Regime</strong> <code>{_e(row.get("regime"))}</code>'
               f'{" (" + "<code>" + _e(source) + "</code>)" if source else ""}: {_e(d.get("regime_description", ""))}</p>')
    if d.get("reason"):
        out.append(f'<p class="reason"><strong>Why not applicable:</strong> {_e(d["reason"])}</p>')
    # Numbers and hypotheses side by side.
    out.append('<div class="cols">')
    info = ""
    if verdict == "NOT_APPLICABLE" and (row.get("n_samples") or f.margin(row) == f.margin(row)):
        info = ('<p class="small muted">Reported for information only: the claim asserts nothing in this regime, '
                "so these numbers decide no verdict.</p>")
    out += ["<div>", "<h3>Measurement</h3>", info, *_numbers(row), "</div>"]
    out += ["<div>", "<h3>Hypotheses of the claim</h3>", *_hypotheses(row), "</div>"]
    out.append("</div>")
    # Figures.
    specs = d.get("plots") or []
    for k, path in enumerate(row.get("figures") or []):
        path = str(path)
        title = (specs[k].get("title") if k < len(specs) and isinstance(specs[k], dict) else None) or path
        out += _figure(path, title, images.get(path))
    # Claim-specific details.
    out += _extras(d)
    out += _comparisons(row)
    if d.get("reproduce"):
        out += ["<h3>Reproduce this row</h3>", f"<pre><code>{_e(d['reproduce'])}</code></pre>"]
    out.append("</section>")
    return out


def _link_to(claim_id, regime, results: list[dict], ids: list[str]) -> str:
    """A link to the card of ``claim_id`` in the same regime (else any regime), or just its id."""
    target = None
    for i, r in enumerate(results):
        if r.get("claim") == claim_id:
            if r.get("regime") == regime:
                target = ids[i]
                break
            target = target or ids[i]
    code = f"<code>{_e(claim_id)}</code>"
    return f'<a href="#{_e(target)}">{code}</a>' if target else code


def _statement(label: str, statement, latex, cls: str, raw_label: bool = False) -> list[str]:
    if not statement:
        return []
    title = f' title="LaTeX: {_e(latex)}"' if latex else ""
    return [f'<div class="statement {cls}"><div class="label">{label if raw_label else _e(label)}</div>'
            f'<div class="formula"{title}>{_e(statement)}</div></div>']


def _numbers(row: dict) -> list[str]:
    d = row.get("details", {}) or {}
    stats = d.get("statistics") or {}
    rows = []
    measured = row.get("n_samples") or as_float(row.get("statistic")) == as_float(row.get("statistic"))
    if measured:
        name = d.get("statistic_name")
        rows.append(("statistic", f'<span class="num">{_e(f.num(row.get("statistic")))}</span>'
                     + (f' <span class="muted small">{_e(name)}</span>' if name else "")))
        bname = d.get("bound_name")
        rows.append(("bound", f'<span class="num">{_e(f.num(row.get("bound")))}</span>'
                     + (f' <span class="muted small">{_e(bname)}</span>' if bname else "")))
        rel = f.claimed_relation(row)
        claimed = f' <span class="muted small">(claimed: statistic {_e(rel)} bound)</span>' if rel else ""
        rows.append(("margin", f'<span class="num">{_e(f.signed(f.margin(row)))}</span> '
                     f'<span class="muted small">= statistic − bound</span>{claimed}'))
        conf = stats.get("confidence")
        conf_text = f" at confidence {_e(f.num(conf, 8))} per comparison" if conf is not None else ""
        rows.append(("confidence interval", f'<span class="num">{_e(f.interval(row.get("ci")))}</span>'
                     f'<span class="muted small">{conf_text}</span>'))
    else:
        rows.append(("statistic", '<span class="muted">nothing was measured in this regime</span>'))
    alpha = stats.get("alpha")
    if alpha is not None:
        detail = []
        if stats.get("family_size") is not None:
            detail.append(f"m = {stats['family_size']} comparisons")
        if stats.get("max_stages") is not None:
            detail.append(f"S = {stats['max_stages']} stages")
        if stats.get("level") is not None:
            detail.append(f"α/(m·S) = {f.num(stats['level'], 3)} per comparison")
        rows.append(("α (family-wise)", f"{_e(f.num(alpha))} <span class=\"muted small\">"
                     f"{_e(', '.join(detail))}</span>"))
    rows.append(("sample size n", f'<span class="num">{_e(row.get("n_samples"))}</span>'))
    if d.get("representative"):
        rows.append(("comparison shown", _e(d["representative"])))
    if d.get("rests_on"):
        rows.append(("verdict rests on", _e(d["rests_on"])))
    return ['<table class="kv">'] + [f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows] + ["</table>"]


def _hypotheses(row: dict) -> list[str]:
    hyps = (row.get("details", {}) or {}).get("hypotheses") or []
    if not hyps:
        return ['<p class="muted small">None: this statement is asserted without hypotheses to check.</p>']
    out = ['<table class="hyp">']
    for h in hyps:
        mark = '<span class="ok">✔ holds</span>' if h.get("holds") else '<span class="bad">✘ fails</span>'
        out.append(f"<tr><td>{mark}</td><td><strong>{_e(h.get('name'))}</strong><br>"
                   f'<span class="small">{_e(h.get("detail", ""))}</span></td></tr>')
    out.append("</table>")
    status = "all hold" if row.get("hypotheses_hold") else "not all hold: the paper's claim does not apply here"
    out.append(f'<p class="small muted">Hypotheses: {_e(status)}.</p>')
    return out


def _png_size(png: bytes) -> tuple[int, int] | None:
    if len(png) >= 24 and png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR":
        return struct.unpack(">II", png[16:24])
    return None


def _figure(path: str, title: str, png: bytes | None) -> list[str]:
    if not png:
        return [f'<p class="missing">Figure <code>{_e(path)}</code> is not available.</p>']
    size = _png_size(png)
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    data = base64.b64encode(png).decode("ascii")
    pdf = path[:-4] + ".pdf" if path.endswith(".png") else None
    vector = f' · vector version: <a href="{_target(pdf)}">{_e(pdf)}</a>' if pdf else ""
    return ["<figure>", f'<img src="data:image/png;base64,{data}" alt="{_e(title)}"{dims}>',
            f"<figcaption>{_e(title)}{vector}</figcaption>", "</figure>"]


def _extras(details: dict) -> list[str]:
    scalars, tables = f.extra_details(details)
    if not scalars and not tables:
        return []
    out = ["<h3>Other measurements</h3>"]
    if scalars:
        out.append('<table class="kv">')
        out += [f'<tr><th title="{_e(".".join(k))}">{_e(f.path_label(k))}</th>'
                f'<td class="num">{_e(f.value_text(v))}</td></tr>' for k, v in scalars]
        out.append("</table>")
    for path, rows in tables:
        columns, cells = f.table_of_dicts(rows)
        out.append(f'<p class="small"><strong title="{_e(".".join(path))}">{_e(f.path_label(path))}</strong>'
                   f' <span class="muted">({len(rows)} rows)</span></p>')
        out.append('<div class="scroll"><table class="data" style="width:auto">')
        out.append("<thead><tr>" + "".join(f"<th>{_e(f.humanize(c))}</th>" for c in columns) + "</tr></thead><tbody>")
        out += ["<tr>" + "".join(f'<td class="{"num wrap" if len(f.value_text(v)) > 40 else "num"}">'
                                 f"{_e(f.value_text(v))}</td>" for v in r) + "</tr>" for r in cells]
        out.append("</tbody></table></div>")
    return out


_DECISION_CLASS = {"holds": "ok", "violated": "bad", "undecided": "und"}


def _comparisons(row: dict) -> list[str]:
    columns, comps = f.comparison_table(row)
    if not comps:
        return []
    rep = (row.get("details", {}) or {}).get("representative")
    deciding = sum(1 for c in comps if c.get("decides", True))
    out = ["<details>",
           f"<summary>All {len(comps)} comparisons ({deciding} deciding) — the highlighted one is shown above</summary>",
           '<div class="scroll"><table class="data">',
           "<thead><tr>" + "".join(f"<th>{_e(f.humanize(c))}</th>" for c in columns) + "</tr></thead>",
           "<tbody>"]
    for c in comps:
        cls = []
        if rep is not None and c.get("label") == rep:
            cls.append("rep")
        if not c.get("decides", True):
            cls.append("context")
        cells = []
        for col in columns:
            text = _e(f.comparison_cells(c, col))
            if col == "decision" and c.get("decision") in _DECISION_CLASS:
                text = f'<span class="{_DECISION_CLASS[c["decision"]]}">{text}</span>'
            if col == "decides":
                text = "deciding" if c.get("decides", True) else "context only"
            wide = len(f.comparison_cells(c, col)) > 40
            cells.append(f'<td class="{"num wrap" if wide else "num"}">{text}</td>')
        attr = f' class="{" ".join(cls)}"' if cls else ""
        out.append(f"<tr{attr}>{''.join(cells)}</tr>")
    out += ["</tbody></table></div>", "</details>"]
    return out


def _footer(document: dict) -> list[str]:
    rows = f.environment_rows(document)
    out = ['<footer class="panel" id="environment">', "<h2>Environment</h2>", '<table class="kv">']
    out += [f"<tr><th>{_e(k)}</th><td><code>{_e(v)}</code></td></tr>" for k, v in rows]
    out += ["</table>",
            '<p class="small muted">This page, report.md, junit.xml, results.tex and the figures are rendered from '
            "results.json alone: <code>ssmverify report DIR</code> rewrites them without re-simulating.</p>",
            "</footer>"]
    return out
