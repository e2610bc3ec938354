"""Model-level throughput: real (non-pad) tokens per second and per-batch latency per backend.

Rows: PyTorch fp32 (the HF checkpoint), ORT fp32 raw export, ORT fp32 optimised (fused), ORT int8,
the served artifact graph, and on a GPU ORT fp16 (CUDA) and torch fp16 (CUDA). Every batch is a
set of real token windows of exactly ``seq_len`` tokens (``[CLS]`` + content + ``[SEP]``, cut from the
tokenized corpus), so no token is padding and tokens/s counts real tokens only.

Example:
    >>> rows = bench_grid(variants, stream, 101, 102, (1, 8), (128,), threads=2)  # doctest: +SKIP
    >>> rows[0]["tokens_per_s"] > 0                                             # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

RunFn = Callable[[np.ndarray, np.ndarray], Any]


@dataclass
class Variant:
    """One way of running the model: a name, a backend and how to build its run function."""

    name: str
    backend: str  # "ort" or "torch"
    precision: str
    device: str = "cpu"
    path: str | None = None
    note: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


def token_windows(token_stream: np.ndarray, seq_len: int, count: int, cls_id: int, sep_id: int) -> np.ndarray:
    """``count`` rows of ``seq_len`` real tokens cut from a token stream (wrapping around).

    Example:
        >>> token_windows(np.arange(5, 15), 4, 2, 101, 102).tolist()
        [[101, 5, 6, 102], [101, 7, 8, 102]]
    """
    body = seq_len - 2
    need = body * count
    reps = -(-need // max(1, len(token_stream)))
    flat = np.tile(token_stream, reps)[:need].reshape(count, body)
    out = np.empty((count, seq_len), dtype=np.int64)
    out[:, 0], out[:, -1], out[:, 1:-1] = cls_id, sep_id, flat
    return out


def ort_runner(path: str, threads: int, device: str = "cpu", io_binding: bool = False) -> RunFn:
    """A ``run(ids, mask)`` function over an onnxruntime session of ``path``.

    With ``io_binding`` the inputs are bound from host memory and the logits are allocated on
    ``device`` by onnxruntime and copied back once (``run_with_iobinding``), instead of ``run``'s
    feed dict; on CUDA that is what STACK.md's reference figures use. The copy back stays in the
    timed call, as for the torch rows.
    """
    from engine.config import RuntimeConfig
    from engine.model.session import make_session

    sess: Any = make_session(path, RuntimeConfig(device=device, threads=threads))  # type: ignore[arg-type]
    names = {i.name for i in sess.get_inputs()}
    out = sess.get_outputs()[0].name

    def feeds_of(ids: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        return feeds

    if not io_binding:
        return lambda ids, mask: sess.run([out], feeds_of(ids, mask))[0]

    binding = sess.io_binding()

    def run_bound(ids: np.ndarray, mask: np.ndarray) -> Any:
        binding.clear_binding_inputs()
        binding.clear_binding_outputs()
        for name, arr in feeds_of(ids, mask).items():
            binding.bind_cpu_input(name, arr)
        binding.bind_output(out, device)
        sess.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()[0]

    return run_bound


def torch_runner(checkpoint: str, threads: int, device: str = "cpu", fp16: bool = False) -> RunFn:
    """A ``run(ids, mask)`` function over the HF checkpoint (default SDPA attention)."""
    import torch
    from transformers import AutoModelForTokenClassification

    torch.set_num_threads(threads)
    model = AutoModelForTokenClassification.from_pretrained(checkpoint).eval().to(device)
    if fp16:
        model = model.half()

    def run(ids: np.ndarray, mask: np.ndarray) -> Any:
        with torch.inference_mode():
            t_ids = torch.from_numpy(ids).to(device)
            t_mask = torch.from_numpy(mask).to(device)
            logits = model(input_ids=t_ids, attention_mask=t_mask).logits
            return logits.float().cpu().numpy()  # the copy back is part of the cost, as in serving

    return run


def make_runner(v: Variant, threads: int) -> RunFn:
    """Build the run function of a variant."""
    if v.backend == "torch":
        return torch_runner(str(v.path), threads, v.device, fp16=v.precision == "fp16")
    return ort_runner(str(v.path), threads, v.device, io_binding=bool(v.meta.get("io_binding")))


#: Seconds to pause before a timed call so the worker threads of whatever ran before stop spinning:
#: before one batch in the model grid, and longer before a whole timed pass (end to end, baseline).
SETTLE_S = 0.05
PASS_SETTLE_S = 0.2


def settle(seconds: float = SETTLE_S) -> None:
    """Pause so the previous system's spinning onnxruntime / PyTorch threads park (see bench_grid)."""
    if seconds > 0:
        time.sleep(seconds)


def bench_grid(
    variants: Sequence[Variant],
    token_stream: np.ndarray,
    cls_id: int,
    sep_id: int,
    batches: Sequence[int],
    seq_lens: Sequence[int],
    threads: int,
    warmup: int = 1,
    repeats: int = 3,
    min_seconds: float = 0.0,
    settle_s: float = SETTLE_S,
) -> list[dict[str, Any]]:
    """One row per (variant, batch, seq_len): median batch latency and real tokens/s.

    subtle: all variants are loaded first and then timed round-robin (variant A, B, C, A, B, C, ...)
    for each shape, so load drifting on a shared machine hits every variant alike and the ratios
    between rows stay meaningful. Each round takes at least one call per variant; rounds continue
    until ``repeats`` rounds and ``min_seconds`` have passed.

    subtle: onnxruntime and PyTorch worker threads spin for a while after a call. Timed right after
    another variant, a session shares the cores with those spinning threads: on 2 cores the int8
    artifact measured 16.9k tokens/s at 8 x 256 without the pause and 22.2k with it. ``settle_s`` of
    sleep before each timed call lets them park (:func:`settle`).
    """
    rows: list[dict[str, Any]] = []
    runners: list[tuple[Variant, RunFn]] = []
    for v in variants:
        try:
            runners.append((v, make_runner(v, threads)))
        except Exception as e:  # noqa: BLE001 - a variant that cannot load is reported, not fatal
            rows.append({**_ident(v), "skipped": f"{type(e).__name__}: {e}"[:300]})
    for L in seq_lens:
        for B in batches:
            ids = token_windows(token_stream, L, B, cls_id, sep_id)
            mask = np.ones_like(ids)
            times: list[list[float]] = [[] for _ in runners]
            for _, run in runners:
                for _ in range(warmup):
                    run(ids, mask)
            start = time.perf_counter()
            while len(times[0]) < repeats or (
                time.perf_counter() - start < min_seconds and len(times[0]) < 50
            ):
                for k, (_, run) in enumerate(runners):
                    if len(runners) > 1:
                        settle(settle_s)
                    t0 = time.perf_counter()
                    run(ids, mask)
                    times[k].append(time.perf_counter() - t0)
                if not runners:
                    break
            for (v, _), ts in zip(runners, times, strict=True):
                med = statistics.median(ts)
                rows.append(
                    {
                        **_ident(v),
                        "batch": B,
                        "seq_len": L,
                        "runs": len(ts),
                        "latency_ms_median": round(1000 * med, 3),
                        "latency_ms_min": round(1000 * min(ts), 3),
                        "tokens_per_s": round(B * L / med, 1),
                    }
                )
    order = {v.name: i for i, v in enumerate(variants)}
    rows.sort(key=lambda r: (order.get(r["variant"], 0), r.get("seq_len", 0), r.get("batch", 0)))
    return rows


def _ident(v: Variant) -> dict[str, Any]:
    return {"variant": v.name, "backend": v.backend, "precision": v.precision, "device": v.device}


def _fingerprint(checkpoint: Path) -> str:
    """Short hash of a checkpoint's config and weight file sizes/mtimes (cache key)."""
    h = hashlib.sha256()
    for name in ("config.json", "model.safetensors", "pytorch_model.bin"):
        f = checkpoint / name
        if f.is_file():
            st = f.stat()
            h.update(f"{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    h.update(str(checkpoint.resolve()).encode())
    return h.hexdigest()[:12]


def export_variants(checkpoint: Path, cache_dir: Path, gpu: bool) -> tuple[list[Variant], list[str]]:
    """Export raw fp32, optimised fp32, int8 (and fp16 for a GPU) graphs of ``checkpoint`` into a cache.

    Uses the teammate's export building blocks (:mod:`engine.export`); returns the variants and notes for the
    ones that could not be built.
    """
    notes: list[str] = []
    try:
        from engine.export import optimize, quantize
        from engine.export.onnx_export import export_raw, load_checkpoint
    except ImportError as e:
        return [], [f"export package unavailable ({e}); only the artifact graph is benchmarked"]
    d = cache_dir / _fingerprint(checkpoint) / optimize.DEFAULT_PRESET
    d.mkdir(parents=True, exist_ok=True)
    raw, opt, int8, fp16 = d / "raw.onnx", d / "optimized.onnx", d / "int8.onnx", d / "fp16.onnx"
    out: list[Variant] = []
    model = None
    try:
        if not raw.is_file() or not opt.is_file() or (gpu and not fp16.is_file()):
            model, _ = load_checkpoint(checkpoint)
            mc = model.config
            if not raw.is_file():
                export_raw(model, raw, 17)
            if not opt.is_file():
                optimize.optimize_graph(raw, opt, mc.num_attention_heads, mc.hidden_size)
            if gpu and not fp16.is_file():
                optimize.optimize_graph(raw, fp16, mc.num_attention_heads, mc.hidden_size, fp16=True)
        out.append(
            Variant(
                "ort-fp32-raw", "ort", "fp32", path=str(raw), note="torch.onnx.export graph, ORT runtime opts"
            )
        )
        out.append(
            Variant(
                "ort-fp32-optimized",
                "ort",
                "fp32",
                path=str(opt),
                note=f"{optimize.DEFAULT_PRESET} (Attention fused)",
            )
        )
        if not int8.is_file():
            quantize.quantize_graph(opt, int8)
        out.append(
            Variant(
                "ort-int8", "ort", "int8", path=str(int8), note="dynamic per-channel int8 of the fused graph"
            )
        )
        if gpu and fp16.is_file():
            out.append(Variant("ort-fp16-cuda", "ort", "fp16", device="cuda", path=str(fp16)))
            out.append(
                Variant(
                    "ort-fp16-cuda-iobinding",
                    "ort",
                    "fp16",
                    device="cuda",
                    path=str(fp16),
                    note="IO binding: logits allocated on the GPU, copied back once",
                    meta={"io_binding": True},
                )
            )
    except Exception as e:  # noqa: BLE001 - report and keep the variants that exist
        notes.append(f"exporting variants from {checkpoint} failed: {type(e).__name__}: {e}"[:400])
    return out, notes


def discover_variants(
    artifact_root: Path, precision: str, checkpoint: Path | None, cache_dir: Path, gpu: dict[str, Any] | None
) -> tuple[list[Variant], list[str]]:
    """Every model variant to benchmark, plus notes on what is missing and why."""
    notes: list[str] = []
    variants = [
        Variant(
            f"artifact-{precision}",
            "ort",
            precision,
            path=str(artifact_root / "model.onnx"),
            note="the graph the engine serves",
        )
    ]
    for extra in sorted(artifact_root.glob("*.onnx")):
        if extra.name != "model.onnx":
            variants.append(Variant(f"artifact-{extra.stem}", "ort", "unknown", path=str(extra)))
    ort_cuda = False
    try:
        import onnxruntime as ort

        ort_cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    except ImportError:
        pass
    if checkpoint is None:
        notes.append("no --checkpoint: PyTorch, raw/optimised/int8 ORT rows and GPU rows are skipped")
        return variants, notes
    variants.insert(
        0, Variant("torch-fp32", "torch", "fp32", path=str(checkpoint), note="HF checkpoint, SDPA")
    )
    exported, more = export_variants(checkpoint, cache_dir, gpu=ort_cuda and gpu is not None)
    variants[1:1] = exported
    notes += more
    if gpu is not None:
        variants.append(Variant("torch-fp16-cuda", "torch", "fp16", device="cuda", path=str(checkpoint)))
        if not ort_cuda:
            notes.append(
                "GPU present but onnxruntime has no CUDAExecutionProvider: ORT fp16 CUDA row skipped"
            )
    else:
        notes.append("no GPU detected: ORT fp16 CUDA and torch fp16 CUDA rows skipped")
    return variants, notes
