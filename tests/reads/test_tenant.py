"""The tenant check of a scoped read sees the same data as the read itself: live for a live read, as
of t (on the read's own snapshots) for a point-in-time read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

import agentkit as ak
from tests.governance.conftest import POLICY, make_governed, user

TENANT_POLICY = POLICY.replace("max_rows = 3", 'max_rows = 3\ntenant_feature = "tenant_id"')
REFS = ["order_status.eta_minutes"]
T1 = "2026-11-01T10:00:00Z"
T2 = "2026-11-01T12:00:00Z"
BETWEEN = datetime(2026, 11, 1, 11, tzinfo=UTC)


@pytest.fixture
def moved(tmp_path: Path) -> ak.Project:
    """Order o_1 of customer c_a belongs to tenant acme at t1 and to tenant globex from t2 on."""
    project = make_governed(tmp_path / "moved", policy=TENANT_POLICY)
    rows = [
        {"order_id": "o_1", "event_time": T1, "customer_id": "c_a", "eta_minutes": 10, "tenant_id": "acme",
         "_available_at": T1},
        {"order_id": "o_1", "event_time": T2, "customer_id": "c_a", "eta_minutes": 5, "tenant_id": "globex",
         "_available_at": T2},
    ]  # fmt: skip
    project.ingest("order_status", pa.Table.from_pylist(rows))
    project.materialize()
    return project


def test_a_point_in_time_read_checks_the_tenant_as_of_that_time(moved: ak.Project) -> None:
    rows = moved.get_features(user("c_a", tenant="acme"), REFS, entity_key="o_1", as_of=BETWEEN).rows
    assert [r.values for r in rows] == [{"order_status.eta_minutes": 10}]
    with pytest.raises(ak.NotFoundError) as info:  # globex only got the order at t2
        moved.get_features(user("c_a", tenant="globex"), REFS, entity_key="o_1", as_of=BETWEEN)
    assert info.value.code == "record_not_found"
    moved.close()


def test_a_live_read_checks_the_tenant_now(moved: ak.Project) -> None:
    assert moved.get_features(user("c_a", tenant="globex"), REFS, entity_key="o_1").rows[0].key == "o_1"
    with pytest.raises(ak.NotFoundError):
        moved.get_features(user("c_a", tenant="acme"), REFS, entity_key="o_1")
    moved.close()
