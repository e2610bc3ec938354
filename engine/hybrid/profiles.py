"""Output profiles: which PHI the engine reports, as data.

``i2b2`` reports everything the i2b2 2014 guidelines mark (the engine's default). ``hipaa`` follows
the Safe Harbor list: ages only over 89, no professions, and no weekday names (a weekday is not a
date element). A profile filters the final, resolved spans.

Example:
    >>> text = "Pt 92 yo, 65 yo RN. HD on Monday 7/22."
    >>> spans = [Span(3, 5, "AGE", "AGE"), Span(10, 12, "AGE", "AGE"), Span(16, 18, "PROFESSION"),
    ...          Span(26, 32, "DATE", "DATE"), Span(33, 37, "DATE", "DATE")]
    >>> [text[s.start:s.end] for s in apply_profile(text, spans, "hipaa")]
    ['92', '7/22']
    >>> len(apply_profile(text, spans, "i2b2"))
    5
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from engine.errors import ConfigError
from engine.hybrid.clinical import WEEKDAYS
from engine.types import Span

_NUMBER = re.compile(r"[0-9]+")
_TOKEN = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True, slots=True)
class OutputProfile:
    """What one profile drops from the output.

    Attributes:
        name: the ``EngineConfig.profile`` value.
        drop_labels: categories never reported.
        age_over: AGE spans whose number is at most this are dropped (``None``: every age stays).
        weekdays: False drops DATE spans that are only weekday names.
    """

    name: str
    drop_labels: frozenset[str] = frozenset()
    age_over: int | None = None
    weekdays: bool = True

    def keep(self, text: str, span: Span) -> bool:
        """True when ``span`` is PHI under this profile."""
        if span.label in self.drop_labels:
            return False
        surface = text[span.start : span.end]
        if self.age_over is not None and span.label == "AGE":
            m = _NUMBER.search(surface)
            if m is not None and int(m.group()) <= self.age_over:
                return False
        if not self.weekdays and span.label == "DATE":
            words = [w.lower() for w in _TOKEN.findall(surface)]
            if words and all(w in WEEKDAYS or w in ("s", "on", "and") for w in words):
                return False
        return True


#: Named output profiles.
OUTPUT_PROFILES: dict[str, OutputProfile] = {
    "i2b2": OutputProfile("i2b2"),
    "hipaa": OutputProfile("hipaa", drop_labels=frozenset({"PROFESSION"}), age_over=89, weekdays=False),
}


def get_output_profile(name: str) -> OutputProfile:
    """Look a profile up; an unknown name raises :class:`ConfigError` listing the valid ones."""
    if name not in OUTPUT_PROFILES:
        raise ConfigError(
            "E422", f"unknown output profile {name!r}", fix=f"Use one of {sorted(OUTPUT_PROFILES)}."
        )
    return OUTPUT_PROFILES[name]


def apply_profile(text: str, spans: Sequence[Span], profile: str) -> list[Span]:
    """The spans that are PHI under ``profile``, in input order."""
    prof = get_output_profile(profile)
    return [s for s in spans if prof.keep(text, s)]
