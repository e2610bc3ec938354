"""Request and response bodies of the HTTP service (pydantic; they make the OpenAPI schema)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from engine.config import RedactStyle


class DocIn(BaseModel):
    """One input document of a request."""

    id: str = Field(..., description="Caller's document id (echoed back, never logged).")
    text: str = Field(..., description="The note.")
    group: str | None = Field(None, description="Patient key: surrogates and date shifts are per group.")


class Body(BaseModel):
    """A /v1/detect or /v1/redact request body."""

    documents: list[DocIn] = Field(..., description="Documents; answered in input order.")
    style: RedactStyle | None = Field(
        None, description="/v1/redact only: tag, mask, surrogate, hash or encrypt (default: the server's)."
    )
    profile: Literal["i2b2", "hipaa"] | None = Field(None, description="What counts as PHI.")
    audit: bool = Field(
        False, description="/v1/redact: add each document's audit record (counts, operators, hashes; no PHI)."
    )


class SpanOut(BaseModel):
    """One span of an answer (offsets into the redacted text for /v1/redact)."""

    start: int
    end: int
    label: str
    subtype: str | None = None
    score: float
    source: str


class DocOut(BaseModel):
    """One answered document."""

    id: str
    text: str | None = Field(None, description="/v1/redact: the redacted text (spans point into it).")
    spans: list[SpanOut]
    error: str | None = None
    audit: dict | None = Field(None, description="With audit=true: counts per category, operators, hashes.")


class Answer(BaseModel):
    """The answer: documents in input order."""

    documents: list[DocOut]
