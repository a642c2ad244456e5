"""Materialization: the latest value per key of a view's current Iceberg snapshot, into the online
store — incrementally when only appends happened since the recorded snapshot, otherwise (or when
asked for ``full``) rebuilt from the whole current snapshot.

A row is never served before its time: rows not yet available at materialization time (or dated
past it by more than ``[offline] future_tolerance``) are held back. The view is then recorded as
materialized from no snapshot, so ``status`` shows it behind and the next ``materialize`` rebuilds
it in full, serving the rows whose time has come."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from agentkit.features._arrow import not_after, pylist
from agentkit.features.definitions import AVAILABLE_AT, FeatureView
from agentkit.features.offline import OfflineStore
from agentkit.features.online import OnlineStore
from agentkit.features.results import MaterializeResult

__all__ = ["materialize_view"]


def materialize_view(
    offline: OfflineStore,
    online: OnlineStore,
    view: FeatureView,
    *,
    full: bool,
    now: datetime | None = None,
    tolerance: timedelta = timedelta(0),
) -> MaterializeResult:
    """Bring one view's online copy up to its current snapshot, as known at ``now`` (default: the clock)."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    current = offline.current_snapshot_id(view.name)
    state = online.state(view.name)
    recorded = state.snapshot_id if state is not None else None
    # A rebuild that was killed half way left its marker: rebuild in full (which also clears what it left).
    interrupted = state is not None and state.interrupted_at is not None
    mode = "full"
    rows: pa.Table | None = None
    if current is None:
        mode, rows = "up-to-date", None
    elif interrupted:
        mode = "full"
    elif not full and recorded is not None and state is not None and not state.pushed and recorded == current:
        mode = "up-to-date"
    elif not full and recorded is not None:
        rows = offline.scan_appended(view, recorded)
        mode = "incremental" if rows is not None else "full"
    if mode == "full" and current is not None:
        rows = offline.scan(view, snapshot_id=current)
    keys = state.rows if state is not None else 0
    held, until = 0, None
    if rows is not None:
        served, held, until = _servable(view, rows, now=now, tolerance=tolerance)
        keys = online.write(view, served, snapshot_id=None if held else current, replace=(mode == "full"))
    return MaterializeResult(
        view=view.name,
        snapshot_id=current,
        mode=mode,
        rows_read=rows.num_rows if rows is not None else 0,
        keys=keys,
        seconds=time.perf_counter() - started,
        held_back=held,
        held_until=until,
        repaired=interrupted and mode == "full",
    )


def _servable(
    view: FeatureView, rows: pa.Table, *, now: datetime, tolerance: timedelta
) -> tuple[pa.Table, int, datetime | None]:
    """The rows that may be served at ``now``, how many are held back, and when the first may be."""
    if rows.num_rows == 0:
        return rows, 0, None
    on_time = rows.filter(not_after(rows.column(view.timestamp_field), now + tolerance))
    served = on_time.filter(not_after(on_time.column(AVAILABLE_AT), now))
    if served.num_rows == rows.num_rows:
        return rows, 0, None
    events: list[datetime] = pylist(rows.column(view.timestamp_field))
    available: list[datetime] = pylist(rows.column(AVAILABLE_AT))
    until = min(max(e - tolerance, a) for e, a in zip(events, available, strict=True) if e > now + tolerance or a > now)
    return served, rows.num_rows - served.num_rows, until
