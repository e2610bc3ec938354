"""The engine side of the service: detection batched across requests, redaction per request.

Documents of concurrent requests are detected together, but each request's ``group`` is namespaced
by the request for detection (trusted terms never propagate between two clients' notes), and each
document is then redacted with its own ``group`` (surrogate consistency is per patient) and the
request's style.

Example:
    >>> host = EngineHost(EngineConfig()); host.load()                        # doctest: +SKIP
    >>> host.run([Work("r1", [Document("n1", "Seen by Dr Foley")], "redact", "tag", "i2b2")]) # doctest: +SKIP
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from engine.config import EngineConfig
from engine.errors import DeidError, DetectionError
from engine.pipeline import Deidentifier, redact_all_result
from engine.redact.operators import Redactor
from engine.types import Document, Result, Span


@dataclass(frozen=True)
class Work:
    """One request as the engine sees it."""

    request_id: str
    docs: list[Document]
    mode: str  # "detect" or "redact"
    style: str | None
    profile: str


class EngineHost:
    """One :class:`Deidentifier` per profile (sharing the artifact), one :class:`Redactor` per style."""

    def __init__(
        self, config: EngineConfig, operators: Mapping[str, Callable[[str, Span], str]] | None = None
    ) -> None:
        self.config = config
        self.operators = operators
        self._deids: dict[str, Deidentifier] = {}
        self._redactors: dict[str, Redactor] = {}
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the default profile's engine and the default redactor (the key, if a keyed style)."""
        self.deidentifier(self.config.profile)
        self.redactor(None)
        try:  # warm the surrogate pools (a second) when the server holds a key, not on a first request
            self.redactor("surrogate")
        except (DeidError, ImportError):
            pass

    def deidentifier(self, profile: str) -> Deidentifier:
        """The engine for an output profile, built once and shared."""
        with self._lock:
            if profile not in self._deids:
                base = next(iter(self._deids.values()), None)
                cfg = self.config if profile == self.config.profile else self.config.replace(profile=profile)
                self._deids[profile] = Deidentifier(cfg, artifacts=base.artifacts if base else None)
            return self._deids[profile]

    def redactor(self, style: str | None) -> Redactor:
        """The redactor for a request's ``style`` (``None``: the server's configured styles)."""
        key = style or ""
        with self._lock:
            if key not in self._redactors:
                rc = self.config.redact
                if style is not None:
                    rc = rc.model_copy(update={"style": style, "styles": {}})
                self._redactors[key] = Redactor.from_config(rc, self.operators)
            return self._redactors[key]

    def audit(self, result: Result, style: str | None, profile: str) -> dict:
        """The audit record of a redacted result (no PHI)."""
        from engine.redact.audit import audit_record

        deid = self.deidentifier(profile)
        return audit_record(result, self.redactor(style), deid.config, deid.artifacts.model_sha256)

    def run(self, works: list[Work]) -> list[list[Result] | BaseException]:
        """Results per work item (all of one profile); a failing item gets its exception.

        When the merged batch fails, each request is run again on its own, so one request's failure
        (``on_error="raise"``) does not fail the others merged with it.
        """
        try:
            return self._run(works)
        except Exception:  # noqa: BLE001 - isolate the failing request
            if len(works) == 1:
                raise
        out: list[list[Result] | BaseException] = []
        for w in works:
            try:
                out.extend(self._run([w]))
            except Exception as e:  # noqa: BLE001
                out.append(e)
        return out

    def _run(self, works: list[Work]) -> list[list[Result] | BaseException]:
        deid = self.deidentifier(works[0].profile)
        namespaced = [
            Document(d.id, d.text, None if d.group is None else f"{w.request_id}\x1f{d.group}")
            for w in works
            for d in w.docs
        ]
        detected = list(deid.detect_many(namespaced, redact=False))
        out: list[list[Result] | BaseException] = []
        pos = 0
        for w in works:
            results = detected[pos : pos + len(w.docs)]
            pos += len(w.docs)
            if w.mode == "detect":
                out.append(
                    [
                        Result(d.id, d.text, r.spans, error=r.error)
                        for d, r in zip(w.docs, results, strict=True)
                    ]
                )
                continue
            try:
                out.append([self._redact(w, d, r) for d, r in zip(w.docs, results, strict=True)])
            except BaseException as e:  # noqa: BLE001 - this request fails, the batch goes on
                out.append(e)
        return out

    def _redact(self, w: Work, doc: Document, detected: Result) -> Result:
        if detected.error:  # already failed closed (on_error="redact_all")
            return redact_all_result(doc, detected.error, True, self.config)
        try:
            text, reps = self.redactor(w.style).redact(doc, detected.spans)
        except DeidError:
            if self.config.on_error == "redact_all":
                return redact_all_result(doc, "[E142] redaction failed", True, self.config)
            raise
        except Exception as e:  # fail closed: never return a document with PHI left in it
            if self.config.on_error == "redact_all":
                return redact_all_result(
                    doc, f"[E142] redaction failed ({type(e).__name__})", True, self.config
                )
            raise DetectionError("E142", f"redaction failed ({type(e).__name__})") from e
        return Result(doc.id, doc.text, detected.spans, text, reps, group=doc.group)
