"""The platform end to end on real Iceberg + the online stores: ingest, materialize, push, status."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

import agentkit as ak
from tests.conftest import ProjectFactory, order_row

REFS = ["order_status.status", "order_status.eta_minutes"]


def ingest(project: ak.Project, *rows: dict[str, object]) -> None:
    project.ingest("order_status", pa.Table.from_pylist(list(rows)))


def test_materialize_then_live_reads(project: ak.Project) -> None:
    ingest(
        project,
        order_row("o_1", "2026-11-01T10:00:00Z", eta_minutes=40),
        order_row("o_1", "2026-11-01T10:20:00Z", status="preparing", eta_minutes=25),
        order_row("o_2", "2026-11-01T10:00:00Z", customer="c_2", eta_minutes=30),
    )
    (result,) = project.materialize(["order_status"])
    assert (result.mode, result.keys, result.rows_read) == ("full", 2, 3)
    rows = project.read_features_unscoped(REFS, ["o_1", "o_2", "o_404"])
    assert [r.values for r in rows.rows] == [
        {"order_status.status": "preparing", "order_status.eta_minutes": 25},
        {"order_status.status": "placed", "order_status.eta_minutes": 30},
    ]
    assert rows.missing == ("o_404",)
    assert rows.rows[0].provenance[0].source == "online"
    assert rows.rows[0].provenance[0].snapshot_id == result.snapshot_id


def test_materialize_is_incremental_after_appends_and_up_to_date_when_nothing_changed(project: ak.Project) -> None:
    ingest(project, order_row("o_1", "2026-11-01T10:00:00Z", eta_minutes=40))
    assert project.materialize(["order_status"])[0].mode == "full"
    assert project.materialize(["order_status"])[0].mode == "up-to-date"
    ingest(project, order_row("o_1", "2026-11-01T10:30:00Z", eta_minutes=10))
    ingest(project, order_row("o_9", "2026-11-01T10:30:00Z", eta_minutes=3))
    inc = project.materialize(["order_status"])[0]
    assert (inc.mode, inc.rows_read, inc.keys) == ("incremental", 2, 2)
    assert project.read_features_unscoped(["order_status.eta_minutes"], ["o_1"]).rows[0].values == {
        "order_status.eta_minutes": 10
    }


def test_a_rewrite_between_materializations_falls_back_to_full(project: ak.Project) -> None:
    ingest(project, order_row("o_1", "2026-11-01T10:00:00Z", eta_minutes=40))
    project.materialize()
    project.ingest(
        "order_status", pa.Table.from_pylist([order_row("o_1", "2026-11-01T10:00:00Z", eta_minutes=41)]), upsert=True
    )
    assert project.materialize(["order_status"])[0].mode == "full"
    assert project.read_features_unscoped(["order_status.eta_minutes"], ["o_1"]).rows[0].values == {
        "order_status.eta_minutes": 41
    }


def test_push_is_visible_to_the_next_read_and_lands_in_iceberg(project: ak.Project) -> None:
    ingest(project, order_row("o_1", "2026-11-01T10:00:00Z", eta_minutes=40))
    project.materialize()
    project.push("order_status", [order_row("o_1", "2026-11-01T10:10:00Z", eta_minutes=12)])
    assert project.read_features_unscoped(["order_status.eta_minutes"], ["o_1"]).rows[0].values == {
        "order_status.eta_minutes": 12
    }
    assert project.offline.scan(project.applied().definitions.view("order_status")).num_rows == 2
    assert project.materialize(["order_status"])[0].mode in ("incremental", "full")
    assert project.read_features_unscoped(["order_status.eta_minutes"], ["o_1"]).rows[0].values == {
        "order_status.eta_minutes": 12
    }


def test_a_push_is_visible_to_another_process(project: ak.Project) -> None:
    ingest(project, order_row("o_1", "2026-11-01T10:00:00Z", eta_minutes=40))
    project.materialize()
    assert (
        project.read_features_unscoped(["order_status.eta_minutes"], ["o_1"]).rows[0].values["order_status.eta_minutes"]
        == 40
    )
    code = (
        "import agentkit as ak; p = ak.Project.load({!r}); "
        "p.push('order_status', [{{'order_id': 'o_1', 'event_time': '2026-11-01T10:05:00Z', 'eta_minutes': 7}}])"
    ).format(str(project.root / "agentkit.toml"))
    subprocess.run([sys.executable, "-c", code], check=True)
    assert (
        project.read_features_unscoped(["order_status.eta_minutes"], ["o_1"]).rows[0].values["order_status.eta_minutes"]
        == 7
    )


def test_reads_use_applied_definitions_not_the_file_on_disk(project: ak.Project) -> None:
    ingest(project, order_row("o_1", "2026-11-01T10:00:00Z"))
    project.materialize()
    features_py = project.root / "features.py"
    features_py.write_text(features_py.read_text().replace('name="eta_minutes"', 'name="eta_mins"'))
    fresh = ak.Project.load(project.root / "agentkit.toml")
    assert fresh.read_features_unscoped(["order_status.eta_minutes"], ["o_1"]).rows[0].key == "o_1"
    with pytest.raises(ak.NotFoundError, match="did you mean eta_minutes"):
        fresh.read_features_unscoped(["order_status.eta_mins"], ["o_1"])


def test_nothing_applied_yet_says_so(make_project: ProjectFactory) -> None:
    project = make_project(apply=False)
    with pytest.raises(ak.NotFoundError, match="agentkit apply"):
        project.read_features_unscoped(REFS, ["o_1"])


def test_status_reports_rows_freshness_and_materialization(project: ak.Project) -> None:
    ingest(project, order_row("o_1", "2026-11-01T10:00:00Z"), order_row("o_2", "2026-11-01T11:00:00Z"))
    now = datetime(2026, 11, 1, 11, 30, tzinfo=UTC)
    (status,) = [s for s in project.status(now=now) if s.view == "order_status"]
    assert (status.rows, status.snapshots, status.online_keys, status.behind) == (2, 1, 0, True)
    assert status.latest_event_time == datetime(2026, 11, 1, 11, tzinfo=UTC)
    assert not status.stale  # 30 minutes old, expected within 1 hour
    project.materialize()
    later = next(s for s in project.status(now=now + timedelta(hours=2)) if s.view == "order_status")
    assert later.stale
    assert not later.behind
    assert later.online_keys == 2


def test_compact_rewrites_small_files_and_keeps_referenced_snapshots(project: ak.Project) -> None:
    for i in range(4):
        ingest(project, order_row(f"o_{i}", "2026-11-01T10:00:00Z"))
    project.materialize()
    materialized = project.online.state("order_status").snapshot_id  # type: ignore[union-attr]
    future = datetime.now(UTC) + timedelta(days=365)
    (report,) = project.compact(["order_status"], now=future)
    assert report["files_before"] == 4
    assert report["files_after"] == 1
    remaining = {s.snapshot_id for s in project.history("order_status")}
    current = project.offline.current_snapshot_id("order_status")
    # Everything older than the retention expires, except the current snapshot and the one the
    # online store was materialized from.
    assert remaining == {materialized, current}
    assert report["snapshots_expired"] >= 3
    assert len(project.read_features_unscoped(REFS, [f"o_{i}" for i in range(4)], as_of=datetime.now(UTC)).rows) == 4


def test_unreachable_catalog_is_a_clear_error(make_project: ProjectFactory) -> None:
    project = make_project(apply=False, catalog="postgresql+psycopg2://nobody@127.0.0.1:1/none")
    with pytest.raises(ak.CatalogError) as info:
        project.apply()
    assert info.value.code == "catalog_unreachable"
    assert "127.0.0.1:1" in info.value.message
    assert "server is running" in info.value.message


def test_redis_online_store_serves_the_project(make_project: ProjectFactory, redis_url: str, unique: str) -> None:
    project = make_project(online=redis_url, key_prefix=unique)
    try:
        ingest(project, order_row("o_1", "2026-11-01T10:00:00Z", eta_minutes=9))
        project.materialize()
        assert project.read_features_unscoped(["order_status.eta_minutes"], ["o_1"]).rows[0].values == {
            "order_status.eta_minutes": 9
        }
        project.push("order_status", [order_row("o_1", "2026-11-01T10:01:00Z", eta_minutes=8)])
        fresh = ak.Project.load(project.root / "agentkit.toml")
        assert fresh.read_features_unscoped(["order_status.eta_minutes"], ["o_1"]).rows[0].values == {
            "order_status.eta_minutes": 8
        }
    finally:
        from agentkit.features.online_redis import RedisOnlineStore

        online = project.online
        assert isinstance(online, RedisOnlineStore)
        online.delete_all()


def test_a_running_process_picks_up_a_new_apply(project: ak.Project, monkeypatch: pytest.MonkeyPatch) -> None:
    import agentkit.project as project_module

    monkeypatch.setattr(project_module, "REGISTRY_RECHECK", 0.0)
    ingest(project, order_row("o_1", "2026-11-01T10:00:00Z"))
    project.materialize()
    assert project.applied().version == 1
    other = ak.Project.load(project.root / "agentkit.toml")  # e.g. the CLI, while a server keeps running
    features = other.root / "features.py"
    features.write_text(features.read_text().replace('description="Minutes until delivery."', 'description="ETA."'))
    ak.Project.load(other.root / "agentkit.toml").apply()
    assert project.applied().version == 2  # no restart needed


def test_the_old_unscoped_read_name_warns_and_still_reads(project: ak.Project) -> None:
    ingest(project, order_row("o_1", "2026-11-01T10:00:00Z", eta_minutes=40))
    project.materialize(["order_status"])
    with pytest.warns(DeprecationWarning, match="read_features_unscoped"):
        rows = project.read_features(["order_status.eta_minutes"], ["o_1"])
    assert rows.rows[0].values == {"order_status.eta_minutes": 40}
