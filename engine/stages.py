"""Detection as an ordered list of named, versioned stages.

Two kinds of stage, two small protocols:

* a :class:`Detector` finds candidate spans: ``detect_batch(docs) -> spans per doc`` (the model, the
  regex templates, the keyword lists, hospital-name growth, the deny list, your own detectors);
* a :class:`Refiner` edits the candidates of one document: ``refine(doc, spans) -> spans`` (the
  clinical veto, in-token extraction, propagation of trusted terms, resolution). A refiner that also
  works across a patient's notes has ``refine_group(docs, spans)``.

The engine (:class:`~engine.pipeline.Deidentifier`) runs every detector, concatenates their spans,
then runs the refiners in order inside its fail-closed guard; ``resolve.v1`` is always last and runs
once. The stage list comes from ``EngineConfig.stages`` or, when that is unset, from the
``layers.*`` switches (:func:`default_stages`). Every name is looked up in :data:`STAGES`; an
unknown name is a :class:`~engine.errors.ConfigError` that lists the known ones.

Your own detectors, without touching the package:

* data: ``[[detectors]]`` tables in the config, each a regex list or a word list
  (:class:`~engine.config.CustomDetectorConfig`), run by the ``custom.v1`` stage;
* code: a factory registered by name, with :func:`register_stage` or through the
  ``deid.stages`` entry-point group, then named in ``stages``.

Example:
    >>> default_stages(LayersConfig())  # doctest: +NORMALIZE_WHITESPACE
    ('model.v1', 'templates.v1', 'lists.v1', 'hospitals.v1', 'deny.v1', 'vet.v1', 'extraction.v1',
     'propagation.v1', 'resolve.v1')
    >>> default_stages(LayersConfig(templates=False, lists=False, extraction=False, propagation=False))
    ('model.v1',)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from engine.config import CustomDetectorConfig, EngineConfig, LayersConfig
from engine.errors import ConfigError, DetectionError
from engine.types import Document, Span

if TYPE_CHECKING:
    from engine.hybrid.layer import HybridLayer
    from engine.pipeline import Deidentifier


@runtime_checkable
class Detector(Protocol):
    """Finds candidate spans in a batch of documents (overlaps allowed)."""

    name: str

    def detect_batch(self, docs: Sequence[Document]) -> list[list[Span]]:
        """One list of spans per document, in input order."""
        ...


@runtime_checkable
class Refiner(Protocol):
    """Edits one document's candidate spans (adds, removes, merges)."""

    name: str

    def refine(self, doc: Document, spans: list[Span]) -> list[Span]:
        """The refined spans of ``doc``."""
        ...


@dataclass
class StageContext:
    """What a stage factory may use: the config, the engine, and the hybrid layer's loaded data.

    ``hybrid`` is built on first use (it reads the template and list files), so a model-only stage
    list never loads them.
    """

    config: EngineConfig
    engine: Deidentifier
    _hybrid: HybridLayer | None = field(default=None, repr=False)

    @property
    def hybrid(self) -> HybridLayer:
        """The engine's hybrid layer (templates, lists, veto, extraction, propagation, resolution)."""
        if self._hybrid is None:
            self._hybrid = self.engine.hybrid_layer()
        return self._hybrid


StageFactory = Callable[[StageContext], "Detector | Refiner"]


# ------------------------------------------------------------------ built-in detectors
class ModelDetector:
    """The ONNX token classifier: tokenize, window, batch, run, stitch, decode."""

    name = "model.v1"

    def __init__(self, engine: Deidentifier) -> None:
        self.engine = engine

    def detect_batch(self, docs: Sequence[Document]) -> list[list[Span]]:
        """Model spans per document (see :meth:`Deidentifier.model_spans`)."""
        return self.engine.model_spans(list(docs))


class PerDocDetector:
    """Adapts a ``detect(doc) -> spans`` object to :class:`Detector`, honouring disabled subtypes."""

    def __init__(self, name: str, inner: Any, keep: Callable[[list[Span]], list[Span]]) -> None:
        self.name, self.inner, self.keep = name, inner, keep

    def detect_batch(self, docs: Sequence[Document]) -> list[list[Span]]:
        """``inner.detect`` per document; a data error fails closed with the stage's name."""
        out = []
        for doc in docs:
            try:
                out.append(self.keep(list(self.inner.detect(doc))))
            except (ValueError, IndexError, KeyError, TypeError) as e:
                raise DetectionError(
                    "E430",
                    f"stage {self.name} failed on document {doc.id!r}: {type(e).__name__}",
                    fix="Report the input; set on_error='redact_all' to redact it meanwhile.",
                ) from e
        return out


class NoSpans:
    """A detector that finds nothing (a stage whose data is empty, e.g. no deny list given)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def detect_batch(self, docs: Sequence[Document]) -> list[list[Span]]:
        """No spans for any document."""
        return [[] for _ in docs]


class CustomDetector:
    """The config's ``[[detectors]]``: regex lists and word lists, Presidio's ad-hoc recognizers.

    Example (config TOML)::

        [[detectors]]
        name = "ward_ids"
        patterns = ['\\bW\\d{6}\\b']
        label = "ID"
        subtype = "IDNUM"

        [[detectors]]
        name = "our_clinicians"
        words = ["Zorblatt", "Quennell"]
        label = "NAME"
        subtype = "DOCTOR"
    """

    name = "custom.v1"

    def __init__(self, specs: Sequence[CustomDetectorConfig]) -> None:
        from engine.hybrid.templates import check_pattern_safety

        self.rules: list[tuple[CustomDetectorConfig, re.Pattern[str]]] = []
        for spec in specs:
            flags = re.IGNORECASE if spec.ignore_case else 0
            parts = list(spec.patterns)
            words = list(spec.words)
            if spec.words_file:
                from engine.hybrid.lists import read_terms

                words += sorted(read_terms(spec.words_file))
            if words:
                alts = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
                parts.append(rf"(?<!\w)(?:{alts})(?!\w)")
            for i, pattern in enumerate(parts):
                name = f"{spec.name}[{i}]"
                check_pattern_safety(name, pattern, flags)
                try:
                    self.rules.append((spec, re.compile(pattern, flags)))
                except re.error as e:
                    raise ConfigError(
                        "E120", f"custom detector {name!r} does not compile: {e}", fix="Fix the pattern."
                    ) from e

    def detect_batch(self, docs: Sequence[Document]) -> list[list[Span]]:
        """Every match of every rule, labelled as its detector says."""
        out = []
        for doc in docs:
            spans = []
            for spec, rx in self.rules:
                for m in rx.finditer(doc.text):
                    start, end = m.span(spec.group) if spec.group else m.span()
                    if end > start and doc.text[start:end].strip():
                        spans.append(
                            Span(start, end, spec.label, spec.subtype, spec.score, f"custom:{spec.name}")
                        )
            out.append(spans)
        return out


# ------------------------------------------------------------------ built-in refiners
class VetRefiner:
    """Per-category model score floors and the clinical veto (engine.hybrid.clinical)."""

    name = "vet.v1"

    def __init__(self, hybrid: HybridLayer) -> None:
        self.hybrid = hybrid

    def refine(self, doc: Document, spans: list[Span]) -> list[Span]:
        """Spans the veto keeps; a span past the end of the text is a bug upstream (E431)."""
        if any(s.end > len(doc.text) for s in spans):
            raise DetectionError("E431", f"document {doc.id!r}: a span ends beyond the text")
        return self.hybrid._vet(doc.text, spans)  # noqa: SLF001 - the layer owns the veto's state


class ExtractionRefiner:
    """In-token extraction ('79yo' -> AGE '79', 'MR:6746781' -> ID, name completion), then the veto."""

    name = "extraction.v1"

    def __init__(self, hybrid: HybridLayer) -> None:
        self.hybrid = hybrid

    def refine(self, doc: Document, spans: list[Span]) -> list[Span]:
        """Spans with extraction applied."""
        h = self.hybrid
        return h._vet(doc.text, h.extractor.apply(doc.text, spans))  # noqa: SLF001


class PropagationRefiner:
    """Trusted terms marked at every occurrence in the note, and across a patient's notes.

    ``refine`` adds the note's own trusted terms; ``refine_group`` then adds, to each note of a
    group, the PATIENT/DOCTOR/HOSPITAL terms trusted in any note of that group. The group's evidence
    is each note's spans as resolution would leave them (a mention found by two detectors counts
    once); the candidates themselves stay unresolved for the single resolution at the end.
    """

    name = "propagation.v1"

    def __init__(self, hybrid: HybridLayer) -> None:
        self.hybrid = hybrid

    def refine(self, doc: Document, spans: list[Span]) -> list[Span]:
        """Spans plus the note's propagated occurrences."""
        h = self.hybrid
        added = h._keep(h.propagator.within_note(doc.text, spans))  # noqa: SLF001
        return spans + h._vet(doc.text, added)  # noqa: SLF001

    def refine_group(self, docs: Sequence[Document], spans: Sequence[list[Span]]) -> list[list[Span]]:
        """Per note, its spans plus occurrences of its group's trusted names."""
        h = self.hybrid
        grouped = Counter(d.group for d in docs if d.group is not None)
        # only notes that share a group need their resolved view as evidence
        evidence = [
            h._final(d.text, s) if d.group is not None and grouped[d.group] > 1 else []  # noqa: SLF001
            for d, s in zip(docs, spans, strict=True)
        ]
        out = [list(s) for s in spans]
        for acc, extra in zip(out, h.group_additions(docs, evidence), strict=True):
            acc += extra
        return out


class ResolveRefiner:
    """One non-overlapping span per mention (engine.hybrid.resolve), then the output profile."""

    name = "resolve.v1"

    def __init__(self, hybrid: HybridLayer) -> None:
        self.hybrid = hybrid

    def refine(self, doc: Document, spans: list[Span]) -> list[Span]:
        """Resolved spans, sorted by start, that the output profile calls PHI."""
        return self.hybrid._final(doc.text, spans)  # noqa: SLF001


def _per_doc(name: str, attr: str) -> StageFactory:
    def build(ctx: StageContext) -> Detector:
        h = ctx.hybrid
        inner = getattr(h, attr)
        return NoSpans(name) if inner is None else PerDocDetector(name, inner, h._keep)  # noqa: SLF001

    return build


#: Every stage the engine knows, by versioned name (filled here and by :func:`register_stage`).
STAGES: dict[str, StageFactory] = {
    "model.v1": lambda ctx: ModelDetector(ctx.engine),
    "templates.v1": _per_doc("templates.v1", "regex"),
    "lists.v1": _per_doc("lists.v1", "lists"),
    "hospitals.v1": _per_doc("hospitals.v1", "hospitals"),
    "deny.v1": _per_doc("deny.v1", "deny_detector"),
    "custom.v1": lambda ctx: CustomDetector(ctx.config.detectors),
    "vet.v1": lambda ctx: VetRefiner(ctx.hybrid),
    "extraction.v1": lambda ctx: ExtractionRefiner(ctx.hybrid),
    "propagation.v1": lambda ctx: PropagationRefiner(ctx.hybrid),
    "resolve.v1": lambda ctx: ResolveRefiner(ctx.hybrid),
}
BUILTIN_STAGES = frozenset(STAGES)
ENTRY_POINT_GROUP = "deid.stages"


def register_stage(name: str, factory: StageFactory, replace: bool = False) -> None:
    """Register a detector or refiner factory under a versioned name (``"myorg.ward_ids.v1"``).

    ``factory(ctx: StageContext)`` returns an object with ``name`` and ``detect_batch`` (a detector)
    or ``refine`` (a refiner). Name it in ``EngineConfig.stages`` to run it.
    """
    if not re.fullmatch(r"[a-z0-9_.-]+\.v\d+", name):
        raise ConfigError(
            "E121", f"stage name {name!r} is not dotted and versioned", fix="e.g. 'myorg.ids.v1'"
        )
    if name in STAGES and not replace:
        raise ConfigError(
            "E122", f"stage {name!r} is already registered", fix="Pick another name or version."
        )
    STAGES[name] = factory


def _load_entry_points() -> None:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in STAGES:
            STAGES[ep.name] = ep.load()


def default_stages(layers: LayersConfig, custom: bool = False) -> tuple[str, ...]:
    """The stage list the ``layers.*`` switches stand for (the ablation walks the same steps).

    ``custom``: the config has ``[[detectors]]``, so ``custom.v1`` runs (and resolution with it).
    """
    names: list[str] = ["model.v1"] if layers.model else []
    hybrid = layers.templates or layers.lists or layers.extraction or layers.propagation
    if layers.templates:
        names.append("templates.v1")
    if layers.lists:
        names += ["lists.v1", "hospitals.v1"]
    if hybrid:
        names.append("deny.v1")
    if custom:
        names.append("custom.v1")
    if hybrid:
        names.append("vet.v1")
        if layers.extraction:
            names.append("extraction.v1")
        if layers.propagation:
            names.append("propagation.v1")
        names.append("resolve.v1")
    elif custom:
        names.append("resolve.v1")  # custom spans may overlap the model's
    return tuple(names)


@dataclass(frozen=True)
class StagePlan:
    """The built stages of one engine: detectors first, then refiners, resolution last."""

    detectors: tuple[Detector, ...]
    refiners: tuple[Refiner, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The stage names in run order."""
        stages: tuple[Detector | Refiner, ...] = (*self.detectors, *self.refiners)
        return tuple(s.name for s in stages)


def build_plan(ctx: StageContext, names: Sequence[str] | None = None) -> StagePlan:
    """Build the stages ``names`` (default: the config's ``stages`` or :func:`default_stages`)."""
    cfg = ctx.config
    names = tuple(
        names if names is not None else cfg.stages or default_stages(cfg.layers, bool(cfg.detectors))
    )
    if any(n not in STAGES for n in names):
        _load_entry_points()
    unknown = [n for n in names if n not in STAGES]
    if unknown:
        raise ConfigError("E123", f"unknown stage(s) {unknown}", fix=f"Known stages: {sorted(STAGES)}")
    if len(set(names)) != len(names):
        raise ConfigError("E124", f"a stage is listed twice in {list(names)}")
    detectors: list[Detector] = []
    refiners: list[Refiner] = []
    for n in names:
        stage = STAGES[n](ctx)
        if isinstance(stage, Refiner) and not isinstance(stage, Detector):
            refiners.append(stage)
        elif isinstance(stage, Detector):
            if refiners:
                raise ConfigError(
                    "E125", f"detector {n!r} listed after a refiner", fix="List detectors first."
                )
            detectors.append(stage)
        else:
            raise ConfigError("E126", f"stage {n!r} is neither a detector nor a refiner")
    if "resolve.v1" in names and names[-1] != "resolve.v1":
        raise ConfigError("E127", "resolve.v1 must be the last stage", fix="Move it to the end of stages.")
    return StagePlan(tuple(detectors), tuple(refiners))


def run_plan(plan: StagePlan, docs: list[Document], timer: Any | None = None) -> list[list[Span]]:
    """Detectors, then refiners (group forms across the chunk), for one chunk of documents."""
    import time

    spans: list[list[Span]] = [[] for _ in docs]
    for det in plan.detectors:
        t0 = time.perf_counter()
        found = det.detect_batch(docs)
        if len(found) != len(docs):
            raise DetectionError(
                "E432", f"stage {det.name} returned {len(found)} span lists for {len(docs)} documents"
            )
        for acc, new in zip(spans, found, strict=True):
            acc.extend(new)
        if timer is not None and not isinstance(det, ModelDetector):  # the model times its own steps
            timer.add(det.name, t0)
    for ref in plan.refiners:
        t0 = time.perf_counter()
        spans = [list(ref.refine(d, s)) for d, s in zip(docs, spans, strict=True)]
        group_form = getattr(ref, "refine_group", None)
        if group_form is not None and any(d.group is not None for d in docs):
            spans = [list(s) for s in group_form(docs, spans)]
        if timer is not None:
            timer.add(ref.name, t0)
    return spans
