"""The baseline: a transformers token-classification pipeline on the same notes and weights.

``pipeline("token-classification", aggregation_strategy="simple")`` with the checkpoint's window
length as ``model_max_length`` and the engine's stride, so long notes are chunked rather than
silently truncated (stride needs a fast tokenizer, which BERT checkpoints have). It runs in PyTorch
fp32 with ``batch_size`` windows per forward, the strongest plain-transformers setup.

Example:
    >>> base = bench_pipeline("runs/default/final", texts, 2, 256, 64)  # doctest: +SKIP
    >>> base["notes_per_s"] > 0                                         # doctest: +SKIP
    True
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any


def bench_pipeline(
    checkpoint: str, texts: Sequence[str], threads: int, max_length: int, stride: int, batch_size: int = 8
) -> dict[str, Any]:
    """notes/s and chars/s of the HF pipeline on ``texts`` (one warm-up note, one timed pass)."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    torch.set_num_threads(threads)
    tok = AutoTokenizer.from_pretrained(checkpoint, model_max_length=max_length)
    model = AutoModelForTokenClassification.from_pretrained(checkpoint).eval()
    mode = f"stride={stride}, model_max_length={max_length} (long notes chunked, not truncated)"
    try:
        pipe = pipeline(
            "token-classification",
            model=model,
            tokenizer=tok,
            aggregation_strategy="simple",
            stride=stride,
            device=-1,
        )
        pipe(texts[0])
    except Exception as e:  # noqa: BLE001 - older transformers: no stride, so it truncates
        mode = f"no stride support ({type(e).__name__}); inputs TRUNCATED to {max_length} tokens"
        pipe = pipeline(
            "token-classification", model=model, tokenizer=tok, aggregation_strategy="simple", device=-1
        )
        pipe(texts[0])
    t0 = time.perf_counter()
    out = pipe(list(texts), batch_size=batch_size)
    sec = time.perf_counter() - t0
    entities = sum(len(o) for o in out)
    chars = sum(len(t) for t in texts)
    return {
        "notes": len(texts),
        "chars": chars,
        "seconds": round(sec, 4),
        "notes_per_s": round(len(texts) / sec, 3),
        "chars_per_s": round(chars / sec, 1),
        "entities": entities,
        "batch_size": batch_size,
        "mode": mode,
        "framework": "transformers pipeline, PyTorch fp32 CPU",
    }


def bench_engine_same(deid: Any, texts: Sequence[str]) -> dict[str, Any]:
    """The engine on exactly the baseline's notes (warm, one timed pass)."""
    list(deid.detect_many(list(texts[:2]), redact=True))
    t0 = time.perf_counter()
    list(deid.detect_many(list(texts), redact=True))
    sec = time.perf_counter() - t0
    return {"notes": len(texts), "seconds": round(sec, 4), "notes_per_s": round(len(texts) / sec, 3)}
