"""The immutable data types that flow between every stage.

One currency: :class:`Span`, with half-open ``[start, end)`` character offsets into the original,
unnormalised text.

Example:
    >>> text = "Seen by Dr. Xai Dunn on 3/12."
    >>> s = Span(12, 20, "NAME", "DOCTOR", 0.98, "model")
    >>> text[s.start:s.end]
    'Xai Dunn'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Span:
    """A PHI mention: ``text[start:end]`` is the mention.

    Attributes:
        start: first character (inclusive).
        end: one past the last character (exclusive).
        label: the category (i2b2: NAME, DATE, AGE, LOCATION, ID, CONTACT, PROFESSION), or the model's
            own label for a model trained on another scheme.
        subtype: the i2b2 subtype (DOCTOR, CITY, ...) or ``None``.
        score: confidence in ``[0, 1]``.
        source: which stage produced it (``"model"``, ``"regex:DATE_ISO"``, ``"propagate"``, ...).
    """

    start: int
    end: int
    label: str
    subtype: str | None = None
    score: float = 1.0
    source: str = "unknown"

    def __post_init__(self) -> None:
        if not (isinstance(self.start, int) and isinstance(self.end, int)):
            raise TypeError(f"Span offsets must be ints, got {self.start!r}, {self.end!r}")
        if not (0 <= self.start < self.end):
            raise ValueError(f"Span needs 0 <= start < end, got [{self.start}, {self.end})")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"Span score must be in [0, 1], got {self.score}")

    @property
    def type(self) -> str:
        """The finest label available: the subtype if known, else the label."""
        return self.subtype or self.label

    def overlaps(self, other: Span) -> bool:
        """True when the two half-open ranges share at least one character."""
        return self.start < other.end and other.start < self.end

    def check(self, text: str) -> Span:
        """Raise ``ValueError`` unless this span is a valid, non-blank slice of ``text``."""
        if self.end > len(text):
            raise ValueError(f"Span [{self.start}, {self.end}) beyond text of length {len(text)}")
        if not text[self.start : self.end].strip():
            raise ValueError(f"Span [{self.start}, {self.end}) covers only whitespace")
        return self

    def to_dict(self, text: str | None = None) -> dict[str, Any]:
        """JSON-ready dict; with ``text`` it also carries the covered surface string."""
        d: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "subtype": self.subtype,
            "score": round(float(self.score), 4),
            "source": self.source,
        }
        if text is not None:
            d["text"] = text[self.start : self.end]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Span:
        """Inverse of :meth:`to_dict` (the ``text`` key, if any, is ignored)."""
        return cls(
            int(d["start"]),
            int(d["end"]),
            str(d["label"]),
            d.get("subtype"),
            float(d.get("score", 1.0)),
            str(d.get("source", "unknown")),
        )


@dataclass(frozen=True, slots=True)
class Document:
    """One note. ``group`` is the patient id: trusted terms propagate across a group's notes."""

    id: str
    text: str
    group: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Window:
    """A slice of a document's token sequence that fits the model.

    Token indices refer to the document's content tokens (no special tokens). ``core_start`` and
    ``core_end`` bound the tokens whose predictions are trusted from this window; the cores of a
    document's windows partition ``[0, n_tokens)``.
    """

    start: int
    end: int
    core_start: int
    core_end: int

    def __post_init__(self) -> None:
        if not (self.start <= self.core_start <= self.core_end <= self.end):
            raise ValueError(f"Window core outside window: {self}")

    @property
    def length(self) -> int:
        """Number of content tokens in the window."""
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Replacement:
    """One redaction: ``original[start:end]`` became ``output[out_start:out_end]``."""

    start: int
    end: int
    out_start: int
    out_end: int
    replacement: str
    span: Span


@dataclass(frozen=True, slots=True)
class Result:
    """What the engine returns for one document.

    Attributes:
        id: the document id.
        text: the original text.
        spans: resolved, non-overlapping PHI spans, sorted by start.
        redacted: the redacted text, when redaction was asked for.
        replacements: the offset map from output back to input (one entry per replaced span).
        error: set only when ``on_error="redact_all"`` redacted the whole document after a failure.
    """

    id: str
    text: str
    spans: tuple[Span, ...]
    redacted: str | None = None
    replacements: tuple[Replacement, ...] = ()
    error: str | None = None
    group: str | None = None

    def to_redacted_dict(self, include_phi: bool = False, original_offsets: bool = False) -> dict[str, Any]:
        """JSON-ready record of the *redacted* document: nothing of the original text by default.

        ``text`` is the redacted text and each span's ``start``/``end`` point into it (at the
        replacement). ``original_offsets`` adds ``orig_start``/``orig_end`` (offsets into the
        original, which reveal the length of each mention); ``include_phi`` adds ``phi``, the
        original surface string, for a reviewer who is allowed to see it. The patient ``group`` is
        left out (it is often a record number). ``error`` names the failure
        only (code and exception type), never its message, which could quote the input.

        Example: ``Result("n1", "Seen by Xai Dunn", (span,), "Seen by [NAME]", reps).to_redacted_dict()``
        -> ``{"id": "n1", "text": "Seen by [NAME]", "spans": [{"start": 8, "end": 14, ...}]}``.
        """
        if self.redacted is None:
            raise ValueError("to_redacted_dict needs a redacted result (detect_many(..., redact=True))")
        spans = []
        for rep in self.replacements:
            d = rep.span.to_dict()
            d["start"], d["end"] = rep.out_start, rep.out_end
            if original_offsets:
                d["orig_start"], d["orig_end"] = rep.start, rep.end
            if include_phi:
                d["phi"] = self.text[rep.start : rep.end]
            spans.append(d)
        # subtle: no ``group``: a patient key is often an MRN, itself PHI
        out: dict[str, Any] = {"id": self.id, "text": self.redacted, "spans": spans}
        if self.error:
            out["error"] = self.error
        return out

    def to_dict(self, include_text: bool = False) -> dict[str, Any]:
        """JSON-ready record for review (``deid detect``): spans with their original surface text.

        This record carries PHI (each span's ``text``); a redacted record for hand-off is
        :meth:`to_redacted_dict`.
        """
        d: dict[str, Any] = {"id": self.id, "spans": [s.to_dict(self.text) for s in self.spans]}
        if self.redacted is not None:
            d["text"] = self.redacted
        elif include_text:
            d["text"] = self.text
        if self.error:
            d["error"] = self.error
        return d
