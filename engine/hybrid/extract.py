"""In-token extraction: PHI glued to other characters inside one token.

Two uses of one rule table. (1) A span whose whole text matches a rule is replaced by the rule's
parts: a model span ``79yo`` becomes AGE ``79`` (i2b2 annotates the number only); ``MR:6746781``
becomes ``6746781``. (2) Tokens matching a scan rule are added where no span covers them:
``MWFS``/``T-Th-Sa`` (dialysis days) become DATEs, a sign-off line ``GQ/NV/whalen`` three names,
``3041023MARY`` an ID and a HOSPITAL.

A third rule completes person names the model cut short: a PATIENT or DOCTOR span followed, on the
same line, by one more word of the same letter case (title or lower case; in ALL-CAPS text any word
fits, so not there) and then the end of the line, a comma or a number takes that word in
(``Signed: Corona Moles 04/01/2012``, ``Attending: DR. Barkha Date``, ``signed: ryan pace
12/27/17``). Surnames that are also common words are what the model drops.

Example:
    >>> ex = Extractor()
    >>> text = "79yo on HD MWF"
    >>> [(text[s.start:s.end], s.subtype) for s in ex.apply(text, [Span(0, 4, "AGE", "AGE", 0.9, "model")])]
    [('79', 'AGE'), ('MWF', 'DATE')]
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from engine.hybrid.trusted import NAME_SUBTYPES, NAME_TAIL_SOURCE
from engine.types import Span

KEEP = "keep"  # part takes the label/subtype of the span it came from


@dataclass(frozen=True, slots=True)
class Rule:
    """One extraction rule.

    Attributes:
        name: rule name (sources read ``extract:NAME``).
        regex: full-token pattern; its groups ``1..n`` are the parts.
        parts: per group, ``(label, subtype)`` or ``(KEEP, KEEP)``.
        scan: also search the whole text for tokens (not only existing spans).
        score: score of scanned spans.
    """

    name: str
    regex: re.Pattern[str]
    parts: tuple[tuple[str, str], ...]
    scan: bool = False
    score: float = 0.7


_DAY = r"(?:M|Tu?|W|Th|F|Sa|Su|S)"
_DAY_ORDER = {"M": 0, "T": 1, "Tu": 1, "W": 2, "Th": 3, "F": 4, "Sa": 5, "S": 5, "Su": 6}

#: The rule table; order matters for spans (first full match wins).
RULES: tuple[Rule, ...] = (
    Rule(
        "AGE_TOKEN",
        re.compile(
            r"([0-9]{1,3}) ?-?(?:yo[mfw]?|y/o|y\.o\.?|y[mf]|years?[ -]old|yrs?[ -]old|"
            r"year-old|yr-old)",
            re.I,
        ),
        (("AGE", "AGE"),),
    ),
    Rule(
        "ID_CUE",
        re.compile(r"(?:MRN?|MR#|ID|Acct|Unit|#) ?[:#]? ?([A-Z]{0,3}[0-9][0-9-]{3,19})", re.I),
        ((KEEP, KEEP),),
    ),
    Rule(
        "SIGNOFF",
        re.compile(r"([A-Za-z]{2,4})/([A-Za-z]{2,20})(?:/([A-Za-z]{2,20}))?"),
        ((KEEP, KEEP), (KEEP, KEEP), (KEEP, KEEP)),
    ),
    Rule(
        "ID_HOSPITAL",
        re.compile(r"([0-9]{5,12})([A-Z]{3,12})"),
        (("ID", "IDNUM"), ("LOCATION", "HOSPITAL")),
        scan=True,
        score=0.6,
    ),
    Rule("WEEKDAYS", re.compile(rf"({_DAY}(?:-?{_DAY}){{1,6}})"), (("DATE", "DATE"),), scan=True, score=0.7),
)
_SIGNOFF_LINE = re.compile(r"^[ \t]*([A-Za-z]{2,4}/[A-Za-z]{2,20}(?:/[A-Za-z]{2,20})?)[ \t]*$", re.M)
_SCAN = re.compile(r"(?<![\w/-])(?:[0-9]{5,12}[A-Z]{3,12}|[MTWFS][a-z]?(?:-?[MTWFS][a-z]?){1,6})(?![\w/-])")
_NOT_NAMES = frozenset(
    {"and", "or", "dl", "ml", "mg", "kg", "hr", "min", "day", "wk", "mo", "yr", "prn", "per"}
)
#: A name span's next word (letters, inner apostrophes or hyphens), when only the end of the line, a
#: comma or a number follows it.
_NAME_TAIL = re.compile(r"[ \t]{1,2}([^\W\d_][^\W\d_'’-]*[^\W\d_])(?=[ \t]*(?:\r?$|,|[0-9]))", re.M)
#: Words that end a name rather than continue it: function words, credentials, roles, relatives,
#: time words, departments and the verbs notes put after a name ('Dr. Smith Ordered 2 units').
_NOT_NAME_TAIL = frozenset(
    """a an the and or of to in on at by for with from is was are be has had will as if so not no
    md do rn np pa phd dds jr sr ii iii iv mr mrs ms dr pt patient pts
    family mother father wife husband son daughter sister brother
    am pm today tonight yesterday tomorrow daily weekly monthly now later ago since until
    call clinic service team staff unit floor room bed dept department office mrn dob id aware
    signed dictated transcribed reviewed attending resident fellow nurse
    cardiology medicine surgery neurology nephrology oncology radiology pediatrics psychiatry
    ordered orders denies denied reports reported states stated presented presents notes noted
    called agrees agreed recommends recommended says said seen saw gave given started""".split()
)


def _case_shape(word: str) -> str:
    """``upper``, ``lower``, ``title``, ``mixed`` or ``none``: the letter case a word is written in."""
    letters = [c for c in word if c.isalpha()]
    if not letters:
        return "none"
    if all(c.isupper() for c in letters):
        return "upper"
    if all(c.islower() for c in letters):
        return "lower"
    return "title" if letters[0].isupper() else "mixed"


def _weekdays_ok(token: str) -> bool:
    """Days in weekday order, each at most once; 3+ days when glued (``MWF``), 2+ when dashed."""
    days = re.findall(r"Tu|Th|Sa|Su|[MTWFS]", token)
    if "".join(days) != token.replace("-", ""):
        return False
    order = [_DAY_ORDER[d] for d in days]
    if any(b <= a for a, b in zip(order, order[1:], strict=False)):
        return False
    return len(days) >= (2 if "-" in token else 3)


def _slashed_weekdays(token: str) -> bool:
    """``tu/th/sa``, ``M/W/F``: a slash-separated weekday run in any case."""
    return _weekdays_ok("-".join(p.capitalize() for p in token.split("/")))


class Extractor:
    """Applies :data:`RULES` to spans and scans the text for glued tokens.

    Args:
        allow: lower-cased non-PHI words; a sign-off part on it is not a name.
    """

    name = "extract.v1"

    def __init__(self, allow: Collection[str] = ()) -> None:
        self.allow = frozenset(allow) | _NOT_NAMES

    def apply(self, text: str, spans: Sequence[Span]) -> list[Span]:
        """``spans`` with whole-token matches split into their parts, plus scanned tokens."""
        out: list[Span] = []
        for s in spans:
            parts = self._split(text, s)
            out += parts if parts is not None else [s]
        out = self.complete_names(text, out)
        return out + self.scan(text, out)

    def complete_names(self, text: str, spans: Sequence[Span]) -> list[Span]:
        """``spans`` plus, for a PATIENT/DOCTOR span that dropped a last word, the completed name.

        The completed span (source ``extract:NAME_TAIL``) overlaps the original, so resolution merges
        the two into one name. It is a guess, so it never seeds propagation
        (:data:`engine.hybrid.trusted.UNTRUSTED_SOURCES`): 'Date' in 'DR. Barkha Date' must not
        mark 'Date of admission'.

        Example:
            >>> t = "Signed: Corona Moles 04/01/2012"
            >>> seed = Span(8, 14, "NAME", "DOCTOR", 0.9, "model")
            >>> [(t[s.start:s.end], s.source) for s in Extractor().complete_names(t, [seed])]
            [('Corona', 'model'), ('Corona Moles', 'extract:NAME_TAIL')]
        """
        starts = sorted(s.start for s in spans)
        out: list[Span] = []
        for s in spans:
            m = _NAME_TAIL.match(text, s.end) if s.subtype in NAME_SUBTYPES else None
            if m is None:
                out.append(s)
                continue
            word, words = m.group(1), text[s.start : s.end].split()
            shape = _case_shape(word)
            taken = bisect_left(starts, m.end()) > bisect_left(starts, s.end)  # another span starts there
            if (
                taken
                or not words
                or shape not in ("title", "lower")  # ALL-CAPS notes: 'DR SWAN AWARE' (any word fits)
                or shape != _case_shape(words[0])
                or word.lower() in _NOT_NAME_TAIL
                or word.lower() in self.allow
            ):
                out.append(s)
                continue
            out += [s, Span(s.start, m.end(1), s.label, s.subtype, s.score, NAME_TAIL_SOURCE)]
        return out

    def _split(self, text: str, span: Span) -> list[Span] | None:
        surface = text[span.start : span.end]
        for rule in RULES:
            m = rule.regex.fullmatch(surface)
            if m is None or (rule.name == "WEEKDAYS" and not _weekdays_ok(surface)):
                continue
            if rule.name == "SIGNOFF" and (
                any(g and g.lower() in self.allow for g in m.groups()) or _slashed_weekdays(surface)
            ):
                continue  # "GQ/NV/whalen" is three names; "tu/th/sa" is one weekday schedule
            parts = []
            for g, (label, subtype) in enumerate(rule.parts, 1):
                if m.group(g) is None:
                    continue
                lab = span.label if label == KEEP else label
                sub = span.subtype if subtype == KEEP else subtype
                parts.append(
                    Span(
                        span.start + m.start(g),
                        span.start + m.end(g),
                        lab,
                        sub,
                        span.score,
                        span.source if label == KEEP else f"extract:{rule.name}",
                    )
                )
            return parts
        return None

    def scan(self, text: str, spans: Sequence[Span]) -> list[Span]:
        """New spans for glued tokens (weekday runs, ID+hospital codes, sign-off lines) no span covers."""
        found: list[Span] = []
        for m in _SCAN.finditer(text):
            tok = m.group()
            if tok[0].isdigit():
                rule = RULES[3]
            elif _weekdays_ok(tok):
                rule = RULES[4]
            else:
                continue
            seed = Span(m.start(), m.end(), "DATE", "DATE", rule.score, f"extract:{rule.name}")
            found += self._split(text, seed) or []
        if "/" in text:
            for m in _SIGNOFF_LINE.finditer(text):
                seed = Span(m.start(1), m.end(1), "NAME", "DOCTOR", 0.7, "extract:SIGNOFF")
                found += self._split(text, seed) or []
        if not found or not spans:
            return found
        merged: list[list[int]] = []  # disjoint union of the existing spans
        for st, en in sorted((x.start, x.end) for x in spans):
            if merged and st < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], en)
            else:
                merged.append([st, en])
        starts = [m[0] for m in merged]
        keep = []
        for f in found:
            i = bisect_left(starts, f.end) - 1  # last interval starting before f ends
            if i < 0 or merged[i][1] <= f.start:
                keep.append(f)
        return keep
