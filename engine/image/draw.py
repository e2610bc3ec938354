"""Filled rectangles over the covered regions, in the page's own pixel mode.

Example:
    >>> region = Region(1, (10, 10, 90, 30), "NAME", None, 0.99, "model")
    >>> out = fill_regions(page, [region], (0, 0, 0))                    # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from engine.image.layout import Region
from engine.image.ocr import Word

if TYPE_CHECKING:
    from PIL.Image import Image


#: ``Image.info`` keys a redacted page keeps (resolution, transparency, colour profile); every other
#: entry (EXIF, comments, PNG text, XMP, ...) is dropped.
KEEP_INFO = frozenset({"dpi", "transparency", "icc_profile"})


def fill_value(mode: str, rgb: tuple[int, int, int]) -> Any:
    """``rgb`` expressed in an image ``mode``: ``fill_value("L", (128, 128, 128))`` -> ``128``."""
    from PIL import Image

    if mode == "RGB":
        return rgb
    if mode == "RGBA":
        return (*rgb, 255)
    if mode == "I;16":
        r, g, b = rgb
        return (r * 299 + g * 587 + b * 114) // 1000 * 257  # Pillow's L luminance, on 16 bits
    return Image.new("RGB", (1, 1), rgb).convert(mode).getpixel((0, 0))


def fill_regions(page: Image, regions: Sequence[Region], rgb: tuple[int, int, int]) -> Image:
    """A copy of ``page`` with every region filled with ``rgb`` (palette pages become RGB first).

    A box is half-open: ``(10, 10, 90, 30)`` fills columns 10..89 and rows 10..29.
    """
    from PIL import ImageDraw

    if page.mode in ("P", "PA"):
        out = page.convert("RGBA" if "transparency" in page.info or page.mode == "PA" else "RGB")
    else:
        out = page.copy()
    # subtle: Pillow writes some metadata from ``info`` back on save (a JPEG comment, for one), and
    # metadata may name the patient: only what describes the pixels themselves is kept
    out.info = {k: v for k, v in page.info.items() if k in KEEP_INFO}
    if not regions:
        return out
    value = fill_value(out.mode, rgb)
    draw = ImageDraw.Draw(out)
    for r in regions:
        left, top, right, bottom = r.box
        if right > left and bottom > top:
            draw.rectangle((left, top, right - 1, bottom - 1), fill=value)
    return out


def ocr_view(page: Image) -> Image:
    """An 8-bit grey view of ``page`` for Tesseract (16-bit and float pages are rescaled, not clipped)."""
    if page.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        import numpy as np
        from PIL import Image

        a = np.asarray(page, dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        scaled = (a - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(a)
        return Image.fromarray(scaled.astype(np.uint8), "L")
    if page.mode in ("RGBA", "LA", "PA", "P"):
        from PIL import Image

        rgba = page.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("L")  # transparent = paper, not black
    return page.convert("L")


def scaled_view(view: Image, dpi: int | None, max_dpi: int) -> tuple[Image, float]:
    """``view`` scaled down to ``max_dpi`` when its ``dpi`` is higher, and the scale applied.

    Example: a 600 dpi page with ``max_dpi=300`` -> the page at half size and ``0.5``.
    """
    if not dpi or dpi <= max_dpi:
        return view, 1.0
    from PIL import Image as PILImage

    scale = max_dpi / dpi
    size = (max(int(view.width * scale), 1), max(int(view.height * scale), 1))
    return view.resize(size, PILImage.Resampling.LANCZOS), scale


def scale_word(word: Word, factor: float) -> Word:
    """``word`` with its box multiplied by ``factor``, rounded outwards (never smaller than the ink).

    Example: box ``(10, 10, 21, 15)`` x 2 -> ``(20, 20, 42, 30)``; ``(3, 3, 5, 5)`` x 1.5 -> ``(4, 4, 8, 8)``.
    """
    import math

    left, top, right, bottom = word.box
    box = (
        math.floor(left * factor),
        math.floor(top * factor),
        math.ceil(right * factor),
        math.ceil(bottom * factor),
    )
    return Word(word.text, box, word.conf, word.line, word.index)
