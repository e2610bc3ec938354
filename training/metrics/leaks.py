"""Redaction-centred scores: what a reader of the redacted note would see.

For de-identification the type of a span matters less than whether the PHI is gone. This module
scores, per document and pooled:

* **binary token** recall and precision (any span redacts a token; types ignored) and F2 (recall
  weighted twice);
* **overlap entity** recall (a gold mention is found when any predicted span overlaps it) and
  precision (a predicted span is right when it overlaps any gold mention);
* **leaked mentions**: gold mentions none of whose tokens is redacted;
* per gold category: mentions, leaked, token recall; per predicted category: spans, token precision.

Tokens are the :func:`engine.training.corpora.word_offsets` tokens (whitespace/punctuation split) that hold a
letter or digit: a redacted '.' between a first name and a last name, or the '/' of a date, says nothing
about PHI, so punctuation tokens are not scored.

Example:
    >>> from engine.types import Span
    >>> text = "Dr Xai Dunn 3/12 HR 80"
    >>> gold = [Span(3, 6, "NAME", "DOCTOR"), Span(7, 11, "NAME", "DOCTOR"), Span(12, 16, "DATE", "DATE")]
    >>> pred = [Span(3, 11, "NAME", "DOCTOR"), Span(20, 22, "AGE", "AGE")]
    >>> r = redaction_scores({"d": gold}, {"d": pred}, {"d": text})
    >>> r.token.recall, r.token.precision, r.entity_recall, [m.text for m in r.leaked]
    (0.5, 0.6666666666666666, 0.6666666666666666, ['3/12'])
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.training.corpora.base import word_offsets
from engine.training.metrics.scores import Score
from engine.types import Span


def f_beta(precision: float, recall: float, beta: float = 2.0) -> float:
    """F-beta (beta=2 weighs recall twice); 0 when both are 0.

    Example: ``round(f_beta(0.8, 0.98), 4)`` -> ``0.9378``.
    """
    b2 = beta * beta
    den = b2 * precision + recall
    return (1 + b2) * precision * recall / den if den else 0.0


@dataclass(frozen=True, slots=True)
class LeakedMention:
    """A gold mention of which no token was redacted."""

    doc_id: str
    start: int
    end: int
    label: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (carries PHI surface text: write it outside the repository)."""
        return {
            "doc": self.doc_id,
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "text": self.text,
        }


@dataclass
class CategoryRow:
    """Counts of one category: gold side (mentions, leaked, tokens) and predicted side (spans, tokens)."""

    mentions: int = 0
    leaked: int = 0
    gold_tokens: int = 0
    gold_tokens_redacted: int = 0
    pred_spans: int = 0
    pred_tokens: int = 0
    pred_tokens_phi: int = 0

    @property
    def token_recall(self) -> float | None:
        """Share of this category's gold tokens redacted (``None`` without gold)."""
        return self.gold_tokens_redacted / self.gold_tokens if self.gold_tokens else None

    @property
    def token_precision(self) -> float | None:
        """Share of tokens predicted as this category that are gold PHI (any type)."""
        return self.pred_tokens_phi / self.pred_tokens if self.pred_tokens else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        r, p = self.token_recall, self.token_precision
        return {
            "mentions": self.mentions,
            "leaked": self.leaked,
            "gold_tokens": self.gold_tokens,
            "token_recall": None if r is None else round(r, 4),
            "pred_spans": self.pred_spans,
            "pred_tokens": self.pred_tokens,
            "token_precision": None if p is None else round(p, 4),
        }


@dataclass(frozen=True)
class RedactionScores:
    """What :func:`redaction_scores` measured (see the module docstring)."""

    token: Score
    entity_recall: float
    entity_precision: float
    mentions: int
    pred_spans: int
    leaked: tuple[LeakedMention, ...]
    by_category: dict[str, CategoryRow] = field(default_factory=dict)

    @property
    def f2(self) -> float:
        """Binary token F2."""
        return f_beta(self.token.precision, self.token.recall)

    @property
    def leaked_share(self) -> float:
        """Leaked mentions / gold mentions."""
        return len(self.leaked) / self.mentions if self.mentions else 0.0

    def to_json(self, with_leaked: bool = False) -> dict[str, Any]:
        """JSON-ready dict; the leaked mentions' texts only with ``with_leaked`` (they are PHI)."""
        d: dict[str, Any] = {
            "token": self.token.to_dict(),
            "f2": round(self.f2, 4),
            "entity_recall": round(self.entity_recall, 4),
            "entity_precision": round(self.entity_precision, 4),
            "mentions": self.mentions,
            "pred_spans": self.pred_spans,
            "leaked": len(self.leaked),
            "leaked_share": round(self.leaked_share, 4),
            "by_category": {k: v.to_dict() for k, v in sorted(self.by_category.items())},
        }
        if with_leaked:
            d["leaked_mentions"] = [m.to_dict() for m in self.leaked]
        return d

    def to_markdown(self) -> str:
        """Summary and per-category tables (no PHI text)."""

        def pct(x: float | None) -> str:
            return "-" if x is None else f"{100 * x:.2f}"

        t = self.token
        lines = [
            "| token recall | token precision | F2 | entity recall | entity precision | mentions | leaked |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            f"| {pct(t.recall)} | {pct(t.precision)} | {pct(self.f2)} | {pct(self.entity_recall)} | "
            f"{pct(self.entity_precision)} | {self.mentions} | "
            f"{len(self.leaked)} ({pct(self.leaked_share)}%) |",
            "",
            "| category | mentions | leaked | token recall | predicted spans | token precision |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for k, row in sorted(self.by_category.items()):
            lines.append(
                f"| {k} | {row.mentions} | {row.leaked} | {pct(row.token_recall)} | "
                f"{row.pred_spans} | {pct(row.token_precision)} |"
            )
        return "\n".join(lines) + "\n"


def _token_range(tokens_start: list[int], tokens_end: list[int], span: Span) -> range:
    return range(bisect.bisect_right(tokens_end, span.start), bisect.bisect_left(tokens_start, span.end))


def redaction_scores(
    gold: Mapping[str, Sequence[Span]], pred: Mapping[str, Sequence[Span]], texts: Mapping[str, str]
) -> RedactionScores:
    """Binary token, overlap-entity and leak scores over documents (ids of ``gold``; see module doc)."""
    tp = fp = fn = 0
    found = mentions = right = n_pred = 0
    leaked: list[LeakedMention] = []
    cats: dict[str, CategoryRow] = {}
    for doc_id in sorted(gold):
        text = texts[doc_id]
        toks = [(a, b) for a, b in word_offsets(text) if any(c.isalnum() for c in text[a:b])]
        starts, ends = [a for a, _ in toks], [b for _, b in toks]
        g_spans, p_spans = list(gold[doc_id]), list(pred.get(doc_id, ()))
        g_tok = [False] * len(toks)
        p_tok = [False] * len(toks)
        for s in g_spans:
            for i in _token_range(starts, ends, s):
                g_tok[i] = True
        for s in p_spans:
            for i in _token_range(starts, ends, s):
                p_tok[i] = True
        for g, p in zip(g_tok, p_tok, strict=True):
            tp += g and p
            fp += p and not g
            fn += g and not p
        for s in g_spans:
            row = cats.setdefault(s.label, CategoryRow())
            idx = _token_range(starts, ends, s)
            row.mentions += 1
            row.gold_tokens += len(idx)
            row.gold_tokens_redacted += sum(p_tok[i] for i in idx)
            mentions += 1
            if any(p.start < s.end and s.start < p.end for p in p_spans):
                found += 1
            if not any(p_tok[i] for i in idx):
                row.leaked += 1
                leaked.append(LeakedMention(doc_id, s.start, s.end, s.label, text[s.start : s.end]))
        for s in p_spans:
            row = cats.setdefault(s.label, CategoryRow())
            idx = _token_range(starts, ends, s)
            row.pred_spans += 1
            row.pred_tokens += len(idx)
            row.pred_tokens_phi += sum(g_tok[i] for i in idx)
            n_pred += 1
            right += any(g.start < s.end and s.start < g.end for g in g_spans)
    return RedactionScores(
        Score.from_counts(tp, fp, fn),
        found / mentions if mentions else 0.0,
        right / n_pred if n_pred else 0.0,
        mentions,
        n_pred,
        tuple(leaked),
        cats,
    )
