"""The corpus format table and the two entry points, :func:`read_corpus` and :func:`write_corpus`.

Example:
    >>> sorted(FORMATS)
    ['brat', 'conll', 'i2b2', 'jsonl']
    >>> infer_format("notes.jsonl")
    'jsonl'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError
from engine.training.corpora.base import AlignmentReport, AnnotatedDocument, SurfaceChecker
from engine.training.corpora.brat import read_brat, write_brat
from engine.training.corpora.conll import read_conll, write_conll
from engine.training.corpora.i2b2 import read_i2b2, write_i2b2
from engine.training.corpora.jsonl import read_jsonl, write_jsonl

Reader = Callable[[str | Path, SurfaceChecker], Iterator[AnnotatedDocument]]
Writer = Callable[[Iterable[AnnotatedDocument], str | Path], None]


@dataclass(frozen=True, slots=True)
class CorpusFormat:
    """One registered format: how to read and write it and how to recognise it on disk."""

    name: str
    read: Reader
    write: Writer
    suffixes: tuple[str, ...]
    description: str


#: The registry, filled in one place.
FORMATS: dict[str, CorpusFormat] = {
    "i2b2": CorpusFormat("i2b2", read_i2b2, write_i2b2, (".xml",), "i2b2 2014 XML file or directory"),
    "brat": CorpusFormat("brat", read_brat, write_brat, (".ann",), "BRAT standoff directory of .txt + .ann"),
    "jsonl": CorpusFormat("jsonl", read_jsonl, write_jsonl, (".jsonl",), "interchange JSONL"),
    "conll": CorpusFormat("conll", read_conll, write_conll, (".conll", ".bio", ".iob"), "token<TAB>BIO tag"),
}


def get_format(name: str) -> CorpusFormat:
    """Look a format up; an unknown name raises listing the valid ones."""
    try:
        return FORMATS[name]
    except KeyError:
        raise InputError("E350", f"unknown corpus format {name!r}",
                         fix=f"Use one of: {', '.join(sorted(FORMATS))}.") from None


def infer_format(path: str | Path) -> str:
    """Guess the format from a file's extension or a directory's contents."""
    p = Path(path)
    if p.is_dir():
        names = {f.suffix.lower() for f in p.iterdir() if f.is_file()}
        for fmt in ("brat", "i2b2", "jsonl", "conll"):  # brat first: its dirs may also hold .xml/.json
            if names & set(FORMATS[fmt].suffixes):
                return fmt
    else:
        for fmt in FORMATS.values():
            if p.suffix.lower() in fmt.suffixes:
                return fmt.name
    raise InputError("E351", f"cannot tell the corpus format of {p}",
                     fix=f"Pass fmt= / --format, one of: {', '.join(sorted(FORMATS))}.")


def read_corpus(
    path: str | Path,
    fmt: str | None = None,
    *,
    strict: bool = True,
    report: AlignmentReport | None = None,
    check: bool = True,
) -> Iterator[AnnotatedDocument]:
    """Read documents lazily from any registered format.

    Args:
        path: file or directory.
        fmt: a name in :data:`FORMATS`; inferred from the path when ``None``.
        strict: raise :class:`~engine.errors.AlignmentError` on the first annotation whose surface text
            does not match; with ``False`` drop it and record it in ``report``.
        report: collects mismatches when ``strict=False``.
        check: ``False`` skips the surface comparison (prediction files with redacted text).

    Example:
        >>> docs = list(read_corpus("tests/fixtures/brat"))          # doctest: +SKIP
    """
    p = Path(path)
    if not p.exists():
        raise InputError("E352", f"corpus path not found: {p}")
    f = get_format(fmt) if fmt else get_format(infer_format(p))
    return f.read(p, SurfaceChecker(strict=strict, report=report, enabled=check))


def write_corpus(docs: Iterable[AnnotatedDocument], path: str | Path, fmt: str) -> None:
    """Write documents in a registered format (a directory for i2b2/brat, a file otherwise)."""
    get_format(fmt).write(docs, path)
