"""The online store's seam: the :class:`OnlineStore` protocol and the values it trades in.

Implementations (:mod:`agentkit.features.online` for the local file, and
:mod:`agentkit.features.online_redis`) import this module and never each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pyarrow as pa

from agentkit.features.definitions import FeatureView

__all__ = ["EPOCH", "OnlineRow", "OnlineStore", "RegistryCopy", "ViewState", "micros_to_datetime"]


@dataclass(frozen=True, slots=True)
class OnlineRow:
    """One key's latest values, in the order of the requested features."""

    key: str
    values: tuple[Any, ...]
    event_time: datetime
    available_at: datetime


@dataclass(frozen=True, slots=True)
class ViewState:
    snapshot_id: int | None
    """Iceberg snapshot the view was last materialized from (pushes keep it; see ``pushed``)."""
    materialized_at: datetime | None
    rows: int
    pushed: bool = False
    interrupted_at: datetime | None = None
    """A full materialize that started then never finished (its process is gone); the next one repairs it."""


@dataclass(frozen=True, slots=True)
class RegistryCopy:
    version: int
    definitions: str
    policy: str | None


class OnlineStore(Protocol):
    """Latest value per key. Implementations: local file (default) and Redis."""

    def write(
        self,
        view: FeatureView,
        rows: pa.Table,
        *,
        snapshot_id: int | None,
        replace: bool,
        pushed: bool = False,
    ) -> int:
        """Merge ``rows`` (canonical schema) into the view; ``replace`` discards what was there.
        Returns the number of keys the view holds afterwards."""
        ...

    def read(self, view: FeatureView, keys: Sequence[str], features: Sequence[str]) -> list[OnlineRow | None]:
        """Per key (in order), its row or ``None`` when the key has none."""
        ...

    def read_with_snapshot(
        self, view: FeatureView, keys: Sequence[str], features: Sequence[str]
    ) -> tuple[int | None, list[OnlineRow | None]]:
        """Like :meth:`read`, plus the snapshot the rows were materialized from (one round trip)."""
        ...

    def keys_where(self, view: FeatureView, column: str, value: str) -> list[str]:
        """Keys whose latest row has ``column == value`` (for scope rules; callers re-check rows)."""
        ...

    def state(self, view_name: str) -> ViewState | None: ...

    def drop(self, view_name: str) -> None: ...

    def publish_registry(self, copy: RegistryCopy) -> None:
        """Keep a copy of the applied definitions so a serving process needs no catalog."""
        ...

    def registry(self) -> RegistryCopy | None: ...

    def close(self) -> None: ...


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""Timestamps travel as integer microseconds since this moment."""


def micros_to_datetime(value: int | None) -> datetime | None:
    return None if value is None else EPOCH + timedelta(microseconds=value)
