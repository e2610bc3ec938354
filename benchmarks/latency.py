"""Single-note latency percentiles by note length, after warm-up.

Each note is sent alone (``detect_many([note], redact=True)``), the way an interactive caller would.

Example:
    >>> lat = bench_latency(deid, notes, warmup=3)          # doctest: +SKIP
    >>> lat["buckets"]["1-4k"]["p50_ms"] > 0                 # doctest: +SKIP
    True
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.benchmarks.corpus import BUCKETS, bucket_of


def percentiles(ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max of a list of milliseconds (linear interpolation).

    Example:
        >>> percentiles([1.0, 2.0, 3.0, 4.0])["p50_ms"]
        2.5
    """
    a = np.asarray(ms, dtype=np.float64)
    p50, p95, p99 = np.percentile(a, [50, 95, 99])
    return {
        "n": int(a.size),
        "p50_ms": round(float(p50), 3),
        "p95_ms": round(float(p95), 3),
        "p99_ms": round(float(p99), 3),
        "mean_ms": round(float(a.mean()), 3),
        "max_ms": round(float(a.max()), 3),
    }


def bench_latency(
    deid: Any, notes: Sequence[dict[str, Any]], warmup: int = 3, repeats: int = 1
) -> dict[str, Any]:
    """Latency of each note alone, ``repeats`` times, grouped by length bucket."""
    for n in notes[:warmup]:
        list(deid.detect_many([n["text"]], redact=True))
    per_bucket: dict[str, list[float]] = {b[0]: [] for b in BUCKETS}
    all_ms: list[float] = []
    for _ in range(repeats):
        for n in notes:
            t0 = time.perf_counter()
            list(deid.detect_many([n["text"]], redact=True))
            ms = 1000 * (time.perf_counter() - t0)
            per_bucket[bucket_of(len(n["text"]))].append(ms)
            all_ms.append(ms)
    return {
        "warmup_notes": warmup,
        "repeats": repeats,
        "all": percentiles(all_ms),
        "buckets": {k: percentiles(v) for k, v in per_bucket.items() if v},
    }
