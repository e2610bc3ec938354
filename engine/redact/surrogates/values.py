"""One surrogate per i2b2 subtype, of the same shape as the original.

Every choice is keyed (:class:`~engine.redact.surrogates.context.DocScope`), so it is consistent
for a patient, and never equal to the original. :func:`surrogate` returns ``None`` for a mention it
cannot imitate; the operator then writes a tag (fail closed).

Examples (the values depend on the key):
    'VALDEZ, HARLAN' -> 'MORENO, DAVID'   'H. Valdez' -> 'D. Moreno'   '617-555-0123' -> '402-918-3377'
    'Calvert General Hospital' -> 'Hanley General Hospital'   '3/12/2011' -> '5/2/2011'   '92' -> '90+'
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Sequence

from engine.redact.surrogates.context import DocScope, normalise
from engine.redact.surrogates.dates import shift_date
from engine.redact.surrogates.pools import HOSPITAL_WORDS, STREET_SUFFIXES, TITLES, Pools

_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['\-](?=[^\W\d_]))*\.?|\d+|\S")
_INITIAL = re.compile(r"^[^\W\d_]\.?$")
_AGE = re.compile(r"^(?P<n>\d{1,3})(?P<rest>.*)$", re.S)


def case_like(src: str, out: str) -> str:
    """``out`` in the casing of ``src``: UPPER, lower, or Title.

    Example: ``case_like("VALDEZ", "Moreno")`` -> ``'MORENO'``.
    """
    letters = [c for c in src if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 1:
        return out.upper()
    if letters and all(c.islower() for c in letters):
        return out.lower()
    return out


def _pick(scope: DocScope, kind: str, value: str, pool: Sequence[str]) -> str:
    """A keyed choice from ``pool`` that differs from ``value`` (case-insensitively)."""
    for salt in range(8):
        out = pool[scope.index(kind, value, len(pool), salt)]
        if normalise(out) != normalise(value):
            return out
    return pool[(scope.index(kind, value, len(pool)) + 1) % len(pool)]


def reshape(scope: DocScope, kind: str, value: str, keep: str = "") -> str:
    """Digits -> keyed digits, letters -> keyed letters of the same case; punctuation and ``keep`` stay.

    Example: ``reshape(scope, "MEDICALRECORD", "MRN-44829")`` -> ``'QZE-17305'`` (format kept).
    """
    for salt in range(8):
        stream = scope.stream(kind, value, salt)
        out = []
        for i, c in enumerate(value):
            b = stream[i % len(stream)] ^ (i // len(stream) * 131 % 256)
            if c in keep:
                out.append(c)
            elif c.isdigit():
                out.append(str(b % 10))
            elif c.isascii() and c.isalpha():
                letter = string.ascii_lowercase[b % 26]
                out.append(letter.upper() if c.isupper() else letter)
            else:
                out.append(c)
        res = "".join(out)
        if normalise(res) != normalise(value) or not any(ch.isalnum() for ch in value):
            return res
    return res


# ---------------------------------------------------------------- names
def _name_tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]


def _is_word(tok: str) -> bool:
    return tok[:1].isalpha() and not _INITIAL.match(tok) and tok.casefold() not in TITLES


def register_names(scope: DocScope, mentions: Sequence[str]) -> None:
    """Learn initials from full-name mentions ('Harlan Valdez' tells 'H. Valdez' is Harlan)."""
    for text in mentions:
        words = [t for _, _, t in _name_tokens(text) if _is_word(t)]
        if len(words) < 2:
            continue
        first, last = (words[-1], words[0]) if "," in text else (words[0], words[-1])
        scope.names.setdefault(("first", first[0].casefold(), last.casefold()), first)
        scope.names.setdefault(("last", last[0].casefold(), first.casefold()), last)


def _name_word(scope: DocScope, pools: Pools, word: str) -> str:
    parts = re.split(r"([-'])", word.rstrip("."))
    out = []
    for p in parts:
        if p in ("-", "'") or len(p) <= 1:
            out.append(p)
            continue
        if pools.is_first_name(p):
            out.append(case_like(p, _pick(scope, "first", p, pools.first_pool(p))))
        else:
            out.append(case_like(p, _pick(scope, "last", p, pools.last)))
    return "".join(out) + ("." if word.endswith(".") else "")


def name(scope: DocScope, pools: Pools, text: str) -> str:
    """A name in the same order, casing and initial style; titles (Dr., MD) kept.

    Each word maps by itself (keyed by the word), so coreferent forms map to forms of one surrogate:
    'Harlan Valdez', 'Valdez', 'VALDEZ' and 'Valdez, Harlan' all use the same two surrogate words,
    and an initial takes the surrogate's initial when the full name is known in the document.
    """
    toks = _name_tokens(text)
    pieces: list[str] = []
    pos = 0
    for i, (s, e, tok) in enumerate(toks):
        pieces.append(text[pos:s])
        pos = e
        if tok.casefold() in TITLES:
            pieces.append(tok)
        elif not tok[:1].isalpha():
            pieces.append(reshape(scope, "name-digits", tok) if tok[:1].isalnum() else tok)
        elif _INITIAL.match(tok):
            pieces.append(_initial(scope, pools, tok, text, i, toks))
        else:
            pieces.append(_name_word(scope, pools, tok))
    pieces.append(text[pos:])
    return "".join(pieces)


def _initial(scope: DocScope, pools: Pools, tok: str, text: str, i: int, toks: list) -> str:
    """An initial: the surrogate's initial when the document names the person in full, else a keyed letter."""
    letter = tok[0]
    later = [t for _, _, t in toks[i + 1 :] if _is_word(t)]
    earlier = [t for _, _, t in toks[:i] if _is_word(t)]
    comma = "," in text
    # 'H. Valdez' / 'Valdez, H.': the initial is the first name's; 'Harlan V.': the last name's
    if later and not comma:
        role, other = "first", later[-1]
    elif earlier and comma:
        role, other = "first", earlier[0]
    elif earlier:
        role, other = "last", earlier[0]
    else:
        role, other = "first", ""
    full = scope.names.get((role, letter.casefold(), other.casefold()))
    if full is not None:
        new = _name_word(scope, pools, full)[0]
    else:
        new = _pick(scope, f"initial-{role}", letter, string.ascii_uppercase)
    return case_like(letter, new) + tok[1:] if letter.isupper() else new.lower() + tok[1:]


# ---------------------------------------------------------------- places
def hospital(scope: DocScope, pools: Pools, text: str, generic: frozenset[str] = HOSPITAL_WORDS) -> str:
    """Root words replaced, the suffix ('General Hospital', 'MC') kept; an acronym becomes an acronym."""
    toks = _name_tokens(text)
    words = [t for _, _, t in toks if t[:1].isalpha()]
    if len(words) == 1 and words[0].isupper() and len(words[0]) <= 6:
        return reshape(scope, "hospital-acronym", text)
    pieces, pos, changed = [], 0, False
    for s, e, tok in toks:
        pieces.append(text[pos:s])
        pos = e
        if tok[:1].isalpha() and tok.casefold() not in generic:
            pieces.append(case_like(tok, _pick(scope, "hospital", tok, pools.last + pools.cities)))
            changed = True
        elif tok[:1].isdigit():
            pieces.append(reshape(scope, "hospital-digits", tok))
        else:
            pieces.append(tok)
    pieces.append(text[pos:])
    out = "".join(pieces)
    if not changed:  # only generic words ('General Hospital'): add a root so it names a place
        out = f"{_pick(scope, 'hospital', text, pools.last)} {out}"
    return out


def street(scope: DocScope, pools: Pools, text: str) -> str:
    """House numbers reshaped, street names from the pool, suffixes ('St.', 'Ave', 'NW') kept."""
    pieces, pos = [], 0
    for s, e, tok in _name_tokens(text):
        pieces.append(text[pos:s])
        pos = e
        if tok[:1].isdigit():
            pieces.append(reshape(scope, "street-digits", tok))
        elif tok[:1].isalpha() and tok.casefold() not in STREET_SUFFIXES:
            pieces.append(case_like(tok, _pick(scope, "street", tok, pools.streets)))
        else:
            pieces.append(tok)
    pieces.append(text[pos:])
    return "".join(pieces)


def state(scope: DocScope, pools: Pools, text: str) -> str:
    """A US state: an abbreviation for an abbreviation, a name for a name."""
    core = text.strip().rstrip(".")
    if len(core) == 2 and core.isalpha():
        return case_like(core, _pick(scope, "state-abbr", core, [a for _, a in pools.states]))
    return case_like(text, _pick(scope, "state", text, [n for n, _ in pools.states]))


def email(scope: DocScope, pools: Pools, text: str) -> str:
    """'harlan.valdez@gmail.com' -> 'visintini.mercado@outlook.com': name words as in the notes."""
    local, at, domain = text.partition("@")
    if not at:
        return reshape(scope, "email", text)
    parts = []
    for chunk in re.split(r"([._\-+])", local):
        if len(chunk) >= 3 and chunk.isalpha():
            word = _name_word(scope, pools, chunk)
            parts.append(word.lower() if chunk.islower() else case_like(chunk, word))
        else:
            parts.append(reshape(scope, "email-local", chunk) if chunk else chunk)
    return "".join(parts) + "@" + _pick(scope, "domain", domain, pools.domains)


def url(scope: DocScope, pools: Pools, text: str) -> str:
    """Scheme, 'www.' and the top-level domain kept; the rest reshaped."""
    m = re.match(
        r"^(?P<pre>(?:[a-z]+://)?(?:www\.)?)(?P<body>.*?)(?P<tld>\.[a-z]{2,4}(?:/.*)?)?$", text, re.I
    )
    if not m or not m.group("body"):
        return reshape(scope, "url", text)
    return m.group("pre") + reshape(scope, "url", m.group("body")) + (m.group("tld") or "")


def ipaddr(scope: DocScope, pools: Pools, text: str) -> str:
    """A surrogate IPv4 address of the same shape, consistent within the scope."""
    parts = text.split(".")
    if len(parts) == 4 and all(p.isdigit() for p in parts):
        st = scope.stream("ip", text)
        return ".".join(str(1 + st[i] % 254) for i in range(4))
    return reshape(scope, "ip", text)


def age(scope: DocScope, pools: Pools, text: str) -> str | None:
    """Ages over 89 become '90+' (HIPAA); younger ages are not identifying and stay."""
    m = _AGE.match(text.strip())
    if m is None:
        return None
    n = int(m.group("n"))
    return text.replace(m.group("n"), "90+", 1) if n > 89 else text


def _pool(kind: str, attr: str) -> Callable[[DocScope, Pools, str], str]:
    def fn(scope: DocScope, pools: Pools, text: str) -> str:
        return case_like(text, _pick(scope, kind, text, getattr(pools, attr)))

    return fn


def _reshaped(kind: str) -> Callable[[DocScope, Pools, str], str]:
    def fn(scope: DocScope, pools: Pools, text: str) -> str:
        return reshape(scope, kind, text)

    return fn


def organization(scope: DocScope, pools: Pools, text: str) -> str:
    """A surrogate organisation name, consistent within the scope."""
    root = _pick(scope, "organization", text, pools.last)
    return case_like(text, f"{root} {_pick(scope, 'org-suffix', text, pools.company_suffixes)}")


PLACE_WORDS = frozenset(
    """park lake mall beach mount mt mt. river church school elementary high middle shelter airport plaza
    stadium college community camp ymca club country senior center centre correctional facility prison jail
    county state of the and""".split()
)


def location_other(scope: DocScope, pools: Pools, text: str) -> str:
    """'Golden Gate Park' -> 'Okolona Park': the kind of place kept, its name replaced."""
    return hospital(scope, pools, text, PLACE_WORDS)


#: Subtype -> surrogate function. A subtype missing here (DEPARTMENT, a model's own labels) gets a tag.
SURROGATES: dict[str, Callable[[DocScope, Pools, str], str | None]] = {
    "PATIENT": name,
    "DOCTOR": name,
    "USERNAME": _reshaped("USERNAME"),
    "PROFESSION": _pool("profession", "jobs"),
    "HOSPITAL": hospital,
    "ORGANIZATION": organization,
    "STREET": street,
    "CITY": _pool("city", "cities"),
    "STATE": state,
    "COUNTRY": _pool("country", "countries"),
    "ZIP": _reshaped("ZIP"),
    "ROOM": _reshaped("ROOM"),
    "LOCATION-OTHER": location_other,
    "AGE": age,
    "PHONE": _reshaped("PHONE"),
    "FAX": _reshaped("FAX"),
    "EMAIL": email,
    "URL": url,
    "IPADDR": ipaddr,
    **{
        k: _reshaped(k)
        for k in (
            "SSN",
            "MEDICALRECORD",
            "HEALTHPLAN",
            "ACCOUNT",
            "LICENSE",
            "VEHICLE",
            "DEVICE",
            "BIOID",
            "IDNUM",
        )
    },
}
#: A category's default when a span has no subtype.
CATEGORY_DEFAULT = {"NAME": "PATIENT", "ID": "IDNUM", "CONTACT": "PHONE", "AGE": "AGE", "LOCATION": "CITY"}


def surrogate(scope: DocScope, pools: Pools, label: str, subtype: str | None, text: str) -> str | None:
    """The surrogate of one mention, or ``None`` when there is none of the same shape.

    Dates shift by the scope's offset (:func:`~engine.redact.surrogates.dates.shift_date`).
    """
    if label == "DATE" or subtype == "DATE":
        return shift_date(text, scope.date_offset())
    key = subtype or CATEGORY_DEFAULT.get(label)
    fn = SURROGATES.get(key or "")
    if fn is None:
        return None
    return fn(scope, pools, text)
