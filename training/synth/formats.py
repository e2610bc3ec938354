"""Surface formats of PHI values, written as segment lists.

A *segment list* is ``[(text, subtype_or_None), ...]``; concatenated it is the surface, and the
segments with a subtype become spans. This is how the i2b2 convention of annotating only part of a
surface is kept: ``"79yo"`` is ``[("79", "AGE"), ("yo", None)]``.

Formats follow the regex table of the i2b2 2014 winning system (Yang & Garibaldi) and the notes.

Example:
    >>> rng = random.Random(3)
    >>> segs = age(rng, 79, style="yo")
    >>> segs
    [('79', 'AGE'), ('yo', None)]
"""

from __future__ import annotations

import random
import string

Seg = tuple[str, "str | None"]
Segs = list[Seg]

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MON3 = tuple(m[:3] for m in MONTHS)
MON_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_SHORT = ("Mon", "Tue", "Tues", "Wed", "Thu", "Thurs", "Fri", "Sat", "Sun")
WEEKDAY_LETTERS = ("MWF", "MWFS", "T-Th-Sa", "TTh", "M/W/F", "Tu/Th/Sa", "MTWThF", "TThS", "M-W-F")
HOLIDAYS = (
    "Christmas",
    "Thanksgiving",
    "Easter",
    "New Year's Day",
    "Memorial Day",
    "Labor Day",
    "Independence Day",
    "Christmas Eve",
    "New Year's Eve",
    "Halloween",
    "Valentine's Day",
)


def _ord(n: int) -> str:
    suf = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suf}"


def random_ymd(rng: random.Random) -> tuple[int, int, int]:
    """A random date; years mix real ranges with the i2b2 surrogate range (2060-2100)."""
    r = rng.random()
    y = (
        rng.randint(2060, 2100)
        if r < 0.3
        else rng.randint(1995, 2030)
        if r < 0.8
        else rng.randint(1925, 1994)
    )
    return y, rng.randint(1, 12), rng.randint(1, 28)


def date(rng: random.Random, ymd: tuple[int, int, int] | None = None, style: str | None = None) -> Segs:
    """A DATE surface in one of ~30 formats (whole surface is the span).

    Example:
        >>> date(random.Random(0), (2059, 1, 10), "iso")
        [('2059-01-10', 'DATE')]
    """
    y, m, d = ymd or random_ymd(rng)
    styles = DATE_STYLES
    st = style or rng.choices(list(styles), list(styles.values()))[0]
    yy = f"{y % 100:02d}"
    mon, mon3 = MONTHS[m - 1], MON3[m - 1]
    f = {
        "mdy_slash": f"{m:02d}/{d:02d}/{y}",
        "mdy_slash_short": f"{m}/{d}/{y}",
        "mdy_slash_yy": f"{m}/{d}/{yy}",
        "mdy_slash_0yy": f"{m:02d}/{d:02d}/{yy}",
        "md_slash": f"{m}/{d}",
        "md_slash0": f"{m:02d}/{d:02d}",
        "iso": f"{y}-{m:02d}-{d:02d}",
        "mdy_dash": f"{m:02d}-{d:02d}-{y}",
        "mdy_dash_yy": f"{m}-{d}-{yy}",
        "dmy_mon": f"{d}-{mon3}-{y}",
        "dmy_mon2": f"{d:02d}-{mon3.upper()}-{yy}",
        "dmy_space": f"{d} {mon3} {y}",
        "mon_d_y": f"{mon} {d}, {y}",
        "mon3_d_y": f"{rng.choice((mon3, MON_ABBR[m - 1] + '.'))} {d}, {y}",
        "mon_d": f"{mon} {d}",
        "mon_ord": f"{mon} {_ord(d)}",
        "ord_of_mon": f"{_ord(d)} of {mon}",
        "mon_y": f"{mon} {y}",
        "mon_of_y": f"{rng.choice((mon, mon, mon3))} of {y}",
        "mon3_y": f"{mon3}-{y}",
        "mon3_y_space": f"{mon3} {y}",
        "m_y": f"{m:02d}/{y}",
        "m_yy": f"{m}/{yy}",
        "year": f"{y}",
        "apos_yy": f"'{yy}",
        "decade": f"{(y % 100) // 10 * 10}'s" if rng.random() < 0.5 else f"{(y % 100) // 10 * 10}s",
        "month": rng.choice((mon, mon3)),
        "weekday": rng.choice(WEEKDAYS) if rng.random() < 0.8 else rng.choice(WEEKDAY_SHORT),
        "weekday_letters": rng.choice(WEEKDAY_LETTERS),
        "dotted": f"{m:02d}.{d:02d}.{y}",
        "compact": f"{y}{m:02d}{d:02d}",
        "holiday": rng.choice(HOLIDAYS),
        "season_year": f"{rng.choice(('spring', 'summer', 'fall', 'winter'))} of {y}",
    }[st]
    return [(f, "DATE")]


DATE_STYLES: dict[str, float] = {
    "mdy_slash": 10,
    "mdy_slash_short": 8,
    "mdy_slash_yy": 5,
    "mdy_slash_0yy": 2,
    "md_slash": 8,
    "md_slash0": 2,
    "iso": 5,
    "mdy_dash": 2,
    "mdy_dash_yy": 1,
    "dmy_mon": 3,
    "dmy_mon2": 1,
    "dmy_space": 1,
    "mon_d_y": 5,
    "mon3_d_y": 2,
    "mon_d": 3,
    "mon_ord": 1,
    "ord_of_mon": 0.5,
    "mon_y": 2,
    "mon_of_y": 0.7,
    "mon3_y": 1.5,
    "mon3_y_space": 1,
    "m_y": 2,
    "m_yy": 1,
    "year": 6,
    "apos_yy": 1,
    "decade": 0,  # only where a decade is meant: the {DECADE} placeholder
    "month": 2,
    "weekday": 3,
    "weekday_letters": 0,  # only where a schedule is meant: the {WEEKDAYS} placeholder
    "dotted": 0.5,
    "compact": 0.5,
    "holiday": 0.7,
    "season_year": 0.5,
}


#: Age styles whose surface already says the sex ("37 yoM", "45 y/o female", "62F").
AGE_STYLES_WITH_SEX = frozenset({"yoM", "y/o", "mf"})

AGE_STYLES: dict[str, float] = {
    "year_old_hyphen": 10,
    "year_old": 4,
    "yo": 5,
    "y.o.": 4,
    "yoM": 3,
    "y/o": 3,
    "yr_old": 2,
    "age_n": 4,
    "aged": 2,
    "years_of_age": 2,
    "ymonths": 0.7,
    "decade": 1,
    "bare": 2,
    "mf": 2,
    "month_old": 0.5,
}


def age(rng: random.Random, n: int | None = None, style: str | None = None, sex: str = "M") -> Segs:
    """An AGE surface; only the number is the span (``"79yo"`` -> span ``"79"``).

    Example:
        >>> age(random.Random(1), 72, "year_old_hyphen")
        [('72', 'AGE'), ('-year-old', None)]
    """
    n = n if n is not None else rng.randint(18, 99)
    st = style or rng.choices(list(AGE_STYLES), list(AGE_STYLES.values()))[0]
    num = str(n)
    if st == "year_old_hyphen":
        return [(num, "AGE"), (rng.choice(("-year-old", "-yr-old", "-year old", "-y/o")), None)]
    if st == "year_old":
        return [(num, "AGE"), (rng.choice((" year old", " years old", " yr old", " yrs old")), None)]
    if st == "yo":
        return [(num, "AGE"), (rng.choice(("yo", " yo", "yo ", "YO")).rstrip(), None)]
    if st == "y.o.":
        return [(num, "AGE"), (rng.choice(("y.o.", " y.o.", "y/o", " y/o")), None)]
    if st == "yoM":
        return [(num, "AGE"), (rng.choice((" yo", "yo", " y.o. ", "y ")) + sex.upper(), None)]
    if st == "y/o":
        words = ("male", "M", "man") if sex.upper() == "M" else ("female", "F", "woman")
        return [(num, "AGE"), (rng.choice((" y/o ", "y/o ")) + rng.choice(words), None)]
    if st == "yr_old":
        return [(num, "AGE"), (rng.choice((" yr old", "-yr-old", " yrs")), None)]
    if st == "age_n":
        return [(rng.choice(("age ", "Age: ", "age: ", "AGE ")), None), (num, "AGE")]
    if st == "aged":
        return [("aged ", None), (num, "AGE")]
    if st == "years_of_age":
        return [(num, "AGE"), (" years of age", None)]
    if st == "ymonths":  # 49y7.7m
        return [(num, "AGE"), (f"y{rng.randint(1, 11)}.{rng.randint(0, 9)}m", None)]
    if st == "decade":
        return [(f"{max(2, n // 10) * 10}s", "AGE")]
    if st == "mf":
        return [(num, "AGE"), (rng.choice(("", " ")) + rng.choice((sex.upper(), sex.lower())), None)]
    if st == "month_old":
        return [(str(rng.randint(2, 23)), "AGE"), (rng.choice(("-month-old", " month old", " mo")), None)]
    return [(num, "AGE")]


def _digits(rng: random.Random, k: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(k))


def _letters(rng: random.Random, k: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(k))


def phone(rng: random.Random, subtype: str = "PHONE") -> Segs:
    """A US-style phone or fax number, sometimes with an extension inside the span.

    Example:
        >>> phone(random.Random(0))[0][1]
        'PHONE'
    """
    a, b, c = str(rng.randint(201, 989)), str(rng.randint(200, 999)), _digits(rng, 4)
    r = rng.random()
    if r < 0.3:
        s = f"({a}) {b}-{c}"
    elif r < 0.5:
        s = f"{a}-{b}-{c}"
    elif r < 0.62:
        s = f"{a}.{b}.{c}"
    elif r < 0.7:
        s = f"{b}-{c}"
    elif r < 0.76:
        s = f"+1 {a} {b} {c}"
    elif r < 0.82:
        s = f"1-{a}-{b}-{c}"
    elif r < 0.88:
        s = f"{a} {b} {c}"
    elif r < 0.93:
        s = f"({a}){b}-{c}"
    else:
        s = f"{rng.randint(1, 9)}-{_digits(rng, 4)}"  # internal pager / extension
    if rng.random() < 0.08:
        s += rng.choice((" x", " ext. ", " ext ", " x")) + _digits(rng, rng.randint(3, 5))
    return [(s, subtype)]


def id_value(rng: random.Random, subtype: str) -> str:
    """An identifier string in a format typical of ``subtype``.

    Example:
        >>> id_value(random.Random(0), "ZIP").isdigit()
        True
    """
    r = rng.random()
    if subtype == "MEDICALRECORD":
        opts = (
            lambda: f"{rng.randint(1, 9)}-{_digits(rng, 6)}",
            lambda: f"{_digits(rng, 4)}{rng.choice(string.ascii_uppercase)}{_digits(rng, 4)}",
            lambda: f"{_letters(rng, 2)}{_digits(rng, 6)}",
            lambda: _digits(rng, rng.randint(6, 10)),
            lambda: f"{_digits(rng, 3)}-{_digits(rng, 2)}-{_digits(rng, 2)}",
            lambda: f"{_digits(rng, 2)}-{_digits(rng, 3)}-{_digits(rng, 3)}",
            lambda: f"0{_digits(rng, 7)}",
        )
        return rng.choice(opts)()
    if subtype == "IDNUM":
        opts = (
            lambda: _digits(rng, rng.randint(5, 12)),
            lambda: f"{_letters(rng, 1)}{_digits(rng, rng.randint(5, 9))}",
            lambda: f"{_letters(rng, 2)}-{_digits(rng, 2)}-{_digits(rng, 5)}",
            lambda: f"{_digits(rng, 3)}-{_digits(rng, 2)}-{_digits(rng, 4)}",
            lambda: f"{_letters(rng, 3)}{_digits(rng, 4)}{_letters(rng, 1)}",
            lambda: f"{_digits(rng, 4)}-{_digits(rng, 4)}-{_digits(rng, 4)}-{_digits(rng, 4)}",
            lambda: f"{rng.choice('SMPL')}{_digits(rng, 2)}-{_digits(rng, 5)}",
        )
        return rng.choice(opts)()
    if subtype == "HEALTHPLAN":
        opts = (
            lambda: f"{_letters(rng, 3)}{_digits(rng, 9)}",
            lambda: _digits(rng, rng.randint(9, 12)),
            lambda: (
                f"{_digits(rng, 1)}{_letters(rng, 2)}{_digits(rng, 1)}-"
                f"{_letters(rng, 2)}{_digits(rng, 1)}-{_letters(rng, 2)}{_digits(rng, 2)}"
            ),
            lambda: f"{_letters(rng, 1)}{_digits(rng, 8)}{rng.choice(('', '01', '-02'))}",
            lambda: f"{_digits(rng, 3)}-{_digits(rng, 2)}-{_digits(rng, 4)}{rng.choice('ABCD')}",
        )
        return rng.choice(opts)()
    if subtype == "DEVICE":
        opts = (
            lambda: f"{_letters(rng, 3)}{_digits(rng, 6)}{rng.choice(('', 'H', 'S', 'R'))}",
            lambda: (
                f"{_digits(rng, 2)}{_letters(rng, 2)}-{_digits(rng, 4)}-{rng.choice(string.ascii_uppercase)}"
            ),
            lambda: f"SN{_digits(rng, rng.randint(6, 10))}",
            lambda: f"{_letters(rng, 1)}{_digits(rng, 3)}{_letters(rng, 2)}{_digits(rng, 3)}",
            lambda: _digits(rng, rng.randint(7, 11)),
        )
        return rng.choice(opts)()
    if subtype == "BIOID":
        opts = (
            lambda: f"{_digits(rng, 2)}-{_letters(rng, 1)}{_digits(rng, 1)}",
            lambda: f"{_letters(rng, 2)}{_digits(rng, 2)}-{_digits(rng, 5)}",
            lambda: f"{_letters(rng, 1)}{_digits(rng, 2)}-{_digits(rng, 4)}{rng.choice(('', '-A', '-B1'))}",
            lambda: f"{_letters(rng, 3)}-{_digits(rng, 6)}",
        )
        return rng.choice(opts)()
    if subtype == "ZIP":
        return _digits(rng, 5) + (f"-{_digits(rng, 4)}" if r < 0.2 else "")
    if subtype == "USERNAME":
        opts = (
            lambda: f"{_letters(rng, 1)}{_digits(rng, 3)}",
            lambda: f"{_letters(rng, 3).lower()}{_digits(rng, 2)}",
            lambda: f"{_letters(rng, 2).lower()}{_digits(rng, rng.randint(1, 4))}",
            lambda: _letters(rng, 3).lower(),
        )
        return rng.choice(opts)()
    raise ValueError(f"no id format for {subtype}")


def initials(first: str, last: str) -> str:
    """``("Gary", "Quinn")`` -> ``"GQ"``."""
    return (first[:1] + last[:1]).upper()


def ascii_user(s: str) -> str:
    """Make a name usable in an e-mail local part or domain: ASCII letters, digits, dots, underscores."""
    import unicodedata

    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in s if ch.isalnum() or ch in "._").strip("._") or "user"
