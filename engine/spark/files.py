"""Reading notes into Spark and writing results out of it, all or nothing.

Input: a directory of ``.txt`` notes (ids are the file names without the suffix, as ``deid
detect`` gives them; the output is then JSONL), JSONL (``{"id", "text"[, "group"]}`` per line,
parsed on the executors by the same rules as ``deid detect``: :func:`engine.io.as_document`) or
Parquet (``id``, ``text``, optional
``group`` columns). A path ending in ``.jsonl``/``.ndjson`` (file or directory) is JSONL, one
ending in ``.parquet`` or a directory of ``*.parquet`` files is Parquet, another directory with
``.txt`` files is text; ``fmt`` overrides.

Output: a Spark output directory in the input's format, written under a hidden temporary name
beside the target and renamed into place only when every task has succeeded. A failed job leaves
nothing at the target, so no partial table can pass for a complete one. JSONL part files hold
exactly the lines ``deid detect`` / ``deid redact`` write.

Example:
    >>> df = read_notes(spark, "notes.jsonl")                              # doctest: +SKIP
    >>> write_output(detect(df, output="jsonl"), "spans.jsonl", "jsonl")   # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from engine.errors import (
    ArtifactError,
    ConfigError,
    DeidError,
    DetectionError,
    DeviceError,
    InputError,
    OperatorError,
)
from engine.image.errors import ImageInputError, OcrError, OcrUnavailableError, WriteError
from engine.io import BOM, as_document

FORMATS = ("jsonl", "parquet", "text")
_ERRORS: dict[str, type[DeidError]] = {
    c.__name__: c
    for c in (
        InputError,
        ArtifactError,
        ConfigError,
        DeviceError,
        OperatorError,
        ImageInputError,
        OcrUnavailableError,
        OcrError,
        WriteError,
    )
}
_ENGINE_ERROR = re.compile(r"(\w+Error): \[(E\d{3})\] ([^\n]*)")


def input_format(path: str, fmt: str = "auto") -> str:
    """``"jsonl"`` or ``"parquet"`` for ``path`` (``fmt`` wins unless ``"auto"``).

    Example: ``input_format("archive/notes.jsonl")`` -> ``"jsonl"``.
    """
    if fmt in FORMATS:
        return fmt
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".parquet" or (p.is_dir() and any(p.glob("*.parquet"))):
        return "parquet"
    if p.is_dir() and any(f.suffix.lower() == ".txt" for f in p.iterdir()):
        return "text"
    raise InputError(
        "E806",
        f"cannot tell the format of {path}",
        fix="Name it *.jsonl or *.parquet, or pass --format jsonl|parquet|text.",
    )


def parse_lines(batches: Iterator[Any]) -> Iterator[Any]:
    """``mapInPandas`` body: JSONL lines (``value``) -> ``id``, ``text``, ``group`` rows.

    Blank lines are skipped; a malformed line fails the task (nothing is skipped silently). Lines
    hold no raw U+FFFD: Spark's text reader turns undecodable bytes into it, and a note silently
    altered is refused (``deid detect`` refuses such bytes too; an escaped ``\\ufffd`` is fine).
    """
    import pandas as pd

    for frame in batches:
        rows = []
        for line in frame["value"]:
            if not line.strip():
                continue
            rows.append(_parse(line.removeprefix(BOM)))
        if rows:
            yield pd.DataFrame(rows, columns=["id", "text", "group"])


def parse_files(batches: Iterator[Any]) -> Iterator[Any]:
    """``mapInPandas`` body: whole ``.txt`` files (``path``, ``value``) -> ``id``, ``text`` rows."""
    import pandas as pd

    for frame in batches:
        rows = []
        for path, text in zip(frame["path"], frame["value"], strict=True):
            if "\ufffd" in text:
                raise InputError(
                    "E807",
                    "a text note holds undecodable bytes (read as U+FFFD)",
                    fix="Re-encode it as UTF-8.",
                )
            name = unquote(path.rstrip("/").rsplit("/", 1)[-1])  # input_file_name() is a URI
            rows.append({"id": name[: -len(".txt")], "text": text.removeprefix(BOM), "group": None})
        if rows:
            yield pd.DataFrame(rows, columns=["id", "text", "group"])


def _parse(line: str) -> dict[str, Any]:
    if "\ufffd" in line:
        raise InputError(
            "E807",
            "a JSONL line holds undecodable bytes (read as U+FFFD)",
            fix="Re-encode the input as UTF-8.",
        )
    try:
        rec = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as e:
        raise InputError(
            "E611", f"malformed JSONL line ({type(e).__name__})", fix="Fix the line; nothing was written."
        ) from e
    if not isinstance(rec, dict):
        raise InputError(
            "E612", "a JSONL record must be a JSON object", fix='Write {"id": ..., "text": ...}.'
        )
    doc = as_document(rec, where="a JSONL record")
    return {"id": doc.id, "text": doc.text, "group": doc.group}


def read_notes(spark: Any, path: str, fmt: str = "auto") -> Any:
    """A DataFrame of notes (``id``, ``text``, ``group``) from a JSONL or Parquet path."""
    from pyspark.sql.types import StringType, StructField, StructType

    if not _fs_exists(spark, path):
        raise InputError("E614", f"input not found: {path}")
    from pyspark.sql import functions as F

    fmt = input_format(path, fmt)
    if fmt == "parquet":
        return spark.read.parquet(path)
    schema = StructType([StructField(c, StringType(), c == "group") for c in ("id", "text", "group")])
    if fmt == "text":
        files = (
            spark.read.option("pathGlobFilter", "*.[tT][xX][tT]")
            .text(path, wholetext=True)  # subtle: text()'s own wholetext=False beats .option()
            .select(F.input_file_name().alias("path"), "value")
        )
        return files.mapInPandas(parse_files, schema)
    return spark.read.text(path).mapInPandas(parse_lines, schema)


def _fs(spark: Any, path: str) -> tuple[Any, Any]:
    jvm = spark.sparkContext._jvm
    jpath = jvm.org.apache.hadoop.fs.Path(path)
    return jpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), jpath


def _fs_exists(spark: Any, path: str) -> bool:
    """True when ``path`` (a file, a directory or a glob such as ``notes/*.jsonl``) matches something."""
    fs, jpath = _fs(spark, path)
    return bool(fs.globStatus(jpath))


def write_output(spark: Any, df: Any, path: str, fmt: str, force: bool = False) -> None:
    """Write ``df`` to ``path`` (a directory) as JSONL text parts or Parquet, all or nothing.

    Raises:
        InputError: ``path`` exists and ``force`` is off (E621).
        DeidError: the job failed; the engine error a task raised keeps its class and code
            (a malformed record is an :class:`InputError`), anything else is a
            :class:`DetectionError` (E808). Nothing is left at ``path`` or beside it.
    """
    fs, target = _fs(spark, path)
    if fs.exists(target) and not force:
        raise InputError("E621", f"output {path} exists", fix="Pass --force to overwrite it.")
    jvm = spark.sparkContext._jvm
    tmp = jvm.org.apache.hadoop.fs.Path(
        target.getParent(), f".{target.getName()}.deid-tmp-{uuid.uuid4().hex}"
    )
    try:
        writer = df.write.mode("error")
        if fmt == "jsonl":
            writer.text(tmp.toString())
        else:
            writer.parquet(tmp.toString())
    except Exception as e:
        _remove_after_failure(spark, fs, tmp)
        raise job_error(e) from e
    if fs.exists(target):
        fs.delete(target, True)
    if not fs.rename(tmp, target):
        fs.delete(tmp, True)
        raise DetectionError("E809", f"could not move the finished output into place at {path}")


def _remove_after_failure(spark: Any, fs: Any, tmp: Any, timeout_s: float = 60.0) -> None:
    """Delete a failed job's temporary output once its other tasks have stopped writing into it.

    subtle: when one task fails, Spark fails the job at once but tasks of other partitions may still
    be running and write their files afterwards, re-creating the folder just deleted.
    """
    import time

    tracker = spark.sparkContext.statusTracker()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and (tracker.getActiveStageIds() or tracker.getActiveJobsIds()):
        time.sleep(0.1)
    for _ in range(20):
        fs.delete(tmp, True)
        time.sleep(0.1)
        if not fs.exists(tmp):
            return


def job_error(e: BaseException) -> DeidError:
    """The :class:`DeidError` for a failed Spark job (the last engine error a task raised, if any).

    The message is the engine's own (which never quotes a note), not Spark's whole traceback.
    """
    if isinstance(e, DeidError):
        return e
    found = _ENGINE_ERROR.findall(str(e))
    if found:
        name, code, message = found[-1]
        cls = _ERRORS.get(name, DetectionError)
        return cls(code, f"a Spark task failed: {message}")
    return DetectionError(
        "E808",
        f"the Spark job failed ({type(e).__name__}); nothing was written",
        fix="See the executor logs for the failing task.",
    )
