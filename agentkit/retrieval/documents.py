"""Help-center documents and what loading them reports.

A :class:`Document` is one *version* of an article: its id plus ``valid_from`` identify it, so an
edited article can be indexed again with a later ``valid_from`` and both versions kept (a search
``as_of`` t sees the one valid at t). :class:`LoadProblem` is a file that was skipped, and why.
"""

# pyright: strict

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["Document", "LoadProblem", "LoadResult"]


class Document(BaseModel):
    """One version of a help-center article.

    ``valid_from`` is when this version took effect (``None``: always); ``valid_to`` when it stopped
    (``None``: until a newer version of the same id takes over). Both must carry a time zone.
    ``metadata`` holds the rest of the front matter, e.g. ``tags`` as a tuple of strings; search
    filters match against it. ``source`` is where the document was read from (a file path), for
    error messages and citations; ``None`` for documents built in memory.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    text: str
    title: str = ""
    url: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    metadata: dict[str, str | tuple[str, ...]] = Field(default_factory=dict)
    source: str | None = None

    @field_validator("id")
    @classmethod
    def _id_is_plain(cls, value: str) -> str:
        if value != value.strip() or any(c.isspace() for c in value) or "#" in value:
            raise ValueError(f"document id {value!r} must have no spaces and no '#' (chunk ids are 'id#n-hash')")
        return value

    @field_validator("valid_from", "valid_to")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError(f"{value.isoformat()} has no time zone; use an aware datetime (e.g. tzinfo=UTC)")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValueError(
                f"valid_to {self.valid_to.isoformat()} must be after valid_from {self.valid_from.isoformat()}"
            )
        return self

    @property
    def tags(self) -> tuple[str, ...]:
        """The ``tags`` metadata as a tuple (empty if there are none)."""
        tags = self.metadata.get("tags", ())
        return (tags,) if isinstance(tags, str) else tags

    @property
    def location(self) -> str:
        """The URL if there is one, else the source path, else the id: what a citation points at."""
        return self.url or self.source or self.id


class LoadProblem(BaseModel):
    """A file that was skipped: where, a stable ``code`` and a reason a person can act on."""

    model_config = ConfigDict(frozen=True)

    path: str
    code: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class LoadResult(BaseModel):
    """The documents that loaded, and the files that were skipped (loading never stops at one)."""

    model_config = ConfigDict(frozen=True)

    documents: tuple[Document, ...] = ()
    problems: tuple[LoadProblem, ...] = ()
