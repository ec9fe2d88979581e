"""report.md: the run as Markdown, from results.json alone (the content of index.html, for a code-hosting site).

Figures are linked (``figures/NAME.png`` beside the file), formulas are code
spans so no Markdown syntax inside them is interpreted, and the table of all
comparisons of a card sits in a ``<details>`` block, which GitHub and GitLab render.

Every value from results.json is data, never markup: control characters are shown
escaped (``\\x1b``), text has Markdown's and HTML's specials backslash-escaped, code
spans and fences are longer than any backtick run they hold, and link targets are
percent-encoded. No value can open a tag, a link, a heading or a list, or close a fence.

Everything shown comes from the card model (``reports/_card.py``); this module only formats it.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from . import _format as f
from ._card import Card, ClaimRef, Report, build_report

__all__ = ["render"]

_DOT = {"PASS": "🟢", "FAIL": "🔴", "INCONCLUSIVE": "🟡", "NOT_APPLICABLE": "⚪"}
_STATEMENT_LABEL = {"paper": "The paper's statement", "corrected": "Corrected statement (checked here)",
                    "control": "Control statement"}
_KIND = {"paper": "claim of the paper", "corrected": "corrected form of a claim", "control": "control"}
# Backslash-escaped wherever they occur: Markdown's inline specials, HTML's < > &, GitHub's math ($) and
# strikethrough (~), and ! (an image).  Every one is ASCII punctuation, so CommonMark shows it as itself.
_MD_SPECIAL = set("\\`*_[]<>|#&!~$")
_MD_ESCAPE = str.maketrans({ch: "\\" + ch for ch in _MD_SPECIAL})
# What would make a line that starts with the text a list item, a heading underline or a numbered item.
_LINE_START = re.compile(r"[-+=]|[0-9]{1,9}(?=[.)])")


def _md(text) -> str:
    """Plain text with Markdown's specials escaped (one line: control characters shown as escapes)."""
    return f.visible(text).translate(_MD_ESCAPE)


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


def summary_table(report: Report) -> list[str]:
    """Claims × regimes: each cell the verdict (linked to its card) and the margin."""
    lines = ["| claim \\\\ regime | " + " | ".join(_code(r, table=True) for r in report.regimes) + " |",
             "|---|" + "---|" * len(report.regimes)]
    for line in report.summary:
        first = line.first
        head = _code(line.claim, table=True)
        if first.claim_title or first.section:
            head += "<br>" + _cell(" · ".join(x for x in (first.claim_title, first.section) if x))
        row_cells = []
        for card in line.cells:
            if card is None:
                row_cells.append("not run")
                continue
            text = f"[{_DOT.get(card.verdict, '')} {_md(card.verdict)}](#{card.anchor})"
            if card.caveats:
                text += " ⚠"
            m = card.margin
            if m == m:
                text += f"<br>margin {f.signed(m)}"
            row_cells.append(text)
        lines.append(f"| {head} | " + " | ".join(row_cells) + " |")
    return lines


def render(document: dict) -> str:
    report = build_report(document)
    run = report.run
    out = [
        "# ssmverify report",
        "",
        "Numerical verification of the claims of arXiv 2410.03158, “Mathematical Formalism for Memory Compression "
        "in Selective State Space Models”. Each section below checks one claim of the paper (or its corrected "
        "form) in one regime (one model and input setting) by Monte Carlo simulation.",
        "",
        f"Seed {_md(run.seed)} · family-wise α = {_md(run.alpha)} · "
        f"{_md(run.family_size)} "
        f"deciding comparisons · per-comparison level α_i = {f.num(run.per_comparison_level, 3)} "
        f"(Bonferroni over comparisons and sampling stages)"
        f"{' · quick mode (fewer paths and stages)' if run.quick else ''} · "
        f"ssmverify {_md(run.version)}.",
        "",
        "## Summary",
        "",
        f"{len(report.cards)} checks: " + " · ".join(f"{_badge(v)} {n}" for v, n in report.counts),
        "",
        *summary_table(report),
        "",
        *_flagged(report),
        "Click a verdict to jump to its section. ⚠ marks a verdict that carries caveats. "
        "Margin = statistic − bound for the comparison the section reports: for a claim “statistic ≤ bound” a "
        "negative margin is on the claimed side. Differences at the level of float64 rounding count as equality, "
        "so a PASS may show a tiny positive margin such as +1e-12.",
        "",
        *[f"- {_badge(v)}: {meaning}" for v, meaning in f.VERDICT_MEANING.items()],
        "",
    ]
    for card in report.cards:
        out += _card(card)
    out += _environment(report)
    return "\n".join(out)


def _flagged(report: Report) -> list[str]:
    """The rows that did not pass (FAIL, INCONCLUSIVE), one line each, linked to their sections."""
    if not report.flagged:
        return []
    out = ["### What did not pass", ""]
    out += [f"- {_badge(c.verdict)} [{_code(c.claim)} in {_code(c.regime)}](#{c.anchor}): {_md(c.why)}"
            for c in report.flagged]
    return out + [""]


def _link(ref: ClaimRef) -> str:
    return f"[{_code(ref.claim_id)}](#{ref.anchor})" if ref.anchor else _code(ref.claim_id)


def _card(card: Card) -> list[str]:
    verdict = card.verdict
    section = card.section or ""
    kind = card.kind or ""
    sub = [f"regime {_code(card.regime)}", f"claim {_code(card.claim)}"]
    if section:
        sub.append(f"paper {_md(section)}")
    if kind:
        sub.append(_md(_KIND.get(kind, kind)))
    out = [
        f'<a id="{card.anchor}"></a>',
        "",
        f"## {_DOT.get(verdict, '')} {_md(verdict)} · {_md(card.heading)} · {_md(card.regime)}",
        "",
        " · ".join(sub) + " · [↑ summary](#summary)",
        "",
        f"**Verdict: {_md(verdict)}** — {_md(card.why)}",
        "",
    ]
    if card.caveats:
        out.append(f"> ⚠ **Caveats on this {_md(verdict)}:**")
        out += [f"> - {_md(c)}" for c in card.caveats]
        out.append("")
    if card.statement:
        label = _STATEMENT_LABEL.get(kind, "Statement") + (f" ({section})" if section else "")
        out += [f"{_md(label)}: {_code(card.statement)}", ""]
    if card.summary:
        out += [_md_line(card.summary), ""]
    for corr in card.corrected_by:
        out += [f"Corrected statement — {_link(corr)}: {_code(corr.statement)}", ""]
    if card.corrects is not None:
        link = _link(card.corrects)
        if card.corrects.statement:
            out += [f"This corrects {link}, which states: {_code(card.corrects.statement)}", ""]
        else:
            out += [f"This corrects {link}.", ""]
    source = card.regime_source
    out += [f"**Regime** {_code(card.regime)}{' (' + _code(source) + ')' if source else ''}: "
            f"{_md(card.regime_description)}", ""]
    if card.reason:
        out += [f"**Why not applicable:** {_md(card.reason)}", ""]
    out += ["#### Measurement", ""]
    if card.for_information_only:
        out += ["*Reported for information only: the claim asserts nothing in this regime, so these numbers decide "
                "no verdict.*", ""]
    out += ["| | |", "|---|---|"]
    out += [f"| {_cell(k)} | {v} |" for k, v in _numbers(card)]
    out += ["", "#### Hypotheses of the claim", ""]
    if card.hypotheses:
        out += [f"- {'✔ holds' if h.holds else '✘ fails'} — **{_md(h.name)}**: {_md(h.detail)}"
                for h in card.hypotheses]
        status = "all hold" if card.hypotheses_hold else "not all hold: the paper's claim does not apply here"
        out += ["", f"Hypotheses: {status}."]
    else:
        out.append("None: this statement is asserted without hypotheses to check.")
    out.append("")
    for fig in card.figures:
        out += [f"![{_md(fig.title)}]({_target(fig.path)})", ""]
        out += [f"*{_md(fig.title)}*" + (f" · vector version: [{_md(fig.pdf)}]({_target(fig.pdf)})" if fig.pdf
                                          else ""), ""]
    out += _extras(card)
    out += _comparisons(card)
    if card.reproduce:
        out += ["#### Reproduce this row", "", *_code_block(card.reproduce, "sh"), ""]
    return out


def _numbers(card: Card) -> list[tuple[str, str]]:
    stats = card.statistics
    rows = []
    if card.measured:
        name = f" ({_cell(card.statistic_name)})" if card.statistic_name else ""
        rows.append(("statistic", f"{f.num(card.statistic)}{name}"))
        bname = f" ({_cell(card.bound_name)})" if card.bound_name else ""
        rows.append(("bound", f"{f.num(card.bound)}{bname}"))
        rel = card.claimed_relation
        rows.append(("margin", f"{f.signed(card.margin)} = statistic − bound"
                     + (f" (claimed: statistic {_cell(rel)} bound)" if rel else "")))
        conf = stats.confidence
        rows.append(("confidence interval", f.interval(card.ci)
                     + (f" at confidence {f.num(conf, 8)} per comparison" if conf is not None else "")))
    else:
        rows.append(("statistic", "nothing was measured in this regime"))
    if stats.alpha is not None:
        detail = []
        if stats.family_size is not None:
            detail.append(f"m = {_cell(stats.family_size)} comparisons")
        if stats.max_stages is not None:
            detail.append(f"S = {_cell(stats.max_stages)} stages")
        if stats.level is not None:
            detail.append(f"α/(m·S) = {f.num(stats.level, 3)} per comparison")
        rows.append(("α (family-wise)", f"{f.num(stats.alpha)} ({', '.join(detail)})" if detail
                     else f.num(stats.alpha)))
    rows.append(("sample size n", _cell(card.n_samples)))
    if card.representative:
        rows.append(("comparison shown", _cell(card.representative)))
    if card.rests_on:
        rows.append(("verdict rests on", _cell(card.rests_on)))
    return rows


def _extras(card: Card) -> list[str]:
    if not card.extras and not card.extra_tables:
        return []
    out = ["#### Other measurements", ""]
    out += [f"- **{_md(x.label)}**: {_md(x.text)}" for x in card.extras]
    if card.extras:
        out.append("")
    for table in card.extra_tables:
        out += [f"**{_md(table.label)}** ({len(table.rows)} rows)", "",
                "| " + " | ".join(_cell(f.humanize(c)) for c in table.columns) + " |",
                "|" + "---|" * len(table.columns)]
        out += ["| " + " | ".join(_cell(v) for v in r) + " |" for r in table.rows]
        out.append("")
    return out


def _comparisons(card: Card) -> list[str]:
    if not card.comparisons:
        return []
    out = ["<details>",
           f"<summary>All {len(card.comparisons)} comparisons ({card.deciding} deciding); the one shown above is in "
           "bold</summary>",
           "",
           "| " + " | ".join(_cell(f.humanize(c)) for c in card.comparison_columns) + " |",
           "|" + "---|" * len(card.comparison_columns)]
    for c in card.comparisons:
        cells = [_cell(text) for text in c.cells]
        if c.representative:
            cells = [f"**{x}**" if x else x for x in cells]
        out.append("| " + " | ".join(cells) + " |")
    out += ["", "</details>", ""]
    return out


def _environment(report: Report) -> list[str]:
    out = ['<a id="environment"></a>', "", "## Environment", "", "| | |", "|---|---|"]
    out += [f"| {_cell(k)} | {_code(v, table=True)} |" for k, v in report.run.environment]
    out += ["", "This file, index.html, junit.xml, results.tex and the figures are rendered from results.json alone: "
            "`ssmverify report DIR` rewrites them without re-simulating.", ""]
    return out
