"""Reversible, authenticated encryption of mentions (the ``encrypt`` operator) and its inverse.

AES-SIV (RFC 5297) from ``cryptography``, with a 64-byte key derived from the user's secret and the
label as associated data: a token cannot be moved to another label, and any change to it fails to
decrypt. SIV is deterministic, so one value gives one token (mentions stay linkable, as with
``hash``); only the key holder can turn a token back into the value (``deid reidentify``).

Example:
    >>> box = Cipher(Secret(b"k" * 32))                      # doctest: +SKIP
    >>> tok = box.token("NAME", "Harlan Valdez")             # doctest: +SKIP
    >>> tok                                                  # doctest: +SKIP
    '[NAME:enc:q3Jv...]'
    >>> box.reidentify(f"Seen {tok} today")                  # doctest: +SKIP
    'Seen Harlan Valdez today'
"""

from __future__ import annotations

import base64
import re

from engine.errors import ConfigError, missing_extra
from engine.redact.keys import Secret

#: ``[LABEL:enc:TOKEN]``: TOKEN is URL-safe base64 without padding.
TOKEN_RE = re.compile(r"\[(?P<label>[A-Z][A-Z0-9_\-]*):enc:(?P<tok>[A-Za-z0-9_\-]+)\]")


def _b64e(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).decode("ascii").rstrip("=")


def _b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Cipher:
    """AES-SIV under a subkey of the user's secret."""

    def __init__(self, secret: Secret) -> None:
        try:
            from cryptography.hazmat.primitives.ciphers.aead import AESSIV
        except ImportError as e:
            raise missing_extra("cryptography", "crypto") from e
        self._siv = AESSIV(secret.subkey("encrypt-a") + secret.subkey("encrypt-b"))

    def token(self, label: str, value: str) -> str:
        """``[LABEL:enc:...]`` for ``value``."""
        ct = self._siv.encrypt(value.encode("utf-8"), [label.encode("utf-8")])
        return f"[{label}:enc:{_b64e(ct)}]"

    def decrypt(self, label: str, token: str) -> str:
        """The value inside a token; a wrong key or a changed token raises :class:`ConfigError`."""
        from cryptography.exceptions import InvalidTag

        try:
            return self._siv.decrypt(_b64d(token), [label.encode("utf-8")]).decode("utf-8")
        except (InvalidTag, ValueError) as e:
            raise ConfigError(
                "E135",
                f"an encrypted {label} token does not decrypt (wrong key, or the text was changed)",
                fix="Use the key file the text was encrypted with (--key-file / DEID_KEY).",
            ) from e

    def reidentify(self, text: str) -> str:
        """Every ``[LABEL:enc:...]`` token of ``text`` replaced by its value."""
        return TOKEN_RE.sub(lambda m: self.decrypt(m.group("label"), m.group("tok")), text)
