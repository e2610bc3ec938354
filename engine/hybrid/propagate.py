"""Trusted-term propagation (placeholder; filled in next)."""

from __future__ import annotations

from collections.abc import Sequence

from engine.types import Span


class Propagator:
    """Marks every occurrence of trusted terms."""

    def __init__(self, allow: frozenset[str], min_score: float, min_len: int,
                 group_subtypes: Sequence[str], trusted_sources: frozenset[str] = frozenset()) -> None:
        self.trusted_sources = trusted_sources
        self.allow, self.min_score, self.min_len = allow, min_score, min_len
        self.group_subtypes = tuple(group_subtypes)

    def within_note(self, text: str, spans: Sequence[Span]) -> list[Span]:
        """Spans added by propagating the note's trusted terms."""
        return []

    def across_group(self, texts: Sequence[str], spans: Sequence[Sequence[Span]]) -> list[list[Span]]:
        """Spans added per note by propagating the group's trusted terms."""
        return [[] for _ in texts]
