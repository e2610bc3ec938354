"""Synthetic scanned notes with known PHI, rendered with Pillow (tests, benchmark, the shipped example).

Every word is drawn on its own, so its box is known; PHI words are also drawn, without anti-aliasing,
into a *label mask* (value ``k`` for the k-th PHI word) that goes through the same rotation. A test
then checks that every PHI ink pixel lies under a filled rectangle, word by word.

Example:
    >>> page = render_page([[("Patient:", False), ("Ivy Stone", True)]], dpi=150, pt=11)
    >>> page.phi_strings, page.image.mode
    (('Ivy', 'Stone'), 'L')
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts")

#: A line is a list of (text, is_phi) segments; each segment's words are drawn one by one.
Line = list[tuple[str, bool]]

FIRST = ("Harold", "Ellen", "Marcus", "Agnes", "Victor", "Rosalind", "Walter", "Denise", "Gordon", "Miriam")
LAST = (
    "Quimby",
    "Parker",
    "Okafor",
    "Lindqvist",
    "Brennan",
    "Castillo",
    "Whitfield",
    "Novak",
    "Ferris",
    "Haddad",
)
DOC_LAST = ("Lopez", "Chen", "Abernathy", "Kowalski", "Grant", "Moreau", "Delgado", "Tanaka")
CLINICAL = (
    "The patient was admitted with chest pain and shortness of breath.",
    "An electrocardiogram showed sinus rhythm without acute changes.",
    "Troponin was negative twice and the pain resolved with aspirin.",
    "She was started on metoprolol and atorvastatin before discharge.",
    "Blood pressure was controlled and renal function remained stable.",
    "A chest radiograph showed no consolidation or pleural effusion.",
    "Diet was advanced as tolerated and the wound healed without infection.",
    "Medications were reconciled and the plan was reviewed with the family.",
)


def font_path(name: str = "DejaVuSans.ttf") -> Path:
    """Path of a DejaVu font; ``FileNotFoundError`` with the install hint when it is missing."""
    for d in FONT_DIRS:
        p = Path(d) / name
        if p.is_file():
            return p
    raise FileNotFoundError(f"font {name} not found in {FONT_DIRS}: apt-get install -y fonts-dejavu-core")


def _date(rng: random.Random, lo: int = 1940, hi: int = 2023) -> str:
    return f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(lo, hi)}"


def note_lines(rng: random.Random, clinical: int = 3) -> list[Line]:
    """One note's lines with PHI planted where the text engine reliably finds it.

    PHI sits after ``Patient:`` / ``Dr.`` (names), in dates, phone numbers and record numbers.
    """
    first, last = rng.choice(FIRST), rng.choice(LAST)
    doc = rng.choice(DOC_LAST)
    mrn = str(rng.randint(1_000_000, 9_999_999))
    phone = f"({rng.randint(201, 989)}) 555-{rng.randint(1000, 9999)}"
    lines: list[Line] = [
        [("DISCHARGE SUMMARY", False)],
        [("Patient:", False), (f"{first} {last}", True), ("MRN:", False), (mrn, True)],
        [("Date of birth:", False), (_date(rng), True)],
        [("Admitted:", False), (_date(rng, 2019, 2024), True), ("by Dr.", False), (doc, True)],
        [("Phone:", False), (phone, True)],
    ]
    for sentence in rng.sample(CLINICAL, clinical):
        lines.append([(sentence, False)])
    lines.append([("Follow up with Dr.", False), (doc, True), ("in two weeks.", False)])
    return lines


@dataclass(frozen=True, slots=True)
class SynthWord:
    """A drawn word: its text, whether it is PHI, and its label in :attr:`SynthPage.phi_mask` (0 if not)."""

    text: str
    phi: bool
    label: int


@dataclass(frozen=True, slots=True)
class SynthPage:
    """A rendered page: the image, the PHI label mask (same geometry) and the words drawn."""

    image: Image
    phi_mask: Image
    words: tuple[SynthWord, ...]
    dpi: int

    @property
    def phi_strings(self) -> tuple[str, ...]:
        """The PHI words, in drawing order."""
        return tuple(w.text for w in self.words if w.phi)


def render_page(
    columns: list[list[Line]] | list[Line],
    dpi: int = 150,
    pt: float = 11.0,
    font: str = "DejaVuSans.ttf",
    rotate: float = 0.0,
    noise: float = 0.0,
    seed: int = 0,
    mode: str = "L",
    paper: tuple[float, float] | None = None,
) -> SynthPage:
    """Draw lines (or several columns of lines) on white paper at ``dpi`` with a ``pt``-point font.

    ``rotate`` is in degrees (counter-clockwise, page grown to fit); ``noise`` is the standard deviation
    of grey-level Gaussian noise plus ``noise/5000`` salt-and-pepper density. ``paper`` is the sheet
    size in inches (``(8.5, 11)`` for Letter); by default the page is just large enough for the text.
    """
    from PIL import Image, ImageDraw, ImageFont

    cols: list[list[Line]] = columns if columns and isinstance(columns[0][0], list) else [columns]  # type: ignore[list-item]
    size_px = max(int(round(pt * dpi / 72.0)), 6)
    face = ImageFont.truetype(str(font_path(font)), size_px)
    space = int(face.getlength(" "))
    line_h = int(size_px * 1.6)
    margin = dpi // 3
    col_gap = dpi // 2
    widths = [max(sum(int(face.getlength(t)) + space for t, _ in line) for line in col) for col in cols]
    width = 2 * margin + sum(widths) + col_gap * (len(cols) - 1)
    height = 2 * margin + line_h * max(len(c) for c in cols)
    if paper is not None:
        width, height = max(width, int(paper[0] * dpi)), max(height, int(paper[1] * dpi))
    page = Image.new("L", (width, height), 255)
    mask = Image.new("L", (width, height), 0)
    draw, mdraw = ImageDraw.Draw(page), ImageDraw.Draw(mask)
    mdraw.fontmode = "1"  # no anti-aliasing: mask values are exact labels
    words: list[SynthWord] = []
    x0 = margin
    for col, cw in zip(cols, widths, strict=True):
        for row, line in enumerate(col):
            x, y = x0, margin + row * line_h
            for text, phi in line:
                for word in text.split():
                    label = 0
                    if phi:
                        label = sum(w.phi for w in words) + 1
                        mdraw.text((x, y), word, font=face, fill=label)
                    draw.text((x, y), word, font=face, fill=0)
                    words.append(SynthWord(word, phi, label))
                    x += int(face.getlength(word)) + space
        x0 += cw + col_gap
    if rotate:
        page = page.rotate(rotate, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
        mask = mask.rotate(rotate, resample=Image.Resampling.NEAREST, expand=True, fillcolor=0)
    if noise:
        import numpy as np

        rs = np.random.default_rng(seed)
        a = np.asarray(page, dtype=np.float32) + rs.normal(0.0, noise, (page.height, page.width))
        salt = rs.random((page.height, page.width)) < noise / 5000.0
        a[salt] = rs.choice([0.0, 255.0], size=int(salt.sum()))
        page = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")
    if mode != "L":
        page = page.convert(mode)
    page.info["dpi"] = (dpi, dpi)
    return SynthPage(page, mask, tuple(words), dpi)


def phi_coverage(
    page: SynthPage, redacted: Image, rgb: tuple[int, int, int], tol: int = 0
) -> dict[int, float]:
    """For each PHI word (by mask label), the fraction of its ink pixels filled with ``rgb`` (±``tol``)."""
    import numpy as np

    mask = np.asarray(page.phi_mask)
    out = np.asarray(redacted.convert("RGB"), dtype=np.int16)
    if out.shape[:2] != mask.shape:
        raise ValueError(f"redacted page {out.shape[:2]} and mask {mask.shape} differ in size")
    filled = np.asarray((np.abs(out - np.array(rgb, dtype=np.int16)) <= tol).all(axis=2), dtype=bool)
    cover: dict[int, float] = {}
    for w in page.words:
        if w.phi:
            ink = mask == w.label
            cover[w.label] = float(filled[ink].mean()) if ink.any() else 1.0
    return cover


def _norm(token: str) -> str:
    return "".join(ch for ch in token.lower() if ch.isalnum())


def leaked(phi: Iterable[str], ocr_tokens: Iterable[str]) -> list[str]:
    """PHI strings that OCR still reads: a token equal to, or containing, the PHI string (alphanumerics).

    Example: ``leaked(["(617)", "Quimby"], ["Patient:", "Quimby,"])`` -> ``["Quimby"]``.
    """
    seen = [_norm(t) for t in ocr_tokens]
    out = []
    for p in phi:
        n = _norm(p)
        if len(n) >= 3 and any(n in t for t in seen):
            out.append(p)
    return out


def readable(page: SynthPage, ocr_tokens: Iterable[str]) -> float:
    """The fraction of non-PHI words (two or more alphanumerics) that OCR reads back exactly."""
    seen = {_norm(t) for t in ocr_tokens}
    words = [_norm(w.text) for w in page.words if not w.phi and len(_norm(w.text)) >= 2]
    return sum(w in seen for w in words) / max(len(words), 1)
