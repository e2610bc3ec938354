"""In-token extraction (placeholder; filled in next)."""

from __future__ import annotations

from collections.abc import Sequence

from engine.types import Span


class Extractor:
    """Finds PHI inside tokens."""

    def apply(self, text: str, spans: Sequence[Span]) -> list[Span]:
        """Return ``spans`` with in-token PHI split out."""
        return list(spans)
