"""deid-engine: offline clinical text de-identification on onnxruntime.

Example:
    >>> from engine import Deidentifier
    >>> Deidentifier().redact("PT SEEN BY DR FOLEY 7/22").redacted     # doctest: +SKIP
    'PT SEEN BY DR [NAME] [DATE]'
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Deidentifier": "engine.pipeline",
    "EngineConfig": "engine.config",
    "Span": "engine.types",
    "Document": "engine.types",
    "Result": "engine.types",
    "load_artifacts": "engine.artifacts",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    # Lazy: `import engine.labels` from training code must not load onnxruntime.
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
