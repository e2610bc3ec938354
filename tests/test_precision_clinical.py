"""Clinical-content vetoes (engine.hybrid.clinical): each rule with cases it must veto and cases it must keep.

Every sentence is written for this test in the style of ICU nursing notes; none comes from a corpus.
"""

from __future__ import annotations

import pytest

from engine.config import EngineConfig
from engine.hybrid import HybridLayer
from engine.hybrid.clinical import (
    RULES,
    ClinicalVeto,
    is_mixed_case,
    load_clinical,
    load_common,
    load_places,
    measure_context,
)
from engine.types import Document, Span

VETO = ClinicalVeto(load_clinical(), rules=RULES, places=load_places())  # every rule, opt-in ones too
UPPER = "NEURO: ALERT, FOLLOWS COMMANDS. "  # makes a note ALL CAPS (not mixed case)


def span_of(
    text: str,
    surface: str,
    label: str,
    subtype: str | None,
    source: str = "model",
    score: float = 0.9,
    nth: int = 0,
) -> Span:
    i = -1
    for _ in range(nth + 1):
        i = text.index(surface, i + 1)
    return Span(i, i + len(surface), label, subtype, score, source)


def reason(
    text: str, surface: str, label: str, subtype: str | None, source: str = "model", score: float = 0.9
) -> str | None:
    return VETO.reason(text, span_of(text, surface, label, subtype, source, score))


# (text, surface, label, subtype, source, score, expected rule or None)
CASES = [
    # -- (a) no punctuation-only spans, from any source
    ("BP 120/60 HR 80", "/", "DATE", "DATE", "model", 0.9, "no_alnum"),
    ("CALL @ 5", "@", "CONTACT", "EMAIL", "regex:EMAIL", 0.9, "no_alnum"),
    ("SBP - 100", "-", "CONTACT", "PHONE", "propagate", 0.9, "no_alnum"),
    ("Seen 7/22 by Dr Dunn", "7/22", "DATE", "DATE", "model", 0.9, None),
    # -- shapes: digit types need a digit, a date a digit or a date word
    (UPPER + "UPPER 60'S/LOW 70'S", "'S", "AGE", "AGE", "model", 0.9, "shape"),
    (UPPER + "SPUTUM PROD DEC TODAY", "DEC", "DATE", "DATE", "model", 0.9, "shape"),
    (UPPER + "O2 SAT 96% ON 4L", "SAT", "DATE", "DATE", "regex:DATE_WEEKDAY", 0.85, "shape"),
    (UPPER + "SAT 96 ON 2L NC", "SAT", "DATE", "DATE", "regex:DATE_WEEKDAY", 0.85, "shape"),
    ("suctioned this eve for thick sputum", "eve", "DATE", "DATE", "model", 0.9, "shape"),
    ("Seen in May by the team", "May", "DATE", "DATE", "model", 0.9, None),
    ("HD on Sat and Tues", "Sat", "DATE", "DATE", "regex:DATE_WEEKDAY", 0.85, None),
    ("Dec 5 admit", "Dec", "DATE", "DATE", "model", 0.9, None),
    ("update to Mrs Nicholson x2", "Nicholson", "ID", "MEDICALRECORD", "model", 0.3, None),
    ("lungs clear @ bases", "bases", "CONTACT", "EMAIL", "model", 0.8, "shape"),
    ("email jdunn@mail.com", "jdunn@mail.com", "CONTACT", "EMAIL", "model", 0.8, None),
    # -- (b) numbers of clinical measurement
    ("BP 120/60 HR 80", "120/60", "DATE", "DATE", "model", 0.9, "clinical_number"),
    ("PAP 45/20, CVP 12", "45/20", "CONTACT", "PHONE", "model", 0.9, "clinical_number"),
    ("ABG 7.32/45/88/24 on AC", "7.32/45/88", "DATE", "DATE", "model", 0.9, "clinical_number"),
    (
        "gas 7.36/ 29/ 103/ -7/ 17 at 9am",
        "36/ 29/ 103/ -7/ 17",
        "DATE",
        "DATE",
        "model",
        0.9,
        "clinical_number",
    ),
    ("vent AC 500x14/+5/40% overnight", "500x14", "ID", "ACCOUNT", "regex:ACCOUNT", 0.6, "clinical_number"),
    ("PSV 10/5 tolerating well", "10/5", "DATE", "DATE", "regex:DATE_MD", 0.7, "clinical_number"),
    ("weaned down to 10/5 overnight", "10/5", "DATE", "DATE", "model", 0.9, "clinical_number"),
    ("pt on CPAP .4%, 5/10 this am", "5/10", "DATE", "DATE", "model", 0.9, "clinical_number"),
    ("BUN/Cr 40/5.0 and rising", "5", "DATE", "DATE", "model", 0.9, "clinical_number"),
    ("HR 80-90 SR", "80-90", "DATE", "DATE", "model", 0.9, "clinical_number"),
    ("rr 15-22, sats ok", "15-22", "DATE", "DATE", "model", 0.9, "clinical_number"),
    ("OOB x2 with 3-4 assist", "3-4", "DATE", "DATE", "model", 0.9, "clinical_number"),
    ("sats in the 90s on 2L", "90s", "DATE", "DATE", "regex:DATE_DECADE", 0.6, "clinical_number"),
    ("SBP 100-120s overnight", "100-120", "DATE", "DATE", "model", 0.9, "clinical_number"),
    ("O2 SATS HIGH 90'S", "90'S", "AGE", "AGE", "model", 0.9, "clinical_number"),
    ("on 4lnc, sats 95%", "4", "DATE", "DATE", "model", 0.9, "clinical_number"),
    ("fentanyl at 50mcg/hr", "50", "CONTACT", "PHONE", "model", 0.9, "clinical_number"),
    ("daughter present till approx 2030", "2030", "DATE", "DATE", "model", 0.9, "clinical_number"),
    ("MICU nursing note 7a-7p", "7", "DATE", "DATE", "model", 0.9, "clinical_number"),
    ("neg 3l since 12am", "12", "DATE", "DATE", "model", 0.9, "clinical_number"),
    (
        "transfused 1 unit 0330-0630 without incident",
        "0330-0630",
        "CONTACT",
        "PHONE",
        "model",
        0.7,
        "clinical_number",
    ),
    ("Hct had dropped from 28 today", "28", "DATE", "DATE", "model", 0.9, "clinical_number"),
    ("+4701 LOS since midnight", "4701", "CONTACT", "PHONE", "model", 0.7, "clinical_number"),
    ("PIV x2 #18 & 20 in place", "18", "ID", "BIOID", "model", 0.5, "clinical_number"),
    ("on 1/2 NS at 75cc/hr", "1/2", "DATE", "DATE", "model", 0.9, "clinical_number"),
    (
        "Tidal volumes 950-1000 on AC",
        "950-1000",
        "CONTACT",
        "PHONE",
        "regex:PHONE_7",
        0.65,
        "clinical_number",
    ),
    ("labs drawn 1830, plts 104", "1830", "DATE", "DATE", "model", 0.9, "clinical_number"),
    # kept: dates, years, phones, ages over 89
    ("PICC placed in R AC 11/17, art line", "11/17", "DATE", "DATE", "model", 0.9, None),
    ("Hct dropped from 28 on 8/19 to 20", "8/19", "DATE", "DATE", "model", 0.9, None),
    ("BP 120/60, seen 7/22/2011 by team", "7/22/2011", "DATE", "DATE", "regex:DATE_MDY", 0.96, None),
    ("s/p mastectomies 11/92, transferred", "11/92", "DATE", "DATE", "model", 0.9, None),
    ("culture from 9/2 GM + cocci", "9/2", "DATE", "DATE", "model", 0.9, None),
    ("will call family at 410-555-9876.", "410-555-9876", "CONTACT", "PHONE", "model", 0.9, None),
    ("HOME-410 671-9309 (wife)", "671-9309", "CONTACT", "PHONE", "model", 0.9, None),
    ("ADMITTED 8/25 @2330 FROM EW", "8/25", "DATE", "DATE", "model", 0.9, None),
    ("lithium toxicity-9/2/92.", "9/2/92", "DATE", "DATE", "regex:DATE_MDY", 0.96, None),
    ("in the year 1993 had chemo", "1993", "DATE", "DATE", "model", 0.9, None),
    ("admission note 2115", "2115", "DATE", "DATE", "model", 0.8, None),
    ("1->2 nov, 96 night shift", "2", "DATE", "DATE", "model", 0.9, None),
    ("drawn on the 11th from a-line", "11", "DATE", "DATE", "model", 0.9, None),
    ("pt is a 92 yo woman", "92", "AGE", "AGE", "regex:AGE_YO", 0.9, None),
    ("pt in her 90s, lives alone", "90s", "AGE", "AGE", "model", 0.9, None),
    ("resp: vented via ett 7.5 23 at lip", "23", "DATE", "DATE", "model", 0.98, "clinical_number"),
    ("ETT pulled back from 25->23 @ the lip", "25", "DATE", "DATE", "model", 0.98, "clinical_number"),
    ("CV: IABP ON 1:1, MOD AUGMENTATION", "1", "DATE", "DATE", "model", 0.7, "clinical_number"),
    ("AT 0600 PT HAD 8/10 CP, GIVEN NTG", "8/10", "DATE", "DATE", "regex:DATE_MD", 0.7, "clinical_number"),
    ("(-) 745 since 12am, tolerating", "745", "CONTACT", "PHONE", "model", 0.9, "clinical_number"),
    ("packed for 1 1/2-2h then removed", "1/2", "DATE", "DATE", "model", 0.8, "clinical_number"),
    ("HCT DEC TO 27, 1U PRBC ORDERED", "27", "DATE", "DATE", "model", 0.99, "clinical_number"),
    ("SR IN THE 90'S, AFEBRILE", "90'S", "DATE", "DATE", "model", 0.95, "clinical_number"),
    (
        "TV IMPROVED TO 900-1000. VENT WEANED",
        "900-1000",
        "CONTACT",
        "PHONE",
        "regex:PHONE_7",
        0.65,
        "clinical_number",
    ),
    ("GI=TF @ GOAL. STOOLING", "TF @ GOAL", "CONTACT", "EMAIL", "model", 0.93, "shape"),
    ("CV=AVP W RATE 70", "CV=AVP", "CONTACT", "URL", "model", 0.6, "shape"),
    ("CARE RECEIVED @ BALTIMORE VA. IDDM", "@ BALTIMORE VA.", "CONTACT", "EMAIL", "model", 0.88, None),
    ("Patient portal: bnh.health/portal.", "bnh.health/portal", "CONTACT", "URL", "model", 0.93, None),
    ("ABG W/P02 44 - CHEST CT", "P02", "NAME", "USERNAME", "model", 0.77, "username_cue"),
    ("LABS=ICA 0.98-RX", "ICA", "NAME", "USERNAME", "model", 0.44, "username_cue"),
    ("Transcribed by crb77 today", "crb77", "NAME", "USERNAME", "model", 0.6, None),
    ("RN GI32 0700-1900\n-- GI32", "GI32", "NAME", "USERNAME", "model", 0.59, None),
    ("TRANSFER TO QUARTERMAIN 2 IN AM", "2", "LOCATION", "HOSPITAL", "model", 0.4, "shape"),
    ("SERO/SANG FROM R . BOTH SITES", "R", "LOCATION", "CITY", "model", 0.8, "shape"),
    ("OCCASSIONAL PAC'S IN AM", "'S", "LOCATION", "CITY", "model", 0.4, "shape"),
    ("Room 2 on the left", "2", "LOCATION", "ROOM", "model", 0.8, None),
    ("Had a bed @ St A. but will", "A", "LOCATION", "HOSPITAL", "model", 0.6, None),
    ("CAD W CABG X5 99'. COPD", "99", "CONTACT", "PHONE", "model", 0.25, None),
    # kept: identifiers and dates that look like numbers of measurement (discharge-summary shapes)
    ("Admission Date: 2022-12-03", "2022-12-03", "DATE", "DATE", "regex:DATE_ISO", 0.97, None),
    ("MRN: 19-790-088   Acct #: P19-93341", "19-790-088", "ID", "MEDICALRECORD", "model", 0.98, None),
    ("MRN: 19-790-088   Acct #: P19-93341", "P19-93341", "ID", "IDNUM", "regex:ACCOUNT", 0.85, None),
    ("MRN: 8-757418\nALLERGIES: none", "8-757418", "ID", "MEDICALRECORD", "regex:MEDICALRECORD", 0.95, None),
    ("MRN: 9731X5093   Acct #: D130112700", "9731X5093", "ID", "MEDICALRECORD", "model", 0.98, None),
    ("member ID 7NU9-AT3-WL40.", "7NU9-AT3-WL40", "ID", "HEALTHPLAN", "regex:HEALTHPLAN", 0.88, None),
    ("Specimen Q28-2743 sent to lab", "Q28-2743", "ID", "BIOID", "regex:BIOID", 0.87, None),
    ("CLINIC PHONE 671.387.9427; FAX", "671.387.9427", "CONTACT", "PHONE", "regex:PHONE", 0.9, None),
    ("FINTAN NICHOLAS, MD\nPGR 8-9351", "8-9351", "CONTACT", "PHONE", "regex:PHONE_PAGER", 0.8, None),
    ("Tel (934) 373-2585 ext. 796", "(934) 373-2585 ext. 796", "CONTACT", "PHONE", "model", 0.98, None),
    ("e-mail: Berends50@mail.net today", "Berends50@mail.net", "CONTACT", "EMAIL", "regex:EMAIL", 0.98, None),
    ("Lakemba, CO 81508", "81508", "LOCATION", "ZIP", "regex:ZIP_STATE", 0.9, None),
    ("Lakemba, CO 81508", "CO", "LOCATION", "STATE", "model", 0.95, None),
    ("Labs (20151206): Na 130", "20151206", "DATE", "DATE", "model", 0.99, None),
    ("PER DR. CHASE'S NOTE FROM 2023, EF 35%", "2023", "DATE", "DATE", "regex:DATE_YEAR_CONTEXT", 0.75, None),
    ("Dialysis T-Th-Sa at the center", "T-Th-Sa", "DATE", "DATE", "model", 0.99, None),
    ("HD MWF AT NIXA GENERAL", "MWF", "DATE", "DATE", "model", 0.99, None),
    ("Dictated by: HA/GM/muni", "GM", "NAME", "DOCTOR", "model", 0.97, None),
    ("Dictated by: HA/GM/muni", "muni", "NAME", "USERNAME", "model", 0.8, None),
    (
        "Transcribed by wn0237 on 2018. Occupation: Ergonomist",
        "wn0237",
        "NAME",
        "USERNAME",
        "model",
        0.9,
        None,
    ),
    (
        "Holter ordered by Foley, MD. Miss Mitchell is a teacher",
        "Foley",
        "NAME",
        "DOCTOR",
        "model",
        0.98,
        None,
    ),
    (
        "oriented from 2000 to 2400. Pt slept well",
        "2000",
        "DATE",
        "DATE",
        "regex:DATE_YEAR_CONTEXT",
        0.75,
        "clinical_number",
    ),
    # -- (c) clinical vocabulary vetoes weak and modest-model NAME/LOCATION/ID evidence
    (UPPER + "SEE CAREVUE FOR DATA", "CAREVUE", "NAME", "DOCTOR", "model", 0.95, "clinical_word"),
    (UPPER + "TRANSFERRED TO MICU TODAY", "MICU", "LOCATION", "HOSPITAL", "model", 0.9, "clinical_word"),
    (UPPER + "ABG PENDING", "ABG", "NAME", "DOCTOR", "propagate", 0.9, "clinical_word"),
    (UPPER + "GI: OGT TO LCS", "GI", "NAME", "DOCTOR", "propagate", 0.9, "clinical_word"),
    (UPPER + "STARTED ON LEVOPHED GTT", "LEVOPHED", "NAME", "PATIENT", "model", 0.8, "clinical_word"),
    (UPPER + "W/PEEP5 ON 40%", "PEEP5", "NAME", "USERNAME", "model", 0.5, "clinical_word"),
    (UPPER + "A/P: STABLE", "A", "NAME", "DOCTOR", "model", 0.9, "clinical_word"),
    (UPPER + "FOLLOW I/O", "I", "NAME", "DOCTOR", "model", 0.9, "clinical_word"),
    (
        UPPER + "PT PLACED ON NIMBEX 0.18 MG/KG/HR",
        "NIMBEX",
        "LOCATION",
        "HOSPITAL",
        "model",
        0.71,
        "clinical_word",
    ),
    (
        UPPER + "SENT TO CATH LAB HOLDING AREA",
        "HOLDING",
        "LOCATION",
        "HOSPITAL",
        "model",
        0.32,
        "clinical_word",
    ),
    (UPPER + "DR BLAKE AWARE OF K 5.9", "BLAKE", "NAME", "DOCTOR", "model", 0.7, None),
    (UPPER + "WIFE EVE IN TO VISIT", "EVE", "NAME", "PATIENT", "model", 0.6, None),
    (
        "cultures drawn from the Quinton cath today",
        "Quinton",
        "NAME",
        "DOCTOR",
        "model",
        0.96,
        "clinical_word",
    ),
    (UPPER + "PT ON PASSY MUIR VALVE X2H", "PASSY MUIR", "NAME", "PATIENT", "model", 0.9, "clinical_word"),
    (UPPER + "PENROSE DRAIN IN PLACE", "PENROSE", "NAME", "PATIENT", "model", 0.56, "clinical_word"),
    ("Seen by Dr. Quinton, plan to place a line", "Quinton", "NAME", "DOCTOR", "model", 0.96, None),
    ("Dr. Foley placed a Foley catheter.", "Foley", "NAME", "DOCTOR", "model", 0.98, None),
    ("11426 lara track, rittenhouse, md 91017", "md", "LOCATION", "STATE", "model", 0.95, None),
    (UPPER + "CATH IN R. FEM, DSG DRY", "R", "NAME", "DOCTOR", "model", 0.8, "clinical_word"),
    (UPPER + "BEAR HUGGER ON FOR TEMP 35.4", "BEAR HUGGER", "NAME", "PATIENT", "model", 0.6, "clinical_word"),
    (UPPER + "HEMATOMA AROUND QUINTON SITE", "QUINTON", "NAME", "DOCTOR", "model", 0.9, "clinical_word"),
    (
        UPPER + "PT HAS R IJ QUINTON IN GOOD WORKING ORDER",
        "QUINTON",
        "NAME",
        "PATIENT",
        "model",
        0.9,
        "clinical_word",
    ),
    (UPPER + "PT HAS L SC SWAN. PA 50S", "L SC SWAN", "NAME", "DOCTOR", "model", 0.71, "clinical_word"),
    (UPPER + "SKIN CARE R/T ANASARCA.", "T ANASARCA", "NAME", "DOCTOR", "model", 0.88, "clinical_word"),
    (UPPER + "SEEN BY DR. SWAN IN AM", "SWAN", "NAME", "DOCTOR", "model", 0.9, None),
    (UPPER + "R RAD ALINE PLACED BY TEAM", "ALINE", "NAME", "DOCTOR", "model", 0.9, "clinical_word"),
    (UPPER + "T MAX 101.2, CULTURES SENT", "MAX", "NAME", "PATIENT", "model", 0.8, "clinical_word"),
    (UPPER + "SON MAX VISITED TODAY", "MAX", "NAME", "PATIENT", "model", 0.8, None),
    ("Daughter Aline at bedside this am", "Aline", "NAME", "PATIENT", "model", 0.9, None),
    (
        UPPER + "THOUGHT TO BE SEPSIS. MANUEVER X2 DONE",
        "MANUEVER",
        "NAME",
        "PATIENT",
        "model",
        0.95,
        "clinical_word",
    ),
    (UPPER + "SEEN BY DR HO TODAY", "HO", "NAME", "DOCTOR", "regex:DOCTOR_TITLE", 0.85, None),
    (UPPER + "SEE CAREVUE FOR DATA", "CAREVUE", "NAME", "DOCTOR", "model", 0.995, None),
    (UPPER + "Q. LANDER RRT", "Q.", "NAME", "DOCTOR", "model", 0.9, None),
    (UPPER + "WIFE MARY AT BEDSIDE", "MARY", "NAME", "PATIENT", "model", 0.9, None),
    (UPPER + "TO CALVERT HOSP TODAY", "CALVERT", "LOCATION", "HOSPITAL", "model", 0.7, None),
    # -- lower-case names in a mixed-case note; model names without any cue
    (
        "Pt seen by Dr. Dunn. See careview for vitals, green box placed by team.",
        "green box",
        "NAME",
        "DOCTOR",
        "model",
        0.7,
        "lower_case",
    ),
    (
        "Pt seen by Dr. Dunn. See careview for vitals, green box placed by team.",
        "green box",
        "NAME",
        "DOCTOR",
        "model",
        0.95,
        None,
    ),
    (
        "pt seen by dr dunn. see careview for vitals, green box placed by team.",
        "green box",
        "NAME",
        "DOCTOR",
        "model",
        0.7,
        None,
    ),
    (
        UPPER + "PURPLE TOP SENT FOR TEMP 35.4. WILL CONTINUE TO MONITOR.",
        "PURPLE TOP",
        "NAME",
        "PATIENT",
        "model",
        0.6,
        "no_name_cue",
    ),
    (
        UPPER + "SPOKE WITH WIFE ROSALIND ABOUT PLAN. WILL CONTINUE.",
        "ROSALIND",
        "NAME",
        "PATIENT",
        "model",
        0.6,
        None,
    ),
    (
        UPPER + "LINDSEY CARDARELLI CALLED TO BEDSIDE. WILL CONTINUE.",
        "LINDSEY CARDARELLI",
        "NAME",
        "DOCTOR",
        "model",
        0.6,
        None,
    ),
    (
        UPPER + "PURPLE TOP SENT FOR TEMP 35.4. WILL CONTINUE TO MONITOR.",
        "PURPLE TOP",
        "NAME",
        "PATIENT",
        "model",
        0.85,
        None,
    ),
]


@pytest.mark.parametrize(("text", "surface", "label", "subtype", "source", "score", "expected"), CASES)
def test_clinical_veto_rules(
    text: str, surface: str, label: str, subtype: str | None, source: str, score: float, expected: str | None
) -> None:
    assert reason(text, surface, label, subtype, source, score) == expected


def test_deny_list_spans_are_never_vetoed() -> None:
    assert reason("BP 120/60", "120/60", "DATE", "DATE", "deny", 1.0) is None


@pytest.mark.parametrize(
    ("text", "mixed"),
    [
        ("Pt seen by Dr. Dunn this morning, see careview for vitals.", True),
        ("PT SEEN BY DR DUNN THIS MORNING, SEE CAREVUE FOR VITALS.", False),
        ("pt seen by dr dunn this morning, see careview for vitals.", False),
        ("Pt ok", False),
    ],
)
def test_is_mixed_case(text: str, mixed: bool) -> None:
    assert is_mixed_case(text) is mixed


@pytest.mark.parametrize(
    ("text", "word", "expected"),
    [
        ("HR in the 80s", "80s", True),
        ("Hct had dropped from 28", "28", True),
        ("cultures sent on 8/7", "8/7", False),
        ("HR 80. Seen 7/22 by Dr X", "7/22", False),
    ],
)
def test_measure_context(text: str, word: str, expected: bool) -> None:
    assert measure_context(text, text.index(word)) is expected


@pytest.fixture(scope="module")
def layer() -> HybridLayer:
    return HybridLayer(EngineConfig())


def _final(layer: HybridLayer, text: str, spans: list[Span]) -> list[str]:
    doc = Document("n", text)
    return [text[s.start : s.end] for s in layer.postprocess(doc, spans + layer.detect(doc))]


def test_layer_vetoes_before_propagation(layer: HybridLayer) -> None:
    # a confident model 'ABG' would otherwise be trusted and marked at every occurrence
    text = UPPER + "ABG PENDING. REPEAT ABG AT 0400. BP 120/60. SEEN BY DR DUNN 7/22."
    model = [
        span_of(text, "ABG", "NAME", "DOCTOR", score=0.95),
        span_of(text, "120/60", "DATE", "DATE"),
        span_of(text, "DUNN", "NAME", "DOCTOR", score=0.97),
    ]
    assert _final(layer, text, model) == ["DUNN", "7/22"]


def test_clinical_veto_can_be_switched_off() -> None:
    off = HybridLayer(EngineConfig.from_overrides(["hybrid.clinical_veto=false"]))
    text = UPPER + "BP 120/60 TODAY."
    assert _final(off, text, [span_of(text, "120/60", "DATE", "DATE")]) == ["120/60"]


@pytest.mark.parametrize(
    ("floors", "kept"),
    [
        ({}, ["Dunn", "7/22"]),
        ({"DOCTOR": 0.8}, ["7/22"]),
        ({"NAME": 0.8}, ["7/22"]),
        ({"NAME": 0.8, "DOCTOR": 0.5}, ["Dunn", "7/22"]),
    ],
)
def test_model_min_scores_per_category_and_subtype(floors: dict[str, float], kept: list[str]) -> None:
    import json

    lay = HybridLayer(EngineConfig.from_overrides([f"hybrid.model_min_scores={json.dumps(floors)}"]))
    text = "Pt seen by Xai Dunn on 7/22 for follow up."
    spans = [
        span_of(text, "Dunn", "NAME", "DOCTOR", score=0.6),
        span_of(text, "7/22", "DATE", "DATE", score=0.6),
    ]
    assert _final(lay, text, spans) == kept


def test_name_dropping_rules_are_opt_in() -> None:
    from engine.hybrid.clinical import DEFAULT_RULES

    assert "lower_case" not in DEFAULT_RULES and "no_name_cue" not in DEFAULT_RULES
    assert EngineConfig().hybrid.clinical_rules == DEFAULT_RULES
    default = ClinicalVeto(load_clinical())
    text = UPPER + "PURPLE TOP SENT FOR TEMP 35.4. WILL CONTINUE TO MONITOR."
    assert default.reason(text, span_of(text, "PURPLE TOP", "NAME", "PATIENT", score=0.6)) is None


def test_unknown_rule_is_refused() -> None:
    from engine.errors import ConfigError

    with pytest.raises(ConfigError, match="E423"):
        ClinicalVeto(frozenset(), rules=("nope",))


@pytest.mark.parametrize(
    ("word", "clinical"),
    [
        ("flecainade", True),  # flecainide, one edit
        ("meropenum", True),
        ("deminished", True),
        ("levophed", True),
        ("peep5", True),
        ("abg", True),
        # names stay names, also near a clinical word
        ("robertson", False),
        ("gallagher", False),
        ("christopher", False),
        ("degiorgio", False),
        ("levin", False),  # short words are never fuzzy-matched
    ],
)
def test_clinical_words_and_their_misspellings(word: str, clinical: bool) -> None:
    assert VETO.is_clinical(word) is clinical


def test_vocabulary_spares_common_names() -> None:
    """Of faker's first and last names, only the few that are also charting words are in the vocabulary,
    and those needing context (NAME_LIKE) are vetoed only next to a clinical word."""
    import importlib

    from engine.hybrid.clinical import NAME_LIKE

    pytest.importorskip("faker")

    names: set[str] = set()
    for loc in ("en_US", "en_GB", "es_MX", "it_IT", "de_DE", "fr_FR"):
        prov = importlib.import_module(f"faker.providers.person.{loc}").Provider
        names |= {w.lower() for w in [*getattr(prov, "first_names", ()), *getattr(prov, "last_names", ())]}
    hits = {w for w in names if VETO.is_clinical(w)} - NAME_LIKE
    assert hits <= {"ho", "berg", "perla", "winters"}, sorted(hits)


# -- common words of clinical English (data/lists/common.txt): exact matches only, never names or places
COMMON = ClinicalVeto(load_clinical(), rules=RULES, places=load_places(), common=load_common())


@pytest.mark.parametrize(
    ("word", "common"),
    [
        ("pursue", True),
        ("complete", True),
        ("yesterday", True),
        ("rhythm", True),
        # names and places are never common words, however often the bases use them
        ("seattle", False),
        ("will", False),
        ("hope", False),
        ("brown", False),
        ("regional", False),  # a hospital-name word
        ("memorial", False),
    ],
)
def test_common_words_exclude_names_and_places(word: str, common: bool) -> None:
    assert (word in load_common()) is common


def test_common_words_are_not_fuzzy_matched() -> None:
    """'seattle' is two edits from 'settled': a misspelling match over thousands of common words would
    veto real places, so common words match exactly."""
    assert "settled" in load_common()
    assert not COMMON.is_clinical("seattle")
    assert COMMON.is_clinical("settled")


@pytest.mark.parametrize(
    ("text", "surface", "label", "subtype", "score", "expected"),
    [
        ("pt will pursue hospice. family aware", "pursue", "NAME", "PATIENT", 0.8, "clinical_word"),
        ("REPORT GIVEN, TRANSFER COMPLETE.", "COMPLETE", "LOCATION", "HOSPITAL", 0.7, "clinical_word"),
        ("Sister lives in Seattle, visiting.", "Seattle", "LOCATION", "CITY", 0.7, None),
        ("Pt seen by Dr. Brown today.", "Brown", "NAME", "DOCTOR", 0.7, None),
    ],
)
def test_common_words_veto_weak_names_and_places(
    text: str, surface: str, label: str, subtype: str, score: float, expected: str | None
) -> None:
    assert COMMON.reason(text, span_of(text, surface, label, subtype, "model", score)) == expected
    assert VETO.reason(text, span_of(text, surface, label, subtype, "model", score)) is None  # without


def test_common_words_can_be_switched_off() -> None:
    on = HybridLayer(EngineConfig())
    off = HybridLayer(EngineConfig.from_overrides(["hybrid.common_words=false"]))
    assert "pursue" in on.common and not off.common


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("ABG 7.42/40/99. PSV increased to 10/5 overnight to rest.", "10/5"),
        ("CPAP 5/5 WITH GOOD ABG. PS DECREASED TO 8/5 THIS AM.", "8/5"),
        ("PSV now 12/5, tolerating well", "12/5"),
    ],
)
def test_slash_settings_after_a_change_verb(text: str, surface: str) -> None:
    assert reason(text, surface, "DATE", "DATE", "regex:DATE_MD", 0.7) == "clinical_number"


@pytest.mark.parametrize(
    ("text", "surface", "expected"),
    [
        ("Pt had episode of desating to the 70s, recruitment done", "70s", "clinical_number"),
        ("Seen on 10/5 by the team, follow up 8/5.", "10/5", None),  # dates with no setting word stay
    ],
)
def test_decades_after_desaturation_and_plain_dates(text: str, surface: str, expected: str | None) -> None:
    assert reason(text, surface, "DATE", "DATE", "regex:DATE_DECADE", 0.6) == expected


@pytest.mark.parametrize(
    ("text", "surface", "label", "subtype", "expected"),
    [
        (UPPER + "MAE, PEARL. SEDATED ON PROPOFOL", "PEARL", "NAME", "PATIENT", "clinical_word"),
        ("neuro: mae, pearl, follows commands", "pearl", "NAME", "DOCTOR", "clinical_word"),
        ("Daughter Pearl visited this afternoon", "Pearl", "NAME", "PATIENT", None),  # a name cue
        ("R IJ quinton capped and flushed", "quinton", "NAME", "DOCTOR", "clinical_word"),
        ("Seen by Dr. Swan, cardiology", "Swan", "NAME", "DOCTOR", None),  # after a title
        ("SR WITH RUNS OF AIVR, HO AWARE", "AIVR", "LOCATION", "HOSPITAL", "clinical_word"),
        ("Increase lente dose in am", "lente", "NAME", "DOCTOR", "clinical_word"),
        ("drsg CDI, changed QD", "CDI", "NAME", "DOCTOR", "clinical_word"),
        ("Pt is from Lima, Peru", "Lima", "LOCATION", "CITY", None),
    ],
)
def test_charting_words_and_eponyms(
    text: str, surface: str, label: str, subtype: str, expected: str | None
) -> None:
    assert reason(text, surface, label, subtype, "model", 0.9) == expected


@pytest.mark.parametrize(
    ("text", "surface", "expected"),
    [
        ("clear per NP Patty CXR improved", "Patty CXR", "Patty"),
        ("ABG SENT. HCT Jones PENDING", "HCT Jones", "Jones"),
        ("Seen by Mary Brown today", "Mary Brown", "Mary Brown"),  # a surname that is a word stays
        ("Pt seen by Max Day", "Max Day", "Max Day"),  # name-like words are never trimmed
    ],
)
def test_clinical_words_trimmed_from_name_edges(text: str, surface: str, expected: str) -> None:
    out = VETO.apply(text, [span_of(text, surface, "NAME", "DOCTOR", "model", 0.995)])
    assert [text[s.start : s.end] for s in out] == [expected]


def test_regex_names_are_not_trimmed() -> None:
    text = "Dr. Patty CXR"
    out = VETO.apply(text, [span_of(text, "Patty CXR", "NAME", "DOCTOR", "regex:DOCTOR_TITLE", 0.9)])
    assert [text[s.start : s.end] for s in out] == ["Patty CXR"]
