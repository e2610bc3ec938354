"""Export integration tests on the tiny random BERT: fusion, quantisation, manifest, parity gate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.artifacts import MANIFEST, MODEL, load_artifacts
from engine.errors import ArtifactError


def test_tiny_artifact_loads_and_verifies(tiny_artifact: Path) -> None:
    art = load_artifacts(tiny_artifact)
    assert art.precision == "fp32"
    assert (art.max_length, art.stride) == (256, 64)
    assert art.labels[0] == "O" and "B-PATIENT" in art.labels


def test_tampered_model_is_refused(tiny_artifact_copy: Path) -> None:
    with open(tiny_artifact_copy / MODEL, "ab") as f:
        f.write(b"\0")
    with pytest.raises(ArtifactError, match="E216"):
        load_artifacts(tiny_artifact_copy)
