"""Bad inputs (corrupt image, page-less and encrypted PDFs, a 1-pixel image, ...): a clear coded error
per file while the others are processed; CLI exit codes; OCR and engine failures fail closed; pages of
one file share a group; the label whitelist; the JSON report holds no text."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("PIL")
pytest.importorskip("pypdfium2")

from PIL import Image  # noqa: E402

from engine.errors import DetectionError  # noqa: E402
from engine.image.config import ImageConfig, OcrConfig  # noqa: E402
from engine.image.errors import OcrError  # noqa: E402
from engine.image.ocr import Word  # noqa: E402
from engine.image.pipeline import ImageDeidentifier  # noqa: E402
from engine.image.synth import note_lines, render_page  # noqa: E402
from engine.types import Document, Result, Span  # noqa: E402

HAS_TESSERACT = shutil.which("tesseract") is not None
needs_tesseract = pytest.mark.skipif(
    not HAS_TESSERACT, reason="Tesseract is not installed (make test does it)"
)

# ----------------------------------------------------------------------------- fakes


def fake_words(image: Image.Image, cfg: OcrConfig, dpi: int | None) -> list[Word]:
    """'Patient: Harold Quimby' / 'MRN 4482913 (uncertain)' / 'stable ~' whatever the page shows."""
    return [
        Word("Patient:", (10, 10, 90, 30), 96, (1, 1, 1), 0),
        Word("Harold", (100, 10, 160, 30), 95, (1, 1, 1), 1),
        Word("Quimby", (170, 10, 230, 30), 94, (1, 1, 1), 2),
        Word("MRN", (10, 40, 50, 60), 96, (1, 1, 2), 3),
        Word("4482913", (60, 40, 130, 60), 95, (1, 1, 2), 4),
        Word("~", (140, 40, 150, 60), 20, (1, 1, 2), 5),
        Word("stable", (10, 70, 70, 90), 93, (1, 1, 3), 6),
    ]


class FakeEngine:
    """Finds ``Harold``/``Quimby`` (NAME) and 7-digit numbers (ID); records the documents it saw."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.seen: list[Document] = []

    def detect_many(self, docs: Iterable[Document]) -> Iterator[Result]:
        for d in docs:
            if self.fail:
                raise DetectionError("E503", "de-identification failed on documents ['p1']")
            self.seen.append(d)
            spans = [
                Span(m.start(), m.end(), "NAME", "PATIENT", 0.99, "model")
                for m in re.finditer(r"Harold Quimby|Harold|Quimby", d.text)
            ]
            spans += [
                Span(m.start(), m.end(), "ID", None, 0.9, "regex") for m in re.finditer(r"\d{7}", d.text)
            ]
            yield Result(d.id, d.text, tuple(sorted(spans, key=lambda s: s.start)), group=d.group)


def _deid(
    engine: object | None = None, ocr: Callable | None = fake_words, **cfg: object
) -> ImageDeidentifier:
    return ImageDeidentifier(ImageConfig(workers=2, **cfg), deidentifier=engine or FakeEngine(), ocr=ocr)


def _page(path: Path, size: tuple[int, int] = (300, 120)) -> Path:
    Image.new("RGB", size, "white").save(path)
    return path


# ----------------------------------------------------------------------------- bad input files


def _corrupt_png(p: Path) -> None:
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))


def _truncated_jpeg(p: Path) -> None:
    Image.new("RGB", (200, 100), "white").save(p.with_suffix(".tmp.jpg"))
    p.write_bytes(p.with_suffix(".tmp.jpg").read_bytes()[:120])


def _zero_page_pdf(p: Path) -> None:
    import pypdfium2 as pdfium

    pdfium.PdfDocument.new().save(p)


def _pdf(objs: list[bytes], trailer: bytes = b"") -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += (
        b"trailer\n<< /Size %d /Root 1 0 R " % (len(objs) + 1)
        + trailer
        + b">>\nstartxref\n%d\n%%%%EOF\n" % xref
    )
    return bytes(out)


def _encrypted_pdf(p: Path) -> None:
    """A PDF under the standard security handler whose user password is not empty."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <" + b"5a" * 32 + b"> /U <" + b"c3" * 32 + b"> /P -4 >>",
    ]
    p.write_bytes(_pdf(objs, b"/Encrypt 4 0 R /ID [<" + b"ab" * 16 + b"> <" + b"ab" * 16 + b">] "))


BAD = [
    ("corrupt.png", _corrupt_png, "E701"),
    ("truncated.jpg", _truncated_jpeg, "E701"),
    ("garbage.pdf", lambda p: p.write_bytes(b"%PDF-1.4\nnot really\n"), "E701"),
    ("empty.pdf", _zero_page_pdf, "E702"),
    ("locked.pdf", _encrypted_pdf, "E703"),
    ("dot.png", lambda p: _page(p, (1, 1)), "E704"),
    ("notes.txt", lambda p: p.write_text("Patient: Harold Quimby"), "E705"),
    ("missing.png", lambda p: None, "E706"),
]


def _bad_inputs(tmp_path: Path) -> list[Path]:
    src = tmp_path / "in"
    src.mkdir(exist_ok=True)
    paths = []
    for name, make, _ in BAD:
        make(src / name)
        paths.append(src / name)
    return paths


def test_bad_inputs_get_a_coded_error_each_and_the_good_one_is_written(tmp_path: Path) -> None:
    paths = _bad_inputs(tmp_path)
    good = _page(tmp_path / "in" / "good.png")
    with _deid() as deid:
        reports = list(deid.redact_files([*paths[:4], good, *paths[4:]], tmp_path / "out"))
    by_name = {r.input.name: r for r in reports}
    assert len(reports) == len(BAD) + 1
    assert by_name["good.png"].ok and (tmp_path / "out" / "good.png").is_file()
    for name, _, code in BAD:
        r = by_name[name]
        assert not r.ok and r.bad_input, name
        assert r.error is not None and r.error.startswith(f"[{code}] {name}"), (name, r.error)
        assert not (tmp_path / "out" / name).exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good.json", "good.png"]


@needs_tesseract
def test_bad_inputs_beside_a_real_page_with_tesseract(tmp_path: Path) -> None:
    paths = _bad_inputs(tmp_path)
    page = render_page(note_lines(random.Random(2), clinical=1), dpi=150, pt=12)
    good = tmp_path / "in" / "scan.png"
    page.image.save(good, dpi=(150, 150))
    with ImageDeidentifier(ImageConfig(workers=2)) as deid:
        reports = list(deid.redact_files([*paths, good], tmp_path / "out"))
    assert [r.ok for r in reports] == [False] * len(BAD) + [True]
    assert len(reports[-1].pages[0].regions) >= len(set(page.phi_strings)) - 2


# ----------------------------------------------------------------------------- CLI exit codes


def _cli(*argv: str) -> int:
    from engine.cli import main

    return main(["image", *argv, "-q"])


@needs_tesseract
def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    good = _page(src / "page.png")
    _corrupt_png(src / "bad.png")
    out = tmp_path / "out"
    assert _cli(str(good), "-o", str(out)) == 0
    assert (out / "page.png").is_file() and (out / "page.json").is_file()
    assert _cli(str(good), "-o", str(out)) == 2  # exists: needs --force
    assert _cli(str(good), str(src / "bad.png"), "-o", str(out), "--force") == 4
    assert _cli(str(src / "bad.png"), "-o", str(out)) == 2
    assert _cli(str(good), "-o", str(src)) == 2  # would overwrite the input
    assert _cli(str(good), "-o", str(out), "--force", "--set", "image.ocr.psm=99") == 2
    assert _cli(str(src), "-o", str(tmp_path / "dir"), "--on-ocr-error", "report") == 4  # a directory
    missing = "image.ocr.tesseract_cmd=/nonexistent/tesseract"
    assert _cli(str(good), "-o", str(tmp_path / "o3"), "--set", missing) == 3
    assert _cli(str(good), "-o", str(tmp_path / "o4"), "--set", "image.ocr.lang=eng+zzz") == 3  # no data
    err = capsys.readouterr().err
    assert "[E701] bad.png" in err and "[E708]" in err and "[E710]" in err and "[E714]" in err
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.strip()]
    assert all("ok" in x for x in lines)


# ----------------------------------------------------------------------------- fail closed


def test_ocr_failure_covers_the_page_or_fails_the_file(tmp_path: Path) -> None:
    calls = {"n": 0}

    def flaky(image: Image.Image, cfg: OcrConfig, dpi: int | None) -> list[Word]:
        calls["n"] += 1
        if image.getpixel((0, 0)) < 128:  # the dark page fails
            raise OcrError("E711", "Tesseract exited with 1: simulated")
        return fake_words(image, cfg, dpi)

    src = tmp_path / "scan.tiff"
    light, dark = Image.new("L", (300, 120), 255), Image.new("L", (300, 120), 100)
    light.save(src, save_all=True, append_images=[dark])
    with _deid(ocr=flaky) as deid:
        [rep] = list(deid.redact_files([src], tmp_path / "cover"))
    assert rep.ok and [p.ocr for p in rep.pages] == ["ok", "failed"]
    failed = rep.pages[1]
    assert [r.box for r in failed.regions] == [(0, 0, 300, 120)] and failed.regions[0].source == "ocr_error"
    with Image.open(tmp_path / "cover" / "scan.tiff") as tif:
        tif.seek(1)
        assert tif.getextrema() == (0, 0)  # the whole failed page is filled
    with _deid(ocr=flaky, on_ocr_error="report") as deid:
        [rep] = list(deid.redact_files([src], tmp_path / "report"))
    assert not rep.ok and not rep.bad_input and "E711" in (rep.error or "")
    assert list((tmp_path / "report").iterdir()) == []


def test_engine_failure_writes_nothing(tmp_path: Path) -> None:
    with _deid(engine=FakeEngine(fail=True)) as deid:
        [rep] = list(deid.redact_files([_page(tmp_path / "p.png")], tmp_path / "out"))
    assert not rep.ok and "E503" in (rep.error or "")
    assert list((tmp_path / "out").iterdir()) == []


# ----------------------------------------------------------------------------- mapping in the pipeline


def test_pages_of_a_file_share_a_group_that_is_not_the_file_name(tmp_path: Path) -> None:
    a, b = tmp_path / "Quimby_Harold.tiff", tmp_path / "b.png"
    Image.new("L", (300, 120), 255).save(a, save_all=True, append_images=[Image.new("L", (300, 120), 255)])
    _page(b)
    engine = FakeEngine()
    with _deid(engine=engine) as deid:
        assert all(r.ok for r in deid.redact_files([a, b], tmp_path / "out"))
    groups = [d.group for d in engine.seen]
    assert len(groups) == 3 and groups[0] == groups[1] != groups[2]
    assert all(g and "Quimby" not in g for g in groups)


def test_regions_whitelist_uncertain_words_and_no_text_in_the_report(tmp_path: Path) -> None:
    with _deid() as deid:
        [rep] = list(deid.redact_files([_page(tmp_path / "p.png")], tmp_path / "all"))
    regions = rep.pages[0].regions
    assert [(r.label, r.source) for r in regions] == [
        ("NAME", "model"),
        ("ID", "regex"),
        ("ID", "ocr_low_conf"),
    ]
    assert regions[0].box == (97, 7, 233, 33)  # Harold..Quimby on one line, padded by 3
    assert regions[2].box == (137, 37, 153, 63)  # the uncertain '~' right after the MRN
    text = (tmp_path / "all" / "p.json").read_text()
    assert not any(s in text for s in ("Harold", "Quimby", "4482913", "Patient", "stable"))
    with _deid(labels=("NAME",)) as deid:
        [rep] = list(deid.redact_files([_page(tmp_path / "p.png")], tmp_path / "names"))
    assert [r.label for r in rep.pages[0].regions] == ["NAME"]


def test_fill_colour_and_padding_are_configurable(tmp_path: Path) -> None:
    from engine.image.config import DrawConfig

    with _deid(draw=DrawConfig(color="#808080", padding=0)) as deid:
        [rep] = list(deid.redact_files([_page(tmp_path / "p.png")], tmp_path / "out"))
    assert rep.pages[0].regions[0].box == (100, 10, 230, 30)
    with Image.open(tmp_path / "out" / "p.png") as im:
        assert im.getpixel((150, 20)) == (128, 128, 128) and im.getpixel((99, 20)) == (255, 255, 255)


def test_unexpected_ocr_exception_fails_the_page_closed(tmp_path: Path) -> None:
    def broken(image: Image.Image, cfg: OcrConfig, dpi: int | None) -> list[Word]:
        raise MemoryError

    with _deid(ocr=broken) as deid:
        [rep] = list(deid.redact_files([_page(tmp_path / "p.png")], tmp_path / "out"))
    assert rep.ok and rep.pages[0].ocr == "failed" and "MemoryError" in (rep.pages[0].error or "")
    with Image.open(tmp_path / "out" / "p.png") as im:
        assert im.getextrema() == ((0, 0), (0, 0), (0, 0))


def test_unwritable_output_fails_that_file_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.image.pipeline as pipeline

    real = pipeline.write_scan

    def flaky(scan, pages, out):  # noqa: ANN001, ANN202
        if scan.path.name == "a.png":
            raise OSError(28, "No space left on device")
        real(scan, pages, out)

    monkeypatch.setattr(pipeline, "write_scan", flaky)
    with _deid() as deid:
        reps = list(
            deid.redact_files([_page(tmp_path / "a.png"), _page(tmp_path / "b.png")], tmp_path / "out")
        )
    assert [r.ok for r in reps] == [False, True]
    assert (reps[0].error or "").startswith("[E709] a.png") and not reps[0].bad_input
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["b.json", "b.png"]


class RedactAllEngine(FakeEngine):
    """What the engine returns with on_error='redact_all': one REDACTED span over the page text."""

    def detect_many(self, docs: Iterable[Document]) -> Iterator[Result]:
        for d in docs:
            yield Result(
                d.id, d.text, (Span(0, len(d.text), "REDACTED", None, 1.0, "on_error"),), error="[E503]"
            )


def test_engine_redact_all_covers_every_word_whatever_the_whitelist(tmp_path: Path) -> None:
    with _deid(engine=RedactAllEngine(), labels=("NAME",)) as deid:
        [rep] = list(deid.redact_files([_page(tmp_path / "p.png")], tmp_path / "out"))
    regions = rep.pages[0].regions
    assert {r.label for r in regions} == {"REDACTED"}
    words = fake_words(Image.new("L", (1, 1)), OcrConfig(), None)
    for w in words:
        assert any(r.box[0] <= w.box[0] and r.box[2] >= w.box[2] and r.box[1] <= w.box[1] for r in regions)


def test_animated_png_keeps_its_frames(tmp_path: Path) -> None:
    src = tmp_path / "anim.png"
    frames = [Image.new("RGB", (300, 120), c) for c in ("white", "yellow")]
    frames[0].save(src, save_all=True, append_images=frames[1:])
    with _deid() as deid:
        [rep] = list(deid.redact_files([src], tmp_path / "out"))
    assert rep.ok and len(rep.pages) == 2
    with Image.open(tmp_path / "out" / "anim.png") as im:
        assert getattr(im, "n_frames", 1) == 2


def test_a_bad_model_stops_the_run_with_exit_code_3(tmp_path: Path) -> None:
    assert (
        _cli(str(_page(tmp_path / "p.png")), "-o", str(tmp_path / "out"), "--model", str(tmp_path / "nope"))
        == 3
    )
    assert not (tmp_path / "out" / "p.png").exists()


def test_pdf_pages_are_rendered_on_demand_and_written_page_by_page(tmp_path: Path) -> None:
    from engine.image.formats import read_scan

    src = tmp_path / "long.pdf"
    pages = [Image.new("L", (300, 150), 255) for _ in range(3)]
    pages[0].save(src, "PDF", save_all=True, append_images=pages[1:], resolution=100.0)
    scan = read_scan(src, dpi=200)
    try:
        assert scan.pages == () and scan.n_pages == 3  # nothing rendered up front
        assert scan.page_sizes() == ((600, 300),) * 3
        assert scan.page(2).size == (600, 300) and scan.page(2).mode == "L"  # grey page kept grey
    finally:
        scan.close()
    with _deid(on_ocr_error="cover") as deid:
        [rep] = list(deid.redact_files([src], tmp_path / "out"))
    assert rep.ok and len(rep.pages) == 3
    import pypdfium2 as pdfium

    out = pdfium.PdfDocument(tmp_path / "out" / "long.pdf")
    assert len(out) == 3 and out[1].get_size() == pytest.approx((216.0, 108.0), abs=0.5)


def test_report_policy_on_a_pdf_waits_for_pages_still_in_ocr(tmp_path: Path) -> None:
    import threading
    import time

    lock, seen = threading.Lock(), []

    def first_fails(image: Image.Image, cfg: OcrConfig, dpi: int | None) -> list[Word]:
        with lock:
            seen.append(1)
            first = len(seen) == 1
        if first:
            raise OcrError("E711", "Tesseract exited with 1: simulated")
        time.sleep(0.2)  # still in OCR when the file is given up
        return fake_words(image, cfg, dpi)

    src = tmp_path / "doc.pdf"
    pages = [Image.new("L", (300, 150), 255) for _ in range(4)]
    pages[0].save(src, "PDF", save_all=True, append_images=pages[1:], resolution=100.0)
    ok = _page(tmp_path / "after.png")
    with _deid(ocr=first_fails, on_ocr_error="report") as deid:
        reps = list(deid.redact_files([src, ok], tmp_path / "out"))
    assert [r.ok for r in reps] == [False, True] and "E711" in (reps[0].error or "")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["after.json", "after.png"]


def test_count_pages_for_the_progress_total(tmp_path: Path) -> None:
    from engine.image.formats import count_pages

    tif = tmp_path / "a.tiff"
    Image.new("L", (20, 20), 255).save(tif, save_all=True, append_images=[Image.new("L", (20, 20), 255)] * 2)
    pdf = tmp_path / "b.pdf"
    Image.new("L", (20, 20), 255).save(
        pdf, "PDF", save_all=True, append_images=[Image.new("L", (20, 20), 255)]
    )
    _corrupt_png(tmp_path / "c.png")
    counts = [
        count_pages(p) for p in (tif, pdf, tmp_path / "c.png", _page(tmp_path / "d.png"), tmp_path / "e.txt")
    ]
    assert counts == [3, 2, 0, 1, 0]


def test_jpeg_exif_orientation_is_applied_and_metadata_dropped(tmp_path: Path) -> None:
    src = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    exif[0x010E] = "Harold Quimby discharge photo"  # ImageDescription: PHI in metadata
    Image.new("RGB", (120, 300), "white").save(src, exif=exif.tobytes())
    with _deid() as deid:
        [rep] = list(deid.redact_files([src], tmp_path / "out"))
    assert rep.ok and (rep.pages[0].width, rep.pages[0].height) == (300, 120)  # upright
    data = (tmp_path / "out" / "phone.jpg").read_bytes()
    assert b"Quimby" not in data
    with Image.open(tmp_path / "out" / "phone.jpg") as im:
        assert im.size == (300, 120) and not im.getexif()


def test_no_metadata_survives_in_any_output_format(tmp_path: Path) -> None:
    from PIL import PngImagePlugin, TiffImagePlugin

    src = tmp_path / "in"
    src.mkdir()
    im = Image.new("RGB", (300, 120), "white")
    im.save(src / "c.jpg", comment=b"Harold Quimby")
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Harold Quimby")
    info.add_itxt("Comment", "Harold Quimby")
    im.save(src / "p.png", pnginfo=info)
    ifd = TiffImagePlugin.ImageFileDirectory_v2()
    ifd[270], ifd[315] = "Harold Quimby", "Dr Quimby"  # ImageDescription, Artist
    im.save(src / "t.tiff", tiffinfo=ifd)
    im.save(src / "d.pdf", title="Harold Quimby", author="Quimby")
    import pypdfium2 as pdfium

    def meta(pdf: Path) -> str:
        doc = pdfium.PdfDocument(pdf)
        try:
            return str(doc.get_metadata_dict())
        finally:
            doc.close()

    for f in (src / "c.jpg", src / "p.png", src / "t.tiff"):
        assert b"Quimby" in f.read_bytes(), f.name  # the inputs do carry it
    assert "Quimby" in meta(src / "d.pdf")
    with _deid(ocr=lambda image, cfg, dpi: []) as deid:
        assert all(r.ok for r in deid.redact_files(sorted(src.iterdir()), tmp_path / "out"))
    outs = sorted((tmp_path / "out").iterdir())
    assert len(outs) == 8
    assert [f.name for f in outs if b"Quimby" in f.read_bytes()] == []
    assert "Quimby" not in meta(tmp_path / "out" / "d.pdf")


class ForgetfulEngine(FakeEngine):
    """Drops the result of every second document: the image path must not write such a file."""

    def detect_many(self, docs: Iterable[Document]) -> Iterator[Result]:
        for i, r in enumerate(super().detect_many(docs)):
            if i % 2 == 0:
                yield r


def test_a_page_without_an_engine_result_fails_the_file(tmp_path: Path) -> None:
    src = tmp_path / "two.tiff"
    Image.new("L", (300, 120), 255).save(src, save_all=True, append_images=[Image.new("L", (300, 120), 255)])
    with _deid(engine=ForgetfulEngine()) as deid:
        [rep] = list(deid.redact_files([src], tmp_path / "out"))
    assert not rep.ok and (rep.error or "").startswith("[E716]")
    assert list((tmp_path / "out").iterdir()) == []


def test_pages_above_max_dpi_reach_ocr_scaled_and_boxes_come_back_scaled(tmp_path: Path) -> None:
    seen: list[tuple[tuple[int, int], int | None]] = []

    def recording(image: Image.Image, cfg: OcrConfig, dpi: int | None) -> list[Word]:
        seen.append((image.size, dpi))
        return fake_words(image, cfg, dpi)

    src = tmp_path / "fine.png"
    Image.new("RGB", (1200, 600), "white").save(src, dpi=(600, 600))
    with ImageDeidentifier(
        ImageConfig(workers=1, ocr=OcrConfig(max_dpi=300)), deidentifier=FakeEngine(), ocr=recording
    ) as deid:
        [rep] = list(deid.redact_files([src], tmp_path / "out"))
    assert seen == [((600, 300), 300)]
    assert rep.pages[0].regions[0].box == (197, 17, 463, 63)  # (100, 10, 230, 30) x 2, padded by 3
