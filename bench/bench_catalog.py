"""Catalog search over 10,000 features vs embedding the query alone (issue #4's target: p50 within
1.5x), measured side by side in interleaved rounds. Writes bench/results/catalog.json.

    .venv/bin/python bench/bench_catalog.py [--features 10000] [--calls 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from provenance import RESULTS, write_result  # pyright: ignore[reportMissingImports]

from agentkit.features.definitions import Definitions, Entity, Feature, FeatureView
from agentkit.retrieval.catalog import SemanticCatalog
from agentkit.retrieval.embedder import MiniLMEmbedder

WORDS = [
    "order",
    "delivery",
    "courier",
    "refund",
    "payment",
    "restaurant",
    "kitchen",
    "minutes",
    "distance",
    "account",
    "loyalty",
    "credit",
    "promo",
    "late",
    "missing",
    "item",
    "cancel",
    "fee",
    "tip",
    "rating",
    "address",
    "phone",
    "schedule",
    "group",
    "allergy",
]
QUERIES = [
    "where is my order",
    "how late is my delivery",
    "did I get my refund",
    "how far is the courier",
    "what is my loyalty tier",
    "was I charged twice",
    "when does the kitchen finish",
    "my promo code",
]


def definitions(n: int, rng: random.Random) -> Definitions:
    entity = Entity(name="thing", join_key="thing_id", description="A thing.")
    views = []
    for v in range(n // 100):
        feats = tuple(
            Feature(
                name=f"f_{v}_{i}",
                dtype="float",
                unit=rng.choice(["minutes", "km", "usd", None]),
                description=" ".join(rng.choices(WORDS, k=rng.randint(6, 14))).capitalize() + ".",
            )
            for i in range(100)
        )
        views.append(FeatureView(name=f"view_{v}", entity=entity, description="Synthetic view.", features=feats))
    return Definitions.of(views)


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--features", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    embedder = MiniLMEmbedder(threads=1)
    defs = definitions(args.features, rng)
    started = time.perf_counter()
    catalog = SemanticCatalog(defs, embedder)
    build_s = time.perf_counter() - started
    readable = frozenset(e.ref for e in catalog.entries[: len(catalog.entries) // 2])  # a realistic grant
    embed_ns: list[float] = []
    search_ns: list[float] = []
    restricted_ns: list[float] = []
    for _ in range(10):
        catalog.search(rng.choice(QUERIES), readable=None, k=8)
    for i in range(args.calls):
        q = QUERIES[i % len(QUERIES)] + f" {i}"
        for bucket, fn in (
            (embed_ns, lambda q=q: embedder.embed([q])),
            (search_ns, lambda q=q: catalog.search(q, readable=None, k=8)),
            (restricted_ns, lambda q=q: catalog.search(q, readable=readable, k=8)),
        ):
            t = time.perf_counter_ns()
            fn()
            bucket.append((time.perf_counter_ns() - t) / 1e6)
    result = {
        "features": len(catalog.entries),
        "build_seconds": round(build_s, 2),
        "embed_query_p50_ms": round(p50(embed_ns), 3),
        "search_p50_ms": round(p50(search_ns), 3),
        "search_restricted_p50_ms": round(p50(restricted_ns), 3),
        "ratio_search_over_embed": round(p50(search_ns) / p50(embed_ns), 3),
        "ratio_restricted_over_embed": round(p50(restricted_ns) / p50(embed_ns), 3),
        "target": "search p50 <= 1.5x embed p50",
    }
    result["pass"] = result["ratio_search_over_embed"] <= 1.5
    out = write_result(RESULTS / "catalog.json", result)
    for key, value in result.items():
        print(f"{key:<32} {value}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
