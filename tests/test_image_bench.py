"""benchmarks/image.py on one rendered page: the report's fields, a zero leak rate, its markdown."""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("PIL")
if shutil.which("tesseract") is None:
    pytest.skip("Tesseract is not installed (make test installs it)", allow_module_level=True)


def test_image_benchmark_on_one_page() -> None:
    from engine.benchmarks.image import markdown, run

    report = run(1, workers=1, seed=3, threads_section=False)
    assert report["pages"] == 1 and report["failed"] == []
    assert report["pages_per_s"] > 0 and report["cpu_s_per_page"] > 0
    assert {"load", "ocr", "engine", "draw", "write"} <= set(report["split_s"])
    quality = report["quality"]
    assert quality["phi_strings_planted"] > 5
    assert quality["phi_strings_reocrd"] == 0 and quality["uncovered_words"] == 0
    assert quality["readable_min"] >= 0.9
    text = markdown(report)
    assert "pages/s" in text and "leak rate" in text
