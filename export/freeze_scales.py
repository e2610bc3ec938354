"""Freeze the activation scales of a dynamically quantised int8 graph: batch-invariant int8.

``quantize_dynamic`` inserts a ``DynamicQuantizeLinear`` before every int8 MatMul and attention.
That operator computes one scale and zero point over the *whole* input tensor, i.e. over every
window in the model call: a note's logits then depend on which other notes share its batch, and so
can its spans (a name found at batch 1 and missed at batch 4). This module replaces each
``DynamicQuantizeLinear`` by a ``QuantizeLinear`` with a fixed scale and zero point calibrated once
(min/max of that activation over a calibration set of windows), so every window is quantised the
same way whatever else is in the call. The weights are untouched.

Example:
    >>> ranges = calibrate("model.onnx", windows, cls_id=101, sep_id=102)       # doctest: +SKIP
    >>> freeze("model.onnx", "model.static.onnx", ranges)                       # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: Name of the method, recorded in the manifest's quantisation entry.
METHOD = "frozen-activation-scales.v1"


def dynamic_nodes(model: Any) -> list[Any]:
    """The ``DynamicQuantizeLinear`` nodes of an onnx model, in graph order."""
    return [n for n in model.graph.node if n.op_type == "DynamicQuantizeLinear"]


def calibrate(
    model_path: str | Path,
    windows: Sequence[Sequence[int]],
    cls_id: int,
    sep_id: int,
    pad_id: int = 0,
    batch_size: int = 8,
) -> dict[str, tuple[float, float]]:
    """Min and max of every dynamically quantised activation over ``windows`` (content token ids).

    Padding positions are excluded from the ranges (they are masked out downstream), so the ranges
    describe real tokens only. Returns ``{activation name: (min, max)}``.
    """
    import onnx
    import onnxruntime as ort

    model = onnx.load(str(model_path))
    names = [n.input[0] for n in dynamic_nodes(model)]
    have = {o.name for o in model.graph.output}
    for name in names:
        if name not in have:
            model.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    inputs = {i.name for i in sess.get_inputs()}
    lo = {n: np.inf for n in names}
    hi = {n: -np.inf for n in names}
    order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
    for b in range(0, len(order), batch_size):
        rows = [windows[i] for i in order[b : b + batch_size]]
        width = max(len(r) for r in rows) + 2
        ids = np.full((len(rows), width), pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        for r, w in enumerate(rows):
            ids[r, 0], ids[r, 1 : len(w) + 1], ids[r, len(w) + 1] = cls_id, w, sep_id
            mask[r, : len(w) + 2] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        outs = sess.run(names, feeds)
        real = mask.astype(bool)
        for name, x in zip(names, outs, strict=True):
            vals = x[real] if x.shape[:2] == real.shape else x
            lo[name] = min(lo[name], float(vals.min()))
            hi[name] = max(hi[name], float(vals.max()))
    return {n: (lo[n], hi[n]) for n in names}


def scale_and_zero_point(lo: float, hi: float) -> tuple[float, int]:
    """uint8 asymmetric quantisation of ``[lo, hi]`` as ``DynamicQuantizeLinear`` computes it.

    The range always includes 0 so that 0 is exact. Example: ``scale_and_zero_point(-1.0, 3.0)``
    -> ``(0.0156862..., 64)``.
    """
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0 or 1.0
    zero_point = int(np.clip(round(-lo / scale), 0, 255))
    return float(scale), zero_point


def freeze(
    src: str | Path, dst: str | Path, ranges: dict[str, tuple[float, float]], margin: float = 0.0
) -> dict[str, Any]:
    """Write ``src`` to ``dst`` with every ``DynamicQuantizeLinear`` replaced by a fixed ``QuantizeLinear``.

    ``margin`` widens each calibrated range by that fraction on both sides (values beyond the range
    saturate). Returns the manifest entry (method, number of nodes frozen, margin).
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    nodes = list(graph.node)
    frozen = 0
    for i, node in enumerate(nodes):
        if node.op_type != "DynamicQuantizeLinear":
            continue
        x = node.input[0]
        if x not in ranges:
            raise KeyError(f"no calibrated range for activation {x!r}")
        lo, hi = ranges[x]
        width = hi - lo
        scale, zp = scale_and_zero_point(lo - margin * width, hi + margin * width)
        y, s_name, z_name = node.output
        graph.initializer.append(numpy_helper.from_array(np.array(scale, dtype=np.float32), s_name))
        graph.initializer.append(numpy_helper.from_array(np.array(zp, dtype=np.uint8), z_name))
        nodes[i] = helper.make_node(
            "QuantizeLinear", [x, s_name, z_name], [y], name=(node.name or y) + "_frozen"
        )
        frozen += 1
    nodes, fused = _fuse_matmul_integer(nodes, {i.name for i in graph.initializer})
    del graph.node[:]
    graph.node.extend(nodes)
    model.opset_import.extend(
        [helper.make_opsetid("com.microsoft", 1)]
        if not any(o.domain == "com.microsoft" for o in model.opset_import)
        else []
    )
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))
    return {"method": METHOD, "frozen_nodes": frozen, "fused_matmuls": fused, "margin": margin}


def _fuse_matmul_integer(nodes: list[Any], initializers: set[str]) -> tuple[list[Any], int]:
    """``MatMulInteger -> Cast -> Mul(a_scale * b_scale)`` becomes one ``MatMulIntegerToFloat``.

    onnxruntime fuses ``DynamicQuantizeLinear + MatMulInteger + Cast + Mul`` into its
    ``DynamicQuantizeMatMul`` kernel, but leaves the static chain as four unfused operators (about
    15% slower end to end); its ``MatMulIntegerToFloat`` kernel is the static counterpart.
    """
    from onnx import helper

    producer = {o: n for n in nodes for o in n.output}
    consumers: dict[str, list[Any]] = {}
    for n in nodes:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    drop: set[int] = set()
    replace: dict[int, Any] = {}
    for node in nodes:
        if node.op_type != "MatMulInteger":
            continue
        cast = consumers.get(node.output[0], [])
        if len(cast) != 1 or cast[0].op_type != "Cast":
            continue
        mul = consumers.get(cast[0].output[0], [])
        if len(mul) != 1 or mul[0].op_type != "Mul":
            continue
        scale_name = [i for i in mul[0].input if i != cast[0].output[0]][0]
        scales = producer.get(scale_name)
        if scales is None or scales.op_type != "Mul" or not all(i in initializers for i in scales.input):
            continue
        a, b = node.input[0], node.input[1]
        a_zp = node.input[2] if len(node.input) > 2 else ""
        b_zp = node.input[3] if len(node.input) > 3 else ""
        # which factor of the scale product belongs to A: the one named like A's quantised input
        s0, s1 = scales.input
        a_scale, b_scale = (s0, s1) if s0.startswith(a.removesuffix("_quantized")) else (s1, s0)
        inputs, output = [a, b, a_scale, b_scale, a_zp, b_zp], mul[0].output[0]
        add = consumers.get(output, [])
        if len(add) == 1 and add[0].op_type == "Add":
            bias = [i for i in add[0].input if i != output]
            if len(bias) == 1 and bias[0] in initializers:  # the layer's bias joins the kernel
                inputs.append(bias[0])
                output = add[0].output[0]
                drop.add(id(add[0]))
        fused = helper.make_node(
            "MatMulIntegerToFloat",
            inputs,
            [output],
            name=node.name + "_to_float",
            domain="com.microsoft",
        )
        replace[id(node)] = fused
        drop.update({id(cast[0]), id(mul[0])})
        if len(consumers.get(scale_name, [])) == 1:
            drop.add(id(scales))
    out = [replace.get(id(n), n) for n in nodes if id(n) not in drop]
    return out, len(replace)


def calibration_windows(
    tokenizer: Any, texts: Sequence[str], max_length: int, stride: int
) -> list[list[int]]:
    """Content-token windows of ``texts``, cut exactly as the engine cuts them."""
    from engine.text.windows import make_windows

    out: list[list[int]] = []
    for enc in tokenizer.encode_batch(list(texts)):
        out.extend(enc.ids[w.start : w.end] for w in make_windows(len(enc), max_length, stride))
    return out


def freeze_with_texts(
    src: str | Path,
    dst: str | Path,
    tokenizer: Any,
    texts: Sequence[str],
    max_length: int,
    stride: int,
    calibration_name: str = "",
) -> dict[str, Any]:
    """Calibrate on ``texts`` and write the frozen graph; returns the manifest entry."""
    windows = calibration_windows(tokenizer, texts, max_length, stride)
    if not windows:
        raise ValueError("no calibration windows: give at least one non-empty text")
    ranges = calibrate(src, windows, tokenizer.cls_id, tokenizer.sep_id, tokenizer.pad_id)
    entry = freeze(src, dst, ranges)
    entry["calibration"] = {"source": calibration_name, "texts": len(texts), "windows": len(windows)}
    return entry


def freeze_artifact(src_dir: str | Path, out_dir: str | Path, texts: Sequence[str], name: str) -> Path:
    """Copy an int8 artifact directory with its activation scales frozen; the manifest is updated.

    The new graph replaces ``model.onnx`` (hash and size in ``files``), and
    ``quantization.activation_scales`` records the method and the calibration set.
    """
    import json
    import shutil

    from engine.artifacts import MANIFEST, MODEL, file_sha256, load_artifacts

    art = load_artifacts(src_dir)
    if art.batch_invariant:
        raise ValueError(f"{src_dir} is not a dynamically quantised int8 artifact")
    out = Path(out_dir)
    if out.exists():
        raise FileExistsError(f"{out} exists")
    shutil.copytree(art.root, out)
    entry = freeze_with_texts(
        art.model_path, out / MODEL, art.tokenizer, texts, art.max_length, art.stride, name
    )
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["files"][MODEL] = {"sha256": file_sha256(out / MODEL), "bytes": (out / MODEL).stat().st_size}
    manifest.setdefault("quantization", {})["activation_scales"] = entry
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    load_artifacts(out)  # verify what was written
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m engine.export.freeze_scales --model DIR --calibration FILE.jsonl --out DIR``."""
    import argparse
    import json

    p = argparse.ArgumentParser(
        prog="python -m engine.export.freeze_scales", description=__doc__.split("\n")[0]
    )
    p.add_argument("--model", required=True, help="a dynamically quantised int8 artifact directory")
    p.add_argument("--calibration", required=True, help="JSONL of {'text': ...} records (e.g. deid synth)")
    p.add_argument("--limit", type=int, default=400, help="use the first N records (default 400)")
    p.add_argument("--out", required=True, help="new artifact directory (must not exist)")
    args = p.parse_args(argv)
    with open(args.calibration, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()][: args.limit]
    out = freeze_artifact(args.model, args.out, texts, Path(args.calibration).name)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
