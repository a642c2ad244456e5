"""The read path in one place: one raw read under both doors, one entity check, one choice of scope
source, one parser of times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

import agentkit as ak
from agentkit.reads import OfflineScopeSource, OnlineScopeSource, parse_as_of, scope_source
from tests.governance.conftest import make_governed, user

T1 = "2026-11-01T10:00:00Z"
T2 = "2026-11-01T12:00:00Z"
BETWEEN = datetime(2026, 11, 1, 11, tzinfo=UTC)


@pytest.fixture
def reassigned(tmp_path: Path) -> ak.Project:
    """Order o_1 belongs to c_a at t1 and to c_b from t2 on."""
    project = make_governed(tmp_path / "reads")
    rows = [
        {"order_id": "o_1", "event_time": T1, "customer_id": "c_a", "eta_minutes": 10, "_available_at": T1},
        {"order_id": "o_1", "event_time": T2, "customer_id": "c_b", "eta_minutes": 5, "_available_at": T2},
    ]
    project.ingest("order_status", pa.Table.from_pylist(rows))
    project.ingest("customer_profile", pa.Table.from_pylist([{"customer_id": "c_a", "event_time": T1, "tier": "gold"}]))
    project.materialize()
    return project


def test_both_read_paths_refuse_mixed_entities_with_the_same_error(reassigned: ak.Project) -> None:
    refs = ["order_status.eta_minutes", "customer_profile.tier"]
    with pytest.raises(ak.NotFoundError) as unscoped:
        reassigned.read_features_unscoped(refs, ["o_1"])
    with pytest.raises(ak.NotFoundError) as scoped:
        reassigned.get_features(user("c_a"), refs, entity_key="o_1")
    assert unscoped.value.code == scoped.value.code == "mixed_entities"
    assert unscoped.value.message == scoped.value.message
    assert "different entities" in scoped.value.message
    reassigned.close()


def test_a_live_read_scopes_on_the_online_store_and_a_point_in_time_read_on_pinned_snapshots(
    reassigned: ak.Project,
) -> None:
    definitions = reassigned.applied().definitions
    live, pinned = scope_source(reassigned, definitions, None)
    assert isinstance(live, OnlineScopeSource) and pinned is None
    past, pinned = scope_source(reassigned, definitions, BETWEEN)
    assert isinstance(past, OfflineScopeSource)
    assert pinned is not None and set(pinned) == {v.name for v in definitions.views}
    assert pinned["order_status"] == reassigned.offline.current_snapshot_id("order_status")
    reassigned.close()


def test_explain_and_the_scoped_read_see_the_same_owner_at_the_same_moment(reassigned: ak.Project) -> None:
    refs = ["order_status.eta_minutes"]
    for when, owner, other in ((BETWEEN, "c_a", "c_b"), (None, "c_b", "c_a")):
        assert "o_1" in reassigned.explain(user(owner), as_of=when).reach["order"].keys
        assert "o_1" not in reassigned.explain(user(other), as_of=when).reach["order"].keys
        assert reassigned.get_features(user(owner), refs, entity_key="o_1", as_of=when).rows[0].key == "o_1"
        with pytest.raises(ak.NotFoundError):
            reassigned.get_features(user(other), refs, entity_key="o_1", as_of=when)
    reassigned.close()


def test_the_raw_read_serves_both_doors_with_the_same_values(reassigned: ak.Project) -> None:
    refs = ["order_status.eta_minutes", "order_status.customer_id"]
    for when in (None, BETWEEN):
        unscoped = reassigned.read_features_unscoped(refs, ["o_1"], as_of=when).rows
        owner = unscoped[0].values["order_status.customer_id"]
        scoped = reassigned.get_features(user(owner), refs, entity_key="o_1", as_of=when).rows
        assert [r.values for r in scoped] == [r.values for r in unscoped]
        assert [p.source for p in scoped[0].provenance] == ["online" if when is None else "offline"]
    reassigned.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01T12:00:00Z", datetime(2026, 11, 1, 12, tzinfo=UTC)),
        ("2026-11-01T12:00:00z", datetime(2026, 11, 1, 12, tzinfo=UTC)),
        ("2026-11-01T14:00:00+02:00", datetime(2026, 11, 1, 12, tzinfo=UTC)),
    ],
)
def test_as_of_accepts_any_zone_and_reads_it_in_utc(text: str, expected: datetime) -> None:
    when = parse_as_of(text)
    assert when == expected and when is not None and when.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "shown"), [("2026-11-01T12:00:00", "timezone"), ("2026-11-01", "timezone"), ("next tuesday", "ISO 8601")]
)
def test_a_naive_or_unparsable_as_of_is_refused_with_one_code(text: str, shown: str) -> None:
    with pytest.raises(ak.AsOfError) as info:
        parse_as_of(text)
    assert info.value.code == "as_of_invalid"
    assert shown in info.value.message


def test_front_matter_times_use_the_same_parser_as_as_of(tmp_path: Path) -> None:
    from agentkit.retrieval import load_file

    page = tmp_path / "tipping.md"
    page.write_text("---\nid: tipping\nvalid_from: 2026-11-01T14:00:00+02:00\nvalid_to: 2026-12-01t00:00z\n---\nTip.\n")
    doc = load_file(page)
    assert doc.valid_from == parse_as_of("2026-11-01T14:00:00+02:00")
    assert doc.valid_to == datetime(2026, 12, 1, tzinfo=UTC)
