"""The baseline: a transformers token-classification pipeline on the same notes and weights.

``pipeline("token-classification", aggregation_strategy="simple")`` with the checkpoint's window
length as ``model_max_length`` and the engine's stride, so long notes are chunked rather than
silently truncated (stride needs a fast tokenizer, which BERT checkpoints have). It runs in PyTorch
fp32, as called (no ``batch_size``: one window per forward) and with 8 windows per forward (the
strongest plain-transformers setup on a CPU); both ratios are reported.

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

from engine.benchmarks.model_bench import PASS_SETTLE_S, settle


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
    batch_sizes: Sequence[int] = (1, 8),
) -> dict[str, Any]:
    """Pipeline (once per batch size) and engine on the same notes, interleaved pass by pass.

    ``batch_sizes[0]`` is the pipeline as one calls it without a ``batch_size`` (1: one window per
    forward), the issue's baseline; the others are tuned runs. ``speedup`` (and ``speedup_by_batch``)
    are medians of per-pass time ratios.
    """
    pipe, mode = make_pipeline(checkpoint, threads, max_length, stride)
    list(deid.detect_many(list(texts[:2]), redact=True))
    pipe_t: dict[int, list[float]] = {b: [] for b in batch_sizes}
    eng_t: list[float] = []
    entities = 0
    for _ in range(passes):
        for b in batch_sizes:
            settle(PASS_SETTLE_S)
            t0 = time.perf_counter()
            out = pipe(list(texts), batch_size=b)
            pipe_t[b].append(time.perf_counter() - t0)
            entities = sum(len(o) for o in out)
        settle(PASS_SETTLE_S)
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

    rows = {
        b: {
            **summary(pipe_t[b]),
            "entities": entities,
            "batch_size": b,
            "mode": mode,
            "framework": "transformers pipeline, PyTorch fp32 CPU",
        }
        for b in batch_sizes
    }

    def ratio_of(b: int) -> float:
        return round(statistics.median(p / e for p, e in zip(pipe_t[b], eng_t, strict=True)), 2)

    ratio = {b: ratio_of(b) for b in batch_sizes}
    return {
        "pipeline": rows[batch_sizes[0]],
        "pipeline_by_batch": [rows[b] for b in batch_sizes],
        "engine": summary(eng_t),
        "speedup": ratio[batch_sizes[0]],
        "speedup_by_batch": {str(b): ratio[b] for b in batch_sizes},
    }
