"""Annotated documents -> model windows with label ids, exactly as inference windows them.

Each document is tokenised once with :class:`~engine.text.tokenize.TextTokenizer` (no special tokens),
labelled with :func:`engine.training.align.align_labels`, and cut with
:func:`engine.text.windows.make_windows` using the same ``max_length``/``stride`` the engine will
use. Every window is ``[CLS] tokens [SEP]``; the special tokens get ``-100``.

Design choice: labels inside a window but outside its *core* are trained too. The core only decides
which window's prediction inference trusts; the labels in the overlap are still correct labels, and a
model that has seen tokens near window edges is better at the edge of every core. The cost is that
overlap tokens (``stride`` of every ``max_length - 2``) are seen twice per epoch.

Example:
    >>> docs = [AnnotatedDoc("d1", "Seen by Dr Foley.", (Span(11, 16, "NAME", "DOCTOR"),))]  # doctest: +SKIP
    >>> ex, report, stats = build_windows(docs, tok, label2id, max_length=256, stride=64)  # doctest: +SKIP
    >>> ex[0]["labels"][:4], stats["windows"]                                              # doctest: +SKIP
    ([-100, 0, 0, 0], 1)
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import InputError
from engine.text.tokenize import TextTokenizer
from engine.text.windows import make_windows
from engine.training.align import IGNORE, AlignmentReport, Policy, align_labels
from engine.types import Span


@dataclass(frozen=True)
class AnnotatedDoc:
    """Minimal stand-in for ``engine.training.corpora.AnnotatedDocument`` (same attribute names)."""

    id: str
    text: str
    spans: tuple[Span, ...]
    group: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


def _read_jsonl(path: Path) -> Iterator[AnnotatedDoc]:
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                spans = tuple(
                    Span(int(s["start"]), int(s["end"]), str(s["label"]), s.get("subtype"), source="gold")
                    for s in d.get("spans", [])
                )
                yield AnnotatedDoc(str(d["id"]), str(d["text"]), spans, d.get("group"), d.get("meta") or {})
            except (KeyError, ValueError, TypeError) as e:
                raise InputError("E910", f"{path}:{n}: bad corpus record: {e}") from e


def load_corpus(path: str | Path, fmt: str = "jsonl") -> Iterator[Any]:
    """Read annotated documents; uses ``engine.training.corpora.read_corpus`` when it is available.

    The fallback reads only the JSONL interchange format.
    """
    try:
        from engine.training.corpora import read_corpus
    except ImportError:
        read_corpus = None
    if read_corpus is not None:
        return iter(read_corpus(path, fmt))
    if fmt != "jsonl":
        raise InputError(
            "E911", f"no reader for format {fmt!r}", fix="engine.training.corpora is needed for it."
        )
    p = Path(path)
    if not p.is_file():
        raise InputError(
            "E503", f"corpus not found: {p}", fix="Generate it first (deid synth) or fix data.train."
        )
    return _read_jsonl(p)


def corpus_types(docs: Iterable[Any]) -> list[str]:
    """Sorted span types (``Span.type``) present in ``docs``."""
    return sorted({s.type for d in docs for s in d.spans})


def sample_docs(docs: Sequence[Any], n: int | None, seed: int) -> list[Any]:
    """A seeded sample of ``n`` documents in their original order (all when ``n`` is None or larger)."""
    if n is None or n >= len(docs):
        return list(docs)
    keep = sorted(random.Random(seed).sample(range(len(docs)), n))
    return [docs[i] for i in keep]


def build_windows(
    docs: Iterable[Any],
    tokenizer: TextTokenizer,
    label2id: Mapping[str, int],
    *,
    max_length: int,
    stride: int,
    policy: Policy = "first",
    unknown: str = "ignore",
) -> tuple[list[dict[str, list[int]]], AlignmentReport, dict[str, Any]]:
    """Tokenise, align and window documents.

    Returns:
        ``(examples, report, stats)``: ``examples`` are dicts with ``input_ids``, ``attention_mask`` and
        ``labels`` (lists of ints, one window each); ``report`` sums the alignment of all documents;
        ``stats`` counts docs, windows, tokens and labels per tag.
    """
    docs = list(docs)
    report = AlignmentReport()
    examples: list[dict[str, list[int]]] = []
    tag_counts = np.zeros(len(label2id), dtype=np.int64)
    n_tokens = 0
    batch = 256
    for b in range(0, len(docs), batch):
        chunk = docs[b : b + batch]
        for doc, enc in zip(chunk, tokenizer.encode_batch([d.text for d in chunk]), strict=True):
            labels, rep = align_labels(
                enc,
                doc.spans,
                label2id,
                policy,
                unknown=unknown,
                doc_id=doc.id,
                text=doc.text,  # type: ignore[arg-type]
            )
            report.update(rep)
            n_tokens += len(enc)
            valid = labels[labels != IGNORE]
            tag_counts += np.bincount(valid, minlength=len(label2id))
            for w in make_windows(len(enc), max_length, stride):
                ids = [tokenizer.cls_id, *enc.ids[w.start : w.end].tolist(), tokenizer.sep_id]
                lab = [IGNORE, *labels[w.start : w.end].tolist(), IGNORE]
                examples.append({"input_ids": ids, "attention_mask": [1] * len(ids), "labels": lab})
    id2label = {i: t for t, i in label2id.items()}
    stats = {
        "docs": len(docs),
        "doc_tokens": n_tokens,
        "windows": len(examples),
        "window_tokens": sum(len(e["input_ids"]) for e in examples),
        "spans": report.spans,
        "tag_counts": {id2label[i]: int(c) for i, c in enumerate(tag_counts)},
    }
    return examples, report, stats


def to_hf_dataset(examples: list[dict[str, list[int]]]) -> Any:
    """A ``datasets.Dataset`` with ``input_ids``, ``attention_mask`` and ``labels`` columns."""
    from datasets import Dataset

    cols = {k: [e[k] for e in examples] for k in ("input_ids", "attention_mask", "labels")}
    return Dataset.from_dict(cols)


def make_collator(hf_tokenizer: Any, pad_to_multiple_of: int | None = None) -> Any:
    """Pads ``input_ids`` with the tokenizer's pad id and ``labels`` with -100."""
    from transformers import DataCollatorForTokenClassification

    return DataCollatorForTokenClassification(
        hf_tokenizer, label_pad_token_id=IGNORE, pad_to_multiple_of=pad_to_multiple_of
    )
