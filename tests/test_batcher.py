"""The micro-batching queue (in-process, no HTTP) and the app's readiness, with a fake engine host."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from engine.service.batcher import Closed, MicroBatcher, QueueFull


def test_concurrent_submissions_merge_into_one_batch() -> None:
    batches: list[list[str]] = []

    def run(jobs: list) -> list:
        batches.append([j.payload for j in jobs])
        return [f"done:{j.payload}" for j in jobs]

    b = MicroBatcher(run, max_wait_s=0.05, max_batch_docs=100)
    b.start()

    async def main() -> list:
        return await asyncio.gather(*(b.submit(f"r{i}", size=2) for i in range(5)))

    assert asyncio.run(main()) == [f"done:r{i}" for i in range(5)]
    b.stop()
    assert sorted(sum(batches, [])) == [f"r{i}" for i in range(5)] and len(batches) < 5  # merged


def test_batches_split_by_key_and_bounded_in_documents() -> None:
    seen: list[tuple] = []

    def run(jobs: list) -> list:
        seen.append(tuple(sorted({j.key for j in jobs})) + (sum(j.size for j in jobs),))
        return [None] * len(jobs)

    b = MicroBatcher(run, max_wait_s=0.05, max_batch_docs=4)
    b.start()

    async def main() -> None:
        await asyncio.gather(*(b.submit(i, size=2, key="i2b2" if i % 2 else "hipaa") for i in range(6)))

    asyncio.run(main())
    b.stop()
    assert all(len(s) == 2 for s in seen)  # one key per engine call
    assert all(s[1] <= 4 for s in seen)


def test_queue_full_and_closed_answer_at_once() -> None:
    gate = threading.Event()

    def run(jobs: list) -> list:
        gate.wait(5)
        return [None] * len(jobs)

    b = MicroBatcher(run, max_wait_s=0.0, max_queue_docs=3)
    b.start()

    async def main() -> None:
        first = asyncio.ensure_future(b.submit("a", size=3))
        await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        with pytest.raises(QueueFull):
            await b.submit("b", size=1)
        assert time.perf_counter() - t0 < 0.5
        gate.set()
        await first

    asyncio.run(main())
    b.stop()
    with pytest.raises(Closed):
        asyncio.run(b.submit("c", size=1))


def test_a_failing_job_fails_alone_and_stop_drains_the_queue() -> None:
    def run(jobs: list) -> list:
        time.sleep(0.02)
        return [ValueError("boom") if j.payload == "bad" else j.payload for j in jobs]

    b = MicroBatcher(run, max_wait_s=0.01)
    b.start()

    async def main() -> list:
        return await asyncio.gather(
            *(b.submit(p, size=1) for p in ("ok1", "bad", "ok2")), return_exceptions=True
        )

    out = asyncio.run(main())
    assert out[0] == "ok1" and isinstance(out[1], ValueError) and out[2] == "ok2"
    b.stop()
    assert b.pending_docs == 0


def test_readyz_is_503_until_the_engine_has_loaded() -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from engine.service.app import create_app

    loaded = threading.Event()

    class SlowHost:
        class config:  # noqa: N801 - stands in for an EngineConfig
            profile = "i2b2"

        def load(self) -> None:
            loaded.wait(10)

    app = create_app(SlowHost())  # type: ignore[arg-type]
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 503
        r = client.post("/v1/detect", json={"documents": [{"id": "n1", "text": "x"}]})
        assert r.status_code == 503 and "E963" in r.json()["error"] and r.headers["retry-after"] == "1"
        loaded.set()
        for _ in range(100):
            if client.get("/readyz").status_code == 200:
                break
            time.sleep(0.01)
        assert client.get("/readyz").status_code == 200


def test_one_failing_request_does_not_fail_those_batched_with_it() -> None:
    from engine.config import EngineConfig
    from engine.errors import DetectionError
    from engine.service.host import EngineHost, Work
    from engine.types import Document, Result

    class Fake:
        def detect_many(self, docs, redact=False):  # noqa: ANN001, ANN201
            if any("BOOM" in d.text for d in docs):
                raise DetectionError("E503", "de-identification failed")
            return [Result(d.id, d.text, ()) for d in docs]

    host = EngineHost(EngineConfig())
    host.deidentifier = lambda profile: Fake()  # type: ignore[method-assign]
    works = [
        Work(f"r{i}", [Document("n", t)], "detect", None, "i2b2") for i, t in enumerate(["ok", "BOOM", "ok2"])
    ]
    out = host.run(works)
    assert [r[0].text for r in (out[0], out[2])] == ["ok", "ok2"]  # type: ignore[index]
    assert isinstance(out[1], DetectionError)
