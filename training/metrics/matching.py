"""Matching gold and predicted spans of one document into per-type (tp, fp, fn) counts.

Three modes, following the i2b2 2014 scorer:

* ``strict``: start, end and type all equal (sets: duplicates count once).
* ``relaxed``: type and start equal, ends within ``RELAXED_END_TOLERANCE`` (2) characters; matched
  one-to-one, closest end first.
* ``token``: whitespace/punctuation tokens (:func:`engine.training.corpora.word_offsets`); a token takes the
  type of the first span overlapping it. Same type on both sides is a tp; otherwise the predicted type
  (if any) scores a fp and the gold type (if any) a fn.

The *type* of a span comes from a key function: the subtype level uses ``span.type``, the category
level ``span.label``, and the binary PHI-vs-not level a constant.

Example:
    >>> from engine.types import Span
    >>> g = [Span(0, 4, "NAME", "DOCTOR")]
    >>> p = [Span(0, 5, "NAME", "DOCTOR")]
    >>> strict_counts(g, p, by_subtype)["DOCTOR"], relaxed_counts(g, p, by_subtype)["DOCTOR"]
    ([0, 1, 1], [1, 0, 0])
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Sequence

from engine.training.corpora.base import word_offsets
from engine.types import Span

RELAXED_END_TOLERANCE = 2

KeyFn = Callable[[Span], str]
#: type -> [tp, fp, fn]
Counts = dict[str, list[int]]


def by_subtype(span: Span) -> str:
    """Subtype-level key (the subtype, or the label when there is none)."""
    return span.type


def by_category(span: Span) -> str:
    """Category-level key."""
    return span.label


def binary(span: Span) -> str:
    """PHI-vs-not key: every span is just PHI."""
    return "PHI"


def _new() -> Counts:
    return defaultdict(lambda: [0, 0, 0])


def strict_counts(gold: Sequence[Span], pred: Sequence[Span], key: KeyFn) -> Counts:
    """Exact (start, end, type) matches."""
    g = {(s.start, s.end, key(s)) for s in gold}
    p = {(s.start, s.end, key(s)) for s in pred}
    out = _new()
    for *_, t in g & p:
        out[t][0] += 1
    for *_, t in p - g:
        out[t][1] += 1
    for *_, t in g - p:
        out[t][2] += 1
    return out


def relaxed_pairs(
    gold: Sequence[Span], pred: Sequence[Span], key: KeyFn | None, tolerance: int = RELAXED_END_TOLERANCE
) -> list[tuple[int, int]]:
    """One-to-one (gold index, pred index) pairs: same start, ends within ``tolerance``, same key
    (``key=None`` ignores the type). Closest ends are matched first."""
    by_start: dict[int, list[int]] = defaultdict(list)
    for pi, p in enumerate(pred):
        by_start[p.start].append(pi)
    cands = sorted(
        (abs(g.end - pred[pi].end), gi, pi)
        for gi, g in enumerate(gold)
        for pi in by_start.get(g.start, ())
        if abs(g.end - pred[pi].end) <= tolerance and (key is None or key(g) == key(pred[pi]))
    )
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for _, gi, pi in cands:
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            pairs.append((gi, pi))
    return pairs


def relaxed_counts(gold: Sequence[Span], pred: Sequence[Span], key: KeyFn) -> Counts:
    """Relaxed matches (start exact, end within 2 characters, same type), one-to-one."""
    gold, pred = sorted(set(gold), key=_pos), sorted(set(pred), key=_pos)
    out = _new()
    pairs = relaxed_pairs(gold, pred, key)
    mg, mp = {g for g, _ in pairs}, {p for _, p in pairs}
    for gi, _ in pairs:
        out[key(gold[gi])][0] += 1
    for pi, s in enumerate(pred):
        if pi not in mp:
            out[key(s)][1] += 1
    for gi, s in enumerate(gold):
        if gi not in mg:
            out[key(s)][2] += 1
    return out


def _pos(s: Span) -> tuple[int, int, str, str]:
    return (s.start, s.end, s.label, s.subtype or "")


def token_types(tokens: Sequence[tuple[int, int]], spans: Sequence[Span], key: KeyFn) -> list[str | None]:
    """Per token, the key of the first (by start) span overlapping it, or ``None``.

    Tokens must be sorted and non-overlapping (as :func:`~engine.training.corpora.word_offsets` returns them).
    """
    out: list[str | None] = [None] * len(tokens)
    starts = [a for a, _ in tokens]
    ends = [b for _, b in tokens]
    # subtle: assign in reverse order so the first span (by start) overlapping a token wins
    for s in sorted(spans, key=_pos, reverse=True):
        k = key(s)
        for i in range(bisect.bisect_right(ends, s.start), bisect.bisect_left(starts, s.end)):
            out[i] = k
    return out


def token_counts(
    text: str, gold: Sequence[Span], pred: Sequence[Span], key: KeyFn,
    tokens: Sequence[tuple[int, int]] | None = None,
) -> Counts:
    """Token-level counts over :func:`~engine.training.corpora.word_offsets` tokens (``tokens``: reused)."""
    toks = word_offsets(text) if tokens is None else tokens
    out = _new()
    for g, p in zip(token_types(toks, gold, key), token_types(toks, pred, key), strict=True):
        if g is not None and g == p:
            out[g][0] += 1
            continue
        if p is not None:
            out[p][1] += 1
        if g is not None:
            out[g][2] += 1
    return out


def bio_tags(text: str, spans: Sequence[Span], key: KeyFn = by_subtype) -> tuple[list[str], list[str]]:
    """The BIO view of a document: (tokens, tags) over :func:`~engine.training.corpora.word_offsets` tokens.

    A token takes the first span overlapping it; it is ``B-`` when it is that span's first token.
    Used to cross-check strict entity scores against seqeval on token-aligned spans.

    Example:
        >>> bio_tags("Dr Xai Dunn", [Span(3, 11, "NAME", "DOCTOR")])
        (['Dr', 'Xai', 'Dunn'], ['O', 'B-DOCTOR', 'I-DOCTOR'])
    """
    toks = word_offsets(text)
    ordered = sorted(spans, key=_pos)
    tags, prev = [], None
    for a, b in toks:
        cur = next((s for s in ordered if s.start < b and s.end > a), None)
        if cur is None:
            tags.append("O")
        else:
            tags.append(("I-" if cur is prev else "B-") + key(cur))
        prev = cur
    return [text[a:b] for a, b in toks], tags
