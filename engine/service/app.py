"""The FastAPI application: ``/v1/detect``, ``/v1/redact``, ``/healthz``, ``/readyz``, ``/metrics``.

Bounds answer at once instead of queueing without limit: a body over ``max_body_bytes`` or more than
``max_docs`` documents is ``413``; a full queue is ``429`` (with ``Retry-After``); an engine still
loading, or stopping, is ``503``. Logs hold request ids, counts, status codes and timings only: never
note text, document ids (often file names or record numbers) or exception messages (which may
quote a note). Validation errors name the field, never echo the input.

Example:
    $ curl -s localhost:8080/v1/redact -H 'content-type: application/json' \
        -d '{"documents": [{"id": "n1", "text": "Seen by Dr. Foley on 3/12/2011"}]}'
    {"documents":[{"id":"n1","text":"Seen by Dr. [NAME] on [DATE]","spans":[...]}]}
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from engine.errors import DeidError
from engine.service.batcher import Closed, MicroBatcher, QueueFull
from engine.service.host import EngineHost, Work
from engine.service.schemas import Answer, Body
from engine.types import Document

log = logging.getLogger("deid.service")


@dataclass(frozen=True)
class ServiceSettings:
    """Service bounds (``deid serve --help`` documents each)."""

    max_body_bytes: int = 1_000_000
    max_docs: int = 64
    max_queue_docs: int = 1024
    max_batch_docs: int = 64
    max_wait_ms: float = 5.0


def create_app(
    host: EngineHost, settings: ServiceSettings | None = None, load_in_background: bool = True
) -> Any:
    """The ASGI app serving ``host``; the engine loads at startup (``/readyz`` is 503 until it has)."""
    try:
        from fastapi import FastAPI, Request
        from fastapi.exceptions import RequestValidationError
        from fastapi.responses import JSONResponse, PlainTextResponse
        from prometheus_client import (
            CONTENT_TYPE_LATEST,
            CollectorRegistry,
            Counter,
            Gauge,
            Histogram,
            generate_latest,
        )
    except ImportError as e:
        from engine.errors import missing_extra

        raise missing_extra(e.name or "fastapi", "serve") from e

    s = settings or ServiceSettings()
    registry = CollectorRegistry()  # private: two apps in one process do not share metrics
    m_requests = Counter(
        "deid_requests", "HTTP requests by endpoint and status", ["endpoint", "status"], registry=registry
    )
    m_docs = Counter("deid_documents", "Documents processed by endpoint", ["endpoint"], registry=registry)
    m_latency = Histogram(
        "deid_request_seconds",
        "Request latency",
        ["endpoint"],
        registry=registry,
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    )
    m_batch = Histogram(
        "deid_batch_documents",
        "Documents per engine batch",
        registry=registry,
        buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
    )
    m_batch_s = Histogram("deid_batch_seconds", "Engine time per batch", registry=registry)
    m_queue = Gauge("deid_queue_documents", "Documents queued or running", registry=registry)
    m_ready = Gauge("deid_ready", "1 when the engine is loaded and taking requests", registry=registry)

    def on_batch(n: int, seconds: float) -> None:
        m_batch.observe(n)
        m_batch_s.observe(seconds)

    batcher = MicroBatcher(
        lambda jobs: host.run([j.payload for j in jobs]),
        max_wait_s=s.max_wait_ms / 1000,
        max_batch_docs=s.max_batch_docs,
        max_queue_docs=s.max_queue_docs,
        on_batch=on_batch,
    )
    m_queue.set_function(lambda: batcher.pending_docs)
    state: dict[str, Any] = {"ready": False, "stopping": False, "load_error": None}

    def load() -> None:
        try:
            host.load()
            state["ready"] = True
            m_ready.set(1)
            log.info("engine ready")
        except Exception as e:  # noqa: BLE001 - reported by /readyz; the message may name a path only
            state["load_error"] = f"{type(e).__name__}: {getattr(e, 'code', '')}"
            log.error("engine failed to load: %s", state["load_error"])

    @asynccontextmanager
    async def lifespan(app: Any):  # noqa: ANN202
        batcher.start()
        if load_in_background:
            threading.Thread(target=load, name="deid-load", daemon=True).start()
        else:
            load()
        yield
        # graceful shutdown: uvicorn has stopped accepting and waited for open requests; finish the queue
        state["stopping"] = True
        m_ready.set(0)
        await asyncio.get_running_loop().run_in_executor(None, batcher.stop)
        log.info("service stopped; queue drained")

    app = FastAPI(
        title="deid-engine",
        version="1",
        description="Clinical text de-identification: PHI spans and redacted text. Nothing is stored.",
        lifespan=lifespan,
    )

    def _answer(  # noqa: ANN202
        endpoint: str, status: int, body: dict, t0: float, rid: str, n: int, headers: dict | None = None
    ):
        ms = 1000 * (time.perf_counter() - t0)
        m_requests.labels(endpoint, str(status)).inc()
        m_latency.labels(endpoint).observe(ms / 1000)
        log.info("request %s %s docs=%d status=%d ms=%.1f", rid, endpoint, n, status, ms)
        return JSONResponse(body, status_code=status, headers=headers)

    def _err(r: Any) -> dict:
        return {"error": r.error} if r.error else {}

    def _too_big() -> Any:
        return JSONResponse({"error": f"[E961] body over {s.max_body_bytes} bytes; split the documents"}, 413)

    @app.middleware("http")
    async def body_limit(request: Request, call_next):  # noqa: ANN001, ANN202
        if request.method == "POST":
            length = request.headers.get("content-length")
            if length is None:  # chunked: read it here (bounded by the server's own limits), then check
                too_big = len(await request.body()) > s.max_body_bytes
            else:
                too_big = not length.isdigit() or int(length) > s.max_body_bytes
            if too_big:
                m_requests.labels(request.url.path, "413").inc()
                log.info("request refused %s status=413", request.url.path)
                return _too_big()
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):  # noqa: ANN202
        # subtle: FastAPI's default answer echoes the offending input, which is note text
        fields = [
            ".".join(map(str, e.get("loc", ()))) + ": " + str(e.get("msg", "")) for e in exc.errors()[:5]
        ]
        m_requests.labels(request.url.path, "422").inc()
        log.info("request invalid %s status=422 errors=%d", request.url.path, len(exc.errors()))
        return JSONResponse({"error": "[E960] invalid request", "fields": fields}, status_code=422)

    async def handle(endpoint: str, mode: str, body: Body) -> Any:
        t0, rid = time.perf_counter(), uuid.uuid4().hex[:12]
        n = len(body.documents)
        if n > s.max_docs:
            err = {"error": f"[E962] over {s.max_docs} documents; split the request"}
            return _answer(endpoint, 413, err, t0, rid, n)
        if not state["ready"] or state["stopping"]:
            why = "stopping" if state["stopping"] else "failed to load" if state["load_error"] else "loading"
            return _answer(endpoint, 503, {"error": f"[E963] engine {why}"}, t0, rid, n, {"Retry-After": "1"})
        if mode == "redact":
            try:
                host.redactor(body.style)  # a keyed style without a server key: 400 now, not per batch
            except DeidError as e:
                return _answer(endpoint, 400, {"error": f"[{e.code}] {e.message}", "fix": e.fix}, t0, rid, n)
        docs = [Document(d.id, d.text, d.group) for d in body.documents]
        profile = body.profile or host.config.profile
        work = Work(rid, docs, mode, body.style if mode == "redact" else None, profile)
        try:
            results = await batcher.submit(work, size=n, key=profile)
        except QueueFull:
            return _answer(
                endpoint, 429, {"error": "[E964] queue full; retry"}, t0, rid, n, {"Retry-After": "1"}
            )
        except Closed:
            return _answer(
                endpoint, 503, {"error": "[E963] engine stopping"}, t0, rid, n, {"Retry-After": "1"}
            )
        except DeidError as e:
            log.warning("request %s failed: %s (%s)", rid, e.code, type(e).__name__)
            return _answer(endpoint, 500, {"error": f"[{e.code}] de-identification failed"}, t0, rid, n)
        except Exception as e:  # noqa: BLE001 - never a traceback with note text in the log
            log.warning("request %s failed: %s", rid, type(e).__name__)
            return _answer(endpoint, 500, {"error": "[E965] de-identification failed"}, t0, rid, n)
        m_docs.labels(endpoint).inc(n)
        if mode == "redact":
            out = [r.to_redacted_dict() for r in results]
            if body.audit:
                for rec, r in zip(out, results, strict=True):
                    rec["audit"] = host.audit(r, body.style, profile)
        else:
            out = [{"id": r.id, "spans": [sp.to_dict() for sp in r.spans], **_err(r)} for r in results]
        return _answer(endpoint, 200, {"documents": out}, t0, rid, n)

    @app.post("/v1/detect", response_model=Answer, summary="PHI spans (offsets into each input text)")
    async def detect(body: Body) -> Any:
        return await handle("/v1/detect", "detect", body)

    @app.post("/v1/redact", response_model=Answer, summary="Redacted texts; spans point into them")
    async def redact(body: Body) -> Any:
        return await handle("/v1/redact", "redact", body)

    @app.get("/healthz", summary="The process is alive")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", summary="The engine is loaded and taking requests")
    async def readyz() -> Any:
        if state["ready"] and not state["stopping"]:
            return {"status": "ready", "queue_documents": batcher.pending_docs}
        why = "stopping" if state["stopping"] else state["load_error"] or "loading"
        return JSONResponse({"status": why}, status_code=503)

    @app.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Any:
        return PlainTextResponse(generate_latest(registry).decode(), media_type=CONTENT_TYPE_LATEST)

    app.state.batcher = batcher
    app.state.host = host
    return app
