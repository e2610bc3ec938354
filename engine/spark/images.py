"""Scanned documents on Spark: a ``binaryFile`` DataFrame of images/PDFs in, redacted files and regions out.

The executors run the unchanged image pipeline (:class:`engine.image.pipeline.ImageDeidentifier`,
which runs the unchanged text engine): each file of a partition is written to a private temporary
directory under its own name and redacted there exactly as ``deid image`` redacts it, so a row's
``content`` is the file ``deid image`` writes (PNG for a PNG, one PDF of redacted page images for a
PDF, ...) and its ``report`` is the ``<stem>.json`` beside it.

One :class:`ImageDeidentifier` per Python worker, kept in :data:`_IMAGES` (its text engine is the
worker's cached :func:`engine.spark.worker.engine_for` engine); the model artifact is shipped once
with :func:`engine.spark.api.ship_artifact`.

Fail closed, as the text path: a file that cannot be read, whose OCR fails under
``on_ocr_error="report"``, or whose engine run fails raises its own coded error in the task, which
fails the job; no row is ever returned for a file that was not redacted. A page whose OCR failed under
``on_ocr_error="cover"`` (the default) is covered entirely and named in ``error`` (the file is safe).

Example:
    >>> scans = spark.read.format("binaryFile").load("hdfs:///scans/*.pdf")    # doctest: +SKIP
    >>> redact_images(scans).select("path", "regions").show()                  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from engine.config import EngineConfig
from engine.errors import DeidError, DetectionError, InputError, missing_extra
from engine.image.config import ImageConfig
from engine.image.errors import ImageInputError, WriteError
from engine.spark.worker import SparkJob, _is_null, engine_for, task_threads

if TYPE_CHECKING:
    from engine.image.pipeline import FileReport, ImageDeidentifier

#: The Python worker's image pipeline, keyed by its configuration (one at a time, as ``_ENGINES``).
_IMAGES: dict[str, ImageDeidentifier] = {}

_REPORT_ERROR = re.compile(r"^\[(E\d{3})\] (.*?)(?: Fix: (.*))?$", re.S)


@dataclass(frozen=True)
class ImageSparkJob:
    """Everything an image task needs, pickled with the closure (no model bytes).

    Attributes:
        image: the image settings; ``workers=0`` means the task's cores (``spark.task.cpus``).
        engine: the text engine's settings (``runtime.threads=0``: the task's cores).
        artifact: the ``SparkContext.addFile`` name of the shipped artifact, or ``None``.
        batch_rows: files per output Arrow batch (rows hold whole files: keep it small).
    """

    image: ImageConfig
    engine: EngineConfig
    artifact: str | None = None
    batch_rows: int = 8


def images_for(job: ImageSparkJob) -> ImageDeidentifier:
    """The worker's cached :class:`ImageDeidentifier` for ``job`` (built on first use)."""
    from engine.image.pipeline import ImageDeidentifier

    deid = engine_for(SparkJob(job.engine, job.artifact))
    image = job.image
    if image.workers == 0:
        image = image.model_copy(update={"workers": task_threads()})
    key = image.model_dump_json() + "\0" + deid.config.model_dump_json()
    found = _IMAGES.get(key)
    if found is None:
        for old in _IMAGES.values():
            old.close()
        _IMAGES.clear()
        found = _IMAGES[key] = ImageDeidentifier(image, deidentifier=deid)
    return found


def file_name(path: str) -> str:
    """The file name of a ``binaryFile`` path (a URI: ``file:/scans/a%20b.png`` -> ``a b.png``)."""
    return unquote(path.rstrip("/").rsplit("/", 1)[-1])


def report_error(report: FileReport) -> DeidError:
    """The coded error of a failed file, rebuilt from its report (class from the error table)."""
    from engine.error_codes import ERROR_CODES
    from engine.spark.files import _ERRORS

    m = _REPORT_ERROR.match(report.error or "")
    if m is None:
        return DetectionError("E814", "a scanned file failed in a Spark task without a coded error")
    code, message, fix = m.groups()
    cls = _ERRORS.get(ERROR_CODES.get(code, ("DetectionError",))[0], DetectionError)
    if report.bad_input and not issubclass(cls, InputError):
        cls = ImageInputError
    return cls(code, message, fix=fix)


def _regions(report: FileReport) -> list[dict[str, Any]]:
    return [r.to_dict() for p in report.pages for r in p.regions]


def _page_errors(report: FileReport) -> str | None:
    failed = [f"page {p.page}: {p.error}" for p in report.pages if p.ocr == "failed"]
    if not failed:
        return None
    return "OCR failed, page covered entirely: " + "; ".join(failed)


def run_image_partition(batches: Iterator[Any], job: ImageSparkJob, counters: Any = None) -> Iterator[Any]:
    """``mapInPandas`` body: ``path``, ``content`` rows -> redacted files (see :func:`image_schema`).

    Args:
        batches: the partition's pandas DataFrames with ``path`` and ``content`` (bytes).
        job: what to run (see :class:`ImageSparkJob`).
        counters: optional ``(files, pages, covered_pages)`` Spark accumulators.
    """
    import pandas as pd

    deid = images_for(job)
    root = Path(tempfile.mkdtemp(prefix="deid-spark-scans-"))  # mode 0700: it holds PHI briefly
    pending: deque[tuple[str, Path]] = deque()

    def inputs() -> Iterator[Path]:
        # each file in a directory of its own, under its own name: two inputs may share a name
        k = 0
        for frame in batches:
            for path, content in zip(frame["path"], frame["content"], strict=True):
                if _is_null(path):
                    raise InputError("E813", "a row of scans has a null 'path'", fix="Nothing was written.")
                name = file_name(str(path))
                if not isinstance(content, (bytes, bytearray, memoryview)):
                    raise ImageInputError(
                        "E813",
                        f"{name}: 'content' is {'null' if _is_null(content) else type(content).__name__}, "
                        "not bytes",
                        fix="Read the files with spark.read.format('binaryFile'); nothing was written.",
                    )
                k += 1
                src = root / "in" / str(k) / name
                src.parent.mkdir(parents=True)
                src.write_bytes(bytes(content))
                pending.append((str(path), src))
                yield src

    rows: list[dict[str, Any]] = []
    files = pages = covered = 0
    outdir = root / "out"
    try:
        for report in deid.redact_files(inputs(), outdir, force=True):
            if not pending or pending[0][1] != report.input:  # fail closed on any mix-up
                raise DetectionError("E814", "the image pipeline returned files out of order in a Spark task")
            path, src = pending.popleft()
            shutil.rmtree(src.parent)
            if not report.ok or report.output is None:
                raise report_error(report)
            out, side = report.output, outdir / f"{src.stem}.json"
            content, text = out.read_bytes(), side.read_text(encoding="utf-8")
            out.unlink()
            side.unlink()
            page_errors = _page_errors(report)
            rows.append(
                {
                    "path": path,
                    "kind": report.kind,
                    "content": content,
                    "pages": len(report.pages),
                    "regions": _regions(report),
                    "report": text,
                    "error": page_errors,
                }
            )
            files += 1
            pages += len(report.pages)
            covered += sum(p.ocr == "failed" for p in report.pages)
            if len(rows) >= job.batch_rows:
                yield pd.DataFrame(rows, columns=IMAGE_COLUMNS)
                rows = []
        if pending:
            raise DetectionError("E814", f"{len(pending)} scanned file(s) of a Spark task got no result")
        if rows:
            yield pd.DataFrame(rows, columns=IMAGE_COLUMNS)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if counters is not None:  # after the last row: a task that fails midway adds nothing
        counters[0].add(files)
        counters[1].add(pages)
        counters[2].add(covered)


IMAGE_COLUMNS = ["path", "kind", "content", "pages", "regions", "report", "error"]


def image_schema() -> Any:
    """The ``StructType`` of :func:`redact_images` rows.

    ``path``, ``kind`` (``png``, ``pdf``, ...), ``content`` (the redacted file, in the input's
    format), ``pages``, ``regions`` (array of ``page, box: array<int> [left, top, right, bottom],
    label, subtype, score, source``: the regions of the ``.json`` report, no text), ``report`` (the
    ``<stem>.json`` text ``deid image`` writes) and ``error`` (null unless a page was covered
    entirely because its OCR failed).
    """
    from pyspark.sql.types import (
        ArrayType,
        BinaryType,
        DoubleType,
        IntegerType,
        StringType,
        StructField,
        StructType,
    )

    region = StructType(
        [
            StructField("page", IntegerType(), False),
            StructField("box", ArrayType(IntegerType(), False), False),
            StructField("label", StringType(), False),
            StructField("subtype", StringType(), True),
            StructField("score", DoubleType(), False),
            StructField("source", StringType(), False),
        ]
    )
    return StructType(
        [
            StructField("path", StringType(), False),
            StructField("kind", StringType(), False),
            StructField("content", BinaryType(), False),
            StructField("pages", IntegerType(), False),
            StructField("regions", ArrayType(region, False), False),
            StructField("report", StringType(), False),
            StructField("error", StringType(), True),
        ]
    )


def redact_images(
    df: Any,
    image_config: ImageConfig | None = None,
    engine_config: EngineConfig | None = None,
    *,
    partitions: int | None = None,
    ship_artifact: bool = True,
    counters: Any = None,
) -> Any:
    """Redacted scans: one row per input file of a ``binaryFile`` DataFrame (see :func:`image_schema`).

    Args:
        df: ``spark.read.format("binaryFile").load(...)`` (only ``path`` and ``content`` are read).
        image_config: the image settings (default: as ``deid image``).
        engine_config: the text engine's settings (default: the embedded model, all layers).
        partitions: partitions to run on (default: the input's, at least Spark's default
            parallelism; the files are spread round-robin).
        ship_artifact: ship the artifact with ``addFile`` (see :func:`engine.spark.detect`).
        counters: optional ``(files, pages, covered_pages)`` accumulators.

    Returns:
        A lazy DataFrame; evaluating it raises the coded error of the first file that failed.

    Example: a row ``("file:/scans/page.png", <png bytes>)`` -> ``("file:/scans/page.png", "png",
    <redacted png bytes>, 1, [(1, [289, 179, 595, 229], "NAME", "PATIENT", 0.9945, "model"), ...],
    '{"input": "page.png", ...}', None)``.
    """
    from engine.spark.api import _require_pyspark
    from engine.spark.api import ship_artifact as ship

    _require_pyspark()
    try:
        import PIL  # noqa: F401 - the executors need the [image] extra: say so before any task starts
    except ImportError as e:
        raise missing_extra("Pillow", "image") from e
    cols = set(df.columns)
    if not {"path", "content"} <= cols:
        raise InputError(
            "E812",
            f"a DataFrame of scans needs 'path' and 'content' columns, got {sorted(cols)}",
            fix="Read the files with spark.read.format('binaryFile').load(...).",
        )
    if partitions is not None and partitions < 1:
        raise InputError(
            "E805", f"partitions must be >= 1, got {partitions}", fix="Pass --partitions 1 or more."
        )
    image_config = image_config or ImageConfig()
    engine_config = engine_config or EngineConfig()
    artifact = None
    if ship_artifact:
        artifact = ship(df.sparkSession, engine_config.model_dir)
    elif engine_config.model_dir:
        from engine.artifacts import load_artifacts

        load_artifacts(engine_config.model_dir)
    job = ImageSparkJob(image_config, engine_config, artifact)
    scans = df.select("path", "content")
    current = df.rdd.getNumPartitions()
    floor = df.sparkSession.sparkContext.defaultParallelism
    if partitions or current < floor:
        # subtle: binaryFile packs small files into few partitions (4 MB open cost each): spread them
        scans = scans.repartition(partitions or floor)

    def partition(batches: Any) -> Any:
        return run_image_partition(batches, job, counters)

    return scans.mapInPandas(partition, image_schema())


# ------------------------------------------------------------------ the driver's files
def list_scans(spark: Any, path: str) -> list[str]:
    """The files ``deid image`` would read for ``path``: a directory's supported files (sorted, not
    recursive), else the files a file path or glob matches; as URIs Spark can load.

    Raises:
        InputError: nothing matches (E614), a directory holds no supported file (E705), or two
            inputs would write the same output name (E708), as ``deid image``.
    """
    from engine.image.formats import KINDS
    from engine.spark.files import _fs

    fs, jpath = _fs(spark, path)
    matched = fs.globStatus(jpath)
    if not matched:
        raise InputError("E614", f"input not found: {path}")
    out: list[str] = []
    for status in matched:
        if status.isDirectory():
            found = sorted(
                s.getPath().toString()
                for s in fs.listStatus(status.getPath())
                if s.isFile() and Path(s.getPath().getName()).suffix.lower() in KINDS
            )
            if not found:
                raise InputError("E705", f"{path}: no PNG/JPEG/TIFF/PDF/DICOM files in the directory")
            out.extend(found)
        else:
            out.append(status.getPath().toString())
    names = [Path(file_name(p)) for p in out]
    dup = sorted({n.name for n in names if [m.name for m in names].count(n.name) > 1})
    dup += sorted({n.name for n in names if [m.stem for m in names].count(n.stem) > 1} - set(dup))
    if dup:
        raise InputError(
            "E708",
            f"several inputs would write the same output name: {', '.join(dup[:5])}",
            fix="Run them into different -o directories.",
        )
    return out


def _local(path: str) -> Path:
    """A ``file:`` URI or plain path as a local path (other schemes are returned as they are)."""
    from urllib.parse import urlparse

    u = urlparse(path)
    return Path(unquote(u.path)) if u.scheme == "file" else Path(path)


def write_images(spark: Any, df: Any, outdir: str, force: bool = False) -> list[dict[str, Any]]:
    """Write every row of :func:`redact_images` to the local directory ``outdir`` as ``deid image``
    does (``<name>`` in the input's format and ``<stem>.json``), all or nothing.

    The job runs in parallel into executor storage (``persist``), then the driver fetches one
    partition at a time into a hidden directory beside ``outdir`` (``.OUT.deid-tmp-<uuid>``), renamed
    into place only when every file is there; a failed job leaves nothing at ``outdir`` or beside it.
    Returns one ``deid image`` stdout record per file (``input``, ``ok``, ``pages``, ``output``,
    ``regions``).

    Raises:
        InputError: ``outdir`` exists and ``force`` is off (E621).
        DeidError: the job failed: the coded error a task raised (:func:`engine.spark.files.job_error`).
    """
    from pyspark import StorageLevel

    from engine.spark.files import job_error

    target = Path(outdir)
    if target.exists() and not force:
        raise InputError("E621", f"output {outdir} exists", fix="Pass --force to overwrite it.")
    if target.exists() and not target.is_dir():
        raise InputError("E708", f"-o {outdir} exists and is not a directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.deid-tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    lines: list[dict[str, Any]] = []
    cached = df.persist(StorageLevel.DISK_ONLY)
    try:
        cached.count()  # every task runs here, in parallel; a failed one fails this
        for row in cached.toLocalIterator():
            name = file_name(row["path"])
            (tmp / name).write_bytes(row["content"])
            (tmp / f"{Path(name).stem}.json").write_text(row["report"], encoding="utf-8")
            lines.append(
                {
                    "input": row["path"],
                    "ok": True,
                    "pages": row["pages"],
                    "output": str(target / name),
                    "regions": len(row["regions"]),
                }
            )
            covered = [pg["page"] for pg in json.loads(row["report"])["pages"] if pg["ocr"] == "failed"]
            if covered:
                lines[-1]["pages_covered_after_ocr_error"] = covered
    except Exception as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, OSError):
            raise WriteError("E709", f"cannot write into {outdir} ({type(e).__name__})") from e
        raise job_error(e) from e
    finally:
        cached.unpersist()
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)
    return lines


def run_cli(args: Any) -> int:
    """``deid spark image``: list the scans, redact them on Spark, write OUT as ``deid image`` does."""
    import argparse

    from engine.image.cli import build_configs
    from engine.spark.cli import session

    if args.partitions is not None and args.partitions < 1:
        raise InputError("E805", f"--partitions must be >= 1, got {args.partitions}", fix="Pass 1 or more.")
    ns = argparse.Namespace(**vars(args))
    ns.conf, ns.workers = args.ocr_conf, None  # --conf is Spark's here; OCR confidence is --ocr-conf
    image_cfg, engine_cfg = build_configs(ns)
    from pyspark.sql import SparkSession

    owned = SparkSession.getActiveSession() is None
    spark = session(args.master, args.conf)
    key = "spark.sql.execution.arrow.maxRecordsPerBatch"
    before = spark.conf.get(key, None)
    if not any(c.startswith(key + "=") for c in args.conf):
        spark.conf.set(key, "16")  # rows hold whole files: bound what a Python worker holds at once
    try:
        paths = list_scans(spark, args.input)
        out_abs = Path(os.path.abspath(args.output))
        for p in paths:
            local = Path(os.path.abspath(_local(p)))
            if local == out_abs or out_abs in local.parents:
                raise InputError("E620", "output directory is the input directory", fix="Choose another -o.")
        sc = spark.sparkContext
        counters = (sc.accumulator(0), sc.accumulator(0), sc.accumulator(0))
        scans = spark.read.format("binaryFile").load(paths)
        out = redact_images(
            scans,
            image_cfg,
            engine_cfg,
            partitions=args.partitions,
            ship_artifact=not args.shared_artifact,
            counters=counters,
        )
        lines = write_images(spark, out, args.output, args.force)
        files, pages, covered = (c.value for c in counters)
    finally:
        if owned:
            spark.stop()
        elif before is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, before)
    for line in sorted(lines, key=lambda d: d["input"]):
        if line.get("pages_covered_after_ocr_error"):
            pages_ = line["pages_covered_after_ocr_error"]
            sys.stderr.write(f"deid: warning: {line['input']}: OCR failed on pages {pages_}, covered\n")
        print(json.dumps(line), flush=True)
    sys.stderr.write(f"deid: wrote {args.output} ({files} file(s), {pages} page(s) processed)\n")
    if covered:
        sys.stderr.write(f"deid: {covered} page(s) were covered entirely after an OCR failure\n")
    return 0
