"""A small span decoder and strict span metric used by the parity gate.

Both torch and ONNX predictions go through this one decoder, so any difference in the scores comes
from the graphs, not from decoding. The rule is "first subword decides": each pre-tokenizer word takes
the BIO tag of its first subword; ``B-X`` opens a span, ``I-X`` continues a span of type ``X`` (or opens
one, leniently), anything else closes it. Character offsets come from the tokenizer.

Example:
    >>> strict_prf([[(0, 4, "CITY")]], [[(0, 4, "CITY"), (5, 9, "DATE")]])["precision"]
    0.5
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.labels import normalize_subtype, split_tag


def decoder_name() -> str:
    """Which decoder :func:`decode` uses: the engine's own when present, else the local fallback."""
    try:
        import engine.decode.spans  # noqa: F401
    except ImportError:
        return "export.spanscore"
    return "engine.decode.spans"


def decode(text: str, enc: Any, logits: np.ndarray, labels: Sequence[str]) -> list[tuple[int, int, str]]:
    """Per-token logits of one document -> ``(start, end, type)`` spans.

    Uses the engine's decoder (so parity measures what the engine will serve) when it is importable,
    else :func:`decode_spans` on the argmax tags.
    """
    if len(enc) == 0:
        return []
    if decoder_name() == "engine.decode.spans":
        from engine.decode.spans import decode_spans as engine_decode

        z = logits - logits.max(-1, keepdims=True)
        probs = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
        spans = engine_decode(text, probs.astype(np.float32), enc.offsets, enc.word_ids, list(labels))
        return [(s.start, s.end, normalize_subtype(s.subtype or s.label)) for s in spans]
    return decode_spans(text, enc, [labels[i] for i in logits.argmax(-1)])


def decode_spans(text: str, enc: Any, tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """BIO tags per token -> ``(start, end, type)`` character spans (half-open).

    Args:
        text: the document (used to trim spans to non-blank text).
        enc: an :class:`engine.text.tokenize.Encoded` (``offsets``, ``first_subword()``).
        tags: one BIO tag per token.
    """
    first = enc.first_subword()
    spans: list[tuple[int, int, str]] = []
    cur: list[Any] | None = None  # [start, end, type]
    for i, tag in enumerate(tags):
        s, e = int(enc.offsets[i][0]), int(enc.offsets[i][1])
        if not first[i]:
            if cur is not None:
                cur[1] = max(cur[1], e)
            continue
        prefix, typ = split_tag(tag)
        if prefix == "I" and cur is not None and cur[2] == typ:
            cur[1] = max(cur[1], e)
            continue
        if cur is not None:
            spans.append((cur[0], cur[1], cur[2]))
            cur = None
        if prefix in ("B", "I"):
            cur = [s, e, typ]
    if cur is not None:
        spans.append((cur[0], cur[1], cur[2]))
    return [(s, e, normalize_subtype(t)) for s, e, t in spans if e > s and text[s:e].strip()]


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
