"""Redaction: replace spans right to left and keep an offset map back to the input.

Example:
    >>> from engine.types import Span
    >>> out, reps = redact("Seen by Xai Dunn today", [Span(8, 16, "NAME", "DOCTOR")])
    >>> out
    'Seen by [NAME] today'
    >>> to_input_offset(reps, 15)   # the 't' of 'today'
    17
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine.types import Replacement, Span


def render(
    span: Span, text: str, style: str = "tag", with_subtype: bool = False, mask_char: str = "*"
) -> str:
    """The replacement string for one span.

    ``tag``: ``[NAME]`` or ``[NAME:DOCTOR]``; ``mask``: every non-space character becomes ``mask_char``
    (the length is kept, so offsets stay put).
    """
    if style == "tag":
        if with_subtype and span.subtype and span.subtype != span.label:
            return f"[{span.label}:{span.subtype}]"
        return f"[{span.label}]"
    if style == "mask":
        return "".join(c if c.isspace() else mask_char for c in text[span.start : span.end])
    raise ValueError(f"unknown redaction style {style!r}; use 'tag' or 'mask'")


def redact(
    text: str,
    spans: Sequence[Span],
    style: str = "tag",
    with_subtype: bool = False,
    mask_char: str = "*",
    render_fn: Callable[[Span], str] | None = None,
) -> tuple[str, tuple[Replacement, ...]]:
    """Replace ``spans`` in ``text``; returns the output and one :class:`Replacement` per span.

    ``render_fn`` gives each span's replacement instead of ``style`` (the operators of
    :class:`engine.redact.operators.Redactor` use it).

    Raises:
        ValueError: if spans overlap (resolve them first) or fall outside the text.
    """
    ordered = sorted(spans, key=lambda s: s.start)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.start < a.end:
            raise ValueError(f"overlapping spans cannot be redacted: {a} and {b}")
    if ordered and ordered[-1].end > len(text):
        raise ValueError(f"span {ordered[-1]} beyond text of length {len(text)}")
    pieces: list[str] = []
    pos = len(text)
    # Right to left: each replacement leaves the offsets of earlier spans untouched.
    strings = []
    for s in reversed(ordered):
        rep = render_fn(s) if render_fn is not None else render(s, text, style, with_subtype, mask_char)
        pieces.append(text[s.end : pos])
        pieces.append(rep)
        strings.append(rep)
        pos = s.start
    pieces.append(text[:pos])
    out = "".join(reversed(pieces))
    reps: list[Replacement] = []
    shift = 0
    for s, rep in zip(ordered, reversed(strings), strict=True):
        o_start = s.start + shift
        reps.append(Replacement(s.start, s.end, o_start, o_start + len(rep), rep, s))
        shift += len(rep) - (s.end - s.start)
    return out, tuple(reps)


def to_input_offset(replacements: Sequence[Replacement], out_pos: int) -> int:
    """Map an offset in the redacted output back to the input.

    Positions inside a replacement map to the start of the replaced span; positions after it shift by
    the length difference.
    """
    shift = 0
    for r in replacements:
        if out_pos < r.out_start:
            break
        if out_pos < r.out_end:
            return r.start
        shift = r.end - r.out_end
    return out_pos + shift
