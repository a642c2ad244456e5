"""The online store: the latest row per key of each view, for point reads in microseconds.

Two implementations share the :class:`OnlineStore` protocol (:mod:`agentkit.features.online_store`,
re-exported here) and one conformance suite:

- :class:`LocalOnlineStore` (embedded default): one Arrow IPC file per view under
  ``.agentkit/online/``. A process memory-maps it in milliseconds and answers point reads from a
  key → row index plus lazily decoded Python columns, never a per-request query. Writes take a file
  lock, merge, and atomically replace the file; readers notice the new file on their next read.
  A writer killed half way leaves only its temporary file (the view file and the key index built
  from it stay whole): ``state`` reports it as ``interrupted_at`` and the next write removes it.
- ``RedisOnlineStore`` (``agentkit.features.online_redis``): one hash per view, for several
  serving replicas.

Rows merge by "newest wins" on (event time, availability time, ingest time), so re-applying the
same rows is idempotent and an older row never overwrites a newer one.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from agentkit.config import ProjectConfig
from agentkit.errors import OnlineStoreError
from agentkit.features._arrow import AnyArray, nulls, pylist
from agentkit.features.definitions import AVAILABLE_AT, FeatureView
from agentkit.features.offline import latest_per_key
from agentkit.features.online_store import (
    EPOCH,
    OnlineRow,
    OnlineStore,
    RegistryCopy,
    ViewState,
    micros_to_datetime,
)
from agentkit.features.schema import arrow_schema
from agentkit.redaction import redact

__all__ = [
    "LocalOnlineStore",
    "OnlineRow",
    "OnlineStore",
    "RegistryCopy",
    "ViewState",
    "open_online_store",
]


def open_online_store(config: ProjectConfig) -> OnlineStore:
    store = config.online.store
    if store == "local":
        return LocalOnlineStore(config.online_path)
    if store.startswith(("redis://", "rediss://", "unix://")):
        from agentkit.features.online_redis import RedisOnlineStore

        online = config.online
        return RedisOnlineStore(store, prefix=online.key_prefix, batch_size=online.batch_size, timeout=online.timeout)
    raise OnlineStoreError(
        f'[online] store = {redact(store)!r} is not supported; use "local" or "redis://host:6379/0"',
        code="online_store_invalid",
    )


# --- the local file store -------------------------------------------------------------------------

_META_KEY = b"agentkit"


class _LoadedView:
    """A memory-mapped view file with its key index and decoded columns (built on demand)."""

    __slots__ = ("columns", "identity", "index", "reverse", "state", "table", "timestamps")
    index: dict[str, int]
    columns: dict[str, list[Any]]
    reverse: dict[str, dict[Any, list[str]]]
    timestamps: frozenset[str]

    def __init__(self, table: pa.Table, identity: tuple[int, int, int], state: ViewState, key: str) -> None:
        self.table = table
        self.identity = identity
        self.state = state
        keys: list[str] = pylist(table.column(key))
        self.index = dict(zip(keys, range(len(keys)), strict=True))
        self.columns = {}
        self.reverse = {}
        schema = table.schema
        self.timestamps = frozenset(
            name for name, type_ in zip(schema.names, schema.types, strict=True) if pa.types.is_timestamp(type_)
        )

    def keys_where(self, column: str, value: Any, key: str) -> list[str]:
        rev: dict[Any, list[str]] | None = self.reverse.get(column)
        if rev is None:
            rev = {}
            for k, v in zip(self.column(key), self.column(column), strict=True):
                rev.setdefault(v, []).append(k)
            self.reverse[column] = rev
        return rev.get(value, [])

    def column(self, name: str) -> list[Any]:
        """A column as a Python list. Timestamps stay integer microseconds here (converting a
        whole column to datetimes costs ~3 µs a value); readers convert only the rows they return."""
        col = self.columns.get(name)
        if col is None:
            if name not in self.table.column_names:
                col = [None] * self.table.num_rows
            elif name in self.timestamps:
                col = self.table.column(name).cast(pa.int64()).to_pylist()
            else:
                col = self.table.column(name).to_pylist()
            self.columns[name] = col
        return col


class LocalOnlineStore:
    """One Arrow IPC file per view; point reads from memory. Safe across processes."""

    def __init__(self, path: Path) -> None:
        self._dir = path
        self._loaded: dict[str, _LoadedView] = {}
        self._paths: dict[str, str] = {}

    def _file(self, view_name: str) -> Path:
        return self._dir / f"{view_name}.arrow"

    @contextmanager
    def _lock(self, name: str) -> Generator[None]:
        self._dir.mkdir(parents=True, exist_ok=True)
        with open(self._dir / f".{name}.lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _load(self, view: FeatureView) -> _LoadedView | None:
        path = self._paths.get(view.name)
        if path is None:
            path = self._paths[view.name] = str(self._file(view.name))
        try:
            st = os.stat(path)
        except FileNotFoundError:
            self._loaded.pop(view.name, None)
            return None
        identity = (st.st_ino, st.st_mtime_ns, st.st_size)
        loaded = self._loaded.get(view.name)
        if loaded is not None and loaded.identity == identity:
            return loaded
        try:
            with pa.memory_map(str(path)) as source:
                table = pa.ipc.open_file(source).read_all()
        except (OSError, pa.ArrowInvalid) as exc:
            raise OnlineStoreError(
                f"online file {path} is unreadable ({exc}); rebuild it with `agentkit materialize --full`",
                code="online_store_corrupt",
            ) from exc
        loaded = _LoadedView(table, identity, _state_from(table.schema.metadata), view.key)
        self._loaded[view.name] = loaded
        return loaded

    def write(
        self,
        view: FeatureView,
        rows: pa.Table,
        *,
        snapshot_id: int | None,
        replace: bool,
        pushed: bool = False,
    ) -> int:
        schema = arrow_schema(view)
        rows = _conform(rows, schema)
        with self._lock(view.name):
            for stale in self._leftovers(view.name):  # half-written by a writer that died (we hold the lock)
                stale.unlink(missing_ok=True)
            previous = None if replace else self._read_file(view.name)
            prev_state = _state_from(previous.schema.metadata) if previous is not None else None
            if previous is not None and previous.num_rows:
                merged = latest_per_key(pa.concat_tables([_conform(previous, schema), rows]), view)
            else:
                merged = latest_per_key(rows, view) if rows.num_rows else rows
            if pushed and prev_state is not None:
                snapshot_id = prev_state.snapshot_id
            state = {
                "snapshot_id": snapshot_id,
                "materialized_at": datetime.now().astimezone().isoformat(),
                "rows": merged.num_rows,
                "pushed": pushed,
            }
            merged = merged.replace_schema_metadata({_META_KEY: json.dumps(state).encode()})
            self._atomic_write(self._file(view.name), merged)
        return merged.num_rows

    def _read_file(self, view_name: str) -> pa.Table | None:
        path = self._file(view_name)
        if not path.exists():
            return None
        with pa.memory_map(str(path)) as source:
            return pa.ipc.open_file(source).read_all()

    def _atomic_write(self, path: Path, table: pa.Table) -> None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a power cut
        finally:
            os.close(directory)

    def _leftovers(self, view_name: str) -> list[Path]:
        """Temporary files of a view's writers (a killed writer leaves its own behind)."""
        return sorted(self._dir.glob(f".{view_name}.arrow.*.tmp"))

    def _interrupted(self, view_name: str) -> datetime | None:
        """When a writer that died left its temporary file (``None`` when none, or while one writes)."""
        leftovers = self._leftovers(view_name)
        if not leftovers:
            return None
        with open(self._dir / f".{view_name}.lock", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None  # a live writer holds the lock: its file is work in progress
            fcntl.flock(handle, fcntl.LOCK_UN)
        times: list[datetime] = []
        for path in leftovers:
            try:
                times.append(datetime.fromtimestamp(path.stat().st_mtime, UTC))
            except FileNotFoundError:  # removed meanwhile by the next writer
                continue
        return min(times, default=None)

    def read(self, view: FeatureView, keys: Sequence[str], features: Sequence[str]) -> list[OnlineRow | None]:
        return self.read_with_snapshot(view, keys, features)[1]

    def read_with_snapshot(
        self, view: FeatureView, keys: Sequence[str], features: Sequence[str]
    ) -> tuple[int | None, list[OnlineRow | None]]:
        loaded = self._load(view)
        if loaded is None:
            return None, [None] * len(keys)
        index = loaded.index
        columns = [loaded.column(f) for f in features]
        ts = loaded.timestamps
        convert = [f in ts for f in features]
        any_ts = any(convert)
        event = loaded.column(view.timestamp_field)
        avail = loaded.column(AVAILABLE_AT)
        epoch, delta, row_type = EPOCH, timedelta, OnlineRow
        out: list[OnlineRow | None] = []
        append = out.append
        for key in keys:
            i = index.get(key)
            if i is None:
                append(None)
                continue
            if any_ts:
                values = tuple(
                    micros_to_datetime(col[i]) if conv else col[i] for col, conv in zip(columns, convert, strict=True)
                )
            else:
                values = tuple([col[i] for col in columns])
            append(row_type(key, values, epoch + delta(microseconds=event[i]), epoch + delta(microseconds=avail[i])))
        return loaded.state.snapshot_id, out

    def keys_where(self, view: FeatureView, column: str, value: str) -> list[str]:
        loaded = self._load(view)
        return [] if loaded is None else list(loaded.keys_where(column, value, view.key))

    def state(self, view_name: str) -> ViewState | None:
        interrupted = self._interrupted(view_name)
        path = self._file(view_name)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return None if interrupted is None else ViewState(None, None, 0, interrupted_at=interrupted)
        loaded = self._loaded.get(view_name)
        if loaded is not None and loaded.identity == (st.st_ino, st.st_mtime_ns, st.st_size):
            state = loaded.state
        else:
            with pa.memory_map(str(path)) as source:
                state = _state_from(pa.ipc.open_file(source).schema.metadata)
        return state if interrupted is None else dataclasses.replace(state, interrupted_at=interrupted)

    def drop(self, view_name: str) -> None:
        with self._lock(view_name):
            self._file(view_name).unlink(missing_ok=True)
        self._loaded.pop(view_name, None)

    def publish_registry(self, copy: RegistryCopy) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        path = self._dir / "_registry.json"
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"version": copy.version, "definitions": copy.definitions, "policy": copy.policy}))
        os.replace(tmp, path)

    def registry(self) -> RegistryCopy | None:
        path = self._dir / "_registry.json"
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise OnlineStoreError(f"{path} is unreadable ({exc}); run `agentkit apply` again") from exc
        return RegistryCopy(int(data["version"]), str(data["definitions"]), data.get("policy"))

    def close(self) -> None:
        self._loaded.clear()


def _state_from(metadata: dict[bytes, bytes] | None) -> ViewState:
    raw = (metadata or {}).get(_META_KEY)
    if raw is None:
        return ViewState(None, None, 0)
    data = json.loads(raw)
    when = data.get("materialized_at")
    return ViewState(
        snapshot_id=data.get("snapshot_id"),
        materialized_at=datetime.fromisoformat(when) if when else None,
        rows=int(data.get("rows", 0)),
        pushed=bool(data.get("pushed", False)),
    )


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Project ``table`` onto ``schema`` (new features read as null; dropped ones disappear)."""
    arrays: list[AnyArray] = []
    present = set(table.column_names)
    for name, type_ in zip(schema.names, schema.types, strict=True):
        arrays.append(table.column(name).cast(type_) if name in present else nulls(table.num_rows, type_))
    return pa.Table.from_arrays(arrays, schema=schema)
