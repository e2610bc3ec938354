"""The hybrid layer of the i2b2 2014 winner (Yang & Garibaldi 2015): templates, lists, extraction,
trusted-term propagation and one resolution policy.

``HYBRID_DETECTORS`` is the explicit, versioned table of the layer's stages; a golden test pins it.

Example:
    >>> from engine.config import EngineConfig
    >>> layer = HybridLayer(EngineConfig())          # reads the shipped data files
    >>> resolve("ab", [])
    []
    >>> sorted(HYBRID_DETECTORS)[:2]
    ['clinical.v1', 'extract.v1']
"""

from __future__ import annotations

from engine.errors import ConfigError
from engine.hybrid.clinical import ClinicalVeto
from engine.hybrid.extract import Extractor
from engine.hybrid.layer import HybridLayer
from engine.hybrid.lists import HospitalDetector, ListDetector
from engine.hybrid.propagate import Propagator
from engine.hybrid.resolve import resolve
from engine.hybrid.templates import RegexDetector

#: Versioned stage names -> classes (each has ``name`` equal to its key).
HYBRID_DETECTORS: dict[str, type] = {
    "regex.v1": RegexDetector,
    "lists.v1": ListDetector,
    "hospital.v1": HospitalDetector,
    "extract.v1": Extractor,
    "propagate.v1": Propagator,
    "hybrid.v1": HybridLayer,
    "clinical.v1": ClinicalVeto,
}


def get_detector(name: str) -> type:
    """Look a stage up by versioned name; an unknown name raises with the valid ones.

    Example: ``get_detector("regex.v1") is RegexDetector``.
    """
    if name not in HYBRID_DETECTORS:
        raise ConfigError(
            "E440", f"unknown hybrid stage {name!r}", fix=f"Use one of {sorted(HYBRID_DETECTORS)}."
        )
    return HYBRID_DETECTORS[name]


__all__ = ["HYBRID_DETECTORS", "HybridLayer", "get_detector", "resolve"]
