"""Decoding: BIO repair, the recall knob, word snapping, categories."""

from __future__ import annotations

import numpy as np
import pytest

from engine.decode.spans import decode_spans
from engine.labels import bio_labels

LABELS = bio_labels(["DOCTOR", "CITY"])  # O, B-DOCTOR, I-DOCTOR, B-CITY, I-CITY


def _probs(rows: list[dict[str, float]]) -> np.ndarray:
    out = np.full((len(rows), len(LABELS)), 0.0, dtype=np.float32)
    for i, r in enumerate(rows):
        for k, v in r.items():
            out[i, LABELS.index(k)] = v
        out[i, 0] += 1.0 - out[i].sum()
    return out


TEXT = "Dr Xai Dunn in Boston"
OFFSETS = np.array([[0, 2], [3, 6], [7, 11], [12, 14], [15, 21]])


@pytest.mark.parametrize(
    "rows,expected",
    [
        # B I -> one span
        (
            [{}, {"B-DOCTOR": 0.9}, {"I-DOCTOR": 0.9}, {}, {"B-CITY": 0.8}],
            [("Xai Dunn", "NAME", "DOCTOR"), ("Boston", "LOCATION", "CITY")],
        ),
        # I without B starts a span (BIO repair)
        ([{}, {"I-DOCTOR": 0.9}, {"I-DOCTOR": 0.9}, {}, {}], [("Xai Dunn", "NAME", "DOCTOR")]),
        # B B -> two spans
        (
            [{}, {"B-DOCTOR": 0.9}, {"B-DOCTOR": 0.9}, {}, {}],
            [("Xai", "NAME", "DOCTOR"), ("Dunn", "NAME", "DOCTOR")],
        ),
        # I of another type does not continue
        (
            [{}, {"B-DOCTOR": 0.9}, {"I-CITY": 0.9}, {}, {}],
            [("Xai", "NAME", "DOCTOR"), ("Dunn", "LOCATION", "CITY")],
        ),
        # an O word between two I- words breaks the span
        (
            [{}, {"B-DOCTOR": 0.9}, {}, {"I-DOCTOR": 0.9}, {}],
            [("Xai", "NAME", "DOCTOR"), ("in", "NAME", "DOCTOR")],
        ),
        # nothing
        ([{}, {}, {}, {}, {}], []),
    ],
)
def test_bio_table(rows: list[dict[str, float]], expected: list[tuple[str, str, str]]) -> None:
    spans = decode_spans(TEXT, _probs(rows), OFFSETS, np.arange(5), LABELS)
    assert len(spans) == len(expected)
    assert [(TEXT[s.start : s.end], s.label, s.subtype) for s in spans] == expected


def test_recall_knob() -> None:
    rows = [{}, {"B-DOCTOR": 0.3}, {}, {}, {}]  # P(O) = 0.7 for 'Xai'
    assert decode_spans(TEXT, _probs(rows), OFFSETS, np.arange(5), LABELS, o_threshold=0.5) == []
    spans = decode_spans(TEXT, _probs(rows), OFFSETS, np.arange(5), LABELS, o_threshold=0.8)
    assert [(TEXT[s.start : s.end], round(s.score, 2)) for s in spans] == [("Xai", 0.3)]


def test_subwords_follow_their_first_piece_and_spans_snap_to_words() -> None:
    text = "pt 79yo m"
    offsets = np.array([[0, 2], [3, 5], [5, 7], [8, 9]])
    word_ids = np.array([0, 1, 1, 2])  # '79' and '##yo' are one word
    labels = bio_labels(["AGE"])
    probs = np.zeros((4, 3), dtype=np.float32)
    probs[:, 0] = 1.0
    probs[1] = [0.05, 0.95, 0.0]  # first subword says AGE; the continuation's own output is ignored
    spans = decode_spans(text, probs, offsets, word_ids, labels)
    assert [(text[s.start : s.end], s.label) for s in spans] == [("79yo", "AGE")]


def test_presets_survive_cli_overrides() -> None:
    from engine.config import EngineConfig, LayersConfig
    from engine.hybrid.presets import effective

    cfg = EngineConfig.from_overrides(["hybrid.preset=recall"])
    assert effective(cfg.hybrid).propagate_min_score == 0.75
    cfg = EngineConfig.from_overrides(["hybrid.propagate_min_score=0.95"], base=cfg)
    assert effective(cfg.hybrid).propagate_min_score == 0.95
    assert cfg.replace(layers=LayersConfig(model=False)).hybrid.preset == "recall"


def test_a_line_break_ends_a_span() -> None:
    text = "Xai\nDunn"
    offsets = np.array([[0, 3], [4, 8]])
    rows = [{"B-DOCTOR": 0.9}, {"I-DOCTOR": 0.9}]
    spans = decode_spans(text, _probs(rows), offsets, np.arange(2), LABELS)
    assert [(text[s.start : s.end]) for s in spans] == ["Xai", "Dunn"]


def test_edge_commas_are_not_part_of_a_span() -> None:
    text = "9th of June, Wed"
    offsets = np.array([[0, 3], [4, 6], [7, 11], [11, 12], [13, 16]])
    labels = bio_labels(["DATE"])
    probs = np.zeros((5, 3), dtype=np.float32)
    probs[:, 0] = 1.0
    probs[0] = [0.0, 1.0, 0.0]
    probs[1:4] = [0.0, 0.0, 1.0]  # the model tags the comma I-DATE too
    spans = decode_spans(text, probs, offsets, np.arange(5), labels)
    assert [text[s.start : s.end] for s in spans] == ["9th of June"]
