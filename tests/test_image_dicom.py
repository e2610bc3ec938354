"""DICOM pixel data: frames redacted in place (12-bit MONOCHROME2, MONOCHROME1), the identifying
header emptied, compressed pixel data refused."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("PIL")
pydicom = pytest.importorskip("pydicom")

from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.uid import (  # noqa: E402
    ExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from engine.image.config import ImageConfig  # noqa: E402
from engine.image.pipeline import ImageDeidentifier  # noqa: E402
from engine.image.synth import leaked, note_lines, phi_coverage, render_page  # noqa: E402


def _dicom(
    path: Path, frame: np.ndarray, photometric: str = "MONOCHROME2", syntax: str = ExplicitVRLittleEndian
) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = "Quimby^Harold", "4482913", "19580722"
    ds.InstitutionName, ds.Modality = "Mercy Hospital", "OT"
    ds.add_new(0x00091010, "LO", "private note about Harold Quimby")
    ds.Rows, ds.Columns = frame.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    if syntax == ExplicitVRLittleEndian:
        ds.PixelData = frame.astype(np.uint16).tobytes()
    else:
        from pydicom.encaps import encapsulate

        ds.PixelData = encapsulate([b"\xff\xd8 not a real JPEG"])
        ds["PixelData"].VR = "OB"
    ds.save_as(path, enforce_file_format=True)


def _fake_ocr(image, cfg, dpi):  # noqa: ANN001, ANN202 - the OcrFn signature
    from engine.image.ocr import Word

    return [
        Word("Patient:", (10, 10, 90, 30), 96, (1, 1, 1), 0),
        Word("Harold", (100, 10, 160, 30), 95, (1, 1, 1), 1),
    ]


class _Names:
    def detect_many(self, docs):  # noqa: ANN001, ANN202
        from engine.types import Result, Span

        for d in docs:
            i = d.text.find("Harold")
            yield Result(d.id, d.text, (Span(i, i + 6, "NAME", None, 0.99, "model"),) if i >= 0 else ())


@pytest.mark.parametrize("photometric", ["MONOCHROME2", "MONOCHROME1"])
def test_dicom_frame_redacted_and_header_emptied(tmp_path: Path, photometric: str) -> None:
    frame = np.full((60, 200), 3000, dtype=np.uint16)
    frame[0, 0], frame[0, 1] = 100, 4000
    src = tmp_path / "img.dcm"
    _dicom(src, frame, photometric)
    with ImageDeidentifier(ImageConfig(workers=1), deidentifier=_Names(), ocr=_fake_ocr) as deid:
        [rep] = list(deid.redact_files([src], tmp_path / "out"))
    assert rep.ok, rep.error
    out = pydicom.dcmread(tmp_path / "out" / "img.dcm")
    px = out.pixel_array
    black = 100 if photometric == "MONOCHROME2" else 4000  # the frame's darkest value as displayed
    assert (px[7:33, 97:163] == black).all()
    assert px[40, 50] == 3000 and px.dtype == np.uint16
    assert str(out.PatientName) == "" and out.PatientID == "" and out.InstitutionName == ""
    assert out.get((0x0009, 0x1010)) is None
    assert b"Quimby" not in (tmp_path / "out" / "img.dcm").read_bytes()


def test_compressed_dicom_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "c.dcm"
    _dicom(src, np.zeros((20, 20)), syntax=JPEGBaseline8Bit)
    with ImageDeidentifier(ImageConfig(workers=1), deidentifier=_Names(), ocr=_fake_ocr) as deid:
        [rep] = list(deid.redact_files([src], tmp_path / "out"))
    assert not rep.ok and rep.bad_input and (rep.error or "").startswith("[E720]")


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")
def test_dicom_12_bit_page_with_tesseract(tmp_path: Path) -> None:
    page = render_page(note_lines(random.Random(4), clinical=1), dpi=150, pt=12)
    src = tmp_path / "scan.dcm"
    _dicom(src, np.asarray(page.image).astype(np.uint16) * 16)
    with ImageDeidentifier(ImageConfig(workers=1)) as deid:
        [rep] = list(deid.redact_files([src], tmp_path / "out"))
    assert rep.ok, rep.error
    px = pydicom.dcmread(tmp_path / "out" / "scan.dcm").pixel_array
    from PIL import Image

    view = Image.fromarray((px // 16).astype(np.uint8), "L")
    assert min(phi_coverage(page, view, (0, 0, 0)).values()) >= 0.995
    from engine.image.ocr import ocr_page

    assert leaked(page.phi_strings, [w.text for w in ocr_page(view, ImageConfig().ocr, 150)]) == []


def test_multi_frame_dicom(tmp_path: Path) -> None:
    frames = np.full((2, 60, 200), 3000, dtype=np.uint16)
    frames[:, 0, 0] = 100
    src = tmp_path / "cine.dcm"
    _dicom(src, frames[0])
    ds = pydicom.dcmread(src)
    ds.NumberOfFrames = 2
    ds.PixelData = frames.tobytes()
    ds.save_as(src, enforce_file_format=True)
    with ImageDeidentifier(ImageConfig(workers=1), deidentifier=_Names(), ocr=_fake_ocr) as deid:
        [rep] = list(deid.redact_files([src], tmp_path / "out"))
    assert rep.ok and len(rep.pages) == 2
    px = pydicom.dcmread(tmp_path / "out" / "cine.dcm").pixel_array
    assert px.shape == (2, 60, 200) and (px[:, 7:33, 97:163] == 100).all() and (px[:, 40, 50] == 3000).all()
