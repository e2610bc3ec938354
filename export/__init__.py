"""Export a trained checkpoint to a self-describing, parity-gated ONNX artifact (``deid export``).

Example:
    >>> from engine.export import ExportConfig, export_model                 # doctest: +SKIP
    >>> report = export_model("runs/minilm/final", "artifacts/default")      # doctest: +SKIP
    >>> report.parity["task"]["recall_drop"] <= 0.5                           # doctest: +SKIP
    True
"""

from __future__ import annotations

from engine.export.config import ExportConfig
from engine.export.onnx_export import ExportReport, export_model

__all__ = ["ExportConfig", "ExportReport", "export_model"]
