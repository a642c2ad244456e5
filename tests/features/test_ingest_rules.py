"""Ingest rules: duplicate (key, event time) rows in one file are refused unless ``dedupe`` keeps
the last of each; re-ingesting identical rows is a no-op that says so; values that overflow their
column and huge bad values give a short one-line error."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner

import agentkit as ak
from agentkit.cli import main
from agentkit.errors import shown
from tests.conftest import order_row

NOW = datetime(2021, 3, 1, 12, 0, tzinfo=UTC)
READ_AT = NOW + timedelta(days=1)
T = "2021-02-01T10:00:00Z"

CSV = (
    "order_id,event_time,customer_id,status,eta_minutes\n"
    f"o_1,{T},c_1,placed,30\n"
    f"o_2,{T},c_1,placed,20\n"
    f"o_1,{T},c_1,preparing,25\n"
)


def eta(project: ak.Project, order: str) -> object:
    row = project.read_features_unscoped(["order_status.eta_minutes"], [order], as_of=READ_AT).rows[0]
    return row.values["order_status.eta_minutes"]


def test_duplicate_key_and_event_time_rows_are_refused_naming_both_rows(project: ak.Project, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(CSV)
    for upsert in (False, True):
        with pytest.raises(ak.DataError) as info:
            project.ingest("order_status", path, upsert=upsert, now=NOW)
        assert info.value.code == "data_duplicate_rows"
        message = info.value.message
        assert str(path) in message
        assert "rows 2 and 4" in message
        assert "'o_1'" in message
        assert "--dedupe" in message
    assert project.history("order_status") == []


def test_dedupe_keeps_the_last_row_of_each_key_and_event_time(project: ak.Project, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(CSV)
    result = project.ingest("order_status", path, dedupe=True, now=NOW)
    assert (result.rows, result.duplicates_dropped) == (2, 1)
    assert eta(project, "o_1") == 25
    assert eta(project, "o_2") == 20


def test_dedupe_with_upsert_replaces_the_stored_row_with_the_files_last(project: ak.Project, tmp_path: Path) -> None:
    project.ingest("order_status", pa.Table.from_pylist([order_row("o_1", T, eta_minutes=50)]), now=NOW)
    path = tmp_path / "orders.csv"
    path.write_text(CSV)
    result = project.ingest("order_status", path, dedupe=True, upsert=True, now=NOW)
    assert result.mode == "upsert"
    assert eta(project, "o_1") == 25
    assert project.offline.scan(project.applied().definitions.view("order_status")).num_rows == 2


def test_re_ingesting_identical_rows_is_a_no_op_whatever_the_file_name_and_time(
    project: ak.Project, tmp_path: Path
) -> None:
    first = tmp_path / "orders.csv"
    first.write_text(CSV.replace("o_1,2021-02-01T10:00:00Z,c_1,preparing,25\n", ""))
    done = project.ingest("order_status", first, now=NOW)
    assert not done.already_ingested
    again = tmp_path / "copy-of-orders.csv"
    shutil.copy(first, again)
    result = project.ingest("order_status", again, now=NOW + timedelta(days=1))
    assert result.already_ingested
    assert result.snapshot_id == done.snapshot_id
    assert len(project.history("order_status")) == 1
    # The same rows as JSON lines: the validated rows are what is compared, not the file.
    lines = tmp_path / "orders.jsonl"
    rows = [order_row("o_1", T, eta_minutes=30), order_row("o_2", T, eta_minutes=20)]
    lines.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert project.ingest("order_status", lines, now=NOW).already_ingested


def test_different_rows_or_an_explicit_availability_are_ingested_again(project: ak.Project) -> None:
    rows = pa.Table.from_pylist([order_row("o_1", T, eta_minutes=30)])
    first = project.ingest("order_status", rows, now=NOW)
    backfill = project.ingest("order_status", rows, available_at="2021-02-01T10:00:05Z", now=NOW)
    assert not backfill.already_ingested and backfill.snapshot_id != first.snapshot_id
    changed = project.ingest("order_status", pa.Table.from_pylist([order_row("o_1", T, eta_minutes=31)]), now=NOW)
    assert not changed.already_ingested


def test_re_ingesting_rows_that_a_later_upsert_replaced_restores_them(project: ak.Project) -> None:
    original = pa.Table.from_pylist([order_row("o_1", T, eta_minutes=30)])
    project.ingest("order_status", original, now=NOW)
    project.ingest("order_status", pa.Table.from_pylist([order_row("o_1", T, eta_minutes=99)]), upsert=True, now=NOW)
    assert eta(project, "o_1") == 99
    restored = project.ingest("order_status", original, now=NOW + timedelta(minutes=1))
    assert not restored.already_ingested
    assert eta(project, "o_1") == 30


def test_an_integer_that_overflows_its_column_is_a_data_error(project: ak.Project, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(f"order_id,event_time,customer_id,eta_minutes\no_1,{T},c_1,99999999999999999999\n")
    with pytest.raises(ak.DataError) as info:
        project.ingest("order_status", path, now=NOW)
    assert info.value.code == "data_type_mismatch"
    assert "row 2" in info.value.message
    assert "out of range" in info.value.message
    lines = tmp_path / "orders.jsonl"
    lines.write_text(json.dumps(order_row("o_1", T, eta_minutes=2**64)) + "\n")
    with pytest.raises(ak.DataError, match="out of range"):
        project.ingest("order_status", lines, now=NOW)


def test_a_huge_bad_value_is_cut_in_the_error(project: ak.Project, tmp_path: Path) -> None:
    huge = "x" * 1_000_000
    lines = tmp_path / "orders.jsonl"
    lines.write_text(json.dumps(order_row("o_1", T, eta_minutes=huge)) + "\n")
    with pytest.raises(ak.DataError) as info:
        project.ingest("order_status", lines, now=NOW)
    message = info.value.message
    assert len(message) < 600
    assert "(1000000 chars)" in message
    with pytest.raises(ak.DataError) as when:
        project.ingest("order_status", pa.Table.from_pylist([order_row("o_1", "2021" + huge)]), now=NOW)
    assert len(when.value.message) < 600


def test_shown_cuts_long_values_and_keeps_short_ones() -> None:
    assert shown("soon") == "'soon'"
    cut = shown("y" * 10_000, limit=20)
    assert cut.startswith("'yyyy") and cut.endswith("… (10000 chars)")
    assert len(cut) < 50


def cli(project: ak.Project, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--config", str(project.root / "agentkit.toml"), *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_the_cli_says_already_ingested_and_refuses_bad_files_in_one_line(project: ak.Project, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(CSV)
    code, _, err = cli(project, "ingest", "order_status", str(path))
    assert code == 2 and "--dedupe" in err and len(err.strip().splitlines()) == 1
    code, out, _ = cli(project, "ingest", "order_status", str(path), "--dedupe")
    assert code == 0 and "1 duplicate" in out
    snapshot = project.offline.current_snapshot_id("order_status")
    code, out, _ = cli(project, "ingest", "order_status", str(path), "--dedupe")
    assert code == 0
    assert f"already ingested (snapshot {snapshot})" in out

    overflow = tmp_path / "overflow.csv"
    overflow.write_text(f"order_id,event_time,customer_id,eta_minutes\no_9,{T},c_1,99999999999999999999\n")
    code, _, err = cli(project, "ingest", "order_status", str(overflow))
    assert code == 2 and "out of range" in err and len(err.strip().splitlines()) == 1

    future = tmp_path / "future.csv"
    future.write_text("order_id,event_time,customer_id\no_9,9999-01-01T00:00:00Z,c_1\n")
    code, _, err = cli(project, "ingest", "order_status", str(future))
    assert code == 2 and "--allow-future" in err and len(err.strip().splitlines()) == 1
    code, out, _ = cli(project, "ingest", "order_status", str(future), "--allow-future", "--json")
    assert code == 0 and json.loads(out)["rows"] == 1
