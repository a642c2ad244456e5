"""Scope sources over the project's stores: live (online store) and point-in-time (Iceberg).

Both re-check every candidate row, so an index that lags can only hide a key (fail closed),
never reveal one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from agentkit.features.definitions import FeatureView
from agentkit.features.offline import OfflineStore
from agentkit.features.online import OnlineStore
from agentkit.features.schema import pylist

__all__ = ["OfflineScopeSource", "OnlineScopeSource"]


class OnlineScopeSource:
    """Scope lookups against the latest values in the online store."""

    def __init__(self, online: OnlineStore) -> None:
        self._online = online

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

    def _latest(self, view: FeatureView, keys: Sequence[str], as_of: datetime | None) -> dict[str, Any]:
        snapshot = self._snapshots.get(view.name)
        if snapshot is None:
            return {}
        table = self._offline.point_in_time(view, keys, as_of=as_of, snapshot_id=snapshot)
        return {"keys": pylist(table.column(view.key)), "table": table}

    def keys_where(self, view: FeatureView, column: str, value: str, as_of: datetime | None) -> list[str]:
        snapshot = self._snapshots.get(view.name)
        if snapshot is None:
            return []
        # Any row that ever had the value makes a candidate; the latest row as of t decides.
        candidates = self._offline.keys_ever_with(view, column, value, snapshot_id=snapshot)
        if not candidates:
            return []
        latest = self._latest(view, candidates, as_of)
        if not latest:
            return []
        table = latest["table"]
        keys: list[str] = latest["keys"]
        values = pylist(table.column(column))
        return [k for k, v in zip(keys, values, strict=True) if v == value]

    def values_of(self, view: FeatureView, keys: Sequence[str], column: str, as_of: datetime | None) -> list[str]:
        if not keys:
            return []
        latest = self._latest(view, keys, as_of)
        if not latest:
            return []
        return [v for v in pylist(latest["table"].column(column)) if isinstance(v, str)]
