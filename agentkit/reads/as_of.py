"""``as_of``: the moment a read sees the data as it was known then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agentkit.errors import AsOfError, clip, shown
from agentkit.features.schema import parse_time

__all__ = ["parse_as_of"]


def parse_as_of(value: str | datetime | None, *, now: datetime | None = None) -> datetime | None:
    """Validate an ``as_of``: timezone-aware, parsable, not in the future."""
    if value is None:
        return None
    try:
        when = parse_time(value, naive_ok=False)
    except ValueError as exc:
        raise AsOfError(
            f"as_of {clip(str(value), 80)}: {exc}"
            if "timezone" in str(exc)
            else f"as_of {shown(value)} is not an ISO 8601 time; use e.g. 2026-11-01T12:00:00Z",
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
