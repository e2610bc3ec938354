"""``ExportConfig``: one validated object from the CLI to :func:`engine.export.onnx_export.export_model`.

Its resolved, frozen copy is written into every artifact's ``manifest.json`` (``"export_config"``).

Example:
    >>> cfg = ExportConfig(precision="int8", atol=1e-3)
    >>> cfg.opset, cfg.quantization, cfg.max_recall_drop
    (17, 'dynamic-per-channel.v1', 0.5)
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Precision = Literal["fp32", "int8", "fp16"]


class ExportConfig(BaseModel):
    """Everything that decides what an export produces and how strictly it is gated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    precision: Precision = Field("int8", description="Served graph: int8 (CPU), fp16 (GPU) or fp32.")
    exporter: Literal["torch", "optimum"] = Field(
        "torch", description="torch: torch.onnx.export (eager attention, TorchScript); optimum: main_export."
    )
    opset: int = Field(17, ge=14, le=21, description="ONNX opset of the exported graph.")
    optimization: str = Field(
        "bert-fused.v2", description="Graph optimisation preset (engine.export.optimize.PRESETS)."
    )
    quantization: str = Field(
        "dynamic-per-channel.v1",
        description="int8 preset (engine.export.quantize.PRESETS); ignored unless int8.",
    )
    atol: float = Field(1e-3, gt=0, description="Tensor parity: max |logit(ONNX fp32) - logit(torch)|.")
    max_recall_drop: float = Field(
        0.5, ge=0, description="Task parity: strict span recall may drop at most this many points (0-100)."
    )
    max_f1_drop: float = Field(
        1.0, ge=0, description="Task parity: strict span F1 may drop at most this many points (0-100)."
    )
    min_label_agreement: float = Field(
        0.0, ge=0, le=1, description="Task parity: minimum token argmax agreement with torch (0 disables)."
    )
    dev_limit: int | None = Field(None, ge=1, description="Use at most this many dev documents.")
    max_length: int | None = Field(None, ge=8, description="Window length; default: the checkpoint's.")
    stride: int | None = Field(None, ge=0, description="Window overlap; default: the checkpoint's.")
    batch_size: int = Field(8, ge=1, description="Windows per forward pass during parity checks.")

    @field_validator("optimization")
    @classmethod
    def _known_optimization(cls, v: str) -> str:
        from engine.export.optimize import PRESETS

        if v not in PRESETS:
            raise ValueError(f"unknown optimization preset {v!r}; valid: {sorted(PRESETS)}")
        return v

    @field_validator("quantization")
    @classmethod
    def _known_quantization(cls, v: str) -> str:
        from engine.export.quantize import PRESETS

        if v not in PRESETS:
            raise ValueError(f"unknown quantization preset {v!r}; valid: {sorted(PRESETS)}")
        return v
