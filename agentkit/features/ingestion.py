"""Ingest: read a data file, validate it against a view, apply the ingest rules, commit once.

The rules, between validation (:func:`~agentkit.features.schema.coerce_table`) and the commit:

- **Times that lie.** An event time or an ``_available_at`` later than now plus ``[offline]
  future_tolerance`` is refused, naming the first such row, unless the ingest allows
  deliberately future-dated data (``allow_future``). Materialization never serves such a row
  before its time (:mod:`agentkit.features.materialization`).
- **Duplicates.** Two rows of one ingest with the same key and event time are refused, naming
  them; with ``dedupe`` the last of each (in file order) is kept and the others are dropped. The
  rule is the same for an append and an ``upsert`` (which then replaces stored rows with the same
  key and event time by the file's one row). The check is a hash table over (key, event time):
  its memory grows with the rows of one ingest, like the rows themselves.
- **Identical rows.** The content hash of the validated rows — key, event time, features, and the
  availability only when it was given (``available_at`` or an ``_available_at`` column), never
  the file's name or the ingest time — is recorded in the Iceberg snapshot summary. Ingesting
  rows whose hash a snapshot in the table's history already records is a no-op that says so,
  unless a later upsert may have replaced those rows. The record lives as long as its snapshot
  (``compact`` expires snapshots older than ``[offline] snapshot_retention``); two identical
  ingests racing each other may both land, which newest-wins reads make harmless.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from agentkit.errors import DataError, shown
from agentkit.features._arrow import not_after, pylist
from agentkit.features.definitions import AVAILABLE_AT, INGESTED_AT, FeatureView
from agentkit.features.offline import OfflineStore
from agentkit.features.results import IngestResult
from agentkit.features.schema import coerce_table
from agentkit.features.sources import read_data_file

__all__ = ["CONTENT_HASH", "PreparedRows", "commit_rows", "ingest_rows", "prepare_rows", "refuse_future"]

CONTENT_HASH = "agentkit.content-sha256"
"""Snapshot summary property: the content hash of the rows the snapshot added."""
MODE = "agentkit.mode"
"""Snapshot summary property: ``append`` or ``upsert``."""
_SLICE = 65_536


@dataclass(frozen=True, slots=True)
class PreparedRows:
    """Validated rows in the view's canonical schema, ready to commit."""

    rows: pa.Table
    content_hash: str
    duplicates_dropped: int


def ingest_rows(
    store: OfflineStore,
    view: FeatureView,
    data: pa.Table | Path,
    *,
    available_at: datetime | None,
    now: datetime,
    tolerance: timedelta,
    upsert: bool = False,
    dedupe: bool = False,
    allow_future: bool = False,
) -> IngestResult:
    """Read (a file), validate, apply the rules and commit ``data`` into ``view``'s table."""
    source, offset = "data", 1
    if isinstance(data, Path):
        source = str(data)
        table, offset = read_data_file(data)
    else:
        table = data
    prepared = prepare_rows(
        view,
        table,
        available_at=available_at,
        now=now,
        tolerance=tolerance,
        allow_future=allow_future,
        dedupe=dedupe,
        row_offset=offset,
        source=source,
    )
    snapshot, written = commit_rows(store, view, prepared, upsert=upsert)
    return IngestResult(
        view.name,
        prepared.rows.num_rows,
        snapshot,
        "upsert" if upsert else "append",
        already_ingested=not written,
        duplicates_dropped=prepared.duplicates_dropped,
    )


def prepare_rows(
    view: FeatureView,
    table: pa.Table,
    *,
    available_at: datetime | None,
    now: datetime,
    tolerance: timedelta,
    allow_future: bool = False,
    dedupe: bool = False,
    row_offset: int = 1,
    source: str = "data",
) -> PreparedRows:
    """Validate ``table`` (ingested at ``now``) and apply the ingest rules of the module docstring."""
    rows = coerce_table(view, table, available_at=available_at, ingested_at=now, row_offset=row_offset, source=source)
    if not allow_future:
        refuse_future(view, rows, now=now, tolerance=tolerance, row_offset=row_offset, source=source)
    rows, dropped = _duplicates(view, rows, dedupe=dedupe, row_offset=row_offset, source=source)
    explicit = available_at is not None or AVAILABLE_AT in table.column_names
    return PreparedRows(rows, content_hash(rows, with_availability=explicit), dropped)


def refuse_future(
    view: FeatureView, rows: pa.Table, *, now: datetime, tolerance: timedelta, row_offset: int = 1, source: str = "data"
) -> None:
    """Raise when an event time or availability of canonical ``rows`` lies beyond ``now + tolerance``."""
    for column in (view.timestamp_field, AVAILABLE_AT):
        values = rows.column(column)
        late = [not ok for ok in pylist(not_after(values, now + tolerance))]
        if not any(late):
            continue
        first = late.index(True)
        value: datetime = values[first].as_py()
        raise DataError(
            f"{source}: row {first + row_offset}: column '{column}' is {value.isoformat()}, later than now "
            f"({now.isoformat(timespec='seconds')}) plus [offline] future_tolerance ({tolerance}); "
            f"{sum(late)} row(s) lie in the future. Check the source's clock and time zone, or pass "
            "--allow-future (Project.ingest(..., allow_future=True)) for deliberately future-dated rows",
            code="data_future_time",
        )


def _duplicates(
    view: FeatureView, rows: pa.Table, *, dedupe: bool, row_offset: int, source: str
) -> tuple[pa.Table, int]:
    """Refuse rows that repeat a (key, event time) of the same ingest, or keep the last of each."""
    if rows.num_rows < 2:
        return rows, 0
    key, ts = view.key, view.timestamp_field
    indexed = rows.select([key, ts]).append_column("_row", pa.array(range(rows.num_rows), type=pa.int64()))
    groups = indexed.group_by([key, ts], use_threads=False).aggregate([("_row", "max"), ("_row", "count")])
    if groups.num_rows == rows.num_rows:
        return rows, 0
    if dedupe:
        last: list[int] = sorted(pylist(groups.column("_row_max")))
        return rows.take(pa.array(last, type=pa.int64())), rows.num_rows - len(last)
    counts: list[int] = pylist(groups.column("_row_count"))
    lasts: list[int] = pylist(groups.column("_row_max"))
    repeated = min(last for last, count in zip(lasts, counts, strict=True) if count > 1)
    dup_key: str = rows.column(key)[repeated].as_py()
    dup_time: datetime = rows.column(ts)[repeated].as_py()
    keys: list[str] = pylist(rows.column(key))
    times: list[datetime] = pylist(rows.column(ts))
    same = [i + row_offset for i, (k, t) in enumerate(zip(keys, times, strict=True)) if k == dup_key and t == dup_time]
    shown_rows = " and ".join(str(n) for n in same[:2]) + (f" (and {len(same) - 2} more)" if len(same) > 2 else "")
    extra = rows.num_rows - groups.num_rows - (len(same) - 1)
    raise DataError(
        f"{source}: rows {shown_rows} have the same {key} {shown(dup_key)} and {ts} {dup_time.isoformat()}"
        + (f"; {extra} more row(s) repeat another row's key and event time" if extra else "")
        + ". Keep one row per key and event time, or pass --dedupe (Project.ingest(..., dedupe=True)) "
        "to keep the last of each",
        code="data_duplicate_rows",
    )


def content_hash(rows: pa.Table, *, with_availability: bool) -> str:
    """SHA-256 of the validated rows' values, column by column in fixed slices (independent of how
    the rows were chunked or which file they came from); the ingest time never counts."""
    digest = hashlib.sha256(b"agentkit-rows-v1\x1f")
    for name, column in zip(rows.column_names, rows.columns, strict=True):
        if name == INGESTED_AT or (name == AVAILABLE_AT and not with_availability):
            continue
        digest.update(f"{name}\x1f{column.type}\x1f".encode())
        canonical = _canonical(column)
        for start in range(0, len(canonical), _SLICE):
            digest.update(repr(pylist(canonical.slice(start, _SLICE))).encode())
    return digest.hexdigest()


def _canonical(column: pa.ChunkedArray[Any]) -> pa.ChunkedArray[Any]:
    """A column whose Python values are cheap to build and exact (times as integer microseconds)."""
    if pa.types.is_timestamp(column.type):
        return column.cast(pa.int64())
    if pa.types.is_date(column.type):
        return column.cast(pa.int32())
    if pa.types.is_decimal(column.type):
        return column.cast(pa.string())
    return column


def commit_rows(store: OfflineStore, view: FeatureView, prepared: PreparedRows, *, upsert: bool) -> tuple[int, bool]:
    """Commit prepared rows in one atomic commit (retried on conflicts), recording their content
    hash; returns (snapshot id, written). Nothing is written when the table's history already has
    these rows and no later upsert may have replaced them."""
    properties = {CONTENT_HASH: prepared.content_hash, MODE: "upsert" if upsert else "append"}

    def go() -> tuple[int, bool]:
        tbl = store.table(view.name)
        snap = tbl.current_snapshot()
        while snap is not None:
            summary = snap.summary.additional_properties if snap.summary is not None else {}
            if summary.get(CONTENT_HASH) == prepared.content_hash:
                return snap.snapshot_id, False
            if summary.get(MODE) == "upsert":
                break  # it may have replaced older rows: ingesting them again restores them
            parent = snap.parent_snapshot_id
            snap = tbl.snapshot_by_id(parent) if parent is not None else None
        data = prepared.rows.cast(tbl.schema().as_arrow().empty_table().select(prepared.rows.column_names).schema)
        if upsert:
            tbl.upsert(data, join_cols=[view.key, view.timestamp_field], snapshot_properties=properties)
        else:
            tbl.append(data, snapshot_properties=properties)
        current = tbl.current_snapshot()
        assert current is not None
        return current.snapshot_id, True

    return store.retrying(f"{'upsert' if upsert else 'ingest'} into {view.name}", go)
