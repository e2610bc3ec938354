"""Span writers for ``deid detect --format``: JSONL, i2b2 2014 XML, BRAT standoff, CoNLL BIO.

The same formats as :mod:`engine.training.corpora` reads (its readers parse these outputs back to the
same spans; ``tests/test_formats.py`` checks it), written by the engine itself so that the engine
never imports ``training``. Each writer keeps the original text: they are review and training
formats, not hand-off ones (``deid redact`` output is).

=========  ===================================================  ==============================
format     output                                               ``-o``
=========  ===================================================  ==============================
jsonl      one ``{"id", "spans": [... "text"]}`` line per note  a file (default stdout)
i2b2       ``<id>.xml`` per note: ``<TEXT>`` + ``<TAGS>``       a directory
brat       ``<id>.txt`` + ``<id>.ann`` per note                 a directory
conll      ``token<TAB>BIO-tag`` lines, ``-DOCSTART-`` per note  a file (default stdout)
=========  ===================================================  ==============================

Example:
    >>> from engine.types import Result, Span
    >>> r = Result("n1", "Seen by Dunn", (Span(8, 12, "NAME", "DOCTOR"),))
    >>> format_brat(r)
    'T1\\tDOCTOR 8 12\\tDunn\\n'
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Sequence
from typing import Protocol
from xml.sax.saxutils import quoteattr

from engine.errors import InputError
from engine.types import Result, Span


class SpannedText(Protocol):
    """What the CoNLL writer reads: a :class:`Result`, or training's ``AnnotatedDocument``."""

    @property
    def id(self) -> str:
        """The document id."""

    @property
    def text(self) -> str:
        """The original text."""

    @property
    def spans(self) -> Sequence[Span]:
        """Non-overlapping spans sorted by start."""

    @property
    def group(self) -> str | None:
        """The patient, if known."""


FORMATS = ("jsonl", "i2b2", "brat", "conll")
#: formats written as one file per document into a directory
PER_DOCUMENT = {"i2b2": (".xml",), "brat": (".txt", ".ann")}
_XML_SUBTYPE = {"LOCATION-OTHER": "OTHER"}  # the official i2b2 scorer's spelling


def format_jsonl(r: Result) -> str:
    """``{"id", "spans"}`` with each span's surface ``text`` (what ``deid detect`` writes)."""
    d = {k: v for k, v in r.to_dict().items() if k != "text"}
    return json.dumps(d, ensure_ascii=False) + "\n"


def _cdata(text: str) -> str:
    # subtle: "]]>" cannot appear inside CDATA; split it across two sections
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _attr(value: str) -> str:
    # newlines and tabs must be character references, or an XML parser turns them into spaces
    return quoteattr(value, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def format_i2b2(r: Result, text: str | None = None, spans: tuple | None = None) -> str:
    """i2b2 2014 XML: the element is the category, ``TYPE`` the subtype, offsets index the CDATA.

    ``text``/``spans`` override the result's (the redacted text and its spans, for ``deid redact``).
    """
    text = r.text if text is None else text
    spans = r.spans if spans is None else spans
    lines = [
        '<?xml version="1.0" encoding="UTF-8" ?>',
        "<deIdi2b2>",
        f"<TEXT>{_cdata(text)}</TEXT>",
        "<TAGS>",
    ]
    for i, s in enumerate(spans):
        if not re.fullmatch(r"[A-Za-z_][\w\-.]*", s.label):
            raise InputError("E314", f"label {s.label!r} cannot be an XML element name")
        typ = _XML_SUBTYPE.get(s.subtype or "", s.subtype or s.label)
        lines.append(
            f'<{s.label} id="P{i}" start="{s.start}" end="{s.end}" text={_attr(text[s.start : s.end])} '
            f'TYPE={_attr(typ)} comment="" />'
        )
    lines += ["</TAGS>", "</deIdi2b2>", ""]
    return "\n".join(lines)


def format_brat(r: Result) -> str:
    """The ``.ann`` lines (``T1<TAB>TYPE start end<TAB>surface``); the ``.txt`` is the text itself."""
    out = []
    for i, s in enumerate(r.spans, start=1):
        if any(c.isspace() for c in s.type):
            raise InputError("E326", f"BRAT labels cannot contain whitespace: {s.type!r}")
        surface = " ".join(r.text[s.start : s.end].split("\n")).replace("\r", " ").replace("\t", " ")
        out.append(f"T{i}\t{s.type} {s.start} {s.end}\t{surface}\n")
    return "".join(out)


def _tokens(r: SpannedText) -> list[tuple[int, int]]:
    """Whitespace tokens, broken again at every span boundary (so spans stay whole tokens)."""
    cuts = sorted({b for s in r.spans for b in (s.start, s.end)})
    out = []
    for m in re.finditer(r"\S+", r.text):
        a = m.start()
        i = bisect.bisect_right(cuts, a)
        while i < len(cuts) and cuts[i] < m.end():
            out.append((a, cuts[i]))
            a = cuts[i]
            i += 1
        out.append((a, m.end()))
    return out


def format_conll(r: SpannedText) -> str:
    """``-DOCSTART-``, ``# doc_id = ...``, then ``token<TAB>B-/I-TYPE|O``; a blank line at each newline."""
    lines = ["-DOCSTART-\tO", f"# doc_id = {r.id}"]
    if r.group is not None:
        lines.append(f"# group = {r.group}")
    lines.append("")
    spans, k, prev_end = r.spans, 0, 0
    for a, b in _tokens(r):
        if "\n" in r.text[prev_end:a] and lines[-1] != "":
            lines.append("")
        while k < len(spans) and spans[k].end <= a:
            k += 1
        tag = "O"
        if k < len(spans) and spans[k].start <= a < spans[k].end:
            tag = ("B-" if spans[k].start == a else "I-") + spans[k].type
        lines.append(f"{r.text[a:b]}\t{tag}")
        prev_end = b
    if lines[-1] != "":
        lines.append("")
    return "\n".join(lines) + "\n"


def safe_name(doc_id: str) -> str:
    """A document id usable as a file name, or :class:`InputError`."""
    if not re.fullmatch(r"[\w.\-]+", doc_id) or doc_id in (".", ".."):
        raise InputError(
            "E313",
            f"document id {doc_id!r} is not a safe file name",
            fix="Use ids of letters, digits, '.-_'.",
        )
    return doc_id


def document_files(fmt: str, r: Result) -> list[tuple[str, str]]:
    """``(file name, content)`` pairs of one document in a per-document format."""
    name = safe_name(r.id)
    if fmt == "i2b2":
        return [(f"{name}.xml", format_i2b2(r))]
    if fmt == "brat":
        return [(f"{name}.txt", r.text), (f"{name}.ann", format_brat(r))]
    raise ValueError(fmt)


def stream_text(fmt: str, r: Result) -> str:
    """One document in a single-stream format (jsonl, conll)."""
    return format_jsonl(r) if fmt == "jsonl" else format_conll(r)
