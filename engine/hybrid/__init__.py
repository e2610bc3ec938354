"""The hybrid layer of the i2b2 2014 winner (Yang & Garibaldi 2015): templates, lists, extraction,
trusted-term propagation and one resolution policy.

Example:
    >>> from engine.config import EngineConfig
    >>> layer = HybridLayer(EngineConfig())          # reads the shipped data files
    >>> resolve("ab", [])
    []
"""

from __future__ import annotations

from engine.hybrid.layer import HybridLayer
from engine.hybrid.resolve import resolve

__all__ = ["HybridLayer", "resolve"]
