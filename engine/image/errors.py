"""Coded errors of the image path (codes E7xx, unique across the project).

Each subclasses an engine error, so the CLI maps it to the same exit code as its text twin:
bad input -> 2 (:class:`ImageInputError`), a missing OCR tool -> 3 (:class:`OcrUnavailable`),
an OCR run that failed on one page -> :class:`OcrError` (the page is covered or reported, per config).

Example:
    >>> str(ImageInputError("E701", "cannot decode scan.png as an image"))
    '[E701] cannot decode scan.png as an image'
"""

from __future__ import annotations

from engine.errors import ArtifactError, DeidError, InputError

#: Every code of this package with its one-line meaning (the table the docs and a test read).
CODES: dict[str, str] = {
    "E700": "invalid image config value",
    "E701": "input is not a decodable image or PDF (corrupt or truncated file)",
    "E702": "PDF without pages",
    "E703": "encrypted (password-protected) PDF",
    "E704": "image too small to hold text",
    "E705": "unsupported input type",
    "E706": "input file not found or unreadable",
    "E707": "an optional dependency of the image path is missing",
    "E708": "output would overwrite the input or an existing file",
    "E709": "the output file cannot be written",
    "E710": "Tesseract is not installed or cannot start",
    "E711": "Tesseract failed on a page",
    "E712": "Tesseract timed out on a page",
    "E713": "Tesseract output could not be parsed",
    "E720": "DICOM pixel data cannot be redacted in place",
}


class ImageInputError(InputError):
    """An input file cannot be read as an image (exit code 2 for that file)."""


class OcrUnavailable(ArtifactError):
    """Tesseract is not on PATH or does not start (a setup problem: exit code 3)."""


class OcrError(DeidError):
    """Tesseract failed on one page (crash, timeout, unparsable output)."""


class WriteError(DeidError):
    """A redacted file could not be written (disk full, permissions): that file failed."""
