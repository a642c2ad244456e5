"""Reading data files to ingest: Parquet, CSV and JSON lines, with errors that name the file and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pyarrow as pa
import pyarrow.csv as pacsv

from agentkit.errors import DataError, clip
from agentkit.features._arrow import infer_array, read_parquet

__all__ = ["read_data_file"]

SUFFIXES = (".parquet", ".pq", ".csv", ".jsonl", ".ndjson")


def read_data_file(path: Path) -> tuple[pa.Table, int]:
    """Load a data file; returns the table and the number shown for its first row.

    CSV is read as text and converted by the view's types afterwards, so a bad value is reported
    with its line rather than by the CSV parser.
    """
    if not path.exists():
        raise DataError(f"{path}: no such file", code="data_file_missing")
    if path.is_dir():
        raise DataError(f"{path} is a folder; pass a .parquet, .csv or .jsonl file", code="data_file_invalid")
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty; nothing was ingested", code="data_empty")
    if suffix in (".parquet", ".pq"):
        try:
            return read_parquet(path), 1
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataError(
                f"{path}: not a readable Parquet file ({clip(str(exc))})", code="data_file_invalid"
            ) from exc
    if suffix == ".csv":
        return _read_csv(path), 2
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path), 1
    raise DataError(
        f"{path}: unsupported file type {suffix or '(none)'}; use one of {', '.join(SUFFIXES)}",
        code="data_file_invalid",
    )


def _read_csv(path: Path) -> pa.Table:
    try:
        with path.open("rb") as handle:
            header = handle.readline().decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: line 1 is not UTF-8 text ({exc})", code="data_file_invalid") from exc
    names = [n.strip() for n in header.split(",")]
    if not header or not any(names):
        raise DataError(f"{path}: line 1 must be a header naming the columns", code="data_file_invalid")
    try:
        return pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=True
            ),
        )
    except pa.ArrowInvalid as exc:
        raise DataError(f"{path}: not valid CSV: {clip(str(exc))}", code="data_file_invalid") from exc


def _read_jsonl(path: Path) -> pa.Table:
    rows: list[dict[str, object]] = []
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"{path}:{number}: not valid JSON ({exc.msg})", code="data_file_invalid") from exc
                if not isinstance(row, dict):
                    raise DataError(f"{path}:{number}: each line must be a JSON object", code="data_file_invalid")
                rows.append(cast("dict[str, object]", row))  # a JSON object: string keys
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc})", code="data_file_invalid") from exc
    if not rows:
        raise DataError(f"{path}: no rows; nothing was ingested", code="data_empty")
    columns: dict[str, list[object]] = {}
    for i, row in enumerate(rows):
        for name in row:
            columns.setdefault(name, [None] * i)
        for name, values in columns.items():
            values.append(row.get(name))
    # Every column stays a list of Python values; types are checked against the view later.
    arrays = {
        name: pa.array([_plain(v) for v in values], type=pa.string()) if _mixed(values) else _array(values)
        for name, values in columns.items()
    }
    return pa.Table.from_pydict(arrays)


def _mixed(values: list[object]) -> bool:
    kinds = {type(v) for v in values if v is not None}
    return len(kinds) > 1 and not kinds <= {int, float}


def _plain(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _array(values: list[object]) -> pa.Array[Any]:
    try:
        return infer_array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):  # e.g. an int past 64 bits: checked later
        return pa.array([_plain(v) for v in values], type=pa.string())
