"""Character spans -> token label ids, with misalignment made explicit (-100, counted, reported).

The one place where training converts :class:`~engine.types.Span` offsets into BIO label ids over the
tokens that :class:`~engine.text.tokenize.TextTokenizer` produces (the same tokens inference sees).

Rules (spaCy's ``offsets_to_biluo_tags`` with ``"-"`` for missing is the model):

* a token entirely inside span ``k`` gets ``B-type`` when it holds the span's first character, else
  ``I-type`` (``type`` is :attr:`Span.type`: the subtype if set, else the label);
* a token entirely outside every span gets ``O``;
* a token only *partly* covered by a span (a span boundary inside the token), or covered by two
  overlapping spans of different types, gets ``-100`` (ignored by the loss). It is **never** ``O``:
  that would teach the model that PHI is not PHI. The span is counted as misaligned;
* policy ``"first"``: only the first subword of each pre-tokenizer word carries a label, continuation
  subwords get ``-100`` (the engine decodes words from their first subword). A span that *starts* on
  a continuation subword (``"xx" + "##79"`` with the span on ``79``) cannot be represented, so that
  word gets ``-100`` and the span is counted as misaligned. A span that *ends* inside a word on a
  token boundary (AGE ``"79"`` in ``"79yo"`` -> ``79 ##yo``) is token-aligned: the word is labelled;
* policy ``"all"``: every token carries its own label;
* a span whose type is not in ``label2id`` marks its tokens ``-100`` (counted as ``unknown_type``),
  or raises with ``unknown="error"``.

Example:
    >>> # text = "Pt 79yo seen"; tokens: pt(0,2) 79(3,5) ##yo(5,7) seen(8,12); words 0 1 1 2
    >>> enc = Encoded(np.array([1, 2, 3, 4]), np.array([[0, 2], [3, 5], [5, 7], [8, 12]]),
    ...               np.array([0, 1, 1, 2]))
    >>> ids, rep = align_labels(enc, [Span(3, 5, "AGE")], {"O": 0, "B-AGE": 1, "I-AGE": 2})
    >>> ids.tolist(), rep.spans_aligned
    ([0, 1, -100, 0], 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from engine.errors import AlignmentError
from engine.text.tokenize import Encoded
from engine.types import Span

IGNORE = -100
Policy = Literal["first", "all"]

_OUT = -1  # char/token outside every span
_CONFLICT = -2  # token partly covered, or chars claimed by two spans of different types
_MAX_EXAMPLES = 20


@dataclass
class AlignmentReport:
    """Counts of what alignment did; summed over documents with :meth:`update`.

    Attributes:
        docs: documents aligned.
        tokens: content tokens seen.
        tokens_labelled: tokens carrying a real label (O or B-/I-).
        tokens_continuation: continuation subwords ignored by policy ``"first"`` (expected, not an error).
        tokens_misaligned: tokens ignored because a span boundary or a span overlap falls inside them
            (or inside their word, under policy ``"first"``).
        tokens_unknown_type: tokens ignored because their span's type has no label.
        spans: spans seen.
        spans_aligned: spans whose boundaries fall on token boundaries and that got a B- tag.
        spans_misaligned: spans with a boundary inside a token (or starting inside a word under
            ``"first"``), or covering no token at all.
        spans_unknown_type: spans whose type is not in the label set.
        examples: up to 20 misaligned spans (doc id, offsets, type, reason, surface text) for debugging.
    """

    docs: int = 0
    tokens: int = 0
    tokens_labelled: int = 0
    tokens_continuation: int = 0
    tokens_misaligned: int = 0
    tokens_unknown_type: int = 0
    spans: int = 0
    spans_aligned: int = 0
    spans_misaligned: int = 0
    spans_unknown_type: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)

    def update(self, other: AlignmentReport) -> AlignmentReport:
        """Add ``other``'s counts into this report (in place) and return it."""
        for name in self.__dataclass_fields__:
            if name == "examples":
                room = _MAX_EXAMPLES - len(self.examples)
                self.examples.extend(other.examples[: max(room, 0)])
            else:
                setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    @property
    def misaligned_rate(self) -> float:
        """Fraction of spans that could not be aligned (0.0 when there are no spans)."""
        return self.spans_misaligned / self.spans if self.spans else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (goes into ``deid_train.json``)."""
        d = asdict(self)
        d["misaligned_rate"] = round(self.misaligned_rate, 6)
        return d


def align_labels(
    encoded: Encoded,
    spans: Iterable[Span],
    label2id: Mapping[str, int],
    policy: Policy = "first",
    *,
    unknown: Literal["ignore", "error"] = "ignore",
    doc_id: str = "",
    text: str | None = None,
) -> tuple[np.ndarray, AlignmentReport]:
    """Label every content token of ``encoded`` from character ``spans``.

    Args:
        encoded: one document's content tokens (no special tokens).
        spans: gold spans with half-open character offsets.
        label2id: BIO tag -> id; must contain ``"O"``.
        policy: ``"first"`` labels first subwords only, ``"all"`` labels every subword.
        unknown: what to do with a span whose type has no B-/I- tag: ``"ignore"`` (-100, counted) or
            ``"error"`` (raise :class:`AlignmentError`).
        doc_id: used in the report's examples and in error messages.
        text: the document text, only to show surface strings in the report's examples.

    Returns:
        ``(label_ids, report)``: ``label_ids`` is int64 with one entry per token, ``-100`` = ignore.
    """
    if policy not in ("first", "all"):
        raise AlignmentError("E375", f"unknown alignment policy {policy!r}", fix="Use 'first' or 'all'.")
    if "O" not in label2id:
        raise AlignmentError("E376", "label2id has no 'O' tag")
    span_list = sorted(set(spans), key=lambda s: (s.start, s.end, s.type))
    n = len(encoded)
    offsets = encoded.offsets
    rep = AlignmentReport(docs=1, tokens=n, spans=len(span_list))

    # Spans whose type has no tag still claim their characters (so they never become O).
    known = [f"B-{s.type}" in label2id and f"I-{s.type}" in label2id for s in span_list]
    for s, ok in zip(span_list, known, strict=True):
        if not ok and unknown == "error":
            raise AlignmentError(
                "E377",
                f"{doc_id}: span [{s.start}, {s.end}) has type {s.type!r} with no label",
                fix="Add the type to data.labels or set data.unknown_types='ignore'.",
            )

    # Who owns each character: a span index, _OUT, or _CONFLICT (two spans of different types).
    length = max([int(offsets[:, 1].max()) if n else 0] + [s.end for s in span_list])
    owner = np.full(length + 1, _OUT, dtype=np.int64)
    for k, s in enumerate(span_list):
        seg = owner[s.start : s.end]
        free = seg == _OUT
        clash = (seg >= 0) & np.array([span_list[j].type != s.type for j in seg.clip(0)], dtype=bool)
        seg[clash] = _CONFLICT
        seg[free] = k

    # A token's state is the owner of all its characters if they agree, else _CONFLICT.
    starts, ends = offsets[:, 0], offsets[:, 1]
    change = np.zeros(length + 1, dtype=np.int64)
    change[1:] = owner[1:] != owner[:-1]
    csum = np.cumsum(change)
    uniform = (csum[np.maximum(ends - 1, starts)] - csum[starts]) == 0
    state = np.where(uniform & (ends > starts), owner[starts], _CONFLICT)

    bad: dict[int, str] = {}  # span index -> reason it is misaligned
    for i in np.flatnonzero(state == _CONFLICT):
        for k in set(owner[starts[i] : ends[i]].tolist()) - {_OUT, _CONFLICT}:
            bad.setdefault(k, "boundary inside a token")
        if (owner[starts[i] : ends[i]] == _CONFLICT).any():
            for k, s in enumerate(span_list):
                if s.start < ends[i] and starts[i] < s.end:
                    bad.setdefault(k, "overlaps a span of another type")

    first = encoded.first_subword() if policy == "first" else np.ones(n, dtype=bool)
    word_state = state.copy()
    if policy == "first" and n:
        # A word whose first subword is outside (or in another span) while a later subword starts a
        # span cannot carry that span's B- tag: ignore the whole word and count the span.
        word_start = np.flatnonzero(first)
        word_of = np.cumsum(first) - 1
        for i in np.flatnonzero(~first):
            head = word_start[word_of[i]]
            k = state[i]
            if k >= 0 and k != state[head] and span_list[k].start >= starts[i]:
                bad.setdefault(int(k), "starts inside a word")
                word_state[head] = _CONFLICT
            elif k == _CONFLICT and state[head] != _CONFLICT:
                word_state[head] = _CONFLICT

    labels = np.full(n, IGNORE, dtype=np.int64)
    o_id = label2id["O"]
    for i in range(n):
        if not first[i]:
            rep.tokens_continuation += 1
            continue
        k = int(word_state[i])
        if k == _OUT:
            labels[i] = o_id
        elif k == _CONFLICT:
            rep.tokens_misaligned += 1
        elif not known[k]:
            rep.tokens_unknown_type += 1
        else:
            s = span_list[k]
            prefix = "B" if starts[i] <= s.start else "I"
            labels[i] = label2id[f"{prefix}-{s.type}"]
    rep.tokens_labelled = int((labels != IGNORE).sum())

    covered = {int(k) for k in state[first] if k >= 0} if n else set()
    for k, s in enumerate(span_list):
        if not known[k]:
            rep.spans_unknown_type += 1
            continue
        reason = bad.get(k) or (None if k in covered else "covers no token")
        if reason is None:
            rep.spans_aligned += 1
            continue
        rep.spans_misaligned += 1
        if len(rep.examples) < _MAX_EXAMPLES:
            ex: dict[str, Any] = {
                "doc": doc_id,
                "start": s.start,
                "end": s.end,
                "type": s.type,
                "reason": reason,
            }
            if text is not None:
                ex["text"] = text[s.start : s.end]
            rep.examples.append(ex)
    return labels, rep
