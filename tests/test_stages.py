"""Detection as an ordered list of stages: registry, config shorthand, user detectors, order rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.config import EngineConfig, LayersConfig
from engine.errors import ConfigError
from engine.pipeline import Deidentifier
from engine.stages import BUILTIN_STAGES, STAGES, default_stages, register_stage
from engine.types import Document, Span
from tests.test_engine import MODEL_ONLY, lexicon_dir  # noqa: F401 - fixture

#: Golden snapshot of the built-in registry: a renamed or dropped stage breaks configs in the wild.
REGISTRY = [
    "custom.v1", "deny.v1", "extraction.v1", "hospitals.v1", "lists.v1", "model.v1",
    "propagation.v1", "resolve.v1", "templates.v1", "vet.v1",
]  # fmt: skip


def test_registry_snapshot() -> None:
    assert sorted(BUILTIN_STAGES) == REGISTRY


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        ({}, ("model.v1", "templates.v1", "lists.v1", "hospitals.v1", "deny.v1", "vet.v1",
              "extraction.v1", "propagation.v1", "resolve.v1")),
        ({"templates": False, "lists": False, "extraction": False, "propagation": False}, ("model.v1",)),
        ({"lists": False, "extraction": False, "propagation": False},
         ("model.v1", "templates.v1", "deny.v1", "vet.v1", "resolve.v1")),
        ({"model": False}, ("templates.v1", "lists.v1", "hospitals.v1", "deny.v1", "vet.v1",
                            "extraction.v1", "propagation.v1", "resolve.v1")),
    ],
)  # fmt: skip
def test_layers_are_shorthand_for_a_stage_list(layers: dict[str, bool], expected: tuple[str, ...]) -> None:
    assert default_stages(LayersConfig(**layers)) == expected


def test_the_engine_runs_the_configured_stages(lexicon_dir: Path) -> None:  # noqa: F811
    deid = Deidentifier(EngineConfig.from_overrides([f"model_dir={lexicon_dir}"]))
    assert deid.plan.names == default_stages(LayersConfig())
    deid = Deidentifier(EngineConfig.from_overrides([f"model_dir={lexicon_dir}", *MODEL_ONLY]))
    assert deid.plan.names == ("model.v1",)


@pytest.mark.parametrize(
    ("stages", "code"),
    [
        (["model.v1", "nope.v1"], "E123"),
        (["model.v1", "model.v1"], "E124"),
        (["vet.v1", "model.v1"], "E125"),
        (["model.v1", "resolve.v1", "vet.v1"], "E127"),
    ],
)
def test_bad_stage_lists_fail_at_construction(stages: list[str], code: str, lexicon_dir: Path) -> None:  # noqa: F811
    cfg = EngineConfig.from_overrides([f"model_dir={lexicon_dir}", f"stages={json.dumps(stages)}"])
    with pytest.raises(ConfigError, match=code) as e:
        Deidentifier(cfg)
    if code == "E123":
        assert "model.v1" in str(e.value)  # the error lists the known stages


def _custom(lexicon_dir: Path, detectors: list[dict[str, object]], *extra: str) -> Deidentifier:  # noqa: F811
    cfg = EngineConfig.from_dict(
        {
            "model_dir": str(lexicon_dir),
            "detectors": detectors,
            "layers": dict.fromkeys(["templates", "lists", "extraction", "propagation"], False),
        }
    )
    return Deidentifier(cfg)


def test_config_regex_and_word_detectors(tmp_path: Path, lexicon_dir: Path) -> None:  # noqa: F811
    words = tmp_path / "clinicians.txt"
    words.write_text("# our clinicians\nQuennell\n")
    deid = _custom(
        lexicon_dir,
        [
            {"name": "ward_ids", "patterns": [r"\bW\d{6}\b"], "label": "ID", "subtype": "IDNUM"},
            {
                "name": "docs",
                "words": ["Zorblatt"],
                "words_file": str(words),
                "label": "NAME",
                "subtype": "DOCTOR",
            },
        ],
    )
    text = "Bed W123456 (not W12345). Seen by zorblatt and Quennell; Zorblattish is not a name. Valdez."
    spans = deid.detect(text).spans
    assert [(text[s.start : s.end], s.label, s.source) for s in spans] == [
        ("W123456", "ID", "custom:ward_ids"),
        ("zorblatt", "NAME", "custom:docs"),
        ("Quennell", "NAME", "custom:docs"),
        ("Valdez", "NAME", "model"),
    ]
    assert deid.plan.names == ("model.v1", "custom.v1", "resolve.v1")


def test_a_custom_detector_needs_something_to_match() -> None:
    with pytest.raises(ConfigError, match="needs patterns"):
        EngineConfig.from_dict({"detectors": [{"name": "x", "label": "ID"}]})


def test_an_unsafe_custom_regex_is_refused(lexicon_dir: Path) -> None:  # noqa: F811
    with pytest.raises(ConfigError):
        _custom(lexicon_dir, [{"name": "bad", "patterns": [r"(a+)+$"], "label": "ID"}])


class ShoutingNames:
    """A user detector: any word of 4+ capitals after 'DR'."""

    name = "test.shouting.v1"

    def detect_batch(self, docs: list[Document]) -> list[list[Span]]:
        import re

        return [
            [
                Span(m.start(1), m.end(1), "NAME", "DOCTOR", 0.9, self.name)
                for m in re.finditer(r"\bDR ([A-Z]{4,})", d.text)
            ]
            for d in docs
        ]


def test_a_registered_python_detector_runs_by_name(lexicon_dir: Path) -> None:  # noqa: F811
    register_stage("test.shouting.v1", lambda ctx: ShoutingNames(), replace=True)
    try:
        stages = json.dumps(["model.v1", "test.shouting.v1", "resolve.v1"])
        deid = Deidentifier(EngineConfig.from_overrides([f"model_dir={lexicon_dir}", f"stages={stages}"]))
        text = "SEEN BY DR KRONFELD, PT Valdez."
        assert [text[s.start : s.end] for s in deid.detect(text).spans] == ["KRONFELD", "Valdez"]
    finally:
        STAGES.pop("test.shouting.v1")


def test_registration_rules() -> None:
    with pytest.raises(ConfigError, match="versioned"):
        register_stage("noversion", lambda ctx: ShoutingNames())
    with pytest.raises(ConfigError, match="already registered"):
        register_stage("model.v1", lambda ctx: ShoutingNames())


def test_a_refiner_in_the_list_runs_in_order(lexicon_dir: Path) -> None:  # noqa: F811
    class DropShort:
        name = "test.dropshort.v1"

        def refine(self, doc: Document, spans: list[Span]) -> list[Span]:
            return [s for s in spans if s.end - s.start > 6]

    register_stage("test.dropshort.v1", lambda ctx: DropShort(), replace=True)
    try:
        stages = json.dumps(["model.v1", "test.dropshort.v1"])
        deid = Deidentifier(EngineConfig.from_overrides([f"model_dir={lexicon_dir}", f"stages={stages}"]))
        text = "Harlan Valdez seen by whalen at Calvert"
        assert [text[s.start : s.end] for s in deid.detect(text).spans] == ["Calvert"]
    finally:
        STAGES.pop("test.dropshort.v1")


def test_a_stage_from_an_entry_point_is_found(
    monkeypatch: pytest.MonkeyPatch,
    lexicon_dir: Path,  # noqa: F811
) -> None:
    import engine.stages as stages

    class EntryPoint:
        name = "test.fromplugin.v1"

        def load(self):  # noqa: ANN201
            return lambda ctx: ShoutingNames()

    monkeypatch.setattr(
        stages, "entry_points", lambda group: [EntryPoint()] if group == "deid.stages" else []
    )
    try:
        names = json.dumps(["model.v1", "test.fromplugin.v1", "resolve.v1"])
        deid = Deidentifier(EngineConfig.from_overrides([f"model_dir={lexicon_dir}", f"stages={names}"]))
        assert any(isinstance(d, ShoutingNames) for d in deid.plan.detectors)
    finally:
        STAGES.pop("test.fromplugin.v1", None)


def test_the_ablation_walks_the_stage_list() -> None:
    from engine.training.metrics.engine_runs import ABLATION_STEPS

    lists = [default_stages(layers) for _, layers in ABLATION_STEPS]
    assert lists[0] == ("model.v1",) and lists[-1] == default_stages(LayersConfig())
    for before, after in zip(lists, lists[1:], strict=False):
        assert set(before) - {"resolve.v1", "vet.v1", "deny.v1"} <= set(after)  # each step adds stages
        assert len(after) > len(before)
