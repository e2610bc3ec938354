"""Golden output of the shipped default model on examples/ (regenerate with --update-golden)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.artifacts import default_model_available
from engine.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"

pytestmark = pytest.mark.skipif(not default_model_available(), reason="no embedded default model")


@pytest.mark.parametrize(
    ("command", "golden"),
    [(["detect"], "examples.detect.jsonl"), (["redact"], "examples.redact.jsonl"),
     (["redact", "--with-subtype"], "examples.redact-subtype.jsonl")],
)  # fmt: skip
def test_examples_match_the_golden_output(
    command: list[str], golden: str, tmp_path: Path, update_golden: bool
) -> None:
    out = tmp_path / "out.jsonl"
    assert main([command[0], str(ROOT / "examples" / "notes.jsonl"), "-o", str(out), "-q", *command[1:]]) == 0
    got = out.read_text(encoding="utf-8")
    target = GOLDEN / golden
    if update_golden:
        target.write_text(got, encoding="utf-8")
    expected = target.read_text(encoding="utf-8")
    for g, e in zip(got.splitlines(), expected.splitlines(), strict=True):
        assert json.loads(g) == json.loads(e), "output changed: review, then rerun with --update-golden"
