"""``deid show``: a self-contained HTML review page of the spans (plus the ``--format`` writers' glue).

Example:
    $ deid show notes.jsonl -o page.html
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    """Add the ``show`` subcommand to the ``deid`` CLI."""
    from engine.cli import _add_engine_args

    p = sub.add_parser(
        "show",
        help="write an HTML page of the detected spans for review (it holds the notes' PHI)",
        description="Detect PHI and write one self-contained HTML page (no scripts, no external resources): "
        "spans coloured by label, subtype, score and source on hover.",
    )
    _add_engine_args(p)
    p.add_argument("--title", default="deid review", help="page title")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Detect, render, write atomically."""
    from engine.cli import AtomicOutput, Tally, _results
    from engine.formats.html import render_html

    tally = Tally()
    _, stream = _results(args, redact=False)
    results: list[Any] = []
    for _, result in stream:
        tally.add(result)
        if result is not None:
            results.append(result)
    with AtomicOutput(args.output, args.force, [args.input]) as out:
        out.write(render_html(results, args.title))
    return tally.exit_code()


def detect_formatted(args: argparse.Namespace) -> int:
    """``deid detect --format jsonl|i2b2|brat|conll`` (and i2b2 XML input)."""
    from engine.cli import AtomicOutput, Tally, _write_directory
    from engine.errors import InputError
    from engine.formats.writers import PER_DOCUMENT, document_files, stream_text

    tally = Tally()
    results = list(_detect_stream(args, tally))
    if args.format in PER_DOCUMENT:
        if not args.output:
            raise InputError(
                "E625", f"--format {args.format} writes one file per note", fix="Give -o a directory."
            )
        out = Path(args.output)
        if out.exists() and not out.is_dir():
            raise InputError("E624", f"output {out} is a file", fix="Give -o a directory.")
        files = [f for r in results for f in document_files(args.format, r)]
        _write_directory(out, files, args.force)
        return tally.exit_code()
    with AtomicOutput(args.output, args.force, [args.input]) as fh:
        for r in results:
            fh.write(stream_text(args.format, r))
    return tally.exit_code()


def _detect_stream(args: argparse.Namespace, tally: Any):  # noqa: ANN202
    from engine.cli import _results

    if is_i2b2(args):
        for r in _i2b2_results(args, redact=False):
            tally.add(r)
            yield r
        return
    _, stream = _results(args, redact=False)
    for _, result in stream:
        tally.add(result)
        if result is None:
            from engine.errors import InputError

            raise InputError("E626", "a malformed input record cannot be written in this format")
        yield result


def is_i2b2(args: argparse.Namespace) -> bool:
    """True when the input is i2b2 XML (``--input-format i2b2``, or auto and ``.xml`` files)."""
    from engine.formats.i2b2 import is_i2b2_input

    fmt = getattr(args, "input_format", "auto")
    return fmt == "i2b2" or (fmt == "auto" and args.input != "-" and is_i2b2_input(args.input))


def _i2b2_results(args: argparse.Namespace, redact: bool) -> list:
    from engine.cli import build_config
    from engine.formats.i2b2 import read_i2b2_files
    from engine.pipeline import Deidentifier

    files = read_i2b2_files(args.input)
    deid = Deidentifier(build_config(args))
    return list(deid.detect_many([d for _, _, d in files], redact=redact))


def redact_i2b2(args: argparse.Namespace) -> int:
    """``deid redact`` on i2b2 XML: each file keeps its structure; ``<TEXT>`` and ``<TAGS>`` redacted.

    A file input writes one XML (``-o FILE`` or stdout); a directory input writes ``-o DIR/<name>.xml``.
    """
    from engine.cli import AtomicOutput, Tally, _write_directory
    from engine.errors import InputError
    from engine.formats.i2b2 import read_i2b2_files, redacted_xml

    tally = Tally()
    files = read_i2b2_files(args.input)
    results = _i2b2_results(args, redact=True)
    for r in results:
        tally.add(r)
    outputs = [(f.name, redacted_xml(raw, r)) for (f, raw, _), r in zip(files, results, strict=True)]
    if Path(args.input).is_dir():
        if not args.output:
            raise InputError(
                "E625", "i2b2 directory input writes one file per note", fix="Give -o a directory."
            )
        _write_directory(Path(args.output), outputs, args.force)
    else:
        with AtomicOutput(args.output, args.force, [args.input]) as fh:
            fh.write(outputs[0][1])
    return tally.exit_code()
