"""Several engine processes fed from one document stream.

One process can keep a GPU busy only if its CPU work (tokenising, decoding, the hybrid layer,
redaction) is faster than the model, and on a GPU it is not: the model runs at millions of tokens
per second there, the Python around it at a fraction of that. :class:`ParallelDeidentifier` runs
``workers`` processes, each a full :class:`~engine.pipeline.Deidentifier` with its own onnxruntime
session (CPU threads, or its own CUDA stream on the shared GPU), and feeds them chunks of the
stream. On a CPU it also lets the Python stages of one process overlap the model of another.

Guarantees, as for :meth:`Deidentifier.detect_many`:

* results come back in input order, with bounded memory (at most ``max_in_flight`` chunks queued);
* a patient's consecutive notes stay in one chunk (:func:`~engine.pipeline.iter_chunks`), so they
  share trusted terms as in one process;
* fail closed: a worker that raises or dies makes the call raise :class:`DetectionError`
  (``on_error="raise"``) or returns that chunk's documents fully redacted (``"redact_all"``).

Example:
    >>> with ParallelDeidentifier(EngineConfig(), workers=2) as deid:        # doctest: +SKIP
    ...     results = list(deid.detect_many(notes, redact=True))
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from engine.artifacts import load_artifacts
from engine.config import EngineConfig
from engine.errors import ArtifactError, ConfigError, DeidError, DetectionError, DeviceError
from engine.pipeline import Deidentifier, fail_closed, iter_chunks
from engine.types import Document, Result

_WORKER: Deidentifier | None = None
_WORKER_ERROR: DeidError | None = None

#: Errors of the set-up (artifact, device, config), not of a document: they are raised as they are,
#: whatever ``on_error`` says, exactly as a single-process engine raises them at construction.
SETUP_ERRORS = (ArtifactError, DeviceError, ConfigError)


def _init_worker(config: EngineConfig) -> None:
    global _WORKER, _WORKER_ERROR
    try:
        _WORKER = Deidentifier(config)
    except DeidError as e:  # kept for the first task: an initializer that raises breaks the pool
        _WORKER_ERROR = e


def _work(chunk: list[Document], redact: bool) -> list[Result]:
    if _WORKER_ERROR is not None:
        raise _WORKER_ERROR
    if _WORKER is None:  # pragma: no cover - the initializer always ran
        raise DetectionError("E505", "engine worker was not initialised")
    return _WORKER.process_chunk(chunk, redact)


def default_chunk_docs(device: str) -> int:
    """Notes per chunk handed to one worker: 32 on CPU, 128 on CUDA (several full 64-window calls)."""
    return 128 if device == "cuda" else 32


class ParallelDeidentifier:
    """``workers`` engine processes behind the :meth:`Deidentifier.detect_many` interface.

    Args:
        config: engine configuration for every worker. When ``config.runtime.threads`` is 0, each
            worker gets ``max(1, cpu_count // workers)`` onnxruntime threads.
        workers: number of processes (>= 1).
        max_in_flight: chunks submitted but not yet returned (default ``2 * workers``).

    Raises:
        ConfigError: ``workers`` < 1.
    """

    def __init__(
        self, config: EngineConfig | None = None, workers: int = 2, max_in_flight: int | None = None
    ) -> None:
        if workers < 1:
            raise ConfigError("E108", f"workers must be >= 1, got {workers}", fix="Use --workers 1 or more.")
        config = config or EngineConfig()
        if config.runtime.threads == 0:
            per = max(1, (os.cpu_count() or 1) // workers)
            config = config.replace(runtime=config.runtime.model_copy(update={"threads": per}))
        # The artifact is checked here, before any process starts: a missing or corrupt model is an
        # ArtifactError (exit 3) as in one process, never a pool of dead workers.
        load_artifacts(config.model_dir)
        self.config = config
        self.workers = workers
        self.max_in_flight = max_in_flight or 2 * workers
        # spawn: a forked copy of a parent holding onnxruntime or CUDA state is not safe
        self._pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(config,),
        )

    def detect_many(
        self,
        docs: Iterable[str | Document | Mapping[str, Any]],
        redact: bool = False,
        chunk_docs: int | None = None,
        chunk_chars: int = 2_000_000,
    ) -> Iterator[Result]:
        """Results for a stream of documents, in input order (see the module docstring).

        ``chunk_docs`` defaults to 32 notes on CPU and 128 on CUDA: the benchmark notes average 3.6
        windows each, so a CUDA chunk holds about seven 64-window calls instead of two (a chunk's
        last call is usually part-empty, and each chunk is one round trip to a worker).
        """
        if chunk_docs is None:
            chunk_docs = default_chunk_docs(self.config.runtime.device)
        pending: deque[tuple[list[Document], Future[list[Result]]]] = deque()
        for chunk in iter_chunks(docs, chunk_docs, chunk_chars):
            pending.append((chunk, self._submit(chunk, redact)))
            if len(pending) >= self.max_in_flight:
                yield from self._collect(*pending.popleft(), redact)
        while pending:
            yield from self._collect(*pending.popleft(), redact)

    def _submit(self, chunk: list[Document], redact: bool) -> Future[list[Result]]:
        """Submit a chunk; a pool that is already broken gives a failed future, not an exception."""
        try:
            return self._pool.submit(_work, chunk, redact)
        except Exception as e:  # noqa: BLE001 - BrokenProcessPool, or a pool shut down
            failed: Future[list[Result]] = Future()
            failed.set_exception(e)
            return failed

    def _collect(self, chunk: list[Document], fut: Future[list[Result]], redact: bool) -> list[Result]:
        try:
            results = fut.result()
        except SETUP_ERRORS:
            raise
        except Exception as e:  # noqa: BLE001 - a worker error or a dead worker (BrokenProcessPool)
            return fail_closed(
                chunk,
                e,
                redact,
                self.config,
                "E506",
                "an engine worker failed",
                "Run with --workers 1 to see the failure in-process; set on_error='redact_all' to redact "
                "such documents entirely instead.",
            )
        if [r.id for r in results] != [d.id for d in chunk]:  # fail closed on any mix-up
            raise DetectionError("E507", "an engine worker returned results out of order")
        return results

    def close(self) -> None:
        """Stop the worker processes."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ParallelDeidentifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
