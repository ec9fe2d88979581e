"""results.tex: booktabs tables of the verdicts, to ``\\input`` into a paper.

The file is a fragment (two ``table`` floats); the including document needs
``\\usepackage{booktabs}``. Every string from results.json is escaped; a
non-ASCII character without a LaTeX spelling here becomes ``?`` so the
fragment compiles with plain pdflatex.
"""

from __future__ import annotations

import math
import re

from . import _format as f
from ._card import build_report
from ._io import as_float

__all__ = ["render", "escape", "number"]

_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}
_UNICODE = {
    "§": r"\S{}", "−": "-", "–": "--", "—": "---", "·": r"$\cdot$", "×": r"$\times$", "α": r"$\alpha$",
    "β": r"$\beta$", "γ": r"$\gamma$", "δ": r"$\delta$", "Δ": r"$\Delta$", "ε": r"$\varepsilon$",
    "κ": r"$\kappa$", "λ": r"$\lambda$", "μ": r"$\mu$", "π": r"$\pi$", "ρ": r"$\rho$", "σ": r"$\sigma$",
    "θ": r"$\theta$", "≤": r"$\le$", "≥": r"$\ge$", "≠": r"$\ne$", "∞": r"$\infty$", "‖": r"$\|$",
    "→": r"$\to$", "⇒": r"$\Rightarrow$", "“": "``", "”": "''", "‘": "`", "’": "'", "…": r"\dots{}",
    "é": r"\'e", "è": r"\`e", "ü": r'\"u', "ö": r'\"o', "ä": r'\"a', "\u00a0": "~",
}
_VERDICT = {"PASS": "PASS", "FAIL": r"\textbf{FAIL}", "INCONCLUSIVE": "INC.", "NOT_APPLICABLE": "N/A"}


def escape(text) -> str:
    """Text safe in LaTeX's text mode: control characters shown as escapes (``\\x1b``, then as
    ``\\textbackslash{}x1b``), specials escaped, unknown non-ASCII replaced by ``?``."""
    out = []
    for ch in f.visible(text):
        if ch in _SPECIALS:
            out.append(_SPECIALS[ch])
        elif ch in _UNICODE:
            out.append(_UNICODE[ch])
        elif ch == "\n" or ch == "\t":
            out.append(" ")
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


def number(value, digits: int = 4, sign: bool = False, compact: bool = False) -> str:
    """A number in math mode: $-0.671$, $1.268\\times10^{30}$ (compact: $1.268\\mathrm{e}{30}$), $\\infty$;
    ``--`` for a missing one."""
    x = as_float(value)
    if math.isnan(x):
        return "--"
    if math.isinf(x):
        return r"$\infty$" if x > 0 else r"$-\infty$"
    text = f.signed(x, digits) if sign else f.num(x, digits)
    m = re.fullmatch(r"([+-]?[0-9.]+)e([+-])0*([0-9]+)", text)
    if m:
        exp = ("-" if m.group(2) == "-" else "") + m.group(3)
        text = f"{m.group(1)}\\mathrm{{e}}{{{exp}}}" if compact else f"{m.group(1)}\\times10^{{{exp}}}"
    return f"${text}$"


def _interval(ci, digits: int = 4, compact: bool = False) -> str:
    if not ci or len(ci) != 2:
        return "--"
    lo, hi = (as_float(v) for v in ci)
    if math.isnan(lo) and math.isnan(hi):
        return "--"
    return f"[{number(lo, digits, compact=compact)}, {number(hi, digits, compact=compact)}]"


def _header_cell(name: str, width: int = 11) -> str:
    """A long regime name stacked over lines at its hyphens, so the matrix stays narrow."""
    parts = re.split(r"(?<=-)", str(name))
    lines, cur = [], ""
    for p in parts:
        if cur and len(cur) + len(p) > width:
            lines.append(cur)
            cur = p
        else:
            cur += p
    lines.append(cur)
    if len(lines) == 1:
        return r"\texttt{" + escape(name) + "}"
    return r"\shortstack{" + r"\\".join(r"\texttt{" + escape(line) + "}" for line in lines) + "}"


_COLUMNS_PER_BLOCK = 4  # regimes per block of the matrix, so it fits the text width of an article


def render(document: dict) -> str:
    report = build_report(document)
    regimes = list(report.regimes)
    quick = ", quick mode" if document.get("quick") else ""
    run = (f"seed {escape(document.get('seed'))}, family-wise $\\alpha = {escape(document.get('alpha'))}$ over "
           f"{escape(document.get('family_size'))} comparisons{quick}")
    out = [
        "% results.tex: written by ssmverify from results.json; do not edit (ssmverify report DIR rewrites it).",
        "% A fragment: \\input{results.tex} in a document that loads \\usepackage{booktabs}.",
        "% Table 1: claims x regimes, verdict and margin (regimes in blocks of "
        f"{_COLUMNS_PER_BLOCK}); Table 2: one line per (regime, claim).",
        "\\begin{table}[htbp]",
        "\\centering",
        "\\footnotesize",
        f"\\caption{{Verdicts of the claims of arXiv 2410.03158 by regime ({run}). Each cell gives the verdict and, "
        "below it, the margin (statistic $-$ bound) of the comparison reported. INC.\\ = inconclusive, "
        "N/A = not applicable (the hypotheses or setting do not fit), -- = not run in that regime.}",
        "\\label{tab:ssmverify-verdicts}",
        "\\smallskip",
    ]
    blocks = [regimes[k:k + _COLUMNS_PER_BLOCK] for k in range(0, len(regimes), _COLUMNS_PER_BLOCK)] or [[]]
    for b, block in enumerate(blocks):
        if b:
            out.append("\\par\\medskip")
        out += [
            "\\begin{tabular}{l" + "c" * len(block) + "}",
            "\\toprule",
            "Claim" + "".join(" & " + _header_cell(r) for r in block) + " \\\\",
            "\\midrule",
        ]
        columns = [regimes.index(r) for r in block]
        shown = [line for line in report.summary if any(line.cells[j] for j in columns)]  # run in this block
        for k, line in enumerate(shown):
            section = line.first.section
            head = r"\texttt{" + escape(line.claim) + "}" + (f" ({escape(section)})" if section else "")
            verdicts, margins = [], []
            for j in columns:
                card = line.cells[j]
                if card is None:
                    verdicts.append("--")
                    margins.append("")
                    continue
                verdicts.append(_VERDICT.get(card.verdict, escape(card.verdict)))
                m = card.margin
                margins.append("" if math.isnan(m) else r"\scriptsize " + number(m, 3, sign=True))
            out.append(head + "".join(" & " + v for v in verdicts) + " \\\\")
            out.append("".join(" & " + m for m in margins) + " \\\\")
            if k < len(shown) - 1:
                out.append("\\addlinespace[2pt]")
        out += ["\\bottomrule", "\\end{tabular}"]
    out += [
        "\\end{table}",
        "",
        "\\begin{table}[htbp]",
        "\\centering",
        "\\footnotesize",
        "\\setlength{\\tabcolsep}{2.4pt}",
        "\\caption{Every (regime, claim) row: the statistic of the comparison reported, the claim's bound, the margin "
        "(statistic $-$ bound), its confidence interval at the per-comparison level "
        f"{number(document.get('per_comparison_level'), 3)}, and the sample size $n$; "
        "$a\\mathrm{e}b$ stands for $a\\times10^{b}$.}",
        "\\label{tab:ssmverify-rows}",
        "\\smallskip",
        "\\begin{tabular}{lcrrrcr}",
        "\\toprule",
        "Regime / claim & Verdict & Statistic & Bound & Margin & CI & $n$ \\\\",
    ]
    previous = object()
    for card in report.cards:
        if card.regime != previous:
            previous = card.regime
            out.append("\\midrule")
            out.append(r"\multicolumn{7}{l}{\textit{regime} \texttt{" + escape(previous) + "}} \\\\")
        out.append(" & ".join([
            r"\quad\texttt{" + escape(card.claim) + "}",
            _VERDICT.get(card.verdict, escape(card.verdict)),
            number(card.statistic, 3, compact=True),
            number(card.bound, 3, compact=True),
            number(card.margin, 3, sign=True, compact=True),
            _interval(card.ci, 3, compact=True),
            escape(card.n_samples),
        ]) + " \\\\")
    out += ["\\bottomrule", "\\end{tabular}", "\\end{table}", ""]
    return "\n".join(out)
