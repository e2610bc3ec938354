"""De-identify scanned documents: OCR -> PHI spans -> word boxes -> filled rectangles.

Optional: needs the ``image`` extra (``pip install 'deid-engine[image]'``) and Tesseract
(``apt-get install -y tesseract-ocr``). The text engine never imports this package.

Example:
    >>> from engine.image import ImageDeidentifier, ImageConfig           # doctest: +SKIP
    >>> with ImageDeidentifier(ImageConfig()) as deid:                     # doctest: +SKIP
    ...     reports = list(deid.redact_files([Path("page.png")], Path("OUT")))
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "ImageDeidentifier": "engine.image.pipeline",
    "FileReport": "engine.image.pipeline",
    "PageReport": "engine.image.pipeline",
    "ImageConfig": "engine.image.config",
    "Region": "engine.image.layout",
    "PageText": "engine.image.layout",
    "build_page_text": "engine.image.layout",
    "Word": "engine.image.ocr",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    # Lazy: importing the package must not pull Pillow in before it is needed.
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'engine.image' has no attribute {name!r}")
