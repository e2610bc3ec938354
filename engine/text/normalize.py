"""A normalised view of a note for detection, with offsets mapped back to the original.

PHI written with look-alike characters must not slip past ASCII patterns or a model trained on
ASCII digits: an SSN in full-width digits (``１２３-４５-６７８９``), a date in Arabic-Indic digits
(``٣/١٢/٢٠١١``), a name in full-width letters. Detection runs on a view where each non-ASCII
character is replaced by its NFKC form, and every Unicode decimal digit by its ASCII digit; spans
found on the view are mapped back to the original characters, so redaction always works on the
text the user gave. ASCII text is its own view (no copy, no map).

Example:
    >>> view = NormalizedView.of("SSN １２３-４５-６７８９")
    >>> view.text
    'SSN 123-45-6789'
    >>> view.to_original(4, 15)
    (4, 15)
    >>> NormalizedView.of("ﬁle 7").to_original(4, 5)    # the ligature became two characters
    (3, 4)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def normalize_char(ch: str) -> str:
    """The view of one character: its ASCII digit if it is a decimal digit, else its NFKC form.

    Example: ``normalize_char("٣")`` -> ``'3'``; ``normalize_char("Ａ")`` -> ``'A'``.
    """
    digit = unicodedata.decimal(ch, None)
    if digit is not None:
        return str(digit)
    return unicodedata.normalize("NFKC", ch) or ch


@dataclass(frozen=True, slots=True)
class NormalizedView:
    """``text`` is the view; ``index[j]`` is the original character that view character ``j`` came from.

    ``index`` is ``None`` when the view is the original text itself.
    """

    text: str
    index: tuple[int, ...] | None = None

    @classmethod
    def of(cls, original: str) -> NormalizedView:
        """The view of ``original`` (itself when nothing changes)."""
        if original.isascii():
            return cls(original)
        pieces: list[str] = []
        index: list[int] = []
        pos = 0
        changed = False
        for m in _NON_ASCII.finditer(original):
            pieces.append(original[pos : m.start()])
            index.extend(range(pos, m.start()))
            for k in range(m.start(), m.end()):
                rep = normalize_char(original[k])
                changed = changed or rep != original[k]
                pieces.append(rep)
                index.extend([k] * len(rep))
            pos = m.end()
        if not changed:
            return cls(original)
        pieces.append(original[pos:])
        index.extend(range(pos, len(original)))
        return cls("".join(pieces), tuple(index))

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Half-open view offsets ``[start, end)`` -> the original characters they came from."""
        if self.index is None:
            return start, end
        return self.index[start], self.index[end - 1] + 1
