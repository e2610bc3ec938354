"""Export a fine-tuned BERT token classifier to a parity-gated, self-describing ONNX artifact.

Pipeline: torch checkpoint -> ``torch.onnx.export`` (eager attention, TorchScript exporter, opset 17,
named dynamic axes) -> onnxruntime transformer fusions -> int8 dynamic quantisation or fp16 ->
tensor parity (fp32 graph vs torch) -> task parity (served graph vs torch on a dev set) -> files,
manifest, then an atomic swap into ``out_dir``. A failed gate leaves any previous artifact untouched.

Example:
    >>> report = export_model("runs/minilm", "artifacts/default", precision="int8")   # doctest: +SKIP
    >>> report.manifest["fused_operators"]["Attention"]                                # doctest: +SKIP
    6
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.artifacts import CONFIG, LABELS, MANIFEST, MODEL, TOKENIZER, load_artifacts, write_labels
from engine.errors import ArtifactError, ConfigError, ParityError, missing_extra
from engine.export import freeze_scales, hf_config, optimize, parity, quantize
from engine.export import manifest as mf
from engine.export.config import ExportConfig
from engine.export.spanscore import DECODER
from engine.text.tokenize import TextTokenizer

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAMES = ("logits",)
DYNAMIC_AXES = {n: {0: "batch_size", 1: "sequence_length"} for n in INPUT_NAMES + OUTPUT_NAMES}
DEFAULT_WINDOW = {"max_length": 256, "stride": 64}
TRAIN_META = "deid_train.json"


@dataclass
class ExportReport:
    """What :func:`export_model` produced."""

    out_dir: Path
    manifest: dict[str, Any]
    tensor: parity.TensorParity
    task: parity.TaskParity

    @property
    def parity(self) -> dict[str, Any]:
        """The manifest's ``parity`` entry."""
        return dict(self.manifest["parity"])


def read_window(checkpoint: Path, config: ExportConfig) -> dict[str, int]:
    """``{"max_length", "stride"}``: config overrides, else ``deid_train.json``, else 256/64."""
    meta = {}
    if (checkpoint / TRAIN_META).is_file():
        meta = json.loads((checkpoint / TRAIN_META).read_text())
    return {
        "max_length": int(config.max_length or meta.get("max_length", DEFAULT_WINDOW["max_length"])),
        "stride": int(
            config.stride if config.stride is not None else meta.get("stride", DEFAULT_WINDOW["stride"])
        ),
    }


def train_summary(checkpoint: Path) -> dict[str, Any]:
    """The few ``deid_train.json`` facts worth carrying into the manifest (``{}`` when absent)."""
    if not (checkpoint / TRAIN_META).is_file():
        return {}
    meta = json.loads((checkpoint / TRAIN_META).read_text())
    keys = ("base_model", "align_policy", "global_steps", "train_tokens_seen", "dev_metrics")
    out = {k: meta[k] for k in keys if k in meta}
    if isinstance(out.get("base_model"), str) and out["base_model"]:
        out["base_model"] = mf.portable_path(out["base_model"])
    return out


def load_checkpoint(checkpoint: Path) -> tuple[Any, list[str]]:
    """Load the classifier with eager attention (the only form onnxruntime fuses) and its BIO labels."""
    try:
        from transformers import AutoModelForTokenClassification
    except ImportError as e:
        raise missing_extra("transformers", "export") from e
    if not (checkpoint / "config.json").is_file():
        raise ConfigError(
            "E510",
            f"{checkpoint} is not a Hugging Face checkpoint (no config.json)",
            fix="Point --model at a directory written by `deid train`.",
        )
    model = AutoModelForTokenClassification.from_pretrained(
        str(checkpoint), attn_implementation="eager"
    ).eval()
    id2label = {int(k): v for k, v in model.config.id2label.items()}
    labels = [id2label[i] for i in range(len(id2label))]
    if labels[0] != "O":
        raise ConfigError(
            "E511",
            f"{checkpoint}: label 0 must be 'O', got {labels[:3]}",
            fix="Train with engine.labels.bio_labels(...) as the label list.",
        )
    return model, labels


def export_raw(model: Any, path: Path, opset: int) -> None:
    """``torch.onnx.export`` with named dynamic axes; the graph returns ``logits`` only."""
    import torch

    class _Logits(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).logits

    ids = torch.randint(1000, 2000, (2, 16), dtype=torch.long)
    args = (ids, torch.ones_like(ids), torch.zeros_like(ids))
    with torch.inference_mode():
        # dynamo=False: only the TorchScript exporter's eager graph fuses into ORT Attention.
        torch.onnx.export(
            _Logits(model).eval(),
            args,
            str(path),
            input_names=list(INPUT_NAMES),
            output_names=list(OUTPUT_NAMES),
            dynamic_axes=DYNAMIC_AXES,
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )


def export_raw_optimum(checkpoint: Path, work: Path, opset: int) -> Path:
    """The same graph through optimum's ``main_export`` (transformers 4.57 + optimum-onnx only).

    Returns:
        Path of the exported ``model.onnx``; its axes are already named batch_size/sequence_length.
    """
    try:
        from optimum.exporters.onnx import main_export
    except ImportError as e:
        raise missing_extra("optimum-onnx", "export") from e
    out = work / "optimum"
    # optimum patches attention for export itself; the fusion check downstream proves it worked.
    main_export(
        str(checkpoint),
        output=str(out),
        task="token-classification",
        opset=opset,
        library_name="transformers",
        do_validation=False,
    )
    return out / "model.onnx"


def torch_logits_fn(model: Any) -> parity.LogitsFn:
    """Wrap a torch model as a numpy logits function."""
    import torch

    def run(ids: Any, mask: Any, tt: Any) -> Any:
        with torch.inference_mode():
            return (
                model(
                    input_ids=torch.from_numpy(ids),
                    attention_mask=torch.from_numpy(mask),
                    token_type_ids=torch.from_numpy(tt),
                )
                .logits.float()
                .numpy()
            )

    return run


def onnx_logits_fn(path: Path) -> parity.LogitsFn:
    """Wrap an ONNX file as a numpy logits function on the CPU provider."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = {i.name for i in sess.get_inputs()}

    def run(ids: Any, mask: Any, tt: Any) -> Any:
        feed = {k: v for k, v in zip(INPUT_NAMES, (ids, mask, tt), strict=True) if k in names}
        return sess.run([OUTPUT_NAMES[0]], feed)[0]

    return run


def copy_tokenizer(checkpoint: Path, dst: Path) -> None:
    """Copy ``tokenizer.json`` (or serialise the checkpoint's fast tokenizer) and check it loads."""
    if (checkpoint / TOKENIZER).is_file():
        shutil.copyfile(checkpoint / TOKENIZER, dst)
    else:
        from transformers import AutoTokenizer

        AutoTokenizer.from_pretrained(str(checkpoint)).backend_tokenizer.save(str(dst))
    TextTokenizer.from_file(dst)


def check_paths(checkpoint: Path, out_dir: Path, force: bool) -> None:
    """Refuse destructive combinations: output == input, or overwriting without ``force``."""
    if out_dir.resolve() == checkpoint.resolve() or checkpoint.resolve() in out_dir.resolve().parents:
        raise ConfigError(
            "E512",
            f"output {out_dir} is (inside) the checkpoint {checkpoint}",
            fix="Choose another --out directory.",
        )
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise ConfigError("E513", f"{out_dir} exists and is not empty", fix="Pass --force to replace it.")


def swap_into_place(tmp: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` by ``tmp`` with renames, so readers never see a half-written artifact."""
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{tmp.name}")
        out_dir.rename(old)
    tmp.rename(out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def export_model(
    checkpoint_dir: str | Path,
    out_dir: str | Path,
    precision: str | None = None,
    config: ExportConfig | None = None,
    dev: str | Path | None = None,
    force: bool = False,
) -> ExportReport:
    """Export, optimise, quantise, gate and write an artifact directory.

    Args:
        checkpoint_dir: Hugging Face ``BertForTokenClassification`` directory (+ ``deid_train.json``).
        out_dir: artifact directory to (re)place atomically.
        precision: ``int8``, ``fp32`` or ``fp16``; overrides ``config.precision``.
        config: export settings (:class:`ExportConfig`); defaults when ``None``.
        dev: optional JSONL dev corpus with gold spans for task parity.
        force: replace a non-empty ``out_dir``.

    Raises:
        ShapeMismatch, ToleranceExceeded: tensor parity failed (every failing window is listed).
        ParityError: task parity or fusion checks failed. ``out_dir`` is untouched in every case.
    """
    cfg = config or ExportConfig()
    if precision is not None:
        cfg = cfg.model_copy(update={"precision": precision})
    ckpt, out = Path(checkpoint_dir), Path(out_dir)
    check_paths(ckpt, out, force)
    window = read_window(ckpt, cfg)
    model, labels = load_checkpoint(ckpt)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        with tempfile.TemporaryDirectory(prefix="deid-export-") as work_s:
            work = Path(work_s)
            report = _build(ckpt, tmp, work, model, labels, window, cfg, dev)
        load_artifacts(tmp)  # the artifact must verify before it may replace anything
        swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    report.out_dir = out
    return report


def _build(
    ckpt: Path,
    tmp: Path,
    work: Path,
    model: Any,
    labels: list[str],
    window: dict[str, int],
    cfg: ExportConfig,
    dev: str | Path | None,
) -> ExportReport:
    """Everything between the checkpoint and a complete, verified directory ``tmp``."""
    mc = model.config
    raw, fp32 = work / "raw.onnx", work / "model.fp32.onnx"
    if cfg.exporter == "optimum":
        raw = export_raw_optimum(ckpt, work, cfg.opset)
        exporter = {"name": "optimum.exporters.onnx.main_export"}
    else:
        export_raw(model, raw, cfg.opset)
        exporter = {"name": "torch.onnx.export", "dynamo": False, "attn_implementation": "eager"}
    fused = optimize.optimize_graph(raw, fp32, mc.num_attention_heads, mc.hidden_size, cfg.optimization)
    missing = optimize.missing_fusions(fused, mc.num_hidden_layers, cfg.optimization)
    if missing:
        raise ParityError(
            "E605",
            f"graph fusion incomplete: missing {missing}; got {fused}",
            fix="Export with eager attention and dynamo=False (STACK.md), or check num_heads.",
        )
    copy_tokenizer(ckpt, tmp / TOKENIZER)
    tok = TextTokenizer.from_file(tmp / TOKENIZER)
    ref = torch_logits_fn(model)
    tensor = parity.tensor_parity(
        ref,
        onnx_logits_fn(fp32),
        tok,
        parity.PARITY_TEXTS,
        window["max_length"],
        window["stride"],
        cfg.atol,
        cfg.batch_size,
    )
    served = tmp / MODEL
    quant: dict[str, Any] | None = None
    if dev is not None:
        docs = parity.read_dev(dev, cfg.dev_limit)
    else:  # no gold: spans cannot be scored, but label agreement still is
        docs = [{"id": str(i), "text": t, "spans": []} for i, t in enumerate(parity.PARITY_TEXTS)]
    if cfg.precision == "int8":
        dynamic = work / "model.int8-dynamic.onnx"
        quant = quantize.quantize_graph(fp32, dynamic, cfg.quantization)
        # Frozen activation scales: a window's result must not depend on the rest of its batch
        # (engine.export.freeze_scales); calibrated on the first 400 texts of the parity corpus.
        quant["activation_scales"] = freeze_scales.freeze_with_texts(
            dynamic, served, tok, [d["text"] for d in docs[:400]], window["max_length"],
            window["stride"], Path(dev).name if dev is not None else "parity texts",
        )
    elif cfg.precision == "fp16":
        optimize.optimize_graph(
            raw, served, mc.num_attention_heads, mc.hidden_size, cfg.optimization, fp16=True
        )
    else:
        shutil.copyfile(fp32, served)
    task = parity.task_parity(
        ref,
        onnx_logits_fn(served),
        tok,
        docs,
        labels,
        window["max_length"],
        window["stride"],
        cfg.max_recall_drop,
        cfg.max_f1_drop,
        cfg.min_label_agreement,
        cfg.batch_size,
    )
    write_labels(tmp, labels)
    hf_config.write_hf_config(tmp, mc.to_diff_dict(), labels)  # optimum loads the directory with it
    manifest = mf.build_manifest(
        tmp,
        precision=cfg.precision,
        window=window,
        labels={"count": len(labels), "scheme": "BIO"},
        opset=cfg.opset,
        exporter=exporter,
        inputs=list(INPUT_NAMES),
        outputs=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES,
        architecture={
            "model_type": mc.model_type,
            "num_hidden_layers": mc.num_hidden_layers,
            "num_attention_heads": mc.num_attention_heads,
            "hidden_size": mc.hidden_size,
        },
        optimization=optimize.preset_dict(cfg.optimization),
        fused_operators=fused,
        quantization=quant,
        parity={
            "tensor": {**parity.as_dict(tensor), "graph": "fp32 optimized"},  # type: ignore[dict-item]
            "task": {
                **parity.as_dict(task),
                "graph": cfg.precision,
                "decoder": DECODER,  # type: ignore[dict-item]
                "dev": mf.portable_path(dev) if dev is not None else None,
            },
        },
        cpu=mf.cpu_flags(),
        versions=mf.versions(),
        source={**mf.checkpoint_fingerprint(ckpt), "train": train_summary(ckpt)},
        export_config=cfg.model_dump(),
    )
    mf.write_manifest(tmp, manifest)
    report = ExportReport(tmp, manifest, tensor, task)
    if not task.passed:
        err = ParityError(
            "E604",
            "task parity failed: " + "; ".join(task.failures),
            fix="Export fp32 or another --quantization preset, or review the limits.",
        )
        err.report = report  # type: ignore[attr-defined]
        raise err
    for name in (MODEL, TOKENIZER, LABELS, CONFIG, MANIFEST):
        if not (tmp / name).is_file():
            raise ArtifactError("E514", f"export produced no {name}")
    return report
