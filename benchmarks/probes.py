"""Two focused measurements behind numbers in the README, outside the full ``deid bench`` run.

* ``ops``: where an ONNX graph spends its time, by operator, from onnxruntime's own profiler
  (``SessionOptions.enable_profiling``) over ``runs`` calls on a batch of real token windows.
* ``strides``: window tokens and end-to-end notes/s of the engine (all layers, redaction) on the
  benchmark corpus at several window strides, passes interleaved, medians.

Example:
    $ python -m benchmarks.probes ops engine/default_model --batch 8 --seq-len 256
    $ python -m benchmarks.probes strides --strides 64,32
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

from benchmarks.model_bench import PASS_SETTLE_S, settle, token_windows


def op_profile(model_dir: str, batch: int, seq_len: int, threads: int = 2, runs: int = 12) -> dict[str, Any]:
    """Share of kernel time per operator type of ``model_dir``'s graph (percent, largest first)."""
    import onnxruntime as ort

    from benchmarks import corpus
    from engine.artifacts import load_artifacts

    art = load_artifacts(model_dir)
    texts = [n["text"] for n in corpus.make_corpus(20, 0)]
    stream = np.concatenate([e.ids for e in art.tokenizer.encode_batch(texts)])
    ids = token_windows(stream, seq_len, batch, art.tokenizer.cls_id, art.tokenizer.sep_id)
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.enable_profiling = True
    opts.profile_file_prefix = str(tempfile.mkdtemp() + "/ort")
    sess = ort.InferenceSession(str(art.model_path), opts, providers=["CPUExecutionProvider"])
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


def stride_cost(
    strides: Sequence[int], notes: int = 200, passes: int = 3, threads: int = 2
) -> dict[str, Any]:
    """Window tokens and notes/s of the default engine at each stride, interleaved passes, medians."""
    from benchmarks import corpus
    from benchmarks.e2e import engine_windows
    from engine.config import EngineConfig
    from engine.pipeline import Deidentifier

    texts = [n["text"] for n in corpus.make_corpus(notes, 0)]
    engines = {
        s: Deidentifier(EngineConfig.from_overrides([f"runtime.stride={s}", f"runtime.threads={threads}"]))
        for s in strides
    }
    for d in engines.values():
        list(d.detect_many(texts[:4], redact=True))
    times: dict[int, list[float]] = {s: [] for s in strides}
    for _ in range(passes):
        for s, d in engines.items():
            settle(PASS_SETTLE_S)
            t0 = time.perf_counter()
            list(d.detect_many(texts, redact=True))
            times[s].append(time.perf_counter() - t0)
    return {
        "notes": len(texts),
        "rows": [
            {
                "stride": s,
                "window_tokens": sum(len(w) + 2 for w in engine_windows(d, texts)),
                "notes_per_s": round(len(texts) / statistics.median(times[s]), 2),
            }
            for s, d in engines.items()
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.probes", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("ops", help="operator time shares of an artifact's graph")
    o.add_argument("model", nargs="?", default=None, help="artifact directory (default: embedded model)")
    o.add_argument("--batch", type=int, default=8)
    o.add_argument("--seq-len", type=int, default=256)
    s = sub.add_parser("strides", help="window tokens and notes/s at several strides")
    s.add_argument("--strides", default="64,32")
    args = p.parse_args(argv)
    if args.cmd == "ops":
        out = op_profile(args.model, args.batch, args.seq_len)
    else:
        out = stride_cost([int(x) for x in args.strides.split(",")])
    sys.stdout.write(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
