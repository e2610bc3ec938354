"""Tuning presets of the hybrid layer as data, merged under the user's explicit settings.

A preset fills every :class:`~engine.config.HybridConfig` field the user did not set; a field the
user set (in TOML, on the CLI or in code) always wins.

Example:
    >>> from engine.config import HybridConfig
    >>> effective(HybridConfig(preset="recall")).propagate_min_score
    0.75
    >>> effective(HybridConfig(preset="recall", propagate_min_score=0.95)).propagate_min_score
    0.95
"""

from __future__ import annotations

from typing import Any

from engine.config import HybridConfig
from engine.errors import ConfigError

ALL_LISTS = ("STATE", "COUNTRY", "NATIONALITY", "LANGUAGE", "PROFESSION", "HOSPITAL")

#: Preset name -> HybridConfig field values it sets.
PRESETS: dict[str, dict[str, Any]] = {
    # Precision-minded defaults: lists whose hits are usually PHI in i2b2 notes.
    "balanced": {"lists": ("STATE", "COUNTRY", "PROFESSION", "HOSPITAL")},
    # Recall first: every list, a lower bar for trusted terms, shorter propagated terms.
    "recall": {"lists": ALL_LISTS, "propagate_min_score": 0.75, "min_token_len": 2},
}


def effective(cfg: HybridConfig) -> HybridConfig:
    """``cfg`` with its preset's values filled into the fields the user left unset."""
    if cfg.preset not in PRESETS:
        raise ConfigError(
            "E420", f"unknown hybrid preset {cfg.preset!r}", fix=f"Use one of {sorted(PRESETS)}."
        )
    values = {k: v for k, v in PRESETS[cfg.preset].items() if k not in cfg.model_fields_set}
    merged = cfg.model_copy(update=values)
    unknown = set(merged.lists or ()) - set(ALL_LISTS)
    if unknown:
        raise ConfigError(
            "E421",
            f"hybrid.lists names unknown lists {sorted(unknown)}",
            fix=f"Use some of {list(ALL_LISTS)}.",
        )
    return merged
