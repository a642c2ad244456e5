"""Reciprocal rank fusion: one function for help-center search and the semantic catalog."""

from __future__ import annotations

import numpy as np
import pytest

from agentkit.retrieval._fusion import RRF_K, fuse


def test_an_id_in_both_rankings_sums_its_reciprocal_ranks() -> None:
    ids, scores = fuse([7, 3, 9], [3, 5])
    assert ids.tolist() == [3, 7, 5, 9]
    assert scores[0] == pytest.approx(1 / (RRF_K + 2) + 1 / (RRF_K + 1))
    assert scores.tolist()[1:] == [1 / (RRF_K + 1), 1 / (RRF_K + 2), 1 / (RRF_K + 3)]


def test_ties_go_to_the_id_seen_first() -> None:
    ids, scores = fuse([1, 2], [2, 1])  # equal sums: 1 is first in the earlier ranking
    assert ids.tolist() == [1, 2] and scores[0] == scores[1]
    assert fuse(np.array([4, 8], dtype=np.int64), [])[0].tolist() == [4, 8]


def test_no_rankings_fuse_to_nothing() -> None:
    ids, scores = fuse([], [])
    assert ids.size == 0 and scores.size == 0
