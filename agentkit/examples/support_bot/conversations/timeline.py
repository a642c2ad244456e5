"""Reading the generated tables as of a time (the platform's point-in-time rule, in plain Python),
and how values are written in conversations and in ``expected.facts``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from agentkit.examples.support_bot.generate import KEYS, utc_to_local

# --- reading the data as of a time ---------------------------------------------------------------


class Timeline:
    """Point-in-time lookups over the generated tables (the platform's rule, in plain Python)."""

    def __init__(self, tables: dict[str, pa.Table]) -> None:
        self.rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for view, table in tables.items():
            key = KEYS[view]
            by_key: dict[str, list[dict[str, Any]]] = {}
            for row in table.to_pylist():
                by_key.setdefault(row[key], []).append(row)
            for rows in by_key.values():
                rows.sort(key=lambda r: (r["event_time"], r["_available_at"]))
            self.rows[view] = by_key

    def at(self, view: str, key: str, when: datetime) -> dict[str, Any] | None:
        latest = None
        for row in self.rows[view].get(key, ()):
            if row["event_time"] > when:
                break
            if row["_available_at"] <= when:
                latest = row
        return latest

    def value(self, ref: str, key: str, when: datetime) -> Any:
        view, feature = ref.split(".", 1)
        row = self.at(view, key, when)
        assert row is not None, f"{ref} of {key} has no row at {when}"
        return row[feature]


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def clock(when: datetime) -> str:
    """A UTC time as New York wall-clock time, e.g. '7:42 PM'."""
    local = utc_to_local(when)
    return local.strftime("%I:%M %p").lstrip("0")


def day_name(when: datetime) -> str:
    local = utc_to_local(when)
    return f"{local.strftime('%A')}, {local.strftime('%B')} {local.day}"


def usd(value: Decimal) -> str:
    return f"${value:.2f}"


def whole_seconds(when: datetime) -> datetime:
    return when.replace(microsecond=0)


def hidden_tags(text: str) -> str:
    """ASCII text as invisible Unicode tag characters (U+E0020..U+E007E)."""
    return "".join(chr(0xE0000 + ord(c)) for c in text)


def mask(value: str) -> str:
    """How the platform masks PII for an agent with a ``mask`` grant (``a***@example.com``)."""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    return (value[:1] + "***") if len(value) > 4 else "***"
