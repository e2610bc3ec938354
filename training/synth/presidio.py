"""presidio-research templates (``synth_dataset_v2.json`` masked texts), mapped to our placeholders.

Example:
    >>> to_placeholders("My name is {{PERSON}}")
    'My name is {PATIENT_FULL}'
"""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path

#: presidio entity -> our placeholder kind; ``None`` drops the template (no i2b2 subtype fits).
ENTITY_MAP: dict[str, str | None] = {
    "PERSON": "PATIENT_FULL", "STREET_ADDRESS": "ADDRESS", "GPE": "OTHERCITY", "ORGANIZATION": "ORGANIZATION",
    "CREDIT_CARD": "IDNUM", "DATE_TIME": "DATE", "TITLE": "PROFESSION", "PHONE_NUMBER": "PHONE", "AGE": "AGE_NUM",
    "NRP": "COUNTRY", "EMAIL_ADDRESS": "EMAIL", "ZIP_CODE": "ZIP", "DOMAIN_NAME": "URL", "IBAN_CODE": "IDNUM",
    "US_SSN": "IDNUM", "US_DRIVER_LICENSE": "IDNUM", "IP_ADDRESS": None,
}
_MASK = re.compile(r"\{\{(\w+)\}\}")


def to_placeholders(masked: str) -> str | None:
    """Rewrite presidio's ``{{ENTITY}}`` masks as ``{KIND}``; ``None`` when an entity has no mapping."""
    if any(ENTITY_MAP.get(m, None) is None for m in _MASK.findall(masked)):
        return None
    body = masked.replace("{", "(").replace("}", ")") if "{" in _MASK.sub("", masked) else masked
    return _MASK.sub(lambda m: "{" + ENTITY_MAP[m.group(1)] + "}", body)  # type: ignore[operator]


def load_presidio_templates(data_dir: Path, split: str) -> list[str]:
    """Distinct masked templates of presidio's synthetic set, hash-split between train and dev."""
    path = data_dir / "presidio-synth" / "synth_dataset_v2.json"
    if not path.exists():
        return []
    out = set()
    for rec in json.loads(path.read_text(encoding="utf-8")):
        t = to_placeholders(rec["masked"])
        if t and t.strip():
            in_dev = zlib.crc32(t.encode()) % 5 == 0
            if in_dev == (split == "dev"):
                out.add(t.strip())
    return sorted(out)
