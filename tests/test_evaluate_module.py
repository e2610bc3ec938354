"""The i2b2 metric as a local ``evaluate`` module gives the project scorer's numbers, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.training.evaluate import evaluate_spans
from engine.types import Span

MODULE = Path(__file__).resolve().parents[1] / "training" / "metrics" / "i2b2_deid"


def S(start: int, end: int, label: str, subtype: str = "") -> dict[str, object]:
    return {"start": start, "end": end, "label": label, "subtype": subtype}


TEXT_A = "Dr Jane Roe saw Bob Lee on 3/4/2021 at Mercy Hospital in Boston, call 555-1234."
TEXT_B = "No PHI in this note."
TEXT_C = "Seen by Dr Smith, 92 y.o. man."

#: (case, references, predictions, texts, expected headline strict P/R/F1 or None: compare only)
CASES = [
    ("perfect", [[S(3, 11, "NAME", "DOCTOR"), S(27, 35, "DATE", "DATE")]],
     [[S(3, 11, "NAME", "DOCTOR"), S(27, 35, "DATE", "DATE")]], [TEXT_A], (1.0, 1.0, 1.0)),
    ("end off by one: strict half, relaxed all", [[S(3, 11, "NAME", "DOCTOR"), S(27, 35, "DATE", "DATE")]],
     [[S(3, 10, "NAME", "DOCTOR"), S(27, 35, "DATE", "DATE")]], [TEXT_A], (0.5, 0.5, 0.5)),
    ("wrong subtype, right category", [[S(16, 23, "NAME", "PATIENT")]], [[S(16, 23, "NAME", "DOCTOR")]],
     [TEXT_A], (0.0, 0.0, 0.0)),
    ("missed and spurious across documents",
     [[S(39, 53, "LOCATION", "HOSPITAL"), S(57, 63, "LOCATION", "CITY"), S(70, 78, "CONTACT", "PHONE")], [],
      [S(11, 16, "NAME", "DOCTOR"), S(18, 20, "AGE", "AGE")]],
     [[S(39, 53, "LOCATION", "HOSPITAL"), S(70, 78, "CONTACT", "PHONE")], [S(0, 2, "NAME", "PATIENT")],
      [S(11, 16, "NAME", "DOCTOR")]],
     [TEXT_A, TEXT_B, TEXT_C], (3 / 4, 3 / 5, 2 * (3 / 4) * (3 / 5) / (3 / 4 + 3 / 5))),
    ("no subtype (a corpus with categories only)", [[S(57, 63, "LOCATION")]], [[S(57, 63, "LOCATION")]],
     None, (1.0, 1.0, 1.0)),
    ("empty everywhere", [[], []], [[], []], [TEXT_B, TEXT_B], (0.0, 0.0, 0.0)),
]


@pytest.fixture(scope="module")
def metric():  # type: ignore[no-untyped-def]
    evaluate = pytest.importorskip("evaluate")
    return evaluate.load(str(MODULE))  # a local path: no hub access (HF_HUB_OFFLINE=1 in make test)


def _ours(refs, preds, texts):  # type: ignore[no-untyped-def]
    def spans(doc):  # type: ignore[no-untyped-def]
        return [Span(s["start"], s["end"], s["label"], s["subtype"] or None) for s in doc]

    ids = [str(i) for i in range(len(refs))]
    return evaluate_spans(
        {i: spans(d) for i, d in zip(ids, refs, strict=True)},
        {i: spans(d) for i, d in zip(ids, preds, strict=True)},
        dict(zip(ids, texts, strict=True)) if texts else None,
    )


@pytest.mark.parametrize(("case", "refs", "preds", "texts", "headline"), CASES, ids=[c[0] for c in CASES])
def test_module_matches_project_scorer(metric, case, refs, preds, texts, headline) -> None:  # type: ignore[no-untyped-def]
    kwargs = {"texts": texts} if texts else {}
    got = metric.compute(predictions=preds, references=refs, **kwargs)
    ours = _ours(refs, preds, texts)
    assert (got["precision"], got["recall"], got["f1"]) == pytest.approx(headline)
    for scope, prefix in ((ours.all, ""), (ours.hipaa, "hipaa_")):
        for level in ("subtype", "category", "binary"):
            for mode in ("strict", "relaxed", "token"):
                avg = getattr(getattr(scope, level), mode)
                key = prefix + ("" if level == "subtype" else f"{level}_") + mode
                if avg is None:
                    assert f"{key}_f1" not in got  # token scores need texts
                    continue
                for m in ("precision", "recall", "f1"):
                    assert got[f"{key}_{m}"] == pytest.approx(getattr(avg.micro, m)), (key, m)
    assert got["report"] == ours.to_json() and got["n_docs"] == len(refs)


def test_relaxed_and_category_views(metric) -> None:  # type: ignore[no-untyped-def]
    refs, preds = CASES[1][1], CASES[1][2]
    got = metric.compute(predictions=preds, references=refs)
    assert got["relaxed_f1"] == 1.0 and got["strict_f1"] == 0.5
    refs, preds = CASES[2][1], CASES[2][2]
    got = metric.compute(predictions=preds, references=refs)
    assert got["strict_f1"] == 0.0 and got["category_strict_f1"] == 1.0 and got["binary_strict_f1"] == 1.0


def test_hipaa_scope_drops_doctors(metric) -> None:  # type: ignore[no-untyped-def]
    refs = [[S(3, 11, "NAME", "DOCTOR"), S(16, 23, "NAME", "PATIENT")]]
    preds = [[S(16, 23, "NAME", "PATIENT")]]
    got = metric.compute(predictions=preds, references=refs)
    assert got["recall"] == 0.5 and got["hipaa_strict_recall"] == 1.0


def test_texts_must_match_documents(metric) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="texts"):
        metric.compute(predictions=[[]], references=[[]], texts=[TEXT_A, TEXT_B])
