"""Names made of common words after a strong cue (issue 12), and the output profiles (i2b2, hipaa).

Synthetic sentences only.
"""

from __future__ import annotations

import pytest

from engine.config import EngineConfig
from engine.errors import ConfigError
from engine.hybrid import HybridLayer
from engine.hybrid.profiles import OUTPUT_PROFILES, apply_profile, get_output_profile
from engine.types import Document, Span


@pytest.fixture(scope="module")
def layer() -> HybridLayer:
    return HybridLayer(EngineConfig())


def marked(layer: HybridLayer, text: str) -> list[str]:
    doc = Document("n", text)
    return [text[s.start : s.end] for s in layer.postprocess(doc, layer.detect(doc)) if s.label == "NAME"]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Mr. Hope Will was seen today.", ["Hope Will"]),
        ("Mrs. Grace Hope, daughter at bedside.", ["Grace Hope"]),
        ("Pt name: Hope Will", ["Hope Will"]),
        ("Patient name: Faith Young. Admitted from home.", ["Faith Young"]),
        ("Name: Hope Will, 92 yo", ["Hope Will"]),
        ("Patient: Hope Will", ["Hope Will"]),
        ("Patient Hope Will was admitted overnight.", ["Hope Will"]),
        # negatives: a lower-case word never joins, charting words after a cue are not names
        ("Patient will be seen by the team.", []),
        ("Mr. Smith will call back.", ["Smith"]),
        ("Mr. Smith Called the team.", ["Smith"]),
        ("Patient Care Services called.", []),
        ("Pt: Unknown", []),
        ("PATIENT WILL BE SEEN IN AM", []),
        ("pt will go for trach on monday", []),
    ],
)
def test_names_of_common_words_after_a_strong_cue(layer: HybridLayer, text: str, names: list[str]) -> None:
    assert marked(layer, text) == names


NOTE = "Pt 92 yo, 65 yo RN. HD on Monday and Thursday 7/22. Seen in May."


def spans() -> list[Span]:
    def at(surface: str, label: str) -> Span:
        i = NOTE.index(surface)
        return Span(i, i + len(surface), label, None)

    return [
        at("92", "AGE"),
        at("65", "AGE"),
        at("RN", "PROFESSION"),
        at("Monday", "DATE"),
        at("Thursday", "DATE"),
        at("7/22", "DATE"),
        at("May", "DATE"),
    ]


@pytest.mark.parametrize(
    ("profile", "kept"),
    [
        ("i2b2", ["92", "65", "RN", "Monday", "Thursday", "7/22", "May"]),
        ("hipaa", ["92", "7/22", "May"]),
    ],
)
def test_output_profiles(profile: str, kept: list[str]) -> None:
    assert [NOTE[s.start : s.end] for s in apply_profile(NOTE, spans(), profile)] == kept


def test_profile_applies_in_the_layer() -> None:
    text = "Dialysis on Monday, seen 7/22. Works as a cashier."
    hipaa = HybridLayer(EngineConfig.from_overrides(["profile=hipaa"]))
    i2b2 = HybridLayer(EngineConfig())
    doc = Document("n", text)
    kept = {
        p: [text[s.start : s.end] for s in lay.postprocess(doc, lay.detect(doc))]
        for p, lay in (("hipaa", hipaa), ("i2b2", i2b2))
    }
    assert "Monday" in kept["i2b2"] and "cashier" in kept["i2b2"]
    assert "Monday" not in kept["hipaa"] and "cashier" not in kept["hipaa"] and "7/22" in kept["hipaa"]


def test_default_profile_is_i2b2_and_unknown_profiles_fail() -> None:
    assert EngineConfig().profile == "i2b2"
    assert set(OUTPUT_PROFILES) == {"i2b2", "hipaa"}
    with pytest.raises(ConfigError, match="E422"):
        get_output_profile("safe-harbor")
    with pytest.raises(ConfigError, match="E100"):
        EngineConfig.from_overrides(["profile=nope"])
