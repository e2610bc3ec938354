"""Presidio interop (``pip install 'deid-engine[presidio]'``): our spans <-> ``RecognizerResult``.

Presidio users can plug the engine in as a recognizer (:func:`recognizer`), and Presidio results
can come back as spans (:func:`from_presidio`). Entity names map through :data:`TO_PRESIDIO`
(by subtype, then category); unknown ones pass through unchanged.

Example:
    >>> from presidio_analyzer import AnalyzerEngine, RecognizerRegistry          # doctest: +SKIP
    >>> registry = RecognizerRegistry(); registry.add_recognizer(recognizer())     # doctest: +SKIP
    >>> to_presidio([Span(8, 12, "NAME", "DOCTOR", 0.9, "model")])[0].entity_type  # doctest: +SKIP
    'PERSON'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from engine.errors import missing_extra
from engine.labels import label_and_subtype
from engine.types import Span

#: Our subtype (or category) -> Presidio's entity name.
TO_PRESIDIO: dict[str, str] = {
    "PATIENT": "PERSON",
    "DOCTOR": "PERSON",
    "USERNAME": "PERSON",
    "NAME": "PERSON",
    "DATE": "DATE_TIME",
    "AGE": "AGE",
    "PHONE": "PHONE_NUMBER",
    "FAX": "PHONE_NUMBER",
    "EMAIL": "EMAIL_ADDRESS",
    "URL": "URL",
    "IPADDR": "IP_ADDRESS",
    "SSN": "US_SSN",
    "MEDICALRECORD": "MEDICAL_RECORD",
    "HEALTHPLAN": "HEALTH_PLAN",
    "LICENSE": "US_DRIVER_LICENSE",
    "ACCOUNT": "US_BANK_NUMBER",
    "CITY": "LOCATION",
    "STATE": "LOCATION",
    "COUNTRY": "LOCATION",
    "STREET": "LOCATION",
    "ZIP": "LOCATION",
    "LOCATION-OTHER": "LOCATION",
    "LOCATION": "LOCATION",
    "HOSPITAL": "ORGANIZATION",
    "ORGANIZATION": "ORGANIZATION",
    "PROFESSION": "PROFESSION",
    "ID": "ID",
}
#: Presidio's entity name -> our (label, subtype).
FROM_PRESIDIO: dict[str, tuple[str, str | None]] = {
    "PERSON": ("NAME", "PATIENT"),
    "DATE_TIME": ("DATE", "DATE"),
    "AGE": ("AGE", "AGE"),
    "PHONE_NUMBER": ("CONTACT", "PHONE"),
    "EMAIL_ADDRESS": ("CONTACT", "EMAIL"),
    "URL": ("CONTACT", "URL"),
    "IP_ADDRESS": ("CONTACT", "IPADDR"),
    "US_SSN": ("ID", "SSN"),
    "MEDICAL_RECORD": ("ID", "MEDICALRECORD"),
    "HEALTH_PLAN": ("ID", "HEALTHPLAN"),
    "US_DRIVER_LICENSE": ("ID", "LICENSE"),
    "US_BANK_NUMBER": ("ID", "ACCOUNT"),
    "LOCATION": ("LOCATION", "LOCATION-OTHER"),
    "ORGANIZATION": ("LOCATION", "ORGANIZATION"),
    "PROFESSION": ("PROFESSION", "PROFESSION"),
    "ID": ("ID", "IDNUM"),
}
ENTITIES = sorted(set(TO_PRESIDIO.values()))


def _presidio() -> Any:
    try:
        import presidio_analyzer
    except ImportError as e:
        raise missing_extra("presidio-analyzer", "presidio") from e
    return presidio_analyzer


def entity_of(span: Span) -> str:
    """Presidio's name for a span's type (subtype first, then category, else the label itself)."""
    return TO_PRESIDIO.get(span.subtype or "", TO_PRESIDIO.get(span.label, span.label))


def to_presidio(spans: Iterable[Span]) -> list[Any]:
    """``RecognizerResult`` per span (same half-open offsets; our subtype and source in the explanation)."""
    pa = _presidio()
    out = []
    for s in spans:
        r = pa.RecognizerResult(entity_type=entity_of(s), start=s.start, end=s.end, score=float(s.score))
        r.recognition_metadata = {
            "recognizer_name": "deid-engine",
            "deid_subtype": s.subtype,
            "deid_source": s.source,
        }
        out.append(r)
    return out


def from_presidio(results: Iterable[Any], source: str = "presidio") -> list[Span]:
    """Spans from ``RecognizerResult``-like objects (``entity_type``, ``start``, ``end``, ``score``)."""
    out = []
    for r in results:
        if r.entity_type in FROM_PRESIDIO:
            label, subtype = FROM_PRESIDIO[r.entity_type]
        else:
            label, subtype = label_and_subtype(r.entity_type)
        meta = getattr(r, "recognition_metadata", None) or {}
        subtype = meta.get("deid_subtype", subtype)
        out.append(Span(int(r.start), int(r.end), label, subtype, float(r.score), source))
    return sorted(out, key=lambda s: (s.start, s.end))


def recognizer(deid: Any | None = None, entities: Sequence[str] | None = None) -> Any:
    """A Presidio ``EntityRecognizer`` running the engine (a :class:`~engine.pipeline.Deidentifier`).

    Add it to an ``AnalyzerEngine``'s registry; it answers in Presidio's entity names (:data:`ENTITIES`).
    """
    pa = _presidio()

    class DeidRecognizer(pa.EntityRecognizer):  # type: ignore[name-defined]
        """The deid-engine as a Presidio recognizer."""

        def __init__(self) -> None:
            super().__init__(supported_entities=list(entities or ENTITIES), name="DeidRecognizer")
            self._deid = deid

        def load(self) -> None:  # loading is lazy: the first analyze() builds the engine
            pass

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            if self._deid is None:
                from engine.pipeline import Deidentifier

                self._deid = Deidentifier()
            wanted = set(entities or self.supported_entities)
            return [r for r in to_presidio(self._deid.detect(text).spans) if r.entity_type in wanted]

    return DeidRecognizer()
