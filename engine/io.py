"""Reading CLI inputs: a .txt file, a directory of .txt files, JSONL, or stdin.

Bad input fails with the file and line (or byte offset), before any output is written; with
``skip_bad`` a malformed JSONL line keeps its place as an error record.

Example:
    >>> items = list(read_inputs("notes.jsonl"))                     # doctest: +SKIP
    >>> items[0].doc.id, items[0].error                               # doctest: +SKIP
    ('n1', None)
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.types import Document


@dataclass(frozen=True, slots=True)
class InputItem:
    """One input record: a document, or (with ``skip_bad``) the error that replaced it."""

    doc: Document | None
    error: str | None = None
    source: str = ""


def decode_bytes(data: bytes, name: str, encoding: str = "utf-8") -> str:
    """Decode ``data``; an undecodable byte raises :class:`InputError` naming the file and offset."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        raise InputError(
            "E610",
            f"{name}: cannot decode byte 0x{data[e.start]:02x} at offset {e.start} as {encoding}",
            fix="Pass --encoding (e.g. latin-1) or fix the file.",
        ) from e


def as_document(
    item: str | Document | Mapping[str, Any], index: int = 0, where: str | None = None
) -> Document:
    """Coerce a string, a :class:`Document` or a ``{"id","text"[,"group"]}`` mapping to a Document.

    ``where`` names the record in errors (e.g. ``"notes.jsonl:7"``); the id defaults to ``index``.
    Example: ``as_document({"id": 3, "text": "x"}).id`` -> ``"3"``.
    """
    if isinstance(item, Document):
        return item
    if isinstance(item, str):
        return Document(id=str(index), text=item)
    place = where or f"document {index}"
    if isinstance(item, Mapping):
        if not isinstance(item.get("text"), str):
            raise InputError(
                "E601",
                f"{place}: a record needs a string 'text' field",
                fix='Write {"id": "...", "text": "..."} per record.',
            )
        group = item.get("group")
        return Document(
            id=str(item.get("id", index)), text=item["text"], group=None if group is None else str(group)
        )
    raise InputError("E602", f"{place}: cannot read a document from {type(item).__name__}")


def _parse_jsonl_line(line: str, lineno: int, name: str) -> Document:
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as e:
        raise InputError(
            "E611",
            f"{name}:{lineno}: malformed JSON ({e.msg} at column {e.colno})",
            fix="Fix the line, or pass --skip-bad to report it and keep going.",
        ) from e
    if not isinstance(rec, dict):
        raise InputError(
            "E612",
            f"{name}:{lineno}: a record must be a JSON object",
            fix='Write {"id": "...", "text": "..."} per line.',
        )
    return as_document(rec, lineno, where=f"{name}:{lineno}")


def _file_lines(p: Path, encoding: str) -> Iterator[str]:
    """Decoded lines of a file, streamed; a bad byte names the file, line and offset."""
    offset = 0
    with open(p, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            try:
                yield raw.decode(encoding)
            except UnicodeDecodeError as e:
                raise InputError(
                    "E610",
                    f"{p}:{lineno}: cannot decode byte 0x{raw[e.start]:02x} at offset "
                    f"{offset + e.start} as {encoding}",
                    fix="Pass --encoding (e.g. latin-1) or fix the file.",
                ) from e
            offset += len(raw)


def iter_jsonl(lines: Iterable[str], name: str, skip_bad: bool = False) -> Iterator[InputItem]:
    """Documents of JSONL lines; blank lines are skipped."""
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield InputItem(_parse_jsonl_line(line, lineno, name), source=f"{name}:{lineno}")
        except InputError as e:
            if not skip_bad:
                raise
            yield InputItem(None, str(e), source=f"{name}:{lineno}")


def validate_jsonl(lines: Iterable[str], name: str) -> int:
    """Parse every line first so a bad line stops the run before any output is written.

    Returns the number of records.
    """
    return sum(1 for _ in iter_jsonl(lines, name))


def read_inputs(
    path: str,
    encoding: str = "utf-8",
    skip_bad: bool = False,
    input_format: str = "auto",
) -> tuple[int, Iterator[InputItem]]:
    """The number of records of ``path`` (``-`` = stdin) and a stream of them.

    Every record is validated before the stream is returned (unless ``skip_bad``), so a bad record
    stops the run before any output exists. JSONL files are streamed (read twice, held once per line).
    """
    if path == "-":
        text = decode_bytes(sys.stdin.buffer.read(), "<stdin>", encoding)
        fmt = input_format
        if fmt == "auto":
            fmt = "jsonl" if text.lstrip().startswith("{") else "text"
        if fmt == "jsonl":
            lines = text.splitlines()
            n = validate_jsonl(lines, "<stdin>") if not skip_bad else sum(1 for x in lines if x.strip())
            return n, iter_jsonl(lines, "<stdin>", skip_bad)
        return 1, iter([InputItem(Document(id="stdin", text=text), source="<stdin>")])
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix == ".txt" and f.is_file())
        if not files:
            raise InputError("E613", f"{p} contains no .txt files")
        for f in files:  # decode everything first: a bad byte stops the run before any output
            decode_bytes(f.read_bytes(), str(f), encoding)
        return len(files), (
            InputItem(Document(id=f.stem, text=decode_bytes(f.read_bytes(), str(f), encoding)), source=str(f))
            for f in files
        )
    if not p.is_file():
        raise InputError("E614", f"input not found: {p}")
    if input_format == "jsonl" or (input_format == "auto" and p.suffix in (".jsonl", ".ndjson")):
        if skip_bad:
            n = sum(1 for x in _file_lines(p, encoding) if x.strip())
        else:
            n = validate_jsonl(_file_lines(p, encoding), str(p))
        return n, iter_jsonl(_file_lines(p, encoding), str(p), skip_bad)
    text = decode_bytes(p.read_bytes(), str(p), encoding)
    return 1, iter([InputItem(Document(id=p.stem, text=text), source=str(p))])
