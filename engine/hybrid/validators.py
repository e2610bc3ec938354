"""Validators for regex templates: named, pure checks that veto a match.

A template names its validator in data (``validator = "date.v1"``); :data:`VALIDATORS` is the one
table, and an unknown name fails at load time. Each validator sees the whole text and the match so
it can look at the neighbouring words (``2/6 murmur`` is not a date). The match may come from the
lower-cased text (IGNORECASE templates), so case checks read ``text[m.start():m.end()]``.

Example:
    >>> import re
    >>> m = re.search(r"[0-9]+/[0-9]+", "strength 4/5 in both legs")
    >>> VALIDATORS["date_md.v1"]("strength 4/5 in both legs", m)
    False
"""

from __future__ import annotations

import re
from collections.abc import Callable

Validator = Callable[[str, "re.Match[str]"], bool]

_WORD = re.compile(r"[A-Za-z]+")
# Words around an m/d that make it a score, fraction, dose or ratio rather than a date.
_FRACTION_NEXT = frozenset(
    "pain strength murmur murmurs sm sem hsm tab tabs tablet tablets pill pills cap caps puffs puff "
    "of systolic holosystolic diastolic scale power motor reflexes reflex dtr dtrs score rating "
    "times x lb lbs kg mg mcg ml cc units unit nl normal sec min hr hrs hours ratio strokes beats "
    "fingerbreadths fb cm mm inches weeks wks days strength".split()
)
_FRACTION_PREV = frozenset(
    "grade strength power motor score rated rating pain scale apgar apgars gcs dose x take takes "
    "taking bp pressure ratio murmur sem gleason ef ejection mmse moca tender".split()
)
_AMBIGUOUS_MONTHS = frozenset(
    {"may", "mar", "march", "jan", "jun", "aug", "dec", "sept", "sep", "oct", "nov", "apr", "feb", "jul"}
)
_BARE_MONTH_CUES = frozenset(
    "in on of since until till during by from through early late mid last next this before after "
    "around circa".split()
)
# A bare month word followed by a capitalised word that is not a date word reads as a first name.
_NAME_AFTER = re.compile(
    r" (?!(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|And|Or|To|Of|In|On)"
    r"[a-z]*\b|(?:Dr|Mr|Mrs|Ms|Miss)\b)[A-Z][a-z]+\b"
)
_WEEKDAY_FULL = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())


def _prev_word(text: str, pos: int) -> str:
    """Lower-cased word that ends within 12 characters before ``pos`` ('' when none)."""
    words = _WORD.findall(text[max(0, pos - 14) : pos])
    return words[-1].lower() if words else ""


def _next_word(text: str, pos: int) -> str:
    """Lower-cased first word within 12 characters after ``pos`` ('' when none)."""
    m = _WORD.search(text, pos, min(len(text), pos + 14))
    return m.group().lower() if m else ""


def _value(m: re.Match[str]) -> str | int:
    """The group a template annotates: ``value`` when the pattern names one, else the whole match."""
    return "value" if "value" in m.re.groupindex else 0


def _cue_before(cue: re.Pattern[str], text: str, pos: int, width: int = 40) -> bool:
    """True when ``cue`` matches within the ``width`` characters before ``pos``."""
    return cue.search(text, max(0, pos - width), pos) is not None


def _numbers(s: str) -> list[int]:
    return [int(x) for x in re.findall(r"[0-9]+", s)]


def valid_date(text: str, m: re.Match[str]) -> bool:
    """Month 1-12 and day 1-31 in numeric dates (the pattern fixes the field order).

    Example: ``13/45/2011`` cannot match the pattern; ``2/30/2011`` passes (calendar-lenient, as
    clinicians write shifted dates), ``0/0/00`` fails.
    """
    nums = _numbers(m.group())
    return bool(nums) and all(n > 0 or i == len(nums) - 1 for i, n in enumerate(nums))


def valid_short_date(text: str, m: re.Match[str]) -> bool:
    """An m/d or m/yy that is not a score, fraction or dose (``4/5 strength``, ``1/2 tab``)."""
    if not valid_date(text, m):
        return False
    if _next_word(text, m.end()) in _FRACTION_NEXT or _prev_word(text, m.start()) in _FRACTION_PREV:
        return False
    # subtle: "120/80" cannot match (month <= 12) but "1/2" or "3/4" fractions can: keep only d >= 3
    # or month/day pairs that read as dates in prose, i.e. not a lone fraction like 1/2, 1/3, 3/4.
    nums = _numbers(m.group())
    if len(nums) == 2 and nums[1] == 10 and _is_score(text, m.start()):
        return False
    return not (len(nums) == 2 and nums[0] < nums[1] <= 4)


_SCORE_CUE = re.compile(r"pain|scale|rat(?:es?|ed|ing)|level|score|severity|intensity", re.IGNORECASE)


def _is_score(text: str, start: int) -> bool:
    """An ``n/10`` read as a score: a range ('2-3/10') or a pain/scale/rating word just before it."""
    if start >= 2 and text[start - 1] == "-" and text[start - 2].isdigit():
        return True
    return _cue_before(_SCORE_CUE, text, start)


def valid_age(text: str, m: re.Match[str]) -> bool:
    """An age is at most 125."""
    nums = _numbers(m.group(_value(m)))
    return bool(nums) and nums[0] <= 125


def valid_phone(text: str, m: re.Match[str]) -> bool:
    """10 digits (11 with a leading 1), plus an extension; not a run of one repeated digit."""
    digits = re.sub(r"[^0-9]", "", m.group().split("x")[0].split("ext")[0])
    core = digits[1:] if len(digits) == 11 and digits[0] == "1" else digits
    return len(core) >= 10 and len(set(core)) > 1


def valid_ip(text: str, m: re.Match[str]) -> bool:
    """Four octets, each 0-255."""
    return all(n <= 255 for n in _numbers(m.group()))


def valid_ssn(text: str, m: re.Match[str]) -> bool:
    """Area not 000, 666 or 9xx; group and serial not zero."""
    v = re.sub(r"[^0-9]", "", m.group(_value(m)))
    a, g, s = v[:3], v[3:5], v[5:]
    return a not in ("000", "666") and a[0] != "9" and g != "00" and s != "0000"


def varied_digits(text: str, m: re.Match[str]) -> bool:
    """A long number that is not one digit repeated (``0000000``)."""
    return len(set(m.group())) > 1


_CREDENTIAL_CODES = frozenset({"MD", "PA"})


def valid_state_code(text: str, m: re.Match[str]) -> bool:
    """``Name, MD`` and ``Name, PA`` are credentials far more often than Maryland or Pennsylvania.

    Those two codes count only before a ZIP code (template STATE_CODE_ZIP). In ALL-CAPS text a code
    followed by another word is an English word ('OVARIES, AS WELL'), not a state.
    """
    v = m.group(_value(m))
    if v in _CREDENTIAL_CODES:
        return False
    # In ALL-CAPS text 'OVARIES, AS WELL' and 'GLAUCOMA, OR CATARACTS' are words: a code followed by
    # another capitalised word, after an all-caps word, is not a state (lower case: the pattern's
    # own lookahead already refuses 'Boston, OR with').
    head = text[m.start() : m.start(_value(m))]
    after = text[m.end() : m.end() + 2]
    return not (head.isupper() and len(after) == 2 and after[0] == " " and after[1].isalpha())


def has_digit(text: str, m: re.Match[str]) -> bool:
    """The annotated value contains at least one digit."""
    v = m.group(_value(m))
    return any(c.isdigit() for c in v)


def valid_vin(text: str, m: re.Match[str]) -> bool:
    """A 17-character VIN mixes letters and digits."""
    v = m.group()
    return any(c.isdigit() for c in v) and any(c.isalpha() for c in v)


def valid_year(text: str, m: re.Match[str]) -> bool:
    """A year between 1880 and 2199 (i2b2 shifts dates far into the future)."""
    v = m.group(_value(m))
    return 1880 <= int(v[:4]) <= 2199


_ID_CUE = re.compile(r"mrn|mr#|record|acct|account|\bid\b|#|number|\bno\b", re.IGNORECASE)


def valid_compact_date(text: str, m: re.Match[str]) -> bool:
    """A yyyymmdd with a plausible year and no ID cue ('MRN', '#', 'account') in the 20 characters before."""
    return valid_year(text, m) and not _cue_before(_ID_CUE, text, m.start(), 20)


_VITAL_CUE = re.compile(
    r"\b(?:rate|hr|pulse|bp|pressure|sats?|saturation|spo2|o2|temp|glucose|sugars?|weight|rr)\b",
    re.IGNORECASE,
)


def valid_decade(text: str, m: re.Match[str]) -> bool:
    """A decade ('the 80s'), not a vital sign range ('heart rate in the 80s', 'sats in the low 90s')."""
    return not _cue_before(_VITAL_CUE, text, m.start())


def valid_month_word(text: str, m: re.Match[str]) -> bool:
    """Reject a lower-case ambiguous month word (``may``, ``mar``) inside a date phrase."""
    words = _WORD.findall(text[m.start() : m.end()])
    for w in words:
        if w.islower() and w in _AMBIGUOUS_MONTHS:
            return False
    return True


def valid_month_phrase(text: str, m: re.Match[str]) -> bool:
    """A month phrase; a bare month word must be capitalised, and May/March need a cue word."""
    if not valid_month_word(text, m):
        return False
    s = text[m.start() : m.end()]
    if any(c.isdigit() for c in s):
        return True
    word = s.rstrip(".")
    if not word[:1].isupper():
        return False
    cue = _prev_word(text, m.start()) in _BARE_MONTH_CUES
    if word.istitle() and not cue and _NAME_AFTER.match(text, m.end()):
        return False  # "Contact: April Cortez": a first name, not a month
    if word.lower() in ("may", "march", "mar"):
        return cue
    return True


def valid_weekday(text: str, m: re.Match[str]) -> bool:
    """Full weekday names in any case; abbreviations only capitalised (``sat up`` is not a date)."""
    word = text[m.start() : m.end()].rstrip(".")
    if word.lower() in _WEEKDAY_FULL:
        return True
    return word[:1].isupper() and (word.istitle() or word.isupper())


#: Capitalised words that follow a name cue without being a name ('Patient Care Services', 'Mr. Dunn
#: Called', 'Name: Not Given').
_NOT_NAME_WORDS = frozenset(
    """and or the a an of to in on at for with by from is was has had
    care services service unit room floor ward transport education information name number id date age
    sex gender not unknown given none refused declined seen states stated reports reported called aware
    notified says said family rehab hospital center clinic home nursing medical record history note
    progress admission discharge transfer plan status summary""".split()
)


def valid_name_words(text: str, m: re.Match[str]) -> bool:
    """A name after a cue: none of its words is a function or charting word ('Patient Care' is not a name).

    Example: ``valid_name_words("Mr. Hope Will", re.search("Hope Will", "Mr. Hope Will"))`` -> ``True``.
    """
    start, end = m.span("value") if "value" in (m.re.groupindex or {}) else m.span()
    return not any(w.lower() in _NOT_NAME_WORDS for w in _WORD.findall(text[start:end]))


#: The one table of validators; templates refer to these names.
VALIDATORS: dict[str, Validator] = {
    "date.v1": valid_date,
    "date_md.v1": valid_short_date,
    "age.v1": valid_age,
    "phone.v1": valid_phone,
    "ip.v1": valid_ip,
    "ssn.v1": valid_ssn,
    "has_digit.v1": has_digit,
    "state_code.v1": valid_state_code,
    "varied_digits.v1": varied_digits,
    "vin.v1": valid_vin,
    "year.v1": valid_year,
    "compact_date.v1": valid_compact_date,
    "decade.v1": valid_decade,
    "month_word.v1": valid_month_word,
    "month_phrase.v1": valid_month_phrase,
    "weekday.v1": valid_weekday,
    "name_words.v1": valid_name_words,
}
