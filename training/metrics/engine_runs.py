"""Predict gold documents with the engine, and the cumulative layer ablation (the paper's Table 7).

The engine is imported inside the functions so the metrics stay importable without a model.

Example:
    >>> [name for name, _ in ABLATION_STEPS]
    ['model', '+templates', '+lists', '+extraction', '+propagation']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.config import EngineConfig, LayersConfig
from engine.errors import DetectionError
from engine.training.corpora.base import AnnotatedDocument
from engine.training.evaluate import EvalReport, evaluate_spans
from engine.types import Span

_LAYER_ORDER = ("model", "templates", "lists", "extraction", "propagation")

#: (step name, layers) with the layers switched on cumulatively.
ABLATION_STEPS: tuple[tuple[str, LayersConfig], ...] = tuple(
    (("" if i == 0 else "+") + name, LayersConfig(**{n: j <= i for j, n in enumerate(_LAYER_ORDER)}))
    for i, name in enumerate(_LAYER_ORDER)
)


def predict_spans(docs: Sequence[AnnotatedDocument], config: EngineConfig) -> dict[str, list[Span]]:
    """Run :class:`engine.pipeline.Deidentifier` over the documents' texts; id -> predicted spans.

    Documents go in corpus order so a patient's consecutive notes share trusted terms.

    Raises:
        DetectionError: the engine returned a fail-closed error result, or results out of order.
    """
    from engine.pipeline import Deidentifier

    deid = Deidentifier(config)
    out: dict[str, list[Span]] = {}
    for doc, res in zip(docs, deid.detect_many(d.to_document() for d in docs), strict=True):
        if res.id != doc.id:
            raise DetectionError("E370", f"engine result {res.id!r} arrived for document {doc.id!r}")
        if res.error:
            # fail closed: an evaluation must not silently score a document the engine gave up on
            raise DetectionError("E371", f"engine failed on document {doc.id!r}: {res.error}",
                                 fix="Run `deid detect` on that document to see the failure.")
        out[doc.id] = list(res.spans)
    return out


def evaluate_engine(docs: Sequence[AnnotatedDocument], config: EngineConfig) -> EvalReport:
    """Predict with the engine and score against the documents' gold spans."""
    pred = predict_spans(docs, config)
    return evaluate_spans({d.id: d.spans for d in docs}, pred, {d.id: d.text for d in docs})


@dataclass(frozen=True)
class AblationReport:
    """One :class:`EvalReport` per cumulative step."""

    steps: tuple[tuple[str, EvalReport], ...]

    def categories(self) -> list[str]:
        """Every category seen in gold or predictions at any step."""
        return sorted({c for _, r in self.steps for c in r.by_category})

    def to_json(self) -> dict[str, Any]:
        """Per step: overall and per-category strict P/R/F1 (category level), plus subtype level."""
        return {
            "steps": [
                {"step": name, "category_strict": r.category.strict.micro.to_dict(),
                 "subtype_strict": r.strict.micro.to_dict(),
                 "by_category": {c: s.strict.to_dict() for c, s in sorted(r.by_category.items())}}
                for name, r in self.steps
            ]
        }

    def to_markdown(self) -> str:
        """Table 7 style: strict F1 (recall) per category, one column per step, in percent."""
        head = "| category | " + " | ".join(name for name, _ in self.steps) + " |"
        lines = [head, "|---|" + "---:|" * len(self.steps)]

        def cell(score: Any) -> str:
            return f"{100 * score.f1:.2f} ({100 * score.recall:.2f})"

        for c in self.categories():
            cells = [cell(r.by_category[c].strict) if c in r.by_category else "-" for _, r in self.steps]
            lines.append(f"| {c} | " + " | ".join(cells) + " |")
        for name, pick in (("ALL (category)", lambda r: r.category.strict.micro),
                           ("ALL (subtype)", lambda r: r.strict.micro)):
            lines.append(f"| {name} | " + " | ".join(cell(pick(r)) for _, r in self.steps) + " |")
        return "Strict F1 (recall), percent; layers enabled cumulatively.\n\n" + "\n".join(lines) + "\n"


def run_ablation(docs: Sequence[AnnotatedDocument], config: EngineConfig) -> AblationReport:
    """Evaluate the engine once per :data:`ABLATION_STEPS` entry (other config settings kept)."""
    return AblationReport(tuple((name, evaluate_engine(docs, config.replace(layers=layers)))
                                for name, layers in ABLATION_STEPS))
