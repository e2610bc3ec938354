"""A self-contained HTML page of the spans, for review (displaCy-style: label colours, details on hover).

The page holds the notes and their PHI: it is a review artifact, not a hand-off one.

Example:
    >>> r = Result("n1", "Seen by Dr Foley", (Span(11, 16, "NAME", "DOCTOR", 0.98, "model"),))
    >>> page = render_html([r])
    >>> '<mark class="NAME" title="NAME:DOCTOR 0.98 model"' in page
    True
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from engine.types import Result, Span

COLOURS = {
    "NAME": "#f4a3a3",
    "DATE": "#a3c9f4",
    "AGE": "#c9f4a3",
    "LOCATION": "#f4d9a3",
    "ID": "#d9a3f4",
    "CONTACT": "#a3f4e6",
    "PROFESSION": "#f4a3d9",
}
DEFAULT_COLOUR = "#dddddd"

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:60em;line-height:2.1}
.doc{border-bottom:1px solid #ccc;padding:1em 0;white-space:pre-wrap}
h2{font-size:1em;color:#555;margin:0}
mark{padding:0.1em 0.3em;border-radius:0.3em}
mark::after{content:attr(data-label);font-size:0.65em;font-weight:bold;margin-left:0.4em;vertical-align:middle}
.legend mark{margin-right:0.5em}
"""


def _mark(text: str, span: Span) -> str:
    title = f"{span.label}:{span.subtype}" if span.subtype else span.label
    title += f" {span.score:.2f} {span.source}"
    return (
        f'<mark class="{html.escape(span.label)}" title="{html.escape(title)}" '
        f'data-label="{html.escape(span.type)}">{html.escape(text[span.start : span.end])}</mark>'
    )


def render_doc(result: Result) -> str:
    """One document's ``<div>``, its spans marked."""
    out, pos = [], 0
    for s in sorted(result.spans, key=lambda s: s.start):
        out.append(html.escape(result.text[pos : s.start]))
        out.append(_mark(result.text, s))
        pos = s.end
    out.append(html.escape(result.text[pos:]))
    return f'<div class="doc"><h2>{html.escape(result.id)}</h2>{"".join(out)}</div>'


def render_html(results: Iterable[Result], title: str = "deid review") -> str:
    """The whole page: inline CSS, no scripts, no external resources."""
    docs = [render_doc(r) for r in results]
    labels = sorted(COLOURS)
    colours = "".join(f"mark.{k}{{background:{v}}}" for k, v in COLOURS.items())
    legend = "".join(f'<mark class="{k}">{k}</mark>' for k in labels)
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}mark{{background:{DEFAULT_COLOUR}}}{colours}</style></head><body>"
        f'<h1>{html.escape(title)}</h1><p class="legend">{legend}</p>{"".join(docs)}</body></html>\n'
    )
