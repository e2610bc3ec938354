"""Run every benchmark section and write ``report.json``, ``report.md`` and the plots.

Sections: machine record and load, corpus, model level, end to end (with stage breakdown, cProfile
and raw-model efficiency), baseline, latency, scaling, accuracy. A section that fails records its
error and the others still run; :func:`run_suite` then reports the failure in ``errors``.

Example:
    >>> rep = run_suite(BenchSettings(quick=True, out=Path("runs/bench")))   # doctest: +SKIP
    >>> sorted(rep["targets"])[:1]                                           # doctest: +SKIP
    ['baseline_speedup']
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "deid-bench.v1"
DEFAULT_CACHE = Path.home() / ".cache" / "deid" / "bench-variants"
SECTIONS = ("model_level", "end_to_end", "baseline", "latency", "scaling", "accuracy")
#: Issue targets: (key, description, threshold, comparison).
TARGETS = {
    "e2e_vs_raw_model_pct": ("engine e2e tokens/s as % of raw model tokens/s", 85.0, ">="),
    "hybrid_cost_pct": ("all layers slower than model only by (%)", 15.0, "<="),
    "baseline_speedup": (
        "engine notes/s / transformers pipeline notes/s (pipeline as called: batch 1)", 3.0, ">="
    ),
    "baseline_speedup_batch8": (
        "engine notes/s / transformers pipeline notes/s (tuned: batch 8)", None, None
    ),
}


@dataclass
class BenchSettings:
    """What to run; ``quick`` picks the small grid (under two minutes on 2 cores)."""

    out: Path = Path("runs/bench")
    quick: bool = False
    model: str | None = None
    checkpoint: str | None = None
    dev: str | None = None
    threads: tuple[int, ...] = (1, 2)
    workers: tuple[int, ...] = (1, 2)
    device: str = "cpu"
    seed: int = 0
    cache_dir: Path | None = None
    sizes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        q = self.quick
        gpu = self.device == "cuda" and not q
        defaults = {
            # a GPU pass over 200 notes is too short to time, and chunks of 8 notes (about 29 windows)
            # would leave each 64-window call half empty
            "notes": 2000 if gpu else (16 if q else 200),
            "process_chunk_docs": 64 if gpu else 8,
            "batches": (1, 8) if q else (1, 4, 8, 32),
            "seq_lens": (128, 256) if q else (128, 256, 512),
            "repeats": 3 if q else 5,
            "min_seconds": 0.0 if q else 1.0,
            "e2e_passes": 2 if q else 3,
            "latency_notes": 16 if q else 200,
            "latency_repeats": 1 if q else 2,
            "lengths": (1_000, 10_000, 50_000) if q else (1_000, 10_000, 100_000, 1_000_000),
            "memory_chars": 50_000 if q else 1_000_000,
            "baseline_notes": 6 if q else 100,
            "baseline_passes": 1 if q else 3,
            "thread_notes": 8 if q else 60,
            "profile_top": 15 if q else 25,
            "dev_limit": 30 if q else None,
        }
        self.sizes = {**defaults, **self.sizes}


def _home_relative(path: str | None) -> str | None:
    """``~/.cache/...`` for a path under the home folder: a report names no machine's absolute paths."""
    if not path:
        return path
    try:
        return "~/" + Path(path).resolve().relative_to(Path.home().resolve()).as_posix()
    except ValueError:
        return path


def _section(report: dict[str, Any], name: str, fn: Any) -> None:
    t0 = time.perf_counter()
    try:
        report[name] = fn()
    except Exception as e:  # noqa: BLE001 - one broken section must not hide the others
        report[name] = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()[-2000:]}
        report["errors"].append(name)
        sys.stderr.write(f"bench: section {name} failed: {type(e).__name__}: {e}\n")
    report.setdefault("section_seconds", {})[name] = round(time.perf_counter() - t0, 2)
    sys.stderr.write(f"bench: {name} done in {report['section_seconds'][name]:.1f}s\n")


def run_suite(s: BenchSettings) -> dict[str, Any]:
    """Run all sections and write the report files into ``s.out``; returns the report dict."""
    import numpy as np

    from engine.artifacts import load_artifacts
    from engine.benchmarks import baseline, corpus, e2e, latency, machine, model_bench, scaling

    t_start, cpu_start = time.perf_counter(), time.process_time()
    art = load_artifacts(s.model)  # fail fast on a bad artifact, before any measurement
    s.out.mkdir(parents=True, exist_ok=True)
    threads = max(s.threads)
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "quick": s.quick,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in s.sizes.items()},
        "threads": threads,
        "errors": [],
    }
    report["load"] = {"before": machine.load_snapshot()}
    report["machine"] = machine.machine_record()
    model_dir = str(art.root) if s.model is not None else None
    report["model"] = {
        "artifact": str(art.root),
        "sha256": art.model_sha256,
        "precision": art.precision,
        "max_length": art.max_length,
        "stride": art.stride,
        "labels": len(art.labels),
        "checkpoint": s.checkpoint,
    }
    notes = corpus.make_corpus(s.sizes["notes"], s.seed)
    texts = [n["text"] for n in notes]
    report["corpus"] = corpus.corpus_summary(notes)

    deid, engine_note = e2e.build_engine(model_dir, threads, "all", art, s.device)
    # a cache shared by all --out dirs: the export of the variants is the slowest part of a first run
    cache = s.cache_dir or DEFAULT_CACHE

    def model_level() -> dict[str, Any]:
        variants, vnotes = model_bench.discover_variants(
            art.root,
            art.precision,
            Path(s.checkpoint) if s.checkpoint else None,
            cache,
            report["machine"]["gpu"],
        )
        stream = np.concatenate([e.ids for e in art.tokenizer.encode_batch(texts[:20])])
        rows = model_bench.bench_grid(
            variants,
            stream,
            art.tokenizer.cls_id,
            art.tokenizer.sep_id,
            s.sizes["batches"],
            s.sizes["seq_lens"],
            threads,
            repeats=s.sizes["repeats"],
            min_seconds=s.sizes["min_seconds"],
        )
        return {
            "rows": rows,
            "notes": vnotes,
            "variants": [{**v.__dict__, "path": _home_relative(v.path)} for v in variants],
            "token_counting": "rows are real token windows of exactly seq_len (CLS+content+SEP), no padding",
        }

    def end_to_end() -> dict[str, Any]:
        mo, _ = e2e.build_engine(model_dir, threads, "model", art, s.device)
        res: dict[str, Any] = {"engine_layers": engine_note, "device": s.device}
        res.update(e2e.compare_interleaved(deid, mo, texts, s.sizes["e2e_passes"]))
        res["processes"] = e2e.bench_processes(
            model_dir,
            texts,
            s.workers,
            threads,
            s.device,
            res["raw_model"],
            s.sizes["e2e_passes"],
            chunk_docs=s.sizes["process_chunk_docs"],
        )
        res["profile"] = e2e.profile_engine(deid, texts, s.sizes["profile_top"])
        return res

    def base() -> dict[str, Any]:
        if not s.checkpoint:
            return {"skipped": "no --checkpoint: the transformers pipeline baseline needs the HF weights"}
        sub = texts[: s.sizes["baseline_notes"]]
        return baseline.compare_baseline(
            s.checkpoint, deid, sub, threads, art.max_length, art.stride, s.sizes["baseline_passes"]
        )

    def lat() -> dict[str, Any]:
        return latency.bench_latency(
            deid, notes[: s.sizes["latency_notes"]], repeats=s.sizes["latency_repeats"]
        )

    def scale() -> dict[str, Any]:
        return {
            "length": scaling.length_scaling(deid, s.sizes["lengths"]),
            "threads": scaling.thread_scaling(
                lambda t: e2e.build_engine(model_dir, t, "all", art)[0],
                texts[: s.sizes["thread_notes"]],
                sorted(set(s.threads)),
            ),
            "memory": scaling.peak_memory(model_dir, threads, s.sizes["memory_chars"]),
            "bench_process_peak_rss_mib": scaling.own_peak_rss_mib(),
        }

    def acc() -> dict[str, Any]:
        if not s.dev:
            return {"skipped": "no --dev corpus given"}
        return e2e.accuracy(deid, s.dev, s.sizes["dev_limit"])

    for name, fn in zip(SECTIONS, (model_level, end_to_end, base, lat, scale, acc), strict=True):
        _section(report, name, fn)
    report["load"]["after"] = machine.load_snapshot()
    report["noisy"] = bool(report["load"]["before"]["busy"] or report["load"]["after"]["busy"])
    report["targets"] = targets(report)
    report["duration_s"] = round(time.perf_counter() - t_start, 1)
    # CPU seconds of this process: less sensitive to other load than wall time (children excluded)
    report["process_cpu_s"] = round(time.process_time() - cpu_start, 1)
    write_report(report, s.out)
    return report


def targets(report: dict[str, Any]) -> dict[str, Any]:
    """The issue's acceptance numbers with their thresholds (``met`` is None when not measured)."""
    e = report.get("end_to_end", {})
    values = {
        "e2e_vs_raw_model_pct": e.get("efficiency_pct"),
        "hybrid_cost_pct": e.get("hybrid_cost_pct"),
        "baseline_speedup": report.get("baseline", {}).get("speedup"),
        "baseline_speedup_batch8": report.get("baseline", {}).get("speedup_by_batch", {}).get("8"),
    }
    out = {}
    for key, (desc, thr, op) in TARGETS.items():
        v = values[key]
        if thr is None:  # reported beside a target, not a target itself
            out[key] = {"description": desc, "value": v, "target": "(reported)", "met": None}
            continue
        met = None if v is None else (v >= thr if op == ">=" else v <= thr)
        out[key] = {"description": desc, "value": v, "target": f"{op} {thr}", "met": met}
    return out


def write_report(report: dict[str, Any], out: Path) -> None:
    """Write plots, then ``report.json`` and ``report.md`` (the file list is recorded in both)."""
    from engine.benchmarks.plots import write_plots

    try:
        report["plots"] = [p.name for p in write_plots(report, out)]
    except Exception as e:  # noqa: BLE001 - a plotting failure must not lose the numbers
        report["plots"] = []
        report["errors"].append(f"plots: {type(e).__name__}: {e}")
    (out / "report.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    from engine.benchmarks.markdown import render

    (out / "report.md").write_text(render(report))
