"""Heading-aware chunking and stable chunk ids."""

from __future__ import annotations

import hashlib
import time
from itertools import pairwise

from agentkit.retrieval import Document, chunk_document


def doc(text: str, doc_id: str = "d") -> Document:
    return Document(id=doc_id, text=text)


def test_chunks_follow_sections_and_carry_their_heading_path(help_docs: tuple[Document, ...]) -> None:
    delays = next(d for d in help_docs if d.id == "delivery-delays")
    chunks = chunk_document(delays)
    assert [c.heading for c in chunks] == [
        "Why is my order late?",
        "Why is my order late? > Common reasons for a delay",
        "Why is my order late? > How the ETA works",
        "Why is my order late? > Will I get compensated?",
        "Why is my order late? > What you can do right now",
    ]
    assert chunks[-1].text.startswith("1. Open **Orders → Current order**")
    assert all("## " not in c.text for c in chunks)


def test_chunk_ids_are_document_position_and_text_hash() -> None:
    chunks = chunk_document(doc("# A\n\nfirst\n\n## B\n\nsecond", doc_id="faq"))
    digest = hashlib.sha256(b"second").hexdigest()[:8]
    assert [c.id for c in chunks][1] == f"faq#1-{digest}"
    assert [c.position for c in chunks] == [0, 1]
    assert chunks[1].heading == "A > B"


def test_chunk_ids_are_stable_across_runs_and_an_edit_changes_only_the_edited_chunk() -> None:
    text = "# T\n\nintro\n\n## One\n\nalpha\n\n## Two\n\nbeta\n\n## Three\n\ngamma"
    first = [c.id for c in chunk_document(doc(text))]
    assert first == [c.id for c in chunk_document(doc(text))]
    edited = [c.id for c in chunk_document(doc(text.replace("beta", "beta, revised")))]
    changed = [i for i, (a, b) in enumerate(zip(first, edited, strict=True)) if a != b]
    assert changed == [2]


def test_headings_inside_code_fences_do_not_split_sections() -> None:
    text = "# Setup\n\nRun this:\n\n```bash\n# not a heading\necho hi\n```\n\nDone."
    chunks = chunk_document(doc(text))
    assert len(chunks) == 1
    assert "# not a heading" in chunks[0].text


def test_a_heading_with_no_body_makes_no_chunk_but_stays_in_the_path() -> None:
    chunks = chunk_document(doc("# Policy\n## Refunds\n### Late orders\n\nFive dollars."))
    assert [(c.heading, c.text) for c in chunks] == [("Policy > Refunds > Late orders", "Five dollars.")]


def test_long_sections_are_split_at_boundaries_with_overlap() -> None:
    sentences = [f"Sentence number {i} talks about refunds and credits." for i in range(60)]
    text = "## Long\n\n" + " ".join(sentences)
    chunks = chunk_document(doc(text), max_chars=400, overlap=80)
    assert len(chunks) > 5
    assert all(len(c.text) <= 400 for c in chunks)
    assert all(c.heading == "Long" for c in chunks)
    for before, after in pairwise(chunks):
        assert before.text.endswith(".")  # cut at a sentence end
        assert after.text[:20] in before.text  # the next piece starts inside the previous one
    joined = " ".join(c.text for c in chunks)
    assert all(s in joined for s in sentences)


def test_a_5_mb_document_is_chunked_quickly_and_completely() -> None:
    paragraph = "Couriers wait up to ten minutes at the door before leaving the order. " * 12
    text = "\n\n".join(f"## Part {i}\n\n{paragraph}" if i % 50 == 0 else paragraph for i in range(6_000))
    assert len(text) > 5_000_000
    started = time.perf_counter()
    chunks = chunk_document(doc(text, doc_id="huge"))
    assert time.perf_counter() - started < 5
    assert len(chunks) > 4_000
    assert max(len(c.text) for c in chunks) <= 1_200
    assert len({c.id for c in chunks}) == len(chunks)
    assert chunks[-1].heading == "Part 5950"


def test_text_without_any_whitespace_is_still_cut_to_size() -> None:
    chunks = chunk_document(doc("x" * 10_000), max_chars=1_000, overlap=100)
    assert [len(c.text) for c in chunks] == [1_000] * 10
