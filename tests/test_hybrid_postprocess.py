"""Extraction, trusted terms, propagation and the HybridLayer API end to end."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config import EngineConfig
from engine.hybrid import HybridLayer, resolve
from engine.hybrid.extract import Extractor
from engine.hybrid.propagate import Propagator
from engine.hybrid.trusted import coordination_spans, hospital_forms, name_forms
from engine.types import Document, Span


@pytest.fixture(scope="module")
def layer() -> HybridLayer:
    return HybridLayer(EngineConfig())


def _surf(text: str, spans: list[Span]) -> list[tuple[str, str | None]]:
    return [(text[s.start : s.end], s.subtype) for s in sorted(spans, key=lambda s: s.start)]


SPLIT_CASES = [
    ("79yo", "AGE", "AGE", [("79", "AGE")]),
    ("73 y/o", "AGE", "AGE", [("73", "AGE")]),
    ("MR:6746781", "ID", "MEDICALRECORD", [("6746781", "MEDICALRECORD")]),
    ("GQ/NV/whalen", "NAME", "DOCTOR", [("GQ", "DOCTOR"), ("NV", "DOCTOR"), ("whalen", "DOCTOR")]),
    ("3041023MARY", "ID", "IDNUM", [("3041023", "IDNUM"), ("MARY", "HOSPITAL")]),
    ("Dunn", "NAME", "PATIENT", [("Dunn", "PATIENT")]),  # no rule: unchanged
    ("and/or", "NAME", "DOCTOR", [("and/or", "DOCTOR")]),  # allow-listed parts: not split
    ("tu/th/sa", "DATE", "DATE", [("tu/th/sa", "DATE")]),  # one weekday schedule, not three names
    ("M/W/F", "DATE", "DATE", [("M/W/F", "DATE")]),
]


@pytest.mark.parametrize(("token", "label", "subtype", "expected"), SPLIT_CASES)
def test_extraction_splits_spans(
    token: str, label: str, subtype: str, expected: list[tuple[str, str]]
) -> None:
    text = f"x {token} y"
    out = Extractor().apply(text, [Span(2, 2 + len(token), label, subtype, 0.9, "model")])
    assert len(out) == len(expected)
    assert _surf(text, out) == expected


SCAN_CASES = [
    ("HD on MWFS", [("MWFS", "DATE")]),
    ("dialysis T-Th-Sa", [("T-Th-Sa", "DATE")]),
    ("code 3041023MARY", [("3041023", "IDNUM"), ("MARY", "HOSPITAL")]),
    ("done\nGQ/NV/whalen\n", [("GQ", "DOCTOR"), ("NV", "DOCTOR"), ("whalen", "DOCTOR")]),
    ("TSH normal, SMS sent, FTW", []),
    ("s/p CABG and/or PCI", []),
    ("mg/dl\n", []),
    ("HD\nTU/TH/SA\n", []),
]


@pytest.mark.parametrize(("text", "expected"), SCAN_CASES)
def test_extraction_scan(text: str, expected: list[tuple[str, str]]) -> None:
    out = Extractor().scan(text, [])
    assert len(out) == len(expected)
    assert _surf(text, out) == expected


# (text, the model's name span, the names after extraction and resolution)
NAME_TAIL_CASES = [
    ("Signed: Corona Moles 04/01/2012 0430", "Corona", ["Corona Moles"]),
    ("signed: ryan pace 12/27/17 14:32", "ryan", ["ryan pace"]),
    ("Attending: DR. Barkha Date\nService: Medicine", "Barkha", ["Barkha Date"]),
    ("Signed Doctor Samaksh V. Date 6/26/01", "Samaksh V.", ["Samaksh V. Date"]),
    ("Discussed with Dr. Carol Lyle, 555-1234", "Carol", ["Carol Lyle"]),
    # not a surname: ALL-CAPS text, a different letter case, a role, a word running on, a new line
    ("MD: DR SWAN AWARE\nID: AFEBRILE", "SWAN", ["SWAN"]),
    ("seen by Dr. Smith today 3pm", "Smith", ["Smith"]),
    ("Seen by Dr. Smith Cardiology 3pm", "Smith", ["Smith"]),
    ("Case reviewed with Dr. Smith and family", "Smith", ["Smith"]),
    ("Dr. Smith\nDate 4/5", "Smith", ["Smith"]),
    ("Dr. Smith Ordered 2 units", "Smith", ["Smith"]),
    ("KELLY MAHMOOD  MRN 633-39-63", "KELLY MAHMOOD", ["KELLY MAHMOOD"]),
]


@pytest.mark.parametrize(("text", "name", "expected"), NAME_TAIL_CASES)
def test_name_tail_completion(text: str, name: str, expected: list[str]) -> None:
    start = text.index(name)
    seed = Span(start, start + len(name), "NAME", "DOCTOR", 0.95, "model")
    out = resolve(text, Extractor().complete_names(text, [seed]))
    assert [text[s.start : s.end] for s in out if s.label == "NAME"] == expected


def test_completed_name_does_not_spread(layer: HybridLayer) -> None:
    text = (
        "Attending: DR. Barkha Date\r\nDate of admission: pending. Two moles seen.\n"
        "Signed: Corona Moles, MD"
    )
    spans = [Span(15, 21, "NAME", "DOCTOR", 0.99, "model")]
    c = text.index("Corona")
    spans.append(Span(c, c + 6, "NAME", "DOCTOR", 0.99, "model"))
    out = layer.postprocess(Document("n", text), spans)
    assert [text[s.start : s.end] for s in out if s.label == "NAME"] == ["Barkha Date", "Corona Moles"]


def test_name_tail_edge_inputs() -> None:
    ex = Extractor()
    assert ex.complete_names(" x ", [Span(1, 2, "NAME", "DOCTOR", 0.9, "model")])[0].end == 2
    blank = [Span(0, 1, "NAME", "DOCTOR", 0.9, "model")]
    assert ex.complete_names("  Moles 3", blank) == blank  # a blank span completes nothing
    t = "Dr. José Núñez 3pm"
    out = resolve(t, ex.complete_names(t, [Span(4, 8, "NAME", "DOCTOR", 0.9, "model")]))
    assert [t[s.start : s.end] for s in out] == ["José Núñez"]
    t = "Dr. Amy Lee- 3"  # never ends in a hyphen
    assert len(ex.complete_names(t, [Span(4, 7, "NAME", "DOCTOR", 0.9, "model")])) == 1


def test_name_and_hospital_forms() -> None:
    assert {"X. Dunn", "Dunn", "Xai", "Dunn, Xai"} <= name_forms("Xai Dunn")
    assert {"Xai Dunn", "Dunn"} <= name_forms("Dunn, Xai")
    assert name_forms("Dr. Dunn") == {"Dunn"}
    forms = hospital_forms("Atlantic North Rehabilitation Center")
    assert ("Atlantic North", False) in forms and ("ANRC", True) in forms


def test_coordination_line() -> None:
    text = "hdr\nEDVISIT^84091519^Thomas-yosef, Julia^09/21/68^KEMPER, SYLVAN\nbody | one"
    spans = coordination_spans(text)
    assert len(spans) == 4
    assert _surf(text, spans) == [
        ("84091519", "MEDICALRECORD"),
        ("Thomas-yosef, Julia", "PATIENT"),
        ("09/21/68", "DATE"),
        ("KEMPER, SYLVAN", "DOCTOR"),
    ]


PROP_CASES = [
    # (text, seed span (start, end, subtype, score), expected propagated surfaces)
    (
        "Xai Dunn came. Dunn and X. Dunn and DUNN, also Xai.",
        (0, 8, "PATIENT", 0.95),
        ["Xai Dunn", "Dunn", "X. Dunn", "DUNN", "Xai"],
    ),
    ("Xai Dunn came. Dunning is a place.", (0, 8, "PATIENT", 0.95), ["Xai Dunn"]),
    ("Xai Dunn came. Dunn left.", (0, 8, "PATIENT", 0.5), []),  # weak and seen once: not trusted
    ("Will Foley came. Foley catheter, will do.", (0, 10, "PATIENT", 0.95), ["Will Foley"]),  # allow list
    (
        "At Atlantic North Rehabilitation Center; ANRC and Atlantic North; anrc no.",
        (3, 39, "HOSPITAL", 0.95),
        ["Atlantic North Rehabilitation Center", "ANRC", "Atlantic North"],
    ),
]


@pytest.mark.parametrize(("text", "seed", "expected"), PROP_CASES)
def test_propagation_within_note(text: str, seed: tuple[int, int, str, float], expected: list[str]) -> None:
    from engine.hybrid.allow import load_allow

    p = Propagator(load_allow(), 0.9, 2, ("PATIENT", "DOCTOR", "HOSPITAL"))
    s, e, sub, score = seed
    label = "LOCATION" if sub == "HOSPITAL" else "NAME"
    out = p.within_note(text, [Span(s, e, label, sub, score, "model")])
    assert len(out) == len(expected)
    assert [text[x.start : x.end] for x in out] == expected
    assert all(x.source == "propagate" for x in out)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A 79yo man, HR 79.", [("79", "AGE")]),  # ages never propagate
        ("Seen in May. He may go.", [("May", "DATE")]),  # digit-free template terms stay put
        ("MRN: 6746781. Old chart 6746781.", [("6746781", "MEDICALRECORD"), ("6746781", "MEDICALRECORD")]),
        ("Follow up in Cardiology Clinic.", []),  # a specialty is not a hospital name
    ],
)
def test_layer_propagation_guards(layer: HybridLayer, text: str, expected: list[tuple[str, str]]) -> None:
    doc = Document("g", text)
    out = layer.postprocess(doc, layer.detect(doc))
    assert len(out) == len(expected)
    assert _surf(text, out) == expected


def test_repeated_weak_term_is_trusted() -> None:
    p = Propagator(frozenset(), 0.9, 2, ("PATIENT",))
    text = "Zed Quill. Zed Quill. Quill."
    seeds = [Span(0, 9, "NAME", "PATIENT", 0.5, "model"), Span(11, 20, "NAME", "PATIENT", 0.5, "model")]
    assert [text[s.start : s.end] for s in p.within_note(text, seeds)][-1] == "Quill"


def test_layer_public_api(layer: HybridLayer) -> None:
    doc = Document(
        "n1", "Xai Dunn, 79yo, seen 3/12/2011 at Kemper Memorial Hospital. Dunn is better.", group="p"
    )
    model = [Span(0, 8, "NAME", "PATIENT", 0.97, "model")]
    det = layer.detect(doc)
    assert {s.source for s in det} >= {"regex:AGE_YO", "regex:DATE_MDY", "list:HOSPITAL"}
    final = layer.postprocess(doc, model + det)
    assert _surf(doc.text, final) == [
        ("Xai Dunn", "PATIENT"),
        ("79", "AGE"),
        ("3/12/2011", "DATE"),
        ("Kemper Memorial Hospital", "HOSPITAL"),
        ("Dunn", "PATIENT"),
    ]
    doc2 = Document("n2", "Mr. Dunn returns. Xai feels well.", group="p")
    doc3 = Document("n3", "Mr. Dunn, another patient.", group="q")
    per_doc = layer.propagate_group([doc, doc2, doc3], [final, [], []])
    assert _surf(doc2.text, per_doc[1]) == [("Dunn", "PATIENT"), ("Xai", "PATIENT")]
    assert per_doc[2] == []


@pytest.mark.parametrize("off", ["templates", "lists", "extraction", "propagation"])
def test_layers_switch_off(off: str) -> None:
    cfg = EngineConfig.from_overrides([f"layers.{off}=false"])
    lay = HybridLayer(cfg)
    doc = Document("n", "Xai Dunn, 79yo, a cashier, on MWF. Dunn.")
    spans = lay.postprocess(doc, [Span(0, 8, "NAME", "PATIENT", 0.97, "model")] + lay.detect(doc))
    sources = {s.source.split(":")[0] for s in spans}
    gone = {"templates": "regex", "lists": "list", "extraction": "extract", "propagation": "propagate"}[off]
    assert gone not in sources
    assert "model" in sources


def test_disabled_subtypes() -> None:
    lay = HybridLayer(EngineConfig.from_overrides(['hybrid.disabled_subtypes=["PROFESSION", "AGE"]']))
    doc = Document("n", "a 79yo cashier on 3/12/2011")
    assert [s.subtype for s in lay.detect(doc)] == ["DATE"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            list("aZ 0189/-.:,'\n^|") + ["Dunn", "yo", "MRN", "Ohio", "Hospital", "MWF", "Jan", "fax"]
        ),
        max_size=60,
    ).map("".join),
    st.lists(st.tuples(st.integers(0, 80), st.integers(1, 20), st.floats(0, 1)), max_size=5),
)
def test_outputs_are_valid_nonoverlapping(
    layer: HybridLayer, text: str, raw: list[tuple[int, int, float]]
) -> None:
    model = [
        Span(s, min(s + n, len(text)), "NAME", "PATIENT", sc, "model") for s, n, sc in raw if s < len(text)
    ]
    doc = Document("h", text, group="g")
    final = layer.postprocess(doc, model + layer.detect(doc))
    for spans in (final, layer.propagate_group([doc, doc], [final, final])[0], resolve(text, model)):
        for a, b in zip(spans, spans[1:], strict=False):
            assert a.end <= b.start
        for s in spans:
            assert text[s.start : s.end].strip()


def _synthetic_note(size: int) -> str:
    base = (
        "EDVISIT^84091519^Thomas-yosef, Julia^09/21/68^KEMPER, SYLVAN\n"
        "Patient Julia Thomas-yosef is a 79yo woman seen on 3/12/2011 at Kemper Memorial Hospital by "
        "Dr. Sylvan Kemper. MRN: 6746781. BP 120/80, HR 72, strength 4/5. Follow up in May with cardiology "
        "on Monday. Phone 617-555-1234. She works as a cashier in Boston, MA 02114. Taking metoprolol 25 mg "
        "daily and aspirin 81 mg. Labs: Na 140, K 4.1, Cr 1.2, WBC 7.5. HD MWF. Ms. Thomas-yosef agrees.\n"
    )
    return (base * (size // len(base) + 1))[:size]


def test_throughput_100kb(layer: HybridLayer) -> None:
    text = _synthetic_note(100_000)
    doc = Document("big", text)
    t0 = time.perf_counter()
    layer.postprocess(doc, layer.detect(doc))
    dt = time.perf_counter() - t0
    # A loose CI floor (2 shared cores); the measured figure is reported by benchmarks.
    assert len(text) / dt > 100_000


@pytest.mark.parametrize(
    "blob",
    [
        "^" * 100_000,
        "Dunn " * 20_000,
        "MWF-" * 25_000,
        "1/" * 50_000,
        "A" * 100_000,
        "Ohio " * 20_000,
        "Kemper Hospital " * 6_000,
        "x|" * 50_000,
    ],
)
def test_layer_pathological_input_is_fast(layer: HybridLayer, blob: str) -> None:
    doc = Document("p", blob, group="g")
    seed = [Span(0, min(4, len(blob)), "NAME", "PATIENT", 0.99, "model")]
    t0 = time.process_time()
    final = layer.postprocess(doc, seed + layer.detect(doc))
    layer.propagate_group([doc, doc], [final, final])
    assert time.process_time() - t0 < 2.0
    assert all(a.end <= b.start for a, b in zip(final, final[1:], strict=False))
