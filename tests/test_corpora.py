"""Corpus readers and writers: fixtures, surface-text checks, and reader -> writer -> reader identity."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import AlignmentError, InputError
from engine.labels import SUBTYPE_TO_CATEGORY
from engine.training.corpora import AlignmentReport, AnnotatedDocument, read_corpus, write_corpus
from engine.training.corpora.i2b2 import group_from_id
from engine.types import Span

FIX = Path(__file__).parent / "fixtures"


def _triples(doc: AnnotatedDocument) -> list[tuple[str, str, str | None]]:
    return [(doc.text[s.start : s.end], s.label, s.subtype) for s in doc.spans]


# ---- fixtures ---------------------------------------------------------------------------------------


def test_i2b2_directory_reads_offsets_subtypes_and_groups() -> None:
    docs = list(read_corpus(FIX / "i2b2"))
    assert [d.id for d in docs] == ["220-01", "220-02"]
    assert [d.group for d in docs] == ["220", "220"]
    assert len(docs[0].spans) == 6
    assert _triples(docs[0])[1] == ("Jane Rolfe", "NAME", "PATIENT")
    assert ("Mercy Hospital", "LOCATION", "HOSPITAL") in _triples(docs[0])
    # OTHER in the XML is LOCATION-OTHER in the engine
    assert ("Lake", "LOCATION", "LOCATION-OTHER") in _triples(docs[1])
    # the CDATA keeps '&' and '<later>' verbatim
    assert "& fax <later>." in docs[0].text


def test_i2b2_mismatch_raises_with_file_line_and_span() -> None:
    with pytest.raises(AlignmentError) as e:
        list(read_corpus(FIX / "i2b2_bad", "i2b2"))
    msg = str(e.value)
    assert "221-01.xml:" in msg and "'Bostn'" in msg and "'Boston'" in msg and "E346" in msg


def test_i2b2_mismatch_non_strict_collects_and_drops() -> None:
    report = AlignmentReport()
    docs = list(read_corpus(FIX / "i2b2_bad", "i2b2", strict=False, report=report))
    assert len(report) == 1
    assert report.issues[0].line == 7 and report.issues[0].expected == "Bostn"
    assert len(docs[0].spans) == 3  # 4 tags, the bad one dropped


def test_i2b2_writer_output_uses_xml_conventions(tmp_path: Path) -> None:
    docs = list(read_corpus(FIX / "i2b2"))
    write_corpus(docs, tmp_path, "i2b2")
    xml = (tmp_path / "220-02.xml").read_text()
    assert 'TYPE="OTHER"' in xml and "<![CDATA[Follow-up" in xml and '<LOCATION id="P' in xml
    assert list(read_corpus(tmp_path)) == docs


def test_brat_discontinuous_split_and_ignored_lines() -> None:
    (doc,) = read_corpus(FIX / "brat")
    assert doc.id == "caso1"
    assert len(doc.spans) == 7  # 5 continuous + 1 discontinuous split in 2
    surfaces = [doc.text[s.start : s.end] for s in doc.spans]
    assert "Hospital" in surfaces and "La Paz" in surfaces
    ana = doc.spans[0]
    expected = ("NOMBRE_SUJETO_ASISTENCIA", None, "Ana Ruiz")
    assert (ana.label, ana.subtype, doc.text[ana.start : ana.end]) == expected


def test_brat_mismatch_names_line(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("Ana Ruiz")
    (tmp_path / "x.ann").write_text("#1\tnote\nT1\tNOMBRE 0 3\tAna Ruiz\n")
    with pytest.raises(AlignmentError, match=r"x\.ann:2 \[0, 3\) NOMBRE"):
        list(read_corpus(tmp_path))


def test_conll_reads_docs_groups_and_repairs_bio() -> None:
    docs = list(read_corpus(FIX / "sample.conll"))
    assert [d.id for d in docs] == ["c1", "sample-2"]
    assert docs[0].group == "7"
    assert docs[0].text == "Pt Jane Rolfe seen 3/12\nDr Dunn from Boston"
    assert _triples(docs[0]) == [("Jane Rolfe", "NAME", "PATIENT"), ("3/12", "DATE", "DATE"),
                                 ("Dunn", "NAME", "DOCTOR"), ("Boston", "LOCATION", "CITY")]
    assert _triples(docs[1]) == [("555-0199", "CONTACT", "PHONE")]


def test_format_inference_and_unknown_format() -> None:
    assert len(list(read_corpus(FIX / "sample.conll"))) == 2
    with pytest.raises(InputError, match="brat, conll, i2b2, jsonl"):
        list(read_corpus(FIX / "sample.conll", "xml"))
    with pytest.raises(InputError, match="E352"):
        read_corpus(FIX / "missing.jsonl")


def test_jsonl_prediction_file_with_redacted_text(tmp_path: Path) -> None:
    p = tmp_path / "pred.jsonl"
    p.write_text('{"id": "a", "text": "[NAME] here", "spans": [{"start": 0, "end": 2, "label": "NAME", '
                 '"subtype": "PATIENT", "text": "Bo", "score": 0.9, "source": "model"}]}\n')
    with pytest.raises(AlignmentError):
        list(read_corpus(p))
    (doc,) = read_corpus(p, check=False)
    assert doc.spans == (Span(0, 2, "NAME", "PATIENT", 0.9, "model"),)


def test_span_beyond_text_is_rejected() -> None:
    with pytest.raises(AlignmentError, match="E345"):
        AnnotatedDocument("a", "abc", (Span(1, 9, "NAME"),))


# ---- round-trip property ----------------------------------------------------------------------------

ALPHABET = "abcXYZ019 \n\t.,-/<>&\"'é]"
I2B2_TYPES = sorted(SUBTYPE_TO_CATEGORY.items())
OTHER_LABELS = ["NOMBRE_SUJETO_ASISTENCIA", "FECHAS", "CALLE"]


@st.composite
def documents(draw: st.DrawFn, allow_foreign: bool = True) -> AnnotatedDocument:
    text = draw(st.text(alphabet=ALPHABET, min_size=1, max_size=60))
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=8)))
    spans = []
    for a, b in zip(cuts[::2], cuts[1::2], strict=False):
        if a < b and text[a:b].strip():
            if allow_foreign and draw(st.booleans()):
                spans.append(Span(a, b, draw(st.sampled_from(OTHER_LABELS)), None, 1.0, "gold"))
            else:
                sub, cat = draw(st.sampled_from(I2B2_TYPES))
                spans.append(Span(a, b, cat, sub, 1.0, "gold"))
    pid, nid = draw(st.integers(100, 999)), draw(st.integers(1, 9))
    doc_id = f"{pid}-0{nid}"
    return AnnotatedDocument(doc_id, text, tuple(spans), group_from_id(doc_id), {})


def _roundtrip(docs: list[AnnotatedDocument], fmt: str) -> list[AnnotatedDocument]:
    with tempfile.TemporaryDirectory() as d:
        target = Path(d) / ("out" if fmt in ("i2b2", "brat") else f"out.{fmt}")
        write_corpus(docs, target, fmt)
        return list(read_corpus(target, fmt))


def _unique(docs: list[AnnotatedDocument]) -> list[AnnotatedDocument]:
    seen: dict[str, AnnotatedDocument] = {}
    for d in docs:
        seen.setdefault(d.id, d)
    return sorted(seen.values(), key=lambda d: d.id)


PROP = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROP
@given(st.lists(documents(), min_size=1, max_size=3))
def test_roundtrip_jsonl_and_i2b2(docs: list[AnnotatedDocument]) -> None:
    docs = _unique(docs)
    assert _roundtrip(docs, "jsonl") == docs
    assert _roundtrip(docs, "i2b2") == docs


@PROP
@given(st.lists(documents(), min_size=1, max_size=3))
def test_roundtrip_brat(docs: list[AnnotatedDocument]) -> None:
    docs = [AnnotatedDocument(d.id, d.text, d.spans, None, {}) for d in _unique(docs)]
    assert _roundtrip(docs, "brat") == docs


@PROP
@given(st.lists(documents(), min_size=1, max_size=3))
def test_roundtrip_conll_is_identity_after_one_normalising_pass(docs: list[AnnotatedDocument]) -> None:
    once = _roundtrip(_unique(docs), "conll")
    assert len(once) == len(_unique(docs))
    assert _roundtrip(once, "conll") == once
    # the first pass keeps every PHI character and its type; only whitespace is normalised
    for src, got in zip(_unique(docs), once, strict=True):
        assert _phi_chars(src) == _phi_chars(got)


def _phi_chars(doc: AnnotatedDocument) -> list[tuple[str, str]]:
    return [(c, s.type) for s in doc.spans for c in doc.text[s.start : s.end] if not c.isspace()]


# ---- label maps -------------------------------------------------------------------------------------


def test_labelmaps_registry_and_meddocan_to_i2b2() -> None:
    from engine.errors import ConfigError
    from engine.training.labelmaps import LABELMAPS, apply_labelmap, get_labelmap

    assert sorted(LABELMAPS) == ["i2b2.v1", "meddocan->i2b2.v1", "meddocan.v1", "presidio->i2b2.v1"]
    with pytest.raises(ConfigError, match="i2b2.v1"):
        get_labelmap("meddocan")
    (doc,) = read_corpus(FIX / "brat")
    mapped = apply_labelmap(doc, get_labelmap("meddocan->i2b2.v1"))
    got = [(mapped.text[s.start : s.end], s.label, s.subtype) for s in mapped.spans]
    assert got == [("Ana Ruiz", "NAME", "PATIENT"), ("53 años", "AGE", "AGE"), ("Luis Gil", "NAME", "DOCTOR"),
                   ("Hospital", "LOCATION", "HOSPITAL"), ("La Paz", "LOCATION", "HOSPITAL"),
                   ("Madrid", "LOCATION", "CITY"), ("28046", "LOCATION", "ZIP")]
    own = apply_labelmap(doc, get_labelmap("meddocan.v1"))
    assert {s.label for s in own.spans} == {"NOMBRE_SUJETO_ASISTENCIA", "EDAD_SUJETO_ASISTENCIA",
                                            "NOMBRE_PERSONAL_SANITARIO", "HOSPITAL", "TERRITORIO"}
    assert all(s.subtype is None for s in own.spans)


def test_labelmap_drops_non_phi_and_fails_closed_on_unknown_types() -> None:
    from engine.errors import ConfigError
    from engine.training.labelmaps import apply_labelmap, get_labelmap

    doc = AnnotatedDocument("p", "Mr. Bo Li, 10.0.0.1, Catholic", (
        Span(0, 3, "TITLE"), Span(4, 9, "PERSON"), Span(11, 19, "IP_ADDRESS"), Span(21, 29, "NRP")))
    mapped = apply_labelmap(doc, get_labelmap("presidio->i2b2.v1"))
    assert [(s.label, s.subtype) for s in mapped.spans] == [("NAME", "PATIENT"), ("CONTACT", "IPADDR")]
    odd = doc.with_spans([Span(4, 9, "WIZARD")])
    with pytest.raises(ConfigError, match="E383.*WIZARD"):
        apply_labelmap(odd, get_labelmap("presidio->i2b2.v1"))
    assert apply_labelmap(odd, get_labelmap("presidio->i2b2.v1"), unknown="drop").spans == ()
    assert apply_labelmap(odd, get_labelmap("presidio->i2b2.v1"), unknown="keep").spans == odd.spans


def test_i2b2_identity_labelmap_covers_every_subtype() -> None:
    from engine.training.labelmaps import get_labelmap

    lm = get_labelmap("i2b2.v1")
    assert all(lm.mapping[st] == (cat, st) for st, cat in SUBTYPE_TO_CATEGORY.items())
    assert lm.mapping["OTHER"] == ("LOCATION", "LOCATION-OTHER")


def test_brat_discontinuous_mismatch_is_collected_non_strict(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text("Hospital de La Paz")
    (tmp_path / "d.ann").write_text("T1\tHOSPITAL 0 8;12 18\tHospital X Paz\nT2\tHOSPITAL 12 18\tLa Paz\n")
    report = AlignmentReport()
    (doc,) = read_corpus(tmp_path, "brat", strict=False, report=report)
    assert [doc.text[s.start : s.end] for s in doc.spans] == ["La Paz"]
    assert len(report) == 1 and report.issues[0].line == 1
    assert report.to_json()[0]["expected"] == "Hospital X Paz"


def test_single_i2b2_file_and_jsonl_error_field(tmp_path: Path) -> None:
    (doc,) = read_corpus(FIX / "i2b2" / "220-02.xml")
    assert doc.id == "220-02" and len(doc.spans) == 4
    p = tmp_path / "det.jsonl"
    p.write_text('{"id": "x", "spans": [{"start": 0, "end": 4, "label": "NAME"}], "error": "boom"}\n')
    (det,) = read_corpus(p, check=False)
    assert det.meta["error"] == "boom" and det.meta["text_unavailable"] and det.spans[0].end == 4
