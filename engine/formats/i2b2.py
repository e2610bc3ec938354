"""i2b2 2014 XML in and out: ``deid redact`` on i2b2 XML keeps the XML structure.

A redacted file is the input file with two parts rewritten: the ``<TEXT>`` CDATA becomes the
redacted text, and ``<TAGS>`` lists the replacements (offsets into the redacted text, ``text=``
the replacement). Everything else (the XML declaration, the root element, whitespace, other
elements) is kept byte for byte. The input's own ``<TAGS>`` are dropped: gold annotations quote
the PHI in their ``text=`` attributes.

Example:
    >>> raw = '<deIdi2b2><TEXT><![CDATA[Seen by Dunn]]></TEXT><TAGS><NAME text="Dunn"/></TAGS></deIdi2b2>'
    >>> text_of(raw, "n1.xml")
    'Seen by Dunn'
"""

from __future__ import annotations

import re
from pathlib import Path

from engine.errors import InputError
from engine.formats.writers import _attr, _cdata
from engine.types import Document, Result

_TEXT_RE = re.compile(r"<TEXT>(.*?)</TEXT>", re.DOTALL)
_CDATA_RE = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_TAGS_RE = re.compile(r"<TAGS>.*?</TAGS>|<TAGS\s*/>", re.DOTALL)
_GROUP_RE = re.compile(r"^(\d+)-\d+$")
_XML_SUBTYPE = {"LOCATION-OTHER": "OTHER"}


def is_i2b2_input(path: str) -> bool:
    """An ``.xml`` file, or a directory holding ``.xml`` files and no ``.txt`` notes."""
    p = Path(path)
    if p.is_file():
        return p.suffix.lower() == ".xml"
    if p.is_dir():
        names = [f.suffix.lower() for f in p.iterdir() if f.is_file()]
        return ".xml" in names and ".txt" not in names
    return False


def text_of(raw: str, source: str) -> str:
    """The note: the ``<TEXT>`` content, CDATA sections joined exactly (offsets index it)."""
    m = _TEXT_RE.search(raw)
    if m is None:
        raise InputError("E310", f"{source}: no <TEXT> element", fix="Is this an i2b2 2014 XML file?")
    inner = m.group(1)
    parts = _CDATA_RE.findall(inner)
    if parts:
        return "".join(parts)
    from xml.sax.saxutils import unescape

    return unescape(inner)


def read_i2b2_files(path: str) -> list[tuple[Path, str, Document]]:
    """``(file, raw XML, Document)`` per file; the group is the patient from ``220-01.xml`` names."""
    p = Path(path)
    files = sorted(f for f in p.iterdir() if f.suffix.lower() == ".xml") if p.is_dir() else [p]
    out = []
    for f in files:
        try:
            with open(f, encoding="utf-8", newline="") as fh:  # newline="": offsets index the raw text
                raw = fh.read()
        except (OSError, UnicodeDecodeError) as e:
            raise InputError("E311", f"cannot read {f} ({type(e).__name__})") from e
        g = _GROUP_RE.match(f.stem)
        out.append((f, raw, Document(f.stem, text_of(raw, str(f)), g.group(1) if g else None)))
    return out


def redacted_xml(raw: str, result: Result) -> str:
    """``raw`` with its ``<TEXT>`` redacted and ``<TAGS>`` listing the replacements."""
    if result.redacted is None:
        raise ValueError("redacted_xml needs a redacted result")
    tags = ["<TAGS>"]
    for i, rep in enumerate(result.replacements):
        s = rep.span
        typ = _XML_SUBTYPE.get(s.subtype or "", s.subtype or s.label)
        tags.append(
            f'<{s.label} id="P{i}" start="{rep.out_start}" end="{rep.out_end}" text={_attr(rep.replacement)} '
            f'TYPE={_attr(typ)} comment="" />'
        )
    tags.append("</TAGS>")
    text = f"<TEXT>{_cdata(result.redacted)}</TEXT>"
    out = _TEXT_RE.sub(lambda m: text, raw, count=1)
    if _TAGS_RE.search(out):
        return _TAGS_RE.sub(lambda m: "\n".join(tags), out, count=1)
    return out.replace(text, text + "\n" + "\n".join(tags), 1)
