"""Values returned by the platform: feature rows with provenance, and operation summaries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

__all__ = [
    "ApplyResult",
    "FeatureRow",
    "FeatureRows",
    "IngestResult",
    "MaterializeResult",
    "Provenance",
    "ViewStatus",
    "jsonable",
]


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a row's values came from: the view, the Iceberg snapshot and the row's times."""

    view: str
    snapshot_id: int | None
    event_time: datetime
    available_at: datetime
    source: str
    """``online`` (latest value from the online store) or ``offline`` (point-in-time Iceberg read)."""


@dataclass(frozen=True, slots=True)
class FeatureRow:
    key: str
    values: dict[str, Any]
    """``{"view.feature": value}`` in the order requested."""
    provenance: tuple[Provenance, ...]


@dataclass(frozen=True, slots=True)
class FeatureRows:
    entity: str
    features: tuple[str, ...]
    rows: tuple[FeatureRow, ...]
    missing: tuple[str, ...] = ()
    """Keys with no row in any requested view (at ``as_of``)."""
    as_of: datetime | None = None
    warnings: tuple[str, ...] = ()
    """What the caller should know about the answer, e.g. that rows exist for a missing key but
    were not yet available at ``as_of`` (history ingested without ``--available-at``)."""

    def __len__(self) -> int:
        return len(self.rows)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [{"key": r.key, **r.values} for r in self.rows]


@dataclass(frozen=True, slots=True)
class ApplyResult:
    version: int | None
    """Registry version recorded (``None`` when there was nothing to apply)."""
    changes: int
    created: tuple[str, ...] = ()
    evolved: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IngestResult:
    view: str
    rows: int
    snapshot_id: int
    """The snapshot written, or — when ``already_ingested`` — the one that already holds these rows."""
    mode: str
    """``append``, ``upsert`` or ``push``."""
    already_ingested: bool = False
    """The same validated rows were ingested before (same content hash); nothing was written."""
    duplicates_dropped: int = 0
    """Rows dropped by ``dedupe`` (an earlier row of the file with the same key and event time)."""


@dataclass(frozen=True, slots=True)
class MaterializeResult:
    view: str
    snapshot_id: int | None
    mode: str
    """``full``, ``incremental`` or ``up-to-date``."""
    rows_read: int
    keys: int
    seconds: float
    held_back: int = 0
    """Rows read but not served yet: not available, or dated in the future, at materialization time."""
    held_until: datetime | None = None
    """When the first held-back row may be served (materialize again then)."""
    repaired: bool = False
    """A materialize killed half way was found (``status`` flagged it) and this full rebuild repaired it."""


@dataclass(frozen=True, slots=True)
class ViewStatus:
    view: str
    rows: int
    snapshots: int
    current_snapshot: int | None
    latest_event_time: datetime | None
    materialized_snapshot: int | None
    online_keys: int
    freshness: timedelta | None
    age: timedelta | None
    stale: bool
    behind: bool = field(default=False)
    """The online store was built from an older snapshot than the current one."""
    interrupted_at: datetime | None = None
    """A full materialize started then and was killed half way; the next ``materialize`` repairs it."""


def jsonable(value: Any) -> Any:
    """A JSON-ready form of a feature value: times as ISO 8601, money as a decimal string,
    durations as ISO 8601 seconds (``PT120S``), lists as lists."""
    from decimal import Decimal

    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        return f"PT{int(seconds) if seconds.is_integer() else seconds}S"
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        items = cast("Sequence[object]", value)  # a list or tuple of unknown items
        return [jsonable(v) for v in items]
    return value
