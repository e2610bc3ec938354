"""The audit record of one redacted document: what was done, never what was there.

Counts per category, the operator per label, the config, model and key fingerprints: enough to
tell which engine, settings and key produced a hand-off file, with no PHI (no mention text, no
offsets into the original, no patient group).

Example:
    >>> audit_for(deid.redact(note), deid)                          # doctest: +SKIP
    {'id': 'n1', 'counts': {'DATE': 1, 'NAME': 2}, 'operators': {'*': 'surrogate.v1', 'ID': 'tag.v1'},
     'config_sha256': '5c1e...', 'model_sha256': '9f2a...', 'key_fingerprint': '41d0c2aa93be', ...}
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from engine.types import Result


def config_sha256(config: Any) -> str:
    """SHA-256 of the resolved config (JSON, sorted keys); the key itself is never in a config."""
    import json

    return hashlib.sha256(json.dumps(config.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def audit_record(
    result: Result, redactor: Any, config: Any, model_sha256: str | None = None
) -> dict[str, Any]:
    """The audit record of ``result`` as redacted by ``redactor`` under ``config``."""
    from engine import __version__

    counts = Counter(rep.span.label for rep in result.replacements)
    return {
        "id": result.id,
        "counts": dict(sorted(counts.items())),
        "replacements": len(result.replacements),
        "operators": redactor.operators(),
        "engine_version": __version__,
        "config_sha256": config_sha256(config),
        "model_sha256": model_sha256,
        "key_fingerprint": redactor.key_fingerprint,
        "failed_closed": bool(result.error),
    }


def audit_for(result: Result, deid: Any) -> dict[str, Any]:
    """:func:`audit_record` for a result of ``deid`` (a :class:`~engine.pipeline.Deidentifier`)."""
    try:
        model = deid.artifacts.model_sha256
    except Exception:  # noqa: BLE001 - an artifact without hashes still gets an audit record
        model = None
    return audit_record(result, deid.redactor, deid.config, model)


class AuditLog:
    """``deid redact --audit FILE``: an audit record per redacted document, written as JSONL at the end.

    Wraps the CLI's tally (it sees every result); the file is written only when the run succeeds.
    """

    def __init__(self, tally: Any, args: Any) -> None:
        from engine.artifacts import load_artifacts
        from engine.cli import AtomicOutput, build_config
        from engine.redact.operators import Redactor

        self.tally, self.args = tally, args
        self.out = AtomicOutput(
            args.audit, args.force, [args.input]
        )  # checks the path now, writes at the end
        self.config = build_config(args)
        self.redactor = Redactor.from_config(self.config.redact)
        self.model_sha256 = load_artifacts(self.config.model_dir).model_sha256
        self.records: list[dict[str, Any]] = []

    def add(self, result: Any) -> None:
        """Count the result, and keep its audit record."""
        self.tally.add(result)
        if isinstance(result, Result) and result.redacted is not None:
            self.records.append(audit_record(result, self.redactor, self.config, self.model_sha256))

    def exit_code(self) -> int:
        """Write the audit file, then the tally's exit code."""
        import json

        with self.out as out:
            for rec in self.records:
                out.write(json.dumps(rec) + "\n")
        return self.tally.exit_code()


def audited(tally: Any, args: Any) -> Any:
    """``tally`` itself, or an :class:`AuditLog` around it when ``--audit`` is given."""
    return AuditLog(tally, args) if getattr(args, "audit", None) else tally
