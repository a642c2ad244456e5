"""Maintenance of the offline store's tables: status, compaction, snapshot expiry and orphan files.

All act through :class:`~agentkit.features.offline.OfflineStore` (pyiceberg stays behind it):
compaction commits with the store's retry on conflicts; expiry never removes the current snapshot
or any snapshot the caller protects (materialization, audit references); orphan removal deletes only
data files that no snapshot references and that are older than a safety age (an ingest writes its
files before it commits, so a younger file may belong to one still in flight).
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any, cast
from urllib.parse import urlparse

import pyarrow.fs as pafs

from agentkit.features.definitions import FeatureView
from agentkit.features.offline import OfflineStore
from agentkit.features.online import OnlineStore
from agentkit.features.results import ViewStatus
from agentkit.features.schema import pylist

__all__ = ["compact_table", "expire_snapshots", "remove_orphan_files", "view_status"]


def compact_table(store: OfflineStore, view: FeatureView) -> tuple[int, int]:
    """Rewrite a view's current data into as few files as possible; returns (files before, after)."""

    def go() -> tuple[int, int]:
        tbl = store.table(view.name)
        before = len(tbl.inspect.data_files())
        if before <= 1:
            return before, before
        data = tbl.scan().to_arrow()
        tbl.overwrite(data)
        return before, len(store.table(view.name).inspect.data_files())

    return store.retrying(f"compact {view.name}", go)


def expire_snapshots(store: OfflineStore, view_name: str, older_than: datetime, keep: set[int]) -> int:
    """Expire snapshots older than ``older_than`` except the current one and ``keep``; returns how many."""
    tbl = store.table(view_name)
    current = tbl.current_snapshot()
    protected = set(keep)
    if current is not None:
        protected.add(current.snapshot_id)
    cutoff_ms = older_than.timestamp() * 1000
    victims = [s.snapshot_id for s in tbl.snapshots() if s.timestamp_ms < cutoff_ms and s.snapshot_id not in protected]
    if victims:
        tbl.maintenance.expire_snapshots().by_ids(victims).commit()
    return len(victims)


def remove_orphan_files(store: OfflineStore, view_name: str, *, older_than: datetime) -> int:
    """Delete the files under the view's data folder that no snapshot references and that were
    last written before ``older_than`` (what killed ingests leave); returns how many."""
    tbl = store.table(view_name)
    referenced = {_path_of(uri) for uri in pylist(tbl.inspect.all_files().column("file_path"))}
    fs, root = _filesystem(tbl.io, tbl.location_provider().data_path)
    removed = 0
    for info in fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True)):
        mtime = info.mtime
        if info.type != pafs.FileType.File or info.path in referenced or mtime is None or mtime >= older_than:
            continue
        fs.delete_file(info.path)
        removed += 1
    return removed


def _path_of(uri: str) -> str:
    """A location as its file system names it (``file:///a/b`` -> ``/a/b``, ``s3://b/k`` -> ``b/k``)."""
    parsed = urlparse(uri)
    if not parsed.scheme:
        return os.path.abspath(uri)
    return parsed.path if parsed.scheme == "file" else f"{parsed.netloc}{parsed.path}"


def _filesystem(io: Any, location: str) -> tuple[pafs.FileSystem, str]:
    """The file system under ``location``: the table's own (with the catalog's credentials) when its
    IO is pyiceberg's PyArrow one, else resolved from the URI."""
    by_scheme = getattr(io, "fs_by_scheme", None)
    if callable(by_scheme):
        parsed = urlparse(location)
        return cast(pafs.FileSystem, by_scheme(parsed.scheme or "file", parsed.netloc)), _path_of(location)
    fs, path = pafs.FileSystem.from_uri(location)
    return fs, path


def view_status(offline: OfflineStore, online: OnlineStore, view: FeatureView, *, now: datetime) -> ViewStatus:
    """Rows, snapshots, freshness at ``now`` and materialization state of one view."""
    snaps = offline.snapshots(view.name)
    current = offline.current_snapshot_id(view.name)
    latest: datetime | None = None
    rows = 0
    if current is not None:
        data = offline.scan(view, columns=[view.timestamp_field])
        rows = data.num_rows
        if rows:
            times: list[datetime] = pylist(data.column(view.timestamp_field))
            latest = max((t for t in times if t <= now), default=None)  # a future-dated row is not fresh data
    state = online.state(view.name)
    age = now - latest if latest is not None else None
    return ViewStatus(
        view=view.name,
        rows=rows,
        snapshots=len(snaps),
        current_snapshot=current,
        latest_event_time=latest,
        materialized_snapshot=state.snapshot_id if state else None,
        online_keys=state.rows if state else 0,
        freshness=view.freshness,
        age=age,
        stale=view.freshness is not None and (age is None or age > view.freshness),
        behind=bool(current is not None and (state is None or state.snapshot_id != current)),
        interrupted_at=state.interrupted_at if state else None,
    )
