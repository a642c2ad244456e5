"""Point-in-time reads: per key, the latest row with event time <= t and availability <= t."""

from datetime import UTC, datetime

import pyarrow as pa
import pytest

import agentkit as ak
from tests.conftest import order_row

REFS = ["order_status.status", "order_status.eta_minutes"]


@pytest.fixture
def history(project: ak.Project) -> ak.Project:
    # Known live: each row available one minute after it happened.
    rows = [
        {
            **order_row("o_1", "2026-11-01T10:00:00Z", status="placed", eta_minutes=40),
            "_available_at": "2026-11-01T10:01:00Z",
        },
        {
            **order_row("o_1", "2026-11-01T10:20:00Z", status="preparing", eta_minutes=25),
            "_available_at": "2026-11-01T10:21:00Z",
        },
        {
            **order_row("o_1", "2026-11-01T11:00:00Z", status="delivered", eta_minutes=0),
            "_available_at": "2026-11-01T11:01:00Z",
        },
        {
            **order_row("o_2", "2026-11-01T10:30:00Z", customer="c_2", eta_minutes=35),
            "_available_at": "2026-11-01T10:31:00Z",
        },
    ]
    project.ingest("order_status", pa.Table.from_pylist(rows))
    return project


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2026-11-01T09:59:00Z", {}),
        ("2026-11-01T10:00:30Z", {}),  # happened, but not yet available
        ("2026-11-01T10:01:00Z", {"o_1": ("placed", 40)}),
        ("2026-11-01T10:20:30Z", {"o_1": ("placed", 40)}),
        ("2026-11-01T10:45:00Z", {"o_1": ("preparing", 25), "o_2": ("placed", 35)}),
        ("2026-11-01T12:00:00Z", {"o_1": ("delivered", 0), "o_2": ("placed", 35)}),
    ],
)
def test_as_of_sees_only_what_was_known_then(
    history: ak.Project, as_of: str, expected: dict[str, tuple[str, int]]
) -> None:
    result = history.read_features_unscoped(REFS, ["o_1", "o_2"], as_of=as_of)
    got = {r.key: (r.values["order_status.status"], r.values["order_status.eta_minutes"]) for r in result.rows}
    assert got == expected
    assert set(result.missing) == {"o_1", "o_2"} - set(expected)


def test_late_backfill_is_invisible_before_its_availability(history: ak.Project) -> None:
    # A correction for 10:10 that only arrived at 12:00 must not change what was known at 10:30.
    late = {**order_row("o_1", "2026-11-01T10:10:00Z", status="cancelled"), "_available_at": "2026-11-01T12:00:00Z"}
    history.ingest("order_status", pa.Table.from_pylist([late]))
    at_1030 = history.read_features_unscoped(REFS, ["o_1"], as_of="2026-11-01T10:30:00Z").rows[0]
    assert at_1030.values["order_status.status"] == "preparing"


def test_reads_pin_to_a_snapshot_for_exact_reproducibility(history: ak.Project) -> None:
    first = history.history("order_status")[0].snapshot_id
    history.ingest("order_status", pa.Table.from_pylist([order_row("o_3", "2026-11-01T10:00:00Z")]))
    assert len(history.history("order_status")) == 2
    pinned = history.read_features_unscoped(REFS, ["o_3"], snapshots={"order_status": first})
    assert pinned.missing == ("o_3",)
    live_offline = history.read_features_unscoped(REFS, ["o_3"], as_of=datetime.now(UTC))
    assert [r.key for r in live_offline.rows] == ["o_3"]
    assert pinned.rows == ()
    assert live_offline.rows[0].provenance[0].snapshot_id != first


def test_provenance_names_view_snapshot_and_times(history: ak.Project) -> None:
    row = history.read_features_unscoped(REFS, ["o_1"], as_of="2026-11-01T10:45:00Z").rows[0]
    (prov,) = row.provenance
    assert prov.view == "order_status"
    assert prov.source == "offline"
    assert prov.snapshot_id == history.history("order_status")[-1].snapshot_id
    assert prov.event_time.isoformat() == "2026-11-01T10:20:00+00:00"


@pytest.mark.parametrize(
    ("as_of", "code"),
    [
        ("yesterday", "as_of_invalid"),
        ("2026-11-01T10:00:00", "as_of_invalid"),
        ("2999-01-01T00:00:00Z", "as_of_future"),
    ],
)
def test_bad_as_of_is_refused_clearly(history: ak.Project, as_of: str, code: str) -> None:
    with pytest.raises(ak.AsOfError) as info:
        history.read_features_unscoped(REFS, ["o_1"], as_of=as_of)
    assert info.value.code == code
    assert as_of.split("T", maxsplit=1)[0] in info.value.message or "timezone" in info.value.message


def test_unknown_snapshot_is_not_found(history: ak.Project) -> None:
    with pytest.raises(ak.NotFoundError, match="agentkit history order_status"):
        history.read_features_unscoped(REFS, ["o_1"], snapshots={"order_status": 42})


def test_one_entity_per_read(history: ak.Project) -> None:
    with pytest.raises(ak.NotFoundError, match="different entities"):
        history.read_features_unscoped(["order_status.status", "customer_profile.tier"], ["o_1"])
