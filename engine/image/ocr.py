"""Tesseract through its TSV output: word boxes, confidences and the line each word sits on.

Tesseract is run as a subprocess with ``OMP_THREAD_LIMIT=1``: pages are parallelised by the caller,
and Tesseract's own OpenMP threads only compete with them (on 2 cores, 4.4 s/page threaded against
0.8-0.9 s/page with one thread per page and pages in parallel).

Example:
    >>> words = ocr_page(image, OcrConfig(psm=3))             # doctest: +SKIP
    >>> words[0]                                               # doctest: +SKIP
    Word(text='Patient:', box=(42, 44, 114, 59), conf=96.9, line=(1, 1, 1), index=0)
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.image.config import OcrConfig
from engine.image.errors import OcrError, OcrUnavailableError

if TYPE_CHECKING:
    from PIL.Image import Image

Box = tuple[int, int, int, int]  # (left, top, right, bottom), right/bottom exclusive, in page pixels


@dataclass(frozen=True, slots=True)
class Word:
    """One OCR word.

    Attributes:
        text: the recognised characters (never empty or blank).
        box: ``(left, top, right, bottom)`` in page pixels, right and bottom exclusive.
        conf: Tesseract's confidence, 0-100.
        line: ``(block, paragraph, line)``: words with the same key are on one text line.
        index: position in Tesseract's reading order on the page.
    """

    text: str
    box: Box
    conf: float
    line: tuple[int, int, int]
    index: int

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("Word text must not be blank")
        left, top, right, bottom = self.box
        if not (0 <= left < right and 0 <= top < bottom):
            raise ValueError(f"Word box must have positive area, got {self.box}")


def tesseract_version(cmd: str = "tesseract") -> str:
    """The installed Tesseract's version line; :class:`OcrUnavailableError` if it cannot be started."""
    exe = shutil.which(cmd)
    if exe is None:
        raise OcrUnavailableError(
            "E710",
            f"Tesseract ({cmd!r}) is not on PATH",
            fix="Install it: `apt-get install -y tesseract-ocr` (or `make image-demo`), "
            "or set image.ocr.tesseract_cmd.",
        )
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as e:
        raise OcrUnavailableError("E710", f"Tesseract ({exe}) does not start: {type(e).__name__}") from e
    return (out.stdout or out.stderr).splitlines()[0].strip()


def check_languages(cfg: OcrConfig) -> None:
    """Raise :class:`OcrUnavailableError` (E714) unless every language in ``cfg.lang`` is installed.

    Without this check a missing language would fail every page, and every page would be covered.
    """
    exe = shutil.which(cfg.tesseract_cmd) or cfg.tesseract_cmd
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as e:
        raise OcrUnavailableError("E710", f"Tesseract ({exe}) does not start: {type(e).__name__}") from e
    # the first line is a header ("List of available languages in ..."), then one language a line
    have = {line.strip() for line in (out.stdout or out.stderr).splitlines()[1:] if line.strip()}
    missing = [lang for lang in cfg.lang.split("+") if lang not in have]
    if missing:
        raise OcrUnavailableError(
            "E714",
            f"Tesseract has no language data for {'+'.join(missing)} (installed: {', '.join(sorted(have))})",
            fix=f"apt-get install -y {' '.join('tesseract-ocr-' + m.lower() for m in missing)}, "
            "or set image.ocr.lang.",
        )


def ocr_page(image: Image, cfg: OcrConfig, dpi: int | None = None) -> list[Word]:
    """Run Tesseract on one page image and return its words in reading order.

    The page goes to Tesseract as an 8-bit grey PGM on stdin (no temporary files, no PNG encoding).
    Raises :class:`OcrUnavailableError` when Tesseract is missing and :class:`OcrError` when it fails on
    this page (non-zero exit, timeout, output that is not TSV).
    """
    exe = shutil.which(cfg.tesseract_cmd)
    if exe is None:
        tesseract_version(cfg.tesseract_cmd)  # raises with the install hint
    buf = io.BytesIO()
    image.convert("L").save(buf, format="PPM")
    cmd = [str(exe), "stdin", "stdout", "--psm", str(cfg.psm), "-l", cfg.lang]
    cmd += ["--dpi", str(int(dpi or cfg.dpi)), "tsv"]
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        proc = subprocess.run(cmd, input=buf.getvalue(), capture_output=True, timeout=cfg.timeout_s, env=env)
    except subprocess.TimeoutExpired as e:
        raise OcrError("E712", f"Tesseract took longer than {cfg.timeout_s:g} s on a page") from e
    except OSError as e:
        raise OcrUnavailableError("E710", f"Tesseract ({exe}) does not start: {type(e).__name__}") from e
    if proc.returncode != 0:
        # subtle: stderr names the failure (missing language data, bad image); it holds no page text
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise OcrError("E711", f"Tesseract exited with {proc.returncode}: {tail[0][:200]}")
    return parse_tsv(proc.stdout.decode("utf-8", "replace"))


def page_confidence(words: list[Word]) -> float | None:
    """Median confidence of the words with 3+ letters or digits; ``None`` below 5 such words.

    Example: five words at 96 and one '~' at 12 -> ``96.0`` (the noise speck does not count).
    """
    confs = sorted(w.conf for w in words if sum(ch.isalnum() for ch in w.text) >= 3)
    if len(confs) < 5:
        return None
    mid = len(confs) // 2
    return confs[mid] if len(confs) % 2 else (confs[mid - 1] + confs[mid]) / 2


def read_page(image: Image, cfg: OcrConfig, dpi: int | None = None) -> list[Word]:
    """:func:`ocr_page`, read again with orientation detection when the text looks like garbage.

    An upside-down scan reads as confident-looking nonsense in which the engine finds no PHI, so a
    page whose :func:`page_confidence` is below ``cfg.min_page_conf`` is read with ``--psm 1``
    (automatic segmentation with orientation and script detection); the better reading is kept,
    and when both are below the threshold the page is unreadable (:class:`OcrError` E715), so the
    caller covers or reports it.
    """
    words = ocr_page(image, cfg, dpi)
    conf = page_confidence(words)
    if cfg.min_page_conf <= 0 or conf is None or conf >= cfg.min_page_conf:
        return words
    if cfg.psm != 1:
        again = ocr_page(image, cfg.model_copy(update={"psm": 1}), dpi)
        conf2 = page_confidence(again)
        if conf2 is not None and conf2 >= cfg.min_page_conf:
            return again
        conf = max(conf, conf2 or 0.0)
    raise OcrError(
        "E715",
        f"page unreadable: median word confidence {conf:.0f} < {cfg.min_page_conf:g}, also with "
        "orientation detection",
        fix="Check the scan (orientation, resolution), or lower image.ocr.min_page_conf.",
    )


def parse_tsv(tsv: str) -> list[Word]:
    """Words (level-5 rows with text) of Tesseract's TSV output, in its reading order.

    Example:
        >>> cols = "level page_num block_num par_num line_num word_num left top width height conf text"
        >>> row = "5 1 1 1 1 1 42 44 72 15 96.8 Patient:"
        >>> parse_tsv("\\t".join(cols.split()) + "\\n" + "\\t".join(row.split()))[0].box
        (42, 44, 114, 59)
    """
    lines = tsv.splitlines()
    if not lines or not lines[0].startswith("level\t"):
        raise OcrError("E713", "Tesseract output is not TSV (no header line)")
    words: list[Word] = []
    for n, row in enumerate(lines[1:], start=2):
        cols = row.split("\t")
        if len(cols) < 12:
            if row.strip():
                raise OcrError("E713", f"Tesseract TSV line {n} has {len(cols)} columns, expected 12")
            continue
        if cols[0] != "5":
            continue
        text = "\t".join(cols[11:]).strip()  # a tab inside text would split it: join the rest back
        try:
            block, par, line = int(cols[2]), int(cols[3]), int(cols[4])
            left, top, width, height = (int(c) for c in cols[6:10])
            conf = float(cols[10])
        except ValueError as e:
            raise OcrError("E713", f"Tesseract TSV line {n} has a non-numeric field") from e
        if not text or width <= 0 or height <= 0:
            continue
        words.append(
            Word(
                text, (left, top, left + width, top + height), max(conf, 0.0), (block, par, line), len(words)
            )
        )
    return words
