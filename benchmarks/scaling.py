"""Scaling: throughput against note length (must stay flat: linear time), threads, and peak memory.

Example:
    >>> rows = length_scaling(deid, [1_000, 100_000])      # doctest: +SKIP
    >>> [r["chars"] for r in rows]                         # doctest: +SKIP
    [1000, 100000]
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from engine.benchmarks.corpus import long_note


def length_scaling(deid: Any, lengths: Sequence[int], repeats: int = 1) -> dict[str, Any]:
    """chars/s of one note of each length; ``linearity`` = chars/s of the longest note / of the 10k note.

    A linear-time engine keeps chars/s flat as notes grow (window count grows linearly, nothing
    quadratic): ``linearity`` well below 1 means a super-linear cost; above 1 means fixed per-call
    costs are amortised over more windows (batches fill up), which is fine.
    """
    list(deid.detect_many([long_note(2_000, seed=99)], redact=True))  # warm-up
    rows = []
    for n in lengths:
        text = long_note(n, seed=n)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            list(deid.detect_many([text], redact=True))
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        rows.append({"chars": n, "seconds": round(med, 4), "chars_per_s": round(n / med, 1)})
    big = [r for r in rows if r["chars"] >= 10_000] or rows
    ratio = big[-1]["chars_per_s"] / big[0]["chars_per_s"] if big else None
    return {
        "rows": rows,
        "linearity": None if ratio is None else round(ratio, 3),
        "linearity_def": f"chars/s at {big[-1]['chars']} / at {big[0]['chars']} chars" if big else "",
    }


def thread_scaling(make_engine: Any, texts: Sequence[str], threads: Sequence[int]) -> list[dict[str, Any]]:
    """Engine notes/s with each onnxruntime intra-op thread count (one warm pass, one timed pass)."""
    rows = []
    for t in threads:
        deid = make_engine(t)
        list(deid.detect_many(list(texts[:4]), redact=True))
        t0 = time.perf_counter()
        list(deid.detect_many(list(texts), redact=True))
        sec = time.perf_counter() - t0
        rows.append(
            {
                "threads": t,
                "seconds": round(sec, 4),
                "notes_per_s": round(len(texts) / sec, 3),
                "chars_per_s": round(sum(map(len, texts)) / sec, 1),
            }
        )
        del deid
    return rows


_RSS_SCRIPT = """
import json, resource, sys, time


def hwm_kib():
    # subtle: ru_maxrss survives fork+exec on Linux (the child would report the parent's peak);
    # VmHWM belongs to this process image only.
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


from engine.benchmarks.corpus import long_note
from engine.benchmarks.e2e import build_engine

model_dir, threads, chars = json.loads(sys.argv[1])
before = hwm_kib()
deid, note = build_engine(model_dir, threads)
loaded = hwm_kib()
text = long_note(chars, seed=1)
t0 = time.perf_counter()
r = next(iter(deid.detect_many([text], redact=True)))
sec = time.perf_counter() - t0
peak = hwm_kib()
print(json.dumps({"rss_mib_after_import": round(before / 1024, 1),
                  "rss_mib_after_load": round(loaded / 1024, 1),
                  "peak_rss_mib": round(peak / 1024, 1), "chars": chars, "seconds": round(sec, 3),
                  "spans": len(r.spans), "engine": note}))
"""


def peak_memory(model_dir: str | None, threads: int, chars: int, timeout: float = 300) -> dict[str, Any]:
    """Peak RSS of a fresh process that loads the engine and redacts one ``chars``-long note.

    A subprocess keeps torch (loaded by other sections) out of the number.
    """
    try:
        out = subprocess.run(
            [sys.executable, "-c", _RSS_SCRIPT, json.dumps([model_dir, threads, chars])],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, OSError, ValueError, IndexError) as e:
        err = getattr(e, "stderr", "") or ""
        return {"skipped": f"{type(e).__name__}: {e} {err[-300:]}"}


def own_peak_rss_mib() -> float:
    """Peak RSS of this benchmark process so far (includes torch when the baseline ran)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
