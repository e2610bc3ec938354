"""Base clinical texts (ACI-Bench notes, MTS-Dialog sections) with their own PHI found and marked.

The base notes carry fictional names, ages and dates that are *not* annotated. Left in, they teach
the model to skip PHI. :func:`scrub` finds them (with the ACI metadata's patient name) and turns
each into a placeholder segment that the generator later fills with a labelled surrogate.

Example:
    >>> segs = scrub("Martha Collins is a 50-year-old female seen 03/22/2021.", "Martha", "Collins")
    >>> [k for _, k in segs if k]
    ['@PATIENT_FULL', '@AGE', '@DATE']
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError

#: Which source files feed which split (dev uses different base notes from train).
ACI_FILES = {
    "train": ("train", "clinicalnlp_taskB_test1", "clinicalnlp_taskC_test2"),
    "dev": ("valid", "clef_taskC_test3"),
}
MTS_FILES = {
    "train": ("MTS-Dialog-TrainingSet", "MTS-Dialog-TestSet-2-MEDIQA-Sum-2023"),
    "dev": ("MTS-Dialog-ValidationSet", "MTS-Dialog-TestSet-1-MEDIQA-Chat-2023"),
}

MTS_HEADERS = {
    "GENHX": "HISTORY OF PRESENT ILLNESS",
    "PASTMEDICALHX": "PAST MEDICAL HISTORY",
    "FAM/SOCHX": "SOCIAL HISTORY",
    "PASTSURGICAL": "PAST SURGICAL HISTORY",
    "ROS": "REVIEW OF SYSTEMS",
    "CC": "CHIEF COMPLAINT",
    "MEDICATIONS": "MEDICATIONS",
    "ALLERGY": "ALLERGIES",
    "ASSESSMENT": "ASSESSMENT",
    "PLAN": "PLAN",
    "EXAM": "PHYSICAL EXAMINATION",
    "DIAGNOSIS": "DIAGNOSIS",
    "DISPOSITION": "DISPOSITION",
    "PROCEDURES": "PROCEDURES",
    "IMMUNIZATIONS": "IMMUNIZATIONS",
    "LABS": "LABORATORY DATA",
    "IMAGING": "IMAGING",
    "GYNHX": "GYNECOLOGIC HISTORY",
    "OTHER_HISTORY": "OTHER HISTORY",
    "EDCOURSE": "ED COURSE",
}


@dataclass(frozen=True)
class BaseNote:
    """One base text with the metadata that helps find its PHI."""

    id: str
    source: str  # "aci" or "mts"
    text: str
    first: str = ""
    last: str = ""
    sex: str = ""
    age: str = ""


def load_bases(data_dir: Path, split: str) -> list[BaseNote]:
    """Read the ACI-Bench notes and MTS-Dialog sections assigned to ``split``.

    Raises:
        InputError: when the data folder lacks the expected files.
    """
    aci_dir = data_dir / "aci-bench" / "challenge_data"
    mts_dir = data_dir / "mts-dialog" / "Main-Dataset"
    out: list[BaseNote] = []
    try:
        for name in ACI_FILES[split]:
            meta = {r["encounter_id"]: r for r in csv.DictReader(open(aci_dir / f"{name}_metadata.csv"))}
            for r in csv.DictReader(open(aci_dir / f"{name}.csv")):
                m = meta.get(r["encounter_id"], {})
                out.append(
                    BaseNote(
                        f"aci:{name}:{r['encounter_id']}",
                        "aci",
                        r["note"].strip(),
                        m.get("patient_firstname", "").strip(),
                        m.get("patient_familyname", "").strip(),
                        m.get("patient_gender", "").strip(),
                        m.get("patient_age", "").strip(),
                    )
                )
        for name in MTS_FILES[split]:
            for r in csv.DictReader(open(mts_dir / f"{name}.csv")):
                text = r["section_text"].strip()
                if len(text) < 40:
                    continue
                header = MTS_HEADERS.get(
                    r["section_header"].strip().upper(), r["section_header"].strip().upper()
                )
                out.append(BaseNote(f"mts:{name}:{r['ID']}", "mts", f"{header}:\n{text}"))
    except FileNotFoundError as e:
        raise InputError(
            "E950",
            f"base data file missing: {e.filename}",
            fix="Pass --data-dir (or set DEID_DATA_DIR) to a folder with aci-bench/ and mts-dialog/, laid "
            "out as training/synth/data/bases/ in a clone of the repository.",
        ) from e
    return out


_MONTH = (
    r"(?:January|February|March|April|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_TITLE_NAME = r"[A-Z][a-z]+(?:['\-][A-Z]?[a-z]+)?"
_STOP_NAMES = frozenset(
    {
        "The",
        "This",
        "He",
        "She",
        "They",
        "It",
        "We",
        "And",
        "In",
        "On",
        "At",
        "Is",
        "Has",
        "Was",
        "Will",
        "Of",
        "For",
        "To",
        "With",
        "As",
        "Patient",
        "Pt",
        "Who",
        "Baby",
        "Child",
        "Today",
        "Here",
        "There",
        "Next",
        "Our",
        "His",
        "Her",
        "Mother",
        "Father",
        "Son",
        "Daughter",
        "Wife",
        "Husband",
        "That",
        "What",
        "Which",
    }
)

_DEPT_WORDS = frozenset(
    "The This Our Pulmonary Pediatric Medicine Surgical Outpatient Psychiatry Cardiology Oncology Emergency "
    "Cancer Heart Wound Sleep Dialysis Eye Bariatric Trauma Women's Children's Rehabilitation Urgent "
    "Family Primary Internal General Medical Care Health Regional Community University County".split()
)

# Occupations and countries the base notes mention in passing ("he had been a feed salesman", "grew up
# in the Philippines") are PHI in i2b2 2014 (PROFESSION, COUNTRY) and get labelled and replaced too;
# unlabelled, they would teach the model (and the evaluation) that they are not PHI.
_JOBS = (
    "farmer|homemaker|housewife|salesman|saleswoman|salesperson|teacher|paralegal|musician|secretary|cook|chef"
    "|mechanic|electrician|plumber|carpenter|cashier|accountant|lawyer|attorney|engineer|firefighter"
    "|police officer|truck driver|bus driver|postal worker|mail carrier|construction worker|waitress|waiter"
    "|bartender|hairdresser|barber|janitor|custodian|librarian|pharmacist|dentist|veterinarian|pilot"
    "|painter|welder|machinist|programmer|architect|banker|realtor|landscaper|roofer|nanny|babysitter"
    "|professor|instructor|coach|athlete|runner|dancer|singer|writer|journalist|photographer|designer"
)
_COUNTRIES = (
    "Philippines|Mexico|China|India|Vietnam|Japan|Korea|Canada|Germany|France|Italy|Brazil|Cuba|Haiti"
    "|Ireland|England|Russia|Poland|Guatemala|Honduras|Nigeria|Ghana|Kenya|Egypt|Iran|Iraq|Pakistan"
    "|Israel|Greece|Spain|Portugal|Jamaica|Puerto Rico|Dominican Republic|El Salvador|Colombia|Peru"
    "|Ecuador|Thailand|Cambodia|Laos|Taiwan|Afghanistan|Syria|Ukraine|Somalia|Ethiopia"
)

_PATTERNS: list[tuple[str, str]] = [
    (
        "PROF",
        rf"\b(?:[Ww]orks?\sas\san?|[Ww]orked\sas\san?|is\san?|was\san?|been\san?|[Rr]etired|[Pp]art-time"
        rf"|[Ff]ull-time|[Ff]ormer)\s(?:[a-z]+\s)?(?P<prof>(?i:{_JOBS}))\b",
    ),
    # "quit '92", "viral load in 08/07": apostrophe years and month/yy after "in" (no \b before "'")
    ("DATEX", r"(?P<date2>(?<![\w'])'\d\d(?![\w'])|(?<=\bin\s)(?:0?[1-9]|1[0-2])/\d\d(?![\d/]))"),
    ("COUNTRYB", rf"\b(?:in|from|to|In|From)\s(?:the\s)?(?P<ctry>{_COUNTRIES})\b"),
    # "Christine Hernandez is a 43-year-old": the metadata name does not always match the note
    (
        "INTRO",
        r"(?<![A-Za-z] )\b(?P<pname>[A-Z][a-z]+(?:\s[A-Z][a-z'\-]+)?)"
        r"(?=\s+is\s+an?\s+(?:(?:very\s+)?pleasant\s+)?\d)",
    ),
    # MTS-Dialog's own anonymisation placeholders: "ABCD General Hospital", "Dr. XYZ"
    (
        "HOSPPLC",
        r"\b(?P<hosp>(?:ABCD?|XYZ)\s(?:General\s)?(?:Hospital|Medical\sCenter|Clinic|Practice|[Oo]rthopedics))\b",
    ),
    # real facility names left in the base notes ("St. Thomas Memorial Hospital", "Life Care Center")
    (
        "FACILITY",
        r"\b(?P<fac>(?:St\.\s)?(?:[A-Z][a-z]+\s){1,3}(?:Memorial\s)?"
        r"(?:Hospital|Medical\sCenter|Care\sCenter|Nursing\sHome|Health\sSystem|Rehabilitation\sCenter))\b",
    ),
    (
        "TITLED",
        rf"\b(?P<title>(?:Mr|Mrs|Ms|Miss|Dr|Doctor)\.?\s)"
        rf"(?P<tname>{_TITLE_NAME}(?:\s{_TITLE_NAME}){{0,2}}|(?:ABCD?|XYZ)(?:\s{_TITLE_NAME})?|X(?=[\s,.]))\b",
    ),
    (
        "AGE",
        r"(?<![\d/.])\b(?P<age>\d{1,3}(?:[-\s]\d/\d|\.\d)?)(?=(?:-|\s)?(?:(?:year|yr|month|week|day)s?(?:-|\s)old|y/o|y\.o\.|yo\b"
        r"|(?:-|\s)years?\sof\sage))|\b(?:[Aa]ge(?:d|s|\sof)?|AGE|died\sat|passed\saway\sat)\s(?P<age2>\d{1,3}(?:\.\d)?)\b(?![./]\d)|\b(?:his|her|their|mid|late|early)[\s-](?P<age3>\d0'?s)\b",
    ),
    (
        "DATE",
        rf"\b(?P<date>{_MONTH}\sof\s(?:19|20)\d\d|{_MONTH}(?:\s\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s(?:19|20)\d\d)?"
        r"|May\s\d{1,2}(?:st|nd|rd|th)?(?:,?\s(?:19|20)\d\d)?"
        r"|\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})|\d{1,2}/(?:19|20)\d\d|\d{4}-\d\d-\d\d"
        r"|(?:19|20)\d\d(?!\s*(?:mg|mcg|units|ml|cc|g|kg|IU)\b)"
        r"|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)s?"
        r"|Christmas(?:\sEve)?|Thanksgiving|Easter|Halloween|New\sYear's(?:\s(?:Day|Eve))?"
        r"|(?:Labor|Memorial|Independence|Valentine's|Mother's|Father's)\sDay|Fourth\sof\sJuly)\b",
    ),
]


def _compile(first: str, last: str) -> re.Pattern[str]:
    parts = []
    if first and last:
        parts.append(rf"(?P<full>\b{re.escape(first)}\s+{re.escape(last)}\b)")
    parts += [p for _, p in _PATTERNS]
    if first:
        parts.append(rf"(?P<first>\b{re.escape(first)}\b)")
    if last:
        parts.append(rf"(?P<last>\b{re.escape(last)}\b)")
    return re.compile("|".join(parts))


_CACHE: dict[tuple[str, str], re.Pattern[str]] = {}


def scrub(text: str, first: str = "", last: str = "") -> list[tuple[str, str | None]]:
    """Split ``text`` into plain segments and placeholder segments for the PHI it already holds.

    Placeholder kinds: ``@PATIENT_FULL``, ``@PATIENT_FIRST``, ``@PATIENT_LAST``, ``@DOCTOR``
    (after Dr./Doctor, the title stays plain text), ``@PERSON`` (after Mr./Ms.), ``@AGE``, ``@DATE``,
    ``@PROFESSION`` (after an occupation cue), ``@COUNTRYNAME``.
    The placeholder segment keeps the original surface as its text.
    """
    key = (first, last)
    rx = _CACHE.get(key)
    if rx is None:
        rx = _CACHE[key] = _compile(first, last)
    out: list[tuple[str, str | None]] = []
    pos = 0
    for m in rx.finditer(text):
        g = m.lastgroup
        if m.group("tname") is not None:
            name = m.group("tname")
            if name.split()[0] in _STOP_NAMES:
                continue
            toks = name.split()
            while len(toks) > 1 and toks[-1] in _STOP_NAMES:  # "Dr. Kumar In the office" -> "Kumar"
                toks.pop()
            name = " ".join(toks)
            title = m.group("title")
            out.append((text[pos : m.start()] + title, None))
            kind = "@DOCTOR" if title.lower().startswith(("dr", "doctor")) else "@PERSON"
            out.append((name, kind))
            pos = m.start("tname") + len(name)
            continue
        elif m.group("fac") is not None:
            prefix = m.group("fac").split()[:-2] or m.group("fac").split()[:1]
            if set(prefix) <= _DEPT_WORDS or prefix[0] in ("The", "This", "Our"):
                continue  # generic ("the Community Hospital") or a department, not a named facility
            out += [(text[pos : m.start()], None), (m.group("fac"), "@HOSPITAL")]
        elif m.group("hosp") is not None:
            out += [(text[pos : m.start()], None), (m.group("hosp"), "@HOSPITAL")]
        elif m.group("pname") is not None:
            name = m.group("pname")
            if name.split()[0] in _STOP_NAMES:
                continue
            kind = "@PATIENT_FULL" if " " in name else "@PATIENT_FIRST"
            out += [(text[pos : m.start()], None), (name, kind)]
        elif m.group("age") is not None or m.group("age2") is not None:
            grp = "age" if m.group("age") is not None else "age2"
            out += [(text[pos : m.start(grp)], None), (m.group(grp), "@AGE")]
            pos = m.end(grp)
            continue
        elif m.group("date2") is not None:
            out += [(text[pos : m.start()], None), (m.group("date2"), "@DATE")]
        elif m.group("prof") is not None:
            out += [(text[pos : m.start("prof")], None), (m.group("prof"), "@PROFESSION")]
            pos = m.end("prof")
            continue
        elif m.group("ctry") is not None:
            out += [(text[pos : m.start("ctry")], None), (m.group("ctry"), "@COUNTRYNAME")]
            pos = m.end("ctry")
            continue
        elif m.group("age3") is not None:
            out += [(text[pos : m.start("age3")], None), (m.group("age3"), "@AGEDECADE")]
        elif m.group("date") is not None:
            out += [(text[pos : m.start()], None), (m.group("date"), "@DATE")]
        else:
            kind = {"full": "@PATIENT_FULL", "first": "@PATIENT_FIRST", "last": "@PATIENT_LAST"}.get(g or "")
            if kind is None:
                continue
            out += [(text[pos : m.start()], None), (m.group(), kind)]
        pos = m.end()
    out.append((text[pos:], None))
    return [(t, k) for t, k in out if t]


_HEADER = re.compile(r"^[A-Z][A-Z /&\-]{2,40}:?$")


def paragraphs(text: str) -> list[str]:
    """Split a note into blank-line separated blocks, keeping each section header with its body."""
    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", text) if b.strip()]
    merged: list[str] = []
    carry = ""
    for b in blocks:
        if _HEADER.match(b.strip()):
            carry += b + "\n\n"
            continue
        merged.append(carry + b)
        carry = ""
    if carry:
        merged.append(carry.rstrip())
    return merged
