"""The semantic catalog: find the features that fit an intent, among those the caller may read.

Every feature is indexed by its entity, view, name, description, unit, tags and owner. Search is
dense (cosine) plus lexical (BM25), fused by reciprocal rank — but only over the features the
caller may read: the restriction happens *before* ranking, so a feature the agent may not read is
never scored, never ranked and never named.

``lint`` reports what makes a catalog hard for an agent to use: missing or useless descriptions,
near-duplicate descriptions, and customer questions no feature covers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from agentkit.features.definitions import Definitions, Feature, FeatureView
from agentkit.retrieval._fusion import fuse
from agentkit.retrieval._lexical import LexicalIndex, tokenize
from agentkit.retrieval.embedder import Embedder
from agentkit.retrieval.index import validate_query

__all__ = ["CatalogEntry", "CatalogHit", "LintFinding", "LintReport", "SemanticCatalog"]


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    ref: str
    entity: str
    view: str
    feature: str
    dtype: str
    description: str
    unit: str | None
    tags: tuple[str, ...]
    owner: str

    @property
    def text(self) -> str:
        """What gets embedded and tokenised: everything a person would search by."""
        words = self.feature.replace("_", " ")
        unit = f" ({self.unit})" if self.unit else ""
        tags = f" Tags: {', '.join(self.tags)}." if self.tags else ""
        return f"{words}{unit}: {self.description} [{self.entity} / {self.view.replace('_', ' ')}]{tags}"


@dataclass(frozen=True, slots=True)
class CatalogHit:
    ref: str
    description: str
    dtype: str
    unit: str | None
    entity: str
    score: float
    why: str
    """A short, honest reason: the words that matched and the semantic similarity."""


@dataclass(frozen=True, slots=True)
class LintFinding:
    kind: str
    """``description_missing``, ``description_short``, ``description_is_name``,
    ``near_duplicate`` or ``uncovered_intent``."""
    subject: str
    message: str


@dataclass(frozen=True, slots=True)
class LintReport:
    findings: tuple[LintFinding, ...]
    coverage: dict[str, float] = field(default_factory=dict[str, float])
    """Best catalog similarity per customer question (when questions were given)."""

    def count(self, kind: str) -> int:
        return sum(f.kind == kind for f in self.findings)


def _entry(view: FeatureView, feature: Feature) -> CatalogEntry:
    return CatalogEntry(
        ref=f"{view.name}.{feature.name}",
        entity=view.entity.name,
        view=view.name,
        feature=feature.name,
        dtype=feature.type_label(),
        description=feature.description,
        unit=feature.unit,
        tags=feature.tags,
        owner=view.owner,
    )


class SemanticCatalog:
    """Dense + lexical search over feature descriptions, restricted before ranking."""

    def __init__(self, definitions: Definitions, embedder: Embedder) -> None:
        self._embedder = embedder
        self.entries: tuple[CatalogEntry, ...] = tuple(
            _entry(view, feature) for view in definitions.views for feature in view.features
        )
        self._position = {e.ref: i for i, e in enumerate(self.entries)}
        texts = [e.text for e in self.entries]
        dim = embedder.dimension
        self._vectors = embedder.embed(texts) if texts else np.zeros((0, dim), dtype=np.float32)
        self._lexical = LexicalIndex.build(texts) if texts else LexicalIndex.empty(0)
        self._tokens = [set(tokenize(t)) for t in texts]
        self._masks: dict[frozenset[str], np.ndarray] = {}

    @property
    def model_id(self) -> str:
        return self._embedder.model_id

    def _allowed(self, readable: frozenset[str] | None) -> np.ndarray:
        if readable is None:
            return np.arange(len(self.entries))
        cached = self._masks.get(readable)
        if cached is None:
            cached = np.array(sorted(self._position[r] for r in readable if r in self._position), dtype=np.int64)
            if len(self._masks) > 256:
                self._masks.clear()
            self._masks[readable] = cached
        return cached

    def search(self, intent: str, *, readable: frozenset[str] | None, k: int = 8) -> list[CatalogHit]:
        """Top ``k`` features for ``intent`` among ``readable`` refs (``None``: all, platform only)."""
        query = validate_query(intent)
        allowed = self._allowed(readable)
        if allowed.size == 0 or k <= 0:
            return []
        query_vec = self._embedder.embed([query])[0]
        dense = self._vectors[allowed] @ query_vec
        lexical = self._lexical.scores(query)[allowed]
        by_lexical = np.argsort(-lexical, kind="stable")
        ranked, fused = fuse(np.argsort(-dense, kind="stable"), by_lexical[lexical[by_lexical] > 0])
        query_terms = set(tokenize(query))
        hits: list[CatalogHit] = []
        for local, score in zip(ranked[:k].tolist(), fused[:k].tolist(), strict=True):
            entry = self.entries[int(allowed[local])]
            shared = sorted(query_terms & self._tokens[int(allowed[local])])
            why = f"similarity {float(dense[local]):.2f}" + (f"; words: {', '.join(shared[:5])}" if shared else "")
            hits.append(
                CatalogHit(
                    ref=entry.ref,
                    description=entry.description,
                    dtype=entry.dtype,
                    unit=entry.unit,
                    entity=entry.entity,
                    score=round(score, 6),
                    why=why,
                )
            )
        return hits

    def best_similarity(self, texts: Sequence[str]) -> list[float]:
        """For each text, its highest cosine similarity to any feature (coverage of intents)."""
        if not texts or not self.entries:
            return [0.0] * len(texts)
        sims = self._embedder.embed(list(texts)) @ self._vectors.T
        return [float(v) for v in sims.max(axis=1)]

    def lint(
        self,
        *,
        questions: Iterable[str] = (),
        min_description_words: int = 4,
        duplicate_threshold: float = 0.92,
        coverage_threshold: float = 0.35,
    ) -> LintReport:
        findings: list[LintFinding] = []
        for entry in self.entries:
            desc = entry.description.strip()
            normalised = re.sub(r"[\W_]+", " ", desc.lower()).strip()
            if not desc:
                findings.append(LintFinding("description_missing", entry.ref, f"{entry.ref}: no description"))
            elif normalised == entry.feature.replace("_", " ").lower():
                findings.append(
                    LintFinding("description_is_name", entry.ref, f"{entry.ref}: the description only repeats the name")
                )
            elif len(desc.split()) < min_description_words:
                findings.append(
                    LintFinding(
                        "description_short",
                        entry.ref,
                        f"{entry.ref}: description '{desc}' is too short to tell an agent what it means "
                        f"(fewer than {min_description_words} words)",
                    )
                )
        if len(self.entries) > 1:
            desc_vecs = self._embedder.embed([e.description or e.feature for e in self.entries])
            sims = desc_vecs @ desc_vecs.T
            pairs = np.argwhere(np.triu(sims, k=1) > duplicate_threshold)
            for i, j in pairs:
                a, b = self.entries[int(i)], self.entries[int(j)]
                findings.append(
                    LintFinding(
                        "near_duplicate",
                        f"{a.ref}|{b.ref}",
                        f"{a.ref} and {b.ref} have near-identical descriptions (similarity "
                        f"{float(sims[i, j]):.2f}); an agent cannot tell them apart",
                    )
                )
        coverage: dict[str, float] = {}
        asked = [q for q in dict.fromkeys(q.strip() for q in questions) if q]
        for question, best in zip(asked, self.best_similarity(asked), strict=True):
            coverage[question] = best
            if best < coverage_threshold:
                findings.append(
                    LintFinding(
                        "uncovered_intent",
                        question,
                        f"no feature covers '{question[:80]}' (best similarity {best:.2f} < {coverage_threshold})",
                    )
                )
        return LintReport(tuple(findings), coverage)
