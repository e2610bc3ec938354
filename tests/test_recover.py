"""A trainable checkpoint recovered from an int8 artifact computes what the artifact computes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.tiny_model import TINY_CONFIG


def test_recovered_checkpoint_matches_the_artifact(
    tiny_artifact_int8: Path, tiny_checkpoint: Path, tmp_path: Path
) -> None:
    torch = pytest.importorskip("torch")
    from transformers import BertForTokenClassification

    from engine.artifacts import load_artifacts
    from engine.export.recover import recover_checkpoint, recover_state_dict

    out = recover_checkpoint(
        tiny_artifact_int8, tmp_path / "rec", num_heads=TINY_CONFIG["num_attention_heads"]
    )
    recovered = BertForTokenClassification.from_pretrained(out).eval()
    original = BertForTokenClassification.from_pretrained(tiny_checkpoint).eval()
    # every weight is the original's up to int8 rounding (one scale per tensor or per column)
    sd, _ = recover_state_dict(load_artifacts(tiny_artifact_int8).model_path)
    ref = original.state_dict()
    for name, value in sd.items():
        w = ref[name].numpy()
        assert value.shape == w.shape, name
        assert np.abs(value - w).max() <= np.abs(w).max() / 100 + 1e-6, name
    ids = torch.tensor([[101, 7592, 2088, 2003, 1037, 3231, 102]])
    with torch.no_grad():
        a = recovered(input_ids=ids).logits.numpy()
        b = original(input_ids=ids).logits.numpy()
    # int8 weight rounding only (a tiny random model amplifies it more than a trained one)
    assert np.abs(a - b).max() < 0.1 * max(1.0, float(np.abs(b).max()))
    assert (a.argmax(-1) == b.argmax(-1)).mean() >= 0.85
    assert (out / "tokenizer.json").is_file() and (out / "recovered_from.json").is_file()
