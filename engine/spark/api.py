"""The driver side: ``detect`` and ``redact`` over a Spark DataFrame of notes.

The plan for a DataFrame with ``id``, ``text`` and an optional ``group`` (the patient key):

1. the model artifact is verified on the driver, then shipped once per SparkContext with
   ``SparkContext.addFile`` (or read from a path every executor sees: ``ship_artifact=False``);
2. with a ``group`` column, rows are hash-partitioned on the group and sorted on (group, input
   order) within each partition, so a patient's notes reach one engine consecutively and share
   trusted terms exactly as they do in one process; notes without a group are spread by their
   input position, not piled into one partition;
3. ``mapInPandas`` runs :func:`engine.spark.worker.run_partition`: one cached engine per Python
   worker, the partition streamed through it in chunks of ``chunk_docs`` notes.

A failing task fails the job: the returned DataFrame is lazy, and the action that evaluates it (a
write, ``collect``) raises. :func:`engine.spark.files.write_output` turns that into "no output".

Example:
    >>> from engine.spark import detect                                   # doctest: +SKIP
    >>> detect(spark.read.parquet("notes/")).write.parquet("spans/")       # doctest: +SKIP
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

from engine.artifacts import DEFAULT_MODEL_DIR, MANIFEST, load_artifacts
from engine.config import EngineConfig
from engine.errors import ConfigError, InputError, missing_extra
from engine.spark.worker import OUTPUTS, SparkJob, run_partition

ORDER_COL = "_deid_order"

#: Artifact directories already shipped: ``{(SparkContext id, source path): addFile name}``.
_SHIPPED: dict[tuple[int, str], str] = {}


def _require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError as e:
        raise missing_extra("pyspark", "spark") from e


def ship_artifact(spark: Any, model_dir: str | Path | None) -> str:
    """Verify the artifact on the driver and ship it to every executor once; returns its name.

    The directory is staged under a content-addressed name (``deid-artifact-<manifest sha>``), so
    two artifacts never collide in ``SparkFiles`` and shipping the same one again is free. Executors
    verify the copy against the manifest hashes when they load it.
    """
    src = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    load_artifacts(src)  # ArtifactError here, before any task starts
    sc = spark.sparkContext
    key = (id(sc), str(src.resolve()))
    if key in _SHIPPED:
        return _SHIPPED[key]
    digest = hashlib.sha256((src / MANIFEST).read_bytes()).hexdigest()[:16]
    name = f"deid-artifact-{digest}"
    # subtle: the stage must outlive the job (executors fetch it lazily, per task): it is removed
    # when the driver exits, never during the SparkContext's life.
    stage = Path(tempfile.mkdtemp(prefix="deid-spark-")) / name
    atexit.register(shutil.rmtree, stage.parent, True)
    shutil.copytree(src, stage)
    sc.addFile(str(stage), recursive=True)
    _SHIPPED[key] = name
    return name


def prepare(df: Any, partitions: int | None = None) -> Any:
    """``id`` (as a string), ``text`` and ``group`` columns, laid out for the engine.

    With a ``group`` column: hash-partitioned on it (ungrouped rows on their input position) and
    sorted on (group, input order) within partitions. Without one: repartitioned round-robin when
    ``partitions`` is given or the input has fewer partitions than Spark's default parallelism,
    else left as it is (no shuffle). ``partitions`` defaults to the input's, at least the default
    parallelism.
    """
    from pyspark.sql import functions as F

    cols = set(df.columns)
    if not {"id", "text"} <= cols:
        raise InputError(
            "E804",
            f"a DataFrame of notes needs 'id' and 'text' columns, got {sorted(cols)}",
            fix="Rename your columns, e.g. df.withColumnRenamed('note_text', 'text').",
        )
    if partitions is not None and partitions < 1:
        raise InputError(
            "E805", f"partitions must be >= 1, got {partitions}", fix="Pass --partitions 1 or more."
        )
    has_group = "group" in cols
    out = df.select(
        F.col("id").cast("string").alias("id"),
        F.col("text"),
        (F.col("group").cast("string") if has_group else F.lit(None).cast("string")).alias("group"),
    ).withColumn(ORDER_COL, F.monotonically_increasing_id())
    # subtle: a single JSONL or Parquet file below the split size is one partition, which would
    # leave every core but one idle; the default is never below Spark's default parallelism.
    current = df.rdd.getNumPartitions()
    floor = df.sparkSession.sparkContext.defaultParallelism
    if not has_group:
        if partitions or current < floor:
            out = out.repartition(partitions or floor)
        return out.drop(ORDER_COL)
    n = partitions or max(current, floor)
    key = F.coalesce(F.col("group"), F.concat(F.lit("\u0000"), F.col(ORDER_COL).cast("string")))
    return out.repartition(n, key).sortWithinPartitions("group", ORDER_COL).drop(ORDER_COL)


def run(
    df: Any,
    config: EngineConfig | None = None,
    *,
    redact: bool = False,
    output: str = "columns",
    partitions: int | None = None,
    ship: bool = True,
    include_phi: bool = False,
    original_offsets: bool = False,
    chunk_docs: int = 128,
    counters: Any = None,
) -> Any:
    """The lazy DataFrame of results (see :func:`detect` and :func:`redact`)."""
    _require_pyspark()
    if output not in OUTPUTS:
        raise ConfigError("E811", f"unknown Spark output {output!r}", fix=f"Use one of {list(OUTPUTS)}.")
    from engine.spark.schema import detect_schema, jsonl_schema, redact_schema

    config = config or EngineConfig()
    spark = df.sparkSession
    if redact:
        from engine.redact.operators import Redactor

        Redactor.from_config(config.redact)  # a keyed style without its key fails here (E130)
    artifact = None
    if ship:
        artifact = ship_artifact(spark, config.model_dir)
    elif config.model_dir:
        load_artifacts(config.model_dir)  # a shared path: it must be readable here too
    job = SparkJob(config, artifact, redact, output, include_phi, original_offsets, chunk_docs)
    if output == "jsonl":
        schema = jsonl_schema()
    elif redact:
        schema = redact_schema(include_phi, original_offsets)
    else:
        schema = detect_schema()

    def partition(batches: Any) -> Any:
        return run_partition(batches, job, counters)

    return prepare(df, partitions).mapInPandas(partition, schema)


def detect(
    df: Any,
    config: EngineConfig | None = None,
    *,
    partitions: int | None = None,
    ship_artifact: bool = True,
    chunk_docs: int = 128,
) -> Any:
    """PHI spans of every note: ``id``, ``spans`` (array of structs, with ``text``), ``error``.

    Args:
        df: notes with ``id`` and ``text`` columns and an optional ``group`` (patient key).
        config: engine configuration (default: the embedded model, all layers).
        partitions: partitions to run on (default: the input's, at least Spark's default parallelism).
        ship_artifact: ship the artifact with ``addFile`` (default); ``False`` when
            ``config.model_dir`` is on storage every executor reads (or for the embedded model
            installed with the package on executors).
        chunk_docs: notes per engine chunk inside a partition.

    Returns:
        A lazy DataFrame; rows come grouped by patient, not in input order (sort on ``id``).
    """
    return run(df, config, partitions=partitions, ship=ship_artifact, chunk_docs=chunk_docs)


def redact(
    df: Any,
    config: EngineConfig | None = None,
    *,
    partitions: int | None = None,
    ship_artifact: bool = True,
    include_phi: bool = False,
    original_offsets: bool = False,
    chunk_docs: int = 128,
) -> Any:
    """Redacted notes: ``id``, ``text`` (redacted), ``spans`` (into the redacted text), ``error``.

    No original text is in the rows unless ``include_phi`` (``spans[].phi``); ``original_offsets``
    adds ``orig_start``/``orig_end``. The style comes from ``config.redact``. Other arguments as
    :func:`detect`.

    Example: a row ``("n1", "Seen by Xai Dunn")`` -> ``("n1", "Seen by [NAME]", [(8, 14, ...)], None)``.
    """
    return run(
        df,
        config,
        redact=True,
        partitions=partitions,
        ship=ship_artifact,
        include_phi=include_phi,
        original_offsets=original_offsets,
        chunk_docs=chunk_docs,
    )
