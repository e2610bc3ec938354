"""``deid spark detect|redact|image``: the engine over a JSONL or Parquet archive (or scans) on Apache Spark.

Imports only the standard library and ``engine`` at module level (the subcommand registers without
the ``spark`` extra; running it without pyspark names the extra to install).

Example:
    $ deid spark detect notes.jsonl -o spans.jsonl --master 'local[2]'
    $ spark-submit --master yarn $(which deid) spark redact hdfs:///notes.parquet -o hdfs:///redacted.parquet
    $ deid spark image examples/scans/ -o out/scans --master 'local[2]'
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from engine.errors import InputError


def register(sub: Any) -> None:
    """Add ``deid spark detect``, ``deid spark redact`` and ``deid spark image`` to the ``deid`` CLI."""
    p = sub.add_parser(
        "spark",
        help="detect/redact a JSONL or Parquet archive, or redact scans, on Apache Spark ([spark] extra)",
        description="Run the engine inside Spark executors: one engine per Python worker, the model "
        "shipped once, a patient's notes (group) processed together. OUT is a Spark output directory "
        "in the input's format, renamed into place only when every task succeeded. See docs/spark.md.",
    )
    cmds = p.add_subparsers(dest="spark_command", required=True)
    for name, helptext in (
        ("detect", "PHI spans, as deid detect"),
        ("redact", "redacted notes, as deid redact"),
    ):
        c = cmds.add_parser(name, help=helptext)
        _add_args(c)
        if name == "redact":
            _add_redact_args(c)
        c.set_defaults(func=run, spark_redact=name == "redact")
    _add_image_parser(cmds)


def _add_image_parser(cmds: Any) -> None:
    c = cmds.add_parser(
        "image",
        help="redacted scans (PNG/JPEG/TIFF/PDF/DICOM), as deid image (needs the [image] extra too)",
        description="Read the scans as a binaryFile DataFrame, run deid image's pipeline in the executors "
        "and write OUT/<name> (same format) and OUT/<stem>.json (regions, no text) as deid image does. "
        "OUT is a local directory on the driver, renamed into place only when every file succeeded; "
        "any file that fails fails the job.",
    )
    c.add_argument("input", help="a directory of scans (not recursive), a file or a glob (path or URI)")
    c.add_argument("-o", "--output", required=True, help="output directory on the driver")
    c.add_argument("--master", help="Spark master, e.g. local[2] (default: spark-submit's, else local[*])")
    c.add_argument("--partitions", type=int, help="partitions (default: at least the default parallelism)")
    c.add_argument(
        "--config", help="TOML/JSON config: engine sections at top level, image ones under [image]"
    )
    c.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override, e.g. image.ocr.psm=11"
    )
    c.add_argument("--psm", type=int, help="Tesseract page segmentation mode (default 3)")
    c.add_argument("--ocr-conf", type=float, help="OCR confidence threshold 0-100 (deid image's --conf)")
    c.add_argument("--dpi", type=int, help="PDF render resolution and OCR hint (default 300)")
    c.add_argument("--labels", help="comma-separated labels to cover, e.g. NAME,DATE,ID (default: all)")
    c.add_argument("--padding", type=int, help="pixels added around each box (default 3)")
    c.add_argument("--color", help="rectangle colour #RRGGBB (default #000000)")
    c.add_argument(
        "--on-ocr-error",
        choices=["cover", "report"],
        help="a page whose OCR fails: cover it whole (default) or fail the job",
    )
    c.add_argument("--model", help="model artifact directory (default: the embedded model)")
    c.add_argument(
        "--shared-artifact",
        action="store_true",
        help="--model is on storage every executor reads: do not ship it with SparkContext.addFile",
    )
    c.add_argument("--threads", type=int, help="onnxruntime threads per task (default: spark.task.cpus)")
    c.add_argument(
        "--conf", action="append", default=[], metavar="KEY=VALUE", help="Spark setting (repeatable)"
    )
    c.add_argument("--force", action="store_true", help="replace an existing output directory")
    c.set_defaults(func=run_image)


def run_image(args: argparse.Namespace) -> int:
    """``deid spark image`` (:func:`engine.spark.images.run_cli`)."""
    from engine.spark.api import _require_pyspark

    _require_pyspark()
    from engine.spark.images import run_cli

    return run_cli(args)


def _add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "input",
        help="JSONL ({id, text[, group]} per line), Parquet, or a directory of .txt notes (file, dir, URI)",
    )
    p.add_argument("-o", "--output", required=True, help="output directory (JSONL part files or Parquet)")
    p.add_argument(
        "--format", choices=["auto", "jsonl", "parquet", "text"], default="auto", help="input format"
    )
    p.add_argument("--master", help="Spark master, e.g. local[2] (default: spark-submit's, else local[*])")
    p.add_argument(
        "--partitions",
        type=int,
        help="partitions (default: the input's, at least Spark's default parallelism)",
    )
    p.add_argument("--model", help="model artifact directory (default: the embedded model)")
    p.add_argument(
        "--shared-artifact",
        action="store_true",
        help="--model is on storage every executor reads: do not ship it with SparkContext.addFile",
    )
    p.add_argument("--threads", type=int, help="onnxruntime threads per task (default: spark.task.cpus)")
    p.add_argument("--batch-size", type=int, help="windows per model call")
    p.add_argument("--config", help="engine config file (TOML or JSON)")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="config override (repeatable)"
    )
    p.add_argument(
        "--conf", action="append", default=[], metavar="KEY=VALUE", help="Spark setting (repeatable)"
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing output")


def _add_redact_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--style", choices=["tag", "mask", "surrogate", "hash", "encrypt"], help="redaction style")
    p.add_argument("--key-file", help="secret for surrogate/hash/encrypt: a path every executor can read")
    p.add_argument("--key-env", help="environment variable holding the secret (default DEID_KEY)")
    p.add_argument("--with-subtype", action="store_true", help="tags like [NAME:DOCTOR]")
    p.add_argument(
        "--include-phi", action="store_true", help="add each mention's ORIGINAL text (spans[].phi)"
    )
    p.add_argument("--original-offsets", action="store_true", help="add orig_start/orig_end to each span")


def session(master: str | None, conf: list[str]) -> Any:
    """The SparkSession: ``master`` if given (else spark-submit's, else ``local[*]``).

    Python workers run this interpreter unless ``PYSPARK_PYTHON`` says otherwise, so a local run
    uses the environment ``deid`` is installed in.
    """
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("deid").config("spark.ui.showConsoleProgress", "false")
    if master:
        builder = builder.master(master)
    for item in conf:
        key, sep, value = item.partition("=")
        if not sep:
            raise InputError("E810", f"--conf {item!r} is not KEY=VALUE", fix="e.g. --conf spark.task.cpus=2")
        builder = builder.config(key, value)
    return builder.getOrCreate()


def run(args: argparse.Namespace) -> int:
    """``deid spark detect|redact``: read, run the engine on Spark, write all or nothing.

    Exit code 1 when ``on_error="redact_all"`` had to redact a note entirely (as ``deid detect``).
    """
    from engine.cli import build_config

    redact = args.spark_redact
    if args.partitions is not None and args.partitions < 1:
        raise InputError("E805", f"--partitions must be >= 1, got {args.partitions}", fix="Pass 1 or more.")
    if os.path.abspath(args.output) == os.path.abspath(args.input):
        raise InputError("E620", f"output {args.output} is also the input", fix="Choose another -o path.")
    args.include_phi = getattr(args, "include_phi", False)
    args.original_offsets = getattr(args, "original_offsets", False)
    config = build_config(args)
    from engine.spark.api import run as run_engine
    from engine.spark.files import input_format, read_notes, write_output

    fmt = input_format(args.input, args.format)
    out_fmt = "parquet" if fmt == "parquet" else "jsonl"  # text notes in: JSONL out, as deid detect
    from pyspark.sql import SparkSession

    owned = SparkSession.getActiveSession() is None  # a caller's session (tests, notebooks) stays up
    spark = session(args.master, args.conf)
    try:
        sc = spark.sparkContext
        counters = (sc.accumulator(0), sc.accumulator(0))
        notes = read_notes(spark, args.input, fmt)
        out = run_engine(
            notes,
            config,
            redact=redact,
            output="jsonl" if out_fmt == "jsonl" else "columns",
            partitions=args.partitions,
            ship=not args.shared_artifact,
            include_phi=args.include_phi,
            original_offsets=args.original_offsets,
            counters=counters,
        )
        write_output(spark, out, args.output, out_fmt, args.force)
        rows, failed = counters[0].value, counters[1].value
    finally:
        if owned:
            spark.stop()
    # subtle: accumulators count a retried task twice; the count is for the log, not a check
    sys.stderr.write(f"deid: wrote {args.output} ({rows} note(s) processed)\n")
    if failed:
        sys.stderr.write(
            f"deid: {failed} document(s) failed and were redacted entirely (on_error=redact_all); "
            "their records carry an 'error'\n"
        )
        return 1
    return 0
