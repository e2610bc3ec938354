"""The engine: notes in, PHI spans and redacted text out.

Stages: tokenize -> windows -> model (length-bucketed batches) -> stitch -> decode -> hybrid detectors
-> extraction and propagation -> resolve -> redact. Every stage works on :class:`~engine.types.Span`.

Fail closed: an exception in any stage raises :class:`~engine.errors.DetectionError` (``on_error="raise"``)
or redacts the whole document (``on_error="redact_all"``); it never returns text with fewer spans.

Example:
    >>> deid = Deidentifier()                                        # doctest: +SKIP
    >>> deid.redact("PT SEEN BY DR FOLEY 7/22; TO CALVERT HOSP").redacted   # doctest: +SKIP
    'PT SEEN BY DR [NAME] [DATE]; TO [LOCATION] HOSP'
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from engine.artifacts import Artifacts, load_artifacts
from engine.config import EngineConfig
from engine.decode.spans import TagTable, decode_spans
from engine.decode.stitch import stitch
from engine.errors import ConfigError, DeidError, DetectionError
from engine.io import as_document
from engine.model.runner import ModelRunner
from engine.model.session import make_session
from engine.redact.operators import Redactor, tag_redactor
from engine.text.normalize import NormalizedView
from engine.text.windows import make_windows
from engine.types import Document, Result, Span

REDACT_ALL_LABEL = "REDACTED"


class StageTimer:
    """Accumulates wall time per stage (tokenize, infer, decode, ...) for profiling reports."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def add(self, stage: str, t0: float) -> float:
        """Charge the time since ``t0`` to ``stage``; returns now."""
        now = time.perf_counter()
        self.seconds[stage] += now - t0
        return now


class Deidentifier:
    """Detect and redact PHI with an ONNX token classifier plus the hybrid layer.

    Args:
        config: engine configuration (defaults: embedded model, all layers on, tag redaction).
        artifacts: an already loaded artifact directory (skips loading ``config.model_dir``).
        hybrid: an already built hybrid layer (tests inject failing ones).
        operators: custom operators per label or subtype, ``fn(value, span) -> str`` (they win over
            ``config.redact``; in-process only, a ``ParallelDeidentifier`` cannot ship them).
    """

    def __init__(
        self,
        config: EngineConfig | None = None,
        artifacts: Artifacts | None = None,
        hybrid: Any | None = None,
        operators: Mapping[str, Callable[[str, Span], str]] | None = None,
    ) -> None:
        self.config = config or EngineConfig()
        # keyed styles load the secret now, and refuse to run without one (E130)
        self.redactor = Redactor.from_config(self.config.redact, operators)
        self.timer = StageTimer()
        layers = self.config.layers
        self.artifacts = artifacts or load_artifacts(self.config.model_dir)
        rt = self.config.runtime
        self.max_length = rt.max_length or self.artifacts.max_length
        self.stride = rt.stride if rt.stride is not None else self.artifacts.stride
        make_windows(1, self.max_length, self.stride)  # validates the window config now
        self.tokenizer = self.artifacts.tokenizer
        self.tags = TagTable(self.artifacts.labels)
        self.runner: ModelRunner | None = None
        if layers.model:
            session = make_session(self.artifacts.model_path, rt)
            self.runner = ModelRunner(
                session,
                self.tokenizer.cls_id,
                self.tokenizer.sep_id,
                self.tokenizer.pad_id,
                rt.windows_per_call if self.artifacts.batch_invariant else 1,
                max_width=self.max_length,
            )
        self._hybrid = hybrid
        from engine.stages import StageContext, build_plan

        #: The detection stages, in run order (engine.stages; ``config.stages`` or the layers' default).
        self.plan = build_plan(StageContext(self.config, self, hybrid))

    def hybrid_layer(self) -> Any:
        """The hybrid layer's loaded data (templates, lists, veto, ...), built on first use."""
        if self._hybrid is None:
            try:
                from engine.hybrid import HybridLayer
            except ImportError as e:
                raise ConfigError(
                    "E107",
                    f"hybrid stages are configured but engine.hybrid cannot be imported: {e}",
                    fix="Reinstall the package, or set layers.templates/lists/extraction/"
                    "propagation to false.",
                ) from e
            self._hybrid = HybridLayer(self.config)
        return self._hybrid

    # ---------------------------------------------------------------- public API
    def detect(self, doc: str | Document | Mapping[str, Any]) -> Result:
        """PHI spans of one document."""
        return next(iter(self.detect_many([doc])))

    def redact(self, doc: str | Document | Mapping[str, Any]) -> Result:
        """PHI spans and the redacted text of one document."""
        return next(iter(self.detect_many([doc], redact=True)))

    def detect_many(
        self,
        docs: Iterable[str | Document | Mapping[str, Any]],
        redact: bool = False,
        chunk_docs: int = 128,
        chunk_chars: int = 2_000_000,
    ) -> Iterator[Result]:
        """Results for a stream of documents, in input order, with bounded memory.

        Documents are processed in chunks of about ``chunk_docs`` documents (or ``chunk_chars``
        characters); a chunk is not closed between two consecutive documents of the same ``group``,
        so a patient's notes that arrive together share trusted terms.
        """
        for chunk in iter_chunks(docs, chunk_docs, chunk_chars):
            yield from self.process_chunk(chunk, redact)

    # ---------------------------------------------------------------- stages
    def model_spans(self, docs: list[Document]) -> list[list[Span]]:
        """Model-only spans for each document (tokenize, window, batch, run, stitch, decode)."""
        if self.runner is None:
            return [[] for _ in docs]
        t0 = time.perf_counter()
        encs = self.tokenizer.encode_batch([d.text for d in docs])
        doc_windows = [make_windows(len(e), self.max_length, self.stride) for e in encs]
        flat = [(di, w) for di, ws in enumerate(doc_windows) for w in ws]
        window_ids = [encs[di].ids[w.start : w.end] for di, w in flat]
        t0 = self.timer.add("tokenize", t0)
        probs = self.runner.run(window_ids)
        t0 = self.timer.add("infer", t0)
        per_doc: list[list[np.ndarray]] = [[] for _ in docs]
        for (di, _), p in zip(flat, probs, strict=True):
            per_doc[di].append(p)
        out = []
        dc = self.config.decode
        for doc, enc, ws, ps in zip(docs, encs, doc_windows, per_doc, strict=True):
            token_probs = stitch(ws, ps, len(enc))
            out.append(
                decode_spans(
                    doc.text, token_probs, enc.offsets, enc.word_ids, self.tags, dc.o_threshold, dc.min_score
                )
            )
        self.timer.add("decode", t0)
        return out

    def _spans(self, docs: list[Document]) -> list[list[Span]]:
        """Every stage of :attr:`plan` over one chunk (engine.stages.run_plan)."""
        from engine.stages import run_plan

        return run_plan(self.plan, docs, self.timer)

    def process_chunk(self, docs: list[Document], do_redact: bool) -> list[Result]:
        """Results for one chunk (documents processed together share trusted terms), fail closed."""
        try:
            views = [NormalizedView.of(d.text) for d in docs]
            seen = [
                d if v.index is None else Document(d.id, v.text, d.group, d.meta)
                for d, v in zip(docs, views, strict=True)
            ]
            spans = [to_original(v, ss) for v, ss in zip(views, self._spans(seen), strict=True)]
            results = []
            for d, ss in zip(docs, spans, strict=True):
                checked = _checked(d.text, ss)
                results.append(self._result(d, checked, do_redact))
            return results
        except Exception as e:  # fail closed: never return a document with fewer spans
            return fail_closed(
                docs,
                e,
                do_redact,
                self.config,
                "E503",
                "de-identification failed",
                "Report the bug; set on_error='redact_all' to redact such documents entirely instead.",
            )

    def _result(self, doc: Document, spans: list[Span], do_redact: bool) -> Result:
        t0 = time.perf_counter()
        res = build_result(doc, spans, do_redact, self.config, self.redactor)
        if do_redact:
            self.timer.add("redact", t0)
        return res


def iter_chunks(
    docs: Iterable[str | Document | Mapping[str, Any]], chunk_docs: int = 128, chunk_chars: int = 2_000_000
) -> Iterator[list[Document]]:
    """Group a document stream into chunks of about ``chunk_docs`` documents or ``chunk_chars`` characters.

    A chunk is not closed between two consecutive documents of the same ``group`` (up to 8x the
    size), so a patient's notes that arrive together are processed, and share trusted terms, together.
    """
    chunk: list[Document] = []
    chars = 0
    for i, item in enumerate(docs):
        doc = as_document(item, i)
        full = len(chunk) >= chunk_docs or chars >= chunk_chars
        same_group = bool(chunk) and doc.group is not None and chunk[-1].group == doc.group
        if full and not (same_group and len(chunk) < 8 * chunk_docs):
            yield chunk
            chunk, chars = [], 0
        chunk.append(doc)
        chars += len(doc.text)
    if chunk:
        yield chunk


def build_result(
    doc: Document, spans: list[Span], do_redact: bool, config: EngineConfig, redactor: Redactor | None = None
) -> Result:
    """The :class:`Result` of ``doc`` with ``spans``; redacted by ``redactor`` when asked.

    Without a ``redactor`` one is built from ``config.redact`` (keyed styles then load the key).
    """
    if not do_redact:
        return Result(doc.id, doc.text, tuple(spans), group=doc.group)
    redactor = redactor or Redactor.from_config(config.redact)
    out, reps = redactor.redact(doc, spans)
    return Result(doc.id, doc.text, tuple(spans), out, reps, group=doc.group)


def redact_all_result(doc: Document, error: str, do_redact: bool, config: EngineConfig) -> Result:
    """Fail closed: the whole document is one ``REDACTED`` span, with the error recorded."""
    spans = [Span(0, len(doc.text), REDACT_ALL_LABEL, None, 1.0, "on_error")] if doc.text.strip() else []
    # a tag, whatever the style: this path must not depend on a key or on the operator that failed
    res = build_result(doc, spans, do_redact, config, tag_redactor(config.redact))
    return Result(res.id, res.text, res.spans, res.redacted, res.replacements, error, doc.group)


def fail_closed(
    docs: list[Document],
    error: Exception,
    do_redact: bool,
    config: EngineConfig,
    code: str,
    what: str,
    fix: str,
) -> list[Result]:
    """The one failure policy: re-raise (``on_error="raise"``) or redact every document entirely.

    A :class:`DeidError` is re-raised as it is; any other exception becomes a :class:`DetectionError`
    with ``code`` naming the first documents. Never returns a document with fewer spans.
    """
    if config.on_error == "raise":
        if isinstance(error, DeidError):
            raise error
        raise DetectionError(
            code, f"{what} on documents {[d.id for d in docs][:5]}: {type(error).__name__}: {error}", fix=fix
        ) from error
    # subtle: the recorded error names the failure, never the exception's message, which may quote
    # the note (the result is handed on with the redacted text); on_error="raise" shows the message.
    code = error.code if isinstance(error, DeidError) else code
    note = f"[{code}] {what} ({type(error).__name__}); rerun with on_error='raise' to see the error"
    return [redact_all_result(d, note, do_redact, config) for d in docs]


def to_original(view: NormalizedView, spans: list[Span]) -> list[Span]:
    """Spans found on a normalised view, moved to the original text's offsets.

    Two spans that meet inside one original character (a ligature split across them) are merged,
    keeping the first span's label and the higher score.
    """
    if view.index is None:
        return spans
    out: list[Span] = []
    for s in sorted(spans, key=lambda s: (s.start, s.end)):
        start, end = view.to_original(s.start, s.end)
        if out and start < out[-1].end:
            last = out.pop()
            out.append(replace(last, end=max(end, last.end), score=max(s.score, last.score)))
        else:
            out.append(replace(s, start=start, end=end))
    return out


def _checked(text: str, spans: list[Span]) -> list[Span]:
    """Sort, validate every span against the text, and refuse overlaps (a bug upstream)."""
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    for s in ordered:
        s.check(text)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.start < a.end:
            raise DetectionError("E504", f"overlapping spans after resolution: {a} and {b}")
    return ordered
