"""Jupyter display: results as an HTML fragment for ``_repr_html_``.

``row_html(row)`` shows one :class:`~ssmverify.CheckResult`, ``results_html(document)`` a whole results.json
document: a table (regime, claim, hypotheses, statistic, bound, CI, method, verdict) with the verdicts in
index.html's colours, then each row's figures, drawn in this process from the plot specs in its
``details["plots"]`` and inlined as PNG data URIs.

The fragment is self-contained: one ``<style>`` whose rules are all scoped under the class
``ssmverify-nb`` (it cannot restyle the rest of the notebook), the verdict colours also inline on each
badge (so they survive front ends that drop ``<style>``), no script and nothing fetched. Every value is
escaped as index.html escapes it (``html._e``), and what is shown is read through the card model
(``_card.py``), like every other report.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping

from . import html
from ._card import Card, build_report, card_of_row
from ._io import dumps

__all__ = ["row_html", "results_html"]

SCOPE = "ssmverify-nb"

_STYLE = f"""
.{SCOPE} {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 13px; line-height: 1.4; color: #1f2328; }}
.{SCOPE} table {{ border-collapse: collapse; margin: 4px 0 8px; }}
.{SCOPE} th, .{SCOPE} td {{ border-bottom: 1px solid #d0d7de; padding: 4px 10px; text-align: left;
  vertical-align: top; }}
.{SCOPE} thead th {{ background: #f6f8fa; font-weight: 600; }}
.{SCOPE} td.num {{ font-variant-numeric: tabular-nums; white-space: nowrap; }}
.{SCOPE} code {{ font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: .95em; }}
.{SCOPE} .badge {{ display: inline-block; padding: 1px 9px; border-radius: 11px; font-weight: 600;
  font-size: .85em; letter-spacing: .02em; white-space: nowrap; }}
.{SCOPE} .counts .item {{ margin-right: 12px; white-space: nowrap; }}
.{SCOPE} .muted {{ color: #57606a; }}
.{SCOPE} .missing {{ color: #cf222e; }}
.{SCOPE} figure {{ margin: 12px 0 6px; }}
.{SCOPE} figure img {{ max-width: 100%; height: auto; border: 1px solid #eaeef2; border-radius: 4px;
  background: #fff; }}
.{SCOPE} figcaption {{ font-size: .9em; color: #57606a; }}
"""

_COLUMNS = ("regime", "claim", "hypotheses", "statistic", "bound", "CI", "method", "verdict")


def row_html(row) -> str:
    """One result (a :class:`~ssmverify.CheckResult`, or a results.json row) as an HTML fragment."""
    card = card_of_row(_row_dict(row))
    return _fragment([card], lead=f'<p class="why">{html._e(card.why)}</p>')


def results_html(document: dict) -> str:
    """A whole results.json document as an HTML fragment."""
    report = build_report(_normalised(document))
    items = "".join(f'<span class="item">{_badge(v)} {n}</span>' for v, n in report.counts if n)
    return _fragment(report.cards, lead=f'<p class="counts">{len(report.cards)} checks: {items}</p>')


def _normalised(value):
    """``value`` exactly as results.json holds it (non-finite numbers as "inf"/"-inf"/"nan", NumPy values as
    plain ones), so the notebook shows what the reports show; ``value`` itself where it cannot be written."""
    try:
        return json.loads(dumps(value))
    except (TypeError, ValueError):
        return value


def _row_dict(row) -> Mapping:
    return _normalised(row if isinstance(row, Mapping) else row.to_json())


def _badge(verdict, title=None) -> str:
    """A verdict in index.html's colours (class and inline style), its full name as the label."""
    colours = html.palette()
    background, text = colours.get(str(verdict), colours.get("NOT_APPLICABLE", ("#6e7781", "#fff")))
    tip = f' title="{html._e(title)}"' if title else ""
    return (f'<span class="badge {html._e(verdict)}" style="background:{background};color:{text}"{tip}>'
            f'{html._e(str(verdict).replace("_", " "))}</span>')


def _line(card: Card) -> str:
    line = card.table_line()
    claim_tip = f' title="{html._e(card.claim_title)}"' if card.claim_title else ""
    return ("<tr>"
            f"<td><code>{html._e(line.regime)}</code></td>"
            f"<td{claim_tip}><code>{html._e(line.claim)}</code></td>"
            f"<td>{html._e(line.hypotheses)}</td>"
            f'<td class="num">{html._e(line.statistic)}</td>'
            f'<td class="num">{html._e(line.bound)}</td>'
            f'<td class="num">{html._e(line.ci)}</td>'
            f"<td>{html._e(line.method)}</td>"
            f"<td>{_badge(card.verdict, card.why)}</td>"
            "</tr>")


@functools.lru_cache(maxsize=64)
def _png(spec_json: str) -> bytes:
    """The PNG of a figure spec (given as JSON, so it can be cached: re-displaying draws nothing again)."""
    from . import figures  # matplotlib, only once there is something to draw
    return figures.to_bytes(json.loads(spec_json), ("png",))["png"]


def _figures(card: Card) -> list[str]:
    out = []
    for k, spec in enumerate(card.plots):
        title = (spec.get("title") if isinstance(spec, Mapping) else None) or f"figure {k + 1}"
        where = f"<code>{html._e(card.regime)}</code> · <code>{html._e(card.claim)}</code>"
        try:
            png = _png(json.dumps(spec, sort_keys=True, allow_nan=True))
        except Exception as exc:  # noqa: BLE001 - a display shows what went wrong instead of raising
            out.append(f'<p class="missing">{where}: figure “{html._e(title)}” could not be drawn: '
                       f"{html._e(f'{type(exc).__name__}: {exc}')}</p>")
            continue
        out += ["<figure>", html._img(png, title), f"<figcaption>{where}: {html._e(title)}</figcaption>",
                "</figure>"]
    return out


def _fragment(cards, lead: str = "") -> str:
    out = [f'<div class="{SCOPE}">', f"<style>{_STYLE}</style>", lead, "<table>",
           "<thead><tr>" + "".join(f"<th>{c}</th>" for c in _COLUMNS) + "</tr></thead>", "<tbody>"]
    out += [_line(card) for card in cards]
    out += ["</tbody>", "</table>"]
    for card in cards:
        out += _figures(card)
    out.append("</div>")
    return "\n".join(line for line in out if line)
