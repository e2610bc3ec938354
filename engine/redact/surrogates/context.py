"""Keyed, explicit state for consistent surrogates: never a module global.

A :class:`SurrogateContext` holds the secret-derived key and the consistency scope. For one document
it gives a :class:`DocScope`, keyed by the patient (``group``; the document id when there is none)
or, with ``scope="corpus"``, by nothing: every choice is ``HMAC(key, scope | kind | normalised value)``,
so the same value maps to the same surrogate in every note of the patient, in any run with the same
key, and to a different one under another key.

Example:
    >>> ctx = SurrogateContext(b"k" * 32)
    >>> a = ctx.scope_for("patient-1").index("last", "valdez", 1000)
    >>> a == ctx.scope_for("patient-1").index("last", "VALDEZ ", 1000)
    True
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass, field
from typing import Literal


def normalise(value: str) -> str:
    """The consistency key of a value: NFKC, case-folded, whitespace collapsed, edge punctuation off.

    Example: ``normalise(" VALDEZ, ")`` -> ``'valdez'``.
    """
    v = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(v.split()).strip(" .,;:")


@dataclass(frozen=True)
class SurrogateContext:
    """The key and the scope of consistency.

    Attributes:
        key: the 32-byte ``surrogate`` subkey (from :meth:`engine.redact.keys.Secret.subkey`).
        scope: ``"group"`` (per patient, the default) or ``"corpus"`` (one mapping for all notes).
        min_shift_days / max_shift_days: the date offset's magnitude range; its sign is keyed too.
    """

    key: bytes = field(repr=False)
    scope: Literal["group", "corpus"] = "group"
    min_shift_days: int = 30
    max_shift_days: int = 365

    def scope_for(self, group: str | None, doc_id: str = "") -> DocScope:
        """The per-document view: keyed by ``group`` (or ``doc_id``), or by the corpus."""
        if self.scope == "corpus":
            who = "corpus"
        else:
            who = f"group:{group}" if group is not None else f"doc:{doc_id}"
        return DocScope(self, who)


@dataclass
class DocScope:
    """Keyed choices for one patient's (or the corpus') notes, plus a per-document name registry."""

    ctx: SurrogateContext
    who: str
    #: (role, initial, other token) -> full name token, from the document's full-name mentions
    names: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def digest(self, kind: str, value: str, salt: int = 0) -> bytes:
        """``HMAC(key, who | kind | normalised value | salt)``."""
        msg = f"{self.who}\x1f{kind}\x1f{normalise(value)}\x1f{salt}".encode()
        return hmac.new(self.ctx.key, msg, hashlib.sha256).digest()

    def index(self, kind: str, value: str, n: int, salt: int = 0) -> int:
        """A keyed index in ``range(n)``."""
        return int.from_bytes(self.digest(kind, value, salt)[:8], "big") % n

    def stream(self, kind: str, value: str, salt: int = 0) -> bytes:
        """A keyed byte stream (64 bytes) for shape-preserving rewrites."""
        d = self.digest(kind, value, salt)
        return d + hmac.new(self.ctx.key, d, hashlib.sha256).digest()

    def date_offset(self) -> int:
        """The patient's one secret date shift in days: never 0, within ``[min, max]`` either way."""
        lo, hi = self.ctx.min_shift_days, self.ctx.max_shift_days
        h = int.from_bytes(self.digest("date-offset", "")[:8], "big")
        magnitude = lo + h % (hi - lo + 1)
        return magnitude if (h >> 32) & 1 else -magnitude
