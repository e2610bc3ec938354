"""Export integration tests on the tiny random BERT: fusion, quantisation, manifest, parity gate.

The session fixtures ``tiny_artifact`` (fp32) and ``tiny_artifact_int8`` are exported once; tests
that modify files work on copies.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from engine.artifacts import MANIFEST, MODEL, file_sha256, load_artifacts
from engine.errors import ArtifactError, ConfigError, ParityError, ShapeMismatch, ToleranceExceeded

pytest.importorskip("onnx")
pytest.importorskip("torch")

from engine.export import parity  # noqa: E402
from engine.export.config import ExportConfig  # noqa: E402
from engine.export.onnx_export import export_model, load_checkpoint, onnx_logits_fn, torch_logits_fn  # noqa: E402
from engine.export.optimize import missing_fusions, op_histogram  # noqa: E402

NUM_LAYERS = 2  # tests/tiny_model.TINY_CONFIG


@pytest.fixture(scope="module")
def torch_fn(tiny_checkpoint: Path) -> parity.LogitsFn:
    model, _ = load_checkpoint(tiny_checkpoint)
    return torch_logits_fn(model)


def _manifest(root: Path) -> dict:
    return json.loads((root / MANIFEST).read_text())


def _tok(root: Path):
    return load_artifacts(root).tokenizer


def test_tiny_artifact_loads_and_verifies(tiny_artifact: Path) -> None:
    art = load_artifacts(tiny_artifact)
    assert art.precision == "fp32"
    assert (art.max_length, art.stride) == (256, 64)
    assert art.labels[0] == "O" and "B-PATIENT" in art.labels


def test_manifest_describes_the_export(tiny_artifact: Path) -> None:
    m = _manifest(tiny_artifact)
    assert m["opset"] == 17
    assert m["dynamic_axes"]["input_ids"] == {"0": "batch_size", "1": "sequence_length"}
    assert set(m["versions"]) >= {"onnx", "onnxruntime", "torch", "transformers"}
    assert set(m["cpu"]["flags"]) >= {"avx2", "avx512f", "avx512_vnni"}
    assert len(m["source"]["weights_sha256"]) == 64
    assert m["export_config"]["precision"] == "fp32"
    assert m["parity"]["tensor"]["passed"] and m["parity"]["task"]["passed"]


def test_fused_operator_counts(tiny_artifact: Path) -> None:
    fused = _manifest(tiny_artifact)["fused_operators"]
    assert fused["Attention"] == NUM_LAYERS
    # bert-fused.v2: residual Add + LayerNormalization stay unfused (the CPU SkipLayerNormalization
    # kernel is the slow one; see engine.export.optimize).
    assert fused["LayerNormalization"] == 2 * NUM_LAYERS and "SkipLayerNormalization" not in fused
    assert fused.get("Gelu", 0) + fused.get("BiasGelu", 0) + fused.get("FastGelu", 0) > 0
    assert fused["EmbedLayerNormalization"] == 1
    ops = op_histogram(tiny_artifact / MODEL)  # the file itself, not just the report
    assert ops["Attention"] == NUM_LAYERS and "Softmax" not in ops
    assert ops["LayerNormalization"] == 2 * NUM_LAYERS and "SkipLayerNormalization" not in ops


def test_missing_fusion_is_reported() -> None:
    v1 = {"Attention": 2, "SkipLayerNormalization": 4, "BiasGelu": 2}
    assert missing_fusions(v1, 2, "bert-fused.v1") == []
    assert len(missing_fusions({"Attention": 1, "SkipLayerNormalization": 4}, 2)) == 2
    assert missing_fusions({"Attention": 2, "LayerNormalization": 4, "BiasGelu": 2}, 2) == []
    # v1 promises fused layer norms: a graph without them fails the check
    assert missing_fusions({"Attention": 2, "LayerNormalization": 4, "BiasGelu": 2}, 2, "bert-fused.v1")


def test_int8_graph_is_quantized(tiny_artifact_int8: Path, tiny_artifact: Path) -> None:
    ops = op_histogram(tiny_artifact_int8 / MODEL)
    # frozen activation scales (engine.export.freeze_scales): static QuantizeLinear, no per-call scale
    assert ops.get("MatMulIntegerToFloat", 0) > 0 and ops.get("QuantizeLinear", 0) > 0
    assert ops.get("DynamicQuantizeLinear", 0) == 0 and ops.get("MatMulInteger", 0) == 0
    assert ops.get("QAttention", 0) == NUM_LAYERS
    art = load_artifacts(tiny_artifact_int8)
    m = art.manifest
    assert art.batch_invariant and m["quantization"]["activation_scales"]["frozen_nodes"] > 0
    assert m["precision"] == "int8"
    assert m["quantization"]["per_channel"] is True and m["quantization"]["reduce_range"] is False
    assert m["files"][MODEL]["bytes"] < _manifest(tiny_artifact)["files"][MODEL]["bytes"]


def test_tampered_model_is_refused(tiny_artifact_copy: Path) -> None:
    with open(tiny_artifact_copy / MODEL, "ab") as f:
        f.write(b"\0")
    with pytest.raises(ArtifactError, match="E216"):
        load_artifacts(tiny_artifact_copy)


def test_tensor_parity_passes_for_fp32(tiny_artifact: Path, torch_fn: parity.LogitsFn) -> None:
    rep = parity.tensor_parity(
        torch_fn,
        onnx_logits_fn(tiny_artifact / MODEL),
        _tok(tiny_artifact),
        parity.PARITY_TEXTS,
        256,
        64,
        atol=1e-3,
    )
    assert rep.passed and rep.n_windows >= len(parity.PARITY_TEXTS) and rep.max_abs_diff < 1e-3


def test_tight_tolerance_lists_every_failure(tiny_artifact: Path, torch_fn: parity.LogitsFn) -> None:
    with pytest.raises(ToleranceExceeded) as ei:
        parity.tensor_parity(
            torch_fn,
            onnx_logits_fn(tiny_artifact / MODEL),
            _tok(tiny_artifact),
            parity.PARITY_TEXTS,
            256,
            64,
            atol=1e-12,
        )
    rep = ei.value.report
    assert len(rep.failures) == rep.n_windows > 1  # collected, not stopped at the first
    assert str(ei.value).count("exceed") == 1 and str(ei.value).count("window #") == rep.n_windows


def test_shape_mismatch_is_collected(tiny_artifact: Path, torch_fn: parity.LogitsFn) -> None:
    def truncated(ids, mask, tt):
        return torch_fn(ids, mask, tt)[:, :, :-1]

    with pytest.raises(ShapeMismatch) as ei:
        parity.tensor_parity(torch_fn, truncated, _tok(tiny_artifact), parity.PARITY_TEXTS[:3], 256, 64, 1e-3)
    assert len(ei.value.report.failures) == 3


def test_task_parity_detects_recall_drop(tiny_artifact: Path, torch_fn: parity.LogitsFn) -> None:
    tok, labels = _tok(tiny_artifact), load_artifacts(tiny_artifact).labels
    texts = list(parity.PARITY_TEXTS[:3])
    _, spans = parity.predict_spans(torch_fn, tok, texts, labels, 256, 64)
    docs = [
        {
            "id": str(i),
            "text": t,
            "spans": [{"start": s, "end": e, "label": x, "subtype": x} for s, e, x in sp],
        }
        for i, (t, sp) in enumerate(zip(texts, spans, strict=True))
    ]
    same = parity.task_parity(torch_fn, torch_fn, tok, docs, labels, 256, 64, 0.5, 1.0)
    assert same.passed and same.label_agreement == 1.0 and same.torch["recall"] == 1.0

    def all_outside(ids, mask, tt):
        out = np.zeros(ids.shape + (len(labels),), dtype=np.float32)
        out[..., 0] = 10.0
        return out

    worse = parity.task_parity(torch_fn, all_outside, tok, docs, labels, 256, 64, 0.5, 1.0)
    assert not worse.passed and worse.recall_drop == pytest.approx(100.0)
    assert len(worse.failures) == 2  # recall and F1, both reported


def _hashes(root: Path) -> dict[str, str]:
    return {p.name: file_sha256(p) for p in sorted(root.iterdir())}


def test_gate_failure_leaves_previous_artifact_untouched(
    tiny_checkpoint: Path, tiny_artifact_copy: Path
) -> None:
    before = _hashes(tiny_artifact_copy)
    siblings = set(tiny_artifact_copy.parent.iterdir())
    with pytest.raises(ToleranceExceeded):
        export_model(
            tiny_checkpoint, tiny_artifact_copy, config=ExportConfig(precision="fp32", atol=1e-12), force=True
        )
    assert _hashes(tiny_artifact_copy) == before
    assert set(tiny_artifact_copy.parent.iterdir()) == siblings  # no temp dirs left behind
    load_artifacts(tiny_artifact_copy)


def test_task_gate_failure_on_dev_set(
    tiny_checkpoint: Path, tmp_path: Path, torch_fn: parity.LogitsFn, tiny_artifact: Path
) -> None:
    """int8 on a random tiny model changes predictions; a zero-drop limit must refuse it."""
    tok, labels = _tok(tiny_artifact), load_artifacts(tiny_artifact).labels
    texts = list(parity.PARITY_TEXTS[:3])
    _, spans = parity.predict_spans(torch_fn, tok, texts, labels, 256, 64)
    dev = tmp_path / "dev.jsonl"
    dev.write_text(
        "".join(
            json.dumps(
                {
                    "id": str(i),
                    "text": t,
                    "spans": [{"start": s, "end": e, "label": x, "subtype": x} for s, e, x in sp],
                }
            )
            + "\n"
            for i, (t, sp) in enumerate(zip(texts, spans, strict=True))
        )
    )
    out = tmp_path / "out"
    with pytest.raises(ParityError, match="E604"):
        export_model(
            tiny_checkpoint,
            out,
            precision="int8",
            dev=dev,
            config=ExportConfig(max_recall_drop=0.0, max_f1_drop=0.0),
        )
    assert not out.exists()


def test_refuses_destructive_paths(tiny_checkpoint: Path, tiny_artifact: Path) -> None:
    with pytest.raises(ConfigError, match="E512"):
        export_model(tiny_checkpoint, tiny_checkpoint)
    with pytest.raises(ConfigError, match="E513"):
        export_model(tiny_checkpoint, tiny_artifact)  # exists, no force


def test_cli_exports_and_prints_json(tiny_checkpoint: Path, tmp_path: Path, capsys) -> None:
    from engine.export.cli import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(
        [
            "export",
            "--model",
            str(tiny_checkpoint),
            "--out",
            str(tmp_path / "a"),
            "--precision",
            "fp32",
            "--json",
        ]
    )
    assert args.func(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["tensor"]["passed"] and report["task"]["label_agreement"] == 1.0
    bad = parser.parse_args(["export", "--model", str(tiny_checkpoint), "--out", str(tiny_checkpoint)])
    assert bad.func(bad) == 2


@pytest.mark.slow
def test_optimum_exporter_fuses_too(tiny_checkpoint: Path, tmp_path: Path) -> None:
    pytest.importorskip("optimum.exporters.onnx")
    report = export_model(
        tiny_checkpoint, tmp_path / "opt", precision="fp32", config=ExportConfig(exporter="optimum")
    )
    assert report.manifest["fused_operators"]["Attention"] == NUM_LAYERS
    assert report.manifest["exporter"]["name"].startswith("optimum")
    assert report.tensor.passed


def test_config_rejects_unknown_presets() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="dynamic-per-channel.v1"):
        ExportConfig(quantization="int4-magic.v1")
    with pytest.raises(ValidationError, match="bert-fused.v2"):
        ExportConfig(optimization="O9")


@pytest.mark.slow
def test_fp16_export_keeps_float32_io(tiny_checkpoint: Path, tmp_path: Path) -> None:
    import onnx

    report = export_model(tiny_checkpoint, tmp_path / "fp16", precision="fp16")
    graph = onnx.load(str(tmp_path / "fp16" / MODEL)).graph
    assert graph.output[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert any(t.data_type == onnx.TensorProto.FLOAT16 for t in graph.initializer)
    assert report.task.label_agreement > 0.9


def _optimized_ops(model: Path, out: Path, disabled: list[str]) -> dict[str, int]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.optimized_model_filepath = str(out)
    ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"], disabled_optimizers=disabled)
    return op_histogram(out)


def test_cpu_sessions_keep_layer_norm_unfused(tiny_artifact: Path, tmp_path: Path, monkeypatch) -> None:
    import onnxruntime as ort

    from engine.config import RuntimeConfig
    from engine.model.session import CPU_DISABLED_OPTIMIZERS, make_session

    # Left alone, onnxruntime re-fuses the residual Add + LayerNormalization at load time...
    refused = _optimized_ops(tiny_artifact / MODEL, tmp_path / "a.onnx", [])
    assert refused.get("SkipLayerNormalization", 0) > 0
    # ...and the engine's CPU list stops it: the slow fused kernel never runs.
    kept = _optimized_ops(tiny_artifact / MODEL, tmp_path / "b.onnx", list(CPU_DISABLED_OPTIMIZERS))
    assert "SkipLayerNormalization" not in kept and kept["LayerNormalization"] == 2 * NUM_LAYERS

    seen: dict[str, object] = {}
    real = ort.InferenceSession

    def spy(*args: object, **kwargs: object) -> object:
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(ort, "InferenceSession", spy)
    make_session(tiny_artifact / MODEL, RuntimeConfig(device="cpu", threads=1))
    assert seen["disabled_optimizers"] == list(CPU_DISABLED_OPTIMIZERS)
    # a CUDA session keeps every rewrite (providers faked: no GPU here; the spy records, then loads on CPU)
    monkeypatch.setattr("engine.model.session.providers_for", lambda device: ["CPUExecutionProvider"])
    make_session(tiny_artifact / MODEL, RuntimeConfig(device="cuda", threads=1))
    assert seen["disabled_optimizers"] == []


def test_windows_per_call_defaults_by_device() -> None:
    from engine.config import DEFAULT_BATCH, RuntimeConfig

    assert RuntimeConfig().windows_per_call == DEFAULT_BATCH["cpu"] == 4
    assert RuntimeConfig(device="cuda").windows_per_call == DEFAULT_BATCH["cuda"] == 64
    assert RuntimeConfig(device="cuda", batch_size=16).windows_per_call == 16
