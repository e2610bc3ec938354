"""The baseline: a transformers token-classification pipeline on the same notes and weights.

``pipeline("token-classification", aggregation_strategy="simple")`` with the checkpoint's window
length as ``model_max_length`` and the engine's stride, so long notes are chunked rather than
silently truncated (stride needs a fast tokenizer, which BERT checkpoints have). It runs in PyTorch
fp32 with ``batch_size`` windows per forward, the strongest plain-transformers setup.

Example:
    >>> cmp = compare_baseline("runs/default/final", deid, texts, 2, 256, 64)  # doctest: +SKIP
    >>> cmp["speedup"] > 0                                                       # doctest: +SKIP
    True
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any


def make_pipeline(checkpoint: str, threads: int, max_length: int, stride: int) -> tuple[Any, str]:
    """The HF token-classification pipeline (warmed up) and a note on how it treats long inputs."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    torch.set_num_threads(threads)
    tok = AutoTokenizer.from_pretrained(checkpoint, model_max_length=max_length)
    model = AutoModelForTokenClassification.from_pretrained(checkpoint).eval()
    mode = f"stride={stride}, model_max_length={max_length} (long notes chunked, not truncated)"
    warm = "Seen by Dr. Foley on 7/22 at Calvert Hospital. " * 40
    try:
        pipe = pipeline(
            "token-classification",
            model=model,
            tokenizer=tok,
            aggregation_strategy="simple",
            stride=stride,
            device=-1,
        )
        pipe(warm)
    except Exception as e:  # noqa: BLE001 - older transformers: no stride, so it truncates
        mode = f"no stride support ({type(e).__name__}); inputs TRUNCATED to {max_length} tokens"
        pipe = pipeline(
            "token-classification", model=model, tokenizer=tok, aggregation_strategy="simple", device=-1
        )
        pipe(warm)
    return pipe, mode


def compare_baseline(
    checkpoint: str,
    deid: Any,
    texts: Sequence[str],
    threads: int,
    max_length: int,
    stride: int,
    passes: int = 1,
    batch_size: int = 8,
) -> dict[str, Any]:
    """Pipeline and engine on the same notes, interleaved; ``speedup`` = median per-pass time ratio."""
    pipe, mode = make_pipeline(checkpoint, threads, max_length, stride)
    list(deid.detect_many(list(texts[:2]), redact=True))
    pipe_t, eng_t, entities = [], [], 0
    for _ in range(passes):
        t0 = time.perf_counter()
        out = pipe(list(texts), batch_size=batch_size)
        pipe_t.append(time.perf_counter() - t0)
        entities = sum(len(o) for o in out)
        t0 = time.perf_counter()
        list(deid.detect_many(list(texts), redact=True))
        eng_t.append(time.perf_counter() - t0)
    chars = sum(len(t) for t in texts)

    def summary(times: list[float]) -> dict[str, Any]:
        med = statistics.median(times)
        return {
            "notes": len(texts),
            "chars": chars,
            "seconds": round(med, 4),
            "seconds_all": [round(t, 4) for t in times],
            "notes_per_s": round(len(texts) / med, 3),
            "chars_per_s": round(chars / med, 1),
        }

    pipeline_row = {
        **summary(pipe_t),
        "entities": entities,
        "batch_size": batch_size,
        "mode": mode,
        "framework": "transformers pipeline, PyTorch fp32 CPU",
    }
    speedup = statistics.median(p / e for p, e in zip(pipe_t, eng_t, strict=True))
    return {"pipeline": pipeline_row, "engine": summary(eng_t), "speedup": round(speedup, 2)}
