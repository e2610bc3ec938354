"""Build a note from segments and render it into text plus checked span dicts.

Example:
    >>> b = NoteBuilder()
    >>> b.add("Seen by Dr. ")
    >>> b.add("Xai Dunn", "DOCTOR")
    >>> text, spans = b.render()
    >>> text[spans[0]["start"]:spans[0]["end"]]
    'Xai Dunn'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from engine.errors import AlignmentError
from engine.labels import MODEL_SUBTYPES, category_of

PLACEHOLDER = re.compile(r"\{([A-Z][A-Z0-9_\-]*)\}")
Segs = list[tuple[str, "str | None"]]


class NoteBuilder:
    """Accumulates ``(text, subtype|None)`` segments; :meth:`render` computes offsets once."""

    def __init__(self) -> None:
        self.segs: Segs = []

    def add(self, text: str, subtype: str | None = None) -> None:
        """Append one segment; a PHI segment is stripped of edge whitespace (kept as plain text)."""
        if not text:
            return
        if subtype is None:
            self.segs.append((text, None))
            return
        core = text.strip()
        lead = text[: len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()) :]
        if lead:
            self.segs.append((lead, None))
        if core:
            self.segs.append((core, subtype))
        if trail:
            self.segs.append((trail, None))

    def extend(self, segs: Iterable[tuple[str, str | None]]) -> None:
        for t, k in segs:
            self.add(t, k)

    def template(self, tpl: str, fill: Callable[[str], Segs]) -> None:
        """Append a template, replacing each ``{KIND}`` with ``fill(KIND)``'s segments."""
        pos = 0
        for m in PLACEHOLDER.finditer(tpl):
            self.add(tpl[pos : m.start()])
            self.extend(fill(m.group(1)))
            pos = m.end()
        self.add(tpl[pos:])

    def transform(self, fn: Callable[[str], str]) -> None:
        """Apply a text transform (upper/lower case) to every segment."""
        self.segs = [(fn(t), k) for t, k in self.segs]

    def render(self) -> tuple[str, list[dict[str, object]]]:
        """Concatenate segments into text and spans; checks every invariant the corpus promises.

        Raises:
            AlignmentError: a span's surface differs from its segment, is blank or has edge space.
        """
        parts: list[str] = []
        spans: list[dict[str, object]] = []
        pos = 0
        for t, k in self.segs:
            parts.append(t)
            if k is not None:
                if k not in MODEL_SUBTYPES:
                    raise AlignmentError("E951", f"unknown subtype {k!r} for {t!r}")
                if t != t.strip() or not t:
                    raise AlignmentError("E952", f"span {t!r} has whitespace at an edge")
                if spans and spans[-1]["end"] == pos and spans[-1]["subtype"] == k:
                    # two touching spans of one type would read as one entity: keep them apart
                    raise AlignmentError("E953", f"touching {k} spans at {pos}")
                spans.append({"start": pos, "end": pos + len(t), "label": category_of(k), "subtype": k})
            pos += len(t)
        text = "".join(parts)
        for s, (t, _) in zip(spans, [sg for sg in self.segs if sg[1] is not None], strict=True):
            if text[s["start"] : s["end"]] != t:  # type: ignore[misc]
                raise AlignmentError("E954", f"span text mismatch at {s}")
        return text, spans
