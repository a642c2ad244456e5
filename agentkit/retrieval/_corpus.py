"""The document index's in-memory state: one immutable snapshot of columns and arrays.

Everything a search touches is precomputed here once per build: the dense vectors as one
contiguous float32 matrix, the BM25 weights, and per-chunk validity bounds as int64 arrays, so a
search is a matrix-vector product, a few sparse column adds and one vectorised mask. A build makes
a new snapshot and swaps it in, so searches running meanwhile see the old one, whole.
"""

# pyright: strict

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from agentkit.retrieval._lexical import LexicalIndex
from agentkit.retrieval._time import MAX_US, MIN_US, to_us
from agentkit.retrieval.chunking import HEADING_SEPARATOR
from agentkit.retrieval.documents import Document

__all__ = ["Corpus", "DocRecord", "search_text"]

DocKey = tuple[str, datetime | None]


@dataclass(frozen=True, slots=True)
class DocRecord:
    """A document version without its text (the chunks hold that)."""

    id: str
    title: str
    url: str | None
    valid_from: datetime | None
    valid_to: datetime | None
    metadata: dict[str, str | tuple[str, ...]]
    source: str | None

    @property
    def key(self) -> DocKey:
        return (self.id, self.valid_from)

    @classmethod
    def of(cls, doc: Document) -> DocRecord:
        return cls(
            id=doc.id,
            title=doc.title or doc.id,
            url=doc.url,
            valid_from=doc.valid_from,
            valid_to=doc.valid_to,
            metadata=dict(doc.metadata),
            source=doc.source,
        )


def search_text(record: DocRecord, heading: str, text: str) -> str:
    """What is embedded and BM25-indexed for a chunk: its title and heading path, then its text.

    A section like "What you can do" means little alone; with "Why is my order late? > " in front
    it is found by questions about late orders.
    """
    context = heading or record.title
    if heading and not heading.startswith(record.title):
        context = f"{record.title}{HEADING_SEPARATOR}{heading}"
    return f"{context}\n\n{text}"


@dataclass(frozen=True)
class Corpus:
    """Columns of chunk rows (all the same length) plus the per-document records they point at."""

    docs: tuple[DocRecord, ...]
    doc_rows: NDArray[np.int32]
    chunk_ids: tuple[str, ...]
    positions: NDArray[np.int32]
    headings: tuple[str, ...]
    texts: tuple[str, ...]
    hashes: tuple[str, ...]
    """SHA-256 of each chunk's :func:`search_text`: the key for reusing its vector."""
    vectors: NDArray[np.float32]
    lexical: LexicalIndex
    doc_valid_to: tuple[datetime | None, ...] = field(init=False)
    doc_from_us: NDArray[np.int64] = field(init=False)
    doc_to_us: NDArray[np.int64] = field(init=False)
    doc_latest: NDArray[np.bool_] = field(init=False)

    def __post_init__(self) -> None:
        ends, from_us, to_us_, latest = _validity(self.docs)
        object.__setattr__(self, "doc_valid_to", ends)
        object.__setattr__(self, "doc_from_us", from_us)
        object.__setattr__(self, "doc_to_us", to_us_)
        object.__setattr__(self, "doc_latest", latest)

    @classmethod
    def empty(cls, dimension: int) -> Corpus:
        return cls(
            docs=(),
            doc_rows=np.zeros(0, dtype=np.int32),
            chunk_ids=(),
            positions=np.zeros(0, dtype=np.int32),
            headings=(),
            texts=(),
            hashes=(),
            vectors=np.zeros((0, dimension), dtype=np.float32),
            lexical=LexicalIndex.empty(0),
        )

    def __len__(self) -> int:
        return len(self.chunk_ids)

    @cached_property
    def chunk_from_us(self) -> NDArray[np.int64]:
        return self.doc_from_us[self.doc_rows]

    @cached_property
    def chunk_to_us(self) -> NDArray[np.int64]:
        return self.doc_to_us[self.doc_rows]

    @cached_property
    def chunk_latest(self) -> NDArray[np.bool_] | None:
        """Chunks of each id's newest version; ``None`` when that is every chunk."""
        mask = self.doc_latest[self.doc_rows]
        return None if bool(mask.all()) else mask

    @cached_property
    def row_of_hash(self) -> dict[str, int]:
        return {h: i for i, h in enumerate(self.hashes)}

    @cached_property
    def chunk_counts(self) -> NDArray[np.int64]:
        return np.bincount(self.doc_rows, minlength=len(self.docs))

    def effective_valid_to(self, doc_row: int) -> datetime | None:
        """The explicit valid_to, or the next version's valid_from, whichever comes first."""
        return self.doc_valid_to[doc_row]


def _validity(
    docs: tuple[DocRecord, ...],
) -> tuple[tuple[datetime | None, ...], NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """Per document row: effective valid-to, valid-from and valid-to as int64 µs, 'is newest'.

    A newer version of the same id ends the older one's validity at its own ``valid_from``.
    """
    ends: list[datetime | None] = [d.valid_to for d in docs]
    latest = np.zeros(len(docs), dtype=np.bool_)
    versions: dict[str, list[int]] = defaultdict(list)
    for row, doc in enumerate(docs):
        versions[doc.id].append(row)
    for rows in versions.values():
        rows.sort(key=lambda r: to_us(docs[r].valid_from, default=MIN_US))
        for older, newer in pairwise(rows):
            start = docs[newer].valid_from
            end = ends[older]
            if start is not None and (end is None or start < end):
                ends[older] = start
        latest[rows[-1]] = True
    from_us = np.array([to_us(d.valid_from, default=MIN_US) for d in docs], dtype=np.int64)
    to_us_ = np.array([to_us(e, default=MAX_US) for e in ends], dtype=np.int64)
    return tuple(ends), from_us, to_us_, latest
