"""presidio-research's sentence templates (``templates.txt``), mapped to our placeholders.

The templates use faker-style names (``{{person}}``, ``{{building_number}} {{street_name}}``).
Each maps to one of our placeholder kinds; titles become plain (non-PHI) text; a template with an
entity no i2b2 subtype fits (IP addresses) is dropped.

Example:
    >>> to_placeholders("My name is {{person}}, I live at {{building_number}} {{street_name}}")
    'My name is {PATIENT_FULL}, I live at {STREET}'
    >>> to_placeholders("Stop at the corner of {{street_name}} and Main")
    'Stop at the corner of {STREETNAME} and Main'
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

#: presidio/faker entity -> our placeholder (``{KIND}``) or literal text; ``None`` drops the template.
ENTITY_MAP: dict[str, str | None] = {
    "person": "{PATIENT_FULL}",
    "name": "{PATIENT_FULL}",
    "name_female": "{PATIENT_FULL}",
    "name_male": "{PATIENT_FULL}",
    "first_name": "{PATIENT_FIRST}",
    "first_name_male": "{PATIENT_FIRST}",
    "first_name_female": "{PATIENT_FIRST}",
    "first_name_nonbinary": "{PATIENT_FIRST}",
    "last_name": "{PATIENT_LAST}",
    "last_name_male": "{PATIENT_LAST}",
    "last_name_female": "{PATIENT_LAST}",
    "city": "{OTHERCITY}",
    "address": "{ADDRESS}",
    "street_name": "{STREETNAME}",
    "full_street": "{STREET}",
    "country": "{COUNTRYNAME}",
    "credit_card_number": "{IDNUM}",
    "phone_number": "{PHONE}",
    "organization": "{ORGANIZATION}",
    "age": "{AGE_NUM}",
    "year": "{YEAR}",
    "postcode": "{ZIP}",
    "zipcode": "{ZIP}",
    "nationality": "{NATIONALITY}",
    "nation_woman": "{NATIONALITY}",
    "nation_plural": "{NATIONALITY}",
    "email": "{EMAIL}",
    "url": "{URL}",
    "job": "{PROFESSION}",
    "prefix_male": "Mr.",
    "prefix_female": "Ms.",
    "prefix": "Dr.",
    "iban": "{IDNUM}",
    "date_time": "{DATE}",
    "date_of_birth": "{DOB}",
    "state_abbr": "{STATE}",
    "ssn": "{IDNUM}",
    "day_of_week": "{WEEKDAY}",
    "us_driver_license": "{IDNUM}",
    "ip_address": None,
    "secondary_address": None,
    "building_number": None,
}
_MASK = re.compile(r"\{\{(\w+)\}\}")


def to_placeholders(template: str) -> str | None:
    """Rewrite ``{{entity}}`` masks as our ``{KIND}``; ``None`` when an entity has no mapping."""
    t = template.replace("{{building_number}} {{street_name}}", "{{full_street}}")
    if re.search(r"\{(?!\{)|(?<!\})\}", _MASK.sub("", t)):  # stray braces would read as placeholders
        return None
    out = []
    pos = 0
    for m in _MASK.finditer(t):
        rep = ENTITY_MAP.get(m.group(1))
        if rep is None:
            return None
        out += [t[pos : m.start()], rep]
        pos = m.end()
    out.append(t[pos:])
    return "".join(out)


def load_presidio_templates(data_dir: Path, split: str) -> list[str]:
    """presidio's templates that map cleanly, hash-split (one in five to dev)."""
    path = data_dir / "presidio-synth" / "templates.txt"
    if not path.exists():
        return []
    out = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        t = to_placeholders(line.strip())
        if t and "\ufffd" not in t:
            in_dev = zlib.crc32(t.encode("utf-8")) % 5 == 0
            if in_dev == (split == "dev"):
                out.add(t.replace("\\n", "\n"))
    return sorted(out)
