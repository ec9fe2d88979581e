"""report.md: the run as Markdown, from results.json alone (the content of index.html, for a code-hosting site).

Figures are linked (``figures/NAME.png`` beside the file), formulas are code
spans so no Markdown syntax inside them is interpreted, and the table of all
comparisons of a card sits in a ``<details>`` block, which GitHub and GitLab render.

Every value from results.json is data, never markup: control characters are shown
escaped (``\\x1b``), text has Markdown's and HTML's specials backslash-escaped, code
spans and fences are longer than any backtick run they hold, and link targets are
percent-encoded. No value can open a tag, a link, a heading or a list, or close a fence.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from . import _format as f
from ._io import as_float

__all__ = ["render"]

_DOT = {"PASS": "🟢", "FAIL": "🔴", "INCONCLUSIVE": "🟡", "NOT_APPLICABLE": "⚪"}
_STATEMENT_LABEL = {"paper": "The paper's statement", "corrected": "Corrected statement (checked here)",
                    "control": "Control statement"}
_KIND = {"paper": "claim of the paper", "corrected": "corrected form of a claim", "control": "control"}
# Backslash-escaped wherever they occur: Markdown's inline specials, HTML's < > &, GitHub's math ($) and
# strikethrough (~), and ! (an image).  Every one is ASCII punctuation, so CommonMark shows it as itself.
_MD_SPECIAL = set("\\`*_[]<>|#&!~$")
# What would make a line that starts with the text a list item, a heading underline or a numbered item.
_LINE_START = re.compile(r"[-+=]|[0-9]{1,9}(?=[.)])")


def _md(text) -> str:
    """Plain text with Markdown's specials escaped (one line: control characters shown as escapes)."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in f.visible(text))


def _md_line(text) -> str:
    """:func:`_md` for text that starts a line: it cannot start a list or underline a heading either."""
    s = _md(text).lstrip(" ")
    m = _LINE_START.match(s)
    if m:
        end = m.end()
        s = s[:end] + "\\" + s[end:] if s[:1].isdigit() else "\\" + s
    return s


def _longest_run(s: str, ch: str = "`") -> int:
    return max((len(run) for run in re.findall(re.escape(ch) + "+", s)), default=0)


def _code(text, table: bool = False) -> str:
    """A code span that survives backticks in the text (and pipes, in a table cell)."""
    s = f.visible(text)
    if table:
        s = s.replace("|", "\\|")
    if not s:
        return "` `"
    fence = "`" * (_longest_run(s) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _code_block(text, info: str = "") -> list[str]:
    """A fenced code block whose fence is longer than any backtick run in the text (which is one line)."""
    s = f.visible(text)
    fence = "`" * max(3, _longest_run(s) + 1)
    return [fence + info, s, fence]


def _target(path) -> str:
    """A relative link target: characters other than letters, digits and ``/._-`` percent-encoded."""
    return quote(f.visible(path), safe="/")


def _cell(text) -> str:
    return _md(text)


def _badge(verdict) -> str:
    return f"{_DOT.get(verdict, '')} **{_md(verdict)}**".strip()


def summary_table(results: list[dict], ids: list[str] | None = None) -> list[str]:
    """Claims × regimes: each cell the verdict (linked to its card) and the margin."""
    ids = ids or f.anchors(results)
    claims, regimes, cells = f.grid(results)
    lines = ["| claim \\\\ regime | " + " | ".join(_code(r, table=True) for r in regimes) + " |",
             "|---|" + "---|" * len(regimes)]
    for claim in claims:
        first = results[next(i for (c, _), i in cells.items() if c == claim)]
        meta = first.get("details", {}).get("claim") or {}
        head = _code(claim, table=True)
        if meta.get("title") or meta.get("section"):
            head += "<br>" + _cell(" · ".join(x for x in (meta.get("title"), meta.get("section")) if x))
        row_cells = []
        for regime in regimes:
            i = cells.get((claim, regime))
            if i is None:
                row_cells.append("not run")
                continue
            row = results[i]
            text = f"[{_DOT.get(row.get('verdict'), '')} {_md(row.get('verdict'))}](#{ids[i]})"
            if row.get("details", {}).get("caveats"):
                text += " ⚠"
            m = f.margin(row)
            if m == m:
                text += f"<br>margin {f.signed(m)}"
            row_cells.append(text)
        lines.append(f"| {head} | " + " | ".join(row_cells) + " |")
    return lines


def render(document: dict) -> str:
    results = document.get("results", [])
    ids = f.anchors(results)
    by_claim = f.claim_index(results)
    counts = f.counts(results)
    out = [
        "# ssmverify report",
        "",
        "Numerical verification of the claims of arXiv 2410.03158, “Mathematical Formalism for Memory Compression "
        "in Selective State Space Models”. Each section below checks one claim of the paper (or its corrected "
        "form) in one regime (one model and input setting) by Monte Carlo simulation.",
        "",
        f"Seed {_md(document.get('seed'))} · family-wise α = {_md(document.get('alpha'))} · "
        f"{_md(document.get('family_size'))} "
        f"deciding comparisons · per-comparison level α_i = {f.num(document.get('per_comparison_level'), 3)} "
        f"(Bonferroni over comparisons and sampling stages)"
        f"{' · quick mode (fewer paths and stages)' if document.get('quick') else ''} · "
        f"ssmverify {_md(document.get('version'))}.",
        "",
        "## Summary",
        "",
        f"{len(results)} checks: " + " · ".join(f"{_badge(v)} {n}" for v, n in counts.items()),
        "",
        *summary_table(results, ids),
        "",
        *_flagged(results, ids),
        "Click a verdict to jump to its section. ⚠ marks a verdict that carries caveats. "
        "Margin = statistic − bound for the comparison the section reports: for a claim “statistic ≤ bound” a "
        "negative margin is on the claimed side. Differences at the level of float64 rounding count as equality, "
        "so a PASS may show a tiny positive margin such as +1e-12.",
        "",
        *[f"- {_badge(v)}: {meaning}" for v, meaning in f.VERDICT_MEANING.items()],
        "",
    ]
    for i, row in enumerate(results):
        out += _card(row, ids[i], results, ids, by_claim)
    out += _environment(document)
    return "\n".join(out)


def _flagged(results: list[dict], ids: list[str]) -> list[str]:
    """The rows that did not pass (FAIL, INCONCLUSIVE), one line each, linked to their sections."""
    flagged = [(i, r) for i, r in enumerate(results) if r.get("verdict") in ("FAIL", "INCONCLUSIVE")]
    if not flagged:
        return []
    out = ["### What did not pass", ""]
    out += [f"- {_badge(r.get('verdict'))} [{_code(r.get('claim'))} in {_code(r.get('regime'))}](#{ids[i]}): "
            f"{_md(f.verdict_reason(r))}" for i, r in flagged]
    return out + [""]


def _link_to(claim_id, regime, results, ids) -> str:
    target = None
    for i, r in enumerate(results):
        if r.get("claim") == claim_id:
            if r.get("regime") == regime:
                target = ids[i]
                break
            target = target or ids[i]
    return f"[{_code(claim_id)}](#{target})" if target else _code(claim_id)


def _card(row: dict, anchor: str, results: list[dict], ids: list[str], by_claim: dict) -> list[str]:
    d = row.get("details", {}) or {}
    claim = d.get("claim") or {}
    verdict = row.get("verdict")
    section = claim.get("section") or ""
    kind = claim.get("kind") or ""
    sub = [f"regime {_code(row.get('regime'))}", f"claim {_code(row.get('claim'))}"]
    if section:
        sub.append(f"paper {_md(section)}")
    if kind:
        sub.append(_md(_KIND.get(kind, kind)))
    why = f.verdict_reason(row)
    out = [
        f'<a id="{anchor}"></a>',
        "",
        f"## {_DOT.get(verdict, '')} {_md(verdict)} · {_md(claim.get('title') or row.get('claim'))} "
        f"· {_md(row.get('regime'))}",
        "",
        " · ".join(sub) + " · [↑ summary](#summary)",
        "",
        f"**Verdict: {_md(verdict)}** — {_md(why)}",
        "",
    ]
    caveats = d.get("caveats") or []
    if caveats:
        out.append(f"> ⚠ **Caveats on this {_md(verdict)}:**")
        out += [f"> - {_md(c)}" for c in caveats]
        out.append("")
    if claim.get("statement"):
        label = _STATEMENT_LABEL.get(kind, "Statement") + (f" ({section})" if section else "")
        out += [f"{_md(label)}: {_code(claim['statement'])}", ""]
    if claim.get("summary"):
        out += [_md_line(claim["summary"]), ""]
    for corr in claim.get("corrected_by") or []:
        out += [f"Corrected statement — {_link_to(corr.get('id'), row.get('regime'), results, ids)}: "
                f"{_code(corr.get('statement'))}", ""]
    if claim.get("corrects"):
        orig = by_claim.get(claim["corrects"]) or {}
        link = _link_to(claim["corrects"], row.get("regime"), results, ids)
        if orig.get("statement"):
            out += [f"This corrects {link}, which states: {_code(orig['statement'])}", ""]
        else:
            out += [f"This corrects {link}.", ""]
    source = d.get("regime_source")
    out += [f"**Regime** {_code(row.get('regime'))}{' (' + _code(source) + ')' if source else ''}: "
            f"{_md(d.get('regime_description', ''))}", ""]
    if d.get("reason"):
        out += [f"**Why not applicable:** {_md(d['reason'])}", ""]
    out += ["#### Measurement", ""]
    if verdict == "NOT_APPLICABLE" and (row.get("n_samples") or f.margin(row) == f.margin(row)):
        out += ["*Reported for information only: the claim asserts nothing in this regime, so these numbers decide "
                "no verdict.*", ""]
    out += ["| | |", "|---|---|"]
    out += [f"| {_cell(k)} | {v} |" for k, v in _numbers(row)]
    out += ["", "#### Hypotheses of the claim", ""]
    hyps = d.get("hypotheses") or []
    if hyps:
        out += [f"- {'✔ holds' if h.get('holds') else '✘ fails'} — **{_md(h.get('name'))}**: {_md(h.get('detail'))}"
                for h in hyps]
        status = "all hold" if row.get("hypotheses_hold") else "not all hold: the paper's claim does not apply here"
        out += ["", f"Hypotheses: {status}."]
    else:
        out.append("None: this statement is asserted without hypotheses to check.")
    out.append("")
    specs = d.get("plots") or []
    for k, path in enumerate(row.get("figures") or []):
        path = str(path)
        title = (specs[k].get("title") if k < len(specs) and isinstance(specs[k], dict) else None) or path
        pdf = path[:-4] + ".pdf" if path.endswith(".png") else None
        out += [f"![{_md(title)}]({_target(path)})", ""]
        out += [f"*{_md(title)}*" + (f" · vector version: [{_md(pdf)}]({_target(pdf)})" if pdf else ""), ""]
    out += _extras(d)
    out += _comparisons(row)
    if d.get("reproduce"):
        out += ["#### Reproduce this row", "", *_code_block(d["reproduce"], "sh"), ""]
    return out


def _numbers(row: dict) -> list[tuple[str, str]]:
    d = row.get("details", {}) or {}
    stats = d.get("statistics") or {}
    rows = []
    statistic = as_float(row.get("statistic"))
    if row.get("n_samples") or statistic == statistic:
        name = f" ({_cell(d['statistic_name'])})" if d.get("statistic_name") else ""
        rows.append(("statistic", f"{f.num(row.get('statistic'))}{name}"))
        bname = f" ({_cell(d['bound_name'])})" if d.get("bound_name") else ""
        rows.append(("bound", f"{f.num(row.get('bound'))}{bname}"))
        rel = f.claimed_relation(row)
        rows.append(("margin", f"{f.signed(f.margin(row))} = statistic − bound"
                     + (f" (claimed: statistic {_cell(rel)} bound)" if rel else "")))
        conf = stats.get("confidence")
        rows.append(("confidence interval", f.interval(row.get("ci"))
                     + (f" at confidence {f.num(conf, 8)} per comparison" if conf is not None else "")))
    else:
        rows.append(("statistic", "nothing was measured in this regime"))
    if stats.get("alpha") is not None:
        detail = []
        if stats.get("family_size") is not None:
            detail.append(f"m = {_cell(stats['family_size'])} comparisons")
        if stats.get("max_stages") is not None:
            detail.append(f"S = {_cell(stats['max_stages'])} stages")
        if stats.get("level") is not None:
            detail.append(f"α/(m·S) = {f.num(stats['level'], 3)} per comparison")
        rows.append(("α (family-wise)", f"{f.num(stats['alpha'])} ({', '.join(detail)})" if detail
                     else f.num(stats["alpha"])))
    rows.append(("sample size n", _cell(row.get("n_samples"))))
    if d.get("representative"):
        rows.append(("comparison shown", _cell(d["representative"])))
    if d.get("rests_on"):
        rows.append(("verdict rests on", _cell(d["rests_on"])))
    return rows


def _extras(details: dict) -> list[str]:
    scalars, tables = f.extra_details(details)
    if not scalars and not tables:
        return []
    out = ["#### Other measurements", ""]
    out += [f"- **{_md(f.path_label(k))}**: {_md(f.value_text(v))}" for k, v in scalars]
    if scalars:
        out.append("")
    for path, rows in tables:
        columns, cells = f.table_of_dicts(rows)
        out += [f"**{_md(f.path_label(path))}** ({len(rows)} rows)", "",
                "| " + " | ".join(_cell(f.humanize(c)) for c in columns) + " |",
                "|" + "---|" * len(columns)]
        out += ["| " + " | ".join(_cell(f.value_text(v)) for v in r) + " |" for r in cells]
        out.append("")
    return out


def _comparisons(row: dict) -> list[str]:
    columns, comps = f.comparison_table(row)
    if not comps:
        return []
    rep = (row.get("details", {}) or {}).get("representative")
    deciding = sum(1 for c in comps if c.get("decides", True))
    out = ["<details>",
           f"<summary>All {len(comps)} comparisons ({deciding} deciding); the one shown above is in bold</summary>",
           "",
           "| " + " | ".join(_cell(f.humanize(c)) for c in columns) + " |",
           "|" + "---|" * len(columns)]
    for c in comps:
        cells = []
        for col in columns:
            text = _cell(f.comparison_cells(c, col))
            if col == "decides":
                text = "deciding" if c.get("decides", True) else "context only"
            cells.append(text)
        if rep is not None and c.get("label") == rep:
            cells = [f"**{x}**" if x else x for x in cells]
        out.append("| " + " | ".join(cells) + " |")
    out += ["", "</details>", ""]
    return out


def _environment(document: dict) -> list[str]:
    rows = f.environment_rows(document)
    out = ['<a id="environment"></a>', "", "## Environment", "", "| | |", "|---|---|"]
    out += [f"| {_cell(k)} | {_code(v, table=True)} |" for k, v in rows]
    out += ["", "This file, index.html, junit.xml, results.tex and the figures are rendered from results.json alone: "
            "`ssmverify report DIR` rewrites them without re-simulating.", ""]
    return out
