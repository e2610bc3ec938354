"""The annotated-document type every corpus reader returns, and the surface-text check.

Every reader checks each annotation against the document: the surface string the corpus stores
(i2b2 ``text=``, the BRAT ``.ann`` text field, a JSONL span's ``"text"``) must equal
``doc.text[start:end]``. A mismatch raises :class:`~engine.errors.AlignmentError` naming the file,
line and span; with ``strict=False`` the span is dropped and recorded in an :class:`AlignmentReport`.

Whitespace policy (why): XML parsers turn newlines inside attribute values into spaces and BRAT's text
field cannot hold a newline, so surfaces are compared with every whitespace run collapsed to one space.

Example:
    >>> from engine.types import Span
    >>> doc = AnnotatedDocument("d1", "Dr. Xai Dunn", (Span(4, 12, "NAME", "DOCTOR"),))
    >>> doc.spans[0].type, doc.text[4:12]
    ('DOCTOR', 'Xai Dunn')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from engine.errors import AlignmentError
from engine.types import Document, Span

#: ``source`` given to spans read from a corpus (predictions keep the source they were written with).
GOLD_SOURCE = "gold"

_WS = re.compile(r"\s+")


def sort_spans(spans: Iterable[Span]) -> tuple[Span, ...]:
    """Canonical span order: by start, end, label, subtype (so equal documents compare equal)."""
    return tuple(sorted(spans, key=lambda s: (s.start, s.end, s.label, s.subtype or "")))


@dataclass(frozen=True, slots=True)
class AnnotatedDocument:
    """One corpus document with its gold (or predicted) spans.

    Attributes:
        id: document id, unique within a corpus (file stem for file-per-document formats).
        text: the exact text the offsets index.
        spans: sorted, half-open character spans.
        group: the patient id (i2b2 ``220-01.xml`` -> ``"220"``), or ``None``.
        meta: format-specific extras that round-trip through JSONL.

    Example:
        >>> AnnotatedDocument("a", "hi Bo", (Span(3, 5, "NAME", "PATIENT"),)).to_document().text
        'hi Bo'
    """

    id: str
    text: str
    spans: tuple[Span, ...] = ()
    group: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for s in self.spans:
            if s.end > len(self.text):
                raise AlignmentError(
                    "E345",
                    f"document {self.id!r}: span [{s.start}, {s.end}) {s.type} is beyond the text "
                    f"(length {len(self.text)})",
                    fix="Check that the offsets index this exact text (encoding, line endings).",
                )
        object.__setattr__(self, "spans", sort_spans(self.spans))

    def to_document(self) -> Document:
        """The engine's input view of this document (spans dropped)."""
        return Document(self.id, self.text, self.group, dict(self.meta))

    def with_spans(self, spans: Iterable[Span]) -> AnnotatedDocument:
        """A copy with other spans (e.g. after a label map)."""
        return replace(self, spans=tuple(spans))

    def surface(self, span: Span) -> str:
        """The text a span covers."""
        return self.text[span.start : span.end]


@dataclass(frozen=True, slots=True)
class AlignmentIssue:
    """One annotation whose stored surface text does not match the document slice."""

    source: str
    line: int | None
    start: int
    end: int
    label: str
    expected: str
    found: str

    def describe(self) -> str:
        """One-line human-readable description: ``file:line [s, e) LABEL 'exp' != 'found'``."""
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return (f"{where} [{self.start}, {self.end}) {self.label}: "
                f"annotation {self.expected!r} != text {self.found!r}")


@dataclass
class AlignmentReport:
    """Mismatches collected by a non-strict read (mutable on purpose: readers append to it).

    Example:
        >>> r = AlignmentReport()
        >>> len(r), r.summary()
        (0, '0 misaligned annotations')
    """

    issues: list[AlignmentIssue] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.issues)

    def summary(self, limit: int = 5) -> str:
        """Count plus the first ``limit`` issues."""
        lines = [f"{len(self.issues)} misaligned annotations"]
        lines += ["  " + i.describe() for i in self.issues[:limit]]
        return "\n".join(lines)

    def to_json(self) -> list[dict[str, Any]]:
        """JSON-ready list of issues."""
        return [
            {"source": i.source, "line": i.line, "start": i.start, "end": i.end, "label": i.label,
             "expected": i.expected, "found": i.found}
            for i in self.issues
        ]


@dataclass
class SurfaceChecker:
    """Applies the surface-text policy for one read.

    Attributes:
        strict: raise on the first mismatch (default) instead of collecting it.
        report: where a non-strict read records mismatches (a fresh one when ``None``).
        enabled: ``False`` skips the comparison (prediction files whose ``text`` is redacted);
            offsets are still bounds-checked.
    """

    strict: bool = True
    report: AlignmentReport | None = None
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.report is None:
            self.report = AlignmentReport()

    def accept(
        self,
        text: str,
        start: int,
        end: int,
        label: str,
        surface: str | None,
        *,
        source: str,
        line: int | None,
    ) -> bool:
        """True when the annotation is valid; False when dropped (non-strict); raises when strict.

        Example:
            >>> SurfaceChecker().accept("Bo Li", 0, 2, "NAME", "Bo", source="x", line=1)
            True
        """
        found = text[start:end] if 0 <= start < end <= len(text) else None
        ok = found is not None and found.strip() != ""
        if ok and self.enabled and surface is not None:
            ok = _WS.sub(" ", surface) == _WS.sub(" ", found or "")
        if ok:
            return True
        found_text = found if found is not None else "<out of range>"
        issue = AlignmentIssue(source, line, start, end, label, surface or "", found_text)
        if self.strict:
            raise AlignmentError(
                "E346",
                "annotation does not match the document text: " + issue.describe(),
                fix="Fix the offsets or the annotation, or read with strict=False to collect all mismatches.",
            )
        assert self.report is not None  # invariant: set in __post_init__
        self.report.issues.append(issue)
        return False


_WORD_RE = re.compile(r"\w+|[^\w\s]")


def word_offsets(text: str) -> list[tuple[int, int]]:
    """Whitespace/punctuation tokens as half-open offsets (the token-level evaluation's tokens).

    Example:
        >>> word_offsets("Dr. Li, 3/12")
        [(0, 2), (2, 3), (4, 6), (6, 7), (8, 9), (9, 10), (10, 12)]
    """
    return [m.span() for m in _WORD_RE.finditer(text)]
