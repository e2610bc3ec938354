"""Keyword lists, hospital growth, allow and deny lists, presets."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import HybridConfig
from engine.errors import ConfigError
from engine.hybrid.allow import load_allow, load_deny, parse_deny_lines
from engine.hybrid.clinical import load_common
from engine.hybrid.lists import LIST_DIR, HospitalDetector, ListDetector, load_lists, read_terms
from engine.hybrid.presets import effective
from engine.types import Document


@pytest.fixture(scope="module")
def lists() -> ListDetector:
    return ListDetector(load_lists(), load_allow())


def _found(det: object, text: str) -> list[tuple[str, str | None]]:
    return [(text[s.start : s.end], s.subtype) for s in det.detect(Document("t", text))]  # type: ignore[attr-defined]


LIST_CASES = [
    ("Moved from Ohio last year", [("Ohio", "STATE")]),
    ("lives in New York with", [("New York", "STATE")]),
    ("Cleveland, Ohio 44106", [("Ohio", "STATE"), ("44106", "ZIP")]),
    ("born in Brazil", [("Brazil", "COUNTRY")]),
    ("returned from the United States", [("United States", "COUNTRY")]),
    ("works as a cashier", [("cashier", "PROFESSION")]),
    ("a veteran, now an Instructor", [("veteran", "PROFESSION"), ("Instructor", "PROFESSION")]),
    ("retired teacher", [("retired teacher", "PROFESSION")]),
    # negatives: lower-case place names, clinical abbreviations, staff titles
    ("ohio and brazil in lower case", []),
    ("MS and PT and OR today", []),
    ("the nurse and the doctor", []),
    ("Brazilian and Spanish speaking", []),  # nationality/language lists are off by default
    ("works as an attorney", [("attorney", "PROFESSION")]),
    ("came with her power of attorney.", []),  # an allow phrase swallows the hit inside it
    ("we need to make adjustments", []),
]


@pytest.mark.parametrize(("text", "expected"), LIST_CASES)
def test_lists(lists: ListDetector, text: str, expected: list[tuple[str, str]]) -> None:
    found = _found(lists, text)
    assert len(found) == len(expected), found
    assert found == expected


def test_nationality_list_when_enabled() -> None:
    det = ListDetector(load_lists(), enabled=["NATIONALITY"])
    assert _found(det, "a Brazilian man") == [("Brazilian", "COUNTRY")]


HOSPITAL_CASES = [
    ("admitted to Kemper Memorial Hospital today", [("Kemper Memorial Hospital", "HOSPITAL")]),
    ("at Atlantic North Rehabilitation Center.", [("Atlantic North Rehabilitation Center", "HOSPITAL")]),
    ("Brigham and Women's Hospital", [("Brigham and Women's Hospital", "HOSPITAL")]),
    ("The Kemper Clinic called", [("Kemper Clinic", "HOSPITAL")]),
    ("went to the hospital", []),
    ("seen at the Hospital yesterday", []),
    ("Center. General Hospital", []),
    ("PCP is Dr. Lena Ortiz at Riverside Clinic", [("Riverside Clinic", "HOSPITAL")]),
    ("LOST.  SOMEHOW BETWEEN THE HOSPITAL AND HOME SHE LOST IT", []),
    ("The Johns Hopkins Hospital", [("Johns Hopkins Hospital", "HOSPITAL")]),
    ("TRANSFERRED FROM UNION HOSPITAL TODAY", [("UNION HOSPITAL", "HOSPITAL")]),
    ("Beth Israel Deaconess Medical Center", [("Beth Israel Deaconess Medical Center", "HOSPITAL")]),
    # in ALL-CAPS notes capitals carry no evidence: function words end the name, and common or
    # clinical words alone do not make one
    ("FAMILY WANTS HIM TO GO TO REHAB OR NURSING HOME", []),
    ("SOCIAL WORK RE SCREENING FOR REHAB CENTER", []),
    ("PT AND FAMILY WISH TO PURSUE HOSPICE", []),
    ("DISPO: REHAB VS NURSING HOME", []),
    # five capitalised words before the suffix are a sentence or a header, not a name
    ("CASEY BRADLEY DONOVAN ELLIOT FARRELL HOSPITAL", []),
    ("BRADLEY DONOVAN ELLIOT FARRELL HOSPITAL", [("BRADLEY DONOVAN ELLIOT FARRELL HOSPITAL", "HOSPITAL")]),
]


@pytest.mark.parametrize(("text", "expected"), HOSPITAL_CASES)
def test_hospital_growth(text: str, expected: list[tuple[str, str]]) -> None:
    det = HospitalDetector(read_terms(LIST_DIR / "hospital_suffixes.txt"), load_allow() | load_common())
    found = _found(det, text)
    assert len(found) == len(expected), found
    assert found == expected


def test_allow_list_contents_and_user_file(tmp_path: Path) -> None:
    allow = load_allow()
    for term in ("ms", "wa", "dg", "er", "pt", "foley", "parkinson", "babinski"):
        assert term in allow
    f = tmp_path / "mine.txt"
    f.write_text("# mine\nZorblax\n")
    assert "zorblax" in load_allow([f])


def test_deny_list(tmp_path: Path) -> None:
    f = tmp_path / "deny.txt"
    f.write_text("Kemper Pavilion\tHOSPITAL\n")
    deny = load_deny([f])
    det = ListDetector.from_terms("DENY", deny)
    spans = det.detect(Document("t", "sent to kemper pavilion"))
    assert len(spans) == 1 and spans[0].subtype == "HOSPITAL" and spans[0].source.startswith("deny:")
    with pytest.raises(ConfigError, match="E413"):
        parse_deny_lines(["no subtype here"])


def test_missing_list_file_is_coded() -> None:
    with pytest.raises(ConfigError, match="E410"):
        read_terms("/nonexistent/list.txt")


def test_list_sizes() -> None:
    sizes = {k.name: len(k.terms) for k in load_lists()}
    assert sizes["PROFESSION"] >= 300 and sizes["STATE"] >= 50 and sizes["COUNTRY"] >= 200
    geo = sizes["COUNTRY"] + sizes["NATIONALITY"] + sizes["LANGUAGE"] + sizes["STATE"]
    assert geo >= 500


@pytest.mark.parametrize(
    ("preset", "field", "value"),
    [
        ("balanced", "lists", ("STATE", "COUNTRY", "PROFESSION", "HOSPITAL")),
        ("recall", "propagate_min_score", 0.75),
    ],
)
def test_presets(preset: str, field: str, value: object) -> None:
    assert getattr(effective(HybridConfig(preset=preset)), field) == value  # type: ignore[arg-type]


def test_explicit_field_beats_preset() -> None:
    cfg = effective(HybridConfig(preset="recall", lists=("STATE",)))
    assert cfg.lists == ("STATE",)
    with pytest.raises(ConfigError, match="E421"):
        effective(HybridConfig(lists=("NOPE",)))
