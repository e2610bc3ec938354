"""Stitching per-window predictions back into one per-token array.

Each token's prediction comes from the window whose core contains it, i.e. the window where the
token is most central (see :mod:`engine.text.windows`).

Example:
    >>> import numpy as np
    >>> from engine.types import Window
    >>> ws = [Window(0, 6, 0, 5), Window(4, 10, 5, 10)]
    >>> probs = [np.zeros((6, 3)), np.ones((6, 3))]
    >>> stitch(ws, probs, 10)[:, 0].tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.errors import CoverageError
from engine.text.windows import check_coverage
from engine.types import Window


def stitch(windows: Sequence[Window], probs: Sequence[np.ndarray], n_tokens: int) -> np.ndarray:
    """Per-token probabilities ``(n_tokens, labels)`` from the windows' cores."""
    check_coverage(list(windows), n_tokens)
    if not windows:
        return np.zeros((0, 0), dtype=np.float32)
    out = np.empty((n_tokens, probs[0].shape[-1]), dtype=np.float32)
    for w, p in zip(windows, probs, strict=True):
        if p.shape[0] != w.length:
            raise CoverageError("E303", f"window {w} got {p.shape[0]} predictions for {w.length} tokens")
        out[w.core_start : w.core_end] = p[w.core_start - w.start : w.core_end - w.start]
    return out
