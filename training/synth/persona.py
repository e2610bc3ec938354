"""One note's cast of PHI values, and the fillers that render each placeholder kind as segments.

A :class:`Persona` fixes the patient, doctors, hospital and address of one note, so that repeated
mentions agree (the patient is "Harlan Valdez", then "Mr. Valdez", then "VALDEZ").

Example:
    >>> p = Persona.draw(pools, random.Random(0))
    >>> segs = p.fill("DOCTOR")
    >>> any(k == "DOCTOR" for _, k in segs)
    True
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from engine.training.synth import formats as F
from engine.training.synth.surrogates import Pools, split_of

#: Surnames that are also eponyms or clinical words: as names they are PHI, in "Foley catheter" not.
EPONYM_SURNAMES = tuple(
    """Foley Parkinson Bell Graves Murphy Wilson Addison Cushing Crohn Hodgkin Barrett Babinski Homans Whipple
    Apgar Kernig Romberg Allen Doppler Holter Swan Ganz Tinel Phalen Hoffman Raynaud Huntington Bowen Paget
    Marfan Turner Down Kaposi""".split()
)

Segs = F.Segs


def _job_surface(rng: random.Random, job: str) -> str:
    """Faker titles read like a catalogue ("Engineer, civil"); notes write "civil engineer"."""
    if ", " in job:
        head, _, qual = job.partition(", ")
        job = f"{qual} {head}"
    return job.lower() if rng.random() < 0.6 else job


def _visit_ymd(rng: random.Random) -> tuple[int, int, int]:
    """The visit date: recent real years or the i2b2 surrogate range, never the distant past."""
    y = rng.randint(2060, 2100) if rng.random() < 0.35 else rng.randint(1998, 2030)
    return y, rng.randint(1, 12), rng.randint(1, 28)


@dataclass
class Name:
    first: str
    last: str
    middle: str = ""

    def forms(self, rng: random.Random, subtype: str, titled: bool = False) -> Segs:
        """A surface form of this name: full, last, first, initial+last, LAST, "Last, First", lower."""
        f, last = self.first, self.last
        r = rng.random()
        if r < 0.32:
            s = f"{f} {last}"
        elif r < 0.42:
            s = f"{f} {self.middle[:1]}. {last}" if self.middle else f"{f} {last}"
        elif r < 0.62:
            s = last
        elif r < 0.7:
            s = f if not titled else last
        elif r < 0.78:
            s = f"{f[0]}. {last}" if rng.random() < 0.7 else f"{f[0]}.{last}"
        elif r < 0.86:
            s = f"{last}, {f}"
        elif r < 0.92:
            s = (f"{f} {last}" if rng.random() < 0.5 else last).upper()
        elif r < 0.96:
            s = f"{f} {last}".lower() if rng.random() < 0.5 else last.lower()
        elif r < 0.985:
            s = f"{f} {self.middle} {last}" if self.middle else f"{last}, {f[0]}."
        else:  # generational suffix, inside the span as i2b2 annotates it
            s = f"{f} {last} {rng.choice(('Jr.', 'Jr', 'Sr.', 'II', 'III'))}"
        return [(s, subtype)]


@dataclass
class Persona:
    """The PHI values of one note."""

    pools: Pools
    rng: random.Random
    patient: Name
    sex: str
    age: int
    doctors: list[Name]
    relatives: list[Name]
    hospital: tuple[str, str, str]
    city: str
    state: tuple[str, str]
    street: str
    zip: str
    ymd: tuple[int, int, int]
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def draw(cls, pools: Pools, rng: random.Random) -> Persona:
        def name(sex: str | None = None) -> Name:
            sex = sex or rng.choice("MF")
            loc = pools.pick_locale(rng)
            last = pools.pick_last(rng, loc)
            if (
                rng.random() < 0.05
            ):  # double-barrelled, sometimes as i2b2 surrogates write it ("Thomas-yosef")
                other = pools.pick_last(rng)
                last = f"{last}-{other.lower() if rng.random() < 0.3 else other}"
            mid = pools.pick_first(rng, loc, sex) if rng.random() < 0.25 else ""
            return Name(pools.pick_first(rng, loc, sex), last, mid)

        sex = rng.choice("MF")

        age = int(min(104, max(0, rng.gauss(58, 20))))
        if rng.random() < 0.03:
            age = rng.randint(90, 104)
        num = rng.randint(1, 9999) if rng.random() < 0.8 else rng.randint(10000, 99999)
        street = f"{num} {rng.choice(pools.streets)}"
        return cls(
            pools,
            rng,
            name(sex),
            sex,
            age,
            [name() for _ in range(3)],
            [name() for _ in range(2)],
            pools.pick_hospital(rng),
            rng.choice(pools.us_cities if rng.random() < 0.8 else pools.cities),
            rng.choice(pools.states),
            street,
            F.id_value(rng, "ZIP"),
            _visit_ymd(rng),
        )

    # ------------------------------------------------------------------ fillers
    def fill(self, kind: str) -> Segs:
        """Render one placeholder kind (``"DOCTOR"``, ``"DATE"``, ``"MRN"``...) as segments."""
        rng, p = self.rng, self.pools
        fn = getattr(self, "_f_" + kind.replace("-", "_"), None)
        if fn is not None:
            return fn()
        simple = {
            "MRN": "MEDICALRECORD",
            "HEALTHPLAN": "HEALTHPLAN",
            "DEVICE": "DEVICE",
            "BIOID": "BIOID",
            "IDNUM": "IDNUM",
            "ZIP": "ZIP",
            "USERNAME": "USERNAME",
        }
        if kind in simple:
            st = simple[kind]
            if kind == "ZIP":
                return [(self.zip if rng.random() < 0.7 else F.id_value(rng, "ZIP"), "ZIP")]
            return [(self._sticky(kind, lambda: F.id_value(rng, st)), st)]
        if kind == "PROFESSION":
            return [(self._sticky(kind, lambda: _job_surface(rng, rng.choice(p.jobs))), "PROFESSION")]
        if kind == "ORGANIZATION":
            return [(rng.choice(p.companies), "ORGANIZATION")]
        if kind == "COUNTRY":
            return [(rng.choice(p.countries if rng.random() < 0.7 else p.nationalities), "COUNTRY")]
        if kind == "LOCATION-OTHER":
            return [(p.pick_location_other(rng), "LOCATION-OTHER")]
        if kind == "OTHERCITY":
            return [(rng.choice(p.cities if rng.random() < 0.5 else p.us_cities), "CITY")]
        raise KeyError(f"unknown placeholder kind {kind!r}")

    def _sticky(self, key: str, make) -> str:  # type: ignore[no-untyped-def]
        if key not in self.extra or self.rng.random() < 0.15:
            self.extra[key] = make()
        return self.extra[key]

    def _f_PATIENT(self) -> Segs:
        return self.patient.forms(self.rng, "PATIENT")

    def _f_PATIENT_FULL(self) -> Segs:
        return [(f"{self.patient.first} {self.patient.last}", "PATIENT")]

    def _f_PATIENT_FIRST(self) -> Segs:
        return [(self.patient.first, "PATIENT")]

    def _f_PATIENT_LAST(self) -> Segs:
        return [(self.patient.last, "PATIENT")]

    def _f_PATIENT_LASTFIRST(self) -> Segs:
        """Registration-system form: ``VALDEZ,HARLAN J`` or ``Valdez,Harlan``."""
        p = self.patient
        s = f"{p.last},{p.first}" + (f" {p.middle[0]}" if p.middle and self.rng.random() < 0.6 else "")
        return [(s.upper() if self.rng.random() < 0.7 else s, "PATIENT")]

    def _f_PATIENT_TITLED(self) -> Segs:
        t = self.rng.choice(("Mr. ", "Mr ") if self.sex == "M" else ("Ms. ", "Mrs. ", "Ms ", "Miss "))
        return [(t, None), (self.patient.last, "PATIENT")]

    def _f_RELATIVE(self) -> Segs:
        return self.rng.choice(self.relatives).forms(self.rng, "PATIENT")

    def _f_DOCTOR(self) -> Segs:
        rng = self.rng
        d = rng.choice(self.doctors[:2] if rng.random() < 0.8 else self.doctors)
        r = rng.random()
        if r < 0.55:
            title = rng.choice(("Dr. ", "Dr. ", "Dr. ", "Dr ", "DR. ", "dr. ", "Doctor ", "Dr."))
            if rng.random() < 0.12:  # other clinicians are annotated DOCTOR too
                title = rng.choice(("NP ", "PA ", "RN ", "Nurse ", "Attending ", "Resident ", "Fellow "))
            return [(title, None)] + d.forms(rng, "DOCTOR", titled=True)
        segs = d.forms(rng, "DOCTOR")
        if r < 0.75:
            segs = segs + [(rng.choice((", MD", " MD", ", M.D.", ", DO", ", NP", ", PA-C", ", RN")), None)]
        return segs

    def _f_DOCTOR_LAST(self) -> Segs:
        return [(self.doctors[1].last, "DOCTOR")]

    def _f_DOCTOR_BARE(self) -> Segs:
        d = self.rng.choice(self.doctors)
        return [(f"{d.first} {d.last}", "DOCTOR")]

    def _f_DOCTOR_INITIALS(self) -> Segs:
        a, b = self.doctors[0], self.doctors[1]
        segs: Segs = [
            (F.initials(a.first, a.last), "DOCTOR"),
            ("/", None),
            (F.initials(b.first, b.last), "DOCTOR"),
        ]
        if self.rng.random() < 0.6:
            segs += [
                ("/", None),
                (self.rng.choice((b.last.lower(), F.id_value(self.rng, "USERNAME"))), "USERNAME"),
            ]
        return segs

    def _f_HOSPITAL(self) -> Segs:
        full, short, acr = self.hospital
        r = self.rng.random()
        s = full if r < 0.6 else short if r < 0.75 else acr if r < 0.9 else full.upper()
        return [(s, "HOSPITAL")]

    def _f_OTHERHOSPITAL(self) -> Segs:
        full, short, acr = self.pools.pick_hospital(self.rng)
        return [(full if self.rng.random() < 0.7 else acr, "HOSPITAL")]

    def _f_CITY(self) -> Segs:
        return [(self.city, "CITY")]

    def _f_STATE(self) -> Segs:
        return [(self.state[0] if self.rng.random() < 0.45 else self.state[1], "STATE")]

    def _f_STREET(self) -> Segs:
        s = self.street
        if self.rng.random() < 0.15:
            s += self.rng.choice((" Apt ", " Apt. ", " #", " Unit ", " Suite ")) + str(
                self.rng.randint(1, 999)
            )
        return [(s, "STREET")]

    def _f_ADDRESS(self) -> Segs:
        rng = self.rng
        sep = rng.choice((", ", "\n", " "))
        return (
            self._f_STREET()
            + [(sep, None)]
            + self._f_CITY()
            + [(", " if rng.random() < 0.8 else " ", None)]
            + self._f_STATE()
            + [(" ", None), (self.zip, "ZIP")]
        )

    def _f_AGE(self) -> Segs:
        return F.age(self.rng, self.age, sex=self.sex)

    def _f_AGE_SEX(self) -> Segs:
        """Age and sex together without repeating the sex: "66 y/o man", "72-year-old female", "45F"."""
        styles = (
            "year_old_hyphen",
            "year_old",
            "yo",
            "y.o.",
            "yoM",
            "y/o",
            "yr_old",
            "mf",
            "ymonths",
            "bare",
        )
        st = self.rng.choices(styles, [F.AGE_STYLES[x] for x in styles])[0]
        segs = F.age(self.rng, self.age, style=st, sex=self.sex)
        if st in F.AGE_STYLES_WITH_SEX:
            return segs
        return segs + [(" ", None)] + self._f_SEXWORD()

    def _f_AGE_NUM(self) -> Segs:
        return [(str(self.age), "AGE")]

    def _f_DATE(self) -> Segs:
        rng = self.rng
        y, m, d = self.ymd
        if rng.random() < 0.6:  # dates cluster around the visit
            m2, d2 = max(1, min(12, m + rng.randint(-2, 2))), rng.randint(1, 28)
            return F.date(rng, (y, m2, d2))
        return F.date(rng)

    def _f_DATE_FULL(self) -> Segs:
        rng = self.rng
        st = rng.choice(("mdy_slash", "mdy_slash_short", "iso", "mon_d_y", "dmy_mon", "mdy_slash_yy"))
        segs = F.date(rng, self.ymd, st)
        if rng.random() < 0.2:  # a time of day follows; it is not PHI
            h, m = rng.randint(0, 23), rng.choice((0, 5, 12, 15, 30, 45, 50))
            times = (f" {h:02d}:{m:02d}", f" {h:02d}{m:02d}", f" at {h % 12 or 12}:{m:02d} PM")
            segs += [(rng.choice(times), None)]
        return segs

    def _f_DOB(self) -> Segs:
        y, m, d = self.ymd
        st = self.rng.choice(("mdy_slash", "mdy_slash_short", "iso", "mon_d_y", "dmy_mon", "mdy_slash_yy"))
        return F.date(self.rng, (y - self.age, self.rng.randint(1, 12), self.rng.randint(1, 28)), st)

    def _f_PHONE(self) -> Segs:
        return F.phone(self.rng, "PHONE")

    def _f_FAX(self) -> Segs:
        return F.phone(self.rng, "FAX")

    def _f_EMAIL(self) -> Segs:
        rng = self.rng
        n = rng.choice([self.patient] + self.doctors)
        user = rng.choice(
            (
                f"{n.first}.{n.last}",
                f"{n.first[0]}{n.last}",
                f"{n.last}{rng.randint(1, 99)}",
                f"{n.first}_{n.last[0]}",
            )
        )
        user = F.ascii_user(user)
        if rng.random() < 0.6:
            dom = rng.choice(self.pools.domains)
        else:
            dom = self._domain()
        return [(f"{user}@{dom}", "EMAIL")]

    def _domain(self) -> str:
        rng = self.rng
        full, short, acr = self.hospital
        base = rng.choice(
            (acr.lower(), F.ascii_user(short).lower(), F.ascii_user(full).lower().replace(".", "")[:24])
        )
        return f"{base}.{rng.choice(('org', 'com', 'edu', 'net', 'health'))}"

    def _f_URL(self) -> Segs:
        rng = self.rng
        dom = self._domain()
        pre = rng.choice(("www.", "http://www.", "https://", "https://www.", ""))
        path = rng.choice(
            ("", "", "/portal", "/patients", "/mychart/login", f"/appt?id={rng.randint(1000, 99999)}")
        )
        return [(f"{pre}{dom}{path}", "URL")]

    def _f_SEXWORD(self) -> Segs:
        words = ("male", "man", "gentleman") if self.sex == "M" else ("female", "woman", "lady")
        return [(self.rng.choice(words), None)]

    def _f_SEX1(self) -> Segs:
        return [(self.sex, None)]

    def _f_WEEKDAYS(self) -> Segs:
        return F.date(self.rng, style="weekday_letters")

    def _f_NATIONALITY(self) -> Segs:
        return [(self.rng.choice(self.pools.nationalities), "COUNTRY")]

    def _f_COUNTRYNAME(self) -> Segs:
        return [(self.rng.choice(self.pools.countries), "COUNTRY")]

    def _f_WEEKDAY(self) -> Segs:
        return F.date(self.rng, style="weekday")

    def _f_YEAR(self) -> Segs:
        return F.date(self.rng, style="year")

    def _f_STREETNAME(self) -> Segs:
        return [(self.street.split(" ", 1)[1], "STREET")]

    def _f_DECADE(self) -> Segs:
        return F.date(self.rng, style="decade")

    def _f_EPONYM_DOCTOR(self) -> Segs:
        """A clinician whose surname is also an eponym ("Dr. Foley placed a Foley catheter")."""
        # train gets all of them (the contrast is the point); dev only its own hash share
        names = [n for n in EPONYM_SURNAMES if self.pools.split == "train" or split_of(n) == "dev"]
        return [(self.rng.choice(names), "DOCTOR")]
