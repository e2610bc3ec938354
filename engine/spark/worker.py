"""The executor side: one engine per Python worker, fed a whole partition as one document stream.

Spark calls :func:`run_partition` once per partition (``mapInPandas``) with an iterator of Arrow
batches. The batches are read as *one* stream, so a patient's notes that the driver sorted next to
each other stay in one engine chunk even when an Arrow batch boundary falls between them, and
trusted terms propagate exactly as in one process. The engine is built once per Python worker and
kept in :data:`_ENGINES` (Spark reuses workers between tasks: ``spark.python.worker.reuse``), so a
partition costs no model load after the first.

Fail closed: a record without a string ``text``, an engine error or a result out of order raises,
which fails the task and, after Spark's retries, the job. Nothing is ever returned with fewer spans.

Example (what the driver ships to every task)::

    job = SparkJob(EngineConfig(), artifact="deid-artifact-3f9a1c", redact=True)
    df.mapInPandas(lambda it: run_partition(it, job), schema)
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from engine.config import EngineConfig
from engine.errors import DetectionError, InputError
from engine.io import dumps_line
from engine.pipeline import Deidentifier
from engine.types import Document, Result

#: The Python worker's engine, keyed by its resolved configuration: one at a time (a worker serves
#: one task at a time, and a task of a job with another configuration replaces it).
_ENGINES: dict[str, Deidentifier] = {}

#: Output formats of :func:`run_partition`: Spark columns (``spans`` as an array of structs), or
#: one ``value`` column holding the JSONL line that ``deid detect`` / ``deid redact`` writes.
OUTPUTS = ("columns", "jsonl")


@dataclass(frozen=True)
class SparkJob:
    """Everything a task needs, pickled with the closure (no model bytes: those travel once).

    Attributes:
        config: the engine configuration; ``model_dir`` is used as is unless ``artifact`` is set.
        artifact: the ``SparkContext.addFile`` name of the shipped artifact directory, or ``None``
            (``config.model_dir`` is a path every executor can read, or the embedded model).
        redact: redact as well as detect.
        output: ``"columns"`` or ``"jsonl"`` (see :data:`OUTPUTS`).
        include_phi: redact records: add each mention's original text (``spans[].phi``).
        original_offsets: redact records: add ``orig_start``/``orig_end``.
        chunk_docs: documents per engine chunk (a patient's notes are never split below 8x this).
        batch_rows: rows per output Arrow batch.
    """

    config: EngineConfig
    artifact: str | None = None
    redact: bool = False
    output: str = "columns"
    include_phi: bool = False
    original_offsets: bool = False
    chunk_docs: int = 128
    batch_rows: int = 1024


def task_threads() -> int:
    """onnxruntime threads for this task: the cores Spark gave it (``spark.task.cpus``, default 1).

    Each of an executor's concurrent tasks runs in its own Python worker with its own session, so
    threads per task times concurrent tasks equals the executor's cores, never more.
    """
    try:
        from pyspark import TaskContext

        ctx = TaskContext.get()
        return max(1, int(ctx.cpus())) if ctx is not None else 1
    except Exception:  # noqa: BLE001 - outside a task (unit tests): one thread
        return 1


def resolved_config(job: SparkJob) -> EngineConfig:
    """``job.config`` with the executor-local artifact path and the task's thread count."""
    config = job.config
    if job.artifact is not None:
        from pyspark import SparkFiles

        config = config.replace(model_dir=SparkFiles.get(job.artifact))
    if config.runtime.threads == 0:
        config = config.replace(runtime=config.runtime.model_copy(update={"threads": task_threads()}))
    return config


def engine_for(job: SparkJob) -> Deidentifier:
    """The worker's cached engine for ``job`` (built, and the artifact verified, on first use)."""
    config = resolved_config(job)
    key = config.model_dump_json()
    deid = _ENGINES.get(key)
    if deid is None:
        _ENGINES.clear()  # one session per worker: a new job's configuration replaces the last one
        deid = _ENGINES[key] = Deidentifier(config)
    return deid


def to_document(row_id: Any, text: Any, group: Any) -> Document:
    """A :class:`Document` from one row; a null or non-string ``text`` fails the task (E801).

    Example: ``to_document("n1", "Seen by Dunn", None)`` -> ``Document("n1", "Seen by Dunn")``.
    """
    if not isinstance(text, str):
        raise InputError(
            "E801",
            f"row {row_id!r}: 'text' is {'null' if _is_null(text) else type(text).__name__}, not a string",
            fix="Filter out or fix rows without text before de-identifying; nothing was written.",
        )
    if _is_null(row_id):
        raise InputError("E802", "a row has a null 'id'", fix="Give every row an id; nothing was written.")
    return Document(str(row_id), text, None if _is_null(group) else str(group))


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def record(result: Result, job: SparkJob) -> dict[str, Any]:
    """The ``deid detect`` / ``deid redact`` JSONL record of one result (engine.cli ``_record``)."""
    if job.redact:
        return result.to_redacted_dict(job.include_phi, job.original_offsets)
    return {k: v for k, v in result.to_dict().items() if k != "text"}


def _row(result: Result, job: SparkJob) -> dict[str, Any]:
    rec = record(result, job)
    if job.output == "jsonl":
        return {"value": dumps_line(rec)[:-1]}  # the text writer adds the newline
    if not job.redact:
        return {"id": rec["id"], "spans": rec["spans"], "error": rec.get("error")}
    return {"id": rec["id"], "text": rec["text"], "spans": rec["spans"], "error": rec.get("error")}


def run_partition(batches: Iterator[Any], job: SparkJob, counters: Any = None) -> Iterator[Any]:
    """Results of one partition, as pandas DataFrames of at most ``job.batch_rows`` rows.

    Args:
        batches: the partition's pandas DataFrames with ``id``, ``text`` and optionally ``group``.
        job: what to run (see :class:`SparkJob`).
        counters: optional ``(rows, failed)`` Spark accumulators; ``failed`` counts documents that
            ``on_error="redact_all"`` redacted entirely.
    """
    import pandas as pd

    deid = engine_for(job)
    expected: deque[str] = deque()

    def documents() -> Iterator[Document]:
        for frame in batches:
            groups = frame["group"] if "group" in frame.columns else [None] * len(frame)
            for row_id, text, group in zip(frame["id"], frame["text"], groups, strict=True):
                doc = to_document(row_id, text, group)
                expected.append(doc.id)
                yield doc

    rows: list[dict[str, Any]] = []
    n = failed = 0
    for result in deid.detect_many(documents(), redact=job.redact, chunk_docs=job.chunk_docs):
        if not expected or expected.popleft() != result.id:  # fail closed on any mix-up
            raise DetectionError("E803", "the engine returned results out of order in a Spark task")
        rows.append(_row(result, job))
        n += 1
        failed += result.error is not None
        if len(rows) >= job.batch_rows:
            yield pd.DataFrame(rows)
            rows = []
    if expected:
        raise DetectionError("E803", f"{len(expected)} document(s) of a Spark task got no result")
    if rows:
        yield pd.DataFrame(rows)
    if counters is not None:  # after the last row: a task that fails midway adds nothing
        counters[0].add(n)
        counters[1].add(failed)
