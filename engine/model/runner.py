"""Running windows through the model in length-sorted batches.

Windows from many documents are sorted by length so each batch pads little, then padded, run and
returned in their original order as per-token probabilities.

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
    ) -> None:
        self.session = session
        self.cls_id, self.sep_id, self.pad_id = cls_id, sep_id, pad_id
        self.batch_size = batch_size
        self._inputs = {i.name for i in session.get_inputs()}  # type: ignore[attr-defined]
        self._output = session.get_outputs()[0].name  # type: ignore[attr-defined]

    def batches(self, lengths: Sequence[int]) -> list[np.ndarray]:
        """Index batches of windows sorted by length (longest first)."""
        order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
        return [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]

    def run_batch(self, windows: Sequence[np.ndarray]) -> np.ndarray:
        """Run one batch of content-id arrays; returns logits ``(batch, max_len + 2, labels)``."""
        width = max(len(w) for w in windows) + 2
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
