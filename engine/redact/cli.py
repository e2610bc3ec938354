"""``deid reidentify``: turn ``encrypt``-style tokens back into the original text (for the key holder).

Example:
    $ deid redact notes.jsonl --style encrypt --key-file deid.key -o safe.jsonl
    $ deid reidentify safe.jsonl --key-file deid.key -o restored.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engine.errors import ConfigError, InputError
from engine.redact.keys import DEFAULT_KEY_ENV, load_secret


def register(sub: Any) -> None:
    """Add the ``reidentify`` subcommand to the ``deid`` CLI."""
    p = sub.add_parser(
        "reidentify",
        help="decrypt [LABEL:enc:...] tokens written by `deid redact --style encrypt` (needs the key)",
        description="Replace every [LABEL:enc:...] token with the original mention. Text input gives text; "
        "JSONL input (deid redact records) gives the records with 'text' restored and 'spans' dropped "
        "(their offsets pointed into the encrypted text).",
    )
    p.add_argument("input", help="a text file, a deid redact .jsonl file, or - for stdin")
    p.add_argument("-o", "--output", help="output file (default stdout); it holds PHI")
    p.add_argument("--key-file", help="the secret the text was encrypted with")
    p.add_argument(
        "--key-env", default=DEFAULT_KEY_ENV, help="env variable with the secret (default DEID_KEY)"
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing output")
    p.set_defaults(func=run)


def reidentify_text(text: str, key_file: str | None, key_env: str | None = DEFAULT_KEY_ENV) -> str:
    """The text with its encrypted tokens decrypted; raises :class:`ConfigError` without a key."""
    from engine.redact.crypto import Cipher

    secret = load_secret(key_file, key_env)
    if secret is None:
        raise ConfigError(
            "E130", "reidentify needs the secret key", fix=f"Pass --key-file KEYFILE or set {key_env}."
        )
    return Cipher(secret).reidentify(text)


def run(args: argparse.Namespace) -> int:
    """Read, decrypt, write atomically; returns the exit code."""
    from engine.cli import AtomicOutput
    from engine.redact.crypto import Cipher

    secret = load_secret(args.key_file, args.key_env)
    if secret is None:
        raise ConfigError(
            "E130", "reidentify needs the secret key", fix=f"Pass --key-file KEYFILE or set {args.key_env}."
        )
    cipher = Cipher(secret)
    try:
        raw = sys.stdin.read() if args.input == "-" else Path(args.input).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError("E600", f"cannot read {args.input} ({type(e).__name__})") from e
    if args.input.endswith(".jsonl"):
        out_lines = []
        for n, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError("E601", f"{args.input}:{n}: not JSON") from e
            if isinstance(rec, dict) and isinstance(rec.get("text"), str):
                rec["text"] = cipher.reidentify(rec["text"])
                rec.pop("spans", None)
            out_lines.append(json.dumps(rec, ensure_ascii=False) + "\n")
        out = "".join(out_lines)
    else:
        out = cipher.reidentify(raw)
    with AtomicOutput(args.output, args.force, [args.input]) as fh:
        fh.write(out)
    return 0
