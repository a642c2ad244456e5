"""Times as int64 microseconds, so ``as_of`` masks are one vectorised numpy comparison.

Document validity is compared per chunk on every search; keeping the bounds as two int64 arrays
(``valid_from <= t < valid_to``) makes the mask cost ~0.1 ms for 100,000 chunks. An open bound is
the int64 minimum (valid since forever) or maximum (valid until further notice).
"""

# pyright: strict

from __future__ import annotations

from datetime import UTC, date, datetime, time

from agentkit.errors import AsOfError

__all__ = ["MAX_US", "MIN_US", "parse_time", "require_aware", "to_us"]

MIN_US = -(2**63)
MAX_US = 2**63 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(value: datetime | None, *, default: int) -> int:
    """Microseconds since the Unix epoch of an aware datetime; ``default`` for ``None``."""
    if value is None:
        return default
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def require_aware(value: datetime, *, what: str) -> datetime:
    """Refuse a naive datetime: without a zone, 'valid at t' is ambiguous by up to a day."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise AsOfError(
            f"{what} {value.isoformat()} has no time zone; pass an aware datetime, e.g. datetime(..., tzinfo=UTC)",
            code="as_of_naive",
        )
    return value


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 date or time from front matter or a ``<meta>`` tag.

    A date alone means midnight UTC; a time without a zone is read as UTC (front matter is written
    by people, and UTC is the only reading that does not depend on the indexing machine).
    Raises ``ValueError`` with the offending text.
    """
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
        except ValueError:
            raise ValueError(
                f"{value!r} is not an ISO 8601 date or time (e.g. 2026-10-01 or 2026-10-01T00:00:00Z)"
            ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
