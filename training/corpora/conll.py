"""CoNLL-style BIO files: ``token<TAB>tag`` per line, a blank line between sentences, ``-DOCSTART-``
between documents.

Reading rebuilds each document's text by joining a sentence's tokens with single spaces and sentences
with ``"\\n"``, so offsets index that
reconstructed text. Extra columns are allowed (the tag is the last
one, CoNLL-2003 style). Comment lines ``# doc_id = X`` and ``# group = X`` (no tab) after
``-DOCSTART-`` carry the document id and patient group; without them ids are ``<file stem>-<n>``.

BIO repair follows conlleval: an ``I-X`` that does not continue an ``X`` starts a new span.

Writing tokenizes on whitespace and additionally breaks a token wherever a span starts or ends, so
every span is representable; a line of the text becomes a sentence. Overlapping spans cannot be
written in BIO and raise :class:`~engine.errors.AlignmentError`.

Example:
    >>> content = "-DOCSTART-\\tO\\n# doc_id = n1\\nDr\\tO\\nXai\\tB-DOCTOR\\nDunn\\tI-DOCTOR\\n"
    >>> doc = next(parse_conll(content))
    >>> doc.id, doc.text, [(s.start, s.end, s.label, s.subtype) for s in doc.spans]
    ('n1', 'Dr Xai Dunn', [(3, 11, 'NAME', 'DOCTOR')])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from engine.errors import AlignmentError, InputError
from engine.formats.writers import format_conll as engine_format_conll
from engine.labels import label_and_subtype, split_tag
from engine.training.corpora.base import GOLD_SOURCE, AnnotatedDocument, SurfaceChecker
from engine.types import Span

DOCSTART = "-DOCSTART-"
_COMMENT_RE = re.compile(r"^# (doc_id|group) = (.*)$")


class _DocBuilder:
    """Accumulates one document's sentences of (token, tag) pairs."""

    def __init__(self, doc_id: str | None) -> None:
        self.doc_id, self.group = doc_id, None
        self.sentences: list[list[tuple[str, str, int]]] = [[]]

    def add(self, token: str, tag: str, line: int) -> None:
        self.sentences[-1].append((token, tag, line))

    def end_sentence(self) -> None:
        if self.sentences[-1]:
            self.sentences.append([])

    def empty(self) -> bool:
        return not any(self.sentences)

    def build(self, default_id: str, source: str) -> AnnotatedDocument:
        parts: list[str] = []
        spans: list[Span] = []
        pos, cur = 0, None  # cur: [start, end, type]
        for sent in (s for s in self.sentences if s):
            if parts:
                parts.append("\n")
                pos += 1
            for i, (tok, tag, line) in enumerate(sent):
                if i:
                    parts.append(" ")
                    pos += 1
                try:
                    prefix, typ = split_tag(tag)
                except ValueError as e:
                    raise InputError(
                        "E340", f"{source}:{line}: bad tag {tag!r}", fix="Use BIO tags: O, B-X, I-X."
                    ) from e
                if cur is not None and not (prefix == "I" and typ == cur[2] and i > 0):
                    spans.append(_span(*cur))
                    cur = None
                if prefix == "B" or (prefix == "I" and cur is None):
                    cur = [pos, pos + len(tok), typ]
                elif prefix == "I" and cur is not None:
                    cur[1] = pos + len(tok)
                parts.append(tok)
                pos += len(tok)
            if cur is not None:
                spans.append(_span(*cur))
                cur = None
        return AnnotatedDocument(self.doc_id or default_id, "".join(parts), tuple(spans), self.group, {})


def _span(start: int, end: int, typ: str) -> Span:
    label, subtype = label_and_subtype(typ)
    return Span(start, end, label, subtype, 1.0, GOLD_SOURCE)


def parse_conll(content: str, stem: str = "doc", source: str = "<string>") -> Iterator[AnnotatedDocument]:
    """Parse CoNLL BIO content into documents (see module example)."""
    cur, n_docs = _DocBuilder(None), 0
    for n, raw in enumerate(content.split("\n"), start=1):
        line = raw.rstrip("\r")
        if line.startswith(DOCSTART):
            if not cur.empty() or cur.doc_id:
                n_docs += 1
                yield cur.build(f"{stem}-{n_docs}", source)
            cur = _DocBuilder(None)
            continue
        m = _COMMENT_RE.match(line)
        if m and "\t" not in line:
            if m.group(1) == "doc_id":
                cur.doc_id = m.group(2)
            else:
                cur.group = m.group(2)
            continue
        if not line.strip():
            cur.end_sentence()
            continue
        fields = line.split("\t") if "\t" in line else line.split()
        if len(fields) < 2:
            raise InputError("E341", f"{source}:{n}: expected 'token<TAB>tag', got {line[:40]!r}")
        cur.add(fields[0], fields[-1], n)
    if not cur.empty() or cur.doc_id:
        n_docs += 1
        yield cur.build(f"{stem}-{n_docs}", source)


def read_conll(path: str | Path, checker: SurfaceChecker | None = None) -> Iterator[AnnotatedDocument]:
    """Read a CoNLL file, or every ``*.conll`` in a directory (``checker`` is unused: text is rebuilt)."""
    p = Path(path)
    for f in sorted(p.glob("*.conll")) if p.is_dir() else [p]:
        with open(f, encoding="utf-8", newline="") as fh:
            yield from parse_conll(fh.read(), f.stem, str(f))


def format_conll(doc: AnnotatedDocument) -> str:
    """One document as CoNLL lines, starting with ``-DOCSTART-`` and its id comment."""
    for a, b in zip(doc.spans, doc.spans[1:], strict=False):
        if a.overlaps(b):
            raise AlignmentError(
                "E342",
                f"document {doc.id!r}: overlapping spans {a} and {b} cannot be BIO",
                fix="Resolve overlaps before writing CoNLL.",
            )
    return engine_format_conll(doc)  # the engine's writer: one CoNLL layout for both


def write_conll(docs: Iterable[AnnotatedDocument], path: str | Path) -> None:
    """Write all documents to one CoNLL file (parent directories are created)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with open(p, "w", encoding="utf-8", newline="") as fh:
        for doc in docs:
            fh.write(format_conll(doc))
