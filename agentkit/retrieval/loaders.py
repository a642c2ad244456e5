"""Load help-center documents from Markdown, plain-text and HTML files.

``load_documents`` takes a folder (walked recursively for ``.md``, ``.markdown``, ``.txt``,
``.html`` and ``.htm`` files; hidden files and folders are skipped), a glob
(``"docs/**/*.md"``), a single file, or several of these. A bad file (empty, binary, not UTF-8,
malformed front matter) is skipped and reported as a :class:`LoadProblem`; loading continues, so
one broken article never blocks the rest. Two documents with the same id and ``valid_from`` are an
error naming both files, since a search could not tell them apart.

Markdown front matter is simple ``key: value`` lines between ``---`` lines::

    ---
    id: refund-policy
    title: Dashly refund policy
    valid_from: 2026-10-01T00:00:00Z
    valid_to: 2027-01-01T00:00:00Z
    url: https://help.dashly.example/articles/refund-policy
    tags: refund, policy, credit
    ---

Every field is optional. Without ``id`` the file name (without suffix) is used; without ``title``
the first ``# `` heading, then the file name; without ``valid_from`` the file's modification time,
so an edited file becomes a new version. Times without a zone are read as UTC. Other keys are kept
in ``Document.metadata``. HTML files take the same fields from ``<meta name=... content=...>`` tags,
the title from ``<title>`` or the first ``<h1>``.
"""

# pyright: strict

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError as PydanticValidationError

from agentkit.errors import DataError, NotFoundError
from agentkit.features.schema import parse_time
from agentkit.retrieval._html import html_to_text
from agentkit.retrieval.documents import Document, LoadProblem, LoadResult

__all__ = ["SUPPORTED_SUFFIXES", "check_unique", "load_documents", "load_file"]

SUPPORTED_SUFFIXES: dict[str, str] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
}
_MAX_BYTES = 50 * 1024 * 1024
_GLOB_CHARS = re.compile(r"[*?\[]")
_H1 = re.compile(r"^#[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_KNOWN_FIELDS = {"id", "title", "valid_from", "valid_to", "url", "tags"}

PathLike = str | os.PathLike[str]


def load_documents(source: PathLike | Iterable[PathLike], *, max_bytes: int = _MAX_BYTES) -> LoadResult:
    """Load every supported file under ``source``; see the module docstring for the rules.

    Raises :class:`NotFoundError` (``documents_not_found``) when a path does not exist or a glob
    matches nothing, and :class:`DataError` (``document_duplicate``) for a duplicate id.
    """
    sources: list[PathLike] = [source] if isinstance(source, str | os.PathLike) else list(source)
    documents: list[Document] = []
    problems: list[LoadProblem] = []
    for path in _expand(sources):
        try:
            documents.append(load_file(path, max_bytes=max_bytes))
        except DataError as exc:
            problems.append(LoadProblem(path=str(path), code=exc.code, reason=exc.message))
    check_unique(documents)
    return LoadResult(documents=tuple(documents), problems=tuple(problems))


def load_file(path: PathLike, *, max_bytes: int = _MAX_BYTES) -> Document:
    """Load one file as a :class:`Document`; a file that cannot be used raises :class:`DataError`.

    The error's ``code`` says why: ``unsupported_type``, ``unreadable``, ``too_large``,
    ``empty``, ``binary``, ``not_utf8``, ``front_matter_invalid`` or ``document_invalid``.
    """
    file = Path(path)
    kind = SUPPORTED_SUFFIXES.get(file.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise DataError(
            f"unsupported file type {file.suffix or '(none)'!r}; supported: {known}",
            code="unsupported_type",
        )
    try:
        stat = file.stat()
        if stat.st_size > max_bytes:
            raise DataError(
                f"file is {stat.st_size:,} bytes, over the {max_bytes:,}-byte limit; split it",
                code="too_large",
            )
        data = file.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", code="unreadable") from exc
    text = _decode(data)
    modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
    if kind == "markdown":
        return _markdown(text, file, modified)
    if kind == "html":
        return _html(text, file, modified)
    return _plain(text, file, modified)


def check_unique(documents: Iterable[Document]) -> None:
    """Raise :class:`DataError` (``document_duplicate``) if two documents share id and valid_from."""
    seen: dict[tuple[str, datetime | None], Document] = {}
    for doc in documents:
        key = (doc.id, doc.valid_from)
        first = seen.get(key)
        if first is not None:
            when = doc.valid_from.isoformat() if doc.valid_from else "always"
            raise DataError(
                f"duplicate document id {doc.id!r} (valid_from {when}) in "
                f"{first.source or '<memory>'} and {doc.source or '<memory>'}; give one a "
                f"different 'id:' or, if it is a newer version, a later 'valid_from:'",
                code="document_duplicate",
            )
        seen[key] = doc


def _expand(sources: list[PathLike]) -> list[Path]:
    paths: list[Path] = []
    for source in sources:
        text = os.fspath(source)
        path = Path(text)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in SUPPORTED_SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            paths.extend(found)
        elif path.is_file():
            paths.append(path)
        elif _GLOB_CHARS.search(text):
            matches = sorted(Path(m) for m in glob.glob(text, recursive=True))
            files = [m for m in matches if m.is_file()]
            if not files:
                raise NotFoundError(
                    f"no files match {text!r}; check the pattern (use ** to search sub-folders)",
                    code="documents_not_found",
                )
            paths.extend(files)
        else:
            raise NotFoundError(
                f"{text}: no such file or folder; pass a folder, a file or a glob like 'docs/**/*.md'",
                code="documents_not_found",
            )
    unique: dict[Path, Path] = {}
    for p in paths:
        unique.setdefault(p.resolve(), p)
    return list(unique.values())


def _decode(data: bytes) -> str:
    if not data.strip():
        raise DataError("empty file", code="empty")
    if b"\x00" in data[:8192]:
        raise DataError("binary file (contains NUL bytes), not text", code="binary")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8",
            code="not_utf8",
        ) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise DataError(
            "front matter opened with '---' on line 1 is never closed; add a '---' line after it",
            code="front_matter_invalid",
        )
    fields: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise DataError(
                f"front matter line {number} is not 'key: value': {line.strip()!r}",
                code="front_matter_invalid",
            )
        fields[key.strip().lower()] = _unquote(value.strip())
    return fields, "\n".join(lines[end + 1 :])


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _tags(value: str) -> tuple[str, ...]:
    inner = value.strip()
    if inner.startswith("[") and inner.endswith("]"):
        inner = inner[1:-1]
    return tuple(t for t in (_unquote(part.strip()) for part in inner.split(",")) if t)


def _document(fields: dict[str, str], *, text: str, title: str, file: Path, modified: datetime) -> Document:
    if not text.strip():
        raise DataError("has no text after its front matter", code="empty")
    try:
        valid_from = parse_time(fields["valid_from"]) if fields.get("valid_from") else modified
        valid_to = parse_time(fields["valid_to"]) if fields.get("valid_to") else None
    except ValueError as exc:
        raise DataError(f"front matter: {exc}", code="front_matter_invalid") from None
    metadata: dict[str, str | tuple[str, ...]] = {k: v for k, v in fields.items() if k not in _KNOWN_FIELDS}
    if fields.get("tags"):
        metadata["tags"] = _tags(fields["tags"])
    try:
        return Document(
            id=fields.get("id") or _stem_id(file),
            text=text.strip(),
            title=fields.get("title") or title,
            url=fields.get("url") or None,
            valid_from=valid_from,
            valid_to=valid_to,
            metadata=metadata,
            source=str(file),
        )
    except PydanticValidationError as exc:
        reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'document'}: {e['msg']}" for e in exc.errors())
        raise DataError(reasons, code="document_invalid") from None


def _stem_id(file: Path) -> str:
    return re.sub(r"[\s#]+", "-", file.stem.strip()) or "document"


def _markdown(text: str, file: Path, modified: datetime) -> Document:
    fields, body = _front_matter(text)
    h1 = _H1.search(body)
    title = h1.group(1) if h1 else file.stem
    return _document(fields, text=body, title=title, file=file, modified=modified)


def _plain(text: str, file: Path, modified: datetime) -> Document:
    first = next((line.strip() for line in text.split("\n") if line.strip()), "")
    title = first if 0 < len(first) <= 120 else file.stem
    return _document({}, text=text, title=title, file=file, modified=modified)


def _html(text: str, file: Path, modified: datetime) -> Document:
    page = html_to_text(text)
    fields = {k: v for k, v in page.meta.items() if k in _KNOWN_FIELDS and v}
    title = page.title or page.first_h1 or file.stem
    return _document(fields, text=page.text, title=title, file=file, modified=modified)
