"""The decoder never emits a span without a letter or digit (issue 13: punctuation-only spans)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.decode.spans import decode_spans

LABELS = ["O", "B-DATE", "I-DATE", "B-PHONE", "I-PHONE"]


def _probs(tags: list[str]) -> np.ndarray:
    out = np.full((len(tags), len(LABELS)), 0.01, dtype=np.float32)
    for i, t in enumerate(tags):
        out[i, LABELS.index(t)] = 0.96
    return out


@pytest.mark.parametrize(
    ("text", "words", "tags", "expected"),
    [
        # BP 120 / 60: the model tags only the slash
        ("BP 120 / 60", [(0, 2), (3, 6), (7, 8), (9, 11)], ["O", "O", "B-DATE", "O"], []),
        ("call - now", [(0, 4), (5, 6), (7, 10)], ["O", "B-PHONE", "O"], []),
        # a real mention keeps its inner punctuation
        ("seen 7 / 22", [(0, 4), (5, 6), (7, 8), (9, 11)], ["O", "B-DATE", "I-DATE", "I-DATE"], ["7 / 22"]),
        ("seen 7/22", [(0, 4), (5, 9)], ["O", "B-DATE"], ["7/22"]),
    ],
)
def test_no_punctuation_only_spans(text: str, words: list, tags: list[str], expected: list[str]) -> None:
    offsets = np.array(words)
    spans = decode_spans(text, _probs(tags), offsets, np.arange(len(words)), LABELS)
    assert [text[s.start : s.end] for s in spans] == expected
