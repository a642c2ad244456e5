"""Times that lie: event times in the future are refused (beyond now plus ``[offline]
future_tolerance``) unless deliberately allowed, and a row is never served live before its time.

Every test passes "now" explicitly and uses dates long past, so nothing depends on the wall clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

import agentkit as ak
from tests.conftest import ProjectFactory, order_row, write_project

NOW = datetime(2021, 3, 1, 12, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def live_status(project: ak.Project, order: str) -> object:
    rows = project.read_features_unscoped(["order_status.status"], [order]).rows
    return rows[0].values["order_status.status"] if rows else None


def test_an_event_time_beyond_now_and_the_tolerance_is_refused_naming_file_row_column_and_value(
    project: ak.Project, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,event_time,customer_id,status\n"
        f"o_1,{iso(NOW - timedelta(hours=1))},c_1,placed\n"
        "o_1,2099-01-01T00:00:00Z,c_1,delivered\n"
        "o_2,9999-12-31T00:00:00Z,c_1,delivered\n"
    )
    with pytest.raises(ak.DataError) as info:
        project.ingest("order_status", path, now=NOW)
    assert info.value.code == "data_future_time"
    message = info.value.message
    assert str(path) in message
    assert "row 3" in message
    assert "'event_time'" in message
    assert "2099-01-01" in message
    assert "2 row(s)" in message
    assert "--allow-future" in message
    assert "\n" not in message
    assert project.history("order_status") == []  # nothing was written


def test_the_tolerance_absorbs_clock_skew_and_is_configurable(make_project: ProjectFactory, tmp_path: Path) -> None:
    project = make_project()
    skewed = order_row("o_1", iso(NOW + timedelta(minutes=4)))
    project.ingest("order_status", pa.Table.from_pylist([skewed]), now=NOW)  # default tolerance: 5 minutes
    late = order_row("o_2", iso(NOW + timedelta(minutes=30)))
    with pytest.raises(ak.DataError, match="future_tolerance"):
        project.ingest("order_status", pa.Table.from_pylist([late]), now=NOW)

    config = write_project(tmp_path / "hour")
    config.write_text(config.read_text().replace("[offline]\n", '[offline]\nfuture_tolerance = "PT1H"\n'))
    with ak.Project.load(config) as lenient:
        assert lenient.config.offline.future_tolerance == timedelta(hours=1)
        lenient.apply()
        assert lenient.ingest("order_status", pa.Table.from_pylist([late]), now=NOW).rows == 1


def test_a_future_availability_column_is_refused_too(project: ak.Project) -> None:
    row = {**order_row("o_1", iso(NOW - timedelta(days=1))), "_available_at": "2099-01-01T00:00:00Z"}
    with pytest.raises(ak.DataError) as info:
        project.ingest("order_status", pa.Table.from_pylist([row]), now=NOW)
    assert info.value.code == "data_future_time"
    assert "'_available_at'" in info.value.message


def test_a_future_dated_row_does_not_win_newest_live_before_its_time(project: ak.Project) -> None:
    """The bug: a row dated 2099 kept answering 'delivered' after a real update was ingested."""
    future = order_row("o_1", iso(NOW + timedelta(days=2)), status="delivered")
    project.ingest("order_status", pa.Table.from_pylist([future]), allow_future=True, now=NOW)
    update = order_row("o_1", iso(NOW - timedelta(minutes=10)), status="preparing")
    project.ingest("order_status", pa.Table.from_pylist([update]), now=NOW)

    (result,) = project.materialize(["order_status"], now=NOW)
    assert live_status(project, "o_1") == "preparing"
    assert result.held_back == 1
    assert result.held_until == NOW + timedelta(days=2) - project.config.offline.future_tolerance

    later = NOW + timedelta(days=3)
    (result,) = project.materialize(["order_status"], now=later)
    assert result.held_back == 0
    assert live_status(project, "o_1") == "delivered"
    (result,) = project.materialize(["order_status"], now=later)
    assert result.mode == "up-to-date"


@pytest.fixture(params=["local", "redis"])
def any_store(request: pytest.FixtureRequest, make_project: ProjectFactory) -> Iterator[ak.Project]:
    if request.param == "local":
        yield make_project()
        return
    url: str = request.getfixturevalue("redis_url")
    unique: str = request.getfixturevalue("unique")
    project = make_project(online=url, key_prefix=unique)
    yield project
    from agentkit.features.online_redis import RedisOnlineStore

    store = project.online
    assert isinstance(store, RedisOnlineStore)
    store.delete_all()


def test_rows_not_yet_available_are_held_back_and_served_by_a_later_materialize(any_store: ak.Project) -> None:
    project = any_store
    old = {
        **order_row("o_1", iso(NOW - timedelta(days=1)), status="placed"),
        "_available_at": iso(NOW - timedelta(days=1)),
    }
    embargoed = {
        **order_row("o_1", iso(NOW - timedelta(hours=1)), status="cancelled"),
        "_available_at": iso(NOW + timedelta(hours=6)),
    }
    project.ingest("order_status", pa.Table.from_pylist([old, embargoed]), allow_future=True, now=NOW)

    (first,) = project.materialize(["order_status"], now=NOW)
    assert live_status(project, "o_1") == "placed"  # never served before its availability
    assert (first.held_back, first.held_until) == (1, NOW + timedelta(hours=6))
    (status,) = [s for s in project.status(now=NOW) if s.view == "order_status"]
    assert status.behind  # the online store does not hold everything of the current snapshot yet

    (early,) = project.materialize(["order_status"], now=NOW + timedelta(hours=1))
    assert early.held_back == 1
    assert live_status(project, "o_1") == "placed"

    (due,) = project.materialize(["order_status"], now=NOW + timedelta(hours=7))
    assert due.held_back == 0
    assert live_status(project, "o_1") == "cancelled"
    (status,) = [s for s in project.status(now=NOW + timedelta(hours=7)) if s.view == "order_status"]
    assert not status.behind


def test_status_freshness_is_not_fooled_by_a_row_dated_in_the_future(project: ak.Project) -> None:
    """The bug: a row dated 9999 made `status` report freshness that can never go stale."""
    rows = [
        order_row("o_1", iso(NOW - timedelta(days=2))),
        order_row("o_2", "9999-01-01T00:00:00Z"),
    ]
    project.ingest("order_status", pa.Table.from_pylist(rows), allow_future=True, now=NOW)
    (status,) = [s for s in project.status(now=NOW) if s.view == "order_status"]
    assert status.latest_event_time == NOW - timedelta(days=2)
    assert status.stale  # freshness is one hour; the newest real row is two days old


def test_push_refuses_a_row_dated_in_the_future(project: ak.Project) -> None:
    with pytest.raises(ak.DataError) as info:
        project.push("order_status", [order_row("o_1", "9999-01-01T00:00:00Z")])
    assert info.value.code == "data_future_time"
    assert project.history("order_status") == []
