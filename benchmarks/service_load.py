"""Load test of ``deid serve`` on loopback against the in-process engine (bounded and reproducible).

Starts the service on a free 127.0.0.1 port, sends ``--requests`` single-note ``/v1/redact``
requests from ``--clients`` concurrent keep-alive connections (asyncio, raw HTTP/1.1: the client is
light, since it shares the machine's cores with the server), and reports throughput and p50/p95/p99
latency. The same notes then go through the in-process engine: one ``redact`` call per note (the
latency a library caller sees) and one ``detect_many`` over all of them (the batch ceiling).

Example:
    $ python -m engine.benchmarks.service_load --requests 2000 --clients 32 --out benchmarks/results/cpu-2core
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def short_notes(n: int, chars: int, seed: int = 7) -> list[str]:
    """``n`` synthetic notes cut at a sentence end near ``chars`` characters (no real PHI)."""
    from engine.benchmarks.corpus import make_corpus

    out = []
    for rec in make_corpus(n, seed=seed, source="builtin"):
        text = rec["text"][: chars + 200]
        cut = max((m.end() for m in re.finditer(r"[.;]\s", text) if m.end() <= chars), default=chars)
        out.append(text[:cut].strip())
    return out


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p95/p99 (nearest rank) in milliseconds."""
    v = sorted(values)
    pick = lambda q: v[min(len(v) - 1, max(0, round(q * len(v)) - 1))]  # noqa: E731
    return {
        "p50_ms": round(pick(0.50) * 1000, 1),
        "p95_ms": round(pick(0.95) * 1000, 1),
        "p99_ms": round(pick(0.99) * 1000, 1),
    }


async def _client(port: int, bodies: asyncio.Queue, lat: list[float], statuses: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            try:
                body = bodies.get_nowait()
            except asyncio.QueueEmpty:
                return
            head = (
                f"POST /v1/redact HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            t0 = time.perf_counter()
            writer.write(head + body)
            await writer.drain()
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                k, _, v = line.decode().partition(":")
                if k.lower() == "content-length":
                    length = int(v)
            await reader.readexactly(length)
            lat.append(time.perf_counter() - t0)
            statuses.append(int(status_line.split()[1]))
    finally:
        writer.close()


async def _drive(port: int, notes: list[str], requests: int, clients: int) -> dict[str, Any]:
    bodies: asyncio.Queue = asyncio.Queue()
    for i in range(requests):
        bodies.put_nowait(json.dumps({"documents": [{"id": str(i), "text": notes[i % len(notes)]}]}).encode())
    lat: list[float] = []
    statuses: list[int] = []
    t0 = time.perf_counter()
    await asyncio.gather(*(_client(port, bodies, lat, statuses) for _ in range(clients)))
    wall = time.perf_counter() - t0
    ok = sum(1 for s in statuses if s == 200)
    return {
        "requests": len(statuses),
        "ok": ok,
        "non_200": len(statuses) - ok,
        "wall_s": round(wall, 2),
        "throughput_rps": round(len(statuses) / wall, 1),
        **percentiles(lat),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_service(notes: list[str], requests: int, clients: int, extra: list[str]) -> dict[str, Any]:
    """Start ``deid serve``, warm it up, drive it, stop it with SIGTERM."""
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "engine.cli",
        "serve",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--max-queue-docs",
        str(4 * requests),
        *extra,
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("service did not become ready") from None
                time.sleep(0.2)
        asyncio.run(_drive(port, notes, min(64, requests), min(8, clients)))  # warm-up
        result = asyncio.run(_drive(port, notes, requests, clients))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            metrics = r.read().decode()
        result["mean_batch_docs"] = _mean_batch(metrics)
        return result
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def _mean_batch(metrics: str) -> float | None:
    s = re.search(r"^deid_batch_documents_sum ([\d.e+]+)$", metrics, re.M)
    c = re.search(r"^deid_batch_documents_count ([\d.e+]+)$", metrics, re.M)
    return round(float(s.group(1)) / float(c.group(1)), 2) if s and c and float(c.group(1)) else None


def run_in_process(notes: list[str], requests: int) -> dict[str, Any]:
    """One ``redact`` call per note (sequential), then one ``detect_many`` over all of them."""
    from engine.pipeline import Deidentifier

    deid = Deidentifier()
    for n in notes[:16]:
        deid.redact(n)
    lat = []
    t0 = time.perf_counter()
    for i in range(requests):
        t = time.perf_counter()
        deid.redact(notes[i % len(notes)])
        lat.append(time.perf_counter() - t)
    wall = time.perf_counter() - t0
    per_call = {
        "requests": requests,
        "wall_s": round(wall, 2),
        "throughput_rps": round(requests / wall, 1),
        **percentiles(lat),
    }
    t0 = time.perf_counter()
    list(deid.detect_many((notes[i % len(notes)] for i in range(requests)), redact=True))
    wall = time.perf_counter() - t0
    batched = {"requests": requests, "wall_s": round(wall, 2), "throughput_rps": round(requests / wall, 1)}
    return {"per_call": per_call, "batched": batched}


def _row(name: str, r: dict[str, Any]) -> str:
    cells = [
        name,
        r["requests"],
        r["throughput_rps"],
        r.get("p50_ms", "-"),
        r.get("p95_ms", "-"),
        r.get("p99_ms", "-"),
    ]
    return "| " + " | ".join(map(str, cells)) + " |"


def to_markdown(rep: dict[str, Any]) -> str:
    """The report section (Markdown)."""
    s, ip, b = rep["service"], rep["in_process"]["per_call"], rep["in_process"]["batched"]
    intro = (
        f"Command: `{rep['command']}`. Machine: {rep['machine']}. {rep['requests']} `/v1/redact` requests "
        f"of one note each (median {rep['median_chars']} characters, synthetic, no real PHI), "
        f"{rep['clients']} concurrent keep-alive clients on 127.0.0.1 sharing the cores with the server; "
        "default model, tag style."
    )
    return "\n".join(
        [
            "## Service load test (loopback)",
            "",
            intro,
            "",
            "| path | requests | throughput (req/s) | p50 ms | p95 ms | p99 ms |",
            "|---|---:|---:|---:|---:|---:|",
            _row(f"`deid serve` over HTTP ({rep['clients']} clients)", s),
            _row("in-process `Deidentifier.redact`, one call per note", ip),
            _row("in-process `detect_many` over all notes (batch ceiling)", b),
            "",
            f"Non-200 answers: {s['non_200']}. Mean documents per engine batch in the service: "
            f"{s['mean_batch_docs']} (micro-batching merges concurrent requests; 5 ms bounded wait).",
            "",
            f"1-minute load average: {rep.get('load_average_start', '?')} at the start, "
            f"{rep.get('load_average_end', '?')} at the end (other jobs share the cores: compare rows of "
            "one run, not runs).",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--chars", type=int, default=400, help="note length (characters, cut at a sentence)")
    p.add_argument("--out", default="runs/service_load", help="directory for service_load.json/.md")
    p.add_argument("--serve-arg", action="append", default=[], help="extra `deid serve` argument")
    args = p.parse_args(argv)
    from engine.benchmarks.machine import cpu_record

    notes = short_notes(200, args.chars)
    cpu = cpu_record()
    rep = {
        "command": "python -m engine.benchmarks.service_load "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": f"{cpu['model_name']}, {os.cpu_count()} logical cores",
        "requests": args.requests,
        "clients": args.clients,
        "median_chars": sorted(map(len, notes))[len(notes) // 2],
        "load_average_start": round(os.getloadavg()[0], 2),
        "service": run_service(notes, args.requests, args.clients, args.serve_arg),
        "in_process": run_in_process(notes, args.requests),
        "load_average_end": round(os.getloadavg()[0], 2),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "service_load.json").write_text(json.dumps(rep, indent=1) + "\n")
    (out / "service_load.md").write_text(to_markdown(rep))
    print(to_markdown(rep))
    return 0


if __name__ == "__main__":
    sys.exit(main())
