"""engine.spark.redact_images and ``deid spark image`` in local[2] mode: ``deid image``'s output, fail closed.

The shipped example scans (examples/scans: a one-page PNG and a three-page PDF) go through the
single-process ``deid image`` once (a module fixture); the Spark runs must give the same regions and
reports and files that decode to the same pixels.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyspark", reason="the [spark] extra is not installed (make install-spark)")
pytest.importorskip("PIL", reason="the [image] extra is not installed (make install-image)")
pytest.importorskip("pypdfium2", reason="the [image] extra is not installed (make install-image)")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java 17+ (not found)", allow_module_level=True)
if shutil.which("tesseract") is None:
    pytest.skip("Tesseract is not installed (make test installs it)", allow_module_level=True)

from engine import cli  # noqa: E402
from engine.errors import DeidError, InputError  # noqa: E402

SCANS = Path(__file__).resolve().parents[1] / "examples" / "scans"
NAMES = ("letter.pdf", "page.png")


@pytest.fixture(scope="module")
def spark() -> Any:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("deid-tests-images")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def local_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``deid image examples/scans -o OUT``: the single-process reference."""
    out = tmp_path_factory.mktemp("local") / "out"
    assert cli.main(["image", str(SCANS), "-o", str(out), "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["letter.json", "letter.pdf", "page.json", "page.png"]
    return out


def _report(text: str) -> dict[str, Any]:
    d = json.loads(text)
    d.pop("timings_s")
    return d


def _pixels(data: bytes, kind: str) -> list[tuple[str, tuple[int, int], bytes]]:
    """Each page of a PNG or PDF as (mode, size, raw pixels)."""
    import io

    from PIL import Image

    if kind == "png":
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            return [(im.mode, im.size, im.tobytes())]
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        pages = []
        for i in range(len(pdf)):
            im = pdf[i].render(scale=1.0).to_pil()
            pages.append((im.mode, im.size, im.tobytes()))
        return pages
    finally:
        pdf.close()


def test_spark_regions_and_pixels_are_the_single_process_pipeline(
    spark: Any, local_out: Path, tmp_path: Path
) -> None:
    from engine.spark import redact_images

    other = tmp_path / "other"  # a second page.png elsewhere: same name, its own row
    other.mkdir()
    shutil.copy(SCANS / "page.png", other / "page.png")
    df = spark.read.format("binaryFile").load([str(SCANS / n) for n in NAMES] + [str(other / "page.png")])
    rows = redact_images(df, partitions=3).collect()
    assert len(rows) == 3
    for row in rows:
        name = row["path"].rsplit("/", 1)[-1]
        want = _report((local_out / f"{Path(name).stem}.json").read_text(encoding="utf-8"))
        assert _report(row["report"]) == want
        # the regions column holds exactly the .json regions (no text in either)
        assert [r.asDict(recursive=True) for r in row["regions"]] == [
            r for p in want["pages"] for r in p["regions"]
        ]
        assert row["regions"] and row["error"] is None
        assert row["kind"] == want["kind"] and row["pages"] == len(want["pages"])
        got_px = _pixels(bytes(row["content"]), row["kind"])
        assert got_px == _pixels((local_out / name).read_bytes(), row["kind"])
        assert got_px != _pixels((SCANS / name).read_bytes(), row["kind"])  # something was covered


def test_a_corrupt_scan_fails_the_job_and_writes_nothing(spark: Any, tmp_path: Path) -> None:
    from engine.spark import redact_images
    from engine.spark.images import write_images

    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SCANS / "page.png", src / "page.png")
    (src / "broken.png").write_bytes((SCANS / "page.png").read_bytes()[:2000])  # truncated
    df = spark.read.format("binaryFile").load(str(src))
    out = tmp_path / "out"
    with pytest.raises(InputError) as e:
        write_images(spark, redact_images(df, partitions=2), str(out))
    assert e.value.code == "E701" and "broken.png" in str(e.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no output, no temporary directory
    # the CLI: exit 2, nothing at OUT or beside it
    assert cli.main(["spark", "image", str(src), "-o", str(out)]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_rows_without_bytes_or_columns_are_refused(spark: Any, tmp_path: Path) -> None:
    from engine.spark import redact_images
    from engine.spark.images import write_images

    with pytest.raises(InputError, match="E812"):
        redact_images(spark.createDataFrame([("a.png", "x")], "path string, body string"))
    df = spark.createDataFrame([("file:/scans/a.png", None)], "path string, content binary")
    with pytest.raises(DeidError) as e:
        write_images(spark, redact_images(df), str(tmp_path / "out"))
    assert e.value.code == "E813"
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_what_deid_image_writes(spark: Any, local_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "spark-out"
    assert cli.main(["spark", "image", str(SCANS), "-o", str(out), "--partitions", "2"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in local_out.iterdir())
    for name in NAMES:
        stem = Path(name).stem
        assert _report((out / f"{stem}.json").read_text(encoding="utf-8")) == _report(
            (local_out / f"{stem}.json").read_text(encoding="utf-8")
        )
    assert (out / "page.png").read_bytes() == (local_out / "page.png").read_bytes()
    assert _pixels((out / "letter.pdf").read_bytes(), "pdf") == _pixels(
        (local_out / "letter.pdf").read_bytes(), "pdf"
    )
    # an existing output needs --force; the output may not hold the inputs; names must be unique
    assert cli.main(["spark", "image", str(SCANS / "page.png"), "-o", str(out)]) == 2
    assert cli.main(["spark", "image", str(SCANS / "page.png"), "-o", str(out), "--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["page.json", "page.png"]
    assert cli.main(["spark", "image", str(out), "-o", str(out), "--force"]) == 2
    twin = tmp_path / "twin"
    twin.mkdir()
    shutil.copy(SCANS / "page.png", twin / "page.png")
    glob = f"{{{SCANS},{twin}}}/page.png"
    assert cli.main(["spark", "image", glob, "-o", str(tmp_path / "dup")]) == 2
    assert not (tmp_path / "dup").exists()


@pytest.mark.parametrize("policy", ["cover", "report"])
def test_a_page_whose_ocr_fails_is_covered_or_fails_the_task(monkeypatch: Any, policy: str) -> None:
    # the worker without Spark: an injected OCR that fails on every page
    import pandas as pd

    from engine.config import EngineConfig
    from engine.image.config import ImageConfig
    from engine.image.errors import OcrError
    from engine.image.pipeline import ImageDeidentifier
    from engine.spark import images

    def broken(*_: Any) -> list:
        raise OcrError("E711", "Tesseract exited with 1: (injected)")

    cfg = ImageConfig(on_ocr_error=policy, workers=1)
    deid = ImageDeidentifier(cfg, ocr=broken)
    monkeypatch.setattr(images, "images_for", lambda job: deid)
    frame = pd.DataFrame([{"path": "file:/scans/page.png", "content": (SCANS / "page.png").read_bytes()}])
    job = images.ImageSparkJob(cfg, EngineConfig())
    try:
        if policy == "report":
            with pytest.raises(OcrError, match="E711"):
                list(images.run_image_partition(iter([frame]), job))
            return
        [out] = list(images.run_image_partition(iter([frame]), job))
    finally:
        deid.close()
    row = out.iloc[0]
    assert row["error"].startswith("OCR failed, page covered entirely: page 1: [E711]")
    assert [(r["label"], r["source"]) for r in row["regions"]] == [("REDACTED", "ocr_error")]
    [(_, _, px)] = _pixels(row["content"], "png")
    assert set(px) == {0}  # every pixel black
