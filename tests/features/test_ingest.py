"""Ingest validates every value against the view before anything is written."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

import agentkit as ak
from tests.conftest import order_row


def test_csv_ingest_converts_every_type(project: ak.Project, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,event_time,customer_id,status,eta_minutes,distance_km,refund,prep_delay,contactless,"
        "placed_on,promised_at,items\n"
        "o_1,2026-11-01T10:00:00Z,c_1,placed,30,1.5,2.50,15m,true,2026-11-01,2026-11-01T10:40:00+01:00,pizza|cola\n"
    )
    result = project.ingest("order_status", path, available_at="2026-11-01T10:00:00Z")
    assert result.rows == 1
    row = project.read_features_unscoped(["order_status.*"], ["o_1"], as_of="2026-11-02T00:00:00Z").rows[0]
    assert row.values == {
        "order_status.customer_id": "c_1",
        "order_status.status": "placed",
        "order_status.eta_minutes": 30,
        "order_status.distance_km": 1.5,
        "order_status.refund": Decimal("2.50"),
        "order_status.prep_delay": timedelta(minutes=15),
        "order_status.contactless": True,
        "order_status.placed_on": date(2026, 11, 1),
        "order_status.promised_at": datetime(2026, 11, 1, 9, 40, tzinfo=UTC),
        "order_status.items": ["pizza", "cola"],
    }


def test_type_mismatch_names_column_row_expected_and_value(project: ak.Project, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,event_time,customer_id,status,eta_minutes\n"
        "o_1,2026-11-01T10:00:00Z,c_1,placed,30\n"
        "o_2,2026-11-01T10:00:00Z,c_1,placed,soon\n"
    )
    with pytest.raises(ak.DataError) as info:
        project.ingest("order_status", path)
    assert info.value.code == "data_type_mismatch"
    message = info.value.message
    assert str(path) in message
    assert "row 3" in message
    assert "'eta_minutes'" in message
    assert "expected int" in message
    assert "'soon'" in message
    assert project.history("order_status") == []  # nothing was written


def test_enum_values_are_checked(project: ak.Project) -> None:
    with pytest.raises(ak.DataError, match=r"expected enum\(placed\|preparing\|delivered\|cancelled\), got 'lost'"):
        project.ingest("order_status", pa.Table.from_pylist([order_row("o_1", "2026-11-01T10:00:00Z", status="lost")]))


def test_money_with_too_many_decimals_is_rejected_not_rounded(project: ak.Project) -> None:
    rows = [order_row("o_1", "2026-11-01T10:00:00Z", refund="2.505")]
    with pytest.raises(ak.DataError, match="more than 2 decimal places"):
        project.ingest("order_status", pa.Table.from_pylist(rows))


@pytest.mark.parametrize("missing", ["order_id", "event_time"])
def test_missing_key_or_timestamp_column_is_named(project: ak.Project, missing: str) -> None:
    row = order_row("o_1", "2026-11-01T10:00:00Z")
    del row[missing]
    with pytest.raises(ak.DataError) as info:
        project.ingest("order_status", pa.Table.from_pylist([row]))
    assert info.value.code == "data_missing_column"
    assert f"'{missing}'" in info.value.message


def test_empty_key_value_is_reported_with_its_row(project: ak.Project, tmp_path: Path) -> None:
    path = tmp_path / "o.jsonl"
    path.write_text(
        '{"order_id": "o_1", "event_time": "2026-11-01T10:00:00Z"}\n'
        '{"order_id": null, "event_time": "2026-11-01T10:00:00Z"}\n'
    )
    with pytest.raises(ak.DataError, match=r"row 2: column 'order_id' is empty"):
        project.ingest("order_status", path)


def test_unknown_columns_are_rejected_so_no_data_is_silently_dropped(project: ak.Project) -> None:
    rows = [{**order_row("o_1", "2026-11-01T10:00:00Z"), "eta_mins": 3}]
    with pytest.raises(ak.DataError, match="eta_mins are not features of 'order_status'"):
        project.ingest("order_status", pa.Table.from_pylist(rows))


@pytest.mark.parametrize(
    ("content", "code"),
    [("", "data_empty"), ("order_id,event_time\n", "data_empty"), ("\x00\x01binary", "data_file_invalid")],
)
def test_empty_and_broken_files_get_clear_errors(project: ak.Project, tmp_path: Path, content: str, code: str) -> None:
    path = tmp_path / ("f.csv" if content != "\x00\x01binary" else "f.parquet")
    path.write_text(content)
    with pytest.raises(ak.DataError) as info:
        project.ingest("order_status", path)
    assert info.value.code == code, info.value.message


def test_unsupported_suffix_and_missing_file(project: ak.Project, tmp_path: Path) -> None:
    with pytest.raises(ak.DataError, match="no such file"):
        project.ingest("order_status", tmp_path / "nope.csv")
    (tmp_path / "x.xlsx").write_text("x")
    with pytest.raises(ak.DataError, match=r"unsupported file type \.xlsx"):
        project.ingest("order_status", tmp_path / "x.xlsx")


def test_invalid_jsonl_line_is_named(project: ak.Project, tmp_path: Path) -> None:
    path = tmp_path / "o.jsonl"
    path.write_text('{"order_id": "o_1", "event_time": "2026-11-01T10:00:00Z"}\n{oops\n')
    with pytest.raises(ak.DataError, match=r"o.jsonl:2: not valid JSON"):
        project.ingest("order_status", path)


def test_parquet_ingest_and_unknown_view_suggestion(project: ak.Project, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = tmp_path / "o.parquet"
    table = pa.Table.from_pydict(
        {
            "order_id": ["o_1"],
            "event_time": pa.array([datetime(2026, 11, 1, 10)], pa.timestamp("ms")),  # naive: read as UTC
            "eta_minutes": pa.array([12], pa.int32()),
        }
    )
    with pq.ParquetWriter(path, table.schema) as writer:
        writer.write_table(table)
    assert project.ingest("order_status", path).rows == 1
    with pytest.raises(ak.NotFoundError, match="did you mean order_status"):
        project.ingest("order_statuses", path)


def test_upsert_replaces_rows_with_the_same_key_and_event_time(project: ak.Project) -> None:
    when = "2026-11-01T10:00:00Z"
    project.ingest("order_status", pa.Table.from_pylist([order_row("o_1", when, eta_minutes=30)]))
    project.ingest("order_status", pa.Table.from_pylist([order_row("o_1", when, eta_minutes=25)]), upsert=True)
    data = project.offline.scan(project.applied().definitions.view("order_status"))
    assert data.num_rows == 1
    assert data.column("eta_minutes").to_pylist() == [25]
