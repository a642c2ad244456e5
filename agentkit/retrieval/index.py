"""The help-center document index: dense + BM25 search, fused by reciprocal rank, as of any time.

Build it from :class:`~agentkit.retrieval.documents.Document` objects (see
:func:`~agentkit.retrieval.loaders.load_documents`), search it, save it, load it::

    index = DocumentIndex(MiniLMEmbedder())
    index.build(load_documents("help_center").documents)
    hits = index.search("my order is late", k=5, as_of=datetime(2026, 9, 1, tzinfo=UTC))
    index.save(".agentkit/docs")
    index = DocumentIndex.load(".agentkit/docs", MiniLMEmbedder())

**Incremental.** Each chunk's vector is keyed by the SHA-256 of the text that was embedded (its
title, heading path and text). ``build`` and ``add`` embed only texts the index has no vector for,
so re-indexing an unchanged folder embeds nothing and editing one article re-embeds only its
changed chunks. ``build`` replaces the indexed documents; ``add`` upserts (a document with the same
id and ``valid_from`` replaces that version; a new ``valid_from`` adds a version).

**Versions and time.** Every version is kept. A version is valid from its ``valid_from`` until its
``valid_to`` or the next version's ``valid_from``, whichever is first. ``search(as_of=t)`` sees only
chunks of versions valid at t; ``as_of=None`` sees the newest version of every document id
(including documents whose explicit ``valid_to`` has passed, such as an archived old policy with an
id of its own, so "what did the old policy say" still finds it).

**Search.** ``dense``: exact cosine top-k over one contiguous float32 matrix. ``bm25``: precomputed
BM25 weights. ``hybrid`` (default): reciprocal rank fusion of both rankings,
``sum(1 / (60 + rank))``, which needs no score calibration between the two.
"""

# pyright: strict

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import get_args

import numpy as np
from numpy.typing import NDArray

from agentkit.errors import DataError, did_you_mean
from agentkit.retrieval._corpus import Corpus, DocRecord, search_text
from agentkit.retrieval._fusion import RRF_K, fuse
from agentkit.retrieval._lexical import LexicalIndex
from agentkit.retrieval._store import check_model, read_corpus, read_manifest, write_corpus
from agentkit.retrieval._time import require_aware, to_us
from agentkit.retrieval.chunking import DEFAULT_MAX_CHARS, DEFAULT_OVERLAP, Chunk, chunk_document
from agentkit.retrieval.documents import Document
from agentkit.retrieval.embedder import Embedder, Vectors
from agentkit.retrieval.embedding_cache import text_hash
from agentkit.retrieval.loaders import check_unique
from agentkit.retrieval.results import DocumentHit, DocumentInfo, IndexStats, SearchMode

__all__ = ["MAX_K", "MAX_QUERY_CHARS", "RRF_K", "DocumentIndex", "Progress", "validate_query"]

MAX_QUERY_CHARS = 2_000
MAX_K = 100
_MIN_POOL = 100
_EMBED_BATCH = 256
_MODES: tuple[str, ...] = get_args(SearchMode)

Progress = Callable[[int, int], None]
"""``progress(done, total)``: texts embedded so far, and how many need embedding in this call."""

Filters = Mapping[str, str | Sequence[str]]


def validate_query(query: str) -> str:
    """The stripped query; empty or over :data:`MAX_QUERY_CHARS` raises :class:`DataError`."""
    stripped = query.strip()
    if not stripped:
        raise DataError("the search query is empty; pass some words to search for", code="query_empty")
    if len(stripped) > MAX_QUERY_CHARS:
        raise DataError(
            f"the search query is {len(stripped):,} characters, over the {MAX_QUERY_CHARS:,} limit; "
            f"search with a shorter question or its key sentence",
            code="query_too_long",
        )
    return stripped


class DocumentIndex:
    """Chunks of help-center documents, searchable by meaning and by words, as of any time.

    ``embedder`` embeds chunks and queries (wrap it in a
    :class:`~agentkit.retrieval.embedding_cache.CachedEmbedder` to reuse vectors across
    processes). ``max_chars`` and ``overlap`` control chunking. Searches may run from several
    threads while one thread builds: a build swaps in a new snapshot when it is complete.
    """

    def __init__(
        self,
        embedder: Embedder,
        *,
        max_chars: int = DEFAULT_MAX_CHARS,
        overlap: int = DEFAULT_OVERLAP,
    ) -> None:
        self._embedder = embedder
        self._max_chars = max_chars
        self._overlap = overlap
        self._corpus = Corpus.empty(embedder.dimension)
        self._write_lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    def __len__(self) -> int:
        """The number of chunks indexed (all versions)."""
        return len(self._corpus)

    @property
    def documents(self) -> tuple[DocumentInfo, ...]:
        """Every indexed document version, with its effective validity and chunk count."""
        corpus = self._corpus
        counts = corpus.chunk_counts
        return tuple(
            DocumentInfo(
                id=d.id,
                title=d.title,
                url=d.url,
                source=d.source,
                valid_from=d.valid_from,
                valid_to=corpus.doc_valid_to[row],
                chunks=int(counts[row]),
            )
            for row, d in enumerate(corpus.docs)
        )

    # -- indexing -------------------------------------------------------------------------------

    def build(self, documents: Iterable[Document], *, progress: Progress | None = None) -> IndexStats:
        """Index exactly ``documents`` (replacing what was indexed), reusing known vectors."""
        return self._ingest(list(documents), keep_existing=False, progress=progress)

    def add(self, documents: Iterable[Document], *, progress: Progress | None = None) -> IndexStats:
        """Add or replace document versions, keyed by ``(id, valid_from)``; others stay."""
        return self._ingest(list(documents), keep_existing=True, progress=progress)

    def _ingest(self, documents: list[Document], *, keep_existing: bool, progress: Progress | None) -> IndexStats:
        started = time.perf_counter()
        check_unique(documents)
        records = [DocRecord.of(d) for d in documents]
        rows = [
            _NewRow(doc_index, chunk, search_text(record, chunk.heading, chunk.text))
            for doc_index, (doc, record) in enumerate(zip(documents, records, strict=True))
            for chunk in chunk_document(doc, max_chars=self._max_chars, overlap=self._overlap)
        ]
        with self._write_lock:
            old = self._corpus
            missing = {r.digest: r.search_text for r in rows if r.digest not in old.row_of_hash}
            fresh = self._embed(missing, progress)
            vectors = np.zeros((len(rows), self._embedder.dimension), dtype=np.float32)
            for i, row in enumerate(rows):
                known = old.row_of_hash.get(row.digest)
                vectors[i] = old.vectors[known] if known is not None else fresh[row.digest]
            new_keys = {r.key for r in records}
            kept = [i for i, rec in enumerate(old.docs) if rec.key not in new_keys] if keep_existing else []
            corpus = _merge(old, kept, records, rows, vectors)
            self._corpus = corpus
        return IndexStats(
            documents=len(corpus.docs),
            chunks=len(corpus),
            added_documents=len(records),
            added_chunks=len(rows),
            embedded=len(missing),
            reused=sum(1 for r in rows if r.digest not in missing),
            seconds=time.perf_counter() - started,
        )

    def _embed(self, texts: Mapping[str, str], progress: Progress | None) -> dict[str, Vectors]:
        total = len(texts)
        if progress is not None:
            progress(0, total)
        keys = list(texts)
        out: dict[str, Vectors] = {}
        for start in range(0, total, _EMBED_BATCH):
            batch = keys[start : start + _EMBED_BATCH]
            vectors = _normalised(self._embedder, self._embedder.embed([texts[k] for k in batch]), len(batch))
            out.update(zip(batch, vectors, strict=True))
            if progress is not None:
                progress(start + len(batch), total)
        return out

    # -- search ---------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        as_of: datetime | None = None,
        filters: Filters | None = None,
        mode: SearchMode = "hybrid",
        max_per_document: int | None = None,
    ) -> list[DocumentHit]:
        """The ``k`` best chunks for ``query``, best first.

        ``as_of`` (timezone-aware) restricts to document versions valid at that time; ``None``
        searches the newest version of every document. ``filters`` maps ``document_id``, ``tags``
        or another metadata key to a value or a list of values (a document matches a key if any
        value matches). ``max_per_document`` caps chunks per document id, e.g. 1 for k distinct
        articles. Raises :class:`DataError` for an empty or too-long query (``query_empty``,
        ``query_too_long``), a bad ``k``, mode or filter, and :class:`AsOfError` for a naive
        ``as_of``.
        """
        text = validate_query(query)
        if not 1 <= k <= MAX_K:
            raise DataError(f"k must be between 1 and {MAX_K}, got {k}", code="k_invalid")
        if mode not in _MODES:
            raise DataError(f"search mode {mode!r} is not one of {', '.join(_MODES)}", code="search_mode_invalid")
        if max_per_document is not None and max_per_document < 1:
            raise DataError(f"max_per_document must be at least 1, got {max_per_document}", code="k_invalid")
        corpus = self._corpus
        mask = _mask(corpus, as_of, filters)
        if len(corpus) == 0 or (mask is not None and not bool(mask.any())):
            return []
        pool = min(len(corpus), max(_MIN_POOL, 10 * k))
        ranked: list[tuple[int, float]]
        if mode == "dense":
            ranked = self._dense(corpus, text, mask, pool)
        elif mode == "bm25":
            ranked = _bm25(corpus, text, mask, pool)
        else:
            dense, lexical = self._dense(corpus, text, mask, pool), _bm25(corpus, text, mask, pool)
            rows, scores = fuse([row for row, _ in dense], [row for row, _ in lexical])
            ranked = list(zip(rows.tolist(), scores.tolist(), strict=True))
        return _hits(corpus, ranked, k, max_per_document)

    def _dense(self, corpus: Corpus, query: str, mask: NDArray[np.bool_] | None, pool: int) -> list[tuple[int, float]]:
        vector = _normalised(self._embedder, self._embedder.embed([query]), 1)[0]
        scores = corpus.vectors @ vector
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        return _top(scores, pool, floor=-np.inf)

    # -- persistence ----------------------------------------------------------------------------

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write the index under ``directory`` (created if needed), atomically replacing any
        earlier save there: Parquet rows, ``.npy`` vectors and a JSON manifest."""
        write_corpus(
            Path(directory),
            self._corpus,
            model_id=self._embedder.model_id,
            dimension=self._embedder.dimension,
            max_chars=self._max_chars,
            overlap=self._overlap,
        )

    @classmethod
    def load(cls, directory: str | os.PathLike[str], embedder: Embedder) -> DocumentIndex:
        """Open an index saved with :meth:`save`.

        Raises :class:`NotFoundError` (``index_not_found``) if there is none,
        :class:`ConfigError` (``index_model_mismatch``) if it was built with another embedder
        model, and :class:`DataError` (``index_corrupt``) if its files are damaged.
        """
        path = Path(directory)
        manifest = read_manifest(path)
        check_model(path, manifest, embedder.model_id, embedder.dimension)
        index = cls(embedder, max_chars=manifest.max_chars, overlap=manifest.overlap)
        index._corpus = read_corpus(path, manifest)
        return index


@dataclass(frozen=True, slots=True)
class _NewRow:
    """A chunk about to be indexed: its document (position in the batch), and what gets embedded."""

    doc_index: int
    chunk: Chunk
    search_text: str
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", text_hash(self.search_text))


def _merge(old: Corpus, kept: list[int], records: list[DocRecord], rows: list[_NewRow], vectors: Vectors) -> Corpus:
    """A new snapshot: the kept document rows of ``old`` (with their chunks), then the new ones."""
    kept_rows = np.asarray(kept, dtype=np.int64)
    remap = np.full(len(old.docs), -1, dtype=np.int32)
    remap[kept_rows] = np.arange(len(kept), dtype=np.int32)
    keep = np.flatnonzero(np.isin(old.doc_rows, kept_rows))
    docs = tuple(old.docs[i] for i in kept) + tuple(records)
    doc_rows = np.concatenate(
        [remap[old.doc_rows[keep]], np.array([r.doc_index + len(kept) for r in rows], dtype=np.int32)]
    ).astype(np.int32)
    headings = tuple(old.headings[i] for i in keep) + tuple(r.chunk.heading for r in rows)
    texts = tuple(old.texts[i] for i in keep) + tuple(r.chunk.text for r in rows)
    kept_chunk_docs: list[int] = old.doc_rows[keep].tolist()
    lexical_texts = [
        search_text(old.docs[d], old.headings[i], old.texts[i]) for d, i in zip(kept_chunk_docs, keep, strict=True)
    ] + [r.search_text for r in rows]
    return Corpus(
        docs=docs,
        doc_rows=doc_rows,
        chunk_ids=tuple(old.chunk_ids[i] for i in keep) + tuple(r.chunk.id for r in rows),
        positions=np.concatenate(
            [old.positions[keep], np.array([r.chunk.position for r in rows], dtype=np.int32)]
        ).astype(np.int32),
        headings=headings,
        texts=texts,
        hashes=tuple(old.hashes[i] for i in keep) + tuple(r.digest for r in rows),
        vectors=np.ascontiguousarray(np.concatenate([old.vectors[keep], vectors])),
        lexical=LexicalIndex.build(lexical_texts),
    )


def _normalised(embedder: Embedder, vectors: Vectors, n: int) -> Vectors:
    """Check an embedder's output shape and re-normalise rows (cheap insurance for cosine)."""
    array = np.asarray(vectors, dtype=np.float32)
    if array.shape != (n, embedder.dimension):
        raise DataError(
            f"embedder {embedder.model_id!r} returned shape {array.shape} for {n} texts; "
            f"expected ({n}, {embedder.dimension})",
            code="embedding_shape",
        )
    if not bool(np.isfinite(array).all()):
        raise DataError(f"embedder {embedder.model_id!r} returned NaN or infinite values", code="embedding_invalid")
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return np.ascontiguousarray(array / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def _mask(corpus: Corpus, as_of: datetime | None, filters: Filters | None) -> NDArray[np.bool_] | None:
    """Which chunks a search may return; ``None`` means all of them."""
    if as_of is None:
        mask = corpus.chunk_latest
    else:
        t = to_us(require_aware(as_of, what="as_of"), default=0)
        mask = (corpus.chunk_from_us <= t) & (t < corpus.chunk_to_us)
    if filters:
        doc_mask = _filter_docs(corpus.docs, filters)
        chunk_mask = doc_mask[corpus.doc_rows]
        mask = chunk_mask if mask is None else mask & chunk_mask
    return mask


def _filter_docs(docs: Sequence[DocRecord], filters: Filters) -> NDArray[np.bool_]:
    known = {"document_id", "tags"} | {key for d in docs for key in d.metadata}
    mask = np.ones(len(docs), dtype=np.bool_)
    for key, wanted in filters.items():
        if key not in known:
            raise DataError(f"unknown filter {key!r}{did_you_mean(key, known)}", code="filter_unknown")
        values = {wanted} if isinstance(wanted, str) else set(wanted)
        for row, doc in enumerate(docs):
            have = doc.id if key == "document_id" else doc.metadata.get(key)
            have_set = {have} if isinstance(have, str) else set(have or ())
            if not values & have_set:
                mask[row] = False
    return mask


def _top(scores: NDArray[np.floating], n: int, *, floor: float) -> list[tuple[int, float]]:
    """Rows of the ``n`` highest scores above ``floor``, best first (ties by row)."""
    n = min(n, scores.shape[0])
    if n == 0:
        return []
    candidates = np.argpartition(-scores, n - 1)[:n]
    order = candidates[np.lexsort((candidates, -scores[candidates]))]
    return [(int(r), float(scores[r])) for r in order if scores[r] > floor]


def _bm25(corpus: Corpus, query: str, mask: NDArray[np.bool_] | None, pool: int) -> list[tuple[int, float]]:
    scores = corpus.lexical.scores(query)
    if mask is not None:
        scores = np.where(mask, scores, 0.0)
    return _top(scores, pool, floor=0.0)


def _hits(corpus: Corpus, ranked: list[tuple[int, float]], k: int, max_per_document: int | None) -> list[DocumentHit]:
    hits: list[DocumentHit] = []
    per_document: dict[str, int] = {}
    for row, score in ranked:
        doc_row = int(corpus.doc_rows[row])
        record = corpus.docs[doc_row]
        if max_per_document is not None:
            if per_document.get(record.id, 0) >= max_per_document:
                continue
            per_document[record.id] = per_document.get(record.id, 0) + 1
        hits.append(
            DocumentHit(
                document_id=record.id,
                chunk_id=corpus.chunk_ids[row],
                title=record.title,
                heading=corpus.headings[row],
                text=corpus.texts[row],
                score=score,
                url=record.url,
                source=record.source,
                valid_from=record.valid_from,
                valid_to=corpus.doc_valid_to[doc_row],
            )
        )
        if len(hits) == k:
            break
    return hits
