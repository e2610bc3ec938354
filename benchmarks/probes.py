"""Two focused measurements behind numbers in the README, outside the full ``deid bench`` run.

* ``ops``: where an ONNX graph spends its time, by operator, from onnxruntime's own profiler
  (``SessionOptions.enable_profiling``) over ``runs`` calls on a batch of real token windows.
* ``strides``: window tokens and end-to-end notes/s of the engine (all layers, redaction) on the
  benchmark corpus at several window strides, passes interleaved, medians.
* ``batches``: the same for several numbers of windows per model call (``runtime.batch_size``).
* ``configs``: the same for any engine configs, each a comma-separated list of ``key=value``
  overrides (two artifacts, or an artifact at two batch sizes, in one interleaved run).
* ``layernorm``: one residual layer norm of a (batch, seq_len, hidden) activation as onnxruntime's
  fused ``SkipLayerNormalization`` kernel against the unfused ``Add`` + ``Add`` + ``LayerNormalization``
  it replaces, same inputs, calls interleaved, medians (why ``bert-fused.v2`` leaves it unfused).

Example:
    $ python -m engine.benchmarks.probes ops engine/default_model --batch 8 --seq-len 256
    $ python -m engine.benchmarks.probes strides --strides 64,32
    $ python -m engine.benchmarks.probes batches --batches 2,4,8
    $ python -m engine.benchmarks.probes configs model_dir=artifacts/a runtime.batch_size=8
    $ python -m engine.benchmarks.probes configs model_dir=old,runtime.batch_size=4,probe.batch_dependent \
          runtime.batch_size=4 runtime.batch_size=8
    $ python -m engine.benchmarks.probes layernorm --batch 8 --seq-len 256
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.benchmarks.model_bench import PASS_SETTLE_S, settle, token_windows


def op_profile(model_dir: str, batch: int, seq_len: int, threads: int = 2, runs: int = 12) -> dict[str, Any]:
    """Share of kernel time per operator type of ``model_dir``'s graph (percent, largest first)."""
    import onnxruntime as ort

    from engine.artifacts import load_artifacts
    from engine.benchmarks import corpus
    from engine.model.session import CPU_DISABLED_OPTIMIZERS

    art = load_artifacts(model_dir)
    texts = [n["text"] for n in corpus.make_corpus(20, 0)]
    stream = np.concatenate([e.ids for e in art.tokenizer.encode_batch(texts)])
    ids = token_windows(stream, seq_len, batch, art.tokenizer.cls_id, art.tokenizer.sep_id)
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.enable_profiling = True
    opts.profile_file_prefix = str(tempfile.mkdtemp() + "/ort")
    # the graph as the engine runs it on CPU (make_session turns the same optimizers off)
    sess = ort.InferenceSession(
        str(art.model_path),
        opts,
        providers=["CPUExecutionProvider"],
        disabled_optimizers=list(CPU_DISABLED_OPTIMIZERS),
    )
    names = {i.name for i in sess.get_inputs()}
    feed = {k: v for k, v in feed.items() if k in names}
    for _ in range(runs):
        sess.run(None, feed)
    with open(sess.end_profiling()) as f:
        events = json.load(f)
    per_op: collections.Counter[str] = collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            per_op[e["args"]["op_name"]] += e["dur"]
    total = sum(per_op.values()) or 1
    return {
        "model": str(art.model_path),
        "batch": batch,
        "seq_len": seq_len,
        "runs": runs,
        "threads": threads,
        "share_pct": {k: round(100 * v / total, 1) for k, v in per_op.most_common()},
    }


#: A ``configs`` variant holding this pseudo-override lets a dynamically quantised int8 artifact share
#: model calls again (the engine runs such a graph one window per call, since its results then depend
#: on the batch): to measure an old artifact as it used to run.
BATCH_DEPENDENT = "probe.batch_dependent"


def engine_cost(
    variants: dict[str, list[str]], notes: int = 200, passes: int = 3, threads: int = 2
) -> list[dict[str, Any]]:
    """Window tokens and notes/s of the default engine under each set of config overrides.

    Every variant redacts the same benchmark notes (all layers); passes are interleaved across the
    variants with a settle pause before each, and the median pass is reported.

    Args:
        variants: label -> ``EngineConfig.from_overrides`` strings, e.g. ``{"4": ["runtime.batch_size=4"]}``.
    """
    from engine.benchmarks import corpus
    from engine.benchmarks.e2e import engine_windows
    from engine.config import EngineConfig
    from engine.pipeline import Deidentifier

    texts = [n["text"] for n in corpus.make_corpus(notes, 0)]
    engines = {}
    for label, overrides in variants.items():
        engine_overrides = [o for o in overrides if not o.startswith(BATCH_DEPENDENT)]
        d = Deidentifier(EngineConfig.from_overrides([f"runtime.threads={threads}", *engine_overrides]))
        if len(engine_overrides) < len(overrides) and d.runner is not None:
            # what the engine did before frozen scales: a dynamic int8 graph sharing calls
            d.runner.batch_size = d.config.runtime.windows_per_call
        engines[label] = d
    for d in engines.values():
        list(d.detect_many(texts[:4], redact=True))
    times: dict[str, list[float]] = {label: [] for label in engines}
    for _ in range(passes):
        for label, d in engines.items():
            settle(PASS_SETTLE_S)
            t0 = time.perf_counter()
            list(d.detect_many(texts, redact=True))
            times[label].append(time.perf_counter() - t0)
    return [
        {
            "variant": label,
            "window_tokens": sum(len(w) + 2 for w in engine_windows(d, texts)),
            "windows_per_call": d.runner.batch_size if d.runner else None,
            "notes_per_s": round(len(texts) / statistics.median(times[label]), 2),
        }
        for label, d in engines.items()
    ]


def stride_cost(
    strides: Sequence[int], notes: int = 200, passes: int = 3, threads: int = 2
) -> dict[str, Any]:
    """Window tokens and notes/s of the default engine at each window stride."""
    rows = engine_cost({str(s): [f"runtime.stride={s}"] for s in strides}, notes, passes, threads)
    return {"notes": notes, "rows": [{"stride": int(r.pop("variant")), **r} for r in rows]}


def batch_cost(
    batches: Sequence[int], notes: int = 200, passes: int = 3, threads: int = 2
) -> dict[str, Any]:
    """Notes/s of the default engine at each number of windows per model call."""
    rows = engine_cost({str(b): [f"runtime.batch_size={b}"] for b in batches}, notes, passes, threads)
    return {"notes": notes, "rows": [{"batch_size": int(r.pop("variant")), **r} for r in rows]}


def layernorm_cost(
    batch: int = 8, seq_len: int = 256, hidden: int = 384, threads: int = 2, runs: int = 50
) -> dict[str, Any]:
    """Median ms of a fused ``SkipLayerNormalization`` vs ``Add`` + ``Add`` + ``LayerNormalization``.

    Both graphs get the same random activations and weights and run with ``threads`` intra-op threads;
    the unfused one is loaded with onnxruntime's ``SkipLayerNormFusion`` turned off, as the engine
    does on CPU, so it is measured as written.
    """
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from engine.model.session import CPU_DISABLED_OPTIMIZERS

    rng = np.random.default_rng(0)
    shape = [batch, seq_len, hidden]
    weights = [
        numpy_helper.from_array(rng.random(hidden, dtype=np.float32), name)
        for name in ("gamma", "beta", "bias")
    ]
    graphs = {
        "SkipLayerNormalization": [
            helper.make_node(
                "SkipLayerNormalization", ["x", "skip", "gamma", "beta", "bias"], ["out"],
                domain="com.microsoft", epsilon=1e-12,
            )
        ],
        "Add+LayerNormalization": [
            helper.make_node("Add", ["x", "bias"], ["xb"]),
            helper.make_node("Add", ["xb", "skip"], ["sum"]),
            helper.make_node("LayerNormalization", ["sum", "gamma", "beta"], ["out"], axis=-1, epsilon=1e-12),
        ],
    }
    feed = {"x": rng.random(shape, dtype=np.float32), "skip": rng.random(shape, dtype=np.float32)}
    sessions = {}
    for name, nodes in graphs.items():
        graph = helper.make_graph(
            nodes,
            name,
            [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n in feed],
            [helper.make_tensor_value_info("out", TensorProto.FLOAT, shape)],
            weights,
        )
        model = helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
        )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        sessions[name] = ort.InferenceSession(
            model.SerializeToString(), opts, providers=["CPUExecutionProvider"],
            disabled_optimizers=list(CPU_DISABLED_OPTIMIZERS),
        )
    outs = {name: s.run(None, feed)[0] for name, s in sessions.items()}
    times: dict[str, list[float]] = {name: [] for name in sessions}
    for _ in range(runs):
        for name, s in sessions.items():
            t0 = time.perf_counter()
            s.run(None, feed)
            times[name].append(time.perf_counter() - t0)
    ms = {name: round(1e3 * statistics.median(t), 3) for name, t in times.items()}
    fused, unfused = ms["SkipLayerNormalization"], ms["Add+LayerNormalization"]
    return {
        "shape": shape,
        "threads": threads,
        "runs": runs,
        "median_ms": ms,
        "fused_over_unfused": round(fused / unfused, 2),
        "max_abs_diff": float(np.abs(outs["SkipLayerNormalization"] - outs["Add+LayerNormalization"]).max()),
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m engine.benchmarks.probes", description=__doc__.splitlines()[0]
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("ops", help="operator time shares of an artifact's graph")
    o.add_argument("model", nargs="?", default=None, help="artifact directory (default: embedded model)")
    o.add_argument("--batch", type=int, default=8)
    o.add_argument("--seq-len", type=int, default=256)
    s = sub.add_parser("strides", help="window tokens and notes/s at several strides")
    s.add_argument("--strides", default="64,32")
    b = sub.add_parser("batches", help="notes/s at several numbers of windows per model call")
    b.add_argument("--batches", default="2,4,8,16")
    c = sub.add_parser("configs", help="notes/s of the engine under several sets of config overrides")
    c.add_argument("variants", nargs="+", help="overrides per config, e.g. model_dir=x,runtime.batch_size=4")
    n = sub.add_parser("layernorm", help="fused SkipLayerNormalization vs Add + LayerNormalization")
    n.add_argument("--batch", type=int, default=8)
    n.add_argument("--seq-len", type=int, default=256)
    n.add_argument("--hidden", type=int, default=384)
    args = p.parse_args(argv)
    if args.cmd == "ops":
        out = op_profile(args.model, args.batch, args.seq_len)
    elif args.cmd == "batches":
        out = batch_cost([int(x) for x in args.batches.split(",")])
    elif args.cmd == "configs":
        out = {"rows": engine_cost({v: [o for o in v.split(",") if o] for v in args.variants})}
    elif args.cmd == "layernorm":
        out = layernorm_cost(args.batch, args.seq_len, args.hidden)
    else:
        out = stride_cost([int(x) for x in args.strides.split(",")])
    sys.stdout.write(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
