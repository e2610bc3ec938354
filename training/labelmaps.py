"""Label maps as data: corpus types -> (label, subtype), loaded from ``training/labelmap_data/*.json``.

Registered maps (versioned names; an unknown name raises listing the valid ones):

* ``i2b2.v1``: identity on the i2b2 2014 scheme (aliases such as ``OTHER`` resolved).
* ``meddocan.v1``: MEDDOCAN types to themselves (label = type, no subtype).
* ``meddocan->i2b2.v1``: MEDDOCAN types to i2b2 categories/subtypes (non-PHI types dropped).
* ``presidio->i2b2.v1``: presidio-research synth entity types to i2b2 categories/subtypes.

A map is keyed on ``span.type`` (the subtype when there is one, else the label). A target of ``None``
drops the span. Optional regex rules refine a target by the span's surface text (MEDDOCAN
``TERRITORIO`` "28046" is a ZIP, "Madrid" a CITY).

Example:
    >>> from engine.types import Span
    >>> from engine.training.corpora import AnnotatedDocument
    >>> spans = (Span(0, 3, "NOMBRE_SUJETO_ASISTENCIA"), Span(5, 10, "TERRITORIO"))
    >>> doc = AnnotatedDocument("d", "Ana, 28046", spans)
    >>> [(s.label, s.subtype) for s in apply_labelmap(doc, get_labelmap("meddocan->i2b2.v1")).spans]
    [('NAME', 'PATIENT'), ('LOCATION', 'ZIP')]
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Literal

from engine.errors import ConfigError
from engine.labels import SUBTYPE_ALIASES, SUBTYPE_TO_CATEGORY
from engine.training.corpora.base import AnnotatedDocument

Target = tuple[str, str | None] | None


@dataclass(frozen=True)
class LabelMap:
    """A corpus-type -> (label, subtype) table with optional surface-text rules.

    Attributes:
        name: versioned registry name.
        mapping: type -> ``(label, subtype)``, or ``None`` to drop.
        rules: ``(type, compiled pattern, target)``: the first rule whose type matches and whose
            pattern matches the span's surface text wins over ``mapping``.
    """

    name: str
    mapping: Mapping[str, Target]
    rules: tuple[tuple[str, re.Pattern[str], Target], ...] = field(default=())

    def target(self, type_name: str, surface: str) -> Target:
        """The mapped ``(label, subtype)`` (``None`` = drop); ``KeyError`` for an unmapped type."""
        for typ, pattern, tgt in self.rules:
            if typ == type_name and pattern.search(surface):
                return tgt
        return self.mapping[type_name]


def _target(raw: object, where: str) -> Target:
    if raw is None:
        return None
    if isinstance(raw, list) and len(raw) == 2 and isinstance(raw[0], str):
        sub = raw[1]
        if sub is not None and sub not in SUBTYPE_TO_CATEGORY:
            raise ConfigError("E380", f"{where}: {sub!r} is not an i2b2 subtype")
        return raw[0], sub
    raise ConfigError("E381", f"{where}: target must be [label, subtype] or null, got {raw!r}")


def load_labelmap_json(text: str, source: str = "<string>") -> LabelMap:
    """Parse a label map JSON document (``name``, ``map``, optional ``rules``)."""
    data = json.loads(text)
    mapping = {k: _target(v, f"{source} map[{k!r}]") for k, v in data["map"].items()}
    rules = tuple((r["type"], re.compile(r["pattern"]), _target(r["to"], f"{source} rule {r!r}"))
                  for r in data.get("rules", []))
    return LabelMap(data["name"], mapping, rules)


def _from_package(filename: str) -> LabelMap:
    text = resources.files("engine.training.labelmap_data").joinpath(filename).read_text(encoding="utf-8")
    return load_labelmap_json(text, filename)


def _i2b2_identity() -> LabelMap:
    mapping: dict[str, Target] = {st: (cat, st) for st, cat in SUBTYPE_TO_CATEGORY.items()}
    mapping.update({alias: (SUBTYPE_TO_CATEGORY[st], st) for alias, st in SUBTYPE_ALIASES.items()})
    return LabelMap("i2b2.v1", mapping)


def _meddocan_own() -> LabelMap:
    base = _from_package("meddocan_i2b2.json")
    return LabelMap("meddocan.v1", {t: (t, None) for t in base.mapping})


#: The registry, filled in one place (factories: data is read on first use, not at import).
LABELMAPS = {
    "i2b2.v1": _i2b2_identity,
    "meddocan.v1": _meddocan_own,
    "meddocan->i2b2.v1": lambda: _from_package("meddocan_i2b2.json"),
    "presidio->i2b2.v1": lambda: _from_package("presidio_i2b2.json"),
}


def get_labelmap(name: str) -> LabelMap:
    """Build a registered label map; an unknown name raises listing the valid ones."""
    if name not in LABELMAPS:
        raise ConfigError("E382", f"unknown label map {name!r}",
                          fix=f"Use one of: {', '.join(sorted(LABELMAPS))}.")
    return LABELMAPS[name]()


def apply_labelmap(
    doc: AnnotatedDocument, mapping: LabelMap, unknown: Literal["raise", "drop", "keep"] = "raise"
) -> AnnotatedDocument:
    """A copy of ``doc`` with every span relabelled through ``mapping``.

    Args:
        doc: the document (not modified).
        mapping: the label map.
        unknown: what to do with a type the map does not know: ``"raise"`` (default: a silent drop
            would hide PHI from training and evaluation), ``"drop"``, or ``"keep"`` unchanged.

    Raises:
        ConfigError: an unmapped type with ``unknown="raise"``.
    """
    out = []
    for s in doc.spans:
        try:
            tgt = mapping.target(s.type, doc.surface(s))
        except KeyError:
            if unknown == "raise":
                raise ConfigError("E383", f"label map {mapping.name!r} has no entry for {s.type!r} "
                                  f"(document {doc.id!r})",
                                  fix="Add it to the map (null drops it) or pass unknown='drop'.") from None
            if unknown == "keep":
                out.append(s)
            continue
        if tgt is not None:
            out.append(replace(s, label=tgt[0], subtype=tgt[1]))
    return doc.with_spans(out)
