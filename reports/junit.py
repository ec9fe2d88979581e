"""junit.xml: one test case per (regime, claim), for CI systems that read JUnit XML.

classname = regime, name = claim id.

* PASS            -> a plain test case.
* FAIL            -> ``<failure>`` whose message gives the statistic, the bound and the confidence interval.
* INCONCLUSIVE    -> ``<skipped>`` with its reason: the data did not decide, which is not a failure of the claim.
* NOT_APPLICABLE  -> ``<skipped>`` too, with its reason (the hypotheses or setting that do not fit):
  the claim makes no assertion in that regime, so nothing was tested against it.
* any other verdict -> ``<error>`` (a results file this version does not understand).

Every test case's system-out carries the numbers, the caveats and the command that reproduces it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from . import _format as f

__all__ = ["render"]

_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_CHOICE = (" One test case per (regime, claim); classname = regime, name = claim. "
           "FAIL is a <failure>. INCONCLUSIVE is <skipped> (the data did not decide). "
           "NOT_APPLICABLE is <skipped> as well, with its reason: the claim asserts nothing in that regime, "
           "so it is neither passed nor failed. ")


def _clean(text) -> str:
    """Text XML can hold: characters XML forbids (U+FFFE, ...) replaced by U+FFFD."""
    if isinstance(text, bool):
        return "true" if text else "false"
    return _INVALID_XML.sub("\ufffd", "" if text is None else str(text))


def _v(value) -> str:
    """A value from results.json as one line of XML-safe text: control characters shown as escapes (``\\x1b``)."""
    return _clean(value if isinstance(value, bool) else f.visible(value))


def _message(row: dict) -> str:
    stats = row.get("details", {}).get("statistics") or {}
    rel = f.claimed_relation(row)
    claimed = f" (claimed: statistic {rel} bound)" if rel else ""
    conf = stats.get("confidence")
    at = f" at confidence {f.num(conf, 8)} per comparison" if conf is not None else ""
    rep = row.get("details", {}).get("representative")
    shown = f"; comparison: {_v(rep)}" if rep else ""
    return (f"statistic {f.num(row.get('statistic'))} vs bound {f.num(row.get('bound'))}{claimed}, "
            f"margin {f.signed(f.margin(row))}; CI {f.interval(row.get('ci'))}{at}{shown}")


def _system_out(row: dict) -> str:
    d = row.get("details", {}) or {}
    claim = d.get("claim") or {}
    lines = [f"verdict: {_v(row.get('verdict'))}",
             f"claim: {_v(claim.get('title') or row.get('claim'))} ({_v(claim.get('section') or '')})",
             f"statement: {_v(claim.get('statement') or '')}",
             f"statistic: {f.num(row.get('statistic'))}"
             + (f" ({_v(d['statistic_name'])})" if d.get("statistic_name") else ""),
             f"bound: {f.num(row.get('bound'))}",
             f"margin (statistic - bound): {f.signed(f.margin(row))}",
             f"CI: {f.interval(row.get('ci'))}",
             f"n: {_v(row.get('n_samples'))}"]
    for h in d.get("hypotheses") or []:
        lines.append(f"hypothesis {'holds' if h.get('holds') else 'FAILS'}: "
                     f"{_v(h.get('name'))} ({_v(h.get('detail'))})")
    lines += [f"caveat: {_v(c)}" for c in d.get("caveats") or []]
    if d.get("reproduce"):
        lines.append(f"reproduce: {_v(d['reproduce'])}")
    return "\n".join(lines)  # every value is one line: only these newlines separate them


def render(document: dict) -> str:
    results = document.get("results", [])
    counts = f.counts(results)
    n_fail = counts.get("FAIL", 0)
    n_skip = counts.get("INCONCLUSIVE", 0) + counts.get("NOT_APPLICABLE", 0)
    n_error = sum(1 for r in results if r.get("verdict") not in f.VERDICTS)
    totals = {"tests": str(len(results)), "failures": str(n_fail), "errors": str(n_error), "skipped": str(n_skip)}

    root = ET.Element("testsuites", {"name": "ssmverify", **totals})
    root.append(ET.Comment(_CHOICE))
    suite = ET.SubElement(root, "testsuite", {"name": "ssmverify", **totals})
    props = ET.SubElement(suite, "properties")
    env = document.get("environment") or {}
    for key, value in (("seed", document.get("seed")), ("alpha", document.get("alpha")),
                       ("family_size", document.get("family_size")),
                       ("per_comparison_level", document.get("per_comparison_level")),
                       ("quick", document.get("quick")), ("version", document.get("version")),
                       ("git_commit", env.get("git_commit"))):
        if value is not None:
            ET.SubElement(props, "property", {"name": key, "value": _v(value)})

    for row in results:
        verdict = row.get("verdict")
        case = ET.SubElement(suite, "testcase", {"classname": _v(row.get("regime")),
                                                 "name": _v(row.get("claim"))})
        if verdict == "FAIL":
            el = ET.SubElement(case, "failure", {"message": _v(_message(row)), "type": "FAIL"})
            el.text = _v(f.verdict_reason(row))
        elif verdict in ("INCONCLUSIVE", "NOT_APPLICABLE"):
            ET.SubElement(case, "skipped", {"message": _v(f"{verdict}: {f.verdict_reason(row)}")})
        elif verdict != "PASS":
            ET.SubElement(case, "error", {"message": _v(f"unknown verdict {verdict!r}"), "type": "ERROR"})
        out = ET.SubElement(case, "system-out")
        out.text = _clean(_system_out(row))

    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
