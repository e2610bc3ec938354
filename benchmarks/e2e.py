"""End-to-end engine throughput, its per-stage breakdown, a cProfile top-N, and raw-model efficiency.

The engine is timed on the benchmark corpus with ``detect_many(..., redact=True)``. The *raw model*
is timed on the very windows the engine builds for that corpus (tokenize and window once, then time
``runner.run`` alone), so ``engine tokens/s / raw model tokens/s`` says how much the rest of the
pipeline costs. The same is done with the hybrid layer switched off to price it.

Example:
    >>> deid, note = build_engine(None, threads=2, layers="all")       # doctest: +SKIP
    >>> e2e = bench_engine(deid, [n["text"] for n in notes], passes=3)  # doctest: +SKIP
    >>> e2e["notes_per_s"] > 0                                          # doctest: +SKIP
    True
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.benchmarks.model_bench import PASS_SETTLE_S, settle

MODEL_ONLY = (
    "layers.templates=false",
    "layers.lists=false",
    "layers.extraction=false",
    "layers.propagation=false",
)


def engine_overrides(model_dir: str | None, threads: int, device: str = "cpu") -> list[str]:
    """``EngineConfig.from_overrides`` strings for an engine on ``model_dir`` (None: embedded model)."""
    return [f"model_dir={json.dumps(model_dir)}", f"runtime.threads={threads}", f"runtime.device={device}"]


def build_engine(
    model_dir: str | None, threads: int, layers: str = "all", artifacts: Any = None, device: str = "cpu"
) -> tuple[Any, str]:
    """A :class:`Deidentifier` with all layers (``all``) or the model alone (``model``).

    Returns the engine and a note; when the hybrid layer cannot be built (not installed yet), the
    all-layers engine falls back to model-only and the note says so.
    """
    from engine.config import EngineConfig
    from engine.errors import ConfigError
    from engine.pipeline import Deidentifier

    base = engine_overrides(model_dir, threads, device)
    if layers == "model":
        return Deidentifier(EngineConfig.from_overrides(base + list(MODEL_ONLY)), artifacts), "model only"
    try:
        return Deidentifier(EngineConfig.from_overrides(base), artifacts), "all layers"
    except ConfigError as e:
        cfg = EngineConfig.from_overrides(base + list(MODEL_ONLY))
        return Deidentifier(cfg, artifacts), f"hybrid layer unavailable, ran model only: {e}"[:300]


def engine_windows(deid: Any, texts: Sequence[str]) -> list[Any]:
    """The content-id windows the engine builds for ``texts`` (same code path as ``model_spans``)."""
    from engine.text.windows import make_windows

    encs = deid.tokenizer.encode_batch(list(texts))
    return [e.ids[w.start : w.end] for e in encs for w in make_windows(len(e), deid.max_length, deid.stride)]


def _timed_pass(deid: Any, texts: Sequence[str]) -> tuple[float, dict[str, float]]:
    """Seconds of one ``detect_many(redact=True)`` pass and the engine's stage seconds."""
    from engine.pipeline import StageTimer

    deid.timer = StageTimer()
    t0 = time.perf_counter()
    n_out = sum(1 for _ in deid.detect_many(list(texts), redact=True))
    sec = time.perf_counter() - t0
    if n_out != len(texts):
        raise RuntimeError(f"engine returned {n_out} results for {len(texts)} notes")
    return sec, dict(deid.timer.seconds)


def _summary(
    times: list[float], texts: Sequence[str], tokens: int, stages: list[dict[str, float]] | None
) -> dict[str, Any]:
    med = statistics.median(times)
    chars = sum(len(t) for t in texts)
    out: dict[str, Any] = {
        "notes": len(texts),
        "chars": chars,
        "window_tokens": tokens,
        "passes": len(times),
        "seconds_median": round(med, 4),
        "seconds_all": [round(t, 4) for t in times],
        "notes_per_s": round(len(texts) / med, 3),
        "chars_per_s": round(chars / med, 1),
        "tokens_per_s": round(tokens / med, 1),
    }
    if stages is not None:
        names = sorted({k for s in stages for k in s})
        stage_med = {k: statistics.median(s.get(k, 0.0) for s in stages) for k in names}
        other = max(0.0, med - sum(stage_med.values()))
        out["stages_s"] = {**{k: round(v, 4) for k, v in stage_med.items()}, "other": round(other, 4)}
    return out


def bench_engine(deid: Any, texts: Sequence[str], passes: int = 3, warmup_docs: int = 4) -> dict[str, Any]:
    """Median notes/s, chars/s and window tokens/s of ``detect_many(redact=True)`` over ``passes``.

    The per-stage seconds come from the engine's own :class:`StageTimer` (median over passes).
    """
    list(deid.detect_many(list(texts[:warmup_docs]), redact=True))
    tokens = sum(len(w) + 2 for w in engine_windows(deid, texts))
    runs = [_timed_pass(deid, texts) for _ in range(passes)]
    return _summary([r[0] for r in runs], texts, tokens, [r[1] for r in runs])


def compare_interleaved(deid: Any, model_only: Any, texts: Sequence[str], passes: int = 3) -> dict[str, Any]:
    """Engine (all layers), raw model and model-only engine, timed in interleaved passes.

    subtle: on a shared machine the load drifts during a run; interleaving the three measurements
    pass by pass and taking the median of the per-pass ratios keeps the ratios honest even when the
    absolute numbers are not.
    """
    windows = engine_windows(deid, texts)
    tokens = sum(len(w) + 2 for w in windows)
    for d in (deid, model_only):
        list(d.detect_many(list(texts[:4]), redact=True))
    deid.runner.run(windows[: deid.runner.batch_size])
    eng_t, eng_st, raw_t, mo_t, mo_st = [], [], [], [], []
    for _ in range(passes):
        settle(PASS_SETTLE_S)  # each measurement starts with the other sessions' threads parked
        t, st = _timed_pass(deid, texts)
        eng_t.append(t)
        eng_st.append(st)
        settle(PASS_SETTLE_S)
        t0 = time.perf_counter()
        deid.runner.run(windows)
        raw_t.append(time.perf_counter() - t0)
        settle(PASS_SETTLE_S)
        t, st = _timed_pass(model_only, texts)
        mo_t.append(t)
        mo_st.append(st)
    raw = _summary(raw_t, texts, tokens, None)
    raw["batch_size"] = deid.runner.batch_size
    raw["windows"] = len(windows)
    return {
        "engine": _summary(eng_t, texts, tokens, eng_st),
        "model_only": _summary(mo_t, texts, tokens, mo_st),
        "raw_model": raw,
        "efficiency_pct": round(100 * statistics.median(r / e for r, e in zip(raw_t, eng_t, strict=True)), 1),
        "hybrid_cost_pct": round(
            100 * statistics.median(1 - m / e for m, e in zip(mo_t, eng_t, strict=True)), 1
        ),
        "ratio_method": "median over interleaved passes of per-pass ratios",
    }


def bench_processes(
    model_dir: str | None,
    texts: Sequence[str],
    workers: Sequence[int],
    threads: int,
    device: str,
    raw_model: dict[str, Any],
    passes: int = 3,
    chunk_docs: int = 8,
) -> dict[str, Any]:
    """End to end with ``w`` engine processes (:class:`ParallelDeidentifier`), all layers, per ``w``.

    Notes go to the processes in chunks of ``chunk_docs`` (each chunk is batched on its own).

    On a CPU each process gets ``max(1, threads // w)`` onnxruntime threads, so every row uses the
    same cores; on a GPU the processes share the device. ``pct_of_raw_model`` compares the row's
    window tokens/s with one process's raw model throughput on the same windows (the ceiling a
    single session reaches when nothing else runs).
    """
    from engine.config import EngineConfig
    from engine.parallel import ParallelDeidentifier

    tokens = raw_model.get("window_tokens")
    rows = []
    for w in workers:
        per = max(1, threads // w) if device == "cpu" else threads
        cfg = EngineConfig.from_overrides(engine_overrides(model_dir, per, device))
        with ParallelDeidentifier(cfg, workers=w) as par:
            list(par.detect_many(list(texts[: 4 * w]), redact=True, chunk_docs=4))  # start and warm workers
            times = []
            for _ in range(passes):
                t0 = time.perf_counter()
                n = sum(1 for _ in par.detect_many(list(texts), redact=True, chunk_docs=chunk_docs))
                times.append(time.perf_counter() - t0)
                if n != len(texts):
                    raise RuntimeError(f"{w} workers returned {n} results for {len(texts)} notes")
        row = {"workers": w, "threads_per_worker": per, **_summary(times, texts, tokens or 0, None)}
        if tokens:
            row["pct_of_raw_model"] = round(100 * row["tokens_per_s"] / raw_model["tokens_per_s"], 1)
        rows.append(row)
    return {
        "device": device,
        "rows": rows,
        "note": f"all layers, redact=True; chunks of {chunk_docs} notes spread over the processes in order",
    }


def profile_engine(deid: Any, texts: Sequence[str], top: int = 20) -> dict[str, Any]:
    """cProfile one ``detect_many`` pass; the top-``top`` functions by own time (tottime).

    Profiling slows Python code more than native code, so these shares are indicative; the timed
    passes above are the real numbers.
    """
    prof = cProfile.Profile()
    prof.enable()
    list(deid.detect_many(list(texts), redact=True))
    prof.disable()
    stats = pstats.Stats(prof, stream=io.StringIO())
    total = stats.total_tt or 1e-9  # type: ignore[attr-defined]
    rows = []
    for (fname, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{_short(fname)}:{line}({func})",
                "ncalls": nc,
                "tottime_s": round(tt, 4),
                "cumtime_s": round(ct, 4),
                "tottime_pct": round(100 * tt / total, 1),
            }
        )
    rows.sort(key=lambda r: -r["tottime_s"])
    return {"total_s": round(total, 4), "sort": "tottime", "top": rows[:top]}


def _short(path: str) -> str:
    """``.../site-packages/onnxruntime/x.py`` -> ``onnxruntime/x.py``; builtins unchanged."""
    for marker in ("site-packages/", f"{Path(__file__).resolve().parents[1]}/", "lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def accuracy(deid: Any, dev_path: str, limit: int | None = None) -> dict[str, Any]:
    """Strict/relaxed micro P/R/F1 (overall and per category) of the engine on a gold corpus.

    Uses the teammate's :func:`engine.training.evaluate.evaluate_spans`; returns ``{"skipped": why}`` when
    it (or the corpus reader) is not importable. Documents keep their ``group`` so cross-note
    propagation runs as in production.
    """
    try:
        from engine.training.corpora import read_corpus
        from engine.training.evaluate import evaluate_spans
    except ImportError as e:
        return {"skipped": f"engine.training.evaluate/read_corpus not importable: {e}"}
    gold_docs = list(read_corpus(dev_path))
    if limit:
        gold_docs = gold_docs[:limit]
    t0 = time.perf_counter()
    results = list(deid.detect_many([d.to_document() for d in gold_docs]))
    seconds = time.perf_counter() - t0
    gold = {d.id: list(d.spans) for d in gold_docs}
    pred = {d.id: list(r.spans) for d, r in zip(gold_docs, results, strict=True)}
    report = evaluate_spans(gold, pred, {d.id: d.text for d in gold_docs})

    def prf(score: Any) -> dict[str, float]:
        return {k: round(float(getattr(score, k)), 4) for k in ("precision", "recall", "f1")}

    per_category = {
        cat: {"strict": prf(ts.strict), "relaxed": prf(ts.relaxed), "support": ts.strict.support}
        for cat, ts in sorted(report.by_category.items())
    }
    try:
        markdown = report.to_markdown()
    except Exception:  # noqa: BLE001 - the rendering module is optional; the numbers are not
        markdown = ""
    return {
        "dev": dev_path,
        "documents": len(gold_docs),
        "seconds": round(seconds, 3),
        "strict_micro": prf(report.strict.micro),
        "relaxed_micro": prf(report.relaxed.micro),
        "per_category": per_category,
        "markdown": markdown,
        "report": _plain(report.to_json()),
    }


def _plain(obj: Any) -> Any:
    """A JSON-able view of a metrics report (``to_dict``, dataclasses, mappings, numbers)."""
    import dataclasses

    if hasattr(obj, "to_dict"):
        return _plain(obj.to_dict())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, float):
        return round(obj, 5)
    if isinstance(obj, (int, str, bool)) or obj is None:
        return obj
    return str(obj)
