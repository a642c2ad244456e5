"""The offline store: one Apache Iceberg table per feature view (pyiceberg), queried with DuckDB.

pyiceberg and DuckDB stay behind this module. Every commit is atomic (Iceberg's optimistic
concurrency); a commit that loses a race is retried on fresh metadata, so two processes ingesting
at once neither lose nor duplicate rows.

Point-in-time semantics (DESIGN.md): a read ``as_of`` t returns, per key, the latest row with
event time <= t and availability time <= t. Reads can be pinned to an Iceberg snapshot id.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa

from agentkit.config import ProjectConfig
from agentkit.errors import CatalogError, NotFoundError
from agentkit.features.definitions import AVAILABLE_AT, INGESTED_AT, FeatureView
from agentkit.features.schema import TS_TYPE, arrow_schema, pylist
from agentkit.redaction import redact

if TYPE_CHECKING:
    import duckdb
    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table

__all__ = ["OfflineStore", "SnapshotInfo", "latest_per_key"]

log = logging.getLogger(__name__)
T = TypeVar("T")

REGISTRY_TABLE = "_registry"
REGISTRY_SCHEMA = pa.schema(
    [
        pa.field("version", pa.int64(), nullable=False),
        pa.field("applied_at", TS_TYPE, nullable=False),
        pa.field("definitions", pa.string(), nullable=False),
        pa.field("policy", pa.string()),
        pa.field("note", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    snapshot_id: int
    committed_at: datetime
    operation: str
    added_rows: int | None
    total_rows: int | None


def duckdb_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that cannot touch files or the network (only registered Arrow)."""
    import duckdb

    return duckdb.connect(config={"enable_external_access": False, "threads": 1})


def latest_per_key(table: pa.Table, view: FeatureView, *, as_of: datetime | None = None) -> pa.Table:
    """Per key, the latest row by (event time, availability, ingest); optionally as of ``as_of``."""
    con = duckdb_connection()
    try:
        con.register("rows", table)
        key, ts = _q(view.key), _q(view.timestamp_field)
        where = ""
        params: list[Any] = []
        if as_of is not None:
            where = f"WHERE {ts} <= $1 AND {_q(AVAILABLE_AT)} <= $1"
            params.append(as_of)
        sql = (
            f"SELECT * EXCLUDE (_agentkit_rn) FROM (SELECT *, row_number() OVER (PARTITION BY {key} "
            f"ORDER BY {ts} DESC, {_q(AVAILABLE_AT)} DESC, {_q(INGESTED_AT)} DESC) AS _agentkit_rn "
            f"FROM rows {where}) WHERE _agentkit_rn = 1"
        )
        return con.sql(sql, params=params or None).to_arrow_table()
    finally:
        con.close()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class OfflineStore:
    """Iceberg tables of a project's feature views (plus the registry of applied definitions)."""

    def __init__(self, config: ProjectConfig) -> None:
        self._config = config
        self._catalog_obj: Catalog | None = None

    # --- catalog -------------------------------------------------------------------------------

    @property
    def namespace(self) -> str:
        return self._config.offline.namespace

    def catalog(self) -> Catalog:
        if self._catalog_obj is None:
            self._catalog_obj = self._connect()
        return self._catalog_obj

    def _connect(self) -> Catalog:
        from pyiceberg.catalog import load_catalog

        uri = self._config.catalog_uri
        props: dict[str, str] = {"uri": uri, "warehouse": self._config.warehouse_uri}
        props.update(self._config.offline.catalog_properties)
        if uri.startswith(("http://", "https://")):
            props["type"] = "rest"
        elif uri.startswith(("sqlite", "postgresql", "mysql")):
            props["type"] = "sql"
            if uri.startswith("sqlite:///") and uri != "sqlite:///:memory:":
                from pathlib import Path

                Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            if self._config.warehouse_uri.startswith("file://"):
                from pathlib import Path

                Path(self._config.warehouse_uri.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
        else:
            raise CatalogError(
                f"catalog URI {redact(uri)!r} is not supported; use sqlite:///..., "
                "postgresql+psycopg2://... or an http(s):// Iceberg REST catalog",
                code="catalog_uri_invalid",
            )
        try:
            catalog = load_catalog(self._config.offline.catalog_name, **props)
            self._ensure_namespace(catalog)
        except CatalogError:
            raise
        except Exception as exc:  # driver errors vary by backend; all mean 'cannot reach it'
            raise CatalogError(
                f"cannot reach the Iceberg catalog at {redact(uri)}: {type(exc).__name__}: "
                f"{redact(str(exc).splitlines()[0]) if str(exc) else ''} — check [offline] catalog in "
                "agentkit.toml and that the server is running",
                code="catalog_unreachable",
            ) from exc
        return catalog

    def _ensure_namespace(self, catalog: Catalog) -> None:
        try:
            catalog.create_namespace_if_not_exists(self.namespace)
        except Exception:
            # Two processes creating it at once: the loser's insert fails; the namespace exists.
            if not catalog.namespace_exists(self.namespace):
                raise

    def _ident(self, name: str) -> str:
        return f"{self.namespace}.{name}"

    def table(self, view_name: str) -> Table:
        from pyiceberg.exceptions import NoSuchTableError

        try:
            return self.catalog().load_table(self._ident(view_name))
        except NoSuchTableError:
            raise NotFoundError(
                f"feature view '{view_name}' has no table yet; run `agentkit apply`",
                code="table_not_found",
            ) from None

    def has_table(self, view_name: str) -> bool:
        return self.catalog().table_exists(self._ident(view_name))

    def table_names(self) -> list[str]:
        return sorted(
            ident[-1] for ident in self.catalog().list_tables(self.namespace) if not ident[-1].startswith("_")
        )

    # --- commits with retry ----------------------------------------------------------------------

    def retrying(self, what: str, action: Callable[[], T]) -> T:
        """Run a commit, retried on fresh metadata when it loses a race with another writer."""
        from pyiceberg.exceptions import CommitFailedException

        attempts = self._config.offline.commit_retries + 1
        for attempt in range(attempts):
            try:
                return action()
            except CommitFailedException as exc:
                if attempt == attempts - 1:
                    raise CatalogError(
                        f"{what}: the commit kept conflicting with concurrent writers after "
                        f"{attempts} attempts; nothing was written — retry the command",
                        code="commit_conflict",
                    ) from exc
                time.sleep(random.uniform(0.01, 0.05) * (1 + attempt))
        raise AssertionError("unreachable")

    # --- schema ----------------------------------------------------------------------------------

    def create_table(self, view: FeatureView) -> None:
        props = {
            "agentkit.view": view.name,
            "owner": view.owner,
            "agentkit.tags": ",".join(view.tags),
            "commit.retry.num-retries": "10",
        }
        try:
            self.catalog().create_table(self._ident(view.name), schema=arrow_schema(view), properties=props)
        except Exception:
            # Created concurrently by another process (backends report it differently):
            # reconcile its schema with ours instead of failing.
            if not self.has_table(view.name):
                raise
            self.add_columns(view)

    def add_columns(self, view: FeatureView) -> None:
        """Schema evolution: add the view's new columns (metadata only; no data rewritten)."""

        def go() -> None:
            tbl = self.table(view.name)
            with tbl.update_schema() as update:
                update.union_by_name(arrow_schema(view))

        self.retrying(f"evolve {view.name}", go)

    def drop_columns(self, view_name: str, columns: Sequence[str]) -> None:
        def go() -> None:
            tbl = self.table(view_name)
            with tbl.update_schema() as update:
                for column in columns:
                    update.delete_column(column)

        self.retrying(f"drop columns of {view_name}", go)

    def drop_table(self, view_name: str) -> None:
        self.catalog().drop_table(self._ident(view_name))

    def column_names(self, view_name: str) -> list[str]:
        return [f.name for f in self.table(view_name).schema().fields]

    # --- writes ----------------------------------------------------------------------------------

    def append(self, view: FeatureView, data: pa.Table) -> int:
        """Append validated rows in one atomic commit; returns the new snapshot id."""

        def go() -> int:
            tbl = self.table(view.name)
            tbl.append(data.cast(self._table_arrow_schema(tbl, data)))
            snap = tbl.current_snapshot()
            assert snap is not None
            return snap.snapshot_id

        return self.retrying(f"ingest into {view.name}", go)

    def upsert(self, view: FeatureView, data: pa.Table) -> int:
        """Insert or replace rows by (key, event time) in one commit."""

        def go() -> int:
            tbl = self.table(view.name)
            tbl.upsert(
                data.cast(self._table_arrow_schema(tbl, data)),
                join_cols=[view.key, view.timestamp_field],
            )
            snap = tbl.current_snapshot()
            assert snap is not None
            return snap.snapshot_id

        return self.retrying(f"upsert into {view.name}", go)

    @staticmethod
    def _table_arrow_schema(tbl: Table, data: pa.Table) -> pa.Schema:
        # The table's own fields (types, nullability) for the columns the data has, in its order.
        return tbl.schema().as_arrow().empty_table().select(data.column_names).schema

    # --- reads -----------------------------------------------------------------------------------

    def current_snapshot_id(self, view_name: str) -> int | None:
        snap = self.table(view_name).current_snapshot()
        return snap.snapshot_id if snap else None

    def snapshots(self, view_name: str) -> list[SnapshotInfo]:
        tbl = self.table(view_name)
        out: list[SnapshotInfo] = []
        for snap in tbl.snapshots():
            summary = snap.summary
            props: dict[str, str] = summary.additional_properties if summary is not None else {}
            added, total = props.get("added-records"), props.get("total-records")
            out.append(
                SnapshotInfo(
                    snapshot_id=snap.snapshot_id,
                    committed_at=datetime.fromtimestamp(snap.timestamp_ms / 1000, tz=UTC),
                    operation=str(summary.operation.value) if summary is not None else "unknown",
                    added_rows=int(added) if added is not None else None,
                    total_rows=int(total) if total is not None else None,
                )
            )
        return out

    def scan(
        self,
        view: FeatureView,
        *,
        keys: Sequence[str] | None = None,
        snapshot_id: int | None = None,
        until: datetime | None = None,
        columns: Sequence[str] | None = None,
    ) -> pa.Table:
        """Rows of a view's table (optionally of one snapshot, some keys, event time <= until)."""
        from pyiceberg.expressions import AlwaysFalse, AlwaysTrue, And, BooleanExpression, In, LessThanOrEqual

        tbl = self.table(view.name)
        if snapshot_id is not None and tbl.snapshot_by_id(snapshot_id) is None:
            raise NotFoundError(
                f"snapshot {snapshot_id} of '{view.name}' not found; list them with `agentkit history {view.name}`",
                code="snapshot_not_found",
            )
        expr: BooleanExpression = AlwaysTrue()
        if keys is not None:
            expr = In(view.key, set(keys)) if keys else AlwaysFalse()  # pyright: ignore[reportCallIssue]
        if until is not None:
            ts = until.isoformat()
            # pyiceberg's predicates take (term, literal) at run time; its pydantic fields confuse pyright.
            expr = And(expr, LessThanOrEqual(view.timestamp_field, ts))  # pyright: ignore[reportCallIssue]
            expr = And(expr, LessThanOrEqual(AVAILABLE_AT, ts))  # pyright: ignore[reportCallIssue]
        selected = tuple(columns) if columns else ("*",)
        data = tbl.scan(row_filter=expr, snapshot_id=snapshot_id, selected_fields=selected).to_arrow()
        return data

    def scan_appended(self, view: FeatureView, after_snapshot: int) -> pa.Table | None:
        """Rows appended after ``after_snapshot`` up to now, or ``None`` when that cannot be
        answered incrementally (a rewrite, delete or expired snapshot in between)."""
        tbl = self.table(view.name)
        current = tbl.current_snapshot()
        if current is None or tbl.snapshot_by_id(after_snapshot) is None:
            return None
        if current.snapshot_id == after_snapshot:
            return arrow_schema(view).empty_table()
        snap = current
        while snap is not None and snap.snapshot_id != after_snapshot:
            op = snap.summary.operation.value if snap.summary is not None else "unknown"
            if op != "append":
                return None
            snap = tbl.snapshot_by_id(snap.parent_snapshot_id) if snap.parent_snapshot_id else None
        if snap is None:
            return None
        return tbl.incremental_append_scan(
            from_snapshot_id_exclusive=after_snapshot, to_snapshot_id_inclusive=current.snapshot_id
        ).to_arrow()

    def keys_ever_with(self, view: FeatureView, column: str, value: str, *, snapshot_id: int) -> list[str]:
        """Keys that had ``column == value`` in any row of the snapshot (a superset for scope)."""
        from pyiceberg.expressions import EqualTo

        rows = (
            self.table(view.name)
            .scan(
                row_filter=EqualTo(column, value),  # pyright: ignore[reportCallIssue]
                snapshot_id=snapshot_id,
                selected_fields=(view.key,),
            )
            .to_arrow()
        )
        return sorted(set(pylist(rows.column(view.key))))

    def point_in_time(
        self,
        view: FeatureView,
        keys: Sequence[str] | None,
        *,
        as_of: datetime | None,
        snapshot_id: int | None = None,
    ) -> pa.Table:
        """Per key, the latest row visible at ``as_of`` (DuckDB over the scanned Arrow)."""
        data = self.scan(view, keys=keys, snapshot_id=snapshot_id, until=as_of)
        return latest_per_key(data, view, as_of=as_of)

    def iter_batches(self, view: FeatureView, snapshot_id: int | None = None) -> Iterator[pa.RecordBatch]:
        tbl = self.table(view.name)
        yield from tbl.scan(snapshot_id=snapshot_id).to_arrow_batch_reader()

    # --- system tables (audit) ---------------------------------------------------------------------

    def _system_table(
        self, name: str, schema: pa.Schema, *, create: bool, properties: dict[str, str] | None = None
    ) -> Table | None:
        """Load an internal table, creating it when asked (tolerating a concurrent creator)."""
        from pyiceberg.exceptions import NoSuchTableError

        ident = self._ident(name)
        try:
            return self.catalog().load_table(ident)
        except NoSuchTableError:
            if not create:
                return None
        try:
            return self.catalog().create_table(ident, schema=schema, properties=properties or {})
        except Exception:  # created concurrently (backends report it differently)
            if not self.catalog().table_exists(ident):
                raise
            return self.catalog().load_table(ident)

    def append_system(self, name: str, schema: pa.Schema, data: pa.Table, *, batch_id: str) -> bool:
        """Append ``data`` once per ``batch_id`` (recorded in the snapshot summary)."""

        def go() -> bool:
            tbl = self._system_table(name, schema, create=True)
            assert tbl is not None
            for snap in tbl.snapshots():
                summary = snap.summary
                if summary is not None and summary.additional_properties.get("agentkit.batch") == batch_id:
                    return False
            tbl.append(data.cast(schema), snapshot_properties={"agentkit.batch": batch_id})
            return True

        return self.retrying(f"append to {name}", go)

    def scan_system(self, name: str, schema: pa.Schema) -> pa.Table:
        tbl = self._system_table(name, schema, create=False)
        return schema.empty_table() if tbl is None else tbl.scan().to_arrow().cast(schema)

    # --- registry of applied definitions ----------------------------------------------------------

    def _registry(self, create: bool) -> Table | None:
        # Conflicts must surface (no silent internal retry): each version is claimed once.
        return self._system_table(
            REGISTRY_TABLE, REGISTRY_SCHEMA, create=create, properties={"commit.retry.num-retries": "0"}
        )

    def applied(self) -> tuple[int, str, str | None] | None:
        """The latest applied (version, definitions JSON, policy JSON), or ``None``."""
        tbl = self._registry(create=False)
        if tbl is None:
            return None
        rows = tbl.scan().to_arrow()
        if rows.num_rows == 0:
            return None
        records: list[dict[str, Any]] = rows.to_pylist()
        latest = max(records, key=lambda r: int(r["version"]))
        return latest["version"], latest["definitions"], latest["policy"]

    def record_apply(self, definitions_json: str, policy_json: str | None, note: str) -> int:
        """Append the next registry version; concurrent applies get distinct versions."""
        from pyiceberg.exceptions import CommitFailedException

        attempts = self._config.offline.commit_retries + 1
        for attempt in range(attempts):
            tbl = self._registry(create=True)
            assert tbl is not None
            rows = tbl.scan(selected_fields=("version",)).to_arrow()
            versions: list[int] = pylist(rows.column("version"))
            version = (max(versions) + 1) if versions else 1
            batch = pa.Table.from_pylist(
                [
                    {
                        "version": version,
                        "applied_at": datetime.now(UTC),
                        "definitions": definitions_json,
                        "policy": policy_json,
                        "note": note,
                    }
                ],
                schema=REGISTRY_SCHEMA,
            )
            try:
                # One writer wins each version: the commit fails if another landed first.
                tbl.append(batch)
                return version
            except CommitFailedException:
                time.sleep(random.uniform(0.01, 0.05) * (1 + attempt))
        raise CatalogError("apply kept conflicting with concurrent applies; retry", code="commit_conflict")
