"""End-to-end engine tests on a deterministic lexicon ONNX model (no training needed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.artifacts import load_artifacts
from engine.config import EngineConfig
from engine.errors import ArtifactError, DetectionError
from engine.pipeline import Deidentifier
from engine.types import Document, Span
from tests.lexicon_model import build_lexicon_artifact

MODEL_ONLY = [
    "layers.templates=false",
    "layers.lists=false",
    "layers.extraction=false",
    "layers.propagation=false",
]
WORDS = {"valdez": "PATIENT", "harlan": "PATIENT", "calvert": "HOSPITAL", "whalen": "DOCTOR"}


@pytest.fixture(scope="session")
def lexicon_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_lexicon_artifact(tmp_path_factory.mktemp("lexicon") / "art", WORDS)


@pytest.fixture(scope="session")
def engine(lexicon_dir: Path) -> Deidentifier:
    cfg = EngineConfig.from_overrides([f"model_dir={lexicon_dir}", *MODEL_ONLY])
    return Deidentifier(cfg)


def test_finds_words_and_maps_categories(engine: Deidentifier) -> None:
    text = "PT SEEN BY DR WHALEN 7/22; TO CALVERT HOSP. Pt Harlan Valdez."
    spans = engine.detect(text).spans
    assert [(text[s.start : s.end], s.label, s.subtype) for s in spans] == [
        ("WHALEN", "NAME", "DOCTOR"),
        ("CALVERT", "LOCATION", "HOSPITAL"),
        ("Harlan", "NAME", "PATIENT"),  # the lexicon tags every word B-: two spans
        ("Valdez", "NAME", "PATIENT"),
    ]
    assert all(s.source == "model" for s in spans)


def test_phi_at_the_end_of_a_1mb_note_is_found(engine: Deidentifier) -> None:
    filler = "the patient was comfortable overnight; vitals stable. " * 20_000
    text = filler + "Seen by whalen." + filler[:500] + " Discharged with Valdez"
    assert len(text) > 1_000_000
    spans = engine.detect(text).spans
    found = [text[s.start : s.end] for s in spans]
    assert found == ["whalen", "Valdez"]
    assert spans[-1].end == len(text)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(["valdez", "ok", "harlan", "no", "a", "-", "12", "whalen", "x,y"]),
        min_size=0,
        max_size=120,
    )
)
def test_every_word_predicted_once_whatever_the_windows(engine: Deidentifier, words: list[str]) -> None:
    text = " ".join(words)
    spans = engine.detect(text).spans
    # Each lexicon word is tagged B-, so it is exactly one span, wherever the window cuts fall.
    assert len(spans) == sum(w in WORDS for w in words)
    # Every span is a valid, non-blank slice made of PHI words only.
    for s in spans:
        s.check(text)
        assert all(tok in WORDS for tok in text[s.start : s.end].split())
    covered = "".join(text[s.start : s.end] + " " for s in spans).split()
    assert sorted(covered) == sorted(w for w in words if w in WORDS)


def test_detect_many_keeps_order_ids_and_groups(engine: Deidentifier) -> None:
    docs = [Document(id=f"d{i}", text=("valdez " * (i % 7)) + "fine", group=str(i // 3)) for i in range(100)]
    results = list(engine.detect_many(docs, chunk_docs=8))
    assert [r.id for r in results] == [d.id for d in docs]
    assert [len(r.spans) for r in results] == [i % 7 for i in range(100)]
    assert [r.group for r in results] == [d.group for d in docs]


def test_empty_and_blank_text_give_no_spans(engine: Deidentifier) -> None:
    assert engine.detect("").spans == ()
    assert engine.redact("   \n").redacted == "   \n"


def test_redaction_styles_and_offset_map(lexicon_dir: Path) -> None:
    text = "Harlan Valdez seen by Whalen."
    tag = Deidentifier(
        EngineConfig.from_overrides([f"model_dir={lexicon_dir}", *MODEL_ONLY, "redact.with_subtype=true"])
    )
    res = tag.redact(text)
    assert res.redacted == "[NAME:PATIENT] [NAME:PATIENT] seen by [NAME:DOCTOR]."
    for rep in res.replacements:
        assert res.redacted[rep.out_start : rep.out_end] == rep.replacement
        assert text[rep.start : rep.end] == text[rep.span.start : rep.span.end]
    mask = Deidentifier(
        EngineConfig.from_overrides([f"model_dir={lexicon_dir}", *MODEL_ONLY, "redact.style=mask"])
    )
    assert mask.redact(text).redacted == "****** ****** seen by ******."


class ExplodingDetector:
    """A detector stage that fails, to prove the engine fails closed."""

    name = "test.explode.v1"

    def detect_batch(self, docs: list[Document]) -> list[list[Span]]:
        raise RuntimeError("injected failure")


class BadSpanDetector:
    """Returns a span that is not a valid slice: the engine must refuse it."""

    name = "test.badspan.v1"

    def detect_batch(self, docs: list[Document]) -> list[list[Span]]:
        return [[Span(0, len(d.text) + 5, "NAME", "PATIENT", 1.0, "bad")] for d in docs]


@pytest.fixture(scope="module", autouse=True)
def _failing_stages() -> None:
    from engine.stages import register_stage

    register_stage("test.explode.v1", lambda ctx: ExplodingDetector(), replace=True)
    register_stage("test.badspan.v1", lambda ctx: BadSpanDetector(), replace=True)


def _with_stage(lexicon_dir: Path, stage: str, *extra: str) -> EngineConfig:
    stages = json.dumps(["model.v1", stage, "vet.v1", "resolve.v1"])
    return EngineConfig.from_overrides([f"model_dir={lexicon_dir}", f"stages={stages}", *extra])


def test_failure_in_a_stage_raises(lexicon_dir: Path) -> None:
    deid = Deidentifier(_with_stage(lexicon_dir, "test.explode.v1"))
    with pytest.raises(DetectionError, match="injected failure"):
        deid.redact("Harlan Valdez")
    with pytest.raises(DetectionError):
        Deidentifier(_with_stage(lexicon_dir, "test.badspan.v1")).redact("Harlan Valdez")


def test_failure_with_redact_all_redacts_everything(lexicon_dir: Path) -> None:
    cfg = _with_stage(lexicon_dir, "test.explode.v1", "on_error=redact_all")
    res = Deidentifier(cfg).redact("Harlan Valdez has no other PHI")
    assert res.redacted == "[REDACTED]"
    # the error names the failure, never the exception's message (it could quote the note)
    assert res.error and "RuntimeError" in res.error and "injected failure" not in res.error
    assert len(res.spans) == 1 and res.spans[0].label == "REDACTED"


def test_model_failure_fails_closed(lexicon_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deid = Deidentifier(EngineConfig.from_overrides([f"model_dir={lexicon_dir}", *MODEL_ONLY]))

    def broken(windows):  # noqa: ANN001, ANN202
        raise RuntimeError("onnxruntime exploded")

    monkeypatch.setattr(deid.runner, "run", broken)
    with pytest.raises(DetectionError, match="onnxruntime exploded"):
        deid.detect("Harlan")


def test_tampered_artifact_is_refused(lexicon_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "art"
    shutil.copytree(lexicon_dir, copy)
    with open(copy / "labels.json", "a") as f:
        f.write(" ")
    with pytest.raises(ArtifactError, match="SHA-256"):
        load_artifacts(copy)


def test_recall_knob_lowers_the_bar(lexicon_dir: Path) -> None:
    # P(O) for non-lexicon tokens is ~1, so even a permissive threshold keeps them O...
    cfg = EngineConfig.from_overrides([f"model_dir={lexicon_dir}", *MODEL_ONLY, "decode.o_threshold=1.0"])
    spans = Deidentifier(cfg).detect("no phi here at all").spans
    # ...but at threshold 1.0 every word is PHI unless P(O) exceeds 1: everything is flagged.
    assert len(spans) >= 1
    strict = Deidentifier(EngineConfig.from_overrides([f"model_dir={lexicon_dir}", *MODEL_ONLY]))
    assert strict.detect("no phi here at all").spans == ()


def test_result_json_shape(engine: Deidentifier) -> None:
    rec = json.loads(json.dumps(engine.detect({"id": "n1", "text": "Valdez"}).to_dict()))
    assert rec == {
        "id": "n1",
        "spans": [
            {
                "start": 0,
                "end": 6,
                "label": "NAME",
                "subtype": "PATIENT",
                "score": rec["spans"][0]["score"],
                "source": "model",
                "text": "Valdez",
            }
        ],
    }
