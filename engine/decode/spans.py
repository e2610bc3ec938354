"""From per-token probabilities to character spans.

Steps: one decision per pre-tokenizer word (its first subword, as in training); the recall knob
(a word is PHI unless ``P(O) > o_threshold``); BIO repair (an ``I-X`` that does not continue an
``X`` span starts one); word ranges from the tokenizer's offsets; spans snapped outwards to the
alphanumeric word boundaries of the original text so a span never cuts a word in half.

Example:
    >>> text = "Dr Xai Dunn"
    >>> labels = ["O", "B-DOCTOR", "I-DOCTOR"]
    >>> probs = np.array([[.9, .05, .05], [.1, .8, .1], [.1, .1, .8]], dtype=np.float32)
    >>> offsets = np.array([[0, 2], [3, 6], [7, 11]])
    >>> [(s.start, s.end, s.subtype) for s in decode_spans(text, probs, offsets, np.arange(3), labels)]
    [(3, 11, 'DOCTOR')]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.labels import OUTSIDE, label_and_subtype, split_tag
from engine.types import Span


class TagTable:
    """Precomputed BIO structure of a label list: which index is O, each tag's prefix and type."""

    def __init__(self, labels: Sequence[str]) -> None:
        if labels[0] != OUTSIDE:
            raise ValueError("label list must start with 'O'")
        self.labels = list(labels)
        parts = [split_tag(t) for t in labels]
        self.types = sorted({t for _, t in parts if t is not None})
        self.type_index = {t: i for i, t in enumerate(self.types)}
        # type id per tag (-1 for O) and the matrix summing B-X and I-X into X
        self.tag_type = np.array([-1 if t is None else self.type_index[t] for _, t in parts], dtype=np.int64)
        self.sum_matrix = np.zeros((len(labels), len(self.types)), dtype=np.float32)
        for i, ti in enumerate(self.tag_type):
            if ti >= 0:
                self.sum_matrix[i, ti] = 1.0
        # index of B-X and I-X per type (-1 when a label list lacks one of them)
        self.begin = np.full(len(self.types), -1, dtype=np.int64)
        self.inside = np.full(len(self.types), -1, dtype=np.int64)
        for i, (p, t) in enumerate(parts):
            if t is not None:
                (self.begin if p == "B" else self.inside)[self.type_index[t]] = i


def word_starts(word_ids: np.ndarray) -> np.ndarray:
    """Indices of tokens that start a pre-tokenizer word."""
    if len(word_ids) == 0:
        return np.zeros(0, dtype=np.int64)
    mask = np.ones(len(word_ids), dtype=bool)
    mask[1:] = word_ids[1:] != word_ids[:-1]
    return np.flatnonzero(mask)


#: Separators never part of a PHI mention at its edges ("June," -> "June"); a period may be ("Jr.").
EDGE_PUNCT = frozenset(",;")


def trim_edges(
    text: str, start: int, end: int, head: frozenset[str] = EDGE_PUNCT, tail: frozenset[str] = EDGE_PUNCT
) -> tuple[int, int]:
    """Shrink ``[start, end)`` past edge whitespace and the ``head`` / ``tail`` characters.

    The one trimming rule of every stage (decoder, templates, resolution); ``start == end`` when
    nothing is left.
    """
    while start < end and (text[start].isspace() or text[start] in head):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in tail):
        end -= 1
    return start, end


def _snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``[start, end)`` to alphanumeric word boundaries; trim edge whitespace, commas, semicolons."""
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    n = len(text)
    while end < n and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    return trim_edges(text, start, end)


def decode_spans(
    text: str,
    probs: np.ndarray,
    offsets: np.ndarray,
    word_ids: np.ndarray,
    labels: Sequence[str] | TagTable,
    o_threshold: float = 0.5,
    min_score: float = 0.0,
    source: str = "model",
) -> list[Span]:
    """Turn per-token probabilities into character spans (see the module docstring)."""
    table = labels if isinstance(labels, TagTable) else TagTable(labels)
    n = probs.shape[0]
    if n == 0:
        return []
    starts = word_starts(word_ids)
    ends = np.append(starts[1:], n)  # token range of each word: [starts[i], ends[i])
    wp = probs[starts]  # one decision per word, from its first subword
    p_o = wp[:, 0]
    type_mass = wp @ table.sum_matrix  # P(type) = P(B-type) + P(I-type)
    best_type = type_mass.argmax(axis=1)
    is_phi = p_o <= o_threshold
    # B vs I for the chosen type: an I- continues the open span only if it beats B-.
    rows = np.arange(len(starts))
    bi, ii = table.begin[best_type], table.inside[best_type]
    p_b = np.where(bi >= 0, wp[rows, np.maximum(bi, 0)], 0.0)
    p_i = np.where(ii >= 0, wp[rows, np.maximum(ii, 0)], 0.0)
    w_starts = offsets[starts, 0].tolist()
    w_ends = offsets[ends - 1, 1].tolist()
    phi_words = np.flatnonzero(is_phi).tolist()
    spans: list[Span] = []
    cur_type = -1
    cur_start = cur_end = 0
    cur_scores: list[float] = []

    def flush() -> None:
        if cur_type < 0:
            return
        s, e = _snap(text, cur_start, cur_end)
        score = float(np.mean(cur_scores))
        # no PHI mention is without a letter or digit: a lone '-', '/' or '@' the model tagged is dropped
        if e > s and score >= min_score and any(c.isalnum() for c in text[s:e]):
            label, subtype = label_and_subtype(table.types[cur_type])
            spans.append(Span(s, e, label, subtype, min(1.0, max(0.0, score)), source))

    prev_w = -2
    for w in phi_words:  # only PHI words are visited: O words cost nothing here
        t = int(best_type[w])
        # subtle: a line break ends a mention even when the model says I- (header fields, lists)
        continues = (
            w == prev_w + 1 and t == cur_type and p_i[w] > p_b[w] and "\n" not in text[cur_end : w_starts[w]]
        )
        if not continues:
            flush()
            cur_type, cur_start, cur_scores = t, w_starts[w], []
        cur_end = w_ends[w]
        cur_scores.append(float(type_mass[w, t]))
        prev_w = w
    flush()
    return merge_adjacent(spans)


def merge_adjacent(spans: list[Span]) -> list[Span]:
    """Merge spans that overlap after snapping (same word reached from two sides)."""
    out: list[Span] = []
    for s in sorted(spans, key=lambda x: (x.start, x.end)):
        if out and s.start < out[-1].end:
            prev = out[-1]
            keep = prev if prev.score >= s.score else s
            out[-1] = Span(
                prev.start,
                max(prev.end, s.end),
                keep.label,
                keep.subtype,
                max(prev.score, s.score),
                prev.source,
            )
        else:
            out.append(s)
    return out
