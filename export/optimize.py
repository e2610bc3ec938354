"""onnxruntime transformer-graph optimisation presets, and the fused-operator report.

A preset is data: the ``optimize_model`` arguments that make onnxruntime fuse a BERT encoder into
``EmbedLayerNormalization``, ``Attention`` and ``BiasGelu``. The exact (erf) GELU is kept on purpose:
the approximate FastGelu drifts logits by about 2e-2.

``bert-fused.v2`` (the default) leaves each residual ``Add`` + ``LayerNormalization`` unfused. On
CPU, onnxruntime 1.32's fused ``SkipLayerNormalization`` kernel is about 2.7x slower than ``Add`` +
``LayerNormalization`` on a (8, 256, 384) batch (``python -m engine.benchmarks.probes layernorm``), which
made it a quarter of the int8 graph's time; the engine's CPU sessions therefore also turn off
onnxruntime's own ``SkipLayerNormFusion`` (:data:`engine.model.session.CPU_DISABLED_OPTIMIZERS`),
while a CUDA session lets onnxruntime re-fuse the pair at load time (graph optimisation level
'extended' or 'all'; whether the fused CUDA kernel is the faster one was not measured: no GPU here).

Example:
    >>> fused = optimize_graph("raw.onnx", "model.onnx", num_heads=12, hidden_size=384)  # doctest: +SKIP
    >>> fused["Attention"]                                                               # doctest: +SKIP
    6
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from engine.errors import ConfigError


@dataclass(frozen=True)
class OptimizationPreset:
    """One optimisation recipe.

    Attributes:
        model_type: onnxruntime.transformers model type whose fusions apply.
        opt_level: onnxruntime graph level run before the Python fusions (0: fusions only; 1: basic
            constant folding too; 2+ writes hardware-specific nodes and is avoided for portable files).
        gelu_approximation: replace Gelu by FastGelu (faster, less exact).
        skip_layer_norm: fuse residual ``Add`` + ``LayerNormalization`` into ``SkipLayerNormalization``.
    """

    model_type: str = "bert"
    opt_level: int = 1
    gelu_approximation: bool = False
    skip_layer_norm: bool = False


#: Versioned preset names -> recipes.
PRESETS: dict[str, OptimizationPreset] = {
    "bert-fused.v2": OptimizationPreset(),
    "bert-fused.v1": OptimizationPreset(skip_layer_norm=True),
    "bert-fused-fastgelu.v1": OptimizationPreset(gelu_approximation=True, skip_layer_norm=True),
}

#: The preset ``deid export`` uses unless told otherwise.
DEFAULT_PRESET = "bert-fused.v2"

#: Operators whose presence proves that fusion happened (any one of each group must be > 0). A preset
#: with ``skip_layer_norm`` must also yield ``SkipLayerNormalization`` (one per residual, two a layer).
REQUIRED_FUSIONS: tuple[tuple[str, ...], ...] = (
    ("Attention", "MultiHeadAttention"),
    ("Gelu", "BiasGelu", "FastGelu"),
)


def get_preset(name: str) -> OptimizationPreset:
    """Look a preset up by name; an unknown name lists the valid ones."""
    if name not in PRESETS:
        raise ConfigError(
            "E830", f"unknown optimization preset {name!r}", fix=f"Use one of {sorted(PRESETS)}."
        )
    return PRESETS[name]


def preset_dict(name: str) -> dict[str, Any]:
    """Manifest form of a preset: ``{"name": ..., "model_type": ..., "opt_level": ...}``."""
    return {"name": name, **asdict(get_preset(name))}


def optimize_graph(
    src: str | Path,
    dst: str | Path,
    num_heads: int,
    hidden_size: int,
    preset: str = DEFAULT_PRESET,
    fp16: bool = False,
) -> dict[str, int]:
    """Fuse a raw BERT export and save it; return ``get_fused_operator_statistics()``.

    Args:
        src: raw ``torch.onnx.export`` graph (eager attention, TorchScript exporter).
        dst: where to write the optimised graph.
        num_heads, hidden_size: the encoder's shape (the fusions need them for the Attention node).
        preset: a name in :data:`PRESETS`.
        fp16: also convert weights to float16, keeping float32 inputs/outputs.

    Returns:
        ``{"Attention": 2, "SkipLayerNormalization": 4, ...}``; only non-zero counts are kept.
    """
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    p = get_preset(preset)
    options = FusionOptions(p.model_type)
    options.enable_gelu_approximation = p.gelu_approximation
    options.enable_skip_layer_norm = p.skip_layer_norm
    model = optimize_model(
        str(src),
        model_type=p.model_type,
        num_heads=num_heads,
        hidden_size=hidden_size,
        optimization_options=options,
        opt_level=p.opt_level,
    )
    stats = {k: int(v) for k, v in model.get_fused_operator_statistics().items() if v}
    if fp16:
        model.convert_float_to_float16(keep_io_types=True)
    model.save_model_to_file(str(dst), use_external_data_format=False)
    return stats


def missing_fusions(stats: dict[str, int], num_layers: int, preset: str = DEFAULT_PRESET) -> list[str]:
    """Which fusions ``preset`` should have produced but did not: a silent loss costs 2-3x in speed.

    Example:
        >>> missing_fusions({"Attention": 2, "LayerNormalization": 4, "BiasGelu": 2}, 2)
        []
        >>> missing_fusions({"SkipLayerNormalization": 4}, 2)
        ['Attention|MultiHeadAttention (expected 2, got 0)', 'Gelu|BiasGelu|FastGelu']
        >>> missing_fusions({"Attention": 2, "LayerNormalization": 4, "BiasGelu": 2}, 2, "bert-fused.v1")
        ['SkipLayerNormalization (expected 4, got 0)']
    """
    out = []
    attn = sum(stats.get(k, 0) for k in REQUIRED_FUSIONS[0])
    if attn != num_layers:
        out.append(f"{'|'.join(REQUIRED_FUSIONS[0])} (expected {num_layers}, got {attn})")
    for group in REQUIRED_FUSIONS[1:]:
        if not any(stats.get(k, 0) for k in group):
            out.append("|".join(group))
    skip = stats.get("SkipLayerNormalization", 0)
    if get_preset(preset).skip_layer_norm and skip != 2 * num_layers:
        out.append(f"SkipLayerNormalization (expected {2 * num_layers}, got {skip})")
    return out


def op_histogram(path: str | Path) -> dict[str, int]:
    """Count node op types of an ONNX file (``{"MatMulInteger": 12, ...}``)."""
    import onnx

    counts: dict[str, int] = {}
    for node in onnx.load(str(path), load_external_data=False).graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return dict(sorted(counts.items()))
