"""A persisted embedding cache, so re-embedding unchanged text costs nothing.

Vectors are keyed by ``(model id, sha256 of the text)``: the same text under another model is a
different entry, and a text that changes by one character is a miss. The store is one SQLite file
(the standard library's ``sqlite3``): each ``put_many`` is a single transaction, so a crash never
leaves a half-written vector, and several processes may share the file.

:class:`CachedEmbedder` wraps any :class:`~agentkit.retrieval.embedder.Embedder` with a cache and
keeps hit/miss counts a CLI can report.
"""

# pyright: strict

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import numpy as np

from agentkit.errors import DataError
from agentkit.retrieval.embedder import Embedder, Vectors

__all__ = ["CachedEmbedder", "EmbeddingCache", "text_hash"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    model_id TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    dimension INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model_id, text_sha256)
) WITHOUT ROWID
"""
_LOOKUP_BATCH = 500  # stays below SQLite's bound-parameter limit


def text_hash(text: str) -> str:
    """The hex SHA-256 of a text's UTF-8 bytes: the cache key, and the index's content hash."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors by ``(model_id, text_sha256)`` in a SQLite file (``":memory:"`` for a throwaway one).

    The file and its folder are created on first use. Thread-safe; use as a context manager or
    call :meth:`close`.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(self.path, check_same_thread=False)
            self._conn.execute(_SCHEMA)
            self._conn.commit()
        except sqlite3.DatabaseError as exc:
            raise DataError(
                f"embedding cache {self.path} is not a readable SQLite file ({exc}); delete it and it will be rebuilt",
                code="embedding_cache_corrupt",
            ) from exc
        self._lock = threading.Lock()

    def get_many(self, model_id: str, keys: Sequence[str]) -> dict[str, Vectors]:
        """The cached vectors among ``keys`` (text hashes), as 1-d float32 arrays."""
        found: dict[str, Vectors] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for start in range(0, len(unique), _LOOKUP_BATCH):
                batch = unique[start : start + _LOOKUP_BATCH]
                marks = ",".join("?" * len(batch))
                rows: list[tuple[str, int, bytes]] = self._conn.execute(
                    "SELECT text_sha256, dimension, vector FROM embeddings "
                    f"WHERE model_id = ? AND text_sha256 IN ({marks})",
                    (model_id, *batch),
                ).fetchall()
                for key, dimension, blob in rows:
                    vector = np.frombuffer(blob, dtype="<f4")
                    if vector.shape[0] == dimension:
                        found[key] = vector.astype(np.float32)
        return found

    def put_many(self, model_id: str, vectors: Mapping[str, Vectors]) -> None:
        """Store vectors by text hash, in one transaction."""
        rows = [(model_id, key, int(v.shape[0]), np.asarray(v, dtype="<f4").tobytes()) for key, v in vectors.items()]
        with self._lock, self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO embeddings (model_id, text_sha256, dimension, vector) VALUES (?, ?, ?, ?)",
                rows,
            )

    def count(self, model_id: str | None = None) -> int:
        """How many vectors are cached (for one model, or all)."""
        with self._lock:
            if model_id is None:
                row = self._conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()
            else:
                row = self._conn.execute("SELECT COUNT(*) FROM embeddings WHERE model_id = ?", (model_id,)).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> EmbeddingCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class CachedEmbedder:
    """An :class:`~agentkit.retrieval.embedder.Embedder` that asks ``cache`` first.

    Only texts the cache lacks reach the wrapped embedder (each distinct text once per call); their
    vectors are stored before returning. ``hits`` and ``misses`` count texts since creation.
    """

    def __init__(self, embedder: Embedder, cache: EmbeddingCache) -> None:
        self.embedder = embedder
        self.cache = cache
        self.hits = 0
        self.misses = 0

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    @property
    def dimension(self) -> int:
        return self.embedder.dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        keys = [text_hash(t) for t in texts]
        found = self.cache.get_many(self.model_id, keys)
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found and key not in missing:
                missing[key] = text
        if missing:
            fresh = self.embedder.embed(list(missing.values()))
            if fresh.shape != (len(missing), self.dimension):
                raise DataError(
                    f"embedder {self.model_id!r} returned shape {fresh.shape} for "
                    f"{len(missing)} texts; expected ({len(missing)}, {self.dimension})",
                    code="embedding_shape",
                )
            new = {key: fresh[i] for i, key in enumerate(missing)}
            self.cache.put_many(self.model_id, new)
            found.update(new)
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = found[key]
        return out
