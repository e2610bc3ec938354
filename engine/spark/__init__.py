"""The engine on Apache Spark: the same :class:`~engine.pipeline.Deidentifier`, run inside executors.

``detect`` and ``redact`` take a DataFrame of notes (``id``, ``text``, optional ``group``) and return
a DataFrame with the fields of ``deid detect`` / ``deid redact`` records (spans as an array of
structs). Needs the ``spark`` extra (``pip install 'deid-engine[spark]'``: pyspark, pandas, pyarrow)
and Java 17; importing this package does not import pyspark. See docs/spark.md.

``redact_images`` takes a ``binaryFile`` DataFrame of scans (PNG/JPEG/TIFF/PDF/DICOM) and returns the
files ``deid image`` writes, with their regions (needs the ``image`` extra and Tesseract as well).

Example:
    >>> from engine.spark import redact                                     # doctest: +SKIP
    >>> notes = spark.read.parquet("hdfs:///archive/notes")                  # doctest: +SKIP
    >>> redact(notes, partitions=400).write.parquet("hdfs:///archive/redacted")  # doctest: +SKIP
"""

from __future__ import annotations

from engine.spark.api import detect, prepare, redact, ship_artifact
from engine.spark.images import redact_images

__all__ = ["detect", "prepare", "redact", "redact_images", "ship_artifact"]
