"""Read scanned inputs as page images and write the redacted pages back in the input's format.

One table decides what is supported: :data:`KINDS` maps a file suffix to a kind, and each kind has
one reader and one writer. A PDF is rendered page by page (pypdfium2) and written back as a PDF of
redacted page *images*: its text layer, which holds the PHI as text, is not carried over. Image
metadata (EXIF, PNG text chunks, TIFF tags other than resolution and compression) is dropped too.

Example:
    >>> scan = read_scan(Path("letter.pdf"), dpi=300)           # doctest: +SKIP
    >>> scan.kind, scan.n_pages                                 # doctest: +SKIP
    ('pdf', 3)
    >>> write_scan(scan, pages, Path("OUT/letter.pdf"))          # doctest: +SKIP
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import missing_extra
from engine.image.errors import ImageInputError

if TYPE_CHECKING:
    from PIL.Image import Image

#: File suffix -> kind. The output keeps the input's suffix and kind.
KINDS: dict[str, str] = {
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".pdf": "pdf",
    ".dcm": "dicom",
}


#: PDFium is not thread-safe: every call into it (render, close) holds this lock.
PDFIUM_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Scan:
    """One input file as page images.

    Attributes:
        path: the input file.
        kind: a value of :data:`KINDS`.
        pages: the decoded page images (RGB, L, 1, ...); empty for a PDF, whose pages are rendered
            on demand by ``render`` (so a long PDF is never held in memory as images at once).
        dpi: the resolution of each page (for OCR and for writing back), ``None`` when unknown.
        info: what the writer needs to rebuild the file (TIFF compression, the DICOM dataset).
        sizes: each page's ``(width, height)`` in pixels.
        render: page index -> image, for kinds rendered on demand.
    """

    path: Path
    kind: str
    pages: tuple[Image, ...]
    dpi: tuple[int | None, ...]
    info: dict[str, Any] = field(default_factory=dict)
    sizes: tuple[tuple[int, int], ...] = ()
    render: Callable[[int], Image] | None = None

    @property
    def n_pages(self) -> int:
        """Number of pages."""
        return len(self.dpi)

    def page(self, i: int) -> Image:
        """Page ``i`` (0-based) as an image: decoded already, or rendered now."""
        return self.pages[i] if self.render is None else self.render(i)

    def page_sizes(self) -> tuple[tuple[int, int], ...]:
        """Each page's ``(width, height)``."""
        return self.sizes or tuple(p.size for p in self.pages)

    def close(self) -> None:
        """Release what the reader holds open (the PDF document)."""
        closer = self.info.get("close")
        if closer is not None:
            closer()


def kind_of(path: Path) -> str:
    """The kind of ``path`` by its suffix; :class:`ImageInputError` (E705) when unsupported."""
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise ImageInputError(
            "E705",
            f"{path.name}: unsupported file type {path.suffix or '(no suffix)'!r}",
            fix=f"Give one of {', '.join(sorted(KINDS))}.",
        )
    return kind


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError as e:
        raise missing_extra("Pillow", "image") from e
    return Image


def _dpi_of(im: Image) -> int | None:
    dpi = im.info.get("dpi")
    try:
        value = int(round(float(dpi[0]))) if dpi else 0
    except (TypeError, ValueError, IndexError):
        return None
    return value if 50 <= value <= 2400 else None


def read_raster(path: Path, dpi: int) -> Scan:
    """PNG, JPEG or TIFF (every frame of a multi-page TIFF); EXIF orientation applied."""
    pil = _pil()
    from PIL import ImageOps, ImageSequence

    try:
        with pil.open(path) as im:
            info = {"compression": im.info.get("compression")}
            frames = []
            for frame in ImageSequence.Iterator(im):
                frame.load()
                frames.append(ImageOps.exif_transpose(frame.copy()))
    except (FileNotFoundError, PermissionError, IsADirectoryError) as e:
        raise ImageInputError("E706", f"{path.name}: cannot open ({type(e).__name__})") from e
    except Exception as e:
        # subtle: a crafted or truncated file makes decoders raise almost anything (struct.error,
        # ZeroDivisionError, ...); every such file is a bad input, reported, never half-processed
        raise ImageInputError(
            "E701",
            f"{path.name}: not a decodable image ({type(e).__name__})",
            fix="Check that the file is complete and really is a PNG/JPEG/TIFF.",
        ) from e
    return Scan(path, kind_of(path), tuple(frames), tuple(_dpi_of(f) for f in frames), info)


def _grey_if_colourless(im: Image) -> Image:
    """``im`` as 8-bit grey when every pixel is grey already (a third of the memory, same picture)."""
    import numpy as np

    a = np.asarray(im)
    if (a[..., 0] == a[..., 1]).all() and (a[..., 1] == a[..., 2]).all():
        return im.convert("L")
    return im


def read_pdf(path: Path, dpi: int) -> Scan:
    """Every page of a PDF rendered at ``dpi``; encrypted and page-less PDFs are refused."""
    _pil()
    try:
        import pypdfium2 as pdfium
    except ImportError as e:
        raise missing_extra("pypdfium2", "image") from e
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ImageInputError("E706", f"{path.name}: cannot open ({type(e).__name__})") from e
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        # subtle: PDFium's last-error code is global and is not reset when a load fails without
        # setting it (a page-less PDF), so the bytes decide between "encrypted" and "no pages".
        if e.err_code == pdfium.raw.FPDF_ERR_PASSWORD and b"/Encrypt" in data:
            raise ImageInputError(
                "E703", f"{path.name}: the PDF is encrypted", fix="Decrypt it first (e.g. qpdf --decrypt)."
            ) from e
        if re.search(rb"/Count\s+0\b", data) and not re.search(rb"/Type\s*/Page\b", data):
            raise ImageInputError("E702", f"{path.name}: the PDF has no pages") from e
        raise ImageInputError(
            "E701", f"{path.name}: not a readable PDF", fix="Check that the file is complete."
        ) from e
    try:
        n = len(pdf)
        sizes = []
        for i in range(n):
            page = pdf[i]
            w, h = page.get_size()
            page.close()
            sizes.append((int(round(w * dpi / 72.0)), int(round(h * dpi / 72.0))))
    except pdfium.PdfiumError as e:
        pdf.close()
        raise ImageInputError("E701", f"{path.name}: a page cannot be read") from e
    if n == 0:
        pdf.close()
        raise ImageInputError("E702", f"{path.name}: the PDF has no pages")

    def render(i: int) -> Image:
        with PDFIUM_LOCK:
            try:
                page = pdf[i]
                bitmap = page.render(scale=dpi / 72.0)
                im = bitmap.to_pil().convert("RGB")
                page.close()
            except pdfium.PdfiumError as e:
                raise ImageInputError("E701", f"{path.name}: page {i + 1} cannot be rendered") from e
        return _grey_if_colourless(im)

    def close() -> None:
        with PDFIUM_LOCK:
            pdf.close()

    # subtle: ``data`` stays referenced through ``info``: PDFium reads the bytes lazily
    info = {"close": close, "data": data}
    return Scan(path, "pdf", (), tuple(dpi for _ in range(n)), info, tuple(sizes), render)


def write_raster(scan: Scan, pages: list[Image], out: Path) -> None:
    """Write PNG / JPEG / multi-page TIFF pages to ``out`` (keeping resolution and TIFF compression).

    PNG uses zlib level 3: on a noisy 300 dpi Letter scan it writes in 0.4 s against 1.5 s at the
    default level 6, for a file about 14% larger.
    """
    first, rest = pages[0], pages[1:]
    opts: dict[str, Any] = {}
    if scan.dpi[0]:
        opts["dpi"] = (scan.dpi[0], scan.dpi[0])
    if scan.kind == "jpeg":
        first = first if first.mode in ("L", "RGB", "CMYK") else first.convert("RGB")
        first.save(out, "JPEG", quality=95, **opts)
    elif scan.kind == "tiff":
        comp = scan.info.get("compression")
        if comp and comp != "raw":
            opts["compression"] = comp
        try:
            first.save(out, "TIFF", save_all=True, append_images=rest, **opts)
        except (OSError, ValueError):  # e.g. group4 after a palette page became RGB
            opts["compression"] = "tiff_lzw"
            first.save(out, "TIFF", save_all=True, append_images=rest, **opts)
    elif rest:  # an animated PNG keeps every frame
        first.save(out, "PNG", save_all=True, append_images=rest, compress_level=3, **opts)
    else:
        first.save(out, "PNG", compress_level=3, **opts)


def pdf_page_bytes(page: Image, dpi: int | None) -> bytes:
    """One redacted page as a one-page PDF (the page as large as the original page)."""
    im = page if page.mode in ("1", "L", "RGB") else page.convert("RGB")
    buf = io.BytesIO()
    im.save(buf, "PDF", resolution=float(dpi or 72))
    return buf.getvalue()


def write_pdf(scan: Scan, pages: Iterable[Image | bytes], out: Path) -> None:
    """A PDF of the redacted page images, merged page by page (each page compressed on its own).

    ``pages`` may hold one-page PDFs from :func:`pdf_page_bytes` already, so a long document is
    never held as images at once.
    """
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        doc = pdfium.PdfDocument.new()
        try:
            for i, p in enumerate(pages):
                part = p if isinstance(p, bytes) else pdf_page_bytes(p, scan.dpi[i])
                src = pdfium.PdfDocument(part)
                doc.import_pages(src)
                src.close()
            doc.save(out)
        finally:
            doc.close()


def _dicom_reader(path: Path, dpi: int) -> Scan:
    from engine.image.dicom import read_dicom

    return read_dicom(path, dpi)


def _dicom_writer(scan: Scan, pages: list[Image], out: Path) -> None:
    from engine.image.dicom import write_dicom

    write_dicom(scan, pages, out)


READERS: dict[str, Callable[[Path, int], Scan]] = {
    "png": read_raster,
    "jpeg": read_raster,
    "tiff": read_raster,
    "pdf": read_pdf,
    "dicom": _dicom_reader,
}
WRITERS: dict[str, Callable[[Scan, Any, Path], None]] = {
    "png": write_raster,
    "jpeg": write_raster,
    "tiff": write_raster,
    "pdf": write_pdf,
    "dicom": _dicom_writer,
}


def count_pages(path: Path) -> int:
    """The number of pages of ``path`` without decoding them (0 when it cannot tell: a progress total).

    Example: a 3-page TIFF -> ``3``; a corrupt file -> ``0`` (its error comes when it is read).
    """
    try:
        kind = kind_of(path)
        if kind == "pdf":
            import pypdfium2 as pdfium

            with PDFIUM_LOCK:
                pdf = pdfium.PdfDocument(str(path))
                try:
                    return len(pdf)
                finally:
                    pdf.close()
        if kind == "dicom":
            import pydicom

            ds = pydicom.dcmread(path, stop_before_pixels=True)
            return int(getattr(ds, "NumberOfFrames", 1) or 1)
        from PIL import Image

        with Image.open(path) as im:
            return int(getattr(im, "n_frames", 1))
    except Exception:  # only a progress total: the file's real error is reported when it is read
        return 0


def read_scan(path: Path, dpi: int = 300) -> Scan:
    """Read ``path`` as page images (PDF pages rendered at ``dpi``); :class:`ImageInputError` if not."""
    kind = kind_of(path)
    if not path.is_file():
        raise ImageInputError("E706", f"{path.name}: no such file")
    return READERS[kind](path, dpi)


def write_scan(scan: Scan, pages: list[Image], out: Path) -> None:
    """Write the redacted ``pages`` of ``scan`` to ``out`` in the input's format."""
    WRITERS[scan.kind](scan, pages, out)
