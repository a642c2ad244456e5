"""Typed doors into pyarrow for the features package.

pyarrow-stubs type most of pyarrow; where they leave a value partially unknown or disagree with
what pyarrow returns at run time, the value is narrowed here, once, and the rest of the package
sees plain types. Each ignore below names the rule and the reason.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, TypeAlias, cast

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ["AnyArray", "assume_utc", "infer_array", "not_after", "nulls", "pylist", "read_parquet"]

AnyArray: TypeAlias = "pa.Array[Any] | pa.ChunkedArray[Any]"
"""A column of any type, whole (``Array``) or in chunks (``ChunkedArray``)."""


def pylist(column: AnyArray) -> list[Any]:
    """``column.to_pylist()``, typed for callers that know the column's Python type."""
    return column.to_pylist()


def nulls(length: int, data_type: pa.DataType) -> pa.Array[Any]:
    """``length`` nulls of ``data_type`` (the stubs type ``pa.nulls`` for concrete type classes only)."""
    return pa.nulls(length, type=data_type)  # pyright: ignore[reportCallIssue, reportArgumentType, reportUnknownVariableType]  # stubs overload on concrete types only


def assume_utc(column: pa.ChunkedArray[Any]) -> pa.ChunkedArray[Any]:
    """Mark naive timestamps as UTC (a chunked column in, a chunked column out; the stubs say
    ``TimestampArray``)."""
    return cast("pa.ChunkedArray[Any]", pc.assume_timezone(column, "UTC"))


def not_after(column: AnyArray, moment: datetime) -> AnyArray:
    """``column <= moment`` per value of a UTC timestamp column: a boolean column (null for null)."""
    limit = pa.scalar(moment, type=pa.timestamp("us", tz="UTC"))
    return pc.less_equal(column, limit)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]  # the stubs leave the comparison overloads partially unknown


def infer_array(values: list[object]) -> pa.Array[Any]:
    """``pa.array(values)`` with the type inferred by Arrow (the stubs need the element type)."""
    return pa.array(values)  # pyright: ignore[reportCallIssue, reportArgumentType, reportUnknownVariableType]  # inference is the point


def read_parquet(path: Path) -> pa.Table:
    """``pq.read_table(path)`` (its stub leaves some parameters unknown)."""
    return pq.read_table(path)  # pyright: ignore[reportUnknownMemberType]  # unknown parameter types, known result
