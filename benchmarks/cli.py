"""``deid bench``: the benchmark suite as a subcommand of the ``deid`` console script.

Example:
    $ deid bench --quick --out runs/bench-quick
    $ deid bench --model engine/default_model --checkpoint runs/default/final --dev data/synth/dev.jsonl
"""

from __future__ import annotations

import argparse
from typing import Any


def _threads(value: str) -> tuple[int, ...]:
    """``"1,2"`` -> ``(1, 2)``."""
    try:
        out = tuple(int(v) for v in value.replace(" ", "").split(",") if v)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"--threads wants integers like 1,2; got {value!r}") from e
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError("--threads needs at least one count >= 1")
    return out


def register(sub: Any) -> None:
    """Add the ``bench`` subcommand to the ``deid`` parser."""
    p = sub.add_parser(
        "bench", help="benchmark speed, latency, scaling and accuracy; writes report.json/md + plots"
    )
    p.add_argument("--quick", action="store_true", help="small grid, under two minutes on 2 cores")
    p.add_argument("--model", default=None, help="artifact directory (default: the embedded default model)")
    p.add_argument(
        "--checkpoint",
        default=None,
        help="HF checkpoint of the same weights: adds PyTorch rows, raw/optimised/int8 ORT rows, baseline",
    )
    p.add_argument("--out", default="runs/bench", help="output directory (default runs/bench)")
    p.add_argument(
        "--dev", default=None, help="gold JSONL corpus: adds strict/relaxed P/R/F1 of this artifact"
    )
    p.add_argument(
        "--threads",
        type=_threads,
        default=(1, 2),
        help="thread counts for the scaling section, e.g. 1,2; the largest is used elsewhere",
    )
    p.add_argument(
        "--workers",
        type=_threads,
        default=(1, 2),
        help="engine process counts for the multi-process end-to-end rows, e.g. 1,2,4,8",
    )
    p.add_argument(
        "--device", choices=["cpu", "cuda"], default="cpu", help="device of the engine runs (default cpu)"
    )
    p.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    p.add_argument(
        "--cache-dir",
        default=None,
        help="where exported ONNX variants are cached (default ~/.cache/deid/bench-variants)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the suite; exit 0 when every section ran, 1 when one failed (see report.md)."""
    import sys
    from pathlib import Path

    from engine.benchmarks.report import BenchSettings, run_suite

    settings = BenchSettings(
        out=Path(args.out),
        quick=args.quick,
        model=args.model,
        checkpoint=args.checkpoint,
        dev=args.dev,
        threads=args.threads,
        workers=args.workers,
        device=args.device,
        seed=args.seed,
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
    )
    report = run_suite(settings)
    t = report["targets"]
    sys.stdout.write(
        f"wrote {settings.out / 'report.md'} ({report['duration_s']} s"
        f"{', machine busy' if report['noisy'] else ''})\n"
        + "".join(f"  {k}: {v['value']} (target {v['target']}, met={v['met']})\n" for k, v in t.items())
    )
    return 1 if report["errors"] else 0
