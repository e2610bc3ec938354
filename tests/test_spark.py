"""engine.spark in local[2] mode: the same results as the single-process engine, fail closed.

One SparkSession for the module (a JVM start costs seconds); one single-process reference run over
the same 300 realistic notes (tests/notes_factory.py) gives both the detect and the redact records.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyspark", reason="the [spark] extra is not installed (make install-spark)")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java 17+ (not found)", allow_module_level=True)

from engine import cli  # noqa: E402
from engine.errors import InputError  # noqa: E402
from engine.io import dumps_line  # noqa: E402
from engine.pipeline import Deidentifier  # noqa: E402
from tests.notes_factory import make_notes  # noqa: E402

N_NOTES = 300


@pytest.fixture(scope="module")
def spark() -> Any:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("deid-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def notes() -> list[dict[str, Any]]:
    return [{k: n[k] for k in ("id", "text", "group")} for n in make_notes(N_NOTES, seed=7)]


@pytest.fixture(scope="module")
def reference(notes: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """id -> (``deid detect`` line, ``deid redact`` line) from one single-process pass."""
    out = {}
    for r in Deidentifier().detect_many(notes, redact=True):
        detect = {k: v for k, v in r.to_dict().items() if k != "text"}
        out[r.id] = (dumps_line(detect), dumps_line(r.to_redacted_dict()))
    return out


def _lines(rows: list[Any]) -> dict[str, str]:
    """id -> the JSONL line of a collected detect/redact row (``error`` only when set)."""
    out = {}
    for row in rows:
        rec = row.asDict(recursive=True)
        if rec.get("error") is None:
            rec.pop("error")
        out[rec["id"]] = dumps_line(rec)
    return out


@pytest.fixture(scope="module")
def shuffled(spark: Any, notes: list[dict[str, Any]]) -> Any:
    """The notes in a random order over 3 input partitions: a patient's notes start out apart."""
    rows = notes[:]
    random.Random(3).shuffle(rows)
    return spark.createDataFrame(rows, "id string, text string, group string").repartition(3)


@pytest.fixture(scope="module")
def spark_detect(shuffled: Any) -> dict[str, str]:
    from engine.spark import detect

    return _lines(detect(shuffled, partitions=4).collect())


def test_detect_is_the_single_process_engine(spark_detect: dict[str, str], reference: dict) -> None:
    assert len(spark_detect) == N_NOTES
    assert sorted(spark_detect) == sorted(reference)
    mismatched = [i for i in reference if spark_detect[i] != reference[i][0]]
    assert mismatched == []


def test_redact_is_the_single_process_engine(spark: Any, notes: list, reference: dict) -> None:
    from engine.spark import redact

    df = spark.createDataFrame(notes, "id string, text string, group string")
    rows = redact(df, partitions=3).collect()
    got = _lines(rows)
    assert len(got) == N_NOTES
    assert [i for i in reference if got[i] != reference[i][1]] == []
    assert all(json.loads(line)["text"] for line in got.values())


def test_grouped_notes_propagate_as_in_one_process(
    spark_detect: dict[str, str], reference: dict, notes: list
) -> None:
    # The shuffled input put a patient's notes in different partitions; the Spark plan brought them
    # together. Spans that only exist because another note of the group taught the term:
    half = [{"id": n["id"], "text": n["text"]} for n in notes[: N_NOTES // 2]]  # enough cases, half the time
    alone = {r.id: r for r in Deidentifier().detect_many(half)}
    taught = [i for i in alone if json.loads(reference[i][0])["spans"] != alone[i].to_dict()["spans"]]
    assert taught, "the notes should hold cross-note propagation cases"
    assert [i for i in taught if spark_detect[i] != reference[i][0]] == []


def test_redact_options_match_the_local_records(spark: Any, notes: list) -> None:
    from engine.spark import redact

    few = notes[:20]
    want = {
        r.id: dumps_line(r.to_redacted_dict(True, True)) for r in Deidentifier().detect_many(few, redact=True)
    }
    df = spark.createDataFrame(few, "id string, text string, group string")
    assert _lines(redact(df, include_phi=True, original_offsets=True).collect()) == want


def test_the_artifact_is_shipped_once_and_read_from_spark_files(spark: Any) -> None:
    from pyspark import SparkFiles

    from engine.config import EngineConfig
    from engine.spark import ship_artifact
    from engine.spark.worker import SparkJob, resolved_config

    name = ship_artifact(spark, None)
    assert name.startswith("deid-artifact-") and ship_artifact(spark, None) == name  # content-addressed, once
    job = SparkJob(EngineConfig(), artifact=name)

    def where(_: Any) -> Any:
        config = resolved_config(job)
        yield (config.model_dir.startswith(SparkFiles.getRootDirectory()), config.runtime.threads)

    assert set(spark.sparkContext.parallelize(range(2), 2).mapPartitions(where).collect()) == {(True, 1)}


def test_a_failing_task_fails_the_job_and_writes_nothing(spark: Any, tmp_path: Path, notes: list) -> None:
    from engine.spark import detect
    from engine.spark.files import write_output

    rows = [*notes[:40], {"id": "bad", "text": None, "group": "p1"}, *notes[40:60]]
    df = spark.createDataFrame(rows, "id string, text string, group string")
    out = tmp_path / "spans.parquet"
    with pytest.raises(InputError) as e:
        write_output(spark, detect(df, partitions=2), str(out), "parquet")
    assert e.value.code == "E801"
    assert list(tmp_path.iterdir()) == []  # no output, and no temporary directory left beside it


def test_a_missing_text_column_is_refused(spark: Any) -> None:
    from engine.spark import detect

    with pytest.raises(InputError, match="E804"):
        detect(spark.createDataFrame([("n1", "x")], "id string, body string"))


def test_a_partition_is_one_stream_across_arrow_batches(notes: list) -> None:
    # Arrow batch boundaries fall inside patients' groups here; the worker must not split them.
    import pandas as pd

    from engine.config import EngineConfig
    from engine.spark.worker import SparkJob, engine_for, run_partition

    few = notes[:12]
    job = SparkJob(EngineConfig(), batch_rows=5)
    frames = [pd.DataFrame(few[i : i + 2]) for i in range(0, len(few), 2)]
    got = pd.concat(list(run_partition(iter(frames), job)))
    assert engine_for(job) is engine_for(job)  # one engine per Python worker, reused by every task
    want = [{k: v for k, v in r.to_dict().items() if k != "text"} for r in engine_for(job).detect_many(few)]
    assert list(got["id"]) == [w["id"] for w in want]
    assert [list(s) for s in got["spans"]] == [w["spans"] for w in want]


# ------------------------------------------------------------------ the CLI
def _write_jsonl(path: Path, notes: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(n) + "\n" for n in notes), encoding="utf-8")


def _parts(out: Path) -> list[str]:
    assert (out / "_SUCCESS").exists()
    return [
        line for p in sorted(out.glob("part-*")) for line in p.read_text(encoding="utf-8").splitlines(True)
    ]


def _by_id(lines: list[str]) -> list[str]:
    return sorted(lines, key=lambda line: json.loads(line)["id"])


@pytest.mark.parametrize("command", ["detect", "redact"])
def test_cli_jsonl_output_equals_the_local_command(
    spark: Any, tmp_path: Path, notes: list, command: str
) -> None:
    src = tmp_path / "notes.jsonl"
    _write_jsonl(src, notes[:80])
    assert cli.main([command, str(src), "-o", str(tmp_path / "local.jsonl"), "-q"]) == 0
    out = tmp_path / "spark.jsonl"
    assert cli.main(["spark", command, str(src), "-o", str(out), "--partitions", "2"]) == 0
    local = (tmp_path / "local.jsonl").read_text(encoding="utf-8").splitlines(True)
    assert len(local) == 80
    assert "".join(_by_id(_parts(out))) == "".join(_by_id(local))


def test_cli_text_directory_equals_deid_detect(spark: Any, tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[1] / "examples"
    assert cli.main(["detect", str(examples), "-o", str(tmp_path / "local.jsonl"), "-q"]) == 0
    assert cli.main(["spark", "detect", str(examples), "-o", str(tmp_path / "spark.jsonl")]) == 0
    local = (tmp_path / "local.jsonl").read_text(encoding="utf-8").splitlines(True)
    assert "".join(_by_id(_parts(tmp_path / "spark.jsonl"))) == "".join(_by_id(local))


def test_cli_parquet_roundtrip_and_refusals(spark: Any, tmp_path: Path, notes: list, reference: dict) -> None:
    src = tmp_path / "notes.parquet"
    spark.createDataFrame(notes[:20], "id string, text string, group string").write.parquet(str(src))
    out = tmp_path / "redacted.parquet"
    assert cli.main(["spark", "redact", str(src), "-o", str(out)]) == 0
    got = _lines(spark.read.parquet(str(out)).collect())
    assert got == {n["id"]: reference[n["id"]][1] for n in notes[:20]}
    # an existing output needs --force; a malformed JSONL line fails the job: exit 2, nothing written
    assert cli.main(["spark", "redact", str(src), "-o", str(out)]) == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(notes[0]) + "\n{not json\n", encoding="utf-8")
    assert cli.main(["spark", "detect", str(bad), "-o", str(tmp_path / "bad-out")]) == 2
    assert not [p for p in tmp_path.iterdir() if "bad-out" in p.name]


def test_spark_subcommand_registers_without_pyspark() -> None:
    code = (
        "import sys\n"
        "for m in ('pyspark', 'pandas', 'pyarrow'): sys.modules[m] = None\n"
        "from engine.cli import build_parser, main\n"
        "sub = [a for a in build_parser()._actions if a.dest == 'command'][0]\n"
        "assert 'spark' in sub.choices\n"
        "sys.exit(main(['spark', 'detect', 'x.jsonl', '-o', 'y']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "deid-engine[spark]" in proc.stderr
