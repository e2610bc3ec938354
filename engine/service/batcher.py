"""A micro-batching queue: concurrent requests are merged into one engine batch.

Requests are put on a bounded queue; one worker thread takes the first waiting job, then keeps
collecting jobs for at most ``max_wait_s`` (default 5 ms) or until ``max_batch_docs`` documents, and
runs them together, so the model sees full batches under load and a lone request waits only a few
milliseconds. The queue is bounded in documents: a job that does not fit is refused at once
(:class:`QueueFull`, HTTP 429) rather than queued without limit.

Example:
    >>> b = MicroBatcher(lambda jobs: [j.payload for j in jobs], max_wait_s=0.005)   # doctest: +SKIP
    >>> b.start(); await b.submit(["a", "b"], size=2)                              # doctest: +SKIP
    ['a', 'b']
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class QueueFull(Exception):
    """The queue holds ``max_queue_docs`` documents already: retry later (HTTP 429)."""


class Closed(Exception):
    """The batcher is stopping and takes no new work (HTTP 503)."""


@dataclass
class Job:
    """One request: ``payload`` counts ``size`` documents; ``future`` gets its results (or the exception)."""

    payload: Any
    size: int
    key: Any
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    enqueued: float = field(default_factory=time.perf_counter)


class MicroBatcher:
    """Bounded queue + one worker thread calling ``run_batch(jobs) -> [results per job]``.

    ``run_batch`` gets jobs of one ``key`` (e.g. the profile) at a time and returns, for each job, its
    results or an exception instance (that job then fails, the others do not).
    """

    def __init__(
        self,
        run_batch: Callable[[list[Job]], list[Any]],
        max_wait_s: float = 0.005,
        max_batch_docs: int = 64,
        max_queue_docs: int = 1024,
        on_batch: Callable[[int, float], None] | None = None,
    ) -> None:
        self.run_batch = run_batch
        self.max_wait_s = max_wait_s
        self.max_batch_docs = max_batch_docs
        self.max_queue_docs = max_queue_docs
        self.on_batch = on_batch
        self._q: queue.Queue[Job | None] = queue.Queue()
        self._pending = 0
        self._lock = threading.Lock()
        self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def pending_docs(self) -> int:
        """Documents queued or running."""
        return self._pending

    def start(self) -> None:
        """Start the worker thread."""
        self._thread = threading.Thread(target=self._loop, name="deid-batcher", daemon=True)
        self._thread.start()

    async def submit(self, payload: Any, size: int, key: Any = None) -> Any:
        """Queue ``payload`` (``size`` documents) and wait for its results; :class:`QueueFull` or
        :class:`Closed` at once when it cannot be taken."""
        n = size
        with self._lock:
            if self._closed:
                raise Closed()
            if self._pending + n > self.max_queue_docs:
                raise QueueFull()
            self._pending += n
        loop = asyncio.get_running_loop()
        job = Job(payload, size, key, loop, loop.create_future())
        self._q.put(job)
        return await job.future

    def stop(self, timeout: float = 30.0) -> None:
        """Refuse new work, finish everything queued, then end the worker (graceful shutdown)."""
        with self._lock:
            self._closed = True
        self._q.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    # ---------------------------------------------------------------- worker thread
    def _loop(self) -> None:
        stopping = False
        while not stopping or not self._q.empty():
            first = self._q.get()
            if first is None:
                stopping = True
                continue
            batch, n = [first], first.size
            deadline = time.perf_counter() + self.max_wait_s
            while n < self.max_batch_docs:
                left = deadline - time.perf_counter()
                if left <= 0:
                    break
                try:
                    nxt = self._q.get(timeout=left)
                except queue.Empty:
                    break
                if nxt is None:
                    stopping = True
                    break
                batch.append(nxt)
                n += nxt.size
            self._run(batch)

    def _run(self, batch: list[Job]) -> None:
        by_key: dict[Any, list[Job]] = {}
        for job in batch:
            by_key.setdefault(job.key, []).append(job)
        for jobs in by_key.values():
            t0 = time.perf_counter()
            try:
                outcomes = self.run_batch(jobs)
            except Exception as e:  # noqa: BLE001 - every job of the batch fails, the service lives on
                outcomes = [e] * len(jobs)
            if self.on_batch is not None:
                self.on_batch(sum(j.size for j in jobs), time.perf_counter() - t0)
            for job, out in zip(jobs, outcomes, strict=True):
                with self._lock:
                    self._pending -= job.size
                try:
                    job.loop.call_soon_threadsafe(_settle, job.future, out)
                except RuntimeError:  # the event loop is closed: nobody waits for this job any more
                    pass


def _settle(future: asyncio.Future, outcome: Any) -> None:
    if future.done():  # the client went away
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
