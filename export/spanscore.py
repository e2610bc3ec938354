"""Span decoding and the strict span metric used by the parity gate.

Both torch and ONNX logits go through the engine's own decoder (:mod:`engine.decode.spans`), so any
difference in the scores comes from the graphs, not from decoding.

Example:
    >>> strict_prf([[(0, 4, "CITY")]], [[(0, 4, "CITY"), (5, 9, "DATE")]])["precision"]
    0.5
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.decode.spans import decode_spans
from engine.labels import normalize_subtype
from engine.model.runner import softmax

#: The decoder the parity gate uses (recorded in the manifest): the engine's own, so parity measures
#: what the engine serves.
DECODER = "engine.decode.spans"


def decode(text: str, enc: Any, logits: np.ndarray, labels: Sequence[str]) -> list[tuple[int, int, str]]:
    """Per-token logits of one document -> ``(start, end, type)`` spans, through the engine's decoder."""
    if len(enc) == 0:
        return []
    spans = decode_spans(text, softmax(logits), enc.offsets, enc.word_ids, list(labels))
    return [(s.start, s.end, normalize_subtype(s.subtype or s.label)) for s in spans]


def strict_prf(
    gold: Sequence[Sequence[tuple[int, int, str]]], pred: Sequence[Sequence[tuple[int, int, str]]]
) -> dict[str, float]:
    """Micro strict precision/recall/F1: a prediction counts only with exact offsets and type."""
    tp = n_gold = n_pred = 0
    for g, p in zip(gold, pred, strict=True):
        gs, ps = set(g), set(p)
        tp += len(gs & ps)
        n_gold += len(gs)
        n_pred += len(ps)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "n_gold": n_gold, "n_pred": n_pred}
