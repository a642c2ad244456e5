"""Recorded support transcripts (JSON lines, one conversation per line), validated with errors
that name the file, the line and the field.

Format (DESIGN.md)::

    {"id", "customer_id", "started_at" (timezone-aware), "channel", "tags": [...],
     "turns": [{"role": "customer"|"agent", "text", "at"?, "expected"?}]}

``expected`` (on a customer turn) holds ``facts`` (each ``{"feature": "view.feature",
"entity_key"?, "value"?}``; a missing value is read from the platform as of the turn),
``documents`` (help-center ids that should be cited), ``must_not_contain``, ``should_refuse`` and
``reference_answer``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from agentkit.errors import DataError

__all__ = ["Expectation", "ExpectedFact", "Transcript", "Turn", "load_transcripts", "load_transcripts_lenient"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExpectedFact(_Model):
    feature: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
    entity_key: str | None = None
    value: Any = None


class Expectation(_Model):
    facts: tuple[ExpectedFact, ...] = ()
    documents: tuple[str, ...] = ()
    must_not_contain: tuple[str, ...] = ()
    should_refuse: bool = False
    reference_answer: str | None = None


class Turn(_Model):
    role: Literal["customer", "agent"]
    text: str
    at: AwareDatetime | None = None
    expected: Expectation | None = None

    @model_validator(mode="after")
    def _expected_on_customer_turns(self) -> Self:
        if self.expected is not None and self.role != "customer":
            raise ValueError("'expected' belongs on a customer turn (it scores the reply to it)")
        return self


class Transcript(_Model):
    id: str = Field(min_length=1)
    customer_id: str = Field(min_length=1)
    started_at: AwareDatetime
    channel: str = "chat"
    tags: tuple[str, ...] = ()
    turns: tuple[Turn, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _has_a_customer_turn(self) -> Self:
        if not any(t.role == "customer" for t in self.turns):
            raise ValueError("a transcript needs at least one customer turn")
        return self

    def turn_time(self, index: int) -> datetime:
        """When turn ``index`` happened: its own ``at``, else the last known time before it."""
        when = self.started_at
        for turn in self.turns[: index + 1]:
            if turn.at is not None:
                when = turn.at
        return when

    @property
    def customer_questions(self) -> list[str]:
        return [t.text for t in self.turns if t.role == "customer"]


def _parse_line(path: Path, number: int, line: str) -> Transcript:
    """One JSON line as a transcript; a mistake raises :class:`DataError` naming file, line, field."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{number}: not valid JSON ({exc.msg})", code="transcript_invalid") from exc
    try:
        return Transcript.model_validate(data)
    except PydanticValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(line)"
        raise DataError(
            f"{path}:{number}: field '{where}': {err['msg'].removeprefix('Value error, ')}",
            code="transcript_invalid",
        ) from exc


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    if not path.is_file():
        raise DataError(f"{path}: no such transcripts file", code="transcripts_missing")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def iter_transcripts(path: Path) -> Iterator[Transcript]:
    """Parse a JSON-lines file; the first bad line raises :class:`DataError` naming it."""
    seen: dict[str, int] = {}
    for number, line in _lines(path):
        transcript = _parse_line(path, number, line)
        if transcript.id in seen:
            raise DataError(
                f"{path}:{number}: transcript id '{transcript.id}' already used on line {seen[transcript.id]}",
                code="transcript_duplicate",
            )
        seen[transcript.id] = number
        yield transcript


def load_transcripts(path: str | Path) -> list[Transcript]:
    return list(iter_transcripts(Path(path)))


def load_transcripts_lenient(path: str | Path) -> tuple[list[Transcript], list[str]]:
    """Every valid transcript, and one message per invalid line (file, line, field) — a run goes
    on with the valid lines and reports how many were skipped."""
    file = Path(path)
    good: list[Transcript] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, line in _lines(file):
        try:
            transcript = _parse_line(file, number, line)
        except DataError as exc:
            problems.append(exc.message)
            continue
        if transcript.id in seen:
            problems.append(f"{file}:{number}: transcript id '{transcript.id}' is a duplicate; skipped")
            continue
        seen.add(transcript.id)
        good.append(transcript)
    return good, problems
