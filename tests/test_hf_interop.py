"""Hugging Face interop: artifacts load in optimum, and a Hugging Face directory works as ``--model``."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import artifacts as A
from engine.errors import ArtifactError

TEXT = "Pt John Smith seen at Mercy Hospital on 3/4/2021, MRN 4455667."


def _ort_logits(root: Path, n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    """Logits of ``TEXT`` through optimum's ORTModelForTokenClassification, and through plain ORT."""
    pytest.importorskip("optimum.onnxruntime")
    import onnxruntime as ort
    import torch
    from optimum.onnxruntime import ORTModelForTokenClassification

    art = A.load_artifacts(root)
    model = ORTModelForTokenClassification.from_pretrained(root)  # local dir: no hub call
    assert model.config.num_labels == n_labels
    assert [model.config.id2label[i] for i in range(n_labels)] == art.labels
    ids = [art.tokenizer.cls_id, *art.tokenizer.encode(TEXT).ids, art.tokenizer.sep_id]
    feed = {
        "input_ids": torch.tensor([ids]),
        "attention_mask": torch.ones(1, len(ids), dtype=torch.long),
        "token_type_ids": torch.zeros(1, len(ids), dtype=torch.long),
    }
    logits = model(**feed).logits.detach().numpy()
    sess = ort.InferenceSession(str(root / A.MODEL), providers=["CPUExecutionProvider"])
    names = {i.name for i in sess.get_inputs()}
    ref = sess.run(["logits"], {k: v.numpy() for k, v in feed.items() if k in names})[0]
    return logits, ref


def test_shipped_default_loads_with_optimum() -> None:
    """The shipped artifact is also an optimum model directory: config.json listed and verified."""
    root = A.DEFAULT_MODEL_DIR
    manifest = json.loads((root / A.MANIFEST).read_text())
    assert A.CONFIG in manifest["files"]  # so load_artifacts verifies its hash
    cfg = json.loads((root / A.CONFIG).read_text())
    assert cfg["model_type"] == manifest["architecture"]["model_type"] == "bert"
    for key in ("num_hidden_layers", "num_attention_heads", "hidden_size"):
        assert cfg[key] == manifest["architecture"][key]
    n = manifest["labels"]["count"]
    logits, ref = _ort_logits(root, n)
    assert logits.shape[0] == 1 and logits.shape[2] == n
    assert logits.shape[1] >= 10
    np.testing.assert_allclose(logits, ref, atol=1e-4)


def test_export_writes_config_json(tiny_artifact: Path) -> None:
    manifest = json.loads((tiny_artifact / A.MANIFEST).read_text())
    assert A.CONFIG in manifest["files"]
    cfg = json.loads((tiny_artifact / A.CONFIG).read_text())
    labels = json.loads((tiny_artifact / A.LABELS).read_text())["labels"]
    assert cfg["architectures"] == ["BertForTokenClassification"]
    assert list(cfg["id2label"].values()) == labels and cfg["label2id"]["O"] == 0
    assert not [k for k in cfg if k.startswith("_")]  # no _name_or_path: a path of this machine
    logits, ref = _ort_logits(tiny_artifact, len(labels))
    assert logits.shape[2] == len(labels)
    np.testing.assert_allclose(logits, ref, atol=1e-5)


def test_tampered_config_json_is_refused(tiny_artifact_copy: Path) -> None:
    p = tiny_artifact_copy / A.CONFIG
    p.write_text(p.read_text().replace('"O"', '"X"', 1))
    with pytest.raises(ArtifactError, match="E216"):
        A.load_artifacts(tiny_artifact_copy)


def test_hf_directory_is_exported_once(
    tiny_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("onnx")
    monkeypatch.setenv(A.CACHE_ENV, str(tmp_path / "cache"))
    assert A.is_hf_checkpoint(tiny_checkpoint) and not A.is_hf_checkpoint(A.DEFAULT_MODEL_DIR)
    art = A.load_artifacts(tiny_checkpoint)
    assert art.root.parent == tmp_path / "cache" / "hf-exports"
    cfg = json.loads((tiny_checkpoint / A.CONFIG).read_text())
    assert art.labels == [cfg["id2label"][str(i)] for i in range(len(cfg["id2label"]))]  # its own labels
    # a second load reuses the cached export: exporting again would fail here
    import engine.export.onnx_export as E

    monkeypatch.setattr(E, "export_model", lambda *a, **k: pytest.fail("exported twice"))
    assert A.load_artifacts(tiny_checkpoint).root == art.root
    # a changed checkpoint gets a new key, never the stale export
    changed = tmp_path / "changed"
    shutil.copytree(tiny_checkpoint, changed)
    (changed / "deid_train.json").write_text('{"max_length": 128, "stride": 32}\n')
    assert A.checkpoint_key(changed) != A.checkpoint_key(tiny_checkpoint)


def test_hf_directory_without_export_extra(
    tiny_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without torch/transformers/onnx: a coded error that names the pip command, nothing imported."""
    monkeypatch.setenv(A.CACHE_ENV, str(tmp_path / "cache"))
    real = importlib.util.find_spec
    monkeypatch.setattr(
        A.importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    with pytest.raises(ArtifactError, match="E218") as e:
        A.load_artifacts(tiny_checkpoint)
    assert "pip install 'deid-engine[export]'" in str(e.value) and "torch" in str(e.value)
    assert not (tmp_path / "cache").exists()


def test_engine_artifacts_import_no_torch() -> None:
    """engine.artifacts imports the export code (and torch) only when a Hugging Face dir is given."""
    import subprocess

    code = (
        "import sys, engine.artifacts; "
        "print(sorted({'torch','transformers','engine.export'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
