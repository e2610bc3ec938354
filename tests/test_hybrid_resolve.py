"""The resolution policy as a table of cases."""

from __future__ import annotations

import pytest

from engine.hybrid.resolve import resolve, source_priority, split_names
from engine.types import Span

TEXT = "Dr. Xai Dunn saw Foley on 3/12/2011 at Kemper Clinic."
#        0123456789012345678901234567890123456789012345678901

N = "NAME"
CASES = [
    # (name, spans, expected [(start, end, subtype, source)])
    ("empty", [], []),
    ("single", [Span(4, 12, N, "DOCTOR", 0.9, "model")], [(4, 12, "DOCTOR", "model")]),
    (
        "union_keeps_widest",
        [
            Span(4, 7, N, "PATIENT", 0.6, "list:X"),
            Span(8, 12, N, "DOCTOR", 0.9, "model"),
            Span(6, 9, N, "DOCTOR", 0.5, "propagate"),
        ],
        [(4, 12, "DOCTOR", "model")],
    ),
    (
        "template_beats_model",
        [Span(26, 35, "DATE", "DATE", 0.7, "regex:DATE_MDY"), Span(26, 35, "ID", "IDNUM", 0.99, "model")],
        [(26, 35, "DATE", "regex:DATE_MDY")],
    ),
    (
        "confident_model_keeps_its_subtype_under_a_generic_template",
        [
            Span(8, 16, "ID", "IDNUM", 0.6, "regex:IDNUM_LONG"),
            Span(8, 16, "ID", "MEDICALRECORD", 0.97, "model"),
        ],
        [(8, 16, "MEDICALRECORD", "model")],
    ),
    (
        "template_subtype_wins_over_an_unsure_model",
        [
            Span(8, 16, "ID", "MEDICALRECORD", 0.95, "regex:MRN_CUE"),
            Span(8, 16, "ID", "IDNUM", 0.7, "model"),
        ],
        [(8, 16, "MEDICALRECORD", "regex:MRN_CUE")],
    ),
    (
        "template_category_beats_a_confident_model",
        [
            Span(8, 16, "DATE", "DATE", 0.8, "regex:DATE_COMPACT"),
            Span(8, 16, "ID", "IDNUM", 0.99, "model"),
        ],
        [(8, 16, "DATE", "regex:DATE_COMPACT")],
    ),
    (
        "model_beats_list",
        [
            Span(39, 45, "LOCATION", "CITY", 0.99, "list:STATE"),
            Span(39, 52, "LOCATION", "HOSPITAL", 0.6, "model"),
        ],
        [(39, 52, "HOSPITAL", "model")],
    ),
    (
        "score_breaks_tie",
        [Span(4, 12, N, "PATIENT", 0.6, "model"), Span(4, 12, N, "DOCTOR", 0.8, "model")],
        [(4, 12, "DOCTOR", "model")],
    ),
    (
        "touching_stay_apart",
        [Span(26, 30, "DATE", "DATE", 0.9, "model"), Span(30, 35, "DATE", "DATE", 0.9, "model")],
        [(26, 30, "DATE", "model"), (30, 35, "DATE", "model")],
    ),
    ("whitespace_trimmed", [Span(3, 13, N, "DOCTOR", 0.9, "model")], [(4, 12, "DOCTOR", "model")]),
    ("blank_dropped", [Span(12, 13, N, "DOCTOR", 0.9, "model")], []),
    (
        "allow_vetoes_list",
        [Span(17, 22, N, "PATIENT", 0.7, "propagate"), Span(17, 22, "ALLOW", None, 1.0, "allow")],
        [],
    ),
    (
        "allow_spares_model",
        [Span(17, 22, N, "PATIENT", 0.7, "model"), Span(17, 22, "ALLOW", None, 1.0, "allow")],
        [(17, 22, "PATIENT", "model")],
    ),
    (
        "allow_spares_wider_list",
        [Span(17, 25, N, "PATIENT", 0.7, "list:X"), Span(17, 22, "ALLOW", None, 1, "allow")],
        [(17, 25, "PATIENT", "list:X")],
    ),
    (
        "deny_wins",
        [Span(39, 45, N, "PATIENT", 0.99, "model"), Span(39, 45, "LOCATION", "HOSPITAL", 1.0, "deny:H")],
        [(39, 45, "HOSPITAL", "deny:H")],
    ),
    (
        "sorted_output",
        [Span(39, 52, "LOCATION", "HOSPITAL", 0.8, "list:HOSPITAL"), Span(4, 12, N, "DOCTOR", 1, "model")],
        [(4, 12, "DOCTOR", "model"), (39, 52, "HOSPITAL", "list:HOSPITAL")],
    ),
]


@pytest.mark.parametrize(("name", "spans", "expected"), CASES, ids=[c[0] for c in CASES])
def test_resolve_policy(name: str, spans: list[Span], expected: list[tuple[int, int, str, str]]) -> None:
    out = resolve(TEXT, spans)
    assert len(out) == len(expected)
    for got, (s, e, sub, src) in zip(out, expected, strict=True):
        assert (got.start, got.end, got.subtype, got.source) == (s, e, sub, src)


def test_union_takes_max_score() -> None:
    out = resolve(TEXT, [Span(4, 7, N, "DOCTOR", 0.99, "list:X"), Span(4, 12, N, "DOCTOR", 0.5, "model")])
    assert len(out) == 1 and out[0].score == 0.99 and out[0].source == "model"


@pytest.mark.parametrize(
    ("source", "prio"),
    [
        ("deny:X", 5),
        ("regex:DATE_MDY", 4),
        ("coord:DATE", 4),
        ("model", 3),
        ("extract:AGE", 3),
        ("list:STATE", 2),
        ("propagate", 1),
        ("other", 2),
    ],
)
def test_source_priority(source: str, prio: int) -> None:
    assert source_priority(source) == prio


@pytest.mark.parametrize(
    ("text", "surface", "expected"),
    [
        ("DR CAMARDA AND CLIFFORD AWARE", "CAMARDA AND CLIFFORD", ["CAMARDA", "CLIFFORD"]),
        ("Dr. Griffin & Swackhamer aware", "Griffin & Swackhamer", ["Griffin", "Swackhamer"]),
        ("placed on servo vent.  Bernard Foley CRT", "Bernard Foley CRT", ["Bernard Foley"]),
        ("pronounced at 1840 by HO Domenico.", "HO Domenico", ["Domenico"]),
        ("Seen by John Smith, MD today", "John Smith, MD", ["John Smith"]),
        ("Seen by NP Patty today", "NP Patty", ["Patty"]),
        ("Seen by Mary Jones today", "Mary Jones", ["Mary Jones"]),
        ("Ho called", "Ho", ["Ho"]),  # one word always stays
        ("Dr. Griffin and Swackhamer aware", "Griffin and", ["Griffin"]),  # a dangling connector
    ],
)
def test_split_names(text: str, surface: str, expected: list[str]) -> None:
    i = text.index(surface)
    out = split_names(text, [Span(i, i + len(surface), "NAME", "DOCTOR", 0.9, "model")])
    assert [text[s.start : s.end] for s in out] == expected


def test_split_names_leaves_other_spans() -> None:
    text = "Brigham and Women's Hospital"
    span = Span(0, len(text), "LOCATION", "HOSPITAL", 0.9, "model")
    assert split_names(text, [span]) == [span]
