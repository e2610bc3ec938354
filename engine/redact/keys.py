"""The user's secret for keyed operators (surrogate, hash, encrypt): from a key file or an env variable.

The secret is never stored, logged or written: it is read once, held in a :class:`Secret` whose
``repr`` hides it, and only HMAC-derived subkeys are used (one per purpose, so a hash never reveals
the encryption key).

Example:
    >>> s = Secret(b"correct horse battery staple")
    >>> len(s.subkey("hash")), repr(s)
    (32, 'Secret(<hidden>)')
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from engine.errors import ConfigError

#: Shortest secret accepted (bytes): a guessable key would make hashes and surrogates reversible.
MIN_KEY_BYTES = 16
DEFAULT_KEY_ENV = "DEID_KEY"


class Secret:
    """Key material; ``repr``/``str`` never show it, and it does not pickle into logs by accident."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ConfigError(
                "E131",
                f"the key is too short ({len(key)} bytes; at least {MIN_KEY_BYTES} needed)",
                fix='Generate one: `python -c "import secrets; print(secrets.token_hex(32))" > deid.key`.',
            )
        self._key = key

    def subkey(self, purpose: str) -> bytes:
        """A 32-byte key for one purpose (``"surrogate"``, ``"hash"``, ``"encrypt"``)."""
        return hmac.new(self._key, b"deid-subkey-v1:" + purpose.encode(), hashlib.sha256).digest()

    def fingerprint(self) -> str:
        """A short, non-reversible id of the key, for audit records (which key was used, not the key)."""
        return self.subkey("fingerprint").hex()[:12]

    def __repr__(self) -> str:
        return "Secret(<hidden>)"

    __str__ = __repr__

    def __reduce__(self) -> tuple:  # worker processes re-read the key themselves
        raise TypeError("a Secret is not picklable; each process loads the key from its file or env")


def load_secret(key_file: str | None, key_env: str | None = DEFAULT_KEY_ENV) -> Secret | None:
    """The secret from ``key_file`` (whitespace stripped) or else the environment variable ``key_env``.

    Returns ``None`` when neither is set; the caller decides whether a key is required.
    """
    if key_file:
        p = Path(key_file).expanduser()
        try:
            raw = p.read_bytes().strip()
        except OSError as e:
            raise ConfigError(
                "E132",
                f"cannot read the key file {p} ({type(e).__name__})",
                fix="Check the path given to --key-file (redact.key_file) and its permissions.",
            ) from e
        if not raw:
            raise ConfigError(
                "E131", f"the key file {p} is empty", fix="Write a secret of 16+ bytes into it."
            )
        return Secret(raw)
    if key_env:
        value = os.environ.get(key_env)
        if value:
            return Secret(value.strip().encode("utf-8"))
    return None


def require_secret(key_file: str | None, key_env: str | None, styles: set[str]) -> Secret:
    """:func:`load_secret`, refusing to run without a key (there is no built-in secret)."""
    secret = load_secret(key_file, key_env)
    if secret is None:
        raise ConfigError(
            "E130",
            f"redaction style(s) {sorted(styles)} need a secret key, and none was given",
            fix=f"Pass --key-file KEYFILE (redact.key_file), or set the environment variable "
            f"{key_env or DEFAULT_KEY_ENV}; create a key with "
            '`python -c "import secrets; print(secrets.token_hex(32))" > deid.key`.',
        )
    return secret
