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
from ._card import Card, build_report

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


def _message(card: Card) -> str:
    rel = card.claimed_relation
    claimed = f" (claimed: statistic {rel} bound)" if rel else ""
    conf = card.statistics.confidence
    at = f" at confidence {f.num(conf, 8)} per comparison" if conf is not None else ""
    shown = f"; comparison: {_v(card.representative)}" if card.representative else ""
    return (f"statistic {f.num(card.statistic)} vs bound {f.num(card.bound)}{claimed}, "
            f"margin {f.signed(card.margin)}; CI {f.interval(card.ci)}{at}{shown}")


def _system_out(card: Card) -> str:
    lines = [f"verdict: {_v(card.verdict)}",
             f"claim: {_v(card.heading)} ({_v(card.section or '')})",
             f"statement: {_v(card.statement or '')}",
             f"statistic: {f.num(card.statistic)}"
             + (f" ({_v(card.statistic_name)})" if card.statistic_name else ""),
             f"bound: {f.num(card.bound)}",
             f"margin (statistic - bound): {f.signed(card.margin)}",
             f"CI: {f.interval(card.ci)}",
             f"n: {_v(card.n_samples)}"]
    for h in card.hypotheses:
        lines.append(f"hypothesis {'holds' if h.holds else 'FAILS'}: {_v(h.name)} ({_v(h.detail)})")
    lines += [f"caveat: {_v(c)}" for c in card.caveats]
    if card.reproduce:
        lines.append(f"reproduce: {_v(card.reproduce)}")
    return "\n".join(lines)  # every value is one line: only these newlines separate them


def render(document: dict) -> str:
    report = build_report(document)
    counts = dict(report.counts)
    n_fail = counts.get("FAIL", 0)
    n_skip = counts.get("INCONCLUSIVE", 0) + counts.get("NOT_APPLICABLE", 0)
    n_error = sum(1 for c in report.cards if c.verdict not in f.VERDICTS)
    totals = {"tests": str(len(report.cards)), "failures": str(n_fail), "errors": str(n_error), "skipped": str(n_skip)}

    root = ET.Element("testsuites", {"name": "ssmverify", **totals})
    root.append(ET.Comment(_CHOICE))
    suite = ET.SubElement(root, "testsuite", {"name": "ssmverify", **totals})
    props = ET.SubElement(suite, "properties")
    run = report.run
    for key, value in (("seed", run.seed), ("alpha", run.alpha), ("family_size", run.family_size),
                       ("per_comparison_level", run.per_comparison_level), ("quick", run.quick),
                       ("version", run.version), ("git_commit", run.git_commit)):
        if value is not None:
            ET.SubElement(props, "property", {"name": key, "value": _v(value)})

    for card in report.cards:
        verdict = card.verdict
        case = ET.SubElement(suite, "testcase", {"classname": _v(card.regime), "name": _v(card.claim)})
        if verdict == "FAIL":
            el = ET.SubElement(case, "failure", {"message": _v(_message(card)), "type": "FAIL"})
            el.text = _v(card.why)
        elif verdict in ("INCONCLUSIVE", "NOT_APPLICABLE"):
            ET.SubElement(case, "skipped", {"message": _v(f"{verdict}: {card.why}")})
        elif verdict != "PASS":
            ET.SubElement(case, "error", {"message": _v(f"unknown verdict {verdict!r}"), "type": "ERROR"})
        out = ET.SubElement(case, "system-out")
        out.text = _clean(_system_out(card))

    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
