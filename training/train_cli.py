"""``deid train``: a thin argparse wrapper over :func:`engine.training.train.train`.

Example:
    $ deid train --config training/configs/default.toml --set train.max_steps=50 --set eval.steps=25
    $ deid train --train data/synth/train.jsonl --dev data/synth/dev.jsonl --out runs/quick
"""

from __future__ import annotations

import argparse
import json
from typing import Any

DEFAULT_CONFIG = "training/configs/default.toml"


def register(sub: Any) -> None:
    """Add the ``train`` subcommand to the ``deid`` CLI."""
    p = sub.add_parser(
        "train",
        help="Fine-tune the token classifier (needs the [train] extra).",
        description="Fine-tune a BERT-family token classifier on annotated notes.",
    )
    p.add_argument(
        "--config", default=DEFAULT_CONFIG, help=f"TOML training config (default {DEFAULT_CONFIG})."
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Dotted override, repeatable: --set train.lr=3e-5 --set eval.docs=100",
    )
    p.add_argument("--resume", action="store_true", help="Resume from the latest checkpoint in output_dir.")
    p.add_argument("--train", help="Shortcut for --set data.train=FILE.")
    p.add_argument("--dev", help="Shortcut for --set data.dev=FILE.")
    p.add_argument("--format", help="Shortcut for --set data.format=FMT (jsonl, brat, i2b2, conll).")
    p.add_argument("--base", help="Shortcut for --set model.base=MODEL (local dir or hub id).")
    p.add_argument("--out", help="Shortcut for --set output_dir=DIR.")
    p.add_argument("--print-config", action="store_true", help="Print the resolved config as JSON and exit.")
    p.set_defaults(func=run)


def _overrides(args: argparse.Namespace) -> list[str]:
    out = list(args.overrides)
    for flag, key in (
        ("train", "data.train"),
        ("dev", "data.dev"),
        ("format", "data.format"),
        ("base", "model.base"),
        ("out", "output_dir"),
    ):
        value = getattr(args, flag)
        if value is not None:
            out.append(f"{key}={json.dumps(value)}")
    if args.resume:
        out.append("resume_from_checkpoint=true")
    return out


def run(args: argparse.Namespace) -> int:
    """Build the config, train, print the final dev metrics as JSON; returns the exit code."""
    from engine.training.config import TrainConfig

    cfg = TrainConfig.from_file(args.config, _overrides(args))
    if args.print_config:
        print(json.dumps(cfg.model_dump(mode="json"), indent=1))
        return 0
    from engine.training.train import train

    result = train(cfg)
    print(
        json.dumps(
            {
                "final_dir": str(result.final_dir),
                "dev_metrics": result.dev_metrics,
                "train_tokens_per_s": round(result.tokens_per_s, 1),
            },
            indent=1,
        )
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Standalone entry point (``python -m engine.training.train_cli ...``)."""
    parser = argparse.ArgumentParser(prog="deid")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
