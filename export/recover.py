"""Recover a trainable Hugging Face checkpoint from an int8 artifact's graph (dequantised weights).

The shipped artifact carries only the int8 ONNX graph; to fine-tune it further (for instance on a
site's own annotated notes) one needs a PyTorch checkpoint. Every weight of the fused graph is there,
quantised: the embeddings and their layer norm in ``QEmbedLayerNormalization`` (uint8, one scale
each), the query/key/value projections concatenated in each ``QAttention`` (int8, one scale per
output column), the other dense layers in ``MatMulInteger`` / ``MatMulIntegerToFloat`` nodes, and the
biases and layer norms in float. Dequantising them gives a BertForTokenClassification whose logits
follow the artifact's to about 1e-2 (int8 rounding of weights, not of activations); fine-tuning
starts from there.

Example:
    $ python -m engine.export.recover --model engine/default_model --out runs/recovered
    $ deid train --config training/configs/default.toml --set model.base=runs/recovered ...
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

_LAYER = re.compile(r"/inner/bert/encoder/layer\.(\d+)/(attention/output|intermediate|output)/dense/MatMul")


def _dequant(inits: dict[str, np.ndarray], base: str) -> np.ndarray:
    """``(q - zero_point) * scale`` of the initializer ``base + '_quantized'`` (per tensor or column)."""
    q = inits[base + "_quantized"].astype(np.float32)
    scale = inits[base + "_scale"].astype(np.float32)
    zp = inits[base + "_zero_point"].astype(np.float32)
    return (q - zp) * scale


def _bias(
    node: Any, inits: dict[str, np.ndarray], consumers: dict[str, list[Any]], hf_name: str
) -> np.ndarray:
    """A dense layer's bias: fused into MatMulIntegerToFloat, or added by the next Add or BiasGelu."""
    if node.op_type == "MatMulIntegerToFloat" and len(node.input) > 6 and node.input[6]:
        return inits[node.input[6]]
    out = node.output[0]
    for _ in range(3):  # MatMulInteger -> Cast -> Mul -> Add
        nxt = consumers.get(out, [])
        if len(nxt) != 1:
            break
        n = nxt[0]
        consts = [i for i in n.input if i in inits and inits[i].ndim == 1 and i != out]
        if n.op_type in ("Add", "BiasGelu") and consts:
            return inits[consts[0]]
        out = n.output[0]
    if hf_name in inits:
        return inits[hf_name]
    raise ValueError(f"no bias found for {node.name!r}")


def recover_state_dict(model_path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """The HF state dict (numpy, HF names and layouts) and the shape facts of an int8 graph."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(model_path))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    for node in model.graph.node:  # constants the exporter emitted as Constant nodes
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            inits[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        elif node.op_type == "DequantizeLinear" and all(i in inits for i in node.input if i):
            x, scale = inits[node.input[0]].astype(np.float32), inits[node.input[1]].astype(np.float32)
            zp = inits[node.input[2]].astype(np.float32) if len(node.input) > 2 and node.input[2] else 0.0
            inits[node.output[0]] = (x - zp) * scale
    consumers: dict[str, list[Any]] = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    sd: dict[str, np.ndarray] = {}
    emb = "inner.bert.embeddings."
    for name in ("word_embeddings.weight", "position_embeddings.weight", "token_type_embeddings.weight"):
        sd["bert.embeddings." + name] = _dequant(inits, emb + name)
    for name in ("LayerNorm.weight", "LayerNorm.bias"):
        key = emb + name
        sd["bert.embeddings." + name] = _dequant(inits, key) if key + "_quantized" in inits else inits[key]
    hidden = sd["bert.embeddings.word_embeddings.weight"].shape[1]
    n_layers = 0
    for node in model.graph.node:
        if node.op_type == "QAttention":
            layer = int(node.name.split("_")[1])
            n_layers = max(n_layers, layer + 1)
            w = (inits[node.input[1]].astype(np.float32) - inits[node.input[7]].astype(np.float32)) * inits[
                node.input[4]
            ].astype(np.float32)
            b = inits[node.input[2]]
            for k, part in enumerate(("query", "key", "value")):
                cols = slice(k * hidden, (k + 1) * hidden)
                sd[f"bert.encoder.layer.{layer}.attention.self.{part}.weight"] = w[:, cols].T.copy()
                sd[f"bert.encoder.layer.{layer}.attention.self.{part}.bias"] = b[cols].copy()
        elif node.op_type in ("MatMulInteger", "MatMulIntegerToFloat"):
            weight = node.input[1].removesuffix("_quantized")
            w = _dequant(inits, weight)
            m = _LAYER.match(node.name)
            if m:
                prefix = f"bert.encoder.layer.{m.group(1)}.{m.group(2).replace('/', '.')}.dense"
                hf_bias = f"inner.{prefix}.bias"
            elif node.name.startswith("/inner/classifier/"):
                prefix, hf_bias = "classifier", "inner.classifier.bias"
            else:
                raise ValueError(f"unexpected int8 MatMul {node.name!r}")
            sd[prefix + ".weight"] = w.T.copy()
            sd[prefix + ".bias"] = _bias(node, inits, consumers, hf_bias)
    ln = re.compile(r"/inner/bert/encoder/layer\.(\d+)/(attention/output|output)/LayerNorm/")
    for node in model.graph.node:
        m = ln.match(node.name)
        if node.op_type == "LayerNormalization" and m:
            prefix = f"bert.encoder.layer.{m.group(1)}.{m.group(2).replace('/', '.')}.LayerNorm"
            sd[prefix + ".weight"], sd[prefix + ".bias"] = inits[node.input[1]], inits[node.input[2]]
    facts = {
        "hidden_size": hidden,
        "num_hidden_layers": n_layers,
        "intermediate_size": sd["bert.encoder.layer.0.intermediate.dense.weight"].shape[0],
        "vocab_size": sd["bert.embeddings.word_embeddings.weight"].shape[0],
        "max_position_embeddings": sd["bert.embeddings.position_embeddings.weight"].shape[0],
        "type_vocab_size": sd["bert.embeddings.token_type_embeddings.weight"].shape[0],
        "num_labels": sd["classifier.weight"].shape[0],
    }
    return sd, facts


def recover_checkpoint(artifact_dir: str | Path | None, out: str | Path, num_heads: int = 12) -> Path:
    """Write a BertForTokenClassification checkpoint (config, safetensors, tokenizer) to ``out``."""
    import torch
    from transformers import BertConfig, BertForTokenClassification

    from engine.artifacts import load_artifacts

    art = load_artifacts(artifact_dir)
    sd, facts = recover_state_dict(art.model_path)
    labels = art.labels
    config = BertConfig(
        **facts,
        num_attention_heads=num_heads,
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    model = BertForTokenClassification(config)
    missing, unexpected = model.load_state_dict(
        {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()}, strict=False
    )
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(
            f"recovered weights do not fit BERT: missing {missing[:5]}, unexpected {unexpected[:5]}"
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    shutil.copy(art.root / "tokenizer.json", out / "tokenizer.json")
    (out / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "BertTokenizerFast", "do_lower_case": True, "model_max_length": 512})
    )
    (out / "recovered_from.json").write_text(
        json.dumps(
            {"artifact": str(art.root), "model_sha256": art.model_sha256, "method": "dequantised int8"}
        )
    )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m engine.export.recover --model DIR --out DIR``."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m engine.export.recover", description=__doc__.split("\n")[0])
    p.add_argument("--model", default=None, help="int8 artifact directory (default: the embedded model)")
    p.add_argument("--out", required=True, help="checkpoint directory to write")
    args = p.parse_args(argv)
    print(recover_checkpoint(args.model, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["recover_checkpoint", "recover_state_dict", "Any"]
