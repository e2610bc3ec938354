"""Reading CLI inputs: a text file, a directory of ``.txt`` files, JSONL, or stdin.

* A file whose suffix is ``.jsonl`` or ``.ndjson`` (any case) is JSONL, one ``{"id", "text"[,
  "group"]}`` object per line; lines end at ``\n`` only (``\r\n`` too), never at the other
  characters ``str.splitlines`` breaks on (U+2028, U+0085, form feed), which valid JSON strings may
  contain. A UTF-8 byte order mark at the start is ignored.
* Any other file is one text note (a leading byte order mark is dropped).
* A directory holds notes: every ``*.txt`` file (any case, e.g. ``A.TXT``), ids are the file names
  without the suffix (with ``recursive``, the relative path: ``ward3/n17``). Every other entry is
  skipped *and reported* (:attr:`InputSet.skipped`): other files, and subdirectories unless
  ``recursive``.
* ``-`` is stdin: JSONL when it starts with ``{``, else one text note.

Bad input fails with the file and line (or byte offset), before any output is written; with
``skip_bad`` a malformed JSONL line (bad JSON, too deeply nested, not an object, no string ``text``,
a lone surrogate such as ``"\\ud800"`` that no UTF-8 output can hold) keeps its place as an error
record.

Example:
    >>> items = list(read_inputs("notes.jsonl"))                     # doctest: +SKIP
    >>> items[0].doc.id, items[0].error                               # doctest: +SKIP
    ('n1', None)
"""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
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


JSONL_SUFFIXES = (".jsonl", ".ndjson")
BOM = "\ufeff"


_LINE_BREAKS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def dumps_line(record: Mapping[str, Any]) -> str:
    """One JSONL line: UTF-8 text kept readable, but U+0085/U+2028/U+2029 escaped.

    JSON allows those characters raw, yet readers that split lines with ``str.splitlines`` (Python's
    own, among others) break a record at them. Example:
    ``dumps_line({"t": "a\u2028b"})`` -> ``'{"t": "a\\u2028b"}\n'``.
    """
    line = json.dumps(record, ensure_ascii=False)
    for ch, esc in _LINE_BREAKS.items():
        if ch in line:
            line = line.replace(ch, esc)
    return line + "\n"


def check_encoding(encoding: str) -> str:
    """The codec's canonical name; an unknown encoding raises :class:`InputError` (exit 2).

    Example: ``check_encoding("LATIN-1")`` -> ``'iso8859-1'``.
    """
    try:
        return codecs.lookup(encoding).name
    except LookupError as e:
        raise InputError(
            "E615", f"unknown text encoding {encoding!r}", fix="Pass e.g. --encoding utf-8 or latin-1."
        ) from e


def split_lines(text: str) -> list[str]:
    """Split JSONL text at ``\n`` only (``str.splitlines`` also splits at U+2028 and U+0085).

    Example: ``split_lines('{"t": "a\u2028b"}\n{}')`` -> ``['{"t": "a\u2028b"}', '{}']``.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


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
        for key in ("text", "id", "group"):
            value = item.get(key)
            if isinstance(value, str) and not _utf8_safe(value):
                raise InputError(
                    "E617",
                    f"{place}: field {key!r} holds a lone surrogate (e.g. \\ud800), which is not text",
                    fix="Fix the record's escapes, or pass --skip-bad to report it and keep going.",
                )
        group = item.get("group")
        return Document(
            id=str(item.get("id", index)), text=item["text"], group=None if group is None else str(group)
        )
    raise InputError("E602", f"{place}: cannot read a document from {type(item).__name__}")


def _utf8_safe(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse_jsonl_line(line: str, lineno: int, name: str) -> Document:
    if lineno == 1:
        line = line.removeprefix(BOM)
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as e:
        raise InputError(
            "E611",
            f"{name}:{lineno}: malformed JSON ({e.msg} at column {e.colno})",
            fix="Fix the line, or pass --skip-bad to report it and keep going.",
        ) from e
    except RecursionError as e:
        raise InputError(
            "E616",
            f"{name}:{lineno}: JSON nested too deeply to read",
            fix='Write one flat {"id": "...", "text": "..."} object per line.',
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
    with open(p, "rb") as f:  # binary lines end at b"\n" only, whatever the text holds
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


@dataclass(frozen=True)
class InputSet:
    """What an input path holds: the record count, the record stream, and what was skipped.

    ``skipped`` lists the entries of a directory that are not notes (reported, never silent).
    ``kind`` is ``"jsonl"``, ``"text"`` (one note) or ``"dir"``.
    """

    n: int
    items: Iterator[InputItem]
    kind: str
    skipped: tuple[str, ...] = field(default=())

    def __iter__(self) -> Iterator[object]:  # ``n, items = read_inputs(...)`` keeps working
        return iter((self.n, self.items))


def is_jsonl_path(p: Path) -> bool:
    """True for ``.jsonl`` / ``.ndjson`` files, in any case (``NOTES.JSONL``)."""
    return p.suffix.lower() in JSONL_SUFFIXES


def list_notes(root: Path, recursive: bool = False) -> tuple[list[tuple[str, Path]], list[str]]:
    """The ``(id, path)`` of each ``*.txt`` note under ``root`` (sorted), and the skipped entries.

    Example: a folder with ``a.txt``, ``B.TXT``, ``c.md`` and ``sub/d.txt`` gives
    ``[("B", ...), ("a", ...)]`` and ``["c.md", "sub/ (a directory; pass --recursive)"]``, or with
    ``recursive`` also ``("sub/d", ...)``.
    """
    notes: list[tuple[str, Path]] = []
    skipped: list[str] = []

    def walk(d: Path) -> None:
        for f in sorted(d.iterdir()):
            rel = f.relative_to(root).as_posix()
            if f.is_dir():
                if recursive:
                    walk(f)
                else:
                    skipped.append(f"{rel}/ (a directory; pass --recursive)")
            elif f.is_file() and f.suffix.lower() == ".txt":
                notes.append((rel[: -len(f.suffix)], f))
            else:
                skipped.append(rel)

    walk(root)
    return notes, skipped


def _text_note(data: bytes, name: str, encoding: str) -> str:
    return decode_bytes(data, name, encoding).removeprefix(BOM)


def read_inputs(
    path: str,
    encoding: str = "utf-8",
    skip_bad: bool = False,
    input_format: str = "auto",
    recursive: bool = False,
) -> InputSet:
    """The records of ``path`` (``-`` = stdin), their number, and what was skipped.

    Every record is validated before the stream is returned (unless ``skip_bad``), so a bad record
    stops the run before any output exists. JSONL files are streamed (read twice, held once per line).
    """
    check_encoding(encoding)
    if path == "-":
        text = decode_bytes(sys.stdin.buffer.read(), "<stdin>", encoding).removeprefix(BOM)
        fmt = input_format
        if fmt == "auto":
            fmt = "jsonl" if text.lstrip().startswith("{") else "text"
        if fmt == "jsonl":
            lines = split_lines(text)
            n = validate_jsonl(lines, "<stdin>") if not skip_bad else sum(1 for x in lines if x.strip())
            return InputSet(n, iter_jsonl(lines, "<stdin>", skip_bad), "jsonl")
        doc = Document(id="stdin", text=text)
        return InputSet(1, iter([InputItem(doc, source="<stdin>")]), "text")
    p = Path(path)
    if p.is_dir():
        notes, skipped = list_notes(p, recursive)
        if not notes:
            raise InputError(
                "E613",
                f"{p} contains no .txt files" + (f" (skipped: {', '.join(skipped[:5])})" if skipped else ""),
                fix="Point at a folder of .txt notes, pass --recursive for subfolders, or give a .jsonl.",
            )
        for _, f in notes:  # decode everything first: a bad byte stops the run before any output
            _text_note(f.read_bytes(), str(f), encoding)
        items = (
            InputItem(Document(id=i, text=_text_note(f.read_bytes(), str(f), encoding)), source=str(f))
            for i, f in notes
        )
        return InputSet(len(notes), items, "dir", tuple(skipped))
    if not p.is_file():
        raise InputError("E614", f"input not found: {p}")
    if input_format == "jsonl" or (input_format == "auto" and is_jsonl_path(p)):
        if skip_bad:
            n = sum(1 for x in _file_lines(p, encoding) if x.strip())
        else:
            n = validate_jsonl(_file_lines(p, encoding), str(p))
        return InputSet(n, iter_jsonl(_file_lines(p, encoding), str(p), skip_bad), "jsonl")
    text = _text_note(p.read_bytes(), str(p), encoding)
    return InputSet(1, iter([InputItem(Document(id=p.stem, text=text), source=str(p))]), "text")
