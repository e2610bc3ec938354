"""Date shifting: one secret offset per patient, intervals kept, the original format kept.

Each format is a row of :data:`FORMATS`: a regex over the whole mention and the granularity it
shifts at. Partial dates shift too: ``3/12`` (no year) stays m/d, a year alone shifts with the
offset, a month alone moves to the month the offset lands in, and a weekday moves by ``offset % 7``
days, so a weekday written next to an explicit date follows it. A mention that no row parses
returns ``None``: the caller falls back to a tag (fail closed), never to the original.

Example:
    >>> shift_date("3/12/2011", 30), shift_date("10-Feb-2011", -3), shift_date("3/12", 30)
    ('4/11/2011', '7-Feb-2011', '4/11')
    >>> shift_date("Monday", 2), shift_date("2011", 200), shift_date("MAR 2011", -90)
    ('Wednesday', '2012', 'DEC 2010')
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

MONTHS = "january february march april may june july august september october november december".split()
_MON_ALT = {"sept": 9}
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_WD_ABBR = {
    "mon": 0,
    "tue": 1,
    "tues": 1,
    "wed": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}
_MON = (
    r"(?P<mon>january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)(?P<dot>\.?)"
)
#: Reference year for a date written without one (not a leap year; Feb 29 uses 2000).
REF_YEAR = 2001


def _month_num(word: str) -> int:
    w = word.casefold()
    if w in _MON_ALT:
        return _MON_ALT[w]
    for i, m in enumerate(MONTHS):
        if m == w or m[:3] == w:
            return i + 1
    raise ValueError(word)


def _case_like(src: str, out: str) -> str:
    if src.isupper() and len(src) > 1:
        return out.upper()
    if src.islower():
        return out.lower()
    return out[:1].upper() + out[1:].lower()


def _month_like(src: str, month: int) -> str:
    """Month ``month`` written like ``src`` (full or abbreviated, same case; 'May' reads as full)."""
    full = MONTHS[month - 1]
    w = src.casefold()
    if w == "sept":
        out = "sept" if month == 9 else full[:3]
    elif len(w) == 3 and w != "may":
        out = full[:3]
    else:
        out = full
    return _case_like(src, out)


def _num(src: str, value: int, pad: bool = False) -> str:
    """``value`` padded like ``src`` ('03' -> two digits, '3' -> as is; ``pad``: always two digits)."""
    return f"{value:02d}" if pad or (src.startswith("0") and len(src) > 1) else str(value)


def _padded(m: re.Match[str]) -> bool:
    """Zero-padded numerals: any field written with a leading 0, or a year-first (ISO, compact) form."""
    g = m.groupdict()
    if g.get("y") and g.get("m") and m.start("y") < m.start("m"):
        return True
    return any((g.get(k) or "").startswith("0") for k in ("m", "d"))


def _year(src: str, year: int) -> str:
    return f"{year % 100:02d}" if len(src) == 2 else str(year)


def _full_year(src: str) -> int:
    y = int(src)
    if len(src) == 2:
        return 2000 + y if y < 50 else 1900 + y
    return y


def _ord_suffix(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _date(y: int, m: int, d: int) -> dt.date:
    return dt.date(y, m, d)


def _ref(m: int, d: int) -> dt.date:
    return dt.date(2000 if (m, d) == (2, 29) else REF_YEAR, m, d)


def _sub(match: re.Match[str], values: dict[str, str]) -> str:
    """The matched text with the named groups replaced by ``values`` (in position order)."""
    text, base = match.group(0), match.start()
    spans = sorted(
        ((match.start(k) - base, match.end(k) - base, v) for k, v in values.items() if match.start(k) >= 0),
        reverse=True,
    )
    for s, e, v in spans:
        text = text[:s] + v + text[e:]
    return text


# ---------------------------------------------------------------- one shifter per granularity
def _ymd(m: re.Match[str], off: int) -> str:
    g = m.groupdict()
    mon = int(g["m"]) if g.get("m") else _month_num(g["mon"])
    base = _date(_full_year(g["y"]), mon, int(g["d"]))
    new = base + dt.timedelta(days=off)
    pad = _padded(m)
    out = {"d": _num(g["d"], new.day, pad), "y": _year(g["y"], new.year)}
    if g.get("m"):
        out["m"] = _num(g["m"], new.month, pad)
    else:
        out["mon"] = _month_like(g["mon"], new.month)
    if g.get("ord"):
        out["ord"] = _ord_suffix(new.day) if g["ord"].islower() else _ord_suffix(new.day).upper()
    return _sub(m, out)


def _md(m: re.Match[str], off: int) -> str:
    g = m.groupdict()
    mon = int(g["m"]) if g.get("m") else _month_num(g["mon"])
    new = _ref(mon, int(g["d"])) + dt.timedelta(days=off)
    pad = _padded(m)
    out = {"d": _num(g["d"], new.day, pad)}
    if g.get("m"):
        out["m"] = _num(g["m"], new.month, pad)
    else:
        out["mon"] = _month_like(g["mon"], new.month)
    if g.get("ord"):
        out["ord"] = _ord_suffix(new.day) if g["ord"].islower() else _ord_suffix(new.day).upper()
    return _sub(m, out)


def _my(m: re.Match[str], off: int) -> str:
    g = m.groupdict()
    mon = int(g["m"]) if g.get("m") else _month_num(g["mon"])
    new = _date(_full_year(g["y"]), mon, 15) + dt.timedelta(days=off)
    out = {"y": _year(g["y"], new.year)}
    if g.get("m"):
        out["m"] = _num(g["m"], new.month)
    else:
        out["mon"] = _month_like(g["mon"], new.month)
    return _sub(m, out)


def _y(m: re.Match[str], off: int) -> str:
    y = m.group("y")
    new = _date(_full_year(y), 7, 2) + dt.timedelta(days=off)
    return _sub(m, {"y": _year(y, new.year)})


def _mon(m: re.Match[str], off: int) -> str:
    new = _ref(_month_num(m.group("mon")), 15) + dt.timedelta(days=off)
    return _sub(m, {"mon": _month_like(m.group("mon"), new.month)})


def _weekday(m: re.Match[str], off: int) -> str:
    w = m.group("wd")
    key = w.casefold().rstrip(".")
    if key in WEEKDAYS:
        idx, full = WEEKDAYS.index(key), True
    else:
        idx, full = _WD_ABBR[key], False
    new = WEEKDAYS[(idx + off) % 7]
    out = new if full else new[:3]
    return _sub(m, {"wd": _case_like(w.rstrip("."), out) + ("." if w.endswith(".") else "")})


_D = r"(?P<d>\d{1,2})"
_M = r"(?P<m>\d{1,2})"
_Y = r"(?P<y>\d{4}|\d{2})"
_Y4 = r"(?P<y>\d{4})"
_ORD = r"(?P<ord>st|nd|rd|th)?"

#: (name, pattern over the whole mention, shifter); the first row that parses a valid date wins.
FORMATS: tuple[tuple[str, str, Callable[[re.Match[str], int], str]], ...] = (
    ("iso", rf"{_Y4}(?P<s>[-/.]){_M}(?P=s){_D}", _ymd),
    ("compact", r"(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)", _ymd),
    ("mdy", rf"{_M}(?P<s>[/\-.]){_D}(?P=s){_Y}", _ymd),
    ("d_mon_y", rf"{_D}{_ORD}(?P<s>[- ]|\s+of\s+){_MON}(?:[- ,]+|\s+of\s+){_Y}", _ymd),
    ("mon_d_y", rf"{_MON}\s*{_D}{_ORD}(?:,\s*|\s+|,)(?:of\s+)?{_Y4}", _ymd),
    ("md", rf"{_M}/{_D}", _md),
    ("mon_d", rf"{_MON}\s*{_D}{_ORD}", _md),
    ("d_mon", rf"{_D}{_ORD}(?:[- ]|\s+of\s+){_MON}", _md),
    ("my", rf"{_M}(?P<s>[/\-]){_Y4}", _my),
    ("mon_y", rf"{_MON}(?:,?\s*|-|\s+of\s+|\s*'){_Y}", _my),
    ("year", r"(?P<y>(?:1[89]|20|21)\d{2})", _y),
    ("apos_year", r"'(?P<y>\d{2})", _y),
    ("month", _MON, _mon),
    (
        "weekday",
        r"(?P<wd>(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday|\.)?)",
        _weekday,
    ),
)
_COMPILED = tuple((n, re.compile(p, re.IGNORECASE), f) for n, p, f in FORMATS)


def date_format(mention: str) -> str | None:
    """The name of the :data:`FORMATS` row that parses ``mention`` (``None`` if none does)."""
    for name, rx, fn in _COMPILED:
        m = rx.fullmatch(mention.strip())
        if m is not None:
            try:
                fn(m, 0)
            except (ValueError, KeyError, OverflowError):
                continue
            return name
    return None


def shift_date(mention: str, offset_days: int) -> str | None:
    """``mention`` shifted by ``offset_days`` in its own format; ``None`` when it cannot be parsed.

    Leading and trailing whitespace is kept; an invalid date ('2/30/2011') does not parse.
    """
    core = mention.strip()
    lead = mention[: len(mention) - len(mention.lstrip())]
    trail = mention[len(mention.rstrip()) :]
    for _, rx, fn in _COMPILED:
        m = rx.fullmatch(core)
        if m is None:
            continue
        try:
            return lead + fn(m, offset_days) + trail
        except (ValueError, KeyError, OverflowError):
            continue
    return None
