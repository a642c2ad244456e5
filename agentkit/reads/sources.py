"""Where scope rules read their data: the online store for a live read, Iceberg as of t (on the
read's own snapshots) for a point-in-time read — :func:`scope_source` makes that choice for every
caller (the scoped read and ``explain``).

Both sources re-check every candidate row, so an index that lags can only hide a key (fail
closed), never reveal one. Candidates come from an index that depends on the owner alone, so a
check of one key costs the same whether that key exists or not (no timing oracle).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import pyarrow as pa

from agentkit.features.definitions import Definitions, FeatureView
from agentkit.features.offline import OfflineStore
from agentkit.features.online import OnlineStore
from agentkit.features.schema import pylist
from agentkit.governance.scope import ScopeSource
from agentkit.reads.host import ReadHost

__all__ = ["OfflineScopeSource", "OnlineScopeSource", "scope_source"]


def scope_source(
    host: ReadHost, definitions: Definitions, as_of: datetime | None
) -> tuple[ScopeSource, dict[str, int | None] | None]:
    """The scope source for a read at ``as_of`` and, for a point-in-time read, the snapshot of
    every view that the read and its scope checks are pinned to (``None`` when live)."""
    if as_of is None:
        return OnlineScopeSource(host.online), None
    offline = host.offline
    snapshots = {v.name: offline.current_snapshot_id(v.name) for v in definitions.views}
    return OfflineScopeSource(offline, snapshots), snapshots


class OnlineScopeSource:
    """Scope lookups against the latest values in the online store."""

    def __init__(self, online: OnlineStore) -> None:
        self._online = online

    def candidates(self, view: FeatureView, column: str, value: str, as_of: datetime | None) -> Sequence[str]:
        return self._online.keys_where(view, column, value)

    def keys_where(self, view: FeatureView, column: str, value: str, as_of: datetime | None) -> list[str]:
        candidates = self._online.keys_where(view, column, value)
        if not candidates:
            return []
        rows = self._online.read(view, candidates, [column])
        return [r.key for r in rows if r is not None and r.values[0] == value]

    def values_of(self, view: FeatureView, keys: Sequence[str], column: str, as_of: datetime | None) -> list[str]:
        rows = self._online.read(view, keys, [column])
        return [r.values[0] for r in rows if r is not None and isinstance(r.values[0], str)]


class OfflineScopeSource:
    """Scope lookups against Iceberg as of a time, on pinned snapshots (the read's own)."""

    def __init__(self, offline: OfflineStore, snapshots: Mapping[str, int | None]) -> None:
        self._offline = offline
        self._snapshots = snapshots

    def _latest(self, view: FeatureView, keys: Sequence[str], as_of: datetime | None) -> pa.Table | None:
        """Per key, the latest row at ``as_of`` on the pinned snapshot (``None``: the view has none)."""
        snapshot = self._snapshots.get(view.name)
        if snapshot is None:
            return None
        return self._offline.point_in_time(view, keys, as_of=as_of, snapshot_id=snapshot)

    def candidates(self, view: FeatureView, column: str, value: str, as_of: datetime | None) -> Sequence[str]:
        # Any row that ever had the value makes a candidate; the latest row as of t decides.
        snapshot = self._snapshots.get(view.name)
        if snapshot is None:
            return ()
        return self._offline.keys_ever_with(view, column, value, snapshot_id=snapshot)

    def keys_where(self, view: FeatureView, column: str, value: str, as_of: datetime | None) -> list[str]:
        candidates = self.candidates(view, column, value, as_of)
        if not candidates:
            return []
        table = self._latest(view, candidates, as_of)
        if table is None:
            return []
        keys: list[str] = pylist(table.column(view.key))
        values = pylist(table.column(column))
        return [k for k, v in zip(keys, values, strict=True) if v == value]

    def values_of(self, view: FeatureView, keys: Sequence[str], column: str, as_of: datetime | None) -> list[str]:
        if not keys:
            return []
        table = self._latest(view, keys, as_of)
        if table is None:
            return []
        return [v for v in pylist(table.column(column)) if isinstance(v, str)]
