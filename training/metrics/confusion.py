"""Confusion matrix of gold vs predicted subtype, with Missing and Spurious (the paper's Table 8).

Gold and predicted spans are paired by offsets alone under the relaxed rule (start exact, end within
2 characters, one-to-one); a paired span adds one to ``[gold type][predicted type]``. An unpaired gold
span adds to ``[gold type]["Missing"]`` and an unpaired prediction to ``["Spurious"][predicted type]``.

Example:
    >>> from engine.types import Span
    >>> cm = ConfusionMatrix()
    >>> cm.add([Span(0, 3, "NAME", "PATIENT"), Span(9, 12, "DATE", "DATE")],
    ...        [Span(0, 3, "NAME", "DOCTOR"), Span(5, 7, "AGE", "AGE")])
    >>> cm.cell("PATIENT", "DOCTOR"), cm.cell("DATE", MISSING), cm.cell(SPURIOUS, "AGE")
    (1, 1, 1)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.training.metrics.matching import KeyFn, by_subtype, relaxed_pairs
from engine.types import Span

MISSING = "Missing"
SPURIOUS = "Spurious"


@dataclass
class ConfusionMatrix:
    """Counts ``[gold type][predicted type]``; mutable while it accumulates documents."""

    key: KeyFn = by_subtype
    counts: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def add(self, gold: Sequence[Span], pred: Sequence[Span]) -> None:
        """Accumulate one document."""
        gold, pred = sorted(set(gold), key=_pos), sorted(set(pred), key=_pos)
        pairs = relaxed_pairs(gold, pred, key=None)
        mg, mp = {g for g, _ in pairs}, {p for _, p in pairs}
        for gi, pi in pairs:
            self.counts[self.key(gold[gi])][self.key(pred[pi])] += 1
        for gi, s in enumerate(gold):
            if gi not in mg:
                self.counts[self.key(s)][MISSING] += 1
        for pi, s in enumerate(pred):
            if pi not in mp:
                self.counts[SPURIOUS][self.key(s)] += 1

    def cell(self, gold_type: str, pred_type: str) -> int:
        """One count (0 when absent)."""
        return self.counts.get(gold_type, {}).get(pred_type, 0)

    def labels(self) -> tuple[list[str], list[str]]:
        """Row labels (gold types, then Spurious) and column labels (predicted types, then Missing)."""
        rows = sorted(r for r in self.counts if r != SPURIOUS)
        cols = sorted({c for r in self.counts.values() for c in r if c != MISSING} | set(rows))
        return rows + [SPURIOUS], cols + [MISSING]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready nested dict without zero cells."""
        return {r: {c: n for c, n in sorted(row.items()) if n} for r, row in sorted(self.counts.items())}

    def to_markdown(self) -> str:
        """The matrix as a markdown table (rows gold, columns predicted)."""
        rows, cols = self.labels()
        out = ["| gold \\ pred | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
        for r in rows:
            out.append(f"| {r} | " + " | ".join(str(self.cell(r, c) or "") for c in cols) + " |")
        return "\n".join(out)


def _pos(s: Span) -> tuple[int, int, str, str]:
    return (s.start, s.end, s.label, s.subtype or "")
