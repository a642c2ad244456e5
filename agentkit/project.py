"""``Project``: the composition root. It loads ``agentkit.toml``, owns the stores and the one read path.

Platform operations (plan, apply, ingest, materialize, push, compact) talk to the Iceberg catalog.
Reads go through :meth:`Project._read`, the single place every feature read passes through;
serving reads need only the online store (which keeps a copy of the applied definitions), so a
fresh process answers without touching the catalog.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from agentkit.config import CONFIG_FILE, ProjectConfig, load_config
from agentkit.errors import AsOfError, NotFoundError, PlanError
from agentkit.features.definitions import AVAILABLE_AT, Definitions, FeatureView, load_definitions
from agentkit.features.offline import OfflineStore, SnapshotInfo
from agentkit.features.online import OnlineRow, OnlineStore, RegistryCopy, open_online_store
from agentkit.features.plan import Plan, diff
from agentkit.features.results import (
    ApplyResult,
    FeatureRow,
    FeatureRows,
    IngestResult,
    MaterializeResult,
    Provenance,
    ViewStatus,
)
from agentkit.features.schema import coerce_table, parse_time, pylist
from agentkit.features.sources import read_data_file

__all__ = ["Applied", "Project", "parse_as_of"]

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
"""``progress(view, done, total)`` callbacks for long operations (the CLI draws a bar)."""


@dataclass(frozen=True, slots=True)
class Applied:
    version: int
    definitions: Definitions
    policy: str | None


def parse_as_of(value: str | datetime | None, *, now: datetime | None = None) -> datetime | None:
    """Validate an ``as_of``: timezone-aware, parsable, not in the future."""
    if value is None:
        return None
    try:
        when = parse_time(value, naive_ok=False)
    except ValueError as exc:
        raise AsOfError(
            f"as_of {value!s}: {exc}"
            if "timezone" in str(exc)
            else f"as_of {value!r} is not an ISO 8601 time; use e.g. 2026-11-01T12:00:00Z",
            code="as_of_invalid",
        ) from exc
    current = now or datetime.now(UTC)
    if when > current + timedelta(seconds=1):
        raise AsOfError(
            f"as_of {when.isoformat()} is in the future (now {current.isoformat(timespec='seconds')}); "
            "a read can only see what was known at a past time",
            code="as_of_future",
        )
    return when


class Project:
    """An agentkit project: its config, definitions, offline and online stores."""

    def __init__(
        self,
        config: ProjectConfig,
        *,
        definitions: Definitions | None = None,
        online: OnlineStore | None = None,
        offline: OfflineStore | None = None,
    ) -> None:
        self.config = config
        self._desired = definitions
        self._online = online
        self._offline = offline
        self._applied: Applied | None = None

    @classmethod
    def load(cls, path: str | Path = CONFIG_FILE) -> Project:
        return cls(load_config(path))

    @property
    def root(self) -> Path:
        return self.config.root

    @property
    def offline(self) -> OfflineStore:
        if self._offline is None:
            self._offline = OfflineStore(self.config)
        return self._offline

    @property
    def online(self) -> OnlineStore:
        if self._online is None:
            self._online = open_online_store(self.config)
        return self._online

    def close(self) -> None:
        if self._online is not None:
            self._online.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- definitions ------------------------------------------------------------------------------

    @property
    def definitions(self) -> Definitions:
        """The definitions on disk (what the next ``apply`` would record)."""
        if self._desired is None:
            self._desired = load_definitions(self.config.resolve(self.config.project.definitions))
        return self._desired

    def applied(self, *, refresh: bool = False) -> Applied:
        """The applied definitions: what reads and the server enforce (not the file on disk)."""
        if self._applied is not None and not refresh:
            return self._applied
        copy = self.online.registry()
        if copy is None or refresh:
            recorded = self.offline.applied()
            if recorded is None:
                raise NotFoundError("nothing has been applied yet; run `agentkit apply` first", code="not_applied")
            copy = RegistryCopy(*recorded)
            self.online.publish_registry(copy)
        self._applied = Applied(copy.version, Definitions.from_json(copy.definitions), copy.policy)
        return self._applied

    def _applied_or_none(self) -> Applied | None:
        recorded = self.offline.applied()
        if recorded is None:
            return None
        return Applied(recorded[0], Definitions.from_json(recorded[1]), recorded[2])

    # --- plan / apply ---------------------------------------------------------------------------------

    def plan(self) -> Plan:
        applied = self._applied_or_none()
        return diff(
            applied.definitions if applied else None,
            self.definitions,
            applied_version=applied.version if applied else None,
        )

    def _policy_json(self) -> str | None:
        """Hook for the governance layer: the policy recorded alongside the definitions."""
        return None

    def apply(self, *, allow_destructive: bool = False) -> ApplyResult:
        """Create and evolve tables to match the definitions, then record them as a new version."""
        plan = self.plan()
        if plan.destructive and not allow_destructive:
            names = ", ".join(f"{c.target} {c.name}" for c in plan.destructive)
            raise PlanError(
                f"apply refused {len(plan.destructive)} destructive change(s): {names}; run "
                "`agentkit plan` to review them and `agentkit apply --allow-destructive` to proceed",
                code="destructive_change",
            )
        policy = self._policy_json()
        applied = self._applied_or_none()
        if plan.empty and applied is not None and applied.policy == policy:
            self.online.publish_registry(RegistryCopy(applied.version, applied.definitions.to_json(), policy))
            return ApplyResult(version=None, changes=0)
        store = self.offline
        desired = self.definitions.by_view()
        created: list[str] = []
        evolved: list[str] = []
        dropped: list[str] = []
        for change in plan.changes:
            view_name = change.name.split(".", 1)[0]
            if change.action == "create_table":
                store.create_table(desired[view_name])
                created.append(view_name)
            elif change.action == "drop_table":
                store.drop_table(view_name)
                self.online.drop(view_name)
                dropped.append(view_name)
            elif change.action == "recreate_table":
                store.drop_table(view_name)
                self.online.drop(view_name)
                store.create_table(desired[view_name])
                created.append(view_name)
            elif change.action == "drop_column":
                store.drop_columns(view_name, [change.name.split(".", 1)[1]])
                evolved.append(view_name)
            elif change.action == "reset_column":
                store.drop_columns(view_name, [change.name.split(".", 1)[1]])
                store.add_columns(desired[view_name])
                evolved.append(view_name)
        for view_name in {c.name.split(".", 1)[0] for c in plan.changes if c.action == "add_column"}:
            store.add_columns(desired[view_name])
            evolved.append(view_name)
        # Tables that should exist but don't (e.g. dropped by hand) are recreated.
        for name, view in desired.items():
            if name not in created and not store.has_table(name):
                store.create_table(view)
                created.append(name)
        definitions_json = self.definitions.to_json()
        version = store.record_apply(definitions_json, policy, note=f"{len(plan.changes)} change(s)")
        self.online.publish_registry(RegistryCopy(version, definitions_json, policy))
        self._applied = None
        return ApplyResult(
            version=version,
            changes=len(plan.changes),
            created=tuple(created),
            evolved=tuple(sorted(set(evolved))),
            dropped=tuple(dropped),
        )

    # --- writes ---------------------------------------------------------------------------------------

    def _platform_view(self, name: str) -> FeatureView:
        return self.applied(refresh=True).definitions.view(name)

    def ingest(
        self,
        view: str,
        data: pa.Table | str | Path,
        *,
        available_at: datetime | str | None = None,
        upsert: bool = False,
    ) -> IngestResult:
        """Validate and append rows to a view's Iceberg table in one atomic commit.

        ``available_at`` backfills history (when the platform could have known the rows); an
        ``_available_at`` column sets it per row. ``upsert`` replaces rows with the same key and
        event time instead of appending.
        """
        fv = self._platform_view(view)
        source = "data"
        offset = 1
        if isinstance(data, (str, Path)):
            source = str(data)
            table, offset = read_data_file(Path(data))
        else:
            table = data
        when = parse_as_of(available_at) if isinstance(available_at, str) else available_at
        rows = coerce_table(
            fv, table, available_at=when, ingested_at=datetime.now(UTC), row_offset=offset, source=source
        )
        snapshot = self.offline.upsert(fv, rows) if upsert else self.offline.append(fv, rows)
        return IngestResult(view, rows.num_rows, snapshot, "upsert" if upsert else "append")

    def push(self, view: str, rows: pa.Table | Sequence[Mapping[str, Any]]) -> IngestResult:
        """Real-time update: append to Iceberg, then merge into the online store at once."""
        fv = self.applied().definitions.view(view)
        table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist([dict(r) for r in rows])
        canonical = coerce_table(fv, table, available_at=None, ingested_at=datetime.now(UTC), source=f"push {view}")
        snapshot = self.offline.append(fv, canonical)
        self.online.write(fv, canonical, snapshot_id=snapshot, replace=False, pushed=True)
        return IngestResult(view, canonical.num_rows, snapshot, "push")

    def materialize(
        self,
        views: Iterable[str] | None = None,
        *,
        full: bool = False,
        progress: Progress | None = None,
    ) -> list[MaterializeResult]:
        """Latest value per key from the current snapshot into the online store.

        Incremental when only appends happened since the recorded snapshot; otherwise (or with
        ``full``) the view is rebuilt from the whole current snapshot.
        """
        applied = self.applied(refresh=True)
        names = list(views) if views is not None else [v.name for v in applied.definitions.views]
        results: list[MaterializeResult] = []
        for i, name in enumerate(names):
            view = applied.definitions.view(name)
            started = time.perf_counter()
            current = self.offline.current_snapshot_id(name)
            state = self.online.state(name)
            recorded = state.snapshot_id if state is not None else None
            mode = "full"
            rows: pa.Table | None = None
            if current is None:
                mode, rows = "up-to-date", None
            elif not full and recorded is not None and state is not None and not state.pushed and recorded == current:
                mode = "up-to-date"
            elif not full and recorded is not None:
                rows = self.offline.scan_appended(view, recorded)
                mode = "incremental" if rows is not None else "full"
            if mode == "full" and current is not None:
                rows = self.offline.scan(view, snapshot_id=current)
            keys = state.rows if state is not None else 0
            if rows is not None:
                keys = self.online.write(view, rows, snapshot_id=current, replace=(mode == "full"))
            results.append(
                MaterializeResult(
                    view=name,
                    snapshot_id=current,
                    mode=mode,
                    rows_read=rows.num_rows if rows is not None else 0,
                    keys=keys,
                    seconds=time.perf_counter() - started,
                )
            )
            if progress is not None:
                progress(name, i + 1, len(names))
        return results

    # --- the read path --------------------------------------------------------------------------------

    def read_features(
        self,
        features: Sequence[str],
        keys: Sequence[str],
        *,
        as_of: datetime | str | None = None,
        snapshots: Mapping[str, int] | None = None,
    ) -> FeatureRows:
        """Unscoped read for platform code: the given keys' values, live or point-in-time.

        Never expose this to an agent-facing surface: it checks no principal, policy or scope.
        """
        return self._read(features, keys, as_of=parse_as_of(as_of), snapshots=snapshots)

    def _read(
        self,
        features: Sequence[str],
        keys: Sequence[str],
        *,
        as_of: datetime | None,
        snapshots: Mapping[str, int] | None = None,
    ) -> FeatureRows:
        """The one place every feature read passes through (scoped reads wrap it)."""
        definitions = self.applied().definitions
        by_view = definitions.resolve(features)
        entities = {definitions.view(v).entity.name for v in by_view}
        if len(entities) > 1:
            raise NotFoundError(
                f"features {', '.join(features)} belong to views of different entities "
                f"({', '.join(sorted(entities))}); read one entity per call",
                code="mixed_entities",
            )
        entity = entities.pop()
        refs = tuple(f"{v}.{f}" for v, names in by_view.items() for f in names)
        unique_keys = list(dict.fromkeys(keys))
        found: dict[str, dict[str, Any]] = {k: {} for k in unique_keys}
        provenance: dict[str, list[Provenance]] = {k: [] for k in unique_keys}
        pinned = dict(snapshots or {})
        for view_name, names in by_view.items():
            view = definitions.view(view_name)
            if as_of is None and view_name not in pinned:
                snapshot = self._online_snapshot(view_name)
                rows = self.online.read(view, unique_keys, names)
                self._collect(view, names, rows, snapshot, "online", found, provenance)
            else:
                rows = self._offline_rows(view, names, unique_keys, as_of, pinned.get(view_name))
                self._collect(view, names, rows[1], rows[0], "offline", found, provenance)
        out: list[FeatureRow] = []
        missing: list[str] = []
        for key in unique_keys:
            if not provenance[key]:
                missing.append(key)
                continue
            values = {ref: found[key].get(ref) for ref in refs}
            out.append(FeatureRow(key, values, tuple(provenance[key])))
        return FeatureRows(entity, refs, tuple(out), tuple(missing), as_of)

    def _online_snapshot(self, view_name: str) -> int | None:
        state = self.online.state(view_name)
        return state.snapshot_id if state is not None else None

    def _offline_rows(
        self,
        view: FeatureView,
        names: Sequence[str],
        keys: Sequence[str],
        as_of: datetime | None,
        snapshot: int | None,
    ) -> tuple[int | None, list[OnlineRow | None]]:
        snapshot_id = snapshot if snapshot is not None else self.offline.current_snapshot_id(view.name)
        if snapshot_id is None:
            return None, [None] * len(keys)
        table = self.offline.point_in_time(view, keys, as_of=as_of, snapshot_id=snapshot_id)
        by_key: dict[str, OnlineRow] = {}
        cols = [pylist(table.column(n)) if n in table.column_names else [None] * table.num_rows for n in names]
        key_col: list[str] = pylist(table.column(view.key))
        event: list[datetime] = pylist(table.column(view.timestamp_field))
        avail: list[datetime] = pylist(table.column(AVAILABLE_AT))
        for i, key in enumerate(key_col):
            by_key[key] = OnlineRow(key, tuple(c[i] for c in cols), event[i], avail[i])
        return snapshot_id, [by_key.get(k) for k in keys]

    @staticmethod
    def _collect(
        view: FeatureView,
        names: Sequence[str],
        rows: Sequence[OnlineRow | None],
        snapshot: int | None,
        source: str,
        found: dict[str, dict[str, Any]],
        provenance: dict[str, list[Provenance]],
    ) -> None:
        converters = [view.feature(n).dtype == "duration" for n in names]
        for row in rows:
            if row is None:
                continue
            target = found[row.key]
            for name, value, is_duration in zip(names, row.values, converters, strict=True):
                target[f"{view.name}.{name}"] = timedelta(seconds=value) if is_duration and value is not None else value
            provenance[row.key].append(Provenance(view.name, snapshot, row.event_time, row.available_at, source))

    # --- inspection and maintenance --------------------------------------------------------------------

    def history(self, view: str) -> list[SnapshotInfo]:
        self._platform_view(view)
        return self.offline.snapshots(view)

    def status(self, *, now: datetime | None = None) -> list[ViewStatus]:
        applied = self.applied(refresh=True)
        current_time = now or datetime.now(UTC)
        out: list[ViewStatus] = []
        for view in applied.definitions.views:
            snaps = self.offline.snapshots(view.name)
            current = self.offline.current_snapshot_id(view.name)
            latest: datetime | None = None
            rows = 0
            if current is not None:
                data = self.offline.scan(view, columns=[view.timestamp_field])
                rows = data.num_rows
                if rows:
                    times: list[datetime] = pylist(data.column(view.timestamp_field))
                    latest = max(times)
            state = self.online.state(view.name)
            age = current_time - latest if latest is not None else None
            stale = view.freshness is not None and (age is None or age > view.freshness)
            out.append(
                ViewStatus(
                    view=view.name,
                    rows=rows,
                    snapshots=len(snaps),
                    current_snapshot=current,
                    latest_event_time=latest,
                    materialized_snapshot=state.snapshot_id if state else None,
                    online_keys=state.rows if state else 0,
                    freshness=view.freshness,
                    age=age,
                    stale=stale,
                    behind=bool(current is not None and (state is None or state.snapshot_id != current)),
                )
            )
        return out

    def protected_snapshots(self, view: str) -> set[int]:
        """Snapshots that must survive expiry (materialization; governance adds audit refs)."""
        state = self.online.state(view)
        return {state.snapshot_id} if state is not None and state.snapshot_id is not None else set()

    def compact(self, views: Iterable[str] | None = None, *, now: datetime | None = None) -> list[dict[str, Any]]:
        """Rewrite small files and expire snapshots older than the configured retention."""
        applied = self.applied(refresh=True)
        names = list(views) if views is not None else [v.name for v in applied.definitions.views]
        cutoff = (now or datetime.now(UTC)) - self.config.offline.snapshot_retention
        report: list[dict[str, Any]] = []
        for name in names:
            view = applied.definitions.view(name)
            before, after = self.offline.compact(view)
            expired = self.offline.expire_snapshots(name, cutoff, self.protected_snapshots(name))
            report.append({"view": name, "files_before": before, "files_after": after, "snapshots_expired": expired})
        return report
