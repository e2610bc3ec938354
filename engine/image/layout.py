"""Page text in reading order, the character-offset -> word map, and engine spans -> page boxes.

The engine reads one string per page. :func:`build_page_text` joins the OCR words in Tesseract's
reading order (a space between words of a line, a newline between lines, a blank line between
paragraphs) and records each word's ``[start, end)`` in that string, so an engine span maps back to
exactly the words it touches: :func:`span_boxes` returns one box per text line (a span inside a word
covers the whole word; a span across a line break gets a box on each line).

Example:
    >>> words = [Word("Dr.", (10, 10, 40, 30), 96, (1, 1, 1), 0),
    ...          Word("Xai", (50, 10, 80, 30), 95, (1, 1, 1), 1),
    ...          Word("Dunn", (10, 40, 60, 60), 93, (1, 1, 2), 2)]
    >>> page = build_page_text(words)
    >>> page.text
    'Dr. Xai\\nDunn'
    >>> span_boxes(Span(4, 12, "NAME"), page)
    [(50, 10, 80, 30), (10, 40, 60, 60)]
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.image.ocr import Box, Word
from engine.types import Span

#: Label and source of regions that do not come from an engine span.
LOW_CONF_LABEL = "LOW_CONFIDENCE"
LOW_CONF_SOURCE = "ocr_low_conf"


@dataclass(frozen=True, slots=True)
class PageText:
    """The text of one page and where each word sits in it.

    Attributes:
        text: the page text the engine reads.
        words: every OCR word of the page, in reading order (including those left out of ``text``).
        offsets: for ``words[i]``, its ``(start, end)`` in ``text``, or ``None`` when it was left out
            (below ``min_conf``).
    """

    text: str
    words: tuple[Word, ...]
    offsets: tuple[tuple[int, int] | None, ...]

    def __post_init__(self) -> None:
        if len(self.words) != len(self.offsets):
            raise ValueError("PageText needs one offset entry per word")

    def words_in(self, start: int, end: int) -> list[int]:
        """Indices of the words that share at least one character with ``[start, end)``.

        Example: on ``'Dr. Xai'``, ``words_in(5, 6)`` (inside ``Xai``) -> ``[1]``.
        """
        placed = [(o, i) for i, o in enumerate(self.offsets) if o is not None]
        starts = [o[0] for o, _ in placed]
        k = max(bisect_right(starts, start) - 1, 0)
        out = []
        for (ws, we), i in placed[k:]:
            if ws >= end:
                break
            if we > start:
                out.append(i)
        return out


@dataclass(frozen=True, slots=True)
class Region:
    """One rectangle to fill: where, and why (no text: the JSON report carries regions only).

    Attributes:
        page: 1-based page number.
        box: ``(left, top, right, bottom)`` in page pixels, padded and clipped to the page.
        label, subtype, score, source: those of the engine span it covers, or ``LOW_CONFIDENCE`` /
            ``ocr_low_conf`` for uncertain OCR words, or ``REDACTED`` / ``ocr_error`` for a whole page.
    """

    page: int
    box: Box
    label: str
    subtype: str | None
    score: float
    source: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict (no text)."""
        return {
            "page": self.page,
            "box": list(self.box),
            "label": self.label,
            "subtype": self.subtype,
            "score": round(float(self.score), 4),
            "source": self.source,
        }


def build_page_text(words: Sequence[Word], min_conf: float = 0.0) -> PageText:
    """Join the words in reading order and record each word's offsets.

    Words below ``min_conf`` stay in ``words`` but get no offsets (the engine does not read them).
    """
    parts: list[str] = []
    offsets: list[tuple[int, int] | None] = []
    pos = 0
    prev: tuple[int, int, int] | None = None
    for w in words:
        if w.conf < min_conf:
            offsets.append(None)
            continue
        if prev is not None:
            sep = " " if w.line == prev else ("\n" if w.line[:2] == prev[:2] else "\n\n")
            parts.append(sep)
            pos += len(sep)
        parts.append(w.text)
        offsets.append((pos, pos + len(w.text)))
        pos += len(w.text)
        prev = w.line
    return PageText("".join(parts), tuple(words), tuple(offsets))


def union(boxes: Iterable[Box]) -> Box:
    """The smallest box holding every box: ``union([(0, 0, 2, 2), (1, 1, 5, 3)])`` -> ``(0, 0, 5, 3)``."""
    bs = list(boxes)
    return (min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs))


def pad(box: Box, padding: int, size: tuple[int, int]) -> Box:
    """``box`` grown by ``padding`` pixels on each side and clipped to a ``(width, height)`` page."""
    w, h = size
    return (
        max(box[0] - padding, 0),
        max(box[1] - padding, 0),
        min(box[2] + padding, w),
        min(box[3] + padding, h),
    )


def _by_line(page: PageText, idx: Iterable[int]) -> list[Box]:
    """One union box per text line of the given words, in reading order."""
    lines: dict[tuple[int, int, int], list[Box]] = {}
    for i in sorted(idx):
        lines.setdefault(page.words[i].line, []).append(page.words[i].box)
    return [union(bs) for bs in lines.values()]


def span_boxes(span: Span, page: PageText) -> list[Box]:
    """The boxes (one per text line, unpadded) of the words ``span`` touches."""
    return _by_line(page, page.words_in(span.start, span.end))


def low_conf_neighbours(page: PageText, covered: set[int], threshold: float) -> set[int]:
    """Uncertain words (conf < ``threshold``) next to a covered word on its line, chained outwards.

    Example: on a line ``[Dr.(96) Xai(95) D0nn(41) ~(12)]`` with ``Xai`` covered -> ``{2, 3}``.
    """
    out: set[int] = set()
    n = len(page.words)
    for i in covered:
        for step in (-1, 1):
            j = i + step
            while 0 <= j < n and page.words[j].line == page.words[i].line and page.words[j].conf < threshold:
                if j not in covered:
                    out.add(j)
                j += step
    return out


def page_regions(
    page_no: int,
    page: PageText,
    spans: Sequence[Span],
    size: tuple[int, int],
    padding: int = 0,
    conf_threshold: float = 0.0,
    low_conf: str = "adjacent",
) -> list[Region]:
    """Regions to fill for one page: each span's line boxes, then the uncertain words to cover.

    ``low_conf="adjacent"`` covers uncertain words inside or next to a span (a word left out of the
    text but lying between two covered words is inside the span's line box already);
    ``"all"`` covers every uncertain word of the page.
    """
    regions: list[Region] = []
    covered_all: set[int] = set()
    for s in spans:
        idx = set(page.words_in(s.start, s.end))
        if not idx:
            continue
        covered_all |= idx
        for b in _by_line(page, idx):
            regions.append(Region(page_no, pad(b, padding, size), s.label, s.subtype, s.score, s.source))
        extra = low_conf_neighbours(page, idx, conf_threshold) - covered_all
        covered_all |= extra
        for b in _by_line(page, extra):
            regions.append(
                Region(page_no, pad(b, padding, size), s.label, s.subtype, s.score, LOW_CONF_SOURCE)
            )
    if low_conf == "all":
        rest = {i for i, w in enumerate(page.words) if w.conf < conf_threshold} - covered_all
        for i in sorted(rest):
            b = pad(page.words[i].box, padding, size)
            regions.append(Region(page_no, b, LOW_CONF_LABEL, None, 1.0, LOW_CONF_SOURCE))
    return regions
