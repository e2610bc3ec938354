"""Allow and deny lists: user-extensible term sets read from plain files.

The allow list names non-PHI that looks like PHI (``MS``, ``Foley``, ``Parkinson``, drug names). It
stops *weak* evidence only (list hits and propagated terms); template and model spans stand. The
deny list names terms that are always PHI, one ``term<TAB>SUBTYPE`` per line.

Example:
    >>> deny = parse_deny_lines(["Kemper\\tHOSPITAL"])
    >>> deny["kemper"]
    'HOSPITAL'
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from engine.errors import ConfigError
from engine.hybrid.lists import LIST_DIR, read_terms
from engine.labels import SUBTYPE_TO_CATEGORY, normalize_subtype

DEFAULT_ALLOW = LIST_DIR / "allow.txt"


def normalize_term(term: str) -> str:
    """Lower-case and collapse whitespace: the key every term set uses."""
    return " ".join(term.lower().split())


def load_allow(files: Iterable[str | Path] = (), include_default: bool = True) -> frozenset[str]:
    """The shipped allow list plus the user's files, normalised.

    Example: ``load_allow()`` contains ``"foley"`` and ``"ms"``.
    """
    paths = ([DEFAULT_ALLOW] if include_default else []) + [Path(f) for f in files]
    return frozenset(normalize_term(t) for p in paths for t in read_terms(p))


def parse_deny_lines(lines: Iterable[str]) -> dict[str, str]:
    """Parse ``term<TAB>SUBTYPE`` lines into ``{normalised term: subtype}``."""
    out: dict[str, str] = {}
    for n, line in enumerate(lines, 1):
        term, sep, sub = line.partition("\t")
        subtype = normalize_subtype(sub) if sep else ""
        if subtype not in SUBTYPE_TO_CATEGORY:
            raise ConfigError(
                "E413",
                f"deny list line {n}: {line!r} needs 'term<TAB>SUBTYPE' with an i2b2 subtype",
                fix=f"Use one of {sorted(SUBTYPE_TO_CATEGORY)}.",
            )
        out[normalize_term(term)] = subtype
    return out


def load_deny(files: Iterable[str | Path]) -> dict[str, str]:
    """Deny terms from the user's files (none ship with the engine)."""
    out: dict[str, str] = {}
    for f in files:
        out.update(parse_deny_lines(read_terms(f)))
    return out
