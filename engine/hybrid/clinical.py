"""Clinical-content vetoes: the numbers and words of a clinical note that are not PHI.

Real ICU notes are dense with measurements and charting words that a PHI model, trained on text
without them, takes for dates, phones, names and places. :class:`ClinicalVeto` removes a candidate
span before resolution when one of these rules fires (each rule is a small function returning its
name, tested on its own):

* ``no_alnum``: a span with no letter or digit is never PHI (any source).
* ``shape``: a PHONE, FAX, ID, ZIP or AGE span holds a digit; a DATE span holds a digit or a date
  word (month, weekday, season, holiday); a lone ambiguous month or weekday abbreviation ('dec'
  for decreased, 'SAT 96' for saturation) is not a date without a number next to it.
* ``clinical_number``: a number-shaped DATE, CONTACT, ID, AGE or ZIP span that is a measurement:
  slash chains that are not dates ('119/51/7.39', '120/60'), decimals in a slash or dash form,
  ranges and slash values after a vital or ventilator word ('HR 80-90', 'PSV 10/5'), decades of
  vitals ("sats in the 90s", 'SBP 100-120s'), values with units or doses ('4L', '50mcg', '40%'),
  clock times ('at 2030', '7a-7p', '12am'), and numbers after a lab or vital word ('Hct 28').
  A full date with a year (7/22/2011) or a month word is never vetoed by this rule.
* ``clinical_word``: a NAME, LOCATION, ID or CONTACT span made only of clinical vocabulary
  (``data/lists/clinical.txt``: system headers, unit names, charting words, labs, devices, drugs),
  numbers and punctuation, when its evidence is weak (lists, propagation, extraction) or a model
  score below ``model_below``. Templates (a name after 'Dr.') and deny-list spans stand.

Deny-list spans are never vetoed (the user said they are PHI).

Example:
    >>> veto = ClinicalVeto(frozenset({"abg", "micu"}))
    >>> text = "BP 120/60, ABG 7.32/45/88. To MICU 7/22/2011."
    >>> spans = [Span(3, 9, "DATE", "DATE", 0.9, "model"), Span(15, 25, "DATE", "DATE", 0.8, "model"),
    ...          Span(30, 34, "LOCATION", "HOSPITAL", 0.7, "model"),
    ...          Span(35, 44, "DATE", "DATE", 0.97, "regex:X")]
    >>> [text[s.start:s.end] for s in veto.apply(text, spans)]
    ['7/22/2011']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from engine.errors import ConfigError
from engine.hybrid.lists import LIST_DIR, read_terms
from engine.types import Span

DEFAULT_CLINICAL = LIST_DIR / "clinical.txt"
DEFAULT_COMMON = LIST_DIR / "common.txt"
#: The rules, in the order they are tried (``hybrid.clinical_rules`` picks a subset).
RULES: tuple[str, ...] = (
    "no_alnum",
    "shape",
    "clinical_number",
    "clinical_word",
    "username_cue",
    "lower_case",
    "no_name_cue",
)
#: The rules on by default: the two that drop weakly held names (lower_case, no_name_cue) cost PHI
#: mentions on held-out patients (docs/real-notes.md) and are opt-in.
DEFAULT_RULES: tuple[str, ...] = RULES[:5]

MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
WEEKDAYS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed weds thu thur thurs "
    "fri sat sun mondays tuesdays wednesdays thursdays fridays saturdays sundays".split()
)
#: Dialysis-style weekday schedules: 'MWF', 'TTHS', 'T-Th-Sa', 'tu/th/sa'.
_SCHEDULE = re.compile(r"(?i)(?:m|tu?|w|th|f|sa?|su)(?:[/-]?(?:m|tu?|w|th|f|sa?|su)){1,6}")
DATE_WORDS = (
    MONTHS
    | WEEKDAYS
    | frozenset(
        "spring summer fall autumn winter christmas xmas thanksgiving easter halloween hanukkah "
        "chanukah passover ramadan kwanzaa year years new memorial labor independence".split()
    )
)
#: Month or weekday abbreviations that are also clinical words ('dec' = decreased, 'sat' = saturation).
AMBIGUOUS_DATE_WORDS = frozenset(
    "dec mar may sat sun wed mon tue thu fri jun jan feb apr aug sep sept oct nov".split()
)

#: Times of day and relative days: not dates on their own ('this eve', 'noc').
TIME_WORDS = frozenset(
    "eve eves evening evenings morning mornings night nights noc overnight afternoon tonight today tomorrow "
    "yesterday weekend week weeks month months day days shift am pm mn noon midnight now tonite nite "
    "eves".split()
)
#: Words after which a number is a measurement (vitals, hemodynamics, ventilation, labs).
MEASURE_WORDS = frozenset(
    """hr bp sbp dbp map maps nbp abp art aline rr resp resps sat sats spo2 sao2 svo2 scvo2 o2 fio2 peep
    psv ps cpap bipap ac simv imv prvc aprv tv tvs vt vts mv pip pips plat rsbi cvp pcwp wedge pap paps pad
    pas pa ci co
    svr pvr icp cpp temp tmax t hct hgb hb wbc plt plts inr ptt bun cr creat k na cl hco3 co2 mg ca phos
    glucose gluc fs fsbs fsbg bs bg lactate lac ck cpk mb trop troponin bnp ldh alt ast bili tbili amylase
    lipase albumin alb ph pco2 po2 pao2 paco2 abg abgs vbg gas gases lytes u uo urine output ivf gtt drip
    rate weight wt ht iabp augmentation pulse pulses cuff ef nif rsbi etco2 pressure pressures pressors
    fick td cardiac index systolic systolics diastolic diastolics sys hemodynamics pcwps cvps ra rv lv act
    desat desats desatted desating desatting desaturating desaturated desaturation febrile afebrile
    variable ranged running tidal volume
    volumes
    vol vols sr nsr st sb af afib aflutter rhythm rates""".split()
)
#: Words that may sit between a measurement word and its number ('HR in the 80s', 'Hct dropped from 28').
FILLER_WORDS = frozenset(
    """in the of at to from was were is are be been has had have with w and or on off up down now still
    remains remained remaining ranging range between b/w about around approx approximately ~ high low mid
    upper lower dropped drop dropping increased increase decreased decrease went go going back this am pm
    today overnight noted sustaining sustained maintained maintaining > < s gradually mostly all dec inc
    decr incr improved improving weaned""".split()
)
#: Words just before a clock time.
TIME_CUES = frozenset(
    "at @ since until till by around approx approximately before after from to ~ starting drawn due written "
    "extub extubated intubated present started given done checked sent called arrived changed repeat "
    "post".split()
)
_UNIT = re.compile(
    r"(?:mcg|mg|gm|g|kg|ml|cc|l(?:nc|np|fm|ftm|pm)?|liters?|meq|mmol|u|units?|iu|mmhg|cmh2o|cm|mm|hrs?|h|mins?|bpm|x|nc|lnc|"
    r"%|degrees?|deg|puffs?|tabs?|amps?|grams?|ounces?|oz|lbs?|fr|french|k|ps|peep|psv|ips|cpap)(?![a-z])"
)
_TIME_SUFFIX = re.compile(r"\s?(?:am|pm|a\.m\.|p\.m\.|hrs?)(?![a-z])|(?:a|p|h|mn)(?![a-z])")
_RUN_CHARS = frozenset("0123456789./:-+")
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_WORD_BACK = re.compile(r"[A-Za-z][A-Za-z0-9]*|[0-9]+(?:\.[0-9]+)?%?|[@~><=:/+-]")
_FULL_DATE = re.compile(
    r"(?<![0-9])(0?[1-9]|1[0-2])([/.-])(0?[1-9]|[12][0-9]|3[01])\2([0-9]{2}|[0-9]{4})(?![0-9])"
)
#: A month/day date with a typo in its year separator ('11/21.93').
_LOOSE_DATE = re.compile(r"(0?[1-9]|1[0-2])/(0?[1-9]|[12][0-9]|3[01])[.-]([0-9]{2}|[0-9]{4})")
#: Cues after which even a year-shaped number is a clock time ('@ 2030', 'present 1910').
_CLOCK_CUES = TIME_CUES - frozenset("from to by since until till before after".split())
#: Vent settings and doses written with 'x': '700x10', '12X450X40', '800x60x10' (not an ID like 9731X5093).
_TIMES = re.compile(r"(?<![0-9A-Za-z])[0-9]{1,4}(?:[xX*][0-9]{1,3}){1,3}(?![0-9])")
_ISO_DATE = re.compile(r"(?:19|20|21)[0-9]{2}-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12][0-9]|3[01])")
#: Place subtypes that may be written in digits alone.
_NUMBERED_PLACES = frozenset({"ZIP", "STREET", "ROOM", "LOCATION-OTHER", "DEPARTMENT"})
_NUMBER_SUFFIXES = frozenset("s st nd rd th x po pr iv sq sc im ns ln n m".split())
_UNIT_WORDS = frozenset("ps peep psv ips cpap imv simv fio2 o2 rr tv vt hr bp".split())
_HHMM = re.compile(r"(?:[01][0-9]|2[0-3])[0-5][0-9]")
_SLASH_CHAIN = re.compile(r"-?[0-9]+(?:\.[0-9]+)?\s?/\s?-?[0-9]*\.?[0-9]+\s?/\s?-?[0-9.]+")
_PHONE = re.compile(r"(?<![0-9])(?:(?:[0-9]{3}[-.])?[0-9]{3,6}|[0-9])-[0-9]{4}(?![0-9])")
#: Words whose values are written with a slash (BP 120/60, PSV 10/5): a valid m/d right after is a value.
SLASH_WORDS = frozenset(
    "bp bps nbp abp art pap paps pa psv ps cpap bipap peep simv imv prvc vent settings setting ie wean "
    "weaned "
    "weaning tried trial flowby ventilation mask".split()
)
#: Words that may sit between a slash word and its value ('wean down to 10/5').
_SLASH_FILLER = frozenset(
    ": = - of on to down up back at from now is was remains remained still increased decreased inc dec "
    "incr decr changed placed put weaned".split()
)
#: A fraction is followed by a word ('1/2 NS', '3/4 strength'); a date by a number, punctuation or a
#: date word.
_FRACTION = re.compile(r"(?:1/[234]|[23]/[34]|1/8)")
_NUMERIC_LABELS = frozenset({"DATE", "CONTACT", "ID", "AGE"})
_DIGIT_SUBTYPES = frozenset(
    {
        "PHONE",
        "FAX",
        "ZIP",
        "IPADDR",
        "SSN",
        "MEDICALRECORD",
        "HEALTHPLAN",
        "ACCOUNT",
        "LICENSE",
        "IDNUM",
        "BIOID",
        "DEVICE",
        "VEHICLE",
    }
)
_WORD_LABELS = frozenset({"NAME", "LOCATION", "ID", "CONTACT"})


def load_common(path: str | Path = DEFAULT_COMMON) -> frozenset[str]:
    """Common words of clinical English that are not names or places (``data/lists/common.txt``).

    Example: ``"pursue" in load_common()`` -> ``True``; ``"seattle" in load_common()`` -> ``False``.
    """
    return frozenset(t.lower() for t in read_terms(Path(path)))


def load_clinical(files: Iterable[str | Path] = (), include_default: bool = True) -> frozenset[str]:
    """The shipped clinical vocabulary plus the user's files, lower-cased.

    Example: ``"micu" in load_clinical()`` -> ``True``.
    """
    paths = ([DEFAULT_CLINICAL] if include_default else []) + [Path(f) for f in files]
    return frozenset(t.lower() for p in paths for t in read_terms(p))


#: US postal state codes (lower case).
STATE_CODES = frozenset(
    "al ak az ar ca co ct de dc fl ga hi id il in ia ks ky la me md ma mi mn ms mo mt ne nv nh nj nm ny "
    "nc nd oh ok or pa ri sc sd tn tx ut vt va wa wv wi wy pr gu vi".split()
)


def load_places(list_dir: str | Path = LIST_DIR) -> frozenset[str]:
    """One-word state and country names and state codes (lower case) from the shipped lists: a word that
    keeps a malformed EMAIL/URL span standing ('@ BALTIMORE VA')."""
    words = {t.lower() for f in ("states.txt", "countries.txt") for t in read_terms(Path(list_dir) / f)}
    return frozenset(w for w in words if " " not in w) | STATE_CODES


def has_alnum(s: str) -> bool:
    """True when ``s`` holds a letter or a digit (every PHI mention does)."""
    return any(c.isalnum() for c in s)


_ALPHA3 = re.compile(r"[A-Za-z]{3,}")
#: Words just before a person's name: titles, relations, verbs of contact.
NAME_CUES_BEFORE = frozenset(
    """dr dr. drs doctor md mr mrs ms miss mister rn np pa rrt rt wife husband son sons daughter daughters
    sister sisters brother brothers mother father mom dad friend friends niece nephew aunt uncle cousin hcp
    proxy guardian girlfriend boyfriend fiance fiancee grandson granddaughter grandmother grandfather
    stepson stepdaughter spouse partner per by with called call spoke speak paged page notified team attending
    fellow resident intern pcp name named dtr neice and to from consultant consultants transcriptionist
    transcribed dictated signed entered reviewed user cc provider contact emergency surgeon surgeons
    physician physicians nurse nurses author cosigned""".split()
)
#: Nouns after an eponym that make it a device, not a person ('Quinton cath', 'Passy Muir valve').
_DEVICE_AFTER = re.compile(
    r"[ -]?(?:cath|catheter|catheters|valve|drain|drains|line|lines|tube|tubes|trach|boots|bed|mattress|site|"
    r"hugger|collar|splint|dressing|stockings|filter|pump|port|sheath|introducer|stent|bag|mask)\b",
    re.IGNORECASE,
)
#: Access sites written before a line's eponym ('R IJ quinton', 'L SC Swan', 'RSC PAline').
_ACCESS_SITES = frozenset("ij rij lij sc rsc lsc fem rfem lfem femoral subclavian jugular picc".split())
_TITLE_BEFORE = re.compile(r"\b(?:dr|drs|mr|mrs|ms|miss|doctor)\.?\s*$", re.IGNORECASE)


def _device_eponym(text: str, span: Span) -> bool:
    """True for a name written as a device: before a device noun ('Quinton cath') or after an access site
    ('R IJ quinton', 'L SC Swan'), and after no title ('Dr. Quinton')."""
    if _TITLE_BEFORE.search(text, max(0, span.start - 8), span.start):
        return False
    if _DEVICE_AFTER.match(text, span.end):
        return True
    inside = _words(text[span.start : span.end])
    before = [w for w in _words_before(text, span.start, 2) if w.isalpha()]
    return any(w in _ACCESS_SITES for w in inside[:-1] + before[:2])


#: Clinical words that are also given names or surnames ('A-line'/'Aline', 'T max'/'Max', 'brady'/'Brady'):
#: vetoed only next to a clinical word or a number.
NAME_LIKE = frozenset(
    "aline max brady day small good pearl perl quinton hickman swan ganz lima".split()
)
#: Words just before a user name.
USER_CUES = frozenset(
    "by user username login transcriptionist transcribed entered dictated typed signed reviewed author "
    "id rn md np - # subscriber".split()
)
#: Words just after a person's name: credentials, relations in parentheses, verbs of contact.
NAME_CUES_AFTER = frozenset(
    """rn md np pa rrt rt do pa-c crna lpn phd called aware notified paged phoned visited visiting
    here present in at daughter son wife husband sister brother mother father niece nephew friend
    and""".split()
)


def is_mixed_case(text: str) -> bool:
    """True for a note written in ordinary mixed case: neither mostly capitals nor almost all lower case.

    Example: ``is_mixed_case("Pt seen by Dr. Dunn, see careview for vitals")`` -> ``True``;
    ``is_mixed_case("PT SEEN BY DR DUNN")`` and ``is_mixed_case("pt seen by dr dunn")`` -> ``False``.
    """
    words = _ALPHA3.findall(text)
    if len(words) < 5:
        return False
    upper = sum(w.isupper() for w in words)
    lower = sum(w.islower() for w in words)
    return upper <= 0.6 * len(words) and lower <= 0.9 * len(words)


def _deletions(word: str) -> set[str]:
    """The word with each one letter removed, and the word itself."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def _words(s: str) -> list[str]:
    return [w.lower() for w in _TOKEN.findall(s)]


def shape_veto(
    text: str, span: Span, vocab: frozenset[str] = frozenset(), places: frozenset[str] = frozenset()
) -> str | None:
    """``"shape"`` when the span cannot be of its type (see the module docstring)."""
    surface = text[span.start : span.end]
    letters = [c for c in surface if c.isalpha()]
    if span.label in ("NAME", "LOCATION") and (span.subtype or "") not in _NUMBERED_PLACES:
        if not letters:
            return "shape"  # 'QUARTERMAIN 2' -> '2', '2200': a name or place has letters
        if re.fullmatch(r"[\x27’]s", surface.strip().lower()):
            return "shape"  # the 'S of PAC'S
        if span.label == "LOCATION" and len(letters) == 1 and text[span.end : span.end + 1] != ".":
            return "shape"  # 'FROM R', 'T-berg': one letter is not a place
    if span.label in ("NAME", "LOCATION"):
        return None
    if any(c.isdigit() for c in surface):
        return None
    words = [w for w in _words(surface) if w not in ("s", "of", "the")]
    # subtle: a letters-only span of a digit type may be a name the model mislabelled ('Mrs Nicholson'
    # as MEDICALRECORD): only clinical words, time-of-day words, short tokens or the 'S of 90'S go
    trivial = all(w in vocab or w in TIME_WORDS or len(w) <= 2 for w in words) or (
        span.start > 0 and text[span.start - 1].isdigit() or text[span.start - 1 : span.start] in ("'", "’")
    )
    if span.label == "AGE" or (span.subtype or "") in _DIGIT_SUBTYPES:
        return "shape" if trivial else None
    maybe_name = surface[:1].isupper() and surface[1:2].islower() and not all(w in vocab for w in words)
    # a malformed EMAIL/URL ('TF @ GOAL', 'CV=AVP') is charting, unless it holds a place or a name the
    # model mislabelled ('CARE RECEIVED @ BALTIMORE VA'): those stay (as PHI of the wrong type)
    if (span.subtype or "") == "EMAIL" and not re.fullmatch(r"\S+@\S+\.\S+", surface):
        return None if maybe_name or any(w in places for w in words) else "shape"
    if (span.subtype or "") == "URL" and not re.search(
        r"(?:www|http|[a-z0-9-]\.[a-z]{2,}(?:/|$))", surface.lower()
    ):
        return None if maybe_name or any(w in places for w in words) else "shape"
    if (
        span.label == "DATE"
        and len(surface.strip()) >= 3
        and _SCHEDULE.fullmatch(surface.strip())
        and surface.strip().lower() not in (AMBIGUOUS_DATE_WORDS | WEEKDAYS | vocab)
    ):
        return None  # 'MWF', 'T-Th-Sa': a weekday schedule
    if span.label == "DATE":
        if not any(w in DATE_WORDS for w in words):
            return "shape" if trivial or not maybe_name else None
        if len(words) == 1 and words[0] in AMBIGUOUS_DATE_WORDS:
            after = text[span.end : span.end + 4].lstrip(" :")
            prev1 = _words_before(text, span.start, 1)
            if words[0] == "sat" and (
                re.match(r"(?:[<>=~:]|[0-9]|s\b|[\x27’]s|of\b|in\b|is\b|at\b)", after)
                or text[span.end : span.end + 2] in ("'s", "’s")
                or prev1 in (["o2"], ["02"], ["to"], ["%"])
                or (prev1 and prev1[0][:1].isdigit())
            ):
                return "shape"  # 'SAT 96', 'O2 SAT' are oxygen saturations
            around = text[max(0, span.start - 3) : span.start] + text[span.end : span.end + 3]
            title = surface[:1].isupper() and surface[1:].islower()
            cue = _words_before(text, span.start, 1)[:1] in (
                ["in"],
                ["since"],
                ["until"],
                ["on"],
                ["by"],
                ["of"],
                ["last"],
                ["next"],
                ["early"],
                ["late"],
            )
            adjacent = re.search(r"[0-9][ ,./-]{0,2}$", around[:3]) or re.match(
                r"[ .,]{0,2}[0-9]", around[3:]
            )
            if not (title or cue or adjacent):
                return "shape"  # 'SPUTUM PROD DEC', 'dec po2': decreased, not December
    return None


def _run(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``[start, end)`` over the number run it sits in (digits and . / : - +)."""
    a, b = start, end
    while a > 0 and text[a - 1] in _RUN_CHARS:
        a -= 1
    while b < len(text) and text[b] in _RUN_CHARS:
        b += 1
    while b > a and text[b - 1] in "./:-+":
        b -= 1
    while a < b and text[a] in "./:-+":
        a += 1
    return a, b


def _words_before(text: str, pos: int, n: int = 6) -> list[str]:
    """Up to ``n`` words before ``pos`` on the same line, nearest first, lower-cased."""
    line_start = text.rfind("\n", max(0, pos - 60), pos) + 1
    chunk = text[max(line_start, pos - 60) : pos]
    return [w.lower() for w in _WORD_BACK.findall(chunk)][::-1][:n]


def measure_context(text: str, pos: int) -> bool:
    """True when a vital, lab or ventilator word precedes ``pos``, with only numbers and filler between.

    Example: ``measure_context("HR in the 80s", 10)`` -> ``True``; ``measure_context("seen on 8/7", 8)``
    -> ``False``.
    """
    for w in _words_before(text, pos):
        if w in MEASURE_WORDS:
            return True
        if w in FILLER_WORDS or w[:1].isdigit() or not w[:1].isalpha():
            continue
        return False
    return False


def _measure_word_right_before(text: str, pos: int) -> bool:
    """True when the word right before ``pos`` (past ':', '=') is a measurement word ('VT 900-1500')."""
    words = [w for w in _words_before(text, pos, 3) if w not in (":", "=", "-", "of")]
    return bool(words) and words[0] in MEASURE_WORDS


def _id_like(text: str, a: int, b: int) -> bool:
    """True when the number run ``[a, b)`` sits in an identifier-shaped token: two or more dashes or dots
    between digit groups (MRN 19-790-088, phone 671.387.9427), or letters and digits mixed in one token
    (P19-93341, 7NU9-AT3) other than a unit or time suffix ('4lnc', '15ps', '92K', '12am')."""
    run = text[a:b]
    if re.fullmatch(r"[0-9]+(?:-[0-9]+){2,}|[0-9]{3}\.[0-9]{3}\.[0-9]{4}", run) and not _FULL_DATE.fullmatch(
        run
    ):
        return True
    s, e = a, b
    while s > 0 and (text[s - 1].isalnum() or text[s - 1] == "-" and s > 1 and text[s - 2].isalnum()):
        s -= 1
    while e < len(text) and (text[e].isalnum() or text[e] == "-" and text[e + 1 : e + 2].isalnum()):
        e += 1
    token = text[s:e].strip("-#")
    if (
        "/" in token
        or not any(c.isalpha() for c in token)
        or re.fullmatch(r"[0-9]{1,4}(?:[xX*][0-9]{1,4}){1,3}", token)
    ):
        return False  # no letters, or vent settings and doses ('12X450X40', '800x60x10')
    head = re.match(r"[A-Za-z]+", token)
    tail = token[len(token.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")) :]
    if head and len(head.group()) >= 2 and head.group().lower() in MEASURE_WORDS | _UNIT_WORDS:
        return False  # 'peep5', 'map57', 'tv800'
    low = tail.lower()
    if (
        tail
        and (not head or head.group().lower() in ("x", "q", "d"))
        and (_UNIT.match(low) or _TIME_SUFFIX.match(low) or low in _NUMBER_SUFFIXES or low.startswith("mc"))
    ):
        return False  # '4lnc', '92K', '12am', '90s', '1st', '50mcgs', '98.2po'
    if head and head.group().lower() in ("x", "q", "d") and re.fullmatch(r"[0-9]{1,2}", token[head.end() :]):
        return False  # 'x2', 'q8', 'd5': times, frequencies, fluids
    return bool(re.search(r"[A-Za-z][0-9]|[0-9][A-Za-z]", token))


def _address_like(text: str, span: Span) -> bool:
    """True for a place written as in an address: after 'City, ', before a ZIP, or the first word of a
    title-case place name ('New Hampshire')."""
    before = text[max(0, span.start - 2) : span.start]
    after = text[span.end : span.end + 8]
    zip_after = bool(re.match(r",? ?[0-9]{5}(?![0-9])", after))
    if zip_after:
        return True
    if not text[span.start : span.start + 1].isupper():
        return False
    nxt = re.match(r" [A-Z][a-z]+", after)
    title = text[span.start + 1 : span.end].islower()
    return zip_after or (before.endswith(", ") and bool(re.match(r"[.\n]|$", after))) or bool(title and nxt)


_INITIALS_LINE = re.compile(r"(?:[A-Za-z ]{0,20}:\s*)?[A-Za-z]{1,4}(?:/[A-Za-z0-9]{1,8}){1,4}\s*")


def _initials_line(text: str, span: Span) -> bool:
    """True when the span sits in a dictation-initials line ('Dictated by: HA/GM/muni')."""
    ls = text.rfind("\n", max(0, span.start - 80), span.start) + 1
    le = text.find("\n", span.end, span.end + 80)
    if ls == 0 and span.start > 80 or le < 0 and len(text) - span.end > 80:
        return False  # a line longer than 160 characters is not an initials line
    line = text[ls : le if le >= 0 else len(text)]
    return bool(_INITIALS_LINE.fullmatch(line.strip()))


def _slash_word_before(text: str, pos: int) -> bool:
    """True when a slash-valued word (BP, PSV, CPAP, ...) precedes ``pos`` past filler and one number."""
    numbers = 0
    for w in _words_before(text, pos, 6):
        if w in SLASH_WORDS:
            return True
        if w in _SLASH_FILLER or w in (",", "%"):
            continue
        if w[:1].isdigit():
            numbers += 1
            if numbers > 1:
                return False
            continue
        return False
    return False


def _is_valid_md(a: str, b: str) -> bool:
    return a.isdigit() and b.isdigit() and 1 <= int(a) <= 12 and 1 <= int(b) <= 31 and len(b) <= 2


_NUM_IN_SPAN = re.compile(r"[0-9][0-9./:+-]*")


def clinical_number_veto(text: str, span: Span) -> str | None:
    """``"clinical_number"`` when a number-shaped span is a measurement, dose or time (module docstring).

    A span holding several numbers ('3.3 3/25') is vetoed only when every number in it is clinical.
    """
    if span.label not in _NUMERIC_LABELS and span.subtype != "ZIP":
        return None
    surface = text[span.start : span.end]
    if (
        any(w in DATE_WORDS for w in _words(surface))
        or re.search(r"[\w.%+-]@[\w-]", surface)
        or "://" in surface
    ):
        return None
    chain = _SLASH_CHAIN.search(surface)
    if chain and not _FULL_DATE.search(chain.group()):
        return "clinical_number"  # '7.36/ 29/ 103/ -7/ 17': a blood gas written with spaces
    runs = [(span.start + m.start(), span.start + m.end()) for m in _NUM_IN_SPAN.finditer(surface)]
    if not runs:
        return None
    whole = len(runs) == 1 and runs[0] == (span.start, span.end)
    if all(_number_veto(text, span, a, b, whole) for a, b in runs):
        return "clinical_number"
    return None


def _number_veto(text: str, span: Span, start: int, end: int, whole: bool) -> bool:
    """True when the number at ``[start, end)`` (inside ``span``) is a measurement, dose or time."""
    a, b = _run(text, start, end)
    if a >= b:
        return False
    run = text[a:b]
    if (_FULL_DATE.fullmatch(run) or _LOOSE_DATE.fullmatch(run)) and span.label == "DATE":
        return text[b : b + 1] == "%"  # 7/22/2011 is a date whatever precedes it; '10/5/50%' is a setting
    if _ISO_DATE.fullmatch(run) and span.label == "DATE":
        return False  # 2022-12-03
    time_range = re.fullmatch(r"([0-9]{4})-([0-9]{4})", run)
    if time_range and all(_HHMM.fullmatch(g) for g in time_range.groups()):
        return True  # 1700-0700, 0330-0630: a span of clock times
    short = re.fullmatch(r"[0-9]{3,4}-[0-9]{3,4}", run)
    if _PHONE.search(run) and not (_measure_word_right_before(text, a) or short and measure_context(text, a)):
        return False  # 410-555-9876, 202-6694: phone shapes are measurements only right after 'VT', 'TV'
    if re.match(r"\s?(?:->\s?[0-9]+\s?)?(?:@|at)\s(?:the\s)?lip", text[b : b + 16].lower()):
        return True  # 'ETT 7.5 23 at lip', '25->23 @ the lip': tube depth
    if re.fullmatch(r"[0-9]:[0-9]", run):
        return True  # 'IABP 1:1': a ratio
    if (
        text[a - 1 : a] in ("+", "-")
        and not text[a - 2 : a - 1].isalnum()
        and len(run) >= 3
        or text[max(0, a - 4) : a] in ("(-) ", "(+) ")
        or any(m.start() <= start and end <= m.end() for m in _TIMES.finditer(text, max(0, a - 16), b + 16))
    ):
        return True  # '+4701' (fluid balance), '700x10' (vent settings, doses)
    digits = sum(c.isdigit() for c in run)
    lead = text[a - 1 : a]
    alone = (not lead.isalnum() or lead in "xX#" and not text[a - 2 : a - 1].isalnum()) and not text[
        b : b + 1
    ].isalnum()
    apostrophe = text[a - 1 : a] in ("'", "’") or text[b : b + 1] in ("'", "’")
    if span.label in ("ID", "CONTACT") and digits <= 2 and alone and not apostrophe:
        return True  # '#18 & 20': gauges, counts; no ID or phone has two digits
    if span.subtype == "ZIP" and re.fullmatch(r"[0-9]{5}(?:-[0-9]{4})?", run):
        return False  # 'Lakemba, CO 81508'
    if _id_like(text, a, b):
        return False  # MRN 19-790-088, Acct P19-93341, 671.387.9427, member ID 7NU9-AT3-WL40
    after = text[b : b + 12].lower()
    before = _words_before(text, a, 1)
    context = measure_context(text, a)
    if span.label in ("ID", "CONTACT") and re.fullmatch(
        r"[0-9]{5,}|[0-9]{1,4}-[0-9]{5,}|[0-9]{5,}-[0-9]{1,4}", run
    ):
        return False  # long plain numbers are identifiers (MRN 8-757418, pager 36472)
    parts = re.split(r"[/]", run)
    decimal = re.search(r"[0-9]\.[0-9]", run) is not None or (
        text[a - 1 : a] == "." and not text[a - 2 : a - 1].isalnum()
    )
    # decades and plurals of measurements: 90's, 100-120s, 60-80's
    if re.match(r"[\x27’]?s(?![a-z])", after):
        num = re.sub(r"[^0-9]", "", run.split("-")[-1].split("/")[-1])
        decade = len(num) in (2, 4) and num.endswith("0") and "-" not in run and "/" not in run
        if (
            context
            or not decade
            or (
                before and before[0] in FILLER_WORDS and before[0] in ("high", "low", "mid", "upper", "lower")
            )
        ):
            return True
        if span.label == "AGE" and before[:1] not in (
            ["her"],
            ["his"],
            ["their"],
            ["early"],
            ["late"],
            ["pt"],
            ["patient"],
            ["age"],
            ["aged"],
        ):
            return True  # an age in decades needs 'in her 90s'; 'HIGH 90'S' is a saturation
        if (
            span.label != "AGE"
            and len(num) == 2
            and (
                text[a - 1 : a] not in ("'", "’") and before[:1] not in (["the"], ["her"], ["his"], ["their"])
            )
        ):
            return True  # '80s' bare is a measurement; "the '80s" stays a decade
    if len(parts) >= 3:
        return True  # slash chains that are not full dates: ABG, BP/HR, vent settings
    if len(parts) == 2:
        left, right = parts
        right = right.split("-")[0]
        month_year = (
            left.isdigit() and 1 <= int(left) <= 12 and re.fullmatch(r"[0-9]{2}|(19|20)[0-9]{2}", right)
        )
        if decimal or not (_is_valid_md(left, right) or month_year):
            return True  # 120/60, 45/20, 40/5.0: not a month and day
        if _slash_word_before(text, a):
            return True  # PSV 10/5, 'wean down to 10/5': a slash value after its word
        if (
            re.match(r"\s?(?:peep|cm|mmhg|ps\b|psv|ips|cpap|simv|imv|%|[0-9]{2}%|cp\b|pain\b|ha\b)", after)
            or after[:1] == "/"
        ):
            return True
        if _FRACTION.fullmatch(f"{left}/{right}"):
            nxt = _words(after[:10])[:1] if re.match(r" [A-Za-z]", after) else []
            if text[a - 2 : a - 1].isdigit() or (
                nxt and nxt[0].isalpha() and nxt[0] not in DATE_WORDS and nxt[0] not in TIME_WORDS
            ):
                return True  # '1/2 NS', '1 1/2 hrs', 'crackles 1/4 up': fractions
    if decimal and "/" not in run and not re.fullmatch(r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{2,4}", run):
        return True  # 37.5, 7.40, 5.0-6.4: values
    m_unit = _UNIT.match(after.lstrip(" ")) if "/" not in run else None
    if m_unit and (after[:1] != " " or m_unit.group() not in ("x", "h", "l", "u", "g")):
        if span.label != "AGE" or m_unit.group() not in ("x",):
            return True
    time_like = re.fullmatch(r"(?:[01]?[0-9]|2[0-3]):?[0-5][0-9](?:-[0-9:]+)?|[0-9]{1,2}", run)
    if _TIME_SUFFIX.match(after) and (time_like or re.fullmatch(r"[0-9]{1,2}-[0-9]{1,2}", run)):
        return True  # 7a, 12am, 1900hrs, 7a-7p
    if re.fullmatch(r"(?:[01][0-9]|2[0-3])[0-5][0-9]|[0-9]{1,2}:[0-5][0-9]", run) and (
        (before and before[0] in TIME_CUES)
        or re.match(r"\s?(?:-|to)\s?(?:[01][0-9]|2[0-4])[0-5][0-9]", after)
    ):
        # a year is a time only after a clock cue ('@ 2030', 'at 1930', 'drawn 2029') or in a range of
        # times ('from 2000 to 2400'), not 'from 2023'
        if not (
            span.label == "DATE"
            and re.fullmatch(r"(19|20)[0-9]{2}", run)
            and (not before or before[0] not in _CLOCK_CUES)
            and not re.match(r"\s?(?:-|to)\s?(?:[01][0-9]|2[0-4])[0-5][0-9]", after)
        ):
            return True
    if "-" in run and "/" not in run and not _FULL_DATE.fullmatch(run):
        lo, _, hi = run.partition("-")
        small = lo.isdigit() and hi.isdigit() and int(lo) < int(hi) <= 12
        if context or not _is_valid_md(lo, hi) or small:
            return True  # HR 80-90, rr 15-22, '3-4 assist': ranges
    if context and re.fullmatch(r"[0-9]+", run):
        return True  # Hct 28, K 5.9
    if span.label == "DATE" and re.fullmatch(
        r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])", run
    ):
        return False  # 20151206: a compact date
    if span.label == "DATE" and (
        re.fullmatch(r"[0-9]{3}|[0-9]{5,}", run)
        or re.fullmatch(r"[0-9]{4}", run)
        and not re.fullmatch(r"(?:19|20)[0-9]{2}|(?:[01][0-9]|2[0-3])[0-5][0-9]", run)
        or re.fullmatch(r"[0-9]{4}", run)
        and _HHMM.fullmatch(run)
        and not re.fullmatch(r"19[0-9]{2}|20[0-9]{2}", run)
        and before[:1] != ["note"]
    ):
        return True  # '118', '4701', 'labs drawn 1830': values and times, not dates
    if (
        span.label in ("CONTACT", "ID", "AGE")
        and _HHMM.fullmatch(run)
        and (run.startswith("0") or re.match(r",\s?[0-9]{4}", after) or text[a - 2 : a].strip() in ("@", ","))
    ):
        return True  # 'AT 0732, 0740, 0747': clock times
    if (
        span.label == "DATE"
        and re.fullmatch(r"[0-9]{1,2}", run)
        and whole
        and (a, b) == (span.start, span.end)
    ):
        near = _words(text[max(0, a - 12) : a]) + _words(text[b : b + 12])
        ordinal = re.match(r"(?:st|nd|rd|th)\b", text[b : b + 3].lower())
        apos = text[a - 1 : a] in ("'", "’") or text[b : b + 1] in ("'", "’")
        if not ordinal and not apos and not any(w in MONTHS for w in near):
            return True  # a bare day number without a month is not a date
    return False


class ClinicalVeto:
    """Removes candidate spans that are clinical content, not PHI (see the module docstring).

    Args:
        vocab: clinical words (lower case), e.g. :func:`load_clinical`.
        model_below: model spans made only of clinical words are vetoed under this score.
    """

    name = "clinical.v1"

    def __init__(
        self,
        vocab: frozenset[str],
        model_below: float = 0.99,
        lower_below: float = 0.9,
        cue_below: float = 0.8,
        rules: Iterable[str] = DEFAULT_RULES,
        places: frozenset[str] = frozenset(),
        common: frozenset[str] = frozenset(),
    ) -> None:
        self.places = places
        self.common = common
        unknown = set(rules) - set(RULES)
        if unknown:
            raise ConfigError(
                "E423", f"unknown clinical-veto rules {sorted(unknown)}", fix=f"Use some of {list(RULES)}."
            )
        self.rules = frozenset(rules)
        self.vocab = vocab
        # subtle: misspellings ('flecainade', 'milranoe', 'deminished') are matched by the symmetric-delete
        # trick: a word and a long vocabulary word that share a one-deletion variant are at most two edits
        # apart; only words of 7+ letters take part, where a surname is unlikely to sit that close
        self._deletes = frozenset(d for w in vocab if len(w) >= 7 and w.isalpha() for d in _deletions(w))
        self.cue_below = cue_below
        self.model_below = model_below
        self.lower_below = lower_below

    def username_veto(self, text: str, span: Span) -> str | None:
        """``"username_cue"`` for a model USERNAME under ``cue_below`` with no user cue before it: user
        names are written after 'by', 'user:', 'entered by', 'transcriptionist:' or on an initials line
        ('KS/RR/ldz79'); 'ABG W/P02', 'LABS=ICA', 'MAP57' are charting."""
        if span.subtype != "USERNAME" or span.source != "model" or span.score >= self.cue_below:
            return None
        if any(w in USER_CUES for w in _words_before(text, span.start, 3)) or _initials_line(text, span):
            return None
        return "username_cue"

    def cue_veto(self, text: str, span: Span) -> str | None:
        """``"no_name_cue"`` for a model NAME span under ``cue_below`` with no name cue around it (no title,
        relation, credential or verb of contact within three words) and not at the note's end (signature)."""
        if span.label != "NAME" or span.source != "model" or span.score >= self.cue_below:
            return None
        if _initials_line(text, span):
            return None
        before = _words_before(text, span.start, 3)
        after = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z.-]*", text[span.end : span.end + 20])][:2]
        if any(w in NAME_CUES_BEFORE for w in before) or any(w.rstrip(".") in NAME_CUES_AFTER for w in after):
            return None
        if not text[span.end :].strip(" \t\n.,;:-") or len(text.rstrip()) - span.end < 25:
            return None  # a signature at the end of the note
        return "no_name_cue"

    def case_veto(self, text: str, span: Span, mixed: bool) -> str | None:
        """``"lower_case"`` for an all-lower-case NAME or LOCATION span in a note written in mixed case,
        when it is propagated or a model span scoring under ``lower_below``: writers who capitalise,
        capitalise names ('see careview', 'rad aline placed' are not names in 'Pt seen by Dr. Dunn')."""
        if not mixed or span.label not in ("NAME", "LOCATION") or _initials_line(text, span):
            return None
        if span.subtype == "USERNAME" and any(
            w in NAME_CUES_BEFORE for w in _words_before(text, span.start, 3)
        ):
            return None  # 'Transcribed by wn0237': user names are written in lower case
        family = span.source.split(":", 1)[0]
        if family not in ("model", "propagate") or (family == "model" and span.score >= self.lower_below):
            return None
        letters = [c for c in text[span.start : span.end] if c.isalpha()]
        return "lower_case" if letters and all(c.islower() for c in letters) else None

    def word_veto(self, text: str, span: Span) -> str | None:
        """``"clinical_word"`` for a NAME/LOCATION/ID/CONTACT span of clinical words only, weakly held."""
        if span.label not in _WORD_LABELS:
            return None
        family = span.source.split(":", 1)[0]
        if family in ("regex", "coord", "deny"):
            return None
        if family == "model" and span.score >= self.model_below:
            return None
        surface = text[span.start : span.end]
        words = _words(surface)
        alpha = [w for w in words if not w.isdigit() and w != "s"]
        letters = [w for w in words if not w.isdigit()]
        # one-letter words ('T ANASARCA' from 'R/T', 'P-MICU') go with the clinical words around them
        content = [w for w in alpha if len(w) > 1] if len(alpha) > 1 else alpha
        all_clinical = bool(content) and all(self.is_clinical(w) for w in content)
        lone_letter = span.label == "NAME" and len(letters) == 1 and len(letters[0]) == 1
        if span.label == "NAME" and _device_eponym(text, span):
            return "clinical_word"  # 'Quinton cath', 'Passy Muir valve', 'Penrose drain': devices
        if not (all_clinical or lone_letter):
            return None  # the common case, decided without looking at the context
        if (
            span.subtype == "USERNAME"
            and any(c.isdigit() for c in surface)
            and any(w in NAME_CUES_BEFORE for w in _words_before(text, span.start, 3))
        ):
            return None  # 'TRANSCRIBED BY: MN486'
        if span.label in ("ID", "CONTACT") and sum(c.isdigit() for c in surface) > 1:
            return None  # 'MRN: PE319476', '373-2585 ext. 796': identifiers with a clinical-looking prefix
        if span.label == "LOCATION" and _address_like(text, span):
            return None  # 'Morgantown, CT 24420', 'New Hampshire'
        if span.label == "NAME" and _initials_line(text, span):
            return None  # 'Dictated by: HA/GM/muni', 'MS/JF/franke'
        if all_clinical and any(w in NAME_LIKE for w in content) and (
            not self._clinical_neighbour(text, span)
            or _TITLE_BEFORE.search(text, max(0, span.start - 8), span.start)
        ):
            return None  # 'Max', 'Aline', 'Brady' are names too: only next to clinical words are they not
        if all_clinical:
            return "clinical_word"  # 'carevue', 'MICU', 'peep5'
        if lone_letter:
            # a lone letter: 'A/P', 'I/O', 'K and Mg' are charting, a real initial is followed by '.';
            # one letter is never trusted evidence to propagate
            nxt = text[span.end : span.end + 1]
            prv = text[span.start - 1 : span.start] if span.start else ""
            if (
                family == "propagate"
                or nxt == "/"
                or prv == "/"
                or (nxt != "." and not surface.endswith("."))
            ):
                return "clinical_word"
            # 'R. FEM', 'l. antecub': a side, not an initial, when a clinical word follows
            following = re.match(r"\.?\s{1,2}([A-Za-z]+)", text[span.end : span.end + 24])
            if following and self.is_clinical(following.group(1).lower()):
                return "clinical_word"
        return None

    def reason(self, text: str, span: Span, mixed: bool | None = None) -> str | None:
        """The first rule that vetoes ``span``, or ``None`` when it stands (``mixed``: the note's case
        style, computed from ``text`` when not given)."""
        if span.source.startswith("deny"):
            return None
        on = self.rules
        if "no_alnum" in on and not has_alnum(text[span.start : span.end]):
            return "no_alnum"
        if mixed is None:
            mixed = is_mixed_case(text)
        return (
            ("shape" in on and shape_veto(text, span, self.vocab, self.places))
            or ("clinical_number" in on and clinical_number_veto(text, span))
            or ("clinical_word" in on and self.word_veto(text, span))
            or ("username_cue" in on and self.username_veto(text, span))
            or ("lower_case" in on and self.case_veto(text, span, mixed))
            or ("no_name_cue" in on and self.cue_veto(text, span))
            or None
        )

    def apply(self, text: str, spans: Sequence[Span]) -> list[Span]:
        """The spans no rule vetoes, in input order."""
        if not spans:
            return []
        mixed = is_mixed_case(text) if "lower_case" in self.rules else False
        quick = not self.rules & {"lower_case", "no_name_cue"}
        memo: dict[tuple[str, str, str | None], bool] = {}
        cuts: dict[str, tuple[int, int]] = {}
        trim = "clinical_word" in self.rules
        out = []
        for s in spans:
            if trim and s.label == "NAME" and s.source.split(":", 1)[0] in ("model", "propagate"):
                s = self._trim(text, s, cuts)
            if (
                quick
                and s.label in ("NAME", "LOCATION")
                and s.subtype not in ("ZIP", "USERNAME")
                and not (s.label == "NAME" and _device_eponym(text, s))
            ):
                # subtle: most spans of a long note are names and places no rule can touch; whether one
                # can is decided by its surface alone, so it is memoised (a 'Dunn' x 20,000 note)
                key = (text[s.start : s.end], s.label, s.subtype)
                safe = memo.get(key)
                if safe is None:
                    safe = memo[key] = self._surely_kept(key[0], s.label)
                if safe:
                    out.append(s)
                    continue
            if self.reason(text, s, mixed) is None:
                out.append(s)
        return out

    def _trim(self, text: str, span: Span, cuts: dict[str, tuple[int, int]]) -> Span:
        """``span`` without clinical words at its edges when it has two or more words ('Patty CXR' ->
        'Patty'; exact vocabulary matches, never a name-like word); ``cuts`` memoises by surface."""
        surface = text[span.start : span.end]
        cut = cuts.get(surface)
        if cut is None:
            words = list(_TOKEN.finditer(surface))
            a, b = 0, len(words)
            while b - a >= 2 and self._edge_word(words[b - 1].group()):
                b -= 1
            while b - a >= 2 and self._edge_word(words[a].group()):
                a += 1
            cut = cuts[surface] = (words[a].start(), words[b - 1].end()) if words else (0, len(surface))
        if cut == (0, len(surface)):
            return span
        a, b = span.start + cut[0], span.start + cut[1]
        return Span(a, b, span.label, span.subtype, span.score, span.source)

    def _edge_word(self, word: str) -> bool:
        low = word.lower()
        if len(low) < 2 or not low.isalpha() or low in NAME_LIKE:
            return False
        return low in self.vocab or low in self.common

    def _surely_kept(self, surface: str, label: str) -> bool:
        """True when no rule can veto a NAME/LOCATION span with this surface, whatever its context and
        source: it has a letter and is not the 'S of a plural, not one letter, not only clinical words."""
        words = _words(surface)
        letters = [w for w in words if not w.isdigit()]
        if (
            not letters
            or sum(len(w) for w in letters) <= 1
            or re.fullmatch(r"[\x27’]s", surface.strip().lower())
        ):
            return False
        alpha = [w for w in words if not w.isdigit() and w != "s"]
        content = [w for w in alpha if len(w) > 1] if len(alpha) > 1 else alpha
        return not content or not all(self.is_clinical(w) for w in content)

    def _clinical_neighbour(self, text: str, span: Span) -> bool:
        """True when the word right before or after ``span`` is a number or a clinical word that is not
        a relation or name cue ('R RAD ALINE', 'T MAX 101'; not 'son Max visited')."""
        before = [w for w in _words_before(text, span.start, 2) if w[:1].isalnum()][:1]
        after = _TOKEN.findall(text[span.end : span.end + 20])[:1]
        for w in [*before, *(a.lower() for a in after)]:
            if w[:1].isdigit() or (
                self.is_clinical(w)
                and w not in NAME_CUES_BEFORE
                and w not in NAME_CUES_AFTER
                and w not in NAME_LIKE
            ):
                return True
        return False

    def is_clinical(self, word: str) -> bool:
        """True for a (lower-case) clinical or common word (``common``: exact matches only), a clinical
        word with trailing digits ('peep5') or misspelled by up to two edits when it has 7+ letters
        ('flecainade')."""
        if word in self.vocab or word in self.common or word.rstrip("0123456789") in self.vocab:
            return True
        return (
            len(word) >= 7
            and word.isalpha()
            and (word in self._deletes or any(d in self._deletes for d in _deletions(word)))
        )
