"""The one overlap and conflict policy of the hybrid layer.

Policy (recall first: resolution never un-marks a character some detector marked, except for the
allow list, which can only veto weak evidence):

1. **Clean.** Each span is clipped to the text and trimmed of surrounding whitespace, commas and
   semicolons; blank spans go.
2. **Allow.** A span labelled ``ALLOW`` marks non-PHI. A *weak* span (source ``list:*``,
   ``propagate*`` or unknown) lying inside an ``ALLOW`` span is dropped; template, model, extraction
   and deny spans are kept. ``ALLOW`` spans are never returned.
3. **Union.** Overlapping spans (sharing at least one character; touching is not overlapping) merge,
   transitively, into one span covering all of them.
4. **Label.** The merged span takes its category (label) from its strongest member: by source
   priority ``deny > template (regex:*, coord:*) > model = extract > list > propagate``, then score,
   then length. Its subtype and source come from the most confident non-weak member of that category
   (score, then source priority, then length; lists and propagation never decide a subtype): a
   generic template (a bare 8-digit number is IDNUM, a phone shape is PHONE) fixes the category, but
   a confident model that read the context ('EDVISIT^...' is a MEDICALRECORD, 'faxed to' a FAX)
   keeps its subtype. Its score is the highest member score.

Example:
    >>> text = "Dr. Xai Dunn seen"
    >>> spans = [Span(4, 7, "NAME", "PATIENT", 0.6, "list:X"), Span(4, 12, "NAME", "DOCTOR", 0.9, "model")]
    >>> [(s.start, s.end, s.subtype, s.source) for s in resolve(text, spans)]
    [(4, 12, 'DOCTOR', 'model')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from engine.decode.spans import trim_edges
from engine.types import Span

ALLOW_LABEL = "ALLOW"

#: Source family (text before the first ':') -> priority; higher wins a conflict.
SOURCE_PRIORITY: dict[str, int] = {
    "deny": 5,
    "regex": 4,
    "coord": 4,
    "model": 3,
    "extract": 3,
    "list": 2,
    "propagate": 1,
}
_UNKNOWN_PRIORITY = 2
WEAK_PRIORITY = 2  # at or below: vetoed by the allow list


@lru_cache(maxsize=4096)
def source_priority(source: str) -> int:
    """Priority of a span source (``"regex:DATE_MDY"`` -> 4, ``"propagate"`` -> 1)."""
    return SOURCE_PRIORITY.get(source.split(":", 1)[0], _UNKNOWN_PRIORITY)


def is_weak(span: Span) -> bool:
    """True for evidence the allow list may veto (lists, propagation, unknown sources)."""
    return source_priority(span.source) <= WEAK_PRIORITY


def clean(text: str, span: Span) -> Span | None:
    """Clip ``span`` to ``text``, trim whitespace, commas and semicolons; ``None`` when nothing is left.

    Example: ``clean("a  Bob ", Span(1, 7, "NAME"))`` -> ``Span(3, 6, "NAME")``.
    """
    s, e = trim_edges(text, span.start, min(span.end, len(text)))
    if s >= e:
        return None
    if (s, e) == (span.start, span.end):
        return span
    return Span(s, e, span.label, span.subtype, span.score, span.source)


def _strength(span: Span) -> tuple[int, float, int]:
    return source_priority(span.source), span.score, span.end - span.start


def resolve(text: str, spans: Iterable[Span]) -> list[Span]:
    """Apply the module's policy: the final non-overlapping spans, sorted by start.

    Args:
        text: the document text the spans index into.
        spans: candidate spans from any detectors, in any order, overlaps allowed.

    Returns:
        Non-overlapping, non-blank spans sorted by start.
    """
    cleaned = [c for c in (clean(text, s) for s in spans) if c is not None]
    allows = sorted((s for s in cleaned if s.label == ALLOW_LABEL), key=lambda s: s.start)
    cands = [s for s in cleaned if s.label != ALLOW_LABEL]
    if allows:
        cover = {(a.start, a.end) for a in allows}
        cands = [s for s in cands if not (is_weak(s) and _inside_any(s, allows, cover))]
    cands.sort(key=lambda s: (s.start, -s.end))
    out: list[Span] = []
    i, n = 0, len(cands)
    while i < n:
        best = cands[i]
        start, end, top = best.start, best.end, best.score
        j = i + 1
        while j < n and cands[j].start < end:
            c = cands[j]
            end = max(end, c.end)
            top = max(top, c.score)
            if _strength(c) > _strength(best):
                best = c
            j += 1
        if j - i > 1 and not is_weak(best):  # subtype: the most confident strong member of the category
            best = max(
                (c for c in cands[i:j] if c.label == best.label and not is_weak(c)),
                key=lambda c: (c.score, source_priority(c.source), c.end - c.start),
            )
        if (start, end, top) == (best.start, best.end, best.score):
            out.append(best)
        else:
            out.append(Span(start, end, best.label, best.subtype, top, best.source))
        i = j
    return out


#: Credentials and care-team roles written next to a name ('Bernard Foley CRT', 'HO Domenico'): never
#: part of the name itself.
NAME_ROLES = frozenset(
    "rn md np pa pa-c rrt crt rt do crna lpn phd ho dr drs dr. drs. np. rn. md. and".split()
)
_NAME_JOIN = re.compile(r"\s+(?:and|&)\s+", re.IGNORECASE)
_EDGE_WORD = re.compile(r"[A-Za-z][A-Za-z.-]*")


def split_names(text: str, spans: Iterable[Span]) -> list[Span]:
    """NAME spans split at 'and' / '&' between two names, with credentials and roles at either edge
    trimmed ('Drs Camarda AND Clifford' -> 'Camarda', 'Clifford'; 'Bernard Foley CRT' -> 'Bernard Foley');
    other spans unchanged. Order is kept.

    Example:
        >>> t = "DR CAMARDA AND CLIFFORD AWARE"
        >>> [t[s.start:s.end] for s in split_names(t, [Span(3, 23, "NAME", "DOCTOR", 0.9, "model")])]
        ['CAMARDA', 'CLIFFORD']
    """
    out: list[Span] = []
    for sp in spans:
        if sp.label != "NAME" or sp.subtype == "USERNAME":
            out.append(sp)
            continue
        pieces, a = [], sp.start
        for m in _NAME_JOIN.finditer(text, sp.start, sp.end):
            pieces.append((a, m.start()))
            a = m.end()
        pieces.append((a, sp.end))
        for a, b in pieces:
            a, b = _trim_roles(text, a, b)
            if a < b and any(c.isalpha() for c in text[a:b]):
                same = (a, b) == (sp.start, sp.end)
                out.append(sp if same else Span(a, b, sp.label, sp.subtype, sp.score, sp.source))
    return out


def _trim_roles(text: str, a: int, b: int) -> tuple[int, int]:
    """``[a, b)`` without role words at its edges (one name word always stays)."""
    while True:
        words = list(_EDGE_WORD.finditer(text, a, b))
        if len(words) < 2:
            return a, b
        first, last = words[0], words[-1]
        if last.group().lower().rstrip(".") in NAME_ROLES or last.group().lower() in NAME_ROLES:
            b = trim_edges(text, a, last.start())[1]
        elif first.group().lower() in NAME_ROLES or first.group().lower().rstrip(".") in NAME_ROLES:
            a = trim_edges(text, first.end(), b)[0]
            while a < b and text[a] in ".":
                a += 1
        else:
            return a, b


def _inside_any(span: Span, allows: list[Span], cover: set[tuple[int, int]]) -> bool:
    if (span.start, span.end) in cover:
        return True
    return any(a.start <= span.start and span.end <= a.end for a in allows if a.start <= span.start)
