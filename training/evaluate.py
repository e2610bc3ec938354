"""Span-level evaluation following the i2b2 2014 de-identification conventions.

:func:`evaluate_spans` scores predicted spans against gold spans, document by document, in every view
the i2b2 2014 papers report:

* matching modes ``strict`` (offsets and type exact), ``relaxed`` (start exact, end within 2
  characters) and ``token`` (whitespace/punctuation tokens; needs the texts);
* levels ``subtype`` (DOCTOR, CITY, ...), ``category`` (NAME, LOCATION, ...) and ``binary``
  (PHI vs not);
* scopes ``all`` and ``hipaa`` (spans of :data:`engine.labels.NON_HIPAA_SUBTYPES` removed on both sides);
* micro (pooled counts) and macro (mean over documents) averages — see :mod:`engine.training.metrics.scores`;
* per-category and per-subtype tables and a confusion matrix with Missing/Spurious.

Example:
    >>> from engine.types import Span
    >>> gold = {"d1": [Span(0, 4, "NAME", "DOCTOR"), Span(10, 14, "DATE", "DATE")]}
    >>> pred = {"d1": [Span(0, 5, "NAME", "DOCTOR"), Span(10, 14, "DATE", "DATE")]}
    >>> r = evaluate_spans(gold, pred)
    >>> r.strict.micro.f1, r.relaxed.micro.f1, r.by_category["DATE"].strict.f1
    (0.5, 1.0, 1.0)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.errors import InputError
from engine.labels import NON_HIPAA_SUBTYPES
from engine.training.corpora.base import word_offsets
from engine.training.metrics.confusion import ConfusionMatrix
from engine.training.metrics.matching import (
    Counts,
    KeyFn,
    binary,
    by_category,
    by_subtype,
    relaxed_counts,
    strict_counts,
    token_counts,
)
from engine.training.metrics.render import report_markdown  # render imports this module for types only
from engine.training.metrics.scores import Averages, Score, macro
from engine.types import Span

MODES = ("strict", "relaxed", "token")
LEVELS: dict[str, KeyFn] = {"subtype": by_subtype, "category": by_category, "binary": binary}
SCOPES = ("all", "hipaa")


@dataclass(frozen=True, slots=True)
class TypeScores:
    """Micro scores of one type (a category or subtype) in each matching mode."""

    strict: Score
    relaxed: Score
    token: Score | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        modes = (("strict", self.strict), ("relaxed", self.relaxed), ("token", self.token))
        return {m: (s.to_dict() if s else None) for m, s in modes}


@dataclass(frozen=True, slots=True)
class LevelScores:
    """All modes at one level (subtype, category or binary), with the per-type table."""

    strict: Averages
    relaxed: Averages
    token: Averages | None
    per_type: dict[str, TypeScores]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"strict": self.strict.to_dict(), "relaxed": self.relaxed.to_dict(),
                "token": self.token.to_dict() if self.token else None,
                "per_type": {k: v.to_dict() for k, v in sorted(self.per_type.items())}}


@dataclass(frozen=True, slots=True)
class ScopeScores:
    """The three levels for one scope (all PHI, or the HIPAA subset)."""

    subtype: LevelScores
    category: LevelScores
    binary: LevelScores

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"subtype": self.subtype.to_dict(), "category": self.category.to_dict(),
                "binary": self.binary.to_dict()}


@dataclass(frozen=True)
class EvalReport:
    """Everything :func:`evaluate_spans` measured.

    The top-level shortcuts are the i2b2 headline view (all PHI, subtype level):
    ``report.strict.micro.recall``, ``report.relaxed.micro.f1``, ``report.token.micro.f1``;
    ``report.by_category["NAME"].strict.f1`` and ``report.by_subtype["DOCTOR"].relaxed.recall`` give
    the per-type tables, ``report.binary`` the PHI-vs-not scores, ``report.hipaa`` the HIPAA subset.
    """

    all: ScopeScores
    hipaa: ScopeScores
    confusion: ConfusionMatrix
    n_docs: int
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def strict(self) -> Averages:
        """Strict entity scores, all PHI, subtype level."""
        return self.all.subtype.strict

    @property
    def relaxed(self) -> Averages:
        """Relaxed entity scores, all PHI, subtype level."""
        return self.all.subtype.relaxed

    @property
    def token(self) -> Averages | None:
        """Token scores, all PHI, subtype level (``None`` without texts)."""
        return self.all.subtype.token

    @property
    def category(self) -> LevelScores:
        """All PHI at the category level."""
        return self.all.category

    @property
    def binary(self) -> LevelScores:
        """PHI-vs-not scores (types ignored)."""
        return self.all.binary

    @property
    def by_category(self) -> dict[str, TypeScores]:
        """Per-category micro scores (the paper's Tables 4-5)."""
        return self.all.category.per_type

    @property
    def by_subtype(self) -> dict[str, TypeScores]:
        """Per-subtype micro scores (the paper's Table 6)."""
        return self.all.subtype.per_type

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict of every score (``json.dumps(report.to_json())``)."""
        return {"n_docs": self.n_docs, "meta": self.meta, "all": self.all.to_dict(),
                "hipaa": self.hipaa.to_dict(), "confusion": self.confusion.to_dict()}

    def dumps(self) -> str:
        """``to_json`` as an indented string."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)

    def to_markdown(self) -> str:
        """Human-readable tables (summary, per category, per subtype, confusion)."""
        return report_markdown(self)


def is_hipaa(span: Span) -> bool:
    """False for the i2b2 types HIPAA does not require removing (DOCTOR, HOSPITAL, PROFESSION, ...)."""
    return span.type not in NON_HIPAA_SUBTYPES and span.label not in NON_HIPAA_SUBTYPES


def _check_ids(gold: Mapping[str, Sequence[Span]], pred: Mapping[str, Sequence[Span]]) -> None:
    extra, missing = set(pred) - set(gold), set(gold) - set(pred)
    if extra:
        raise InputError("E360", f"{len(extra)} predicted documents have no gold, e.g. {sorted(extra)[:3]}",
                         fix="Match documents by id; evaluate the gold subset you predicted (--limit).")
    if missing:
        raise InputError("E361", f"{len(missing)} gold documents have no prediction, "
                         f"e.g. {sorted(missing)[:3]}",
                         fix="Give every gold document a prediction entry (an empty span list is fine).")


_Doc = tuple[Sequence[Span], Sequence[Span], str | None, list[tuple[int, int]] | None]


def _count(mode: str, doc: _Doc, key: KeyFn) -> Counts:
    gold, pred, text, tokens = doc
    if mode == "strict":
        return strict_counts(gold, pred, key)
    if mode == "relaxed":
        return relaxed_counts(gold, pred, key)
    assert text is not None  # invariant: token mode only runs with texts
    return token_counts(text, gold, pred, key, tokens)


def _level(docs: list[_Doc], key: KeyFn, with_tokens: bool) -> LevelScores:
    averages: dict[str, Averages | None] = {}
    per_type_counts: dict[str, dict[str, list[int]]] = {}
    for mode in MODES:
        if mode == "token" and not with_tokens:
            averages[mode] = None
            continue
        pooled: dict[str, list[int]] = {}
        per_doc: list[Score] = []
        for doc in docs:
            counts = _count(mode, doc, key)
            tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
            if tp + fp + fn:
                per_doc.append(Score.from_counts(tp, fp, fn))
            for t, c in counts.items():
                acc = pooled.setdefault(t, [0, 0, 0])
                for i in range(3):
                    acc[i] += c[i]
        tp, fp, fn = (sum(c[i] for c in pooled.values()) for i in range(3))
        averages[mode] = Averages(Score.from_counts(tp, fp, fn), macro(per_doc), len(per_doc))
        per_type_counts[mode] = pooled
    types = sorted(set(per_type_counts["strict"]) | set(per_type_counts["relaxed"]))
    per_type = {
        t: TypeScores(
            Score.from_counts(*per_type_counts["strict"].get(t, [0, 0, 0])),
            Score.from_counts(*per_type_counts["relaxed"].get(t, [0, 0, 0])),
            Score.from_counts(*per_type_counts["token"].get(t, [0, 0, 0])) if with_tokens else None,
        )
        for t in types
    }
    strict, relaxed = averages["strict"], averages["relaxed"]
    assert strict is not None and relaxed is not None
    return LevelScores(strict, relaxed, averages["token"], per_type)


def evaluate_spans(
    gold: Mapping[str, Sequence[Span]],
    pred: Mapping[str, Sequence[Span]],
    texts: Mapping[str, str] | None = None,
) -> EvalReport:
    """Score predictions against gold, document by document.

    Args:
        gold: document id -> gold spans (label = category, subtype = i2b2 subtype).
        pred: document id -> predicted spans; must have exactly the gold ids.
        texts: document id -> text; enables the token-level scores and checks predicted offsets.

    Returns:
        An :class:`EvalReport` (see the module example).

    Raises:
        InputError: ids differ between gold and pred, or a predicted span lies beyond its text.
    """
    _check_ids(gold, pred)
    ids = sorted(gold)
    if texts is not None:
        for i in ids:
            if i not in texts:
                raise InputError("E362", f"no text for document {i!r}", fix="Pass texts for every gold id.")
            n = len(texts[i])
            bad = [s for s in (*gold[i], *pred[i]) if s.end > n]
            if bad:
                raise InputError("E363", f"document {i!r}: span {bad[0]} beyond its text (length {n})",
                                 fix="Predictions must index the gold text.")
    tokens = {i: word_offsets(texts[i]) for i in ids} if texts is not None else {}
    scopes: dict[str, ScopeScores] = {}
    for scope in SCOPES:
        keep = is_hipaa if scope == "hipaa" else (lambda s: True)
        docs: list[_Doc] = [([s for s in gold[i] if keep(s)], [s for s in pred[i] if keep(s)],
                             texts[i] if texts else None, tokens.get(i)) for i in ids]
        levels = {name: _level(docs, key, texts is not None) for name, key in LEVELS.items()}
        scopes[scope] = ScopeScores(levels["subtype"], levels["category"], levels["binary"])
    confusion = ConfusionMatrix()
    for i in ids:
        confusion.add(gold[i], pred[i])
    return EvalReport(scopes["all"], scopes["hipaa"], confusion, len(ids))


@dataclass(frozen=True)
class ProfiledReport:
    """An :class:`EvalReport` under a corpus's conventions, with the redaction-centred scores first.

    Attributes:
        profile: the :class:`~engine.training.metrics.profiles.EvalProfile` name.
        report: the i2b2-style scores of the in-scope, normalised spans.
        redaction: binary token / overlap-entity scores and the leaked mentions.
        out_of_scope: predicted spans the corpus cannot judge, per category (removed before scoring).
    """

    profile: str
    report: EvalReport
    redaction: Any
    out_of_scope: dict[str, int]
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict; no PHI text (the leaked mentions go to their own file)."""
        return {"profile": self.profile, "redaction": self.redaction.to_json(),
                "out_of_scope": dict(sorted(self.out_of_scope.items())), **self.report.to_json()}

    def to_markdown(self) -> str:
        """The redaction view, then the full i2b2-style report."""
        oos = ", ".join(f"{k} {v}" for k, v in sorted(self.out_of_scope.items())) or "none"
        head = (f"## Redaction view (profile {self.profile})\n\n{self.report.n_docs} documents. Binary token "
                f"scores (any span redacts a token), overlap-entity scores and leaked mentions (no token "
                f"redacted), percent.\n\n{self.redaction.to_markdown()}\nOut-of-scope predictions "
                f"(not annotated by this corpus, not scored): {oos}.\n\n")
        return head + self.report.to_markdown()


def evaluate_profiled(
    gold: Mapping[str, Sequence[Span]],
    pred: Mapping[str, Sequence[Span]],
    texts: Mapping[str, str],
    profile: str = "i2b2",
) -> ProfiledReport:
    """Score under a named profile (:data:`engine.training.metrics.profiles.PROFILES`).

    Example:
        >>> text = "pt 65 yo, sister Mary in"
        >>> r = evaluate_profiled({"d": [Span(17, 21, "NAME", "PATIENT")]}, {"d": [Span(3, 5, "AGE", "AGE")]},
        ...                       {"d": text}, "physionet")
        >>> r.out_of_scope, [m.text for m in r.redaction.leaked]
        ({'AGE': 1}, ['Mary'])
    """
    from engine.training.metrics.leaks import redaction_scores
    from engine.training.metrics.profiles import get_profile

    prof = get_profile(profile)
    _check_ids(gold, pred)
    g = {i: prof.gold(s) for i, s in gold.items()}
    p: dict[str, list[Span]] = {}
    oos: dict[str, int] = {}
    for i, spans in pred.items():
        kept, dropped = prof.split_predictions(texts[i], spans)
        p[i] = kept
        for s in dropped:
            oos[s.label] = oos.get(s.label, 0) + 1
    return ProfiledReport(profile, evaluate_spans(g, p, texts), redaction_scores(g, p, texts), oos)
