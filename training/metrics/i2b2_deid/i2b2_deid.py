"""The i2b2 2014 de-identification metric as a Hugging Face ``evaluate`` module.

A thin wrapper: every number comes from the project's own scorer,
:func:`engine.training.evaluate.evaluate_spans` (strict, relaxed and token matching; subtype, category and
binary levels; all PHI and the HIPAA subset; micro and macro averages). It loads offline from its
directory, with the project installed (``pip install -e .`` or the wheel)::

    >>> import evaluate                                                   # doctest: +SKIP
    >>> metric = evaluate.load("training/metrics/i2b2_deid")             # doctest: +SKIP
    >>> gold = [[{"start": 0, "end": 4, "label": "NAME", "subtype": "DOCTOR"},
    ...          {"start": 10, "end": 14, "label": "DATE", "subtype": "DATE"}]]
    >>> pred = [[{"start": 0, "end": 5, "label": "NAME", "subtype": "DOCTOR"},
    ...          {"start": 10, "end": 14, "label": "DATE", "subtype": "DATE"}]]
    >>> r = metric.compute(predictions=pred, references=gold)             # doctest: +SKIP
    >>> r["strict_f1"], r["relaxed_f1"]                                   # doctest: +SKIP
    (0.5, 1.0)

One example is one document: a list of spans with half-open character offsets ``[start, end)``,
``label`` the i2b2 category (NAME, DATE, ...) and ``subtype`` the i2b2 subtype ("" or absent: none).
Pass ``texts=[...]`` (one per document) to ``compute`` for the token-level scores.
"""

from __future__ import annotations

from typing import Any

import datasets
import evaluate

from engine.training.evaluate import MODES, evaluate_spans
from engine.types import Span

_CITATION = """\
@article{stubbs2015automated,
  title={Automated systems for the de-identification of longitudinal clinical narratives: Overview of
         2014 i2b2/UTHealth shared task Track 1},
  author={Stubbs, Amber and Kotfila, Christopher and Uzuner, {\\"O}zlem},
  journal={Journal of Biomedical Informatics}, volume={58}, pages={S11--S19}, year={2015}
}
"""

_DESCRIPTION = """\
Span-level precision, recall and F1 for PHI de-identification in the i2b2 2014 conventions: strict
(offsets and type exact), relaxed (start exact, end within 2 characters) and token matching, at the
subtype, category and binary (PHI or not) level, for all PHI and for the HIPAA subset.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: per document, a list of spans ``{"start", "end", "label", "subtype"}``.
    references: per document, the gold spans, same form.
    texts: optional, per document, the text (enables token scores and checks offsets).
Returns:
    ``precision``, ``recall``, ``f1``: strict micro, subtype level, all PHI (the i2b2 headline);
    ``{mode}_{precision|recall|f1}`` for strict, relaxed and token (token only with texts) at the
    subtype level, ``{level}_{mode}_...`` for the category and binary levels, ``hipaa_...`` the same
    on the HIPAA subset, and ``report``: the project's full JSON report (macro averages,
    per-type tables, confusion matrix).
"""

SPAN = {
    "start": datasets.Value("int32"),
    "end": datasets.Value("int32"),
    "label": datasets.Value("string"),
    "subtype": datasets.Value("string"),
}


def _spans(doc: list[dict[str, Any]]) -> list[Span]:
    return [Span(int(s["start"]), int(s["end"]), s["label"], s.get("subtype") or None) for s in doc]


def flat_scores(report: Any) -> dict[str, float]:
    """The flat micro scores of an :class:`~engine.training.evaluate.EvalReport` (keys as documented)."""
    out: dict[str, float] = {}
    for scope, prefix in ((report.all, ""), (report.hipaa, "hipaa_")):
        for level in ("subtype", "category", "binary"):
            scores = getattr(scope, level)
            for mode in MODES:
                avg = getattr(scores, mode)
                if avg is None:
                    continue
                lead = prefix + ("" if level == "subtype" else f"{level}_") + mode
                out[f"{lead}_precision"] = avg.micro.precision
                out[f"{lead}_recall"] = avg.micro.recall
                out[f"{lead}_f1"] = avg.micro.f1
    return out


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class I2b2Deid(evaluate.Metric):
    """i2b2 2014 de-identification scores through :func:`engine.training.evaluate.evaluate_spans`."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": [SPAN], "references": [SPAN]}),
            reference_urls=["https://doi.org/10.1016/j.jbi.2015.06.007"],
        )

    def _compute(
        self,
        predictions: list[list[dict[str, Any]]],
        references: list[list[dict[str, Any]]],
        texts: list[str] | None = None,
    ) -> dict[str, Any]:
        if texts is not None and len(texts) != len(references):
            raise ValueError(f"texts: {len(texts)} given for {len(references)} documents")
        ids = [f"{i:06d}" for i in range(len(references))]
        gold = {i: _spans(d) for i, d in zip(ids, references, strict=True)}
        pred = {i: _spans(d) for i, d in zip(ids, predictions, strict=True)}
        report = evaluate_spans(gold, pred, dict(zip(ids, texts, strict=True)) if texts else None)
        s = flat_scores(report)
        return {"precision": s["strict_precision"], "recall": s["strict_recall"], "f1": s["strict_f1"],
                **s, "n_docs": report.n_docs, "report": report.to_json()}
