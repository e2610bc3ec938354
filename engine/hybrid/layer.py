"""The hybrid layer: templates and lists beside the model, then post-processing.

After Yang & Garibaldi (J Biomed Inform 2015), the i2b2 2014 de-identification winner: regex
templates and keyword lists find what patterns find best; in-token extraction and trusted-term
propagation recover what the model missed; :func:`~engine.hybrid.resolve.resolve` merges it all.

Example:
    >>> from engine.config import EngineConfig
    >>> from engine.types import Document
    >>> layer = HybridLayer(EngineConfig())
    >>> doc = Document("n1", "Xai Dunn, 79yo, seen 3/12/2011. Dunn is better.")
    >>> model = [Span(0, 8, "NAME", "PATIENT", 0.97, "model")]
    >>> [(doc.text[s.start:s.end], s.subtype) for s in layer.postprocess(doc, model + layer.detect(doc))]
    [('Xai Dunn', 'PATIENT'), ('79', 'AGE'), ('3/12/2011', 'DATE'), ('Dunn', 'PATIENT')]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from engine.config import EngineConfig
from engine.errors import DetectionError
from engine.hybrid.allow import load_allow, load_deny, normalize_term
from engine.hybrid.clinical import ClinicalVeto, load_clinical, load_common, load_places
from engine.hybrid.extract import Extractor
from engine.hybrid.lists import LIST_DIR, HospitalDetector, ListDetector, load_lists, read_terms
from engine.hybrid.presets import effective
from engine.hybrid.profiles import get_output_profile
from engine.hybrid.propagate import Propagator
from engine.hybrid.resolve import ALLOW_LABEL, is_weak, resolve, split_names
from engine.hybrid.templates import TEMPLATE_DIR, RegexDetector, load_templates
from engine.labels import label_and_subtype
from engine.types import Document, Span


class HybridLayer:
    """Templates, lists, extraction, propagation and resolution, configured by one EngineConfig.

    All data files are read here, in the constructor; nothing is read at import time.

    Args:
        config: the engine config; ``config.layers`` switches layers, ``config.hybrid`` tunes them.
        template_dir: folder of template TOML files (tests point it elsewhere).
        list_dir: folder with ``lists.toml`` and the list files.
    """

    name = "hybrid.v1"

    def __init__(
        self, config: EngineConfig, template_dir: str | Path = TEMPLATE_DIR, list_dir: str | Path = LIST_DIR
    ) -> None:
        self.config = config
        self.layers = config.layers
        self.settings = h = effective(config.hybrid)
        self.allow = load_allow(h.allow_list_files)
        self.clinical = load_clinical(h.clinical_list_files)
        self.common = load_common(Path(list_dir) / "common.txt") if h.common_words else frozenset()
        self.veto = (
            ClinicalVeto(
                self.clinical,
                h.clinical_model_below,
                rules=h.clinical_rules,
                places=load_places(list_dir),
                common=self.common,
            )
            if h.clinical_veto
            else None
        )
        self.profile = get_output_profile(config.profile)
        self.model_min_scores = {k.upper(): v for k, v in h.model_min_scores.items()}
        # clinical words are never propagated as trusted terms
        never_propagate = self.allow | self.clinical | self.common if h.clinical_veto else self.allow
        self.deny = load_deny(h.deny_list_files)
        self.regex = RegexDetector(load_templates(template_dir, h.disabled_templates))
        chosen = set(h.lists or ())
        self.lists = ListDetector(load_lists(list_dir), self.allow, enabled=chosen - {"HOSPITAL"})
        self.hospitals = (
            HospitalDetector(read_terms(Path(list_dir) / "hospital_suffixes.txt"), never_propagate)
            if "HOSPITAL" in chosen
            else None
        )
        self.deny_detector = ListDetector.from_terms("DENY", self.deny) if self.deny else None
        self.extractor = Extractor(self.allow)
        self.propagator = Propagator(
            never_propagate,
            h.propagate_min_score,
            h.min_token_len,
            h.propagate_subtypes,
            trusted_sources=self.regex.trusted_sources,
        )
        self._off = frozenset(s.upper() for s in h.disabled_subtypes)

    @classmethod
    def load(cls, config: EngineConfig) -> HybridLayer:
        """Explicit factory; same as the constructor."""
        return cls(config)

    # -- detection ---------------------------------------------------------------------------
    def detect(self, doc: Document) -> list[Span]:
        """Template, list and deny-list spans for ``doc``, unresolved (overlaps allowed).

        Example: ``"MRN: 6746781"`` ->
        ``[Span(5, 12, "ID", "MEDICALRECORD", 0.95, "regex:MEDICALRECORD"), ...]``.
        """
        out: list[Span] = []
        try:
            if self.layers.templates:
                out += self.regex.detect(doc)
            if self.layers.lists:
                out += self.lists.detect(doc)
                if self.hospitals is not None:
                    out += self.hospitals.detect(doc)
            if self.deny_detector is not None:
                out += self.deny_detector.detect(doc)
        except (ValueError, IndexError, KeyError, TypeError) as e:  # fail closed: never fewer spans
            raise DetectionError(
                "E430",
                f"hybrid detection failed on document {doc.id!r}: {e}",
                fix="Report the input; set on_error='redact_all' to redact it meanwhile.",
            ) from e
        return self._keep(out)

    # -- post-processing ---------------------------------------------------------------------
    def postprocess(self, doc: Document, spans: list[Span]) -> list[Span]:
        """Extraction and in-note propagation over model + detect() spans, then resolution.

        Returns:
            Final non-overlapping spans sorted by start, each a non-blank slice of ``doc.text``.
        """
        text = doc.text
        cur = [s for s in spans if s.end <= len(text)]
        if len(cur) != len(spans):
            raise DetectionError("E431", f"document {doc.id!r}: a span ends beyond the text")
        cur = self._vet(text, cur)
        if self.layers.extraction:
            cur = self._vet(text, self.extractor.apply(text, cur))
        if self.layers.propagation:
            cur += self._vet(text, self._keep(self.propagator.within_note(text, cur)))
        return self._final(text, cur)

    def propagate_group(self, docs: Sequence[Document], spans: Sequence[list[Span]]) -> list[list[Span]]:
        """Propagate PATIENT/DOCTOR/HOSPITAL trusted terms across notes of the same ``doc.group``.

        Args:
            docs: the documents, in any order; ``group=None`` documents are their own group.
            spans: each document's spans (normally its :meth:`postprocess` output).

        Returns:
            The final resolved spans per document, in input order.
        """
        if len(docs) != len(spans):
            raise DetectionError("E432", f"{len(docs)} documents but {len(spans)} span lists")
        out = [list(s) for s in spans]
        if self.layers.propagation:
            for i, extra in enumerate(self.group_additions(docs, out)):
                out[i] += extra
        return [self._final(d.text, s) for d, s in zip(docs, out, strict=True)]

    def group_additions(
        self, docs: Sequence[Document], evidence: Sequence[Sequence[Span]]
    ) -> list[list[Span]]:
        """Per document, the vetted occurrences of its group's trusted PATIENT/DOCTOR/HOSPITAL terms.

        ``evidence`` is each document's spans the terms are trusted from; documents with
        ``group=None``, or alone in their group, get nothing.
        """
        added: list[list[Span]] = [[] for _ in docs]
        groups: dict[str, list[int]] = {}
        for i, d in enumerate(docs):
            if d.group is not None:
                groups.setdefault(d.group, []).append(i)
        for idx in groups.values():
            if len(idx) < 2:
                continue
            found = self.propagator.across_group([docs[i].text for i in idx], [evidence[i] for i in idx])
            for i, extra in zip(idx, found, strict=True):
                added[i] = self._vet(docs[i].text, self._keep(extra))
        return added

    # -- helpers -----------------------------------------------------------------------------
    def _vet(self, text: str, spans: list[Span]) -> list[Span]:
        """Per-category model score floors, then the clinical veto (engine.hybrid.clinical)."""
        if self.model_min_scores:
            floors = self.model_min_scores
            spans = [
                s
                for s in spans
                if s.source != "model" or s.score >= floors.get(s.subtype or "", floors.get(s.label, 0.0))
            ]
        return spans if self.veto is None else self.veto.apply(text, spans)

    def _final(self, text: str, spans: list[Span]) -> list[Span]:
        """Resolve, then keep what the output profile calls PHI."""
        out = split_names(text, resolve(text, spans + self._allow_spans(text, spans)))
        return [s for s in out if self.profile.keep(text, s)]

    def _keep(self, spans: list[Span]) -> list[Span]:
        """Drop spans of subtypes or categories switched off in ``hybrid.disabled_subtypes``."""
        if not self._off:
            return spans
        return [s for s in spans if s.label not in self._off and (s.subtype or "") not in self._off]

    def _allow_spans(self, text: str, spans: list[Span]) -> list[Span]:
        """ALLOW spans over weak spans whose surface is on the allow list (resolve drops those)."""
        return [
            Span(s.start, s.end, ALLOW_LABEL, None, 1.0, "allow")
            for s in spans
            if is_weak(s) and normalize_term(text[s.start : s.end]) in self.allow
        ]


__all__ = ["HybridLayer", "label_and_subtype"]
