"""The canonical interchange format: JSONL, one document per line.

``{"id": str, "text": str, "group": str|null, "meta": {},
"spans": [{"start", "end", "label", "subtype"}]}``
with half-open offsets. A span may carry ``"text"`` (checked against the slice), ``"score"`` and
``"source"`` (kept; predictions use them). ``deid run`` output (spans with ``text``, a redacted
document ``text``) is readable with ``check=False``.

Example:
    >>> line = ('{"id": "a", "text": "Bo Li", "spans": '
    ...         '[{"start": 0, "end": 5, "label": "NAME", "subtype": "PATIENT"}]}')
    >>> doc = parse_jsonl_line(line)
    >>> again = parse_jsonl_line(format_jsonl_line(doc))
    >>> doc.spans[0].type, again == doc
    ('PATIENT', True)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.training.corpora.base import GOLD_SOURCE, AnnotatedDocument, SurfaceChecker
from engine.types import Span


def parse_jsonl_line(
    line: str, checker: SurfaceChecker | None = None, source: str = "<string>", lineno: int | None = None
) -> AnnotatedDocument:
    """Parse one JSONL record (see module example)."""
    checker = checker or SurfaceChecker()
    where = f"{source}:{lineno}" if lineno is not None else source
    try:
        rec: dict[str, Any] = json.loads(line)
        doc_id, text = str(rec["id"]), rec.get("text", "")
        raw_spans = rec.get("spans", [])
        if not isinstance(text, str) or not isinstance(raw_spans, list):
            raise TypeError("'text' must be a string and 'spans' a list")
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise InputError("E330", f"{where}: not a corpus record: {e}",
                         fix='Each line needs {"id": ..., "text": ..., "spans": [...]}.') from e
    spans = []
    for d in raw_spans:
        try:
            start, end, label = int(d["start"]), int(d["end"]), str(d["label"])
        except (KeyError, TypeError, ValueError) as e:
            raise InputError("E331", f"{where}: span {d!r} needs integer start/end and a label") from e
        if not checker.enabled and not text:
            ok = start < end  # no text to check against (prediction files without text)
        else:
            ok = checker.accept(text, start, end, label, d.get("text"), source=source, line=lineno)
        if ok:
            spans.append(Span(start, end, label, d.get("subtype"), float(d.get("score", 1.0)),
                              str(d.get("source", GOLD_SOURCE))))
    if not checker.enabled:
        # subtle: a prediction file's text may be redacted or absent; offsets are judged against the gold
        # text later, so keep them without a length check here.
        text = text if all(s.end <= len(text) for s in spans) else ""
        if not text:
            return _unchecked(doc_id, spans, rec)
    meta = dict(rec.get("meta") or {})
    if rec.get("error"):
        meta["error"] = rec["error"]  # a fail-closed engine result (`deid detect` output)
    return AnnotatedDocument(doc_id, text, tuple(spans), rec.get("group"), meta)


def _unchecked(doc_id: str, spans: list[Span], rec: dict[str, Any]) -> AnnotatedDocument:
    """A document whose text is unknown: a placeholder text long enough for its spans."""
    length = max((s.end for s in spans), default=0)
    meta = dict(rec.get("meta") or {})
    meta["text_unavailable"] = True
    if rec.get("error"):
        meta["error"] = rec["error"]
    return AnnotatedDocument(doc_id, " " * length, tuple(spans), rec.get("group"), meta)


def format_jsonl_line(doc: AnnotatedDocument) -> str:
    """Serialize one document as a JSONL line (no trailing newline)."""
    spans = []
    for s in doc.spans:
        d: dict[str, Any] = {"start": s.start, "end": s.end, "label": s.label, "subtype": s.subtype,
                             "text": doc.surface(s)}
        if s.score != 1.0 or s.source != GOLD_SOURCE:
            d["score"], d["source"] = s.score, s.source
        spans.append(d)
    rec = {"id": doc.id, "text": doc.text, "group": doc.group, "spans": spans, "meta": dict(doc.meta)}
    return json.dumps(rec, ensure_ascii=False)


def read_jsonl(path: str | Path, checker: SurfaceChecker | None = None) -> Iterator[AnnotatedDocument]:
    """Read a ``.jsonl`` file, or every ``*.jsonl`` in a directory (sorted)."""
    checker = checker or SurfaceChecker()
    p = Path(path)
    for f in sorted(p.glob("*.jsonl")) if p.is_dir() else [p]:
        with open(f, encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if line.strip():
                    yield parse_jsonl_line(line, checker, str(f), n)


def write_jsonl(docs: Iterable[AnnotatedDocument], path: str | Path) -> None:
    """Write documents to one ``.jsonl`` file (parent directories are created)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with open(p, "w", encoding="utf-8") as fh:
        for doc in docs:
            fh.write(format_jsonl_line(doc) + "\n")
