"""What the document index returns: search hits, indexing statistics, indexed documents."""

# pyright: strict

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["DocumentHit", "DocumentInfo", "IndexStats", "SearchMode"]

SearchMode = Literal["dense", "bm25", "hybrid"]
"""``dense``: cosine of embeddings; ``bm25``: lexical; ``hybrid``: both, fused by reciprocal rank."""


class DocumentHit(BaseModel):
    """One chunk found by a search, with what a citation needs.

    ``score`` depends on the mode: cosine similarity (dense), BM25 score (bm25) or the reciprocal
    rank fusion score ``sum(1 / (60 + rank))`` (hybrid); compare scores within one result list
    only. ``valid_to`` is when this version stopped being valid, explicit or because a newer
    version of the same id took over (``None``: still valid).
    """

    model_config = ConfigDict(frozen=True)

    document_id: str
    chunk_id: str
    title: str
    heading: str
    text: str
    score: float
    url: str | None = None
    source: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    @property
    def location(self) -> str:
        """The URL if there is one, else the source path, else the chunk id."""
        return self.url or self.source or self.chunk_id


class DocumentInfo(BaseModel):
    """One indexed document version (for listings such as ``agentkit docs list``)."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    url: str | None
    source: str | None
    valid_from: datetime | None
    valid_to: datetime | None
    """Effective end of validity: explicit, or the ``valid_from`` of the next version."""
    chunks: int


class IndexStats(BaseModel):
    """What one ``build`` or ``add`` did.

    ``embedded`` counts texts sent to the embedder; ``reused`` counts new chunks whose vector the
    index already had (same embedded text), so re-indexing unchanged documents shows
    ``embedded == 0``.
    """

    model_config = ConfigDict(frozen=True)

    documents: int
    chunks: int
    added_documents: int
    added_chunks: int
    embedded: int
    reused: int
    seconds: float
