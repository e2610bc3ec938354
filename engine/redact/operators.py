"""Operators: how one span is replaced. A registry with versioned names, chosen per label.

=============  ===========================  ========================================================
style          registry name                 ``Seen by Harlan Valdez on 3/12/2011`` becomes
=============  ===========================  ========================================================
``tag``        ``tag.v1``                    ``Seen by [NAME] on [DATE]``
``mask``       ``mask.v1``                   ``Seen by ****** ****** on *********``
``surrogate``  ``surrogate.v1`` (key)        ``Seen by Ramirez Bouchet on 1/31/2011``
``hash``       ``hash.v1`` (key)             ``Seen by [NAME:3f9a1c] on [DATE:be0412]``
``encrypt``    ``encrypt.v1`` (key)          ``Seen by [NAME:enc:...] on [DATE:enc:...]``
=============  ===========================  ========================================================

A Python callable ``fn(value, span) -> str`` can replace any label (``Redactor(..., custom=...)``).
Fail closed: a replacement that still contains the original mention is refused (a surrogate falls
back to a tag, a custom operator raises :class:`~engine.errors.OperatorError`).

Example:
    >>> r = Redactor.from_config(RedactConfig(style="tag", styles={"ID": "mask"}))
    >>> r.redact(Document("n1", "MRN 123 for Valdez"), [Span(4, 7, "ID"), Span(12, 18, "NAME")])[0]
    'MRN *** for [NAME]'
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from engine.config import RedactConfig
from engine.errors import ConfigError, OperatorError
from engine.redact.apply import redact as apply_redact
from engine.redact.apply import render as render_basic
from engine.redact.keys import Secret, require_secret
from engine.redact.surrogates.context import DocScope, SurrogateContext, normalise
from engine.types import Document, Replacement, Span

CustomOperator = Callable[[str, Span], str]


class Operator(Protocol):
    """Replaces one mention. ``scope`` is the document's keyed scope (``None`` for unkeyed operators)."""

    name: str
    needs_key: bool

    def render(self, span: Span, text: str, scope: DocScope | None) -> str:
        """The replacement of ``text[span.start:span.end]``."""
        ...


class TagOperator:
    """``[NAME]`` (or ``[NAME:DOCTOR]`` with ``with_subtype``)."""

    name, needs_key = "tag.v1", False

    def __init__(self, config: RedactConfig, secret: Secret | None = None) -> None:
        self.with_subtype = config.with_subtype

    def render(self, span: Span, text: str, scope: DocScope | None) -> str:
        """The replacement of ``text[span.start:span.end]``."""
        return render_basic(span, text, "tag", self.with_subtype)


class MaskOperator:
    """Every non-space character becomes ``mask_char``: the length is kept."""

    name, needs_key = "mask.v1", False

    def __init__(self, config: RedactConfig, secret: Secret | None = None) -> None:
        self.mask_char = config.mask_char

    def render(self, span: Span, text: str, scope: DocScope | None) -> str:
        """The replacement of ``text[span.start:span.end]``."""
        return render_basic(span, text, "mask", mask_char=self.mask_char)


class HashOperator:
    """``[NAME:3f9a1c]``: a keyed HMAC of the normalised mention, the same across the corpus."""

    name, needs_key = "hash.v1", True

    def __init__(self, config: RedactConfig, secret: Secret | None = None) -> None:
        assert secret is not None  # invariant: Redactor.from_config loads the key for keyed operators
        self._key = secret.subkey("hash")
        self.length = config.hash_length

    def render(self, span: Span, text: str, scope: DocScope | None) -> str:
        """The replacement of ``text[span.start:span.end]``."""
        value = normalise(text[span.start : span.end])
        digest = hmac.new(self._key, f"{span.label}\x1f{value}".encode(), hashlib.sha256).hexdigest()
        return f"[{span.label}:{digest[: self.length]}]"


class EncryptOperator:
    """``[NAME:enc:TOKEN]``: AES-SIV, reversible by the key holder with ``deid reidentify``."""

    name, needs_key = "encrypt.v1", True

    def __init__(self, config: RedactConfig, secret: Secret | None = None) -> None:
        from engine.redact.crypto import Cipher

        assert secret is not None  # invariant: see HashOperator
        self._cipher = Cipher(secret)

    def render(self, span: Span, text: str, scope: DocScope | None) -> str:
        """The replacement of ``text[span.start:span.end]``."""
        return self._cipher.token(span.label, text[span.start : span.end])


class SurrogateOperator:
    """A realistic value of the same subtype and shape, consistent per patient; dates shifted."""

    name, needs_key = "surrogate.v1", True

    def __init__(self, config: RedactConfig, secret: Secret | None = None) -> None:
        from engine.redact.surrogates.pools import pools

        self.pools = pools()  # raises ImportError naming the 'surrogates' extra
        self.fallback = TagOperator(config)

    def render(self, span: Span, text: str, scope: DocScope | None) -> str:
        """The replacement of ``text[span.start:span.end]``."""
        from engine.redact.surrogates.values import surrogate

        assert scope is not None  # invariant: Redactor passes a scope to keyed operators
        original = text[span.start : span.end]
        out = surrogate(scope, self.pools, span.label, span.subtype, original)
        if out is None:
            return self.fallback.render(span, text, scope)
        deliberate = span.label in ("DATE", "AGE") or span.subtype in ("DATE", "AGE")
        if not deliberate and _leaks(original, out):  # fail closed: never hand the mention back
            return self.fallback.render(span, text, scope)
        return out


class CallableOperator:
    """A user function ``fn(value, span) -> str`` for one label; its output is checked for leaks."""

    needs_key = False

    def __init__(self, fn: CustomOperator, name: str) -> None:
        self.fn, self.name = fn, name

    def render(self, span: Span, text: str, scope: DocScope | None) -> str:
        """The replacement of ``text[span.start:span.end]``."""
        original = text[span.start : span.end]
        out = self.fn(original, span)
        if not isinstance(out, str):
            raise OperatorError(
                "E141",
                f"custom operator {self.name} returned {type(out).__name__}, not str",
                fix="Return the replacement string.",
            )
        if _leaks(original, out):
            raise OperatorError(
                "E140",
                f"custom operator {self.name} returned text containing the original {span.label} mention",
                fix="Return a replacement that does not include the value it replaces.",
            )
        return out


#: Versioned registry; the short style names point at the current version.
OPERATORS: dict[str, type] = {
    "tag.v1": TagOperator,
    "mask.v1": MaskOperator,
    "surrogate.v1": SurrogateOperator,
    "hash.v1": HashOperator,
    "encrypt.v1": EncryptOperator,
}
STYLES: dict[str, str] = {
    "tag": "tag.v1",
    "mask": "mask.v1",
    "surrogate": "surrogate.v1",
    "hash": "hash.v1",
    "encrypt": "encrypt.v1",
}


def operator_name(style: str) -> str:
    """The registry name of a style (``"surrogate"`` -> ``"surrogate.v1"``); unknown ones list the valid."""
    name = STYLES.get(style, style)
    if name not in OPERATORS:
        raise ConfigError(
            "E133",
            f"unknown redaction style {style!r}",
            fix=f"Use one of {sorted(STYLES)} (or a registry name: {sorted(OPERATORS)}).",
        )
    return name


def _leaks(original: str, replacement: str) -> bool:
    """True when ``replacement`` still contains the original mention (3+ characters, any case)."""
    o = normalise(original)
    return len(o) >= 3 and o in normalise(replacement)


class Redactor:
    """Chooses an operator per span (subtype, then label, then the default style) and applies it.

    Holds the keyed state explicitly: the :class:`~engine.redact.keys.Secret` and the
    :class:`SurrogateContext` built from it (never a module global).
    """

    def __init__(
        self,
        default: Operator,
        by_label: Mapping[str, Operator],
        context: SurrogateContext | None = None,
        key_fingerprint: str | None = None,
    ) -> None:
        self.default = default
        self.by_label = dict(by_label)
        self.context = context
        self.key_fingerprint = key_fingerprint

    @classmethod
    def from_config(
        cls, config: RedactConfig, custom: Mapping[str, CustomOperator] | None = None
    ) -> Redactor:
        """Build the operators of ``config``; keyed styles load the key, and refuse to run without one."""
        names = {"": operator_name(config.style)}
        names.update({label: operator_name(style) for label, style in config.styles.items()})
        keyed = {n for n in names.values() if getattr(OPERATORS[n], "needs_key", False)}
        secret = require_secret(config.key_file, config.key_env, keyed) if keyed else None
        built: dict[str, Operator] = {}

        def make(name: str) -> Operator:
            if name not in built:
                built[name] = OPERATORS[name](config, secret)
            return built[name]

        by_label: dict[str, Operator] = {label: make(n) for label, n in names.items() if label}
        for label, fn in (custom or {}).items():
            by_label[label] = CallableOperator(fn, f"custom:{label}")
        context = None
        if secret is not None:
            context = SurrogateContext(
                secret.subkey("surrogate"),
                config.surrogate_scope,
                config.min_shift_days,
                config.max_shift_days,
            )
        return cls(make(names[""]), by_label, context, secret.fingerprint() if secret else None)

    def operator_for(self, span: Span) -> Operator:
        """The operator of ``span``: by subtype, else by label, else the default."""
        if span.subtype and span.subtype in self.by_label:
            return self.by_label[span.subtype]
        return self.by_label.get(span.label, self.default)

    def operators(self) -> dict[str, str]:
        """Label -> operator name, for the audit record (``"*"`` is the default)."""
        return {"*": self.default.name, **{k: v.name for k, v in self.by_label.items()}}

    def redact(self, doc: Document, spans: Sequence[Span]) -> tuple[str, tuple[Replacement, ...]]:
        """The redacted text of ``doc`` and its offset map (right-to-left replacement)."""
        scope = None
        if self.context is not None:
            from engine.redact.surrogates.values import register_names

            scope = self.context.scope_for(doc.group, doc.id)
            register_names(scope, [doc.text[s.start : s.end] for s in spans if s.label == "NAME"])
        text = doc.text
        return apply_redact(text, spans, render_fn=lambda s: self.operator_for(s).render(s, text, scope))


def tag_redactor(config: RedactConfig) -> Redactor:
    """A key-free redactor writing tags (fail-closed whole-document redaction uses it)."""
    return Redactor(TagOperator(config), {})
