"""Saving and loading a document index: Parquet for rows, ``.npy`` for vectors, a JSON manifest.

Layout of an index folder::

    manifest.json            format, embedder model id and dimension, chunking, data folder name
    data-<random>/
        documents.parquet    one row per document version
        chunks.parquet       one row per chunk (text, heading, document row, content hash)
        vectors.npy          float32 (chunks, dimension)
        lexical.npz          BM25 weights (data, indices, indptr)
        lexical_vocab.json   term -> column

A save writes a fresh ``data-*`` folder, then replaces ``manifest.json`` with ``os.replace`` (atomic
on POSIX and Windows), then removes data folders older than the previous one. A reader therefore
sees the old index or the new one, whole, never a mix, and a crash mid-save leaves the old index.
"""

# pyright: strict
# pyarrow-stubs leave some parameter types of pa.table / pq.*_table unknown:
# pyright: reportUnknownMemberType=false

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from agentkit.errors import ConfigError, DataError, NotFoundError
from agentkit.retrieval._corpus import Corpus, DocRecord
from agentkit.retrieval._lexical import LexicalIndex

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Manifest",
    "check_model",
    "read_corpus",
    "read_manifest",
    "write_corpus",
]

FORMAT = "agentkit-document-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_DATA_NAME = re.compile(r"data-\d{8}T\d{6}-[0-9a-f]{8}")  # only folders a save made are ever removed
_REBUILD = "rebuild it with `agentkit docs index`"

_DOCS_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("title", pa.string()),
        ("url", pa.string()),
        ("valid_from", pa.timestamp("us", tz="UTC")),
        ("valid_to", pa.timestamp("us", tz="UTC")),
        ("metadata", pa.string()),
        ("source", pa.string()),
    ]
)
_CHUNKS_SCHEMA = pa.schema(
    [
        ("chunk_id", pa.string()),
        ("doc_row", pa.int32()),
        ("position", pa.int32()),
        ("heading", pa.string()),
        ("text", pa.string()),
        ("content_sha256", pa.string()),
    ]
)


class _Header(BaseModel):
    format: str
    format_version: int


class Manifest(BaseModel):
    """What ``manifest.json`` records (unknown keys are ignored, for forward compatibility)."""

    model_config = ConfigDict(frozen=True)

    model_id: str
    dimension: int
    max_chars: int
    overlap: int
    data: str
    documents: int
    chunks: int


def write_corpus(
    directory: Path, corpus: Corpus, *, model_id: str, dimension: int, max_chars: int, overlap: int
) -> Manifest:
    """Write ``corpus`` under ``directory`` atomically (see the module docstring)."""
    directory.mkdir(parents=True, exist_ok=True)
    previous = _current_data(directory)
    data_name = f"data-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
    data_dir = directory / data_name
    data_dir.mkdir()
    try:
        _write_tables(data_dir, corpus)
        manifest = Manifest(
            model_id=model_id,
            dimension=dimension,
            max_chars=max_chars,
            overlap=overlap,
            data=data_name,
            documents=len(corpus.docs),
            chunks=len(corpus),
        )
        body = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            **manifest.model_dump(),
            "saved_at": datetime.now(UTC).isoformat(),
        }
        tmp = directory / f".{MANIFEST}.{secrets.token_hex(4)}.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(body, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, directory / MANIFEST)
    except BaseException:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
    keep = {data_name, previous}
    for old in directory.glob("data-*"):
        if old.is_dir() and old.name not in keep and _DATA_NAME.fullmatch(old.name):
            shutil.rmtree(old, ignore_errors=True)
    return manifest


def _current_data(directory: Path) -> str | None:
    try:
        return str(json.loads((directory / MANIFEST).read_text(encoding="utf-8"))["data"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_tables(data_dir: Path, corpus: Corpus) -> None:
    docs = pa.table(
        {
            "id": [d.id for d in corpus.docs],
            "title": [d.title for d in corpus.docs],
            "url": [d.url for d in corpus.docs],
            "valid_from": [d.valid_from for d in corpus.docs],
            "valid_to": [d.valid_to for d in corpus.docs],
            "metadata": [json.dumps(d.metadata, sort_keys=True) for d in corpus.docs],
            "source": [d.source for d in corpus.docs],
        },
        schema=_DOCS_SCHEMA,
    )
    pq.write_table(docs, data_dir / "documents.parquet")
    chunks = pa.table(
        {
            "chunk_id": list(corpus.chunk_ids),
            "doc_row": corpus.doc_rows,
            "position": corpus.positions,
            "heading": list(corpus.headings),
            "text": list(corpus.texts),
            "content_sha256": list(corpus.hashes),
        },
        schema=_CHUNKS_SCHEMA,
    )
    pq.write_table(chunks, data_dir / "chunks.parquet")
    np.save(data_dir / "vectors.npy", corpus.vectors, allow_pickle=False)
    lex = corpus.lexical
    np.savez(data_dir / "lexical.npz", data=lex.data, indices=lex.indices, indptr=lex.indptr)
    (data_dir / "lexical_vocab.json").write_text(json.dumps(lex.vocab), encoding="utf-8")


def read_manifest(directory: Path) -> Manifest:
    """Read and check ``manifest.json``; a missing or foreign one raises a clear error."""
    path = directory / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(
            f"no document index at {directory} (no {MANIFEST}); build one with `agentkit docs index`",
            code="index_not_found",
        ) from None
    except OSError as exc:
        raise DataError(f"{path}: unreadable ({exc}); {_REBUILD}", code="index_corrupt") from exc
    try:
        header = _Header.model_validate_json(raw)
    except PydanticValidationError as exc:
        raise DataError(f"{path} is not an agentkit document index manifest; {_REBUILD}", code="index_corrupt") from exc
    if header.format != FORMAT:
        raise DataError(f"{path} is not an agentkit document index manifest", code="index_corrupt")
    if header.format_version != FORMAT_VERSION:
        raise DataError(
            f"{path}: index format version {header.format_version}, this agentkit reads {FORMAT_VERSION}; {_REBUILD}",
            code="index_version",
        )
    try:
        return Manifest.model_validate_json(raw)
    except PydanticValidationError as exc:
        raise DataError(f"{path}: bad manifest ({exc.error_count()} errors); {_REBUILD}", code="index_corrupt") from exc


def check_model(directory: Path, manifest: Manifest, model_id: str, dimension: int) -> None:
    """Refuse to mix vectors of two models: their cosines would be meaningless."""
    if manifest.model_id != model_id or manifest.dimension != dimension:
        raise ConfigError(
            f"the document index at {directory} was built with embedder {manifest.model_id!r} "
            f"({manifest.dimension} dimensions), but the configured embedder is {model_id!r} "
            f"({dimension} dimensions); {_REBUILD}",
            code="index_model_mismatch",
        )


def read_corpus(directory: Path, manifest: Manifest) -> Corpus:
    data_dir = directory / manifest.data
    try:
        docs_table = pq.read_table(data_dir / "documents.parquet", schema=_DOCS_SCHEMA)
        chunks_table = pq.read_table(data_dir / "chunks.parquet", schema=_CHUNKS_SCHEMA)
        vectors = np.load(data_dir / "vectors.npy", allow_pickle=False)
        with np.load(data_dir / "lexical.npz", allow_pickle=False) as lex:
            data, indices, indptr = lex["data"], lex["indices"], lex["indptr"]
        vocab_raw = json.loads((data_dir / "lexical_vocab.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise DataError(
            f"document index at {directory} is incomplete or corrupt ({exc}); {_REBUILD}",
            code="index_corrupt",
        ) from exc
    valid_from = [_utc(v) for v in docs_table.column("valid_from").to_pylist()]
    valid_to = [_utc(v) for v in docs_table.column("valid_to").to_pylist()]
    urls: list[str | None] = docs_table.column("url").to_pylist()
    sources: list[str | None] = docs_table.column("source").to_pylist()
    docs = tuple(
        DocRecord(
            id=doc_id,
            title=title,
            url=url,
            valid_from=start,
            valid_to=end,
            metadata=_metadata(meta),
            source=source,
        )
        for doc_id, title, url, start, end, meta, source in zip(
            _strings(docs_table, "id"),
            _strings(docs_table, "title"),
            urls,
            valid_from,
            valid_to,
            _strings(docs_table, "metadata"),
            sources,
            strict=True,
        )
    )
    n = chunks_table.num_rows
    if vectors.shape != (n, manifest.dimension) or vectors.dtype != np.float32:
        raise DataError(
            f"document index at {directory}: vectors have shape {vectors.shape} "
            f"({vectors.dtype}), expected ({n}, {manifest.dimension}) float32; {_REBUILD}",
            code="index_corrupt",
        )
    doc_rows = chunks_table.column("doc_row").to_numpy().astype(np.int32)
    if n and (int(doc_rows.min()) < 0 or int(doc_rows.max()) >= len(docs)):
        raise DataError(f"document index at {directory}: bad document rows; {_REBUILD}", code="index_corrupt")
    vocab: dict[str, int] = {str(k): int(v) for k, v in dict(vocab_raw).items()}
    return Corpus(
        docs=docs,
        doc_rows=doc_rows,
        chunk_ids=tuple(_strings(chunks_table, "chunk_id")),
        positions=chunks_table.column("position").to_numpy().astype(np.int32),
        headings=tuple(_strings(chunks_table, "heading")),
        texts=tuple(_strings(chunks_table, "text")),
        hashes=tuple(_strings(chunks_table, "content_sha256")),
        vectors=np.ascontiguousarray(vectors),
        lexical=LexicalIndex(
            data=data.astype(np.float32),
            indices=indices.astype(np.int32),
            indptr=indptr.astype(np.int64),
            vocab=vocab,
            num_docs=n,
        ),
    )


def _metadata(raw: str) -> dict[str, str | tuple[str, ...]]:
    loaded = json.loads(raw)
    return {str(k): (v if isinstance(v, str) else tuple(str(x) for x in v)) for k, v in dict(loaded).items()}


def _strings(table: pa.Table, name: str) -> list[str]:
    values: list[str | None] = table.column(name).to_pylist()
    return ["" if v is None else v for v in values]


def _utc(value: datetime | None) -> datetime | None:
    """Arrow returns zoneinfo UTC; use ``datetime.UTC`` so loaded values equal built ones exactly."""
    return None if value is None else value.astimezone(UTC)
