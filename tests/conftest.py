"""Shared pytest fixtures.

Session fixtures build expensive things once (a tiny random BERT checkpoint and its ONNX export);
tests that modify an artifact must take a copy first (``tiny_artifact_copy`` does it for you).

Markers (``slow``, ``gpu``, ``network``) are declared in ``pyproject.toml`` under ``--strict-markers``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# No hub access from tests, ever: the only weights are local.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random ``BertForTokenClassification`` checkpoint (2 layers, hidden 32, MiniLM tokenizer)."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tiny_model import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny_ckpt") / "ckpt")


@pytest.fixture(scope="session")
def tiny_artifact(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path to an fp32 artifact directory exported from :func:`tiny_checkpoint` (built once per session).

    Read-only by convention: copy it (or use ``tiny_artifact_copy``) before modifying anything.
    """
    pytest.importorskip("onnx")
    from engine.export.onnx_export import export_model

    out = tmp_path_factory.mktemp("tiny_artifact") / "fp32"
    export_model(tiny_checkpoint, out, precision="fp32")
    return out


@pytest.fixture(scope="session")
def tiny_artifact_int8(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path to an int8 (dynamic per-channel) artifact of the tiny checkpoint, built once per session."""
    pytest.importorskip("onnx")
    from engine.export.onnx_export import export_model

    out = tmp_path_factory.mktemp("tiny_artifact") / "int8"
    export_model(tiny_checkpoint, out, precision="int8")
    return out


@pytest.fixture
def tiny_artifact_copy(tiny_artifact: Path, tmp_path: Path) -> Path:
    """A private, writable copy of :func:`tiny_artifact` for tests that tamper with files."""
    dst = tmp_path / "artifact"
    shutil.copytree(tiny_artifact, dst)
    return dst


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--update-golden`` rewrites the golden files instead of comparing against them."""
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/golden/* from the current code"
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to rewrite the golden files."""
    return bool(request.config.getoption("--update-golden"))
