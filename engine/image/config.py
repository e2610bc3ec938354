"""The validated configuration of the image path (OCR, mapping, drawing), beside :class:`EngineConfig`.

In a TOML config file the image settings live under ``[image]`` (the engine's sections stay at the
top level); on the CLI they are ``--set image.<key>=<value>``.

Example:
    >>> cfg = ImageConfig.from_overrides(["image.ocr.psm=11", "image.draw.color=#808080"])
    >>> cfg.ocr.psm, cfg.draw.rgb
    (11, (128, 128, 128))
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from engine.config import apply_overrides, first_error
from engine.errors import ConfigError

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OcrConfig(_Frozen):
    """How Tesseract is run on each page."""

    psm: int = Field(
        3,
        ge=0,
        le=13,
        description="Tesseract page segmentation mode: 3 = automatic (keeps columns in reading order), "
        "11 = sparse text (forms, screenshots), 6 = one uniform block.",
    )
    conf_threshold: float = Field(
        70.0,
        ge=0.0,
        le=100.0,
        description="Words below this confidence are uncertain: each one inside or next to a PHI span is "
        "covered too (fail closed), and with min_conf above 0 they leave the engine's text.",
    )
    min_conf: float = Field(
        0.0,
        ge=0.0,
        le=100.0,
        description="Words below this confidence are left out of the text the engine reads (0 keeps all; "
        "they are still on the page and still covered next to PHI).",
    )
    dpi: int = Field(
        300,
        ge=50,
        le=1200,
        description="PDF pages are rendered at this resolution; also Tesseract's hint for images "
        "without a DPI of their own.",
    )
    max_dpi: int = Field(
        400,
        ge=100,
        le=2400,
        description="Pages of a higher resolution are OCR'd on a copy scaled down to this (Tesseract gains "
        "nothing above ~300-400 dpi and slows down); boxes are scaled back, rounded outwards.",
    )
    lang: str = Field("eng", pattern=r"^[A-Za-z0-9_+]+$", description="Tesseract language(s), e.g. eng+deu.")
    tesseract_cmd: str = Field("tesseract", description="The Tesseract executable (name on PATH or path).")
    timeout_s: float = Field(120.0, gt=0, description="Per-page OCR time limit; past it the page failed.")
    min_page_conf: float = Field(
        50.0,
        ge=0.0,
        le=100.0,
        description="A page whose median word confidence (words of 3+ letters or digits, when it has 5 or "
        "more) is below this is read again with orientation detection (psm 1: upside-down and sideways "
        "scans); still below it, the page failed (covered or reported): garbage text would hide its PHI. "
        "0 turns the check off.",
    )
    min_side: int = Field(
        8, ge=1, description="Pages smaller than this many pixels on a side are rejected as bad input."
    )


class DrawConfig(_Frozen):
    """How covered regions are drawn."""

    color: str = Field("#000000", description="Fill colour of the rectangles, #RRGGBB (grey: #808080).")
    padding: int = Field(3, ge=0, le=100, description="Pixels added on every side of each box.")

    @field_validator("color")
    @classmethod
    def _hex(cls, v: str) -> str:
        if not _HEX.match(v):
            raise ValueError(f"colour must be #RRGGBB, got {v!r}")
        return "#" + v.lstrip("#").lower()

    @property
    def rgb(self) -> tuple[int, int, int]:
        """The colour as an ``(r, g, b)`` tuple."""
        h = self.color.lstrip("#")
        return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


class ImageConfig(_Frozen):
    """Everything the image path needs besides the text engine's own :class:`EngineConfig`."""

    ocr: OcrConfig = OcrConfig()
    draw: DrawConfig = DrawConfig()
    labels: tuple[str, ...] | None = Field(
        None,
        description="Labels to cover (e.g. NAME, DATE, CONTACT); None covers every label the engine finds. "
        "Whole-page fail-closed regions are always covered.",
    )
    low_conf: Literal["adjacent", "all"] = Field(
        "adjacent",
        description="Uncertain OCR words to cover: those inside or next to a PHI span on the same line "
        "(adjacent), or every one on the page (all).",
    )
    on_ocr_error: Literal["cover", "report"] = Field(
        "cover",
        description="A page whose OCR fails: cover it entirely (and say so in the JSON), or report the "
        "file as failed and write nothing for it. There is no 'skip'.",
    )
    workers: int = Field(
        0, ge=0, description="Pages OCR'd in parallel (one single-threaded Tesseract each); 0 = CPU count."
    )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImageConfig:
        """Validate a nested dict; errors name the field path."""
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            path, msg = first_error(e)
            raise ConfigError(
                "E700",
                f"invalid image config at 'image.{path}': {msg}",
                fix="See `deid image --help` or docs/image.md.",
            ) from e

    @classmethod
    def from_overrides(cls, overrides: list[str], base: dict[str, Any] | None = None) -> ImageConfig:
        """Apply the ``image.``-prefixed overrides (others are the engine's) on top of ``base``."""
        mine = [o.removeprefix("image.") for o in overrides if o.startswith("image.")]
        return cls.from_dict(apply_overrides(dict(base or {}), mine))
