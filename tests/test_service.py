"""The HTTP service with a real uvicorn on 127.0.0.1: answers, bounds (413/429), logs, shutdown."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
pytest.importorskip("prometheus_client")

KEY = "s" * 40
PHI = ["Harlan", "Valdez", "Foley", "4482913", "3/12/2011", "617-555-0123"]
NOTE = "Harlan Valdez (MRN 4482913) seen by Dr. Foley on 3/12/2011. Call 617-555-0123."
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    log: Path

    def post(self, path: str, body: object, timeout: float = 60) -> tuple[int, dict]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data, {"content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


def start_server(tmp_path: Path, *extra: str) -> Server:
    port = _free_port()
    log = tmp_path / f"serve-{port}.log"
    env = {**os.environ, "DEID_KEY": KEY, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "engine.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *extra]
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    server = Server(proc, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {log.read_text()}")
        try:
            if server.get("/readyz")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"server not ready in 60 s: {log.read_text()}")


def stop_server(server: Server) -> int:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
    try:
        return server.proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        raise


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("serve")
    s = start_server(tmp, "--max-docs", "8", "--max-queue-docs", "6", "--max-body-bytes", "20000")
    yield s
    stop_server(s)


def test_detect_and_redact_in_input_order(server: Server) -> None:
    docs = [{"id": f"n{i}", "text": t} for i, t in enumerate([NOTE, "BP 120/80, no identifiers", NOTE])]
    status, body = server.post("/v1/detect", {"documents": docs})
    assert status == 200 and [d["id"] for d in body["documents"]] == ["n0", "n1", "n2"]
    spans = body["documents"][0]["spans"]
    assert {NOTE[s["start"] : s["end"]] for s in spans} >= {"Foley", "3/12/2011"}
    status, body = server.post("/v1/redact", {"documents": docs})
    assert status == 200 and [d["id"] for d in body["documents"]] == ["n0", "n1", "n2"]
    red = body["documents"][0]
    assert "[DATE]" in red["text"] and all(
        red["text"][s["start"] : s["end"]].startswith("[") for s in red["spans"]
    )
    assert body["documents"][1]["text"] == "BP 120/80, no identifiers"


@pytest.mark.parametrize("style", ["surrogate", "hash", "encrypt", "mask"])
def test_redact_styles_hold_no_phi_and_logs_hold_none(server: Server, style: str) -> None:
    docs = [{"id": "a", "text": NOTE, "group": "p1"}, {"id": "b", "text": NOTE, "group": "p1"}]
    status, body = server.post("/v1/redact", {"documents": docs, "style": style, "audit": True})
    assert status == 200, body
    out = json.dumps(body)
    audit = body["documents"][0]["audit"]
    assert (
        audit["operators"]["*"] == f"{style}.v1"
        and sum(audit["counts"].values()) == audit["replacements"] > 0
    )
    assert not [p for p in PHI if p in out]
    a, b = (d["text"] for d in body["documents"])
    assert a == b  # same patient, same note: the same surrogates
    log = server.log.read_text()
    assert not [p for p in PHI if p.lower() in log.lower()], "PHI in the service log"
    assert KEY not in log and NOTE not in log


def test_bounds_413_and_429(server: Server) -> None:
    nine = [{"id": str(i), "text": "x"} for i in range(9)]
    assert server.post("/v1/detect", {"documents": nine})[0] == 413  # over --max-docs 8
    big = [{"id": "big", "text": "a" * 25_000}]
    assert server.post("/v1/detect", {"documents": big})[0] == 413  # over --max-body-bytes
    seven = [{"id": str(i), "text": NOTE} for i in range(7)]
    status, body = server.post("/v1/detect", {"documents": seven})
    assert status == 429 and "E964" in body["error"]  # more than the 6-document queue holds
    # concurrent clients: the queue takes what fits and refuses the rest at once
    results: list[int] = []
    four = [{"id": str(i), "text": NOTE * 20} for i in range(4)]

    def client() -> None:
        results.append(server.post("/v1/detect", {"documents": four})[0])

    threads = [threading.Thread(target=client) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert set(results) <= {200, 429} and 200 in results and 429 in results
    _, metrics = server.get("/metrics")
    assert 'deid_requests_total{endpoint="/v1/detect",status="429"}' in metrics


def test_profile_and_style_per_request(server: Server) -> None:
    note = "Seen by Dr. Foley, a cardiologist, on 3/12/2011. Age 45."
    doc = [{"id": "n1", "text": note}]
    status, i2b2 = server.post("/v1/detect", {"documents": doc, "profile": "i2b2"})
    status2, hipaa = server.post("/v1/detect", {"documents": doc, "profile": "hipaa"})
    assert status == status2 == 200
    labels = lambda b: {s["label"] for s in b["documents"][0]["spans"]}  # noqa: E731
    assert "AGE" not in labels(hipaa) and labels(hipaa) <= labels(i2b2)  # Safe Harbor: ages over 89 only
    status, masked = server.post("/v1/redact", {"documents": doc, "style": "mask"})
    assert status == 200 and "*****" in masked["documents"][0]["text"]
    assert server.post("/v1/redact", {"documents": doc, "style": "scramble"})[0] == 422


def test_invalid_body_is_422_without_echo(server: Server) -> None:
    status, body = server.post("/v1/redact", {"documents": [{"id": "n1", "text": ["Harlan Valdez"]}]})
    assert status == 422 and "Harlan" not in json.dumps(body)
    assert server.post("/v1/redact", b"{not json")[0] == 422


def test_health_ready_metrics_openapi(server: Server) -> None:
    assert server.get("/healthz")[0] == 200
    status, ready = server.get("/readyz")
    assert status == 200 and json.loads(ready)["status"] == "ready"
    status, metrics = server.get("/metrics")
    assert status == 200 and "deid_batch_documents_bucket" in metrics and "deid_queue_documents" in metrics
    status, spec = server.get("/openapi.json")
    assert status == 200 and "/v1/redact" in json.loads(spec)["paths"]


def test_graceful_shutdown_finishes_queued_requests(tmp_path: Path) -> None:
    s = start_server(tmp_path, "--max-docs", "16", "--graceful-timeout", "90")
    results: list[int] = []
    docs = [{"id": str(i), "text": NOTE * 10} for i in range(4)]

    def client() -> None:
        results.append(s.post("/v1/redact", {"documents": docs}, timeout=120)[0])

    threads = [threading.Thread(target=client) for _ in range(6)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until every request is queued (or done), then stop the server
        status, ready = s.get("/readyz")
        if status == 200 and json.loads(ready)["queue_documents"] + 4 * len(results) >= 4 * len(threads):
            break
        time.sleep(0.01)
    assert len(results) < len(threads), "all requests finished before SIGTERM: make them slower"
    rc = stop_server(s)
    for t in threads:
        t.join(120)
    assert rc == 0
    assert results == [200] * 6, results
    log = s.log.read_text()
    assert "queue drained" in log and not [p for p in PHI if p.lower() in log.lower()]


def test_dockerfile_builds_offline_from_the_repo() -> None:
    """Docker cannot run here: check the Dockerfile's offline contract statically."""
    text = (ROOT / "Dockerfile").read_text()
    copies = re.findall(r"^COPY (?!--from)(.+?) \S+$", text, re.M)
    for src in (p for line in copies for p in line.split()):
        assert src.rstrip("/") == "wheelhouse" or (ROOT / src.rstrip("/")).exists(), src
    installs = [line for line in re.findall(r"pip install[^\n]*", text)]
    assert installs and all("--no-index" in line for line in installs)
    assert "PIP_NO_INDEX=1" in text and "USER deid" in text and "STOPSIGNAL SIGTERM" in text
    assert "/readyz" in text and "deid serve --host 0.0.0.0" in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored
