"""i2b2 2014 de-identification XML: one ``<deIdi2b2>`` file per note.

Format::

    <?xml version="1.0" encoding="UTF-8" ?>
    <deIdi2b2>
    <TEXT><![CDATA[...note...]]></TEXT>
    <TAGS>
    <NAME id="P0" start="16" end="20" text="Jane" TYPE="PATIENT" comment="" />
    </TAGS>
    </deIdi2b2>

Offsets index the CDATA content exactly, so the text is cut from the raw file (read with
``newline=""``), never from a parser that might normalise line endings. The element name is the
category and ``TYPE`` the subtype; ``OTHER`` becomes ``LOCATION-OTHER`` (and is written back as
``OTHER``, which the official scorer expects). ``group`` is the patient id from the file name
convention ``220-01.xml`` -> ``"220"``.

Example:
    >>> xml = ('<deIdi2b2><TEXT><![CDATA[Seen by Dr. Dunn]]></TEXT><TAGS>'
    ...        '<NAME id="P0" start="12" end="16" text="Dunn" TYPE="DOCTOR" comment=""/></TAGS></deIdi2b2>')
    >>> doc = parse_i2b2(xml, doc_id="220-01")
    >>> doc.group, doc.spans[0].label, doc.spans[0].subtype
    ('220', 'NAME', 'DOCTOR')
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.sax.saxutils import quoteattr, unescape

from engine.errors import InputError
from engine.labels import SUBTYPE_TO_CATEGORY, normalize_subtype
from engine.training.corpora.base import GOLD_SOURCE, AnnotatedDocument, SurfaceChecker
from engine.types import Span

_TEXT_RE = re.compile(r"<TEXT>(.*?)</TEXT>", re.DOTALL)
_CDATA_RE = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_GROUP_RE = re.compile(r"^(\d+)-\d+$")
# How the i2b2 XML spells our canonical subtype names.
_XML_SUBTYPE = {"LOCATION-OTHER": "OTHER"}


def group_from_id(doc_id: str) -> str | None:
    """Patient id from the i2b2 file-name convention: ``"220-01"`` -> ``"220"``, else ``None``."""
    m = _GROUP_RE.match(doc_id)
    return m.group(1) if m else None


def _raw_text(raw: str, source: str) -> str:
    """The exact note text: CDATA sections verbatim, anything between them entity-unescaped."""
    m = _TEXT_RE.search(raw)
    if m is None:
        raise InputError("E310", f"{source}: no <TEXT> element", fix="Is this an i2b2 2014 XML file?")
    body, parts, pos = m.group(1), [], 0
    for c in _CDATA_RE.finditer(body):
        parts.append(unescape(body[pos : c.start()]))
        parts.append(c.group(1))
        pos = c.end()
    parts.append(unescape(body[pos:]))
    return "".join(parts)


def _line_of(raw: str, tag_id: str | None) -> int | None:
    """1-based line of the tag with this id (for error messages), if found."""
    if not tag_id:
        return None
    i = raw.find(f'id="{tag_id}"')
    return raw.count("\n", 0, i) + 1 if i >= 0 else None


def parse_i2b2(
    raw: str, doc_id: str, checker: SurfaceChecker | None = None, source: str = "<string>"
) -> AnnotatedDocument:
    """Parse one i2b2 XML string into an :class:`AnnotatedDocument` (see module example)."""
    checker = checker or SurfaceChecker()
    text = _raw_text(raw, source)
    try:
        root = ET.fromstring(raw.encode("utf-8"))
    except ET.ParseError as e:
        raise InputError("E311", f"{source}: malformed XML: {e}",
                         fix="Check the file is complete XML.") from e
    spans = []
    tags = root.find("TAGS")
    for el in tags if tags is not None else ():
        a = el.attrib
        try:
            start, end = int(a["start"]), int(a["end"])
        except (KeyError, ValueError) as e:
            raise InputError("E312", f"{source}:{_line_of(raw, a.get('id'))}: tag {el.tag} lacks integer "
                             f"start/end", fix="Every tag needs start and end attributes.") from e
        subtype = normalize_subtype(a.get("TYPE", el.tag))
        label = SUBTYPE_TO_CATEGORY.get(subtype, el.tag)
        if subtype not in SUBTYPE_TO_CATEGORY and subtype == el.tag:
            subtype = None  # type: ignore[assignment]  # a label-only tag written for a non-i2b2 scheme
        if checker.accept(text, start, end, subtype or label, a.get("text"), source=source,
                          line=_line_of(raw, a.get("id"))):
            spans.append(Span(start, end, label, subtype, 1.0, GOLD_SOURCE))
    return AnnotatedDocument(doc_id, text, tuple(spans), group_from_id(doc_id), {})


def read_i2b2(path: str | Path, checker: SurfaceChecker | None = None) -> Iterator[AnnotatedDocument]:
    """Read one i2b2 XML file, or every ``*.xml`` in a directory (sorted by name)."""
    p = Path(path)
    files = sorted(p.glob("*.xml")) if p.is_dir() else [p]
    for f in files:
        with open(f, encoding="utf-8", newline="") as fh:
            raw = fh.read()
        yield parse_i2b2(raw, f.stem, checker, source=str(f))


def _cdata(text: str) -> str:
    # subtle: "]]>" cannot appear inside CDATA; split it across two sections.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _attr(value: str) -> str:
    # quoteattr escapes & < > and quotes; newlines/tabs must be character references or the parser
    # turns them into spaces.
    return quoteattr(value, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def format_i2b2(doc: AnnotatedDocument) -> str:
    """Serialize one document as i2b2 2014 XML (inverse of :func:`parse_i2b2`)."""
    lines = ['<?xml version="1.0" encoding="UTF-8" ?>', "<deIdi2b2>",
             f"<TEXT>{_cdata(doc.text)}</TEXT>", "<TAGS>"]
    for i, s in enumerate(doc.spans):
        typ = _XML_SUBTYPE.get(s.subtype or "", s.subtype or s.label)
        lines.append(
            f'<{s.label} id="P{i}" start="{s.start}" end="{s.end}" text={_attr(doc.surface(s))} '
            f'TYPE={_attr(typ)} comment="" />'
        )
    lines += ["</TAGS>", "</deIdi2b2>", ""]
    return "\n".join(lines)


def write_i2b2(docs: Iterable[AnnotatedDocument], path: str | Path) -> None:
    """Write each document to ``path/<id>.xml`` (the directory is created)."""
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        if not re.fullmatch(r"[\w.\-]+", doc.id):
            raise InputError("E313", f"document id {doc.id!r} is not a safe file name",
                             fix="Use ids made of letters, digits, '.', '-' and '_'.")
        for s in doc.spans:
            if not re.fullmatch(r"[A-Za-z_][\w\-.]*", s.label):
                raise InputError("E314", f"label {s.label!r} cannot be an XML element name")
        with open(out / f"{doc.id}.xml", "w", encoding="utf-8", newline="") as fh:
            fh.write(format_i2b2(doc))
