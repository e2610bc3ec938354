"""Precision/recall/F1 from counts, and the micro/macro aggregation conventions.

Conventions (i2b2 2014 style, written down because scorers disagree):

* **micro**: pool true/false positives and false negatives over all documents, then compute P/R/F1.
* **macro**: compute P/R/F1 per document and take the mean of each. A document with neither gold nor
  predicted spans in the view under evaluation is left out (it has nothing to score); in a scored
  document an empty denominator gives 0 (sklearn's ``zero_division=0``).

Example:
    >>> s = Score.from_counts(tp=3, fp=1, fn=2)
    >>> round(s.precision, 3), round(s.recall, 3), round(s.f1, 3)
    (0.75, 0.6, 0.667)
    >>> macro([Score.from_counts(1, 0, 0), Score.from_counts(0, 1, 1)]).f1
    0.5
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def _div(a: float, b: float) -> float:
    return a / b if b else 0.0


@dataclass(frozen=True, slots=True)
class Score:
    """P/R/F1, with the counts behind them when they are count-based (micro and per-type scores).

    Attributes:
        precision: tp / (tp + fp).
        recall: tp / (tp + fn).
        f1: harmonic mean of precision and recall.
        tp, fp, fn: counts (``None`` for a macro average).
    """

    precision: float
    recall: float
    f1: float
    tp: int | None = None
    fp: int | None = None
    fn: int | None = None

    @classmethod
    def from_counts(cls, tp: int, fp: int, fn: int) -> Score:
        """P/R/F1 of pooled counts (0 for an empty denominator)."""
        p, r = _div(tp, tp + fp), _div(tp, tp + fn)
        return cls(p, r, _div(2 * p * r, p + r), tp, fp, fn)

    @property
    def support(self) -> int | None:
        """Number of gold items (tp + fn)."""
        return None if self.tp is None or self.fn is None else self.tp + self.fn

    def to_dict(self, digits: int = 4) -> dict[str, Any]:
        """JSON-ready dict (counts only when present)."""
        d: dict[str, Any] = {"precision": round(self.precision, digits), "recall": round(self.recall, digits),
                             "f1": round(self.f1, digits)}
        if self.tp is not None:
            d.update(tp=self.tp, fp=self.fp, fn=self.fn)
        return d


def macro(per_doc: Sequence[Score]) -> Score:
    """Mean of per-document P, R and F1 (each averaged on its own); all zeros for no documents."""
    n = len(per_doc)
    if not n:
        return Score(0.0, 0.0, 0.0)
    return Score(sum(s.precision for s in per_doc) / n, sum(s.recall for s in per_doc) / n,
                 sum(s.f1 for s in per_doc) / n)


@dataclass(frozen=True, slots=True)
class Averages:
    """Micro and macro scores of one matching mode.

    Attributes:
        micro: pooled-count scores.
        macro: mean of per-document scores.
        n_docs: documents that entered the macro mean.
    """

    micro: Score
    macro: Score
    n_docs: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"micro": self.micro.to_dict(), "macro": self.macro.to_dict(), "n_docs": self.n_docs}
