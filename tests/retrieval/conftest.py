"""Fixtures for the retrieval tests.

The real all-MiniLM-L6-v2 model is loaded once per session and indexes the 33 real help-center
articles once (a few seconds); everything that needs speed rather than meaning uses the
``HashingEmbedder``. ``CountingEmbedder`` wraps an embedder and records every text it is asked to
embed: it is how the incremental tests prove what was (not) re-embedded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TypedDict

import pytest

from agentkit.retrieval import Document, DocumentIndex, Embedder, HashingEmbedder, MiniLMEmbedder, load_documents
from agentkit.retrieval.embedder import Vectors

REPO = Path(__file__).resolve().parents[2]
HELP_CENTER = REPO / "agentkit" / "examples" / "support_bot" / "help_center"
RETRIEVAL_EVAL = REPO / "agentkit" / "examples" / "support_bot" / "retrieval_eval.jsonl"


class EvalCase(TypedDict):
    """A line of the retrieval eval set: a customer's question and the documents that answer it."""

    query: str
    relevant: list[str]


class CountingEmbedder:
    """An embedder that remembers what it embedded (wraps a real one; no mocking)."""

    def __init__(self, inner: Embedder | None = None) -> None:
        self.inner = inner or HashingEmbedder()
        self.calls: list[list[str]] = []

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    @property
    def texts(self) -> list[str]:
        return [t for call in self.calls for t in call]

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(list(texts))
        return self.inner.embed(texts)


@pytest.fixture(scope="session")
def help_center_dir() -> Path:
    return HELP_CENTER


@pytest.fixture(scope="session")
def help_docs() -> tuple[Document, ...]:
    result = load_documents(HELP_CENTER)
    assert result.problems == ()
    return result.documents


@pytest.fixture(scope="session")
def eval_cases() -> list[EvalCase]:
    return [json.loads(line) for line in RETRIEVAL_EVAL.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def minilm_index(minilm: MiniLMEmbedder, help_docs: tuple[Document, ...]) -> DocumentIndex:
    """The one real-model index of the session; tests must not mutate it."""
    index = DocumentIndex(minilm)
    index.build(help_docs)
    return index


@pytest.fixture
def counting() -> CountingEmbedder:
    return CountingEmbedder()


@pytest.fixture(scope="session")
def hashing_index(help_docs: tuple[Document, ...]) -> DocumentIndex:
    """A fast lexical-stand-in index over the help center; tests must not mutate it."""
    index = DocumentIndex(HashingEmbedder())
    index.build(help_docs)
    return index
