"""Times as int64 microseconds, so ``as_of`` masks are one vectorised numpy comparison.

Document validity is compared per chunk on every search; keeping the bounds as two int64 arrays
(``valid_from <= t < valid_to``) makes the mask cost ~0.1 ms for 100,000 chunks. An open bound is
the int64 minimum (valid since forever) or maximum (valid until further notice). Times are parsed
by :func:`agentkit.features.schema.parse_time`, the one parser.
"""

# pyright: strict

from __future__ import annotations

from datetime import UTC, datetime

from agentkit.errors import AsOfError

__all__ = ["MAX_US", "MIN_US", "require_aware", "to_us"]

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
