"""Scoring profiles: score a corpus under its own annotation conventions, not the i2b2 ones.

A corpus that does not annotate something (professions; ages of 89 or less) cannot tell whether a
prediction of it is right, so such predictions are *out of scope*: removed before scoring and
counted apart. Things a corpus explicitly says are not PHI (weekdays, clock times) stay in and count
as false positives. ``location_subtype=False`` scores LOCATION without its subtype.

Profiles are data (:data:`PROFILES`); an unknown name raises with the valid ones.

Example:
    >>> from engine.types import Span
    >>> text = "pt 92 yo, 65 yo RN"
    >>> pred = [Span(3, 5, "AGE", "AGE"), Span(10, 12, "AGE", "AGE"), Span(16, 18, "PROFESSION")]
    >>> kept, dropped = get_profile("physionet").split_predictions(text, pred)
    >>> [text[s.start:s.end] for s in kept], [text[s.start:s.end] for s in dropped]
    (['92'], ['65', 'RN'])
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from engine.errors import InputError
from engine.types import Span

_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True, slots=True)
class EvalProfile:
    """A corpus's annotation conventions, as the scorer needs them.

    Attributes:
        name: profile name (``--profile``).
        categories: categories the corpus annotates; predictions of others are out of scope.
            ``None``: every category.
        age_over: the corpus annotates only ages above this; predicted AGE spans whose number is at
            most this are out of scope. ``None``: every age.
        location_subtype: False scores LOCATION spans without their subtype (the corpus has none).
        note: one line on where the conventions come from.
    """

    name: str
    categories: frozenset[str] | None = None
    age_over: int | None = None
    location_subtype: bool = True
    note: str = ""

    def in_scope(self, text: str, span: Span) -> bool:
        """True when the corpus would have annotated ``span`` had it been PHI."""
        if self.categories is not None and span.label not in self.categories:
            return False
        if self.age_over is not None and span.label == "AGE":
            m = _NUMBER.search(text[span.start : span.end])
            if m is not None and float(m.group()) <= self.age_over:
                return False
        return True

    def normalize(self, span: Span) -> Span:
        """``span`` as the corpus labels it (LOCATION subtypes dropped when the corpus has none)."""
        if not self.location_subtype and span.label == "LOCATION" and span.subtype is not None:
            return Span(span.start, span.end, span.label, None, span.score, span.source)
        return span

    def split_predictions(self, text: str, spans: Sequence[Span]) -> tuple[list[Span], list[Span]]:
        """``(scored, out_of_scope)``: the predictions the corpus can judge, normalised, and the rest."""
        kept: list[Span] = []
        dropped: list[Span] = []
        for s in spans:
            (kept if self.in_scope(text, s) else dropped).append(s)
        return [self.normalize(s) for s in kept], dropped

    def gold(self, spans: Sequence[Span]) -> list[Span]:
        """Gold spans, normalised the same way."""
        return [self.normalize(s) for s in spans]


#: Named scoring profiles.
PROFILES: dict[str, EvalProfile] = {
    "i2b2": EvalProfile("i2b2", note="i2b2 2014: every category and subtype as annotated"),
    "physionet": EvalProfile(
        "physionet",
        categories=frozenset({"NAME", "DATE", "AGE", "CONTACT", "LOCATION", "ID"}),
        age_over=89,
        location_subtype=False,
        note="PhysioNet deid gold standard (MIMIC-II nursing notes): names, dates (not weekdays or "
        "times), ages over 89, phones, locations (not units or wards; no subtype), a few IDs; "
        "professions not annotated",
    ),
}


def get_profile(name: str) -> EvalProfile:
    """Look a profile up by name; an unknown name raises :class:`InputError` listing the valid ones."""
    if name not in PROFILES:
        raise InputError("E395", f"unknown eval profile {name!r}", fix=f"Use one of {sorted(PROFILES)}.")
    return PROFILES[name]
