"""The data model: immutable pydantic models with a versioned JSON Schema.

Every model is frozen and serialises to JSON with ``model_dump_json``. ``SCHEMA_VERSION``
changes (semver) whenever the serialised form of a ``Report`` changes: minor for added fields,
major for removed or renamed ones.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

SCHEMA_VERSION = "1.0.0"

Role = Literal["agent", "bot", "customer", "system"]
Polarity = Literal["builds", "erodes", "customer_negative", "customer_positive"]
BlameTarget = Literal["customer", "colleague", "third_party", "system", "unspecified"]
ROLES: tuple[str, ...] = ("agent", "bot", "customer", "system")
BLAME_TARGETS: tuple[str, ...] = ("customer", "colleague", "third_party", "system", "unspecified")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Turn(_Frozen):
    """One turn of a conversation."""

    role: Role
    text: str
    speaker: str | None = None
    timestamp: str | None = Field(default=None, description="ISO 8601 date-time, when known")
    language: str | None = Field(default=None, description="ISO 639-1 code, when the caller knows it")


class Transcript(_Frozen):
    """A conversation: an id and its turns in order."""

    id: str
    turns: tuple[Turn, ...]
    language: str | None = Field(default=None, description="ISO 639-1 code, when the caller knows it")
    metadata: dict[str, Any] = Field(default_factory=dict)


class Finding(_Frozen):
    """One signal in one turn, with the character span of its evidence."""

    signal: str
    polarity: Polarity
    role: Role
    turn: int = Field(ge=0, description="0-based index of the turn")
    start: int = Field(ge=0, description="character offset into the turn's text")
    end: int = Field(ge=0, description="character offset into the turn's text (exclusive)")
    text: str = Field(description="the evidence: turn.text[start:end]")
    rule_id: str
    language: str
    confidence: float = Field(ge=0.0, le=1.0)
    explanation: str
    seed: str = Field(description="the seed passage the signal rests on")
    target: BlameTarget | None = Field(default=None, description="whom the blame goes to (blame_shifting)")
    context: tuple[str, ...] = Field(default=(), description="context cues that changed this finding")
    backend: str = "blank"
    variant: str | None = Field(default=None, description="the rule variant that fired, when not the base")

    @model_validator(mode="after")
    def _span_ok(self) -> Finding:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self


class ScoreContribution(_Frozen):
    signal: str
    role: str
    count: int
    counted: int = Field(description="how many of the findings count, after the per-signal cap")
    weight: float
    points: float


class TrustScore(_Frozen):
    value: float = Field(ge=0.0, le=100.0)
    baseline: float
    contributions: tuple[ScoreContribution, ...] = ()
    explanation: str


class LedgerLink(_Frozen):
    turn: int
    kind: Literal["fulfilled", "doubted", "broken"]
    signal: str
    text: str


class LedgerEntry(_Frozen):
    """A promise made in the conversation: a commitment or an overpromise."""

    turn: int
    role: Role
    signal: str
    text: str
    action: str
    deadline: str | None = None
    deadline_normalized: str | None = Field(default=None, description="ISO 8601 when it could be resolved")
    status: Literal["open", "fulfilled", "doubted", "broken"] = "open"
    links: tuple[LedgerLink, ...] = ()


class Report(_Frozen):
    """The result of analysing one transcript."""

    schema_version: str = SCHEMA_VERSION
    transcript_id: str
    language: str = Field(description="ISO 639-1 code of the conversation")
    turn_languages: tuple[str, ...]
    turn_roles: tuple[Role, ...]
    findings: tuple[Finding, ...]
    counts: dict[str, dict[str, int]] = Field(description="signal -> role -> number of findings")
    blame_targets: dict[str, int] = Field(default_factory=dict)
    score: TrustScore
    ledger: tuple[LedgerEntry, ...] = ()
    warnings: tuple[str, ...] = ()
    # the analysed conversation, for the notebook and HTML views; never serialised
    _transcript: Transcript | None = PrivateAttr(default=None)

    def to_json(self) -> str:
        """Compact, deterministic JSON (keys in model order, non-ASCII kept)."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))

    def _repr_html_(self) -> str:  # Jupyter
        from .views import report_html

        return str(report_html(self))


class ErrorRecord(_Frozen):
    """Stands in a batch for an input record that could not be analysed."""

    schema_version: str = SCHEMA_VERSION
    error: dict[str, str | None]
    index: int = Field(description="0-based position of the record in its input")
    transcript_id: str | None = None
    source: str | None = None

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))


def report_json_schema() -> dict[str, Any]:
    """The JSON Schema of a report, as published by ``trustsignals schema``."""
    schema = Report.model_json_schema()
    schema["$id"] = f"https://trustsignals.invalid/schema/report/{SCHEMA_VERSION}"
    schema["title"] = "trustsignals Report"
    schema["x-schema-version"] = SCHEMA_VERSION
    return schema
