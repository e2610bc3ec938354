"""One validated engine configuration, loaded from TOML/JSON or built in code, with dotted overrides.

Example:
    >>> cfg = EngineConfig.from_overrides(["decode.o_threshold=0.9", "redact.style=mask"])
    >>> cfg.decode.o_threshold, cfg.redact.style
    (0.9, 'mask')
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.errors import ConfigError


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


#: Windows per model call when ``runtime.batch_size`` is not set. CPU: 4 windows of up to 256 tokens
#: was the fastest of 2/4/8/16 end to end on a 2-core Xeon (``python -m engine.benchmarks.probes batches``);
#: the model-level grid of ``deid bench`` agrees (not profiled further). CUDA: enough windows per
#: call to keep the GPU busy.
DEFAULT_BATCH: dict[str, int] = {"cpu": 4, "cuda": 64}


class RuntimeConfig(_Frozen):
    """How the ONNX model runs."""

    device: Literal["cpu", "cuda"] = Field("cpu", description="Execution device; cuda needs onnxruntime-gpu.")
    threads: int = Field(0, ge=0, description="Intra-op threads; 0 lets onnxruntime choose.")
    batch_size: int | None = Field(
        None, ge=1, description="Windows per model call; None: the device's default (DEFAULT_BATCH)."
    )
    graph_optimization: Literal["disable", "basic", "extended", "all"] = Field(
        "all", description="onnxruntime graph optimisation level."
    )
    max_length: int | None = Field(None, ge=8, description="Override the artifact's window length.")
    stride: int | None = Field(None, ge=0, description="Override the artifact's window overlap in tokens.")

    @property
    def windows_per_call(self) -> int:
        """``batch_size``, or the device's default from :data:`DEFAULT_BATCH`."""
        return self.batch_size or DEFAULT_BATCH[self.device]


class DecodeConfig(_Frozen):
    """From logits to spans."""

    o_threshold: float = Field(
        0.5,
        gt=0.0,
        le=1.0,
        description="Recall knob: a word is PHI unless P(O) exceeds this (lower = fewer spans; "
        "raise towards 1 for more recall).",
    )
    min_score: float = Field(0.0, ge=0.0, le=1.0, description="Drop model spans scoring below this.")


class LayersConfig(_Frozen):
    """Switches for each detection layer (the ablation toggles these in order)."""

    model: bool = Field(True, description="The token classifier.")
    templates: bool = Field(True, description="Regex templates (dates, ages, phones, IDs, ...).")
    lists: bool = Field(True, description="Keyword lists (states, countries, professions, ...).")
    extraction: bool = Field(True, description="In-token extraction ('79yo' -> AGE '79').")
    propagation: bool = Field(True, description="Trusted terms propagated within a note and a patient.")


class HybridConfig(_Frozen):
    """Tuning of the hybrid layer (see engine.hybrid)."""

    allow_list_files: tuple[str, ...] = Field((), description="Extra allow-list files (one term per line).")
    deny_list_files: tuple[str, ...] = Field((), description="Extra deny-list files ('term<TAB>SUBTYPE').")
    propagate_min_score: float = Field(
        0.9, ge=0.0, le=1.0, description="Score that makes a model term trusted."
    )
    propagate_subtypes: tuple[str, ...] = Field(
        ("PATIENT", "DOCTOR", "HOSPITAL"), description="Subtypes propagated across a patient's notes."
    )
    disabled_templates: tuple[str, ...] = Field((), description="Template names to switch off.")
    min_token_len: int = Field(2, ge=1, description="Propagated terms shorter than this are ignored.")
    preset: Literal["balanced", "recall"] = Field(
        "balanced", description="Named tuning preset (engine.hybrid.presets); fields set explicitly win."
    )
    lists: tuple[str, ...] | None = Field(
        None,
        description="Keyword lists to use (STATE, COUNTRY, NATIONALITY, LANGUAGE, PROFESSION, HOSPITAL); "
        "None = the preset's choice.",
    )
    disabled_subtypes: tuple[str, ...] = Field(
        (), description="Subtypes or categories (e.g. PROFESSION, DATE) the hybrid layer never adds."
    )
    clinical_veto: bool = Field(
        True,
        description="Veto clinical content taken for PHI (engine.hybrid.clinical): punctuation-only spans, "
        "measurements, doses and times as DATE/PHONE/ID/AGE, clinical words as weak NAME/LOCATION/ID.",
    )
    clinical_model_below: float = Field(
        0.99,
        ge=0.0,
        le=1.0,
        description="Model NAME/LOCATION/ID spans made only of clinical words are vetoed under this score.",
    )
    clinical_rules: tuple[str, ...] = Field(
        ("no_alnum", "shape", "clinical_number", "clinical_word", "username_cue"),
        description="Clinical-veto rules switched on (engine.hybrid.clinical.RULES); lower_case and "
        "no_name_cue also drop weakly held names and are off by default (docs/real-notes.md).",
    )
    common_words: bool = Field(
        True,
        description="Common words of clinical English (data/lists/common.txt: from ACI-Bench and MTS-Dialog, "
        "minus name and place pools) count as clinical vocabulary for the veto (exact matches only).",
    )
    clinical_list_files: tuple[str, ...] = Field(
        (), description="Extra clinical-vocabulary files (one word per line) for the clinical veto."
    )
    model_min_scores: dict[str, float] = Field(
        default_factory=dict,
        description='Per category or subtype, drop model spans scoring below this (e.g. {"AGE": 0.8}); '
        "a subtype entry wins over its category.",
    )


RedactStyle = Literal["tag", "mask", "surrogate", "hash", "encrypt"]


class RedactConfig(_Frozen):
    """How spans are replaced (operators: engine.redact.operators). The key itself is never in here."""

    style: RedactStyle = Field(
        "tag",
        description="tag: [NAME]; mask: '*' per character; surrogate: realistic consistent values, dates "
        "shifted; hash: [NAME:3f9a1c] (keyed); encrypt: [NAME:enc:...] (reversible with the key).",
    )
    styles: dict[str, RedactStyle] = Field(
        default_factory=dict,
        description='Per label or subtype, a style that wins over `style`, e.g. {"ID": "tag", '
        '"NAME": "surrogate"}; a subtype entry wins over its category.',
    )
    with_subtype: bool = Field(False, description="tag style: [NAME:DOCTOR] instead of [NAME].")
    mask_char: str = Field("*", min_length=1, max_length=1, description="mask style character.")
    key_file: str | None = Field(
        None, description="File holding the secret for surrogate/hash/encrypt (read, never stored)."
    )
    key_env: str = Field(
        "DEID_KEY", min_length=1, description="Environment variable holding the secret when no key_file."
    )
    hash_length: int = Field(6, ge=4, le=64, description="hash style: hex digits kept of the HMAC.")
    surrogate_scope: Literal["group", "corpus"] = Field(
        "group",
        description="Surrogate consistency: per patient (group; the document when there is none) or "
        "across the corpus. Date offsets follow the same scope.",
    )
    min_shift_days: int = Field(30, ge=1, description="Smallest date shift (days, either direction).")
    max_shift_days: int = Field(365, ge=1, le=36500, description="Largest date shift (days).")

    @model_validator(mode="after")
    def _shift_range(self) -> RedactConfig:
        if self.min_shift_days > self.max_shift_days:
            raise ValueError("min_shift_days must be <= max_shift_days")
        return self


class CustomDetectorConfig(_Frozen):
    """A detector written in the config: regexes and/or words that mark spans (run by ``custom.v1``).

    Example (TOML)::

        [[detectors]]
        name = "ward_ids"
        patterns = ['\\bW\\d{6}\\b']
        label = "ID"
        subtype = "IDNUM"
    """

    name: str = Field(..., pattern=r"^[A-Za-z0-9_.-]+$", description="Shown as the span source custom:NAME.")
    patterns: tuple[str, ...] = Field((), description="Python regexes; each match is a span.")
    words: tuple[str, ...] = Field(
        (), description="Words or phrases marked at every word-bounded occurrence."
    )
    words_file: str | None = Field(None, description="A file of words, one per line ('#' comments).")
    label: str = Field(..., min_length=1, description="Category, e.g. NAME, ID, LOCATION.")
    subtype: str | None = Field(None, description="Subtype, e.g. DOCTOR, IDNUM.")
    score: float = Field(0.95, ge=0.0, le=1.0, description="Score of the spans.")
    ignore_case: bool = Field(True, description="Match regardless of case.")
    group: int = Field(0, ge=0, description="Regex group that is the span (0 = the whole match).")

    @model_validator(mode="after")
    def _has_something_to_match(self) -> CustomDetectorConfig:
        if not (self.patterns or self.words or self.words_file):
            raise ValueError(f"detector {self.name!r} needs patterns, words or words_file")
        return self


class EngineConfig(_Frozen):
    """Everything the engine needs besides the artifact."""

    model_dir: str | None = Field(None, description="Artifact directory; None = embedded default model.")
    runtime: RuntimeConfig = RuntimeConfig()
    decode: DecodeConfig = DecodeConfig()
    layers: LayersConfig = LayersConfig()
    hybrid: HybridConfig = HybridConfig()
    redact: RedactConfig = RedactConfig()
    profile: Literal["i2b2", "hipaa"] = Field(
        "i2b2",
        description="What counts as PHI in the output: i2b2 (everything the i2b2 2014 guidelines mark) or "
        "hipaa (Safe Harbor: ages over 89 only, no professions, no weekdays).",
    )
    on_error: Literal["raise", "redact_all"] = Field(
        "raise", description="Fail closed: raise, or redact the whole document. There is no 'skip'."
    )
    stages: tuple[str, ...] | None = Field(
        None,
        description="Ordered detection stages (engine.stages.STAGES names: detectors, then refiners, "
        "resolve.v1 last); None = the stages the layers.* switches stand for.",
    )
    detectors: tuple[CustomDetectorConfig, ...] = Field(
        (), description="Your own regex and word-list detectors (run by the custom.v1 stage)."
    )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EngineConfig:
        """Validate a nested dict; errors name the field path."""
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            path, msg = first_error(e)
            raise ConfigError(
                "E100",
                f"invalid config at '{path}': {msg}",
                fix="See `deid detect --help` or README 'Configuration'.",
            ) from e

    @classmethod
    def from_file(cls, path: str | Path, overrides: list[str] | None = None) -> EngineConfig:
        """Load TOML or JSON, then apply dotted ``key=value`` overrides."""
        p = Path(path)
        if not p.is_file():
            raise ConfigError("E104", f"config file not found: {p}")
        try:
            raw = p.read_text(encoding="utf-8")
            data = tomllib.loads(raw) if p.suffix.lower() == ".toml" else json.loads(raw)
        except (
            OSError,
            UnicodeDecodeError,
            tomllib.TOMLDecodeError,
            json.JSONDecodeError,
            RecursionError,
        ) as e:
            raise ConfigError(
                "E109",
                f"cannot read config file {p}: {type(e).__name__}: {e}",
                fix="Fix the file (TOML for .toml, else JSON), or check it with a TOML/JSON validator.",
            ) from e
        if not isinstance(data, dict):
            raise ConfigError("E109", f"config file {p} must hold a table/object at the top level")
        return cls.from_dict(apply_overrides(data, overrides or []))

    @classmethod
    def from_overrides(cls, overrides: list[str], base: EngineConfig | None = None) -> EngineConfig:
        """Apply dotted overrides (``decode.o_threshold=0.9``) on top of ``base`` (or the defaults)."""
        # exclude_unset: fields nobody set stay unset, so presets can still fill them
        data = (base or cls()).model_dump(exclude_unset=True)
        return cls.from_dict(apply_overrides(data, overrides))

    def replace(self, **changes: Any) -> EngineConfig:
        """A copy with some top-level sections replaced, validated."""
        data = self.model_dump(exclude_unset=True)
        for k, v in changes.items():
            data[k] = v.model_dump(exclude_unset=True) if isinstance(v, BaseModel) else v
        return self.from_dict(data)


def first_error(e: ValidationError) -> tuple[str, str]:
    """The dotted field path and message of a validation error's first problem.

    Example: a bad ``decode.o_threshold`` -> ``("decode.o_threshold", "Input should be ...")``.
    """
    first = e.errors()[0]
    return ".".join(str(p) for p in first["loc"]), str(first["msg"])


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``a.b.c=value`` strings to a nested dict (values parsed as JSON when they parse)."""
    out = json.loads(json.dumps(data))
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ConfigError(
                "E105", f"override {item!r} is not key=value", fix="Write e.g. decode.o_threshold=0.9"
            )
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        node = out
        parts = key.strip().lstrip("-").removeprefix("engine.").split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError("E106", f"override {key!r}: {part} is not a section")
        node[parts[-1]] = value
    return out
