"""The document index: incremental indexing, versions and as_of, filters, validation, persistence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest

from agentkit.errors import AsOfError, ConfigError, DataError, NotFoundError
from agentkit.retrieval import (
    MAX_QUERY_CHARS,
    Document,
    DocumentIndex,
    HashingEmbedder,
    SearchMode,
    load_documents,
)
from tests.retrieval.conftest import CountingEmbedder

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def article(doc_id: str, body: str, *, valid_from: datetime | None = T0) -> Document:
    return Document(id=doc_id, text=body, title=doc_id.replace("-", " ").title(), valid_from=valid_from)


def test_rebuilding_unchanged_documents_embeds_nothing(
    counting: CountingEmbedder, help_docs: tuple[Document, ...]
) -> None:
    index = DocumentIndex(counting)
    first = index.build(help_docs)
    assert first.embedded == first.chunks == len(index) == len(counting.texts)
    again = index.build(help_docs)
    assert again.embedded == 0
    assert again.reused == again.chunks
    assert len(counting.texts) == first.embedded


def test_changing_one_file_re_embeds_only_its_changed_chunks(
    tmp_path: Path, counting: CountingEmbedder, help_center_dir: Path
) -> None:
    folder = tmp_path / "hc"
    folder.mkdir()
    for path in help_center_dir.glob("*.md"):
        (folder / path.name).write_text(path.read_text())
    index = DocumentIndex(counting)
    index.build(load_documents(folder).documents)
    before = len(counting.texts)

    tipping = folder / "tipping.md"
    tipping.write_text(tipping.read_text().replace("100%", "one hundred percent"))
    stats = index.build(load_documents(folder).documents)

    new_texts = counting.texts[before:]
    assert stats.embedded == len(new_texts) >= 1
    assert all(t.startswith("Tipping your courier") for t in new_texts)
    assert all("one hundred percent" in t for t in new_texts)
    assert stats.chunks == len(index)


def test_add_upserts_by_id_and_valid_from_and_keeps_other_documents(counting: CountingEmbedder) -> None:
    index = DocumentIndex(counting)
    index.build([article("tipping", "Tips go to couriers."), article("promo", "Codes expire.")])
    calls = len(counting.texts)
    stats = index.add([article("tipping", "Tips go to couriers in full.")])
    assert stats.embedded == 1
    assert len(counting.texts) == calls + 1
    assert {d.id for d in index.documents} == {"tipping", "promo"}
    assert len(index) == 2
    assert index.search("couriers", k=1, mode="bm25")[0].text == "Tips go to couriers in full."


def test_progress_reports_embedded_texts_out_of_the_total(help_docs: tuple[Document, ...]) -> None:
    calls: list[tuple[int, int]] = []
    index = DocumentIndex(HashingEmbedder())
    stats = index.build(help_docs, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, stats.embedded)
    assert calls[-1] == (stats.embedded, stats.embedded)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    calls.clear()
    index.build(help_docs, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 0)]


def test_as_of_sees_the_old_refund_policy_before_the_switch_and_the_new_one_after(
    hashing_index: DocumentIndex,
) -> None:
    query = "late delivery credit refund policy"
    before = hashing_index.search(query, k=10, as_of=datetime(2026, 9, 30, 23, 59, tzinfo=UTC))
    after = hashing_index.search(query, k=10, as_of=datetime(2026, 10, 1, tzinfo=UTC))
    before_ids = {h.document_id for h in before}
    after_ids = {h.document_id for h in after}
    assert "refund-policy-2025" in before_ids
    assert "refund-policy" not in before_ids
    assert "refund-policy" in after_ids
    assert "refund-policy-2025" not in after_ids
    old = next(h for h in before if h.document_id == "refund-policy-2025")
    assert old.valid_to == datetime(2026, 10, 1, tzinfo=UTC)


def test_documents_not_yet_valid_are_invisible_as_of_an_earlier_time(hashing_index: DocumentIndex) -> None:
    hits = hashing_index.search("screen reader VoiceOver accessibility", k=20, as_of=datetime(2026, 6, 1, tzinfo=UTC))
    assert "accessibility" not in {h.document_id for h in hits}  # published 2026-11-01


def test_a_newer_version_of_the_same_id_ends_the_older_one_automatically() -> None:
    index = DocumentIndex(HashingEmbedder())
    index.build(
        [
            article("tipping", "Tips can be changed within one hour.", valid_from=T0),
            article("tipping", "Tips can be changed within two hours.", valid_from=T0 + timedelta(days=30)),
        ]
    )

    def text_at(when: datetime | None) -> list[str]:
        return [h.text for h in index.search("tips changed", k=5, as_of=when)]

    assert text_at(T0 - timedelta(days=1)) == []
    assert text_at(T0 + timedelta(days=1)) == ["Tips can be changed within one hour."]
    assert text_at(T0 + timedelta(days=30)) == ["Tips can be changed within two hours."]
    assert text_at(None) == ["Tips can be changed within two hours."]  # no as_of: newest versions
    old = next(d for d in index.documents if d.valid_from == T0)
    assert old.valid_to == T0 + timedelta(days=30)


def test_a_naive_as_of_is_refused(hashing_index: DocumentIndex) -> None:
    with pytest.raises(AsOfError) as caught:
        hashing_index.search("refund", as_of=datetime(2026, 1, 1))
    assert caught.value.code == "as_of_naive"


@pytest.mark.parametrize(
    ("query", "code"),
    [("", "query_empty"), ("   \n\t", "query_empty"), ("refund " * (MAX_QUERY_CHARS // 6), "query_too_long")],
)
def test_empty_and_overlong_queries_are_clear_errors(hashing_index: DocumentIndex, query: str, code: str) -> None:
    with pytest.raises(DataError) as caught:
        hashing_index.search(query)
    assert caught.value.code == code


def test_bad_k_mode_and_filters_are_clear_errors(hashing_index: DocumentIndex) -> None:
    with pytest.raises(DataError) as k:
        hashing_index.search("refund", k=0)
    assert k.value.code == "k_invalid"
    with pytest.raises(DataError) as mode:
        hashing_index.search("refund", mode=cast("SearchMode", "semantic"))  # deliberately not a SearchMode
    assert mode.value.code == "search_mode_invalid"
    with pytest.raises(DataError) as unknown:
        hashing_index.search("refund", filters={"tag": "refund"})
    assert unknown.value.code == "filter_unknown"
    assert "did you mean tags?" in unknown.value.message


def test_filters_match_tags_and_document_ids(hashing_index: DocumentIndex, help_docs: tuple[Document, ...]) -> None:
    tags = {d.id: d.tags for d in help_docs}
    tagged = hashing_index.search("how long", k=10, filters={"tags": ["refund", "nonexistent-tag"]})
    assert tagged
    assert all("refund" in tags[h.document_id] for h in tagged)
    only = hashing_index.search("refund", k=10, filters={"document_id": "tipping"})
    assert {h.document_id for h in only} == {"tipping"}


def test_max_per_document_returns_distinct_articles(hashing_index: DocumentIndex) -> None:
    hits = hashing_index.search("refund policy late credit", k=5, max_per_document=1)
    assert len(hits) == 5
    assert len({h.document_id for h in hits}) == 5


def test_each_mode_returns_hits_with_citation_fields(hashing_index: DocumentIndex) -> None:
    for mode in ("dense", "bm25", "hybrid"):
        hits = hashing_index.search("charged twice on my card", k=3, mode=mode)
        assert len(hits) == 3
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        top = hits[0]
        assert top.chunk_id.startswith(f"{top.document_id}#")
        assert top.url is not None
        assert top.location == top.url
        assert top.title
        assert top.valid_from is not None


def test_an_empty_index_finds_nothing() -> None:
    assert DocumentIndex(HashingEmbedder()).search("anything") == []


def test_a_saved_index_loads_and_answers_the_same(tmp_path: Path, hashing_index: DocumentIndex) -> None:
    hashing_index.save(tmp_path / "docs")
    loaded = DocumentIndex.load(tmp_path / "docs", HashingEmbedder())
    assert len(loaded) == len(hashing_index)
    assert loaded.documents == hashing_index.documents
    when = datetime(2026, 9, 1, tzinfo=UTC)
    for mode in ("dense", "bm25", "hybrid"):
        assert loaded.search("refund for a cold pizza", k=5, mode=mode, as_of=when) == hashing_index.search(
            "refund for a cold pizza", k=5, mode=mode, as_of=when
        )


def test_a_loaded_index_reuses_its_vectors_when_rebuilt(
    tmp_path: Path, help_docs: tuple[Document, ...], counting: CountingEmbedder
) -> None:
    original = DocumentIndex(counting)
    original.build(help_docs)
    original.save(tmp_path / "docs")
    calls = len(counting.calls)
    loaded = DocumentIndex.load(tmp_path / "docs", counting)
    stats = loaded.build(help_docs)
    assert stats.embedded == 0
    assert len(counting.calls) == calls


def test_saving_again_replaces_the_index_atomically_and_cleans_old_data(tmp_path: Path) -> None:
    target = tmp_path / "docs"
    (target / "data-mine").mkdir(parents=True)  # not made by a save: never removed
    index = DocumentIndex(HashingEmbedder())
    for n in range(4):
        index.add([article(f"doc-{n}", f"text number {n}")])
        index.save(target)
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["chunks"] == 4
    assert manifest["model_id"] == HashingEmbedder().model_id
    assert (target / "data-mine").is_dir()
    data_dirs = sorted(p.name for p in target.glob("data-2*"))
    assert manifest["data"] in data_dirs
    assert len(data_dirs) <= 2  # the current one and the one a concurrent reader may still hold
    assert not list(target.glob(".*tmp"))
    assert len(DocumentIndex.load(target, HashingEmbedder())) == 4


def test_loading_with_a_different_embedder_model_is_refused_with_what_to_do(
    tmp_path: Path, hashing_index: DocumentIndex
) -> None:
    hashing_index.save(tmp_path / "docs")
    with pytest.raises(ConfigError) as caught:
        DocumentIndex.load(tmp_path / "docs", HashingEmbedder(256))
    assert caught.value.code == "index_model_mismatch"
    message = caught.value.message
    assert "hashing-v1-d512-c3" in message
    assert "hashing-v1-d256-c3" in message
    assert "agentkit docs index" in message


def test_loading_a_missing_or_damaged_index_says_so(tmp_path: Path, hashing_index: DocumentIndex) -> None:
    with pytest.raises(NotFoundError) as missing:
        DocumentIndex.load(tmp_path / "nothing", HashingEmbedder())
    assert missing.value.code == "index_not_found"

    hashing_index.save(tmp_path / "docs")
    manifest = json.loads((tmp_path / "docs" / "manifest.json").read_text())
    (tmp_path / "docs" / manifest["data"] / "vectors.npy").write_bytes(b"garbage")
    with pytest.raises(DataError) as corrupt:
        DocumentIndex.load(tmp_path / "docs", HashingEmbedder())
    assert corrupt.value.code == "index_corrupt"

    (tmp_path / "docs" / "manifest.json").write_text("{not json")
    with pytest.raises(DataError) as bad_manifest:
        DocumentIndex.load(tmp_path / "docs", HashingEmbedder())
    assert bad_manifest.value.code == "index_corrupt"


def test_duplicate_documents_in_one_build_are_refused() -> None:
    twin = article("tipping", "Same id, same valid_from.")
    with pytest.raises(DataError) as caught:
        DocumentIndex(HashingEmbedder()).build([twin, twin.model_copy(update={"text": "other"})])
    assert caught.value.code == "document_duplicate"


def test_a_5_mb_document_is_indexed_and_searchable() -> None:
    filler = "Couriers wait up to ten minutes at the door before leaving the order. " * 12
    body = "\n\n".join(f"## Part {i}\n\n{filler}" if i % 50 == 0 else filler for i in range(6_000))
    body += "\n\n## Penguins\n\nThe emperor penguin delivery programme is fictional."
    index = DocumentIndex(HashingEmbedder(64, char_ngrams=False))
    stats = index.build([article("huge", body)])
    assert stats.chunks > 4_000
    hits = index.search("emperor penguin", k=1, mode="bm25")
    assert hits[0].heading == "Penguins"
