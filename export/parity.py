"""Parity gate: does the exported graph behave like its PyTorch source?

Two layers:

* **tensor parity** - the fp32 ONNX graph and torch give logits within ``atol`` on a fixed set of
  texts. Every window is checked and *all* failures are collected before
  :class:`~engine.errors.ToleranceExceeded` (or :class:`~engine.errors.ShapeMismatch`) is raised.
* **task parity** - on a dev corpus (JSONL with gold spans), the served artifact (int8/fp16/fp32)
  and torch are decoded through the same windowing and span decoder; token argmax agreement and the
  change in strict span recall and F1 are compared with configured limits (:class:`ParityError`).

Both sides see exactly the windows the engine builds (:func:`engine.text.windows.make_windows`).

Example:
    >>> report = tensor_parity(torch_fn, onnx_fn, tok, PARITY_TEXTS, 256, 64, atol=1e-3)  # doctest: +SKIP
    >>> report.max_abs_diff < 1e-3                                                       # doctest: +SKIP
    True
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import InputError, ShapeMismatch, ToleranceExceeded
from engine.export.spanscore import decode, strict_prf
from engine.text.tokenize import TextTokenizer
from engine.text.windows import make_windows

#: ``f(input_ids, attention_mask, token_type_ids) -> logits``, all numpy, shape (batch, seq[, labels]).
LogitsFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]

#: Fixed synthetic notes (no real PHI) for tensor parity: short, long, punctuation, digits, unicode.
PARITY_TEXTS: tuple[str, ...] = (
    "Patient John Smith, 67 y/o male, seen by Dr. Alice Nguyen at Mercy Hospital on 03/14/2021.",
    "MRN: 4412-889-0; phone (617) 555-0199; email j.smith@example.org; lives at 12 Elm St, Boston MA 02115.",
    "Pt c/o SOB x3d. Hx: CHF, DM2. Meds: metformin 500mg BID. F/u w/ cardiology (Dr Ramírez) in 2 wks.",
    "",
    "a",
    " ".join(["The patient Maria Lopez was admitted to St. Jude on 2019-07-04 for observation."] * 30),
)


@dataclass
class TensorParity:
    """Result of :func:`tensor_parity` (every window, even the ones that passed)."""

    atol: float
    n_texts: int
    n_windows: int
    max_abs_diff: float
    mean_abs_diff: float
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when no window failed."""
        return not self.failures


@dataclass
class TaskParity:
    """Result of :func:`task_parity`: torch vs artifact on the same windows and the same decoder."""

    n_docs: int
    n_tokens: int
    label_agreement: float
    torch: dict[str, float]
    onnx: dict[str, float]
    recall_drop: float
    f1_drop: float
    limits: dict[str, float]
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every limit held."""
        return not self.failures


def window_batches(
    tok: TextTokenizer, texts: Sequence[str], max_length: int, stride: int
) -> tuple[list[Any], list[tuple[int, Any, np.ndarray]]]:
    """Encode ``texts`` and cut them into model inputs exactly as the engine does.

    Returns:
        ``(encodings, windows)`` where each window is ``(doc_index, Window, input_ids)`` and
        ``input_ids`` already holds ``[CLS] ... [SEP]``.
    """
    encs = tok.encode_batch(list(texts))
    wins = []
    for d, enc in enumerate(encs):
        for w in make_windows(len(enc), max_length, stride):
            ids = np.concatenate([[tok.cls_id], enc.ids[w.start : w.end], [tok.sep_id]]).astype(np.int64)
            wins.append((d, w, ids))
    return encs, wins


def run_windows(
    fn: LogitsFn, windows: Sequence[np.ndarray], pad_id: int, batch_size: int
) -> list[np.ndarray]:
    """Run ``fn`` over windows in length-sorted padded batches; return per-window logits, unpadded."""
    order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
    out: list[np.ndarray] = [np.empty(0)] * len(windows)
    for b in range(0, len(order), batch_size):
        idx = order[b : b + batch_size]
        width = max(len(windows[i]) for i in idx)
        ids = np.full((len(idx), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(idx), width), dtype=np.int64)
        for r, i in enumerate(idx):
            ids[r, : len(windows[i])] = windows[i]
            mask[r, : len(windows[i])] = 1
        logits = np.asarray(fn(ids, mask, np.zeros_like(ids)), dtype=np.float32)
        well_formed = logits.ndim == 3 and logits.shape[:2] == ids.shape
        for r, i in enumerate(idx):
            # subtle: a malformed output is passed on whole, so the caller reports a ShapeMismatch
            # instead of this slicing hiding it.
            out[i] = logits[r, : len(windows[i])] if well_formed else logits
    return out


def tensor_parity(
    reference: LogitsFn,
    candidate: LogitsFn,
    tok: TextTokenizer,
    texts: Sequence[str],
    max_length: int,
    stride: int,
    atol: float,
    batch_size: int = 8,
    raise_on_failure: bool = True,
) -> TensorParity:
    """Compare logits window by window; collect every failure, then raise.

    Raises:
        ShapeMismatch: some window's logits have different shapes (listed, all of them).
        ToleranceExceeded: some window differs by more than ``atol`` (listed, all of them).
    """
    _, wins = window_batches(tok, texts, max_length, stride)
    ids = [w[2] for w in wins]
    ref = run_windows(reference, ids, tok.pad_id, batch_size)
    cand = run_windows(candidate, ids, tok.pad_id, batch_size)
    shape_fail, tol_fail, diffs = [], [], []
    for k, ((d, w, _), r, c) in enumerate(zip(wins, ref, cand, strict=True)):
        where = f"text {d} window #{k} tokens [{w.start}, {w.end})"
        if r.shape != c.shape:
            shape_fail.append(f"{where}: reference {r.shape} vs exported {c.shape}")
            continue
        diff = np.abs(r - c)
        diffs.append(diff.ravel())
        worst = float(diff.max()) if diff.size else 0.0
        if not np.isfinite(c).all() or worst > atol:
            pos = np.unravel_index(int(np.nanargmax(diff)), diff.shape) if diff.size else ()
            tol_fail.append(
                f"{where}: max |diff| {worst:.3g} > atol {atol:g} at {tuple(int(p) for p in pos)}"
            )
    alld = np.concatenate(diffs) if diffs else np.zeros(1)
    report = TensorParity(
        atol=atol,
        n_texts=len(texts),
        n_windows=len(wins),
        max_abs_diff=float(np.nanmax(alld)),
        mean_abs_diff=float(np.nanmean(alld)),
        failures=shape_fail + tol_fail,
    )
    if raise_on_failure and shape_fail:
        err = ShapeMismatch(
            "E832",
            f"{len(shape_fail)} window(s) differ in shape: " + "; ".join(shape_fail),
            fix="Check the dynamic axes of the export (batch_size, sequence_length).",
        )
        err.report = report  # type: ignore[attr-defined]
        raise err
    if raise_on_failure and tol_fail:
        err = ToleranceExceeded(
            "E833",
            f"{len(tol_fail)} of {len(wins)} window(s) exceed atol {atol:g}: " + "; ".join(tol_fail),
            fix="Check the optimisation preset (approximate GELU?) or raise --atol for expected drift.",
        )
        err.report = report  # type: ignore[attr-defined]
        raise err
    return report


def stitch_logits(enc: Any, doc_windows: Sequence[tuple[Any, np.ndarray]]) -> np.ndarray:
    """Per-token logits of one document, each token taken from the window whose core holds it."""
    n = len(enc)
    if not doc_windows:
        return np.zeros((0, 0), dtype=np.float32)
    out = np.zeros((n, doc_windows[0][1].shape[-1]), dtype=np.float32)
    for w, logits in doc_windows:
        # +1: the window's logits start with [CLS].
        out[w.core_start : w.core_end] = logits[1 + w.core_start - w.start : 1 + w.core_end - w.start]
    return out


def predict_spans(
    fn: LogitsFn,
    tok: TextTokenizer,
    texts: Sequence[str],
    labels: Sequence[str],
    max_length: int,
    stride: int,
    batch_size: int = 8,
) -> tuple[list[np.ndarray], list[list[tuple[int, int, str]]]]:
    """Windowed inference + decoding: per-document token argmax ids and ``(start, end, type)`` spans."""
    encs, wins = window_batches(tok, texts, max_length, stride)
    logits = run_windows(fn, [w[2] for w in wins], tok.pad_id, batch_size)
    per_doc: list[list[tuple[Any, np.ndarray]]] = [[] for _ in texts]
    for (d, w, _), lg in zip(wins, logits, strict=True):
        per_doc[d].append((w, lg))
    argmaxes, spans = [], []
    for d, enc in enumerate(encs):
        lg = stitch_logits(enc, per_doc[d])
        argmaxes.append(lg.argmax(-1) if lg.size else np.zeros(0, dtype=np.int64))
        spans.append(decode(texts[d], enc, lg, labels))
    return argmaxes, spans


def read_dev(path: str | Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Read a JSONL corpus ``{"id", "text", "spans": [{"start", "end", "label", "subtype"}]}``."""
    docs = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                d["text"], d["spans"] = str(d["text"]), list(d.get("spans", []))
            except (ValueError, KeyError, TypeError) as e:
                raise InputError(
                    "E603",
                    f"{path}:{lineno}: not a dev-corpus record: {e}",
                    fix='Each line needs {"id", "text", "spans": [...]}.',
                ) from e
            docs.append(d)
            if limit is not None and len(docs) >= limit:
                break
    return docs


def gold_tuples(doc: dict[str, Any]) -> list[tuple[int, int, str]]:
    """Gold ``(start, end, type)`` tuples, where type is the subtype when known, else the label."""
    from engine.labels import normalize_subtype

    return [
        (int(s["start"]), int(s["end"]), normalize_subtype(s.get("subtype") or s["label"]))
        for s in doc["spans"]
    ]


def task_parity(
    reference: LogitsFn,
    candidate: LogitsFn,
    tok: TextTokenizer,
    docs: Sequence[dict[str, Any]],
    labels: Sequence[str],
    max_length: int,
    stride: int,
    max_recall_drop: float,
    max_f1_drop: float,
    min_label_agreement: float = 0.0,
    batch_size: int = 8,
) -> TaskParity:
    """Score torch and the artifact against gold spans through the same decoder; compare.

    Drops are in points (0-100); a negative drop means the artifact scored higher. Limits are only
    checked, not raised on: the caller decides (``export_model`` raises :class:`ParityError`).
    """
    texts = [d["text"] for d in docs]
    gold = [gold_tuples(d) for d in docs]
    am_ref, sp_ref = predict_spans(reference, tok, texts, labels, max_length, stride, batch_size)
    am_cand, sp_cand = predict_spans(candidate, tok, texts, labels, max_length, stride, batch_size)
    n_tok = sum(len(a) for a in am_ref)
    agree = sum(int((a == b).sum()) for a, b in zip(am_ref, am_cand, strict=True))
    m_ref, m_cand = strict_prf(gold, sp_ref), strict_prf(gold, sp_cand)
    rdrop = 100 * (m_ref["recall"] - m_cand["recall"])
    fdrop = 100 * (m_ref["f1"] - m_cand["f1"])
    agreement = agree / n_tok if n_tok else 1.0
    failures = []
    if rdrop > max_recall_drop:
        failures.append(f"strict recall dropped {rdrop:.2f} pt > {max_recall_drop} pt")
    if fdrop > max_f1_drop:
        failures.append(f"strict F1 dropped {fdrop:.2f} pt > {max_f1_drop} pt")
    if agreement < min_label_agreement:
        failures.append(f"token label agreement {agreement:.4f} < {min_label_agreement}")
    return TaskParity(
        n_docs=len(docs),
        n_tokens=n_tok,
        label_agreement=agreement,
        torch=m_ref,
        onnx=m_cand,
        recall_drop=rdrop,
        f1_drop=fdrop,
        limits={
            "max_recall_drop": max_recall_drop,
            "max_f1_drop": max_f1_drop,
            "min_label_agreement": min_label_agreement,
        },
        failures=failures,
    )


def as_dict(report: TensorParity | TaskParity | None) -> dict[str, Any] | None:
    """JSON-ready form of a parity report (with ``passed``)."""
    return None if report is None else {**asdict(report), "passed": report.passed}
