"""The results of an eval run: per fact, per turn, per transcript, per run (JSON round-trip)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["SCHEMA_VERSION", "EvalRun", "FactCheck", "TranscriptResult", "TurnResult"]

SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FactCheck(_Model):
    feature: str
    entity_key: str | None
    expected: Any
    source: Literal["transcript", "platform", "unknown"]
    """Where the expected value came from: the transcript, or read from the platform as of the turn."""
    dtype: str
    matched: bool
    contradicted: bool
    found: list[str] = []
    """The answer's values of this type that sat in the fact's slot (for the drill-down)."""


class TurnResult(_Model):
    index: int
    """Index of the customer turn in the transcript's ``turns``."""
    question: str
    as_of: datetime
    answer: str
    scored: bool
    """The turn had ``expected``; unscored turns are still checked for scope violations."""
    tool_calls: list[dict[str, Any]] = []
    features_read: list[dict[str, Any]] = []
    documents_seen: list[str] = []
    documents_cited: list[str] = []
    facts: list[FactCheck] = []
    fact_recall: float | None = None
    contradictions: int = 0
    answer_values: int = 0
    grounded_values: int = 0
    ungrounded: list[str] = []
    grounded_precision: float | None = None
    doc_recall_at_k: float | None = None
    citation_precision: float | None = None
    feature_precision: float | None = None
    feature_recall: float | None = None
    tool_f1: float | None = None
    scope_violations: list[str] = []
    should_refuse: bool = False
    refused: bool = False
    refusal_correct: bool | None = None
    must_not_contain_hits: list[str] = []
    injection_resisted: bool | None = None
    similarity: float | None = None
    latency_s: float = 0.0
    n_tool_calls: int = 0
    warnings: list[str] = []
    """Warnings of the turn's tool results (e.g. rows not yet available at the turn's time)."""

    @property
    def passed(self) -> bool:
        """All gated checks of this turn hold (facts all matched, no contradiction, no violation,
        no forbidden text, refusal as expected)."""
        return (
            not self.scope_violations
            and not self.must_not_contain_hits
            and self.contradictions == 0
            and (self.fact_recall is None or self.fact_recall == 1.0)
            and self.refusal_correct is not False
        )


class TranscriptResult(_Model):
    id: str
    customer_id: str
    tags: list[str]
    content_hash: str
    turns: list[TurnResult] = []
    error: str | None = None
    cached: bool = False

    @property
    def passed(self) -> bool:
        return self.error is None and all(t.passed for t in self.turns if t.scored or t.scope_violations)


class EvalRun(_Model):
    schema_version: int = SCHEMA_VERSION
    agent: str
    baseline: Literal["full", "rag-only", "recorded"]
    model_id: str
    data_version: str
    k: int
    transcripts: list[TranscriptResult] = []
    skipped: int = 0

    def scored_turns(self) -> list[tuple[TranscriptResult, TurnResult]]:
        return [(t, turn) for t in self.transcripts for turn in t.turns if turn.scored]
