"""Materialization: the latest value per key of a view's current Iceberg snapshot, into the online
store — incrementally when only appends happened since the recorded snapshot, otherwise (or when
asked for ``full``) rebuilt from the whole current snapshot."""

from __future__ import annotations

import time

import pyarrow as pa

from agentkit.features.definitions import FeatureView
from agentkit.features.offline import OfflineStore
from agentkit.features.online import OnlineStore
from agentkit.features.results import MaterializeResult

__all__ = ["materialize_view"]


def materialize_view(offline: OfflineStore, online: OnlineStore, view: FeatureView, *, full: bool) -> MaterializeResult:
    """Bring one view's online copy up to its current snapshot."""
    started = time.perf_counter()
    current = offline.current_snapshot_id(view.name)
    state = online.state(view.name)
    recorded = state.snapshot_id if state is not None else None
    mode = "full"
    rows: pa.Table | None = None
    if current is None:
        mode, rows = "up-to-date", None
    elif not full and recorded is not None and state is not None and not state.pushed and recorded == current:
        mode = "up-to-date"
    elif not full and recorded is not None:
        rows = offline.scan_appended(view, recorded)
        mode = "incremental" if rows is not None else "full"
    if mode == "full" and current is not None:
        rows = offline.scan(view, snapshot_id=current)
    keys = state.rows if state is not None else 0
    if rows is not None:
        keys = online.write(view, rows, snapshot_id=current, replace=(mode == "full"))
    return MaterializeResult(
        view=view.name,
        snapshot_id=current,
        mode=mode,
        rows_read=rows.num_rows if rows is not None else 0,
        keys=keys,
        seconds=time.perf_counter() - started,
    )
