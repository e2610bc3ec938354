"""DICOM pixel data (optional, needs pydicom): frames in, redacted frames written back in place.

Only uncompressed pixel data is rewritten (a compressed transfer syntax is refused with E720 rather
than re-encoded). MONOCHROME1 frames are inverted for OCR and back on writing. The header's common
identifying attributes (names, IDs, dates, institution, ...) are emptied and private tags removed;
UIDs are kept, so files still link to their study (see docs/image.md).

Example:
    >>> scan = read_dicom(Path("xray.dcm"), 300)               # doctest: +SKIP
    >>> write_dicom(scan, redacted_pages, Path("OUT/xray.dcm"))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import missing_extra
from engine.image.errors import ImageInputError
from engine.image.formats import Scan

if TYPE_CHECKING:
    from PIL.Image import Image

#: Header attributes emptied on writing (each may hold PHI as text).
PHI_KEYWORDS = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientBirthTime",
    "PatientAge",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "OtherPatientIDs",
    "OtherPatientNames",
    "PatientMotherBirthName",
    "MedicalRecordLocator",
    "ReferringPhysicianName",
    "PerformingPhysicianName",
    "NameOfPhysiciansReadingStudy",
    "RequestingPhysician",
    "OperatorsName",
    "InstitutionName",
    "InstitutionAddress",
    "InstitutionalDepartmentName",
    "StationName",
    "AccessionNumber",
    "StudyID",
    "StudyDate",
    "SeriesDate",
    "AcquisitionDate",
    "ContentDate",
    "StudyTime",
    "SeriesTime",
    "AcquisitionTime",
    "ContentTime",
    "DeviceSerialNumber",
    "StudyDescription",
    "SeriesDescription",
    "ImageComments",
    "InstanceCreationDate",
    "InstanceCreationTime",
    "PerformedProcedureStepStartDate",
    "PerformedProcedureStepStartTime",
    "ReferringPhysicianAddress",
    "ReferringPhysicianTelephoneNumbers",
    "PhysiciansOfRecord",
    "RequestingService",
    "PatientComments",
    "AdditionalPatientHistory",
    "Occupation",
    "OtherStudyNumbers",
)
#: Sequences removed whole (their items repeat names, IDs and accession numbers).
PHI_SEQUENCES = ("RequestAttributesSequence", "ReferencedPatientSequence", "OtherPatientIDsSequence")


def _pydicom() -> Any:
    try:
        import pydicom
    except ImportError as e:
        raise missing_extra("pydicom", "image") from e
    return pydicom


def read_dicom(path: Path, dpi: int) -> Scan:
    """Each frame of ``path`` as a page (8-bit grey ``L``, 16-bit ``I;16``, signed ``I`` or ``RGB``)."""
    pydicom = _pydicom()
    import numpy as np
    from PIL import Image

    try:
        ds = pydicom.dcmread(path)
    except Exception as e:  # pydicom raises many types for a bad file; all mean "not DICOM"
        raise ImageInputError("E701", f"{path.name}: not a readable DICOM file ({type(e).__name__})") from e
    if "PixelData" not in ds:
        raise ImageInputError("E720", f"{path.name}: the DICOM file has no pixel data")
    if ds.file_meta.TransferSyntaxUID.is_compressed:
        raise ImageInputError(
            "E720",
            f"{path.name}: compressed DICOM pixel data ({ds.file_meta.TransferSyntaxUID.name}) "
            "is not rewritten",
            fix="Decompress it first (e.g. gdcmconv --raw).",
        )
    try:
        arr = ds.pixel_array
    except Exception as e:
        raise ImageInputError(
            "E720", f"{path.name}: cannot decode the pixel data ({type(e).__name__})"
        ) from e
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    samples = int(getattr(ds, "SamplesPerPixel", 1))
    stack = arr if frames > 1 else arr[None, ...]
    photometric = str(getattr(ds, "PhotometricInterpretation", "MONOCHROME2"))
    pages = []
    for f in stack:
        if samples == 3:
            pages.append(Image.fromarray(np.ascontiguousarray(f, dtype=np.uint8)))
            continue
        if photometric == "MONOCHROME1":  # subtle: 0 is white here; OCR and drawing see MONOCHROME2
            f = f.max() + f.min() - f
        # the array's dtype picks the mode: uint8 -> L, uint16 -> I;16, anything signed -> I
        if f.dtype in (np.uint8, np.uint16):
            pages.append(Image.fromarray(np.ascontiguousarray(f)))
        else:
            pages.append(Image.fromarray(np.ascontiguousarray(f, dtype=np.int32)))
    return Scan(path, "dicom", tuple(pages), tuple(None for _ in pages), {"dataset": ds, "array": stack})


def write_dicom(scan: Scan, pages: list[Image], out: Path) -> None:
    """Write the redacted frames into a copy of the dataset, with the identifying header emptied.

    Filled pixels take the frame's darkest value (or brightest, for a light fill colour), so the
    rectangles stay opaque under any display window.
    """
    import numpy as np

    ds = scan.info["dataset"]
    stack = scan.info["array"]
    photometric = str(getattr(ds, "PhotometricInterpretation", "MONOCHROME2"))
    new = stack.copy()
    for i, (orig, red) in enumerate(zip(scan.pages, pages, strict=True)):
        a, b = np.asarray(orig), np.asarray(red)
        if a.ndim == 3:
            new[i] = b.astype(new.dtype)
            continue
        changed = a != b
        if not changed.any():
            continue
        lo, hi = int(stack[i].min()), int(stack[i].max())
        # the fill value in the page's mode: I;16 spans 0..65535, L and I (from RGB) 0..255
        light = float(b[changed][0]) > (32767 if red.mode == "I;16" else 127)
        dark_value = hi if photometric == "MONOCHROME1" else lo
        light_value = lo if photometric == "MONOCHROME1" else hi
        frame = new[i]
        frame[changed] = light_value if light else dark_value
    ds.PixelData = (new if len(new) > 1 else new[0]).tobytes()
    for kw in PHI_KEYWORDS:
        if kw in ds:
            ds.data_element(kw).value = ""
    for kw in PHI_SEQUENCES:
        if kw in ds:
            delattr(ds, kw)
    ds.remove_private_tags()
    ds.save_as(out, enforce_file_format=False)
