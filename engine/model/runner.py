"""Running windows through the model in batches that cannot change a window's result.

A window's logits must not depend on which other windows share its model call (otherwise a note's
spans would change with the batch size, the chunking, the input order or the worker count). Two
rules make a call batch-invariant: every window is padded to a width that depends on its own length
only (its length plus the two special tokens, rounded up to :data:`PAD_MULTIPLE`), and only windows
of the same width share a call. With a graph whose activation scales are fixed (float, fp16, or
int8 with frozen scales, see ``engine.export.freeze_scales``), each row is then computed exactly as it
would be alone. A dynamically quantised int8 graph computes one activation scale over the whole
call, so the engine runs such a graph one window per call (``batch_size=1``).

Example:
    >>> runner = ModelRunner(session, cls_id=101, sep_id=102, pad_id=0, batch_size=4)   # doctest: +SKIP
    >>> probs = runner.run([np.array([7592, 2088])])                                    # doctest: +SKIP
    >>> probs[0].shape        # (content tokens, labels)                                 # doctest: +SKIP
    (2, 47)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.config import DEFAULT_BATCH
from engine.errors import DetectionError

#: Window widths (content tokens + [CLS] + [SEP]) are rounded up to a multiple of this, so that
#: windows of similar length can share a call while each window's width depends on itself only.
PAD_MULTIPLE = 16


def padded_width(n_content: int, multiple: int = PAD_MULTIPLE, max_width: int | None = None) -> int:
    """The width a window of ``n_content`` tokens is padded to (never below ``n_content + 2``).

    Example: ``padded_width(30)`` -> ``32``; ``padded_width(31)`` -> ``48``;
    ``padded_width(253, max_width=256)`` -> ``256``.
    """
    need = n_content + 2
    width = -(-need // multiple) * multiple
    if max_width is not None:
        width = min(width, max(max_width, need))
    return width


def softmax(logits: np.ndarray) -> np.ndarray:
    """Numerically stable softmax over the last axis, float32."""
    x = logits.astype(np.float32, copy=False)
    x = x - x.max(axis=-1, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=-1, keepdims=True)
    return x


class ModelRunner:
    """Pads, batches and runs content-token windows; returns probabilities for content tokens only."""

    def __init__(
        self,
        session: object,
        cls_id: int,
        sep_id: int,
        pad_id: int,
        batch_size: int = DEFAULT_BATCH["cpu"],
        max_width: int | None = None,
        pad_multiple: int = PAD_MULTIPLE,
    ) -> None:
        self.session = session
        self.cls_id, self.sep_id, self.pad_id = cls_id, sep_id, pad_id
        self.batch_size = batch_size
        self.max_width = max_width
        self.pad_multiple = pad_multiple
        self._inputs = {i.name for i in session.get_inputs()}  # type: ignore[attr-defined]
        self._output = session.get_outputs()[0].name  # type: ignore[attr-defined]

    def width(self, n_content: int) -> int:
        """The padded width of a window of ``n_content`` tokens (see :func:`padded_width`)."""
        return padded_width(n_content, self.pad_multiple, self.max_width)

    def batches(self, lengths: Sequence[int]) -> list[np.ndarray]:
        """Index batches: windows of one padded width each, widest first, at most ``batch_size``."""
        widths = np.asarray([self.width(n) for n in lengths], dtype=np.int64)
        order = np.argsort(-widths, kind="stable")
        out: list[np.ndarray] = []
        start = 0
        while start < len(order):
            end = start
            w = widths[order[start]]
            while end < len(order) and end - start < self.batch_size and widths[order[end]] == w:
                end += 1
            out.append(order[start:end])
            start = end
        return out

    def run_batch(self, windows: Sequence[np.ndarray]) -> np.ndarray:
        """Run one batch of content-id arrays of one padded width; logits ``(batch, width, labels)``."""
        width = max(self.width(len(w)) for w in windows)
        ids = np.full((len(windows), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(windows), width), dtype=np.int64)
        for r, w in enumerate(windows):
            n = len(w)
            ids[r, 0] = self.cls_id
            ids[r, 1 : n + 1] = w
            ids[r, n + 1] = self.sep_id
            mask[r, : n + 2] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        out = self.session.run([self._output], feeds)[0]  # type: ignore[attr-defined]
        if out.shape[:2] != ids.shape:
            raise DetectionError(
                "E501",
                f"model returned shape {out.shape} for input {ids.shape}",
                fix="The artifact is broken: re-export it.",
            )
        return out

    def run(self, windows: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Probabilities per window, ``(len(window), labels)`` each, in input order."""
        result: list[np.ndarray | None] = [None] * len(windows)
        for idx in self.batches([len(w) for w in windows]):
            logits = self.run_batch([windows[i] for i in idx])
            probs = softmax(logits)
            for r, i in enumerate(idx):
                result[i] = probs[r, 1 : len(windows[i]) + 1]
        if any(r is None for r in result):
            raise DetectionError("E502", "a window got no model output")
        return result  # type: ignore[return-value]
