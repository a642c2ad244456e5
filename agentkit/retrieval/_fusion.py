"""Reciprocal rank fusion (Cormack et al., 2009): the one way rankings are combined, for help-center
search (dense + BM25) and the semantic catalog alike.

An id's fused score is the sum, over the rankings that hold it, of ``1 / (RRF_K + rank)`` (rank 1
is the best). Ties go to the id seen first: in an earlier ranking, then at a better rank.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["RRF_K", "fuse"]

RRF_K = 60
"""The fusion constant: damps the weight of the top ranks."""


def fuse(*rankings: Sequence[int] | NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Fuse rankings (each a sequence of ids, best first): every id once, best first, and its score."""
    lengths = [len(r) for r in rankings]
    ids = np.concatenate([np.asarray(r, dtype=np.int64) for r in rankings]) if rankings else np.zeros(0, np.int64)
    ranks = np.concatenate([np.arange(1, n + 1, dtype=np.float64) for n in lengths]) if rankings else np.zeros(0)
    unique, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    # bincount adds each id's terms in ranking order: the same floating-point sums as a running total.
    terms = 1.0 / (RRF_K + ranks)
    scores = np.bincount(inverse, weights=terms, minlength=unique.size).astype(np.float64, copy=False)
    order = np.lexsort((first, -scores))
    return unique[order], scores[order]
