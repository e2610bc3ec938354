"""``deid serve``: run the HTTP service with uvicorn (``pip install 'deid-engine[serve]'``).

Example:
    $ deid serve --host 127.0.0.1 --port 8080 --key-file deid.key --style surrogate
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from typing import Any


def register(sub: Any) -> None:
    """Add the ``serve`` subcommand to the ``deid`` CLI."""
    p = sub.add_parser(
        "serve",
        help="HTTP service: POST /v1/detect and /v1/redact (needs the [serve] extra)",
        description="Serve the engine over HTTP (FastAPI + uvicorn). Concurrent requests are micro-batched; "
        "bounds answer 413 (too big), 429 (queue full) and 503 (loading or stopping). SIGTERM finishes "
        "the queued requests, then exits. Logs never hold note text.",
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="bind address (default 127.0.0.1; 0.0.0.0 in a container)"
    )
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    p.add_argument("--model", help="model artifact directory (default: the embedded model)")
    p.add_argument("--config", help="engine config file (TOML or JSON)")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="config override (repeatable)"
    )
    p.add_argument("--style", choices=["tag", "mask", "surrogate", "hash", "encrypt"], help="default style")
    p.add_argument("--key-file", help="secret for surrogate/hash/encrypt (else the env variable DEID_KEY)")
    p.add_argument("--key-env", help="environment variable holding the secret (default DEID_KEY)")
    p.add_argument("--threads", type=int, help="onnxruntime intra-op threads")
    p.add_argument(
        "--max-body-bytes", type=int, default=1_000_000, help="larger bodies get 413 (default 1 MB)"
    )
    p.add_argument("--max-docs", type=int, default=64, help="more documents per request get 413 (default 64)")
    p.add_argument(
        "--max-queue-docs", type=int, default=1024, help="queue bound; beyond it 429 (default 1024)"
    )
    p.add_argument("--max-batch-docs", type=int, default=64, help="documents per engine batch (default 64)")
    p.add_argument("--max-wait-ms", type=float, default=5.0, help="micro-batch wait (default 5 ms)")
    p.add_argument(
        "--graceful-timeout", type=float, default=30.0, help="seconds to finish requests on SIGTERM"
    )
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(func=run)


def build_app(args: argparse.Namespace) -> Any:
    """The ASGI app for ``args`` (importable for tests and ASGI servers)."""
    from engine.config import EngineConfig
    from engine.service.app import ServiceSettings, create_app
    from engine.service.host import EngineHost

    overrides = list(args.set)
    for flag, key in (
        ("model", "model_dir"),
        ("threads", "runtime.threads"),
        ("style", "redact.style"),
        ("key_file", "redact.key_file"),
        ("key_env", "redact.key_env"),
    ):
        value = getattr(args, flag, None)
        if value is not None:
            overrides.append(f"{key}={json.dumps(value)}")
    config = (
        EngineConfig.from_file(args.config, overrides)
        if args.config
        else EngineConfig.from_overrides(overrides)
    )
    settings = ServiceSettings(
        max_body_bytes=args.max_body_bytes,
        max_docs=args.max_docs,
        max_queue_docs=args.max_queue_docs,
        max_batch_docs=args.max_batch_docs,
        max_wait_ms=args.max_wait_ms,
    )
    host = EngineHost(config)
    host.redactor(None)  # a keyed default style without a key fails here, before binding (exit 2)
    return create_app(host, settings)


def run(args: argparse.Namespace) -> int:
    """Start uvicorn; returns when it has shut down (after SIGTERM or Ctrl-C)."""
    try:
        import uvicorn
    except ImportError as e:
        from engine.errors import missing_extra

        raise missing_extra("uvicorn", "serve") from e
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    app = build_app(args)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            timeout_graceful_shutdown=args.graceful_timeout,
            server_header=False,
        )
    )
    # uvicorn re-raises the SIGTERM it handled once it has shut down; after a graceful shutdown that
    # is a clean exit (0), not the CLI's "terminated" 143
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        server.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0
