"""``deid synth``: write train.jsonl, dev.jsonl and stats.json of the synthetic corpus.

Example:
    $ deid synth --out data/synth --n-train 20000 --n-dev 1500 --seed 13
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments shared by ``deid synth`` and ``python -m engine.training.synth``."""
    p.add_argument("--out", type=Path, default=Path("data/synth"), help="output folder")
    p.add_argument("--n-train", type=int, default=20000, help="number of train documents")
    p.add_argument("--n-dev", type=int, default=1500, help="number of dev documents")
    p.add_argument("--seed", type=int, default=13, help="random seed (output is deterministic by seed)")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder with aci-bench/, mts-dialog/, presidio-synth/ (default: $DEID_DATA_DIR, else the "
        "copy vendored in training/synth/data/bases)",
    )


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``synth`` subcommand to the ``deid`` CLI."""
    p = sub.add_parser("synth", help="generate the synthetic annotated PHI corpus")
    add_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Generate both splits, write them and the stats; return the exit code."""
    import json
    import time

    from engine.training.synth.generate import (
        GENERATOR_VERSION,
        corpus_stats,
        generate_split,
        resolve_data_dir,
        write_jsonl,
    )

    data_dir = resolve_data_dir(args.data_dir)
    print(f"bases: {data_dir}")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    stats: dict[str, object] = {"generator_version": GENERATOR_VERSION, "seed": args.seed}
    for split, n in (("train", args.n_train), ("dev", args.n_dev)):
        t0 = time.perf_counter()
        docs = generate_split(split, n, args.seed, data_dir)
        write_jsonl(docs, out / f"{split}.jsonl")
        st = corpus_stats(docs)
        st["seconds"] = round(time.perf_counter() - t0, 2)
        stats[split] = st
        print(
            f"{split}: {st['documents']} docs, {st['spans']} spans, {st['chars']} chars in {st['seconds']} s"
        )
    (out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}/train.jsonl, dev.jsonl, stats.json")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m engine.training.synth``."""
    p = argparse.ArgumentParser(prog="python -m engine.training.synth", description=__doc__)
    add_arguments(p)
    return run(p.parse_args(argv))
