"""``deid show``: a self-contained HTML review page of the spans (plus the ``--format`` writers' glue).

Example:
    $ deid show notes.jsonl -o page.html
"""

from __future__ import annotations

import argparse
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
    results = []
    for _, result in stream:
        tally.add(result)
        if result is not None:
            results.append(result)
    with AtomicOutput(args.output, args.force, [args.input]) as out:
        out.write(render_html(results, args.title))
    return tally.exit_code()
