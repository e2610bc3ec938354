"""Trusted terms: surface forms reliable enough to mark wherever they recur.

A term is trusted when (a) a template marked ``trusted`` matched it and it holds a digit or ``@``,
(b) it is a field of a coordination-structured header line
(``EDVISIT^84091519^Thomas-yosef, Julia^09/21/68^KEMPER, SYLVAN``),
or (c) it is a PATIENT, DOCTOR or HOSPITAL span scoring at least ``min_score`` or found more than once.
Names and hospitals also trust their coreferent forms (d): ``Xai Dunn`` -> ``X. Dunn``, ``Dunn``,
``Xai``, ``Dunn, Xai``; ``Atlantic North Rehabilitation Center`` -> ``Atlantic North``, ``ANRC``.

Example:
    >>> sorted(name_forms("Xai Dunn"))
    ['Dunn', 'Dunn Xai', 'Dunn, Xai', 'X Dunn', 'X. Dunn', 'Xai', 'Xai Dunn']
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from engine.hybrid.allow import normalize_term
from engine.types import Span

NAME_SUBTYPES = frozenset({"PATIENT", "DOCTOR"})
#: Source of a name completed by extraction (:meth:`engine.hybrid.extract.Extractor.complete_names`).
NAME_TAIL_SOURCE = "extract:NAME_TAIL"
#: Span sources that never seed trusted terms: guesses whose surface may be a common word.
UNTRUSTED_SOURCES = frozenset({NAME_TAIL_SOURCE})
_TITLES = frozenset(
    {
        "dr",
        "dr.",
        "mr",
        "mr.",
        "mrs",
        "mrs.",
        "ms",
        "ms.",
        "miss",
        "md",
        "m.d.",
        "phd",
        "rn",
        "np",
        "pa",
        "jr",
        "jr.",
        "sr",
        "sr.",
        "ii",
        "iii",
        "prof",
        "prof.",
    }
)
_HOSPITAL_TAIL = frozenset(
    {
        "hospital",
        "hospitals",
        "medical",
        "center",
        "centre",
        "health",
        "clinic",
        "clinics",
        "rehabilitation",
        "rehab",
        "nursing",
        "home",
        "care",
        "institute",
        "infirmary",
        "system",
        "services",
        "memorial",
        "general",
        "regional",
        "community",
        "healthcare",
        "facility",
        "unit",
        "group",
        "associates",
    }
)
_CONNECT = frozenset({"of", "the", "and", "&", "at", "for"})


@dataclass(frozen=True, slots=True)
class Term:
    """A trusted surface form and what it is.

    Attributes:
        form: the surface form as written (used for case-sensitive forms).
        label: category; subtype: i2b2 subtype; score: confidence given to marked occurrences.
        case_sensitive: acronyms and one-word hospital reductions match only as written or upper-case.
    """

    form: str
    label: str
    subtype: str | None
    score: float
    case_sensitive: bool = False


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[\s,]+", name) if w and w.lower() not in _TITLES]


def name_forms(name: str) -> set[str]:
    """Coreferent forms of a person name written ``First [Middle] Last`` or ``Last, First``."""
    if "," in name:
        last, _, first = name.partition(",")
        words = _words(first) + _words(last)
    else:
        words = _words(name)
    words = [w for w in words if not (len(w.rstrip(".")) == 1 and len(words) > 2)]  # middle initials
    if not words:
        return set()
    if len(words) == 1:
        return {words[0]}
    first, last = words[0], words[-1]
    forms = {" ".join(words), f"{first} {last}", last, f"{last}, {first}", f"{last} {first}"}
    if len(first.rstrip(".")) > 1:
        forms |= {first, f"{first[0]}. {last}", f"{first[0]} {last}"}
    return forms


def hospital_forms(name: str) -> set[tuple[str, bool]]:
    """``(form, case_sensitive)`` pairs: the name, its reduction without generic tail words, its acronym."""
    words = name.split()
    out = {(" ".join(words), False)}
    core = list(words)
    while core and core[-1].lower().strip(".,") in _HOSPITAL_TAIL | _CONNECT:
        core.pop()
    if core and len(core) < len(words):
        out.add((" ".join(core), len(core) == 1))
    caps = [w for w in words if w[:1].isupper() and w.lower() not in _CONNECT]
    if len(caps) >= 3:
        out.add(("".join(w[0] for w in caps).upper(), True))
    return out


def _good(form: str, allow: Collection[str], min_len: int) -> bool:
    key = normalize_term(form)
    return len(key.replace(" ", "")) >= min_len and key not in allow and any(c.isalnum() for c in key)


def forms_of(surface: str, span: Span, allow: Collection[str], min_len: int) -> list[Term]:
    """The trusted terms one span yields (its surface plus coreferent forms for names/hospitals)."""
    sub = span.subtype
    if sub in NAME_SUBTYPES:
        pairs = [(f, False) for f in name_forms(surface)]
    elif sub == "HOSPITAL":
        pairs = sorted(hospital_forms(surface))
    else:
        pairs = [(surface, False)]
    score = min(span.score, 0.9)
    return [
        Term(f, span.label, sub, score, cs)
        for f, cs in pairs
        if _good(f, allow, max(min_len, 2 if cs else min_len))
    ]


def collect_terms(
    texts: Sequence[str],
    spans: Sequence[Sequence[Span]],
    *,
    trusted_sources: Collection[str],
    subtypes: Collection[str],
    min_score: float,
    allow: Collection[str],
    min_len: int,
    names_only: bool = False,
) -> list[Term]:
    """Trusted terms from the spans of one note (or of all notes of one patient).

    Args:
        texts: the notes; spans: their spans.
        trusted_sources: template sources whose matches are trusted outright.
        subtypes: subtypes trusted by score or repetition (PATIENT, DOCTOR, HOSPITAL).
        min_score: score that makes such a span trusted on its own.
        allow: terms never trusted; min_len: shortest trusted form (letters and digits).
        names_only: across notes, only ``subtypes`` propagate (no template terms).
    """
    counts: Counter[tuple[str, str | None]] = Counter()
    seeds: dict[tuple[str, str | None], tuple[str, Span, bool]] = {}
    for text, ss in zip(texts, spans, strict=True):
        for s in ss:
            if s.source in UNTRUSTED_SOURCES:
                continue
            surface = text[s.start : s.end]
            key = (" ".join(surface.lower().split()), s.subtype)
            counts[key] += 1
            # subtle: a template term propagates only when it carries a digit or '@' (dates, IDs,
            # phones, e-mail): a bare word such as the month "May" would mark the verb everywhere.
            by_template = not names_only and (
                s.source.startswith("coord:")
                or (s.source in trusted_sources and any(c.isdigit() or c == "@" for c in surface))
            )
            if not (by_template or s.subtype in subtypes):
                continue
            old = seeds.get(key)
            if old is None or (by_template, s.score) > (old[2], old[1].score):
                seeds[key] = (surface, s, by_template)
    terms: dict[str, Term] = {}
    for key, (surface, s, by_template) in seeds.items():
        if not (by_template or s.score >= min_score or counts[key] > 1):
            continue
        for t in forms_of(surface, s, allow, min_len):
            k = normalize_term(t.form)
            old_t = terms.get(k)
            if old_t is None or (t.score, not t.case_sensitive) > (old_t.score, not old_t.case_sensitive):
                terms[k] = t
    return list(terms.values())


_FIELD_SEP = re.compile(r"[\^|]")
_NUMBER = re.compile(r"[0-9][0-9-]{2,19}")
_DATE = re.compile(r"(?:1[0-2]|0?[1-9])[/-](?:3[01]|[12][0-9]|0?[1-9])[/-](?:[0-9]{4}|[0-9]{2})")
_LAST_FIRST = re.compile(r"[A-Za-z][A-Za-z'’-]{0,30}, ?[A-Za-z][A-Za-z'’. -]{0,40}")


def coordination_spans(text: str) -> list[Span]:
    """Typed spans for the fields of caret- or pipe-delimited header lines.

    Example:
        >>> t = "EDVISIT^84091519^Thomas-yosef, Julia^09/21/68^KEMPER, SYLVAN"
        >>> [(t[s.start:s.end], s.subtype) for s in coordination_spans(t)]  # doctest: +NORMALIZE_WHITESPACE
        [('84091519', 'MEDICALRECORD'), ('Thomas-yosef, Julia', 'PATIENT'), ('09/21/68', 'DATE'),
         ('KEMPER, SYLVAN', 'DOCTOR')]
    """
    out: list[Span] = []
    if "^" not in text and "|" not in text:
        return out
    pos = 0
    for line in text.splitlines(keepends=True):
        if line.count("^") >= 2 or line.count("|") >= 2:
            out += _line_fields(line, pos)
        pos += len(line)
    return out


def _line_fields(line: str, base: int) -> list[Span]:
    out: list[Span] = []
    names = numbers = 0
    start = 0
    for m in [*_FIELD_SEP.finditer(line), None]:
        end = m.start() if m is not None else len(line)
        raw = line[start:end]
        field = raw.strip()
        s = base + start + (len(raw) - len(raw.lstrip()))
        e = s + len(field)
        if field:
            if _DATE.fullmatch(field):
                out.append(Span(s, e, "DATE", "DATE", 0.95, "coord:DATE"))
            elif _NUMBER.fullmatch(field) and sum(c.isdigit() for c in field) >= 4:
                sub = "MEDICALRECORD" if numbers == 0 else "IDNUM"
                out.append(Span(s, e, "ID", sub, 0.9, f"coord:{sub}"))
                numbers += 1
            elif _LAST_FIRST.fullmatch(field):
                sub = "PATIENT" if names == 0 else "DOCTOR"
                out.append(Span(s, e, "NAME", sub, 0.9, f"coord:{sub}"))
                names += 1
        start = end + 1
    return out


def by_key(terms: Iterable[Term]) -> dict[str, Term]:
    """Index terms by their normalised form."""
    return {normalize_term(t.form): t for t in terms}
