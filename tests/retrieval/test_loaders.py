"""Loading help-center documents: front matter, formats, bad files and duplicate ids."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agentkit.errors import DataError, NotFoundError
from agentkit.retrieval import Document, load_documents, load_file


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_the_real_help_center_loads_all_33_articles_without_problems(help_docs: tuple[Document, ...]) -> None:
    assert len(help_docs) == 33
    ids = {d.id for d in help_docs}
    assert {"refund-policy", "refund-policy-2025", "delivery-delays"} <= ids


def test_front_matter_fields_become_document_fields_and_tags_metadata(help_docs: tuple[Document, ...]) -> None:
    old = next(d for d in help_docs if d.id == "refund-policy-2025")
    assert old.title == "Dashly refund policy (2025 version)"
    assert old.valid_from == datetime(2025, 6, 1, tzinfo=UTC)
    assert old.valid_to == datetime(2026, 10, 1, tzinfo=UTC)
    assert old.url == "https://help.dashly.example/articles/refund-policy-2025"
    assert old.tags == ("refund", "policy", "credit", "late delivery", "eligibility")
    assert not old.text.startswith("---")
    assert old.text.startswith("# Dashly refund policy (2025 version)")
    assert old.source is not None
    assert old.source.endswith("refund-policy-2025.md")


def test_a_file_without_front_matter_takes_its_id_from_the_stem_and_valid_from_from_mtime(tmp_path: Path) -> None:
    path = write(tmp_path / "Opening hours.md", "# When we are open\n\nEvery day from 8 to 22.\n")
    os.utime(path, (1_780_000_000, 1_780_000_000))
    doc = load_file(path)
    assert doc.id == "Opening-hours"
    assert doc.title == "When we are open"
    assert doc.valid_from == datetime.fromtimestamp(1_780_000_000, tz=UTC)
    assert doc.valid_to is None


def test_unknown_front_matter_keys_are_kept_as_metadata_and_dates_alone_mean_midnight_utc(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.md",
        "---\nid: a\nvalid_from: 2026-03-01\nowner: 'support team'\ntags: [x, \"y\"]\n---\nBody text.\n",
    )
    doc = load_file(path)
    assert doc.valid_from == datetime(2026, 3, 1, tzinfo=UTC)
    assert doc.metadata == {"owner": "support team", "tags": ("x", "y")}
    assert doc.title == "a"


def test_plain_text_takes_its_first_line_as_title(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "notes.txt", "Courier etiquette\n\nBe kind to couriers.\n"))
    assert doc.title == "Courier etiquette"
    assert "Be kind" in doc.text


def test_html_is_stripped_to_text_with_headings_and_meta_fields(tmp_path: Path) -> None:
    page = """<!doctype html><html><head><title>Tipping your courier</title>
    <meta name="id" content="tipping-html"><meta name="valid_from" content="2026-01-01T00:00:00Z">
    <style>p { color: red }</style><script>var secret = 1;</script></head>
    <body><nav>Home | Help</nav><h1>Tipping</h1><p>Tips go <b>100%</b> to the courier &amp; never to us.</p>
    <h2>Changing a tip</h2><ul><li>Within 1 hour</li><li>From the order page</li></ul></body></html>"""
    doc = load_file(write(tmp_path / "tipping.html", page))
    assert doc.id == "tipping-html"
    assert doc.title == "Tipping your courier"
    assert doc.valid_from == datetime(2026, 1, 1, tzinfo=UTC)
    assert "Tips go 100% to the courier & never to us." in doc.text
    assert "## Changing a tip" in doc.text
    assert "- Within 1 hour\n- From the order page" in doc.text
    assert "secret" not in doc.text
    assert "color" not in doc.text
    assert "Home | Help" not in doc.text


def test_html_without_title_uses_the_first_h1(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path / "x.htm", "<h1>Group orders</h1><p>Share a link.</p>"))
    assert doc.title == "Group orders"


def test_bad_files_are_skipped_and_reported_while_the_good_ones_load(tmp_path: Path) -> None:
    write(tmp_path / "good.md", "# Good\n\nFine text.\n")
    write(tmp_path / "empty.md", "")
    write(tmp_path / "blank.txt", "   \n\n")
    write(tmp_path / "binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write(tmp_path / "latin1.txt", "Caf\xe9 cr\xe8me".encode("latin-1"))
    write(tmp_path / "unclosed.md", "---\nid: x\n\nNo closing line.\n")
    write(tmp_path / "bad-date.md", "---\nvalid_from: next tuesday\n---\nText.\n")
    write(tmp_path / "only-front-matter.md", "---\nid: nothing\n---\n\n")
    write(tmp_path / "bad-id.md", "---\nid: has space\n---\nText.\n")
    write(tmp_path / ".hidden" / "ignored.md", "# Hidden\n\nNot loaded.\n")
    write(tmp_path / "image.png", b"\x89PNG")

    result = load_documents(tmp_path)

    assert [d.id for d in result.documents] == ["good"]
    problems = {Path(p.path).name: p for p in result.problems}
    assert {name: p.code for name, p in problems.items()} == {
        "empty.md": "empty",
        "blank.txt": "empty",
        "binary.md": "binary",
        "latin1.txt": "not_utf8",
        "unclosed.md": "front_matter_invalid",
        "bad-date.md": "front_matter_invalid",
        "only-front-matter.md": "empty",
        "bad-id.md": "document_invalid",
    }
    assert "offset 3" in problems["latin1.txt"].reason
    assert "next tuesday" in problems["bad-date.md"].reason
    assert str(problems["empty.md"]).endswith("empty.md: empty file")


def test_an_explicit_file_of_an_unsupported_type_is_reported(tmp_path: Path) -> None:
    image = write(tmp_path / "photo.png", b"\x89PNG")
    result = load_documents([image])
    assert result.documents == ()
    assert [p.code for p in result.problems] == ["unsupported_type"]


def test_duplicate_ids_with_the_same_valid_from_are_an_error_naming_both_files(tmp_path: Path) -> None:
    front = "---\nid: refunds\nvalid_from: 2026-01-01\n---\n"
    write(tmp_path / "a" / "refunds.md", front + "One.\n")
    write(tmp_path / "b" / "refunds-copy.md", front + "Two.\n")
    with pytest.raises(DataError) as caught:
        load_documents(tmp_path)
    assert caught.value.code == "document_duplicate"
    assert "refunds.md" in caught.value.message
    assert "refunds-copy.md" in caught.value.message


def test_the_same_id_with_another_valid_from_is_a_second_version_not_a_duplicate(tmp_path: Path) -> None:
    write(tmp_path / "v1.md", "---\nid: refunds\nvalid_from: 2025-01-01\n---\nOld.\n")
    write(tmp_path / "v2.md", "---\nid: refunds\nvalid_from: 2026-01-01\n---\nNew.\n")
    result = load_documents(tmp_path)
    assert sorted(d.text for d in result.documents) == ["New.", "Old."]


def test_a_glob_loads_matching_files_and_a_missing_path_is_not_found(tmp_path: Path, help_center_dir: Path) -> None:
    result = load_documents(str(help_center_dir / "refund-*.md"))
    assert sorted(d.id for d in result.documents) == ["refund-policy", "refund-policy-2025", "refund-processing-times"]
    with pytest.raises(NotFoundError) as missing:
        load_documents(tmp_path / "nope")
    assert missing.value.code == "documents_not_found"
    with pytest.raises(NotFoundError) as no_match:
        load_documents(str(tmp_path / "*.md"))
    assert no_match.value.code == "documents_not_found"


def test_in_memory_documents_need_aware_times_and_plain_ids() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Document(id="a", text="x", valid_from=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="no spaces"):
        Document(id="a b", text="x")
    with pytest.raises(ValueError, match="must be after"):
        Document(
            id="a", text="x", valid_from=datetime(2026, 2, 1, tzinfo=UTC), valid_to=datetime(2026, 1, 1, tzinfo=UTC)
        )
