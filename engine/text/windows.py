"""Overlapping windows over a document's tokens, shared by training and inference.

A document of ``n`` content tokens is cut into windows of at most ``max_tokens`` content tokens
(``max_length`` minus the two special tokens). Consecutive windows overlap by at least ``stride``
tokens; a document that needs several windows gets the fewest that fit, all of one length. Each
window's *core* is the part whose predictions are trusted: overlaps are split at their midpoint, so
every token is predicted by the window in which it is most central, and the cores partition
``[0, n)``. Nothing is ever truncated.

Example:
    >>> [(w.start, w.end, w.core_start, w.core_end) for w in make_windows(10, max_length=8, stride=2)]
    [(0, 6, 0, 5), (4, 10, 5, 10)]
"""

from __future__ import annotations

from engine.errors import ConfigError, CoverageError
from engine.types import Window

N_SPECIAL = 2  # [CLS] and [SEP]


def make_windows(n_tokens: int, max_length: int, stride: int) -> list[Window]:
    """Cut ``n_tokens`` content tokens into overlapping windows with cores.

    Args:
        n_tokens: number of content tokens in the document.
        max_length: the model's sequence length, special tokens included.
        stride: number of tokens shared by consecutive windows.

    Returns:
        Windows in order; an empty document gets no windows.
    """
    size = max_length - N_SPECIAL
    if size < 1:
        raise ConfigError("E102", f"max_length {max_length} leaves no room for content tokens")
    if not 0 <= stride < size:
        raise ConfigError(
            "E103",
            f"stride {stride} must be in [0, {size}) for max_length {max_length}",
            fix="Use a stride of about a quarter of max_length.",
        )
    if n_tokens <= 0:
        return []
    if n_tokens <= size:
        return [Window(0, n_tokens, 0, n_tokens)]
    # The fewest windows that fit, all of one length, spread evenly: consecutive windows overlap by at
    # least ``stride`` tokens and no window is longer than it must be (a 300-token note costs two
    # windows of 182 tokens, not two of 254).
    k = -(-(n_tokens - stride) // (size - stride))
    length = -(-(n_tokens + (k - 1) * stride) // k)
    starts = [i * (n_tokens - length) // (k - 1) for i in range(k)]
    windows: list[Window] = []
    for i, s in enumerate(starts):
        e = s + length
        # Split each overlap with the neighbour at its midpoint.
        core_s = 0 if i == 0 else (s + windows[-1].end) // 2
        core_e = n_tokens if i == len(starts) - 1 else (starts[i + 1] + e) // 2
        windows.append(Window(s, e, core_s, core_e))
    check_coverage(windows, n_tokens)
    return windows


def check_coverage(windows: list[Window], n_tokens: int) -> None:
    """Raise :class:`CoverageError` unless the window cores partition ``[0, n_tokens)``."""
    pos = 0
    for w in windows:
        if w.core_start != pos:
            raise CoverageError("E301", f"window cores leave a gap or overlap at token {pos}: {w}")
        pos = w.core_end
    if pos != n_tokens:
        raise CoverageError("E302", f"window cores end at token {pos}, document has {n_tokens}")
