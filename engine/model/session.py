"""Building the onnxruntime session: providers, threads, graph optimisation.

Example:
    >>> sess = make_session("model.onnx", RuntimeConfig(device="cpu", threads=2))   # doctest: +SKIP
    >>> [i.name for i in sess.get_inputs()]                                           # doctest: +SKIP
    ['input_ids', 'attention_mask', 'token_type_ids']
"""

from __future__ import annotations

from pathlib import Path

from engine.config import RuntimeConfig
from engine.errors import ArtifactError, DeviceError

#: onnxruntime graph rewrites a CPU session must not apply. ``SkipLayerNormFusion`` would turn each
#: residual ``Add`` + ``LayerNormalization`` back into ``SkipLayerNormalization``, whose CPU kernel is
#: about 2.7x slower than the pair (``python -m engine.benchmarks.probes layernorm``). CUDA sessions keep the
#: fusion (applied at graph_optimization 'extended' or 'all').
CPU_DISABLED_OPTIMIZERS: tuple[str, ...] = ("SkipLayerNormFusion",)

_OPT_LEVELS = {
    "disable": "ORT_DISABLE_ALL",
    "basic": "ORT_ENABLE_BASIC",
    "extended": "ORT_ENABLE_EXTENDED",
    "all": "ORT_ENABLE_ALL",
}


def providers_for(device: str) -> list[str]:
    """Execution providers for ``device``; raises :class:`DeviceError` if CUDA is asked for but absent."""
    import onnxruntime as ort

    if device == "cpu":
        return ["CPUExecutionProvider"]
    available = ort.get_available_providers()
    if "CUDAExecutionProvider" not in available:
        raise DeviceError(
            "E520",
            f"device 'cuda' asked for, but this onnxruntime offers only {available}",
            fix="pip install onnxruntime-gpu (instead of onnxruntime) on a machine with CUDA, "
            "or use --device cpu.",
        )
    return ["CUDAExecutionProvider", "CPUExecutionProvider"]


def make_session(model_path: str | Path, runtime: RuntimeConfig) -> object:
    """Create an ``onnxruntime.InferenceSession`` for ``model_path`` as ``runtime`` says."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = getattr(
        ort.GraphOptimizationLevel, _OPT_LEVELS[runtime.graph_optimization]
    )
    if runtime.threads:
        opts.intra_op_num_threads = runtime.threads
        opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    disabled = list(CPU_DISABLED_OPTIMIZERS) if runtime.device == "cpu" else []
    try:
        sess = ort.InferenceSession(
            str(model_path),
            sess_options=opts,
            providers=providers_for(runtime.device),
            disabled_optimizers=disabled,
        )
    except DeviceError:
        raise
    except Exception as e:  # onnxruntime raises its own untyped errors for bad graphs
        raise ArtifactError(
            "E220",
            f"onnxruntime could not load {model_path}: {e}",
            fix="Re-export the model with `deid export`.",
        ) from e
    names = {i.name for i in sess.get_inputs()}
    if not {"input_ids", "attention_mask"} <= names:
        raise ArtifactError(
            "E221", f"{model_path} inputs are {sorted(names)}; need input_ids and attention_mask"
        )
    return sess
