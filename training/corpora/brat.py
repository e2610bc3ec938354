"""BRAT standoff: a directory of ``<id>.txt`` + ``<id>.ann`` pairs.

Only text-bound annotations (``T`` lines) are read: ``T1<TAB>LABEL 0 5<TAB>text``. Notes (``#``),
attributes (``A``/``M``), relations (``R``), events (``E``), normalisations (``N``) and equivalences
(``*``) are skipped without complaint.

Discontinuous-span policy (explicit): ``T1<TAB>LABEL 0 5;10 15<TAB>text`` becomes one :class:`Span`
per fragment, each with the same label. The text field must equal the fragments' surfaces joined by
single spaces (BRAT's own convention), and every fragment must be non-blank. The writer never produces
discontinuous spans, so the split is the one lossy step of a BRAT round trip.

Labels: a known i2b2 subtype (``DOCTOR``) becomes ``label=NAME, subtype=DOCTOR``; anything else
(``NOMBRE_SUJETO_ASISTENCIA``) is its own label with no subtype. The writer writes ``span.type``.

Example:
    >>> doc = parse_brat("d1", "Dr. Xai Dunn", "T1\\tDOCTOR 4 12\\tXai Dunn\\n#1\\tAnnotatorNotes T1\\tok\\n")
    >>> [(s.start, s.end, s.label, s.subtype) for s in doc.spans]
    [(4, 12, 'NAME', 'DOCTOR')]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from engine.errors import InputError
from engine.labels import label_and_subtype
from engine.training.corpora.base import GOLD_SOURCE, AnnotatedDocument, SurfaceChecker
from engine.types import Span

_SKIPPED_PREFIXES = ("#", "A", "M", "R", "E", "N", "*")


def _fragments(spec: str, source: str, line: int) -> tuple[str, list[tuple[int, int]]]:
    """``"LABEL 0 5;10 15"`` -> ``("LABEL", [(0, 5), (10, 15)])``."""
    label, _, offsets = spec.partition(" ")
    try:
        frags = [(int(a), int(b)) for a, b in (part.split() for part in offsets.split(";"))]
    except ValueError as e:
        raise InputError("E320", f"{source}:{line}: cannot parse offsets in {spec!r}",
                         fix="T lines look like 'T1<TAB>LABEL 0 5;10 15<TAB>text'.") from e
    return label, frags


def parse_brat(
    doc_id: str, text: str, ann: str, checker: SurfaceChecker | None = None, source: str = "<string>"
) -> AnnotatedDocument:
    """Parse one document's text and ``.ann`` content (see module example)."""
    checker = checker or SurfaceChecker()
    spans: list[Span] = []
    # subtle: split on "\n" only; str.splitlines also breaks on U+2028, \x85, ... inside surfaces.
    for n, line in enumerate(ann.rstrip("\n").split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip() or line.startswith(_SKIPPED_PREFIXES):
            continue
        if not line.startswith("T"):
            raise InputError("E321", f"{source}:{n}: unknown annotation line {line[:40]!r}",
                             fix="Expected T/#/A/M/R/E/N/* lines.")
        fields = line.split("\t")
        if len(fields) < 2:
            raise InputError("E322", f"{source}:{n}: T line without a tab-separated type and offsets")
        btype, frags = _fragments(fields[1], source, n)
        surface = fields[2] if len(fields) > 2 else None
        label, subtype = label_and_subtype(btype)
        if len(frags) > 1 and surface is not None:
            # subtle: check the joined surface once, then each fragment only for bounds/blankness.
            joined = " ".join(text[a:b] for a, b in frags)
            if not checker.accept(joined, 0, len(joined), btype, surface, source=source, line=n):
                continue
            surface = None
        for a, b in frags:
            if checker.accept(text, a, b, btype, surface, source=source, line=n):
                spans.append(Span(a, b, label, subtype, 1.0, GOLD_SOURCE))
    return AnnotatedDocument(doc_id, text, tuple(spans), None, {})


def read_brat(path: str | Path, checker: SurfaceChecker | None = None) -> Iterator[AnnotatedDocument]:
    """Read every ``*.txt`` with its ``.ann`` in a directory (or one ``.txt``/``.ann`` path)."""
    p = Path(path)
    txts = sorted(p.glob("*.txt")) if p.is_dir() else [p.with_suffix(".txt")]
    if p.is_dir() and not txts:
        raise InputError("E323", f"{p}: no .txt files",
                         fix="A BRAT corpus is a directory of .txt + .ann pairs.")
    for txt in txts:
        ann = txt.with_suffix(".ann")
        if not ann.is_file():
            raise InputError("E324", f"{txt}: missing {ann.name}",
                             fix="Every .txt needs its .ann (may be empty).")
        with open(txt, encoding="utf-8", newline="") as fh:
            text = fh.read()
        with open(ann, encoding="utf-8", newline="") as fh:
            ann_text = fh.read()
        yield parse_brat(txt.stem, text, ann_text, checker, source=str(ann))


def format_brat(doc: AnnotatedDocument) -> str:
    """The ``.ann`` content for one document (one T line per span)."""
    lines = []
    for i, s in enumerate(doc.spans, start=1):
        surface = " ".join(doc.surface(s).split("\n")).replace("\r", " ").replace("\t", " ")
        lines.append(f"T{i}\t{s.type} {s.start} {s.end}\t{surface}")
    return "".join(line + "\n" for line in lines)


def write_brat(docs: Iterable[AnnotatedDocument], path: str | Path) -> None:
    """Write ``path/<id>.txt`` and ``path/<id>.ann`` per document (the directory is created)."""
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        if "/" in doc.id or doc.id in ("", ".", ".."):
            raise InputError("E325", f"document id {doc.id!r} is not a safe file name")
        for s in doc.spans:
            if any(c.isspace() for c in s.type):
                raise InputError("E326", f"BRAT labels cannot contain whitespace: {s.type!r}")
        with open(out / f"{doc.id}.txt", "w", encoding="utf-8", newline="") as fh:
            fh.write(doc.text)
        with open(out / f"{doc.id}.ann", "w", encoding="utf-8", newline="") as fh:
            fh.write(format_brat(doc))
