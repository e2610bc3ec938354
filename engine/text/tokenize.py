"""Tokenization with offsets from the tokenizer itself (never guessed).

Wraps :class:`tokenizers.Tokenizer`: special tokens, truncation and padding are switched off so a
note of any length becomes one sequence of content tokens; windows add ``[CLS]``/``[SEP]`` later.

Example:
    >>> tok = TextTokenizer.from_file("tokenizer.json")          # doctest: +SKIP
    >>> enc = tok.encode("PT SEEN BY DR FOLEY 7/22")              # doctest: +SKIP
    >>> enc.offsets[:2]                                            # doctest: +SKIP
    [(0, 2), (3, 7)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import ArtifactError


@dataclass(frozen=True, slots=True)
class Encoded:
    """One document's content tokens.

    Attributes:
        ids: token ids, int64, shape ``(n,)``.
        offsets: character offsets ``(start, end)`` per token into the original text, shape ``(n, 2)``.
        word_ids: pre-tokenizer word index per token (subwords of one word share it), shape ``(n,)``.
    """

    ids: np.ndarray
    offsets: np.ndarray
    word_ids: np.ndarray

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def first_subword(self) -> np.ndarray:
        """Boolean mask: True for tokens that start a pre-tokenizer word."""
        mask = np.ones(len(self), dtype=bool)
        if len(self) > 1:
            mask[1:] = self.word_ids[1:] != self.word_ids[:-1]
        return mask


class TextTokenizer:
    """A fast tokenizer plus the special-token ids the windows need."""

    def __init__(self, tokenizer: object) -> None:
        from tokenizers import Tokenizer

        if not isinstance(tokenizer, Tokenizer):
            raise TypeError("TextTokenizer wraps a tokenizers.Tokenizer")
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self._tok = tokenizer
        self.cls_id = self._special_id(("[CLS]", "<s>", "[BOS]"))
        self.sep_id = self._special_id(("[SEP]", "</s>", "[EOS]"))
        self.pad_id = self._special_id(("[PAD]", "<pad>"))

    @classmethod
    def from_file(cls, path: str | Path) -> TextTokenizer:
        """Load a ``tokenizer.json``."""
        from tokenizers import Tokenizer

        p = Path(path)
        if not p.is_file():
            raise ArtifactError("E201", f"tokenizer file not found: {p}", fix="Export the model again.")
        return cls(Tokenizer.from_file(str(p)))

    @property
    def raw(self) -> object:
        """The underlying ``tokenizers.Tokenizer``."""
        return self._tok

    def _special_id(self, names: Sequence[str]) -> int:
        for n in names:
            i = self._tok.token_to_id(n)
            if i is not None:
                return int(i)
        raise ArtifactError("E202", f"tokenizer has none of the special tokens {list(names)}")

    def encode(self, text: str) -> Encoded:
        """Encode one text without special tokens."""
        return self.encode_batch([text])[0]

    def encode_batch(self, texts: Sequence[str]) -> list[Encoded]:
        """Encode many texts (parallel inside the Rust tokenizer)."""
        out = []
        for enc in self._tok.encode_batch(list(texts), add_special_tokens=False):
            n = len(enc.ids)
            ids = np.asarray(enc.ids, dtype=np.int64)
            offsets = np.asarray(enc.offsets, dtype=np.int64).reshape(n, 2)
            # word_ids is None only for special tokens, which are not added here.
            wid = np.asarray([-1 if w is None else w for w in enc.word_ids], dtype=np.int64)
            out.append(Encoded(ids, offsets, wid))
        return out
