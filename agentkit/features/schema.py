"""Arrow schemas of feature views and validation of incoming data against them.

Storage types (Arrow, and Iceberg through :mod:`agentkit.features.offline`):

==============  ==========================  ============================================
dtype           stored as                   Python value on read
==============  ==========================  ============================================
string, enum    string                      ``str`` (enum checked against its values)
int             int64                       ``int``
float           float64                     ``float``
bool            bool                        ``bool``
timestamp       timestamp[us, UTC]          ``datetime`` (timezone-aware, UTC)
date            date32                      ``date``
duration        int64 (whole seconds)       ``timedelta``
money           decimal128(18, 2)           ``Decimal`` (currency from the definition)
list[string]    list<string>                ``list[str]``
==============  ==========================  ============================================

Naive timestamps in data files are read as UTC. Every value that cannot be converted is reported
with its column, row, expected type and the value found; nothing is written until all rows pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, cast

import pyarrow as pa
import pyarrow.compute as pc

from agentkit.errors import DataError, clip, shown
from agentkit.features._arrow import AnyArray, assume_utc, nulls, pylist
from agentkit.features.definitions import AVAILABLE_AT, INGESTED_AT, DType, Feature, FeatureView

__all__ = [
    "MONEY_TYPE",
    "arrow_schema",
    "arrow_type",
    "coerce_table",
    "parse_duration",
    "parse_time",
    "pylist",
    "to_python",
]

MONEY_TYPE = pa.decimal128(18, 2)
TS_TYPE = pa.timestamp("us", tz="UTC")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "enum": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": TS_TYPE,
    "date": pa.date32(),
    "duration": pa.int64(),
    "money": MONEY_TYPE,
    "list[string]": pa.list_(pa.string()),
}


def arrow_type(dtype: DType) -> pa.DataType:
    return _ARROW[dtype]


def arrow_schema(view: FeatureView) -> pa.Schema:
    """The canonical Arrow schema of a view's table: key, event time, features, system columns."""
    fields = [
        pa.field(view.key, pa.string(), nullable=False),
        pa.field(view.timestamp_field, TS_TYPE, nullable=False),
    ]
    fields += [pa.field(f.name, arrow_type(f.dtype)) for f in view.features]
    fields += [
        pa.field(AVAILABLE_AT, TS_TYPE, nullable=False),
        pa.field(INGESTED_AT, TS_TYPE, nullable=False),
    ]
    return pa.schema(fields)


# --- parsing single values ---------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
_ISO_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_UNIT_SECONDS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


def parse_duration(text: str) -> timedelta:
    """``"900"`` (seconds), ``"15m"``, ``"1h30m"``, ``"2d"`` or ISO 8601 ``"PT15M"``."""
    raw = text.strip()
    if not raw:
        raise ValueError("empty duration")
    try:
        return timedelta(seconds=float(raw))
    except ValueError:
        pass
    iso = _ISO_DURATION.match(raw.upper())
    if iso and any(iso.groupdict().values()):
        parts = {k: float(v) for k, v in iso.groupdict().items() if v}
        return timedelta(
            days=parts.get("d", 0),
            hours=parts.get("h", 0),
            minutes=parts.get("m", 0),
            seconds=parts.get("s", 0),
        )
    low = raw.lower().replace(" ", "")
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(low):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(low) or pos == 0:
        raise ValueError(f"not a duration: {shown(text)} (use seconds, '15m', '1h30m' or 'PT15M')")
    return timedelta(seconds=total)


def parse_time(value: str | datetime, *, naive_ok: bool = True) -> datetime:
    """Parse an ISO 8601 time (a date alone is midnight) to an aware UTC datetime; the one parser of
    times in agentkit (ingested values, ``as_of``, document front matter).

    Naive times are UTC when ``naive_ok``; otherwise they raise. Raises ``ValueError`` naming the text.
    """
    if isinstance(value, datetime):
        dt = value
    else:
        text = value.strip()
        if text.endswith(("z", "Z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"{shown(value.strip())} is not an ISO 8601 date or time (e.g. 2026-10-01 or 2026-10-01T00:00:00Z)"
            ) from None
    if dt.tzinfo is None:
        if not naive_ok:
            raise ValueError(f"{clip(str(value), 80)} has no timezone; add one, e.g. 2026-11-01T12:00:00Z")
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _to_string(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _to_money(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("a bool is not money")
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError("not a decimal amount") from exc
    if not amount.is_finite():
        raise ValueError("not a finite amount")
    exponent = amount.as_tuple().exponent  # an int: the amount is finite
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError("more than 2 decimal places")
    if abs(amount) >= Decimal(10) ** 16:
        raise ValueError("amount too large")
    return amount.quantize(Decimal("0.01"))


def _in_int64(number: int) -> int:
    if not INT64_MIN <= number <= INT64_MAX:
        raise ValueError(f"out of range: a 64-bit integer holds {INT64_MIN} to {INT64_MAX}")
    return number


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("a bool is not an int")
    if isinstance(value, int):
        return _in_int64(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("has a fractional part")
        return _in_int64(int(value))
    text = str(value).strip()
    try:
        return _in_int64(int(text))
    except ValueError as exc:
        if "out of range" in str(exc):
            raise
        raise ValueError("not a whole number") from None


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("a bool is not a float")
    return float(value if isinstance(value, (int, float)) else str(value).strip())


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "t", "yes", "1"):
        return True
    if text in ("false", "f", "no", "0"):
        return False
    raise ValueError("not a boolean (use true/false)")


def _to_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


def _to_duration_seconds(value: Any) -> int:
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool):
        raise ValueError("a bool is not a duration")
    elif isinstance(value, (int, float)):
        seconds = float(value)
    else:
        seconds = parse_duration(str(value)).total_seconds()
    if not float(seconds).is_integer():
        raise ValueError("durations are stored in whole seconds")
    return _in_int64(int(seconds))


def _to_string_list(value: Any) -> list[str]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            value = json.loads(text)
        else:
            return [part for part in text.split("|") if part] if text else []
    if not isinstance(value, (list, tuple)):
        raise ValueError("not a list of strings")
    items = cast("Sequence[object]", value)  # a list or tuple of unknown items; each is checked below
    strings = [v for v in items if isinstance(v, str)]
    if len(strings) != len(items):
        raise ValueError("not a list of strings")
    return strings


def _converter(feature: Feature | None, dtype: DType) -> Callable[[Any], Any]:
    if dtype == "enum" and feature is not None:
        allowed = set(feature.values)

        def enum(value: Any) -> str:
            text = str(value)
            if text not in allowed:
                raise ValueError(f"not one of {', '.join(feature.values)}")
            return text

        return enum
    return {
        "string": _to_string,
        "int": _to_int,
        "float": _to_float,
        "bool": _to_bool,
        "timestamp": parse_time,
        "date": _to_date,
        "duration": _to_duration_seconds,
        "money": _to_money,
        "list[string]": _to_string_list,
    }[dtype]


# --- whole tables ------------------------------------------------------------------------------


def _fast_cast(column: pa.ChunkedArray[Any], target: pa.DataType, dtype: DType) -> pa.ChunkedArray[Any] | None:
    """Cast without Python when the source type already fits; ``None`` means 'check row by row'."""
    source = column.type
    if source == target:
        return column
    try:
        if dtype == "timestamp" and pa.types.is_timestamp(source):
            if source.tz is None:  # naive: UTC by definition
                column = assume_utc(column)
            return column.cast(TS_TYPE)
        if dtype in ("int",) and pa.types.is_integer(source):
            return column.cast(target, safe=True)
        if dtype == "float" and (pa.types.is_floating(source) or pa.types.is_integer(source)):
            return column.cast(target, safe=False)
        if dtype in ("string", "enum") and pa.types.is_large_string(source):
            return column.cast(pa.string())
        if dtype == "date" and pa.types.is_date(source):
            return column.cast(target)
        if dtype == "duration" and pa.types.is_duration(source):
            seconds = pc.divide(column.cast(pa.int64()), _DURATION_DIVISOR[source.unit])
            return seconds.cast(pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return None


_DURATION_DIVISOR = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def _convert_column(
    view: FeatureView,
    name: str,
    column: pa.ChunkedArray[Any],
    dtype: DType,
    feature: Feature | None,
    *,
    required: bool,
    row_offset: int,
    source: str,
) -> AnyArray:
    target = arrow_type(dtype) if name != view.key else pa.string()
    casted = _fast_cast(column, target, dtype) if dtype != "enum" else None
    if casted is not None and not (required and casted.null_count):
        if dtype == "money":
            return casted
        return casted
    convert = _converter(feature, dtype)
    out: list[Any] = []
    for index, value in enumerate(column.to_pylist()):
        if value is None or (isinstance(value, str) and value == "" and dtype != "string"):
            if required:
                raise DataError(
                    f"{source}: row {index + row_offset}: column '{name}' is empty; "
                    f"every row needs a {'key' if name == view.key else 'timestamp'}",
                    code="data_missing_value",
                )
            out.append(None)
            continue
        try:
            out.append(convert(value))
        except (ValueError, TypeError, OverflowError, json.JSONDecodeError) as exc:
            expected = feature.type_label() if feature is not None else dtype
            raise DataError(
                f"{source}: row {index + row_offset}: column '{name}' expected {expected}, "
                f"got {shown(value)} ({clip(str(exc))})",
                code="data_type_mismatch",
            ) from exc
    return pa.array(out, type=target)


def coerce_table(
    view: FeatureView,
    table: pa.Table,
    *,
    available_at: datetime | None,
    ingested_at: datetime,
    row_offset: int = 1,
    source: str = "data",
) -> pa.Table:
    """Validate ``table`` against ``view`` and return it in the view's canonical schema.

    ``row_offset`` is the number shown for the first row (2 for a CSV with a header line).
    Columns the view doesn't define are rejected (a typo would otherwise lose data silently).
    An ``_available_at`` column, when present, sets each row's availability (backfills);
    otherwise ``available_at`` (or the ingest time) is used.
    """
    if table.num_rows == 0:
        raise DataError(f"{source}: no rows to ingest", code="data_empty")
    columns = set(table.column_names)
    required = [view.key, view.timestamp_field]
    for name in required:
        if name not in columns:
            raise DataError(
                f"{source}: missing column '{name}' (the {'join key' if name == view.key else 'event time'}"
                f" of '{view.name}'); the file has: {clip(', '.join(table.column_names))}",
                code="data_missing_column",
            )
    known = {view.key, view.timestamp_field, AVAILABLE_AT, *view.feature_names}
    unknown = [c for c in table.column_names if c not in known]
    if unknown:
        raise DataError(
            f"{source}: column(s) {clip(', '.join(unknown))} are not features of '{view.name}' "
            f"(features: {', '.join(view.feature_names)}); add them to the view and apply, "
            "or drop them from the file",
            code="data_unknown_column",
        )
    arrays: list[AnyArray] = []
    schema = arrow_schema(view)
    arrays.append(
        _convert_column(
            view,
            view.key,
            table[view.key],
            "string",
            None,
            required=True,
            row_offset=row_offset,
            source=source,
        )
    )
    arrays.append(
        _convert_column(
            view,
            view.timestamp_field,
            table[view.timestamp_field],
            "timestamp",
            None,
            required=True,
            row_offset=row_offset,
            source=source,
        )
    )
    for feature in view.features:
        if feature.name in columns:
            arrays.append(
                _convert_column(
                    view,
                    feature.name,
                    table[feature.name],
                    feature.dtype,
                    feature,
                    required=False,
                    row_offset=row_offset,
                    source=source,
                )
            )
        else:
            arrays.append(nulls(table.num_rows, arrow_type(feature.dtype)))
    if AVAILABLE_AT in columns:
        arrays.append(
            _convert_column(
                view,
                AVAILABLE_AT,
                table[AVAILABLE_AT],
                "timestamp",
                None,
                required=True,
                row_offset=row_offset,
                source=source,
            )
        )
    else:
        when = available_at or ingested_at
        arrays.append(pa.array([when] * table.num_rows, type=TS_TYPE))
    arrays.append(pa.array([ingested_at] * table.num_rows, type=TS_TYPE))
    return pa.Table.from_arrays(arrays, schema=schema)


def to_python(feature: Feature, value: Any) -> Any:
    """Turn a stored value into the Python value a reader gets (durations become timedelta)."""
    if value is None:
        return None
    if feature.dtype == "duration":
        return timedelta(seconds=value)
    return value


def python_row_converters(features: Sequence[Feature]) -> list[Callable[[Any], Any] | None]:
    """Per-feature post-read converters (``None`` where the stored value is already final)."""
    return [
        (lambda v: None if v is None else timedelta(seconds=v)) if f.dtype == "duration" else None for f in features
    ]
