"""Retrieval: embedders, the help-center document index (and, later, the semantic catalog).

Nothing here imports torch until a :class:`MiniLMEmbedder` embeds its first text.
"""

from agentkit.retrieval.chunking import Chunk, chunk_document
from agentkit.retrieval.documents import Document, LoadProblem, LoadResult
from agentkit.retrieval.embedder import MINILM_MODEL_ID, Embedder, HashingEmbedder, MiniLMEmbedder
from agentkit.retrieval.embedding_cache import CachedEmbedder, EmbeddingCache
from agentkit.retrieval.index import MAX_K, MAX_QUERY_CHARS, DocumentIndex, Progress, validate_query
from agentkit.retrieval.loaders import load_documents, load_file
from agentkit.retrieval.results import DocumentHit, DocumentInfo, IndexStats, SearchMode

__all__ = [
    "MAX_K",
    "MAX_QUERY_CHARS",
    "MINILM_MODEL_ID",
    "CachedEmbedder",
    "Chunk",
    "Document",
    "DocumentHit",
    "DocumentIndex",
    "DocumentInfo",
    "Embedder",
    "EmbeddingCache",
    "HashingEmbedder",
    "IndexStats",
    "LoadProblem",
    "LoadResult",
    "MiniLMEmbedder",
    "Progress",
    "SearchMode",
    "chunk_document",
    "load_documents",
    "load_file",
    "validate_query",
]
