"""deid detect --format, i2b2 XML redaction keeping structure, deid show, Presidio interop."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from engine.cli import main
from engine.formats.html import render_html
from engine.formats.i2b2 import redacted_xml, text_of
from engine.formats.writers import format_brat, format_conll, format_i2b2
from engine.types import Result, Span

FIXTURES = Path(__file__).parent / "fixtures"
TEXT = "Pt Harlan Valdez seen by DR WHALEN.\nTransferred to Calvert on 3/12 <ok> & ]]> done"
SPANS = (
    Span(3, 16, "NAME", "PATIENT", 0.9, "model"),
    Span(28, 34, "NAME", "DOCTOR", 0.8, "model"),
    Span(51, 58, "LOCATION", "HOSPITAL", 0.7, "model"),
    Span(62, 66, "DATE", "DATE", 1.0, "regex:DATE"),
)
RESULT = Result("n1", TEXT, SPANS, group="p1")


@pytest.fixture(scope="module")
def lexicon(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.lexicon_model import build_lexicon_artifact
    from tests.test_engine import WORDS

    return build_lexicon_artifact(tmp_path_factory.mktemp("lexicon") / "art", WORDS)


def _key(spans: object) -> list[tuple]:
    return [(s.start, s.end, s.type) for s in spans]  # type: ignore[attr-defined]


def test_writers_read_back_by_the_corpus_readers() -> None:
    pytest.importorskip("engine.training.corpora")
    from engine.training.corpora.brat import parse_brat
    from engine.training.corpora.conll import parse_conll
    from engine.training.corpora.i2b2 import parse_i2b2

    assert _key(parse_i2b2(format_i2b2(RESULT), doc_id="n1").spans) == _key(SPANS)
    assert _key(parse_brat("n1", TEXT, format_brat(RESULT)).spans) == _key(SPANS)
    (doc,) = list(parse_conll(format_conll(RESULT)))
    assert doc.id == "n1" and [doc.text[s.start : s.end] for s in doc.spans] == [
        TEXT[s.start : s.end] for s in SPANS
    ]


@pytest.mark.parametrize("fmt", ["jsonl", "conll", "i2b2", "brat"])
def test_cli_detect_formats(fmt: str, lexicon: Path, tmp_path: Path) -> None:
    src = tmp_path / "notes"
    src.mkdir()
    (src / "a.txt").write_text("Harlan Valdez seen by DR WHALEN.")
    (src / "b.txt").write_text("no identifiers")
    out = tmp_path / "out"
    args = ["detect", str(src), "--model", str(lexicon), "-q", "--format", fmt, "-o", str(out)]
    assert main(args) == 0
    if fmt == "jsonl":
        recs = [json.loads(x) for x in out.read_text().splitlines()]
        assert [s["text"] for s in recs[0]["spans"]] == ["Harlan", "Valdez", "WHALEN"]
    elif fmt == "conll":
        assert "Harlan\tB-PATIENT\nValdez\tB-PATIENT\nseen\tO" in out.read_text()
    elif fmt == "i2b2":
        root = ET.parse(out / "a.xml").getroot()
        assert [t.get("text") for t in root.find("TAGS")] == ["Harlan", "Valdez", "WHALEN"]
    else:
        assert (out / "a.ann").read_text().splitlines()[0] == "T1\tPATIENT 0 6\tHarlan"
        assert (out / "b.txt").read_text() == "no identifiers"


def test_per_document_format_needs_a_directory(lexicon: Path, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Valdez")
    assert main(["detect", str(tmp_path / "a.txt"), "--model", str(lexicon), "-q", "--format", "brat"]) == 2


def test_redacted_xml_keeps_structure_and_drops_gold_tags() -> None:
    raw = (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<deIdi2b2>\n<TEXT><![CDATA['
        + TEXT.replace("]]>", "]]]]><![CDATA[>")
        + ']]></TEXT>\n<TAGS>\n'
        '<NAME id="P0" start="3" end="16" text="Harlan Valdez" TYPE="PATIENT" comment="" />\n'
        '</TAGS>\n<EXTRA keep="yes"/>\n</deIdi2b2>\n'
    )
    assert text_of(raw, "x") == TEXT
    from engine.redact.apply import redact

    out_text, reps = redact(TEXT, SPANS)
    red = redacted_xml(raw, Result("n1", TEXT, SPANS, out_text, reps))
    assert red.startswith('<?xml version="1.0" encoding="UTF-8" ?>\n<deIdi2b2>\n<TEXT>')
    assert red.endswith('</TAGS>\n<EXTRA keep="yes"/>\n</deIdi2b2>\n')
    for phi in ("Harlan", "Valdez", "WHALEN", "Calvert"):
        assert phi not in red
    root = ET.fromstring(red)
    body = root.find("TEXT").text
    assert body == out_text
    for tag in root.find("TAGS"):
        assert body[int(tag.get("start")) : int(tag.get("end"))] == tag.get("text")


def test_cli_redact_i2b2_directory(lexicon: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = FIXTURES / "i2b2"
    out = tmp_path / "red"
    assert main(["redact", str(src), "--model", str(lexicon), "-q", "-o", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in src.glob("*.xml"))
    for name in names:
        original = (src / name).read_text()
        red = (out / name).read_text()
        gold = [t.get("text") for t in ET.fromstring(original).find("TAGS")]
        body = ET.fromstring(red).find("TEXT").text
        assert body is not None and red.count("<TEXT>") == 1
        # the detector here is a 4-word lexicon plus templates: every gold mention it finds is gone, and the
        # gold TAGS (which quote the PHI) are not carried over
        assert "<TAGS>" in red and not any(f'text="{g}"' in red for g in gold if g and g not in body)
    assert main(["redact", str(src / names[0]), "--model", str(lexicon), "-q"]) == 0
    assert capsys.readouterr().out.startswith("<?xml")


def test_show_html_is_self_contained_and_escaped(lexicon: Path, tmp_path: Path) -> None:
    page = render_html([Result("n<1>", "<b>Valdez</b> & co", (Span(3, 9, "NAME", "PATIENT", 0.9, "model"),))])
    assert "<script" not in page and "http" not in page
    assert (
        '&lt;b&gt;<mark class="NAME" title="NAME:PATIENT 0.90 model" data-label="PATIENT">Valdez</mark>'
        in page
    )
    assert "n&lt;1&gt;" in page
    src = tmp_path / "a.txt"
    src.write_text("Harlan Valdez seen by DR WHALEN.")
    out = tmp_path / "page.html"
    assert main(["show", str(src), "--model", str(lexicon), "-q", "-o", str(out)]) == 0
    assert len(re.findall(r"<mark class=\"NAME\" title=", out.read_text())) == 3  # Harlan, Valdez, WHALEN


def test_presidio_round_trip() -> None:
    pytest.importorskip("presidio_analyzer")
    from engine.formats.presidio import from_presidio, recognizer, to_presidio

    results = to_presidio(SPANS)
    assert [r.entity_type for r in results] == ["PERSON", "PERSON", "ORGANIZATION", "DATE_TIME"]
    back = from_presidio(results)
    assert _key(back) == _key(SPANS) and all(s.source == "presidio" for s in back)

    class Fake:
        def detect(self, text: str) -> Result:
            return Result("x", text, SPANS)

    rec = recognizer(Fake())
    found = rec.analyze(TEXT, ["PERSON"])
    assert [(r.start, r.end) for r in found] == [(3, 16), (28, 34)]
