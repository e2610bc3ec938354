"""Spark schemas of the output rows: the fields of ``deid detect`` / ``deid redact`` records.

``detect``: ``id``, ``spans`` (array of ``start, end, label, subtype, score, source, text``; offsets
into the original note, ``text`` the mention, so these rows hold PHI, as ``deid detect`` does),
``error``. ``redact``: ``id``, ``text`` (the redacted note), ``spans`` (offsets into the redacted
text, no original text unless ``include_phi``), ``error``. ``error`` is null unless
``on_error="redact_all"`` redacted the note entirely.

Example:
    >>> detect_schema().simpleString()                                  # doctest: +SKIP
    'struct<id:string,spans:array<struct<start:int,end:int,label:string,...>>,error:string>'
"""

from __future__ import annotations

from typing import Any


def _span_fields(redact: bool, include_phi: bool, original_offsets: bool) -> list[Any]:
    from pyspark.sql.types import DoubleType, IntegerType, StringType, StructField

    fields = [
        StructField("start", IntegerType(), False),
        StructField("end", IntegerType(), False),
        StructField("label", StringType(), False),
        StructField("subtype", StringType(), True),
        StructField("score", DoubleType(), False),
        StructField("source", StringType(), False),
    ]
    if not redact:
        fields.append(StructField("text", StringType(), False))
        return fields
    if original_offsets:
        fields += [
            StructField("orig_start", IntegerType(), False),
            StructField("orig_end", IntegerType(), False),
        ]
    if include_phi:
        fields.append(StructField("phi", StringType(), False))
    return fields


def detect_schema() -> Any:
    """The ``StructType`` of :func:`engine.spark.detect` rows."""
    from pyspark.sql.types import ArrayType, StringType, StructField, StructType

    spans = ArrayType(StructType(_span_fields(False, False, False)), False)
    return StructType(
        [
            StructField("id", StringType(), False),
            StructField("spans", spans, False),
            StructField("error", StringType(), True),
        ]
    )


def redact_schema(include_phi: bool = False, original_offsets: bool = False) -> Any:
    """The ``StructType`` of :func:`engine.spark.redact` rows."""
    from pyspark.sql.types import ArrayType, StringType, StructField, StructType

    spans = ArrayType(StructType(_span_fields(True, include_phi, original_offsets)), False)
    return StructType(
        [
            StructField("id", StringType(), False),
            StructField("text", StringType(), False),
            StructField("spans", spans, False),
            StructField("error", StringType(), True),
        ]
    )


def jsonl_schema() -> Any:
    """One ``value`` string column: the JSONL line (what ``DataFrameWriter.text`` writes)."""
    from pyspark.sql.types import StringType, StructField, StructType

    return StructType([StructField("value", StringType(), False)])
