"""Trusted-term propagation: mark every occurrence of a trusted term in a note or a patient's notes.

Occurrences are matched case-insensitively on word boundaries (``Dunn`` does not match
``Dunning``), with any run of 1-3 whitespace characters between the words of a term. Acronyms and
one-word hospital reductions match only as written or all upper-case. One combined regex per note
does the matching, so the cost is one scan however many terms there are.

Example:
    >>> p = Propagator(frozenset(), 0.9, 2, ("PATIENT", "DOCTOR", "HOSPITAL"))
    >>> text = "Xai Dunn seen. DUNN and X. Dunn agree."
    >>> spans = [Span(0, 8, "NAME", "PATIENT", 0.95, "model")]
    >>> [text[s.start:s.end] for s in p.within_note(text, spans)]
    ['Xai Dunn', 'DUNN', 'X. Dunn']
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from engine.hybrid.allow import normalize_term
from engine.hybrid.trusted import Term, by_key, collect_terms, coordination_spans
from engine.types import Span

PROPAGATED_SCORE_CAP = 0.9


def _term_pattern(form: str) -> str:
    words = [re.escape(w) for w in form.split()]
    return r"\s{1,3}".join(words)


def build_matcher(terms: Collection[Term]) -> re.Pattern[str] | None:
    """One case-insensitive regex matching any term on word boundaries (longest first).

    subtle: the pattern starts with a plain character class of the terms' first characters so that
    ``re`` skips quickly to candidate positions; the boundary check follows as a lookbehind.
    """
    if not terms:
        return None
    groups: dict[str, list[str]] = {}
    for t in sorted(terms, key=lambda t: len(t.form), reverse=True):
        groups.setdefault(t.form[0].lower(), []).append(_term_pattern(t.form)[len(re.escape(t.form[0])) :])
    firsts = "".join(re.escape(c) for c in sorted(groups))
    branches = "|".join(f"(?<={re.escape(c)})(?:{'|'.join(rests)})" for c, rests in groups.items())
    return re.compile(rf"[{firsts}](?<!\w.)(?:{branches})(?!\w)", re.IGNORECASE)


def mark(text: str, terms: Collection[Term], source: str = "propagate") -> list[Span]:
    """Spans for every word-bounded occurrence of ``terms`` in ``text``."""
    rx = build_matcher(terms)
    if rx is None:
        return []
    index = by_key(terms)
    out: list[Span] = []
    for m in rx.finditer(text):
        surface = m.group()
        t = index.get(normalize_term(surface))
        if t is None:
            continue
        if t.case_sensitive and surface != t.form and surface != t.form.upper():
            continue
        out.append(Span(m.start(), m.end(), t.label, t.subtype, min(t.score, PROPAGATED_SCORE_CAP), source))
    return out


class Propagator:
    """Finds trusted terms and marks their occurrences (see :mod:`engine.hybrid.trusted`).

    Args:
        allow: terms never propagated.
        min_score: score making a PATIENT/DOCTOR/HOSPITAL span trusted on its own.
        min_len: shortest propagated form (letters and digits).
        group_subtypes: subtypes trusted by evidence and propagated across a patient's notes.
        trusted_sources: template sources (``regex:NAME``) whose matches are trusted outright.
    """

    name = "propagate.v1"

    def __init__(
        self,
        allow: frozenset[str],
        min_score: float,
        min_len: int,
        group_subtypes: Sequence[str],
        trusted_sources: frozenset[str] = frozenset(),
    ) -> None:
        self.allow, self.min_score, self.min_len = allow, min_score, min_len
        self.group_subtypes = frozenset(group_subtypes)
        self.trusted_sources = trusted_sources

    def within_note(self, text: str, spans: Sequence[Span]) -> list[Span]:
        """Coordination-line fields plus every occurrence of the note's trusted terms."""
        coord = coordination_spans(text)
        terms = collect_terms(
            [text],
            [list(spans) + coord],
            trusted_sources=self.trusted_sources,
            subtypes=self.group_subtypes,
            min_score=self.min_score,
            allow=self.allow,
            min_len=self.min_len,
        )
        return coord + mark(text, terms)

    def across_group(self, texts: Sequence[str], spans: Sequence[Sequence[Span]]) -> list[list[Span]]:
        """Per note, occurrences of the group's trusted PATIENT/DOCTOR/HOSPITAL terms."""
        terms = collect_terms(
            texts,
            spans,
            trusted_sources=self.trusted_sources,
            subtypes=self.group_subtypes,
            min_score=self.min_score,
            allow=self.allow,
            min_len=self.min_len,
            names_only=True,
        )
        return [mark(t, terms) for t in texts]
