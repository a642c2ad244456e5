"""One conformance suite for every online store: the local file store and Redis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

import agentkit as ak
from agentkit.features.online import LocalOnlineStore, OnlineStore
from agentkit.features.schema import coerce_table
from tests.conftest import DEFINITIONS, order_row

T0 = datetime(2026, 11, 1, 10, tzinfo=UTC)


def _definitions(tmp_path: Path) -> ak.Definitions:
    from agentkit.features.definitions import load_definitions

    path = tmp_path / "defs.py"
    path.write_text(DEFINITIONS)
    return load_definitions(path)


@pytest.fixture(params=["local", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path, unique: str) -> Iterator[OnlineStore]:
    if request.param == "local":
        local = LocalOnlineStore(tmp_path / "online")
        yield local
        local.close()
        return
    from agentkit.features.online_redis import RedisOnlineStore

    url: str = request.getfixturevalue("redis_url")
    redis_store = RedisOnlineStore(url, prefix=unique)
    yield redis_store
    redis_store.delete_all()
    redis_store.close()


@pytest.fixture
def view(tmp_path: Path) -> ak.FeatureView:
    return _definitions(tmp_path).view("order_status")


def rows(view: ak.FeatureView, *items: dict[str, object], ingested: datetime = T0) -> pa.Table:
    return coerce_table(view, pa.Table.from_pylist(list(items)), available_at=None, ingested_at=ingested)


FEATURES = ["status", "eta_minutes", "refund", "prep_delay", "placed_on", "promised_at", "items", "contactless"]


def test_values_of_every_type_round_trip(store: OnlineStore, view: ak.FeatureView) -> None:
    data = rows(
        view,
        order_row(
            "o_1",
            "2026-11-01T10:00:00Z",
            eta_minutes=30,
            refund="2.50",
            prep_delay=900,
            placed_on="2026-11-01",
            promised_at="2026-11-01T10:40:00Z",
            items=["pizza", "cola"],
            contactless=True,
        ),
    )
    assert store.write(view, data, snapshot_id=7, replace=True) == 1
    (row,) = store.read(view, ["o_1"], FEATURES)
    assert row is not None
    assert row.values == (
        "placed",
        30,
        Decimal("2.50"),
        900,
        date(2026, 11, 1),
        datetime(2026, 11, 1, 10, 40, tzinfo=UTC),
        ["pizza", "cola"],
        True,
    )
    assert row.event_time == T0
    state = store.state("order_status")
    assert state is not None
    assert state.snapshot_id == 7
    assert state.rows == 1


def test_unknown_keys_read_as_none_in_order(store: OnlineStore, view: ak.FeatureView) -> None:
    store.write(view, rows(view, order_row("o_1", "2026-11-01T10:00:00Z")), snapshot_id=1, replace=True)
    result = store.read(view, ["nope", "o_1", "o_1'; DROP TABLE x;--"], ["status"])
    assert [r.key if r else None for r in result] == [None, "o_1", None]


def test_newest_row_wins_and_older_rows_never_overwrite(store: OnlineStore, view: ak.FeatureView) -> None:
    store.write(
        view, rows(view, order_row("o_1", "2026-11-01T10:30:00Z", status="preparing")), snapshot_id=1, replace=True
    )
    store.write(
        view, rows(view, order_row("o_1", "2026-11-01T10:00:00Z", status="placed")), snapshot_id=2, replace=False
    )
    assert store.read(view, ["o_1"], ["status"])[0].values == ("preparing",)  # type: ignore[union-attr]
    store.write(
        view, rows(view, order_row("o_1", "2026-11-01T11:00:00Z", status="delivered")), snapshot_id=3, replace=False
    )
    assert store.read(view, ["o_1"], ["status"])[0].values == ("delivered",)  # type: ignore[union-attr]


def test_replace_discards_previous_keys(store: OnlineStore, view: ak.FeatureView) -> None:
    store.write(view, rows(view, order_row("o_1", "2026-11-01T10:00:00Z")), snapshot_id=1, replace=True)
    store.write(view, rows(view, order_row("o_2", "2026-11-01T10:00:00Z")), snapshot_id=2, replace=True)
    assert [r is not None for r in store.read(view, ["o_1", "o_2"], ["status"])] == [False, True]


def test_a_new_store_instance_sees_what_another_wrote(store: OnlineStore, view: ak.FeatureView, tmp_path: Path) -> None:
    store.write(view, rows(view, order_row("o_1", "2026-11-01T10:00:00Z", eta_minutes=5)), snapshot_id=1, replace=True)
    assert store.read(view, ["o_1"], ["eta_minutes"])[0] is not None
    store.write(view, rows(view, order_row("o_1", "2026-11-01T10:05:00Z", eta_minutes=1)), snapshot_id=2, replace=False)
    # The first instance has the old file loaded; it must notice the new one on its next read.
    assert store.read(view, ["o_1"], ["eta_minutes"])[0].values == (1,)  # type: ignore[union-attr]


def test_registry_copy_round_trips(store: OnlineStore) -> None:
    from agentkit.features.online import RegistryCopy

    assert store.registry() is None
    store.publish_registry(RegistryCopy(3, '{"entities": []}', None))
    assert store.registry() == RegistryCopy(3, '{"entities": []}', None)


def test_batch_reads_many_keys(store: OnlineStore, view: ak.FeatureView) -> None:
    data = rows(view, *(order_row(f"o_{i}", "2026-11-01T10:00:00Z", eta_minutes=i) for i in range(500)))
    store.write(view, data, snapshot_id=1, replace=True)
    keys = [f"o_{i}" for i in range(0, 500, 5)]
    got = store.read(view, keys, ["eta_minutes"])
    assert [r.values[0] for r in got if r is not None] == list(range(0, 500, 5))


def test_dropped_view_reads_as_empty(store: OnlineStore, view: ak.FeatureView) -> None:
    store.write(view, rows(view, order_row("o_1", "2026-11-01T10:00:00Z")), snapshot_id=1, replace=True)
    store.drop("order_status")
    assert store.read(view, ["o_1"], ["status"]) == [None]
    assert store.state("order_status") is None


def test_local_store_file_opens_fast_in_a_new_instance(view: ak.FeatureView, tmp_path: Path) -> None:
    first = LocalOnlineStore(tmp_path / "o")
    first.write(
        view,
        rows(view, *(order_row(f"o_{i}", "2026-11-01T10:00:00Z") for i in range(1000))),
        snapshot_id=1,
        replace=True,
    )
    second = LocalOnlineStore(tmp_path / "o")
    assert second.read(view, ["o_999"], ["customer_id"])[0].values == ("c_1",)  # type: ignore[union-attr]


def test_corrupt_local_file_gives_a_rebuild_hint(view: ak.FeatureView, tmp_path: Path) -> None:
    store = LocalOnlineStore(tmp_path / "o")
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "order_status.arrow").write_bytes(b"garbage")
    with pytest.raises(ak.OnlineStoreError, match="materialize --full"):
        store.read(view, ["o_1"], ["status"])


def test_unreachable_redis_is_a_clear_error(view: ak.FeatureView) -> None:
    from agentkit.features.online_redis import RedisOnlineStore

    store = RedisOnlineStore("redis://127.0.0.1:1/0", prefix="x")
    with pytest.raises(ak.OnlineStoreError, match=r"failed to read 'order_status'.*server is running"):
        store.read(view, ["o_1"], ["status"])
