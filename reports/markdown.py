"""report.md: the run as Markdown, from results.json alone."""

from __future__ import annotations

from ._format import hypotheses_cell, interval, num, one_line_reason


def summary_table(results: list[dict]) -> list[str]:
    lines = ["| regime | claim | hypotheses | statistic | bound | CI | verdict |",
             "|---|---|---|---|---|---|---|"]
    for row in results:
        lines.append(
            f"| {row['regime']} | {row['claim']} | {hypotheses_cell(row)} | {num(row['statistic'])} | "
            f"{num(row['bound'])} | {interval(row['ci'])} | **{row['verdict']}** |"
        )
    return lines


def render(document: dict) -> str:
    results = document["results"]
    out = [
        "# ssmverify report",
        "",
        "Numerical verification of the claims of arXiv 2410.03158 (memory compression in selective state "
        "space models).",
        "",
        f"Seed {document['seed']} · family α = {document['alpha']} · {document['family_size']} deciding "
        f"comparisons · per-comparison level α_i = {num(document['per_comparison_level'], 3)} "
        f"(Bonferroni over comparisons and sampling stages){' · quick mode' if document.get('quick') else ''}.",
        "",
        "## Summary",
        "",
        *summary_table(results),
        "",
    ]
    for row in results:
        d = row["details"]
        claim = d.get("claim", {})
        stats = d.get("statistics", {})
        out += [
            f"## {row['regime']} · {row['claim']} — {row['verdict']}",
            "",
            f"**{claim.get('title', row['claim'])}** ({claim.get('section', '')}"
            f"{', corrects ' + claim['corrects'] if claim.get('corrects') else ''}): `{claim.get('statement', '')}`",
            "",
        ]
        if one_line_reason(row):
            out += [f"*Regime:* {one_line_reason(row)}", ""]
        if d.get("hypotheses"):
            out.append("Hypotheses:")
            out += [f"- {'✔' if h['holds'] else '✘'} {h['name']}: {h['detail']}" for h in d["hypotheses"]]
            out.append("")
        if row["verdict"] != "NOT_APPLICABLE" or row["n_samples"]:
            out += [
                f"- statistic ({d.get('statistic_name', 'statistic')}): {num(row['statistic'])}; bound "
                f"{num(row['bound'])}; margin {num(_margin(row))}; CI {interval(row['ci'])} "
                f"at confidence {num(stats.get('confidence', float('nan')), 6)}",
                f"- α = {stats.get('alpha')}, n = {row['n_samples']} paths, comparison shown: "
                f"{d.get('representative') or '—'}",
            ]
        if d.get("rests_on"):
            out.append(f"- verdict rests on: {d['rests_on']}")
        for caveat in d.get("caveats", []):
            out.append(f"- caveat: {caveat}")
        out.append("")
        for fig in row.get("figures", []):
            out += [f"![{row['regime']} {row['claim']}]({fig})", ""]
        out += ["Reproduce:", "", "```", d.get("reproduce", ""), "```", ""]
    env = document.get("environment", {})
    out += [
        "## Environment",
        "",
        f"Python {env.get('python')} on {env.get('platform')}; precision {env.get('precision')}; "
        f"git commit {env.get('git_commit') or 'unknown'}.",
        "",
        ", ".join(f"{k} {v}" for k, v in (env.get("packages") or {}).items()),
        "",
    ]
    return "\n".join(out)


def _margin(row: dict) -> float:
    from ._io import as_float
    return as_float(row["statistic"]) - as_float(row["bound"])
