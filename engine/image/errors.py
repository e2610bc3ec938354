"""Coded errors of the image path (codes E700-E720; the project's one table is ``engine/error_codes.py``).

Each subclasses an engine error, so the CLI maps it to the same exit code as its text twin:
bad input -> 2 (:class:`ImageInputError`), a missing OCR tool -> 3 (:class:`OcrUnavailableError`),
an OCR run that failed on one page -> :class:`OcrError` (the page is covered or reported, per config).

Example:
    >>> str(ImageInputError("E701", "cannot decode scan.png as an image"))
    '[E701] cannot decode scan.png as an image'
"""

from __future__ import annotations

from engine.errors import ArtifactError, DeidError, InputError


class ImageInputError(InputError):
    """An input file cannot be read as an image (exit code 2 for that file)."""


class OcrUnavailableError(ArtifactError):
    """Tesseract is not on PATH or does not start (a setup problem: exit code 3)."""


class OcrError(DeidError):
    """Tesseract failed on one page (crash, timeout, unparsable output)."""


class WriteError(DeidError):
    """A redacted file could not be written (disk full, permissions): that file failed."""
