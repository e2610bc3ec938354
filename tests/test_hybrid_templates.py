"""Table-driven tests of the regex templates: positives and negatives per family."""

from __future__ import annotations

import time

import pytest

from engine.errors import ConfigError
from engine.hybrid.resolve import resolve
from engine.hybrid.templates import RegexDetector, check_pattern_safety, load_templates
from engine.types import Document


@pytest.fixture(scope="module")
def detector() -> RegexDetector:
    return RegexDetector(load_templates())


def _found(det: RegexDetector, text: str) -> list[tuple[str, str]]:
    spans = resolve(text, det.detect(Document("t", text)))
    return [(text[s.start : s.end], s.subtype or s.label) for s in spans]


# (text, expected [(surface, subtype)] after resolution)
POSITIVE = [
    ("Seen 2011-02-10.", [("2011-02-10", "DATE")]),
    ("on 3/12/2011 and 3/12/11", [("3/12/2011", "DATE"), ("3/12/11", "DATE")]),
    ("f/u 7/22 in clinic", [("7/22", "DATE")]),
    ("since 04/2011", [("04/2011", "DATE")]),
    ("stable since '63 at least", [("'63", "DATE")]),
    ("popular in the 2060s", [("2060s", "DATE")]),
    ("on 3.12.11 he", [("3.12.11", "DATE")]),
    ("admitted 10-Feb-2011", [("10-Feb-2011", "DATE")]),
    ("DOB 30Aug71", [("30Aug71", "DATE")]),
    ("on 5-March-2054", [("5-March-2054", "DATE")]),
    ("since Sep-1976", [("Sep-1976", "DATE")]),
    ("in April of 2011", [("April of 2011", "DATE")]),
    ("back in Oct. '74", [("Oct. '74", "DATE")]),
    ("seen on Monday", [("Monday", "DATE")]),
    ("seen Tues. again", [("Tues", "DATE")]),
    ("over Christmas", [("Christmas", "DATE")]),
    ("in summer of 2011", [("summer of 2011", "DATE")]),
    ("surgery in 1998.", [("1998", "DATE")]),
    ("a 79yo man", [("79", "AGE")]),
    ("73y.o. female", [("73", "AGE")]),
    ("70y/o", [("70", "AGE")]),
    ("77ym with CP", [("77", "AGE")]),
    ("a 72-year-old", [("72", "AGE")]),
    ("a 57-yr-old", [("57", "AGE")]),
    ("a 9 mos old", [("9", "AGE")]),
    ("in her 40's", [("40's", "AGE")]),
    ("age 49y7.7m", [("49", "AGE")]),
    ("call 617-555-1234 x23", [("617-555-1234 x23", "PHONE")]),
    ("call (617) 555-1234", [("(617) 555-1234", "PHONE")]),
    ("fax: 617.555.1234", [("617.555.1234", "FAX")]),
    ("pager 12345", [("12345", "PHONE")]),
    ("mail j.doe@example.org now", [("j.doe@example.org", "EMAIL")]),
    ("see https://x.org/a?b=1.", [("https://x.org/a?b=1", "URL")]),
    ("host 10.1.22.3 up", [("10.1.22.3", "IPADDR")]),
    ("SSN 123-45-6789", [("123-45-6789", "IDNUM")]),
    # no CITY: where the street ends and the city starts is the model's call
    ("Address: 8699 Young Springs Herndon, AK 45978", [("AK", "STATE"), ("45978", "ZIP")]),
    ("Medicaid # 858-08-0676B.", [("858-08-0676B", "HEALTHPLAN")]),  # not an SSN: a letter follows
    ("MRN: 6746781", [("6746781", "MEDICALRECORD")]),
    ("MR# 6746781", [("6746781", "MEDICALRECORD")]),
    ("Med Rec No 123-4567", [("123-4567", "MEDICALRECORD")]),
    ("Accession #: AB12345", [("AB12345", "IDNUM")]),
    ("Specimen #WW30-31592: adenocarcinoma", [("WW30-31592", "BIOID")]),
    ("Tissue sample ID EX60-51979 received", [("EX60-51979", "BIOID")]),
    ("Boston, MA 02114", [("Boston", "CITY"), ("MA", "STATE"), ("02114", "ZIP")]),
    ("zip 02114-1234", [("02114-1234", "ZIP")]),
    ("Zip: 44106", [("44106", "ZIP")]),
    ("username: jdoe12", [("jdoe12", "USERNAME")]),
    ("serial #: PX-20391", [("PX-20391", "DEVICE")]),
    ("Member ID: XYZ123456", [("XYZ123456", "HEALTHPLAN")]),
    ("Acct #: 99812", [("99812", "IDNUM")]),
    ("seen Tuesday. Better", [("Tuesday", "DATE")]),
    ("seen Tues. and Thurs.", [("Tues", "DATE"), ("Thurs", "DATE")]),
    ("in her 60's", [("60's", "AGE")]),
    ("hysterectomy in the 60's", [("60's", "DATE")]),
    ("BOSTON, MA 02114", [("MA", "STATE"), ("02114", "ZIP")]),
    ("DEA # AB1234567", [("AB1234567", "IDNUM")]),
    ("VIN 1HGCM82633A004352", [("1HGCM82633A004352", "IDNUM")]),
    ("Labs (20151206): Na 130", [("20151206", "DATE")]),
    ("MRN 20151206", [("20151206", "MEDICALRECORD")]),
    ("seen on 3/10 for f/u", [("3/10", "DATE")]),
    ("faxed on 23rd of January.", [("23rd of January", "DATE")]),
    ("first seen in Aug.  He", [("Aug", "DATE")]),
    ("on Aug. 5, 2011", [("Aug. 5, 2011", "DATE")]),
    ("cultures 9th of June, Wednesday", [("9th of June", "DATE"), ("Wednesday", "DATE")]),
    ("In March Dr. Foley saw her", [("March", "DATE"), ("Foley", "DOCTOR")]),
    ("Thank you for referring Mr Case for evaluation.", [("Case", "PATIENT")]),
    ("per Dr. Rose's note", [("Rose", "DOCTOR")]),
    ("Mrs. O'Brien and Ms. Smith-Jones", [("O'Brien", "PATIENT"), ("Smith-Jones", "PATIENT")]),
    ("discussed with Doctor McDonald", [("McDonald", "DOCTOR")]),
    ("in Dec of 2059.", [("Dec of 2059", "DATE")]),
]

NEGATIVE = [
    "BP 120/80, HR 72",
    "strength 4/5 bilaterally",
    "2/6 systolic murmur",
    "take 1/2 tab daily",
    "pain 7/10",
    "rates her pain in her knee as a 10/10.",
    "Pain 7/10, improved to 3/10 after morphine",
    "reduces her pain to 2-3/10 on the scale",
    "Contact: April Cortez",
    "heart rate is nice and slow in the 80s.",
    "sats in the low 90s on room air",
    "SHE HAS BOTH OVARIES, AS WELL AS HER UTERUS",
    "NO PAPILLEDEMA, GLAUCOMA, OR CATARACTS.",
    "he may go home",
    "she sat up in bed",
    "version 13/45/2011",
    "Na 140 K 4.1 Cl 101",
    "no phone 0000000000 listed",
    "IP 300.1.1.1 invalid",
    "SSN 000-12-3456",
    "WBC 12.5 (H)",
    "march forward",
    "Lena Ortiz, MD and Ann Lee, PA",
    "given 25 mg",
    "PT SEEN BY DR SWAN AWARE",  # ALL CAPS: left to the model
    "Dr. X's plan",
    "dr. smith in clinic",
    "Miss. doses",
]


@pytest.mark.parametrize(("text", "expected"), POSITIVE)
def test_template_positive(detector: RegexDetector, text: str, expected: list[tuple[str, str]]) -> None:
    found = _found(detector, text)
    assert len(found) == len(expected), found
    for got, want in zip(found, expected, strict=True):
        assert got == want


@pytest.mark.parametrize("text", NEGATIVE)
def test_template_negative(detector: RegexDetector, text: str) -> None:
    assert _found(detector, text) == []


def test_unsafe_pattern_rejected() -> None:
    with pytest.raises(ConfigError, match="E401"):
        check_pattern_safety("bad", r"(?:[0-9]+/?)+x")


def test_disabled_and_unknown_template_names() -> None:
    names = {t.name for t in load_templates(disabled=["VIN"])}
    assert "VIN" not in names and "DATE_MDY" in names
    with pytest.raises(ConfigError, match="E408"):
        load_templates(disabled=["NO_SUCH"])


@pytest.mark.parametrize(
    "blob",
    [
        "7" * 100_000,
        "1/" * 50_000,
        "1-" * 50_000,
        "a@" * 50_000,
        "1." * 50_000,
        "Jan " * 25_000,
        "x" * 100_000,
    ],
)
def test_pathological_input_is_fast(detector: RegexDetector, blob: str) -> None:
    t0 = time.perf_counter()
    detector.detect(Document("p", blob))
    assert time.perf_counter() - t0 < 1.0


def test_registry_and_template_names_snapshot() -> None:
    from engine.hybrid import HYBRID_DETECTORS, get_detector

    assert {k: v.name for k, v in HYBRID_DETECTORS.items()} == {k: k for k in HYBRID_DETECTORS}
    with pytest.raises(ConfigError, match="E440"):
        get_detector("regex.v0")
    # Golden list: renaming or dropping a template breaks users' disabled_templates settings.
    assert sorted(t.name for t in load_templates()) == sorted(TEMPLATE_NAMES)


TEMPLATE_NAMES = [
    "ACCOUNT",
    "AGE_CONTEXT",
    "AGE_DECADE",
    "AGE_MONTHS_OLD",
    "AGE_YM",
    "AGE_YO",
    "CITY_STATE_ZIP",
    "DATE_DECADE",
    "DATE_DMY_TEXT",
    "DATE_HOLIDAY",
    "DATE_ISO",
    "DATE_MD",
    "DATE_COMPACT",
    "BIOID",
    "DATE_MDY",
    "DATE_MDY_DASH",
    "DATE_MDY_DOT",
    "DATE_MDY_TEXT",
    "DATE_MY",
    "DATE_SEASON_YEAR",
    "DATE_WEEKDAY",
    "DATE_YEAR_APOS",
    "DATE_YEAR_CONTEXT",
    "DATE_YEAR_RANGE",
    "DEVICE",
    "DOCTOR_TITLE",
    "EMAIL",
    "FAX",
    "HEALTHPLAN",
    "IDNUM_ALNUM",
    "IDNUM_CONTEXT",
    "IDNUM_LONG",
    "IPADDR",
    "LICENSE",
    "MEDICALRECORD",
    "PATIENT_TITLE",
    "PATIENT_TITLE_FULL",
    "PATIENT_NAME_FIELD",
    "PATIENT_CUE_FULL",
    "PHONE",
    "PHONE_7",
    "PHONE_PAGER",
    "SSN",
    "SSN_CONTEXT",
    "STATE_CODE_CITY",
    "STATE_CODE_ZIP",
    "URL",
    "USERNAME",
    "VIN",
    "ZIP9",
    "ZIP_CONTEXT",
    "ZIP_STATE",
]


@pytest.mark.parametrize(
    ("text", "expected_score"), [("MRN 1234567", 0.95), ("number 1234567", 0.65), ("weight 1234567", 0.6)]
)
def test_context_words_boost_score(detector: RegexDetector, text: str, expected_score: float) -> None:
    spans = resolve(text, detector.detect(Document("c", text)))
    assert len(spans) == 1
    assert spans[0].score == pytest.approx(expected_score)


def test_ignorecase_template_must_be_lower_case(tmp_path: object) -> None:
    import pathlib

    d = pathlib.Path(str(tmp_path))
    (d / "x.toml").write_text("[[template]]\nname='X'\nsubtype='DATE'\npattern='MRN'\nflags=['IGNORECASE']\n")
    with pytest.raises(ConfigError, match="E409"):
        load_templates(d)


def test_a_variable_uses_only_variables_defined_above_it(tmp_path: object) -> None:
    import pathlib

    d = pathlib.Path(str(tmp_path))
    (d / "x.toml").write_text("[[template]]\nname='X'\nsubtype='DATE'\npattern='%B%'\n")
    (d / "_vars.toml").write_text("[vars]\nA = '[0-9]{2}'\nB = 'x%A%'\n")
    (t,) = load_templates(d)
    assert t.regex.pattern == "x[0-9]{2}"
    (d / "_vars.toml").write_text("[vars]\nB = 'x%A%'\nA = '[0-9]{2}'\n")
    with pytest.raises(ConfigError, match="E402"):
        load_templates(d)
