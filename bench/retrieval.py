"""Retrieval benchmark: search quality on the help center, and search speed at 100,000 chunks.

Run: ``.venv/bin/python bench/retrieval.py`` (about a minute on 2 cores). Writes
``bench/results/retrieval.json`` and prints tables.

1. Quality. Indexes ``agentkit/examples/support_bot/help_center`` (33 articles) with all-MiniLM-L6-v2 and runs
   the 66 queries of ``agentkit/examples/support_bot/retrieval_eval.jsonl`` (no ``as_of``: the newest version of
   every article, as an agent without a replay time sees them). A query counts as found at k if any of
   its relevant article ids is among the first k *distinct* articles (``max_per_document=1``);
   MRR is over the first 10 articles. Dense, BM25 and hybrid (RRF) side by side, plus dense with the
   HashingEmbedder as a lexical baseline.
2. Indexing throughput. Chunks per second of ``DocumentIndex.build`` with MiniLM on the help center
   (model already loaded), and of the index machinery alone (chunking, hashing, BM25, assembly) on
   100,000 synthetic chunks with a random-vector embedder.
3. Search latency over 100,000 synthetic chunks: random unit vectors (the embedder returns a
   precomputed random vector, so the figure excludes query embedding) and Zipf-distributed synthetic
   words for BM25; 20% of documents have a second version so the as_of mask is real. Modes are run in
   interleaved rounds after a warm-up; p50/p99 per call. MiniLM query embedding is timed separately:
   a real search costs the sum.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from provenance import write_result  # pyright: ignore[reportMissingImports]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agentkit.retrieval import (  # noqa: E402
    Document,
    DocumentIndex,
    HashingEmbedder,
    MiniLMEmbedder,
    SearchMode,
    load_documents,
)

HELP_CENTER = ROOT / "agentkit" / "examples" / "support_bot" / "help_center"
EVAL = ROOT / "agentkit" / "examples" / "support_bot" / "retrieval_eval.jsonl"
RESULTS = ROOT / "bench" / "results" / "retrieval.json"
MODES: tuple[SearchMode, ...] = ("dense", "bm25", "hybrid")


class RandomEmbedder:
    """Random unit vectors: stands in for a model where only the index machinery is measured."""

    model_id = "random-bench"

    def __init__(self, dimension: int = 384, seed: int = 0) -> None:
        self.dimension = dimension
        self._rng = np.random.default_rng(seed)

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        v = self._rng.standard_normal((len(texts), self.dimension)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def quality(
    index: DocumentIndex, cases: list[dict[str, object]], modes: Sequence[SearchMode]
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for mode in modes:
        found = {1: 0, 3: 0, 5: 0}
        rr = 0.0
        for case in cases:
            relevant = set(case["relevant"])  # type: ignore[arg-type]
            ids = [h.document_id for h in index.search(str(case["query"]), k=10, mode=mode, max_per_document=1)]
            rank = next((i + 1 for i, d in enumerate(ids) if d in relevant), None)
            for k in found:
                found[k] += rank is not None and rank <= k
            rr += 1.0 / rank if rank else 0.0
        n = len(cases)
        out[mode] = {"recall@1": found[1] / n, "recall@3": found[3] / n, "recall@5": found[5] / n, "mrr@10": rr / n}
    return out


def synthetic_documents(n_chunks: int, seed: int = 1) -> list[Document]:
    """~n_chunks chunks: documents of 10 sections of ~60 Zipf-distributed words each."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(30_000)])
    weights = 1.0 / np.arange(1, vocab.size + 1) ** 1.05
    weights /= weights.sum()
    sections_per_doc = 10
    n_docs = n_chunks // sections_per_doc
    words = vocab[rng.choice(vocab.size, size=(n_docs * sections_per_doc, 60), p=weights)]
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    docs: list[Document] = []
    n_ids = int(n_docs / 1.2)  # ~20% of documents are a second version of an earlier id
    for d in range(n_docs):
        body = "\n\n".join(
            f"## Section {s}\n\n" + " ".join(words[d * sections_per_doc + s]) for s in range(sections_per_doc)
        )
        doc_id = f"doc-{d % n_ids}"
        version = d // n_ids
        docs.append(
            Document(id=doc_id, text=body, title=f"Document {d % n_ids}", valid_from=t0 + timedelta(days=30 * version))
        )
    return docs


def timed(fn: Callable[[str], object], queries: Sequence[str]) -> list[float]:
    """Milliseconds of each ``fn(query)`` call."""
    out: list[float] = []
    for query in queries:
        t = time.perf_counter_ns()
        fn(query)
        out.append((time.perf_counter_ns() - t) / 1e6)
    return out


def summary(ms: list[float]) -> dict[str, float]:
    arr = np.array(ms)
    return {"p50_ms": float(np.percentile(arr, 50)), "p99_ms": float(np.percentile(arr, 99)), "n": len(ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200, help="timed calls per mode and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    report: dict[str, object] = {
        "machine": {"python": platform.python_version(), "processor": platform.processor() or platform.machine()},
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }

    # 1. Quality and MiniLM indexing throughput -------------------------------------------------
    docs = load_documents(HELP_CENTER).documents
    cases = [json.loads(line) for line in EVAL.read_text().splitlines() if line.strip()]
    minilm = MiniLMEmbedder()
    t = time.perf_counter()
    minilm.embed(["warm up"])
    load_s = time.perf_counter() - t
    index = DocumentIndex(minilm)
    stats = index.build(docs)
    qual = quality(index, cases, MODES)
    hashing = DocumentIndex(HashingEmbedder())
    hashing.build(docs)
    qual["dense (HashingEmbedder baseline)"] = quality(hashing, cases, ("dense",))["dense"]
    real_queries = [str(c["query"]) for c in cases]
    query_embed = summary(timed(lambda q: minilm.embed([q]), real_queries * 2))
    real_search = {m: summary(timed(lambda q, m=m: index.search(q, mode=m), real_queries * 2)) for m in MODES}
    report["quality"] = {"documents": len(docs), "chunks": stats.chunks, "queries": len(cases), "by_mode": qual}
    report["minilm"] = {
        "model_load_s": load_s,
        "build_s": stats.seconds,
        "build_chunks_per_s": stats.chunks / stats.seconds,
        "query_embed": query_embed,
        "help_center_search_including_embedding": real_search,
    }

    # 2./3. Synthetic 100k ----------------------------------------------------------------------
    t = time.perf_counter()
    synthetic = synthetic_documents(args.chunks)
    gen_s = time.perf_counter() - t
    big = DocumentIndex(RandomEmbedder())
    big_stats = big.build(synthetic)
    again = big.build(synthetic)  # nothing changed: only chunking, hashing, BM25 and assembly
    rng = np.random.default_rng(7)
    weights = 1.0 / np.arange(1, 30_001) ** 1.05
    weights /= weights.sum()
    queries = [" ".join(f"w{i}" for i in rng.choice(30_000, size=rng.integers(3, 8), p=weights)) for _ in range(500)]
    as_of = datetime(2025, 1, 15, tzinfo=UTC)
    variants: dict[str, Callable[[str], object]] = {
        "dense": lambda q: big.search(q, mode="dense"),
        "bm25": lambda q: big.search(q, mode="bm25"),
        "hybrid": lambda q: big.search(q, mode="hybrid"),
        "hybrid as_of": lambda q: big.search(q, mode="hybrid", as_of=as_of),
    }
    for fn in variants.values():  # warm-up
        timed(fn, queries[:30])
    latency_ms: dict[str, list[float]] = {name: [] for name in variants}
    for r in range(args.rounds):  # interleaved rounds: drift hits every variant alike
        batch = [queries[(r * args.queries + i) % len(queries)] for i in range(args.queries)]
        for name, fn in variants.items():
            latency_ms[name] += timed(fn, batch)
    latency = {name: summary(ms) for name, ms in latency_ms.items()}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        big.save(Path(tmp) / "index")
        save_s = time.perf_counter() - t
        t = time.perf_counter()
        DocumentIndex.load(Path(tmp) / "index", RandomEmbedder())
        load_index_s = time.perf_counter() - t
    report["synthetic"] = {
        "chunks": len(big),
        "documents": big_stats.documents,
        "generate_s": gen_s,
        "build_s": big_stats.seconds,
        "build_chunks_per_s": big_stats.chunks / big_stats.seconds,
        "rebuild_unchanged_s": again.seconds,
        "rebuild_unchanged_embedded": again.embedded,
        "save_s": save_s,
        "load_s": load_index_s,
        "search_excluding_query_embedding": latency,
    }
    write_result(RESULTS, report)

    # Tables ------------------------------------------------------------------------------------
    print(f"\nQuality: {len(docs)} articles, {stats.chunks} chunks, {len(cases)} queries (distinct articles)")
    print(f"{'mode':36} {'R@1':>6} {'R@3':>6} {'R@5':>6} {'MRR@10':>7}")
    for mode, m in qual.items():
        print(f"{mode:36} {m['recall@1']:6.3f} {m['recall@3']:6.3f} {m['recall@5']:6.3f} {m['mrr@10']:7.3f}")
    print(
        f"\nMiniLM: model load {load_s:.1f} s; build {stats.chunks} chunks in {stats.seconds:.1f} s "
        f"= {stats.chunks / stats.seconds:.1f} chunks/s; query embedding p50 {query_embed['p50_ms']:.1f} ms"
    )
    for m, s in real_search.items():
        print(f"  help-center search incl. embedding, {m:6}: p50 {s['p50_ms']:.2f} ms  p99 {s['p99_ms']:.2f} ms")
    print(f"\nSynthetic: {len(big):,} chunks, {big_stats.documents:,} document versions")
    print(
        f"  build {big_stats.seconds:.1f} s = {big_stats.chunks / big_stats.seconds:,.0f} chunks/s (random vectors); "
        f"unchanged rebuild {again.seconds:.1f} s ({again.embedded} embedded)"
    )
    print(f"  save {save_s:.1f} s, load {load_index_s:.2f} s")
    for name, s in latency.items():
        print(f"  search {name:13} p50 {s['p50_ms']:6.2f} ms  p99 {s['p99_ms']:6.2f} ms  (n={s['n']:.0f})")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
