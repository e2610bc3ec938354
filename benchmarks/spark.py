"""Spark throughput: rows/s against partitions and executor cores (local mode), and Spark's overhead.

The same notes go through the single-process engine (``Deidentifier.detect_many`` with 1 and 2
onnxruntime threads, right before and right after each Spark session) and through
:func:`engine.spark.detect` in ``local[1]`` and ``local[2]`` sessions at several partition counts.
Each Spark number is a warm job (Python workers started, the engine cached in them) written to
Spark's ``noop`` sink, so it measures the engine plus Spark's plan (shuffle on ``group``, sort,
Arrow transfer), not the output storage. The first job of each session (worker start and model
load) is reported on its own.

Writes ``benchmarks/results/spark/spark.json`` and ``spark.md`` with the machine record and the
load seen before and after (a busy machine makes every number slower).

Example:
    $ python -m engine.benchmarks.spark --notes 2000 --chars 160
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from engine.benchmarks.corpus import make_corpus
from engine.benchmarks.machine import load_snapshot, machine_record

OUT_DIR = Path(__file__).parent / "results" / "spark"


def short_notes(n: int, chars: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` notes cut to about ``chars`` characters (at a space), three per patient ``group``."""
    notes = []
    for i, note in enumerate(make_corpus(n, seed=seed, source="builtin")):
        text = note["text"]
        if len(text) > chars:
            cut = text.rfind(" ", 0, chars)
            text = text[: cut if cut > 0 else chars]
        notes.append({"id": note["id"], "text": text, "group": f"p{i // 3}"})
    return notes


def single_process(notes: list[dict[str, Any]], threads: int, repeats: int = 1) -> dict[str, Any]:
    """Rows/s of one warm :class:`Deidentifier` over ``notes`` (best of ``repeats``)."""
    from engine.config import EngineConfig
    from engine.pipeline import Deidentifier

    config = EngineConfig.from_overrides([f"runtime.threads={threads}"])
    deid = Deidentifier(config)
    list(deid.detect_many(notes[:20]))  # warm-up: first-call allocations
    s, n = float("inf"), 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        n = sum(1 for _ in deid.detect_many(notes))
        s = min(s, time.perf_counter() - t0)
    return {
        "engine": "single-process",
        "threads": threads,
        "rows": n,
        "seconds": round(s, 2),
        "rows_per_s": round(n / s, 1),
        "load1": _load1(),
    }


def _job(spark: Any, df: Any, partitions: int, repeats: int = 1) -> float:
    """Best wall time of ``repeats`` detect jobs over ``df`` into the noop sink."""
    from engine.spark import detect

    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        detect(df, partitions=partitions).write.format("noop").mode("overwrite").save()
        best = min(best, time.perf_counter() - t0)
    return best


def _load1() -> float:
    return round(os.getloadavg()[0], 2)


def spark_runs(
    notes: list[dict[str, Any]], cores: int, partitions: list[int], repeats: int = 1
) -> list[dict[str, Any]]:
    """One ``local[cores]`` session: the cold first job, then a warm job per partition count."""
    from pyspark.sql import SparkSession

    t0 = time.perf_counter()
    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("deid-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    start_s = time.perf_counter() - t0
    try:
        df = spark.createDataFrame(notes, "id string, text string, group string").repartition(cores).cache()
        df.count()
        n = len(notes)
        cold = _job(spark, df, cores)
        rows = [
            {
                "engine": "spark",
                "master": f"local[{cores}]",
                "partitions": cores,
                "job": "first (workers start, model loads)",
                "rows": n,
                "seconds": round(cold, 2),
                "rows_per_s": round(n / cold, 1),
                "session_start_s": round(start_s, 2),
                "load1": _load1(),
            }
        ]
        for p in partitions:
            s = _job(spark, df, p, repeats)
            rows.append(
                {
                    "engine": "spark",
                    "master": f"local[{cores}]",
                    "partitions": p,
                    "job": "warm",
                    "rows": n,
                    "seconds": round(s, 2),
                    "rows_per_s": round(n / s, 1),
                    "load1": _load1(),
                }
            )
        return rows
    finally:
        spark.stop()


def to_markdown(report: dict[str, Any]) -> str:
    """The human-readable table of ``report``."""
    m = report["machine"]
    lines = [
        "# Spark throughput (local mode)",
        "",
        f"Machine: {m['cpu'].get('model_name', '?')}, {m['cores']['usable']} usable cores, "
        f"{m['memory_gib']} GiB; "
        f"load average before {report['load_before']['loadavg']}, after {report['load_after']['loadavg']}"
        + (" (busy: other processes shared the CPU)" if report["load_before"]["busy"] else "")
        + ".",
        f"Notes: {report['notes']} rows of about {report['chars']} characters, 3 per patient group; "
        f"Spark jobs write to the noop sink; best of {report['repeats']} run(s) each.",
        "",
        "| engine | cores | partitions | job | rows/s | seconds | load (1 min) after |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report["runs"]:
        cores = r.get("threads") if r["engine"] == "single-process" else r["master"]
        lines.append(
            f"| {r['engine']} | {cores} | {r.get('partitions', '-')} | {r.get('job', 'warm')} "
            f"| {r['rows_per_s']} | {r['seconds']} | {r.get('load1', '-')} |"
        )
    lines += [
        "",
        "Spark overhead (best warm Spark job vs the best single-process run on as many cores):",
        "",
    ]
    for k, v in report["overhead"].items():
        lines.append(f"- {k}: {v}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the report; returns 0."""
    ap = argparse.ArgumentParser(prog="python -m engine.benchmarks.spark", description=__doc__.split("\n")[0])
    ap.add_argument("--notes", type=int, default=2000)
    ap.add_argument("--chars", type=int, default=160)
    ap.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--partitions", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--repeats", type=int, default=1, help="runs per measurement; the best is kept")
    ap.add_argument("--out", default=str(OUT_DIR))
    args = ap.parse_args(argv)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    notes = short_notes(args.notes, args.chars)
    before = load_snapshot()
    runs: list[dict[str, Any]] = []
    for c in args.cores:
        # subtle: on a shared machine the load drifts; the single-process engine runs right before
        # and right after each Spark session, so the overhead compares neighbours in time
        runs.append({**single_process(notes, c, args.repeats), "job": "warm, before the Spark session"})
        runs += spark_runs(notes, c, args.partitions, args.repeats)
        runs.append({**single_process(notes, c, args.repeats), "job": "warm, after the Spark session"})
    after = load_snapshot()
    overhead = {}
    for c in args.cores:
        single = max(
            (r for r in runs if r["engine"] == "single-process" and r["threads"] == c),
            key=lambda r: r["rows_per_s"],
        )
        best = max(
            (r for r in runs if r.get("master") == f"local[{c}]" and r["job"] == "warm"),
            key=lambda r: r["rows_per_s"],
        )
        overhead[f"local[{c}] vs {c} thread(s)"] = (
            f"{best['rows_per_s']} vs {single['rows_per_s']} rows/s "
            f"({best['partitions']} partitions): Spark takes "
            f"{best['seconds'] / single['seconds']:.2f}x the time"
        )
    report = {
        "notes": len(notes),
        "chars": args.chars,
        "repeats": args.repeats,
        "runs": runs,
        "overhead": overhead,
        "machine": machine_record(),
        "load_before": before,
        "load_after": after,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "spark.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (out / "spark.md").write_text(to_markdown(report), encoding="utf-8")
    sys.stdout.write(to_markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
