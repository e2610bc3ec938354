"""Label schemes as data: the i2b2 2014 PHI scheme and BIO tag tables.

A model's own label map (``labels.json``) decides what it predicts; the i2b2 table only maps a known
subtype to its category. A model trained on another scheme (e.g. MEDDOCAN) reports its own labels as
categories with no subtype.

Example:
    >>> category_of("DOCTOR")
    'NAME'
    >>> split_tag("B-DOCTOR")
    ('B', 'DOCTOR')
    >>> bio_labels(["AGE"])
    ['O', 'B-AGE', 'I-AGE']
"""

from __future__ import annotations

from collections.abc import Iterable

#: i2b2 2014: 7 categories and all their subtypes as the XML annotates them.
I2B2_2014: dict[str, tuple[str, ...]] = {
    "NAME": ("PATIENT", "DOCTOR", "USERNAME"),
    "PROFESSION": ("PROFESSION",),
    "LOCATION": (
        "ROOM",
        "DEPARTMENT",
        "HOSPITAL",
        "ORGANIZATION",
        "STREET",
        "CITY",
        "STATE",
        "COUNTRY",
        "ZIP",
        "LOCATION-OTHER",
    ),
    "AGE": ("AGE",),
    "DATE": ("DATE",),
    "CONTACT": ("PHONE", "FAX", "EMAIL", "URL", "IPADDR"),
    "ID": ("SSN", "MEDICALRECORD", "HEALTHPLAN", "ACCOUNT", "LICENSE", "VEHICLE", "DEVICE", "BIOID", "IDNUM"),
}

SUBTYPE_TO_CATEGORY: dict[str, str] = {st: cat for cat, sts in I2B2_2014.items() for st in sts}
# i2b2 XML writes LOCATION's "other" subtype as OTHER.
SUBTYPE_ALIASES: dict[str, str] = {"OTHER": "LOCATION-OTHER", "LOCATION_OTHER": "LOCATION-OTHER"}

#: Every subtype of the i2b2 2014 XML.
I2B2_SUBTYPES: tuple[str, ...] = tuple(SUBTYPE_TO_CATEGORY)

#: Subtypes the default model is not trained on: rare in the i2b2 2014 corpus, found by templates.
TEMPLATE_ONLY_SUBTYPES: frozenset[str] = frozenset(
    {"IPADDR", "SSN", "ACCOUNT", "LICENSE", "VEHICLE", "ROOM", "DEPARTMENT"}
)

#: The subtypes the default model is trained on (the 23 the i2b2 2014 corpus uses in practice), in
#: the table's order: the order of the model's BIO labels.
MODEL_SUBTYPES: tuple[str, ...] = tuple(s for s in I2B2_SUBTYPES if s not in TEMPLATE_ONLY_SUBTYPES)

#: HIPAA's identifiers: i2b2 categories/subtypes outside HIPAA are excluded from the HIPAA view.
NON_HIPAA_SUBTYPES: frozenset[str] = frozenset(
    {
        "HOSPITAL",
        "PROFESSION",
        "ORGANIZATION",
        "COUNTRY",
        "STATE",
        "LOCATION-OTHER",
        "DOCTOR",
        "USERNAME",
        "ROOM",
        "DEPARTMENT",
    }
)

OUTSIDE = "O"


def normalize_subtype(name: str) -> str:
    """Upper-case a subtype name and resolve aliases (``other`` -> ``LOCATION-OTHER``)."""
    up = name.strip().upper()
    return SUBTYPE_ALIASES.get(up, up)


def category_of(type_name: str) -> str:
    """Category of a subtype; an unknown type is its own category."""
    t = normalize_subtype(type_name)
    return SUBTYPE_TO_CATEGORY.get(t, t)


def label_and_subtype(type_name: str) -> tuple[str, str | None]:
    """Map a model type to ``(label, subtype)`` for a :class:`~engine.types.Span`.

    Example:
        >>> label_and_subtype("CITY"), label_and_subtype("NOMBRE_SUJETO_ASISTENCIA")
        (('LOCATION', 'CITY'), ('NOMBRE_SUJETO_ASISTENCIA', None))
    """
    t = normalize_subtype(type_name)
    if t in SUBTYPE_TO_CATEGORY:
        return SUBTYPE_TO_CATEGORY[t], t
    return type_name, None


def split_tag(tag: str) -> tuple[str, str | None]:
    """Split a BIO tag into its prefix and type.

    Example: ``"I-CITY"`` -> ``("I", "CITY")``; ``"O"`` -> ``("O", None)``.
    """
    if tag == OUTSIDE:
        return OUTSIDE, None
    prefix, sep, typ = tag.partition("-")
    if not sep or prefix not in ("B", "I"):
        raise ValueError(f"Not a BIO tag: {tag!r}")
    return prefix, typ


def bio_labels(types: Iterable[str]) -> list[str]:
    """The BIO tag list for ``types``: ``O`` first, then B-/I- per type in the given order."""
    out = [OUTSIDE]
    for t in types:
        out += [f"B-{t}", f"I-{t}"]
    return out
