"""The persisted embedding cache and the caching embedder wrapper."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agentkit.retrieval import CachedEmbedder, EmbeddingCache, HashingEmbedder
from tests.retrieval.conftest import CountingEmbedder


def test_cached_vectors_survive_a_new_process_and_unchanged_text_is_never_re_embedded(
    tmp_path: Path, counting: CountingEmbedder
) -> None:
    path = tmp_path / "cache" / "embeddings.sqlite"
    with EmbeddingCache(path) as cache:
        first = CachedEmbedder(counting, cache).embed(["refund", "courier", "refund"])
    assert counting.texts == ["refund", "courier"]  # a repeated text is embedded once

    with EmbeddingCache(path) as reopened:
        cached = CachedEmbedder(counting, reopened)
        again = cached.embed(["courier", "refund", "tip"])
    assert counting.texts == ["refund", "courier", "tip"]
    np.testing.assert_array_equal(again[0], first[1])
    np.testing.assert_array_equal(again[1], first[0])
    assert (cached.hits, cached.misses) == (2, 1)


def test_the_cache_is_keyed_by_model_id_so_models_never_share_vectors(tmp_path: Path) -> None:
    with EmbeddingCache(tmp_path / "c.sqlite") as cache:
        small, large = HashingEmbedder(64), HashingEmbedder(128)
        CachedEmbedder(small, cache).embed(["late order"])
        vectors = CachedEmbedder(large, cache).embed(["late order"])
        assert vectors.shape == (1, 128)
        assert cache.count(small.model_id) == 1
        assert cache.count(large.model_id) == 1
        assert cache.count() == 2


def test_an_in_memory_cache_works_for_throwaway_use(counting: CountingEmbedder) -> None:
    with EmbeddingCache(":memory:") as cache:
        embedder = CachedEmbedder(counting, cache)
        embedder.embed(["a b c"])
        embedder.embed(["a b c"])
    assert len(counting.calls) == 1
