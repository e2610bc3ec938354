"""Markdown rendering of an :class:`~engine.training.evaluate.EvalReport` (summary, Tables 4-6 and 8 style).

Example:
    >>> from engine.types import Span
    >>> from engine.training.evaluate import evaluate_spans
    >>> md = evaluate_spans({"a": [Span(0, 2, "AGE", "AGE")]}, {"a": []}).to_markdown()
    >>> md.splitlines()[0]
    '## Summary'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.training.metrics.scores import Averages, Score

if TYPE_CHECKING:
    from engine.training.evaluate import EvalReport, TypeScores


def _pct(x: float) -> str:
    return f"{100 * x:.2f}"


def _prf(s: Score | None) -> list[str]:
    return [_pct(s.precision), _pct(s.recall), _pct(s.f1)] if s else ["-", "-", "-"]


def _summary_row(name: str, a: Averages | None) -> str:
    if a is None:
        return f"| {name} | - | - | - | - | - | - |"
    return "| " + " | ".join([name, *_prf(a.micro), *_prf(a.macro)]) + " |"


def summary_table(report: EvalReport) -> str:
    """One row per scope x level x mode: micro P/R/F1 and macro P/R/F1 (percent)."""
    lines = ["| view | micro P | micro R | micro F1 | macro P | macro R | macro F1 |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for scope_name, scope in (("all", report.all), ("hipaa", report.hipaa)):
        for level_name in ("subtype", "category", "binary"):
            level = getattr(scope, level_name)
            for mode in ("strict", "relaxed", "token"):
                lines.append(_summary_row(f"{scope_name} / {level_name} / {mode}", getattr(level, mode)))
    return "\n".join(lines)


def type_table(per_type: dict[str, TypeScores], title: str) -> str:
    """Per-type micro scores: support, strict P/R/F1, relaxed F1, token F1 (percent)."""
    lines = [f"| {title} | support | strict P | strict R | strict F1 | relaxed F1 | token F1 |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for t, s in sorted(per_type.items()):
        token_f1 = _pct(s.token.f1) if s.token else "-"
        lines.append("| " + " | ".join([t, str(s.strict.support), *_prf(s.strict), _pct(s.relaxed.f1),
                                        token_f1]) + " |")
    return "\n".join(lines)


def report_markdown(report: EvalReport) -> str:
    """The full markdown report."""
    parts = [
        "## Summary", f"{report.n_docs} documents. Scores in percent.", summary_table(report),
        "## Per category (all PHI)", type_table(report.by_category, "category"),
        "## Per subtype (all PHI)", type_table(report.by_subtype, "subtype"),
        "## Confusion (gold rows, predicted columns; offsets matched under the relaxed rule)",
        report.confusion.to_markdown(),
    ]
    return "\n\n".join(parts) + "\n"
