"""The property the product is sold on: an agent serving customer A never sees customer B's data,
whatever keys it is asked for. Every check has positive controls beside it, so an implementation
that denies everything fails these tests."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pyarrow as pa
import pytest

import agentkit as ak
from tests.governance.conftest import World, make_governed, user

ORDER_REFS = ["order_status.customer_id", "order_status.eta_minutes", "order_status.courier_id"]


def forged_keys(rng: random.Random, world: World, customer: str) -> list[object]:
    mine = world.orders_of(customer)
    others = [o for o in world.orders if o not in mine]
    return [
        rng.choice(others),
        rng.choice(world.couriers),
        f"o_{rng.randint(0, 99999)}",
        "' OR 1=1 --",
        "o_1000; DROP TABLE order_status",
        "ö_ünïcødé_🍕",
        "\u200bo_1000",
        "x" * 10_000,
        "",
        "*",
        "%",
        None,
    ]


def test_ten_thousand_forged_and_legitimate_reads_never_leak(governed: tuple[ak.Project, World]) -> None:
    project, world = governed
    rng = random.Random(2026)
    audit_before = project.audit.pending
    project.audit.flush()
    spooled_before = project.audit.read_spool().num_rows
    calls = forged = legit = 0
    for _ in range(10_000):
        customer = rng.choice(world.customers)
        principal = user(customer)
        roll = rng.random()
        calls += 1
        if roll < 0.35:  # positive control: one of my own orders, by key
            order = rng.choice(sorted(world.orders_of(customer)))
            rows = project.get_features(principal, ORDER_REFS, entity_key=order).rows
            assert [r.key for r in rows] == [order]
            assert rows[0].values["order_status.eta_minutes"] == world.eta[order]
            assert rows[0].values["order_status.customer_id"] == customer
            legit += 1
        elif roll < 0.45:  # positive control: my own rows without a key (bounded, newest first)
            rows = project.get_features(principal, ORDER_REFS).rows
            assert 1 <= len(rows) <= 3
            assert {r.key for r in rows} <= world.orders_of(customer)
            assert all(r.values["order_status.customer_id"] == customer for r in rows)
            legit += 1
        elif roll < 0.55:  # positive control: the courier of one of my orders
            courier = rng.choice(sorted(world.couriers_of(customer)))
            rows = project.get_features(principal, ["courier_location.distance_km"], entity_key=courier).rows
            assert [r.key for r in rows] == [courier]
            legit += 1
        else:  # forged: anything that is not mine
            key = rng.choice(forged_keys(rng, world, customer))
            view_refs = ORDER_REFS if rng.random() < 0.7 else ["courier_location.distance_km"]
            if key is None:
                # No key means "my own rows": still nothing foreign.
                rows = project.get_features(principal, view_refs).rows
                allowed = world.orders_of(customer) if view_refs is ORDER_REFS else world.couriers_of(customer)
                assert {r.key for r in rows} <= allowed
                legit += 1
                continue
            assert isinstance(key, str)
            mine = world.orders_of(customer) | world.couriers_of(customer)
            if key in mine:
                calls -= 1  # not a read after all
                continue
            with pytest.raises(ak.NotFoundError) as info:
                project.get_features(principal, view_refs, entity_key=key)
            assert info.value.code == "record_not_found"
            forged += 1
    assert legit > 4_000 and forged > 3_000
    project.audit.flush()
    assert project.audit.read_spool().num_rows - spooled_before + audit_before == calls


def test_reading_another_customers_order_and_a_missing_order_look_identical(governed: tuple[ak.Project, World]) -> None:
    project, world = governed
    me = world.customers[0]
    other_order = next(o for o, c in world.orders.items() if c != me)
    errors: list[tuple[type[ak.NotFoundError], str, str]] = []
    for key in (other_order, "o_999999"):
        with pytest.raises(ak.NotFoundError) as info:
            project.get_features(user(me), ORDER_REFS, entity_key=key)
        errors.append((type(info.value), info.value.code, info.value.message.replace(key, "KEY")))
    assert errors[0] == errors[1]
    assert other_order not in errors[0][2]


def test_public_entities_are_readable_by_key_and_unscoped_ones_by_nobody(governed: tuple[ak.Project, World]) -> None:
    project, world = governed
    rows = project.get_features(user(world.customers[0]), ["restaurant_status.delay_minutes"], entity_key="r_001")
    assert rows.rows[0].key == "r_001"
    vip = user(world.customers[0], agent="risk_bot", roles=("vip",))
    with pytest.raises(ak.NotFoundError):
        project.get_features(vip, ["account_risk.fraud_score"], entity_key="a_1")
    assert project.read_features_unscoped(["account_risk.fraud_score"], ["a_1"]).rows[0].values  # platform can


def test_a_request_without_an_end_user_reads_no_customer_data(governed: tuple[ak.Project, World]) -> None:
    project, _ = governed
    with pytest.raises(ak.PolicyError) as info:
        project.get_features(user(None), ORDER_REFS)
    assert info.value.code == "no_subject"


def test_pii_is_clear_masked_or_denied_per_agent(governed: tuple[ak.Project, World]) -> None:
    project, world = governed
    me = world.customers[1]
    row = project.get_features(user(me), ["customer_profile.email", "customer_profile.phone"]).rows[0]
    assert row.values["customer_profile.email"] == f"{me}@example.com"
    assert row.values["customer_profile.phone"] == "+" + "*" * 9 + me[-2:]  # masked: last two digits only
    with pytest.raises(ak.PolicyError) as info:  # refund_bot lists email as a feature, not as pii
        project.get_features(user(me, agent="refund_bot"), ["customer_profile.email"])
    assert info.value.code == "feature_denied"


def test_denials_never_reveal_the_allow_list_or_other_features(governed: tuple[ak.Project, World]) -> None:
    project, world = governed
    me = world.customers[2]
    messages: list[str] = []
    for refs in (["order_status.eta_minutes"], ["order_status.nonexistent"], ["no_such_view.x"]):
        with pytest.raises(ak.PolicyError) as info:
            project.get_features(user(me, agent="faq_bot"), refs)
        messages.append(info.value.message)
    for message in messages:
        assert "support_bot" not in message and "customer_profile" not in message and "refund" not in message
    # the unknown and the forbidden feature get the same shape of answer
    assert messages[0].replace("order_status.eta_minutes", "X") == messages[1].replace("order_status.nonexistent", "X")


def test_point_in_time_scope_follows_ownership_at_that_time(tmp_path_factory: pytest.TempPathFactory) -> None:
    project = make_governed(tmp_path_factory.mktemp("pit"))
    t1 = "2026-11-01T10:00:00Z"
    t2 = "2026-11-01T12:00:00Z"
    rows = [
        {"order_id": "o_1", "event_time": t1, "customer_id": "c_a", "eta_minutes": 10, "_available_at": t1},
        {"order_id": "o_1", "event_time": t2, "customer_id": "c_b", "eta_minutes": 5, "_available_at": t2},
    ]
    project.ingest("order_status", pa.Table.from_pylist(rows))
    project.materialize()
    a, b = user("c_a"), user("c_b")
    at_t1 = datetime(2026, 11, 1, 11, tzinfo=UTC)
    assert project.get_features(a, ["order_status.eta_minutes"], entity_key="o_1", as_of=at_t1).rows[0].values == {
        "order_status.eta_minutes": 10
    }
    with pytest.raises(ak.NotFoundError):
        project.get_features(b, ["order_status.eta_minutes"], entity_key="o_1", as_of=at_t1)
    later = datetime(2026, 11, 1, 13, tzinfo=UTC)
    with pytest.raises(ak.NotFoundError):
        project.get_features(a, ["order_status.eta_minutes"], entity_key="o_1", as_of=later)
    with pytest.raises(ak.NotFoundError):  # live: reassigned, so no longer c_a's
        project.get_features(a, ["order_status.eta_minutes"], entity_key="o_1")
    assert project.get_features(b, ["order_status.eta_minutes"], entity_key="o_1").rows[0].key == "o_1"
    project.close()


def test_as_of_forged_reads_against_iceberg(governed: tuple[ak.Project, World]) -> None:
    project, world = governed
    rng = random.Random(11)
    when = datetime(2026, 11, 2, tzinfo=UTC)
    for _ in range(40):
        customer = rng.choice(world.customers)
        mine = sorted(world.orders_of(customer))
        order = rng.choice(mine)
        got = project.get_features(user(customer), ORDER_REFS, entity_key=order, as_of=when).rows
        assert got[0].values["order_status.customer_id"] == customer
        assert got[0].provenance[0].source == "offline"
        other = rng.choice([o for o in world.orders if o not in mine])
        with pytest.raises(ak.NotFoundError):
            project.get_features(user(customer), ORDER_REFS, entity_key=other, as_of=when)
        rows = project.get_features(user(customer), ORDER_REFS, as_of=when).rows
        assert rows and {r.key for r in rows} <= set(mine)


def test_tenants_when_configured_only_return_the_principals_tenant(tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.governance.conftest import POLICY, build_world

    policy = POLICY.replace("max_rows = 3", 'max_rows = 3\ntenant_feature = "tenant_id"')
    project = make_governed(tmp_path_factory.mktemp("tenant"), policy=policy)
    world = build_world(project, customers=5)
    me = world.customers[0]
    order = sorted(world.orders_of(me))[0]
    assert project.get_features(user(me, tenant="acme"), ORDER_REFS, entity_key=order).rows
    with pytest.raises(ak.NotFoundError):
        project.get_features(user(me, tenant="globex"), ORDER_REFS, entity_key=order)
    with pytest.raises(ak.PolicyError) as info:
        project.get_features(user(me), ORDER_REFS, entity_key=order)
    assert info.value.code == "tenant_required"
    project.close()


def test_redis_online_store_enforces_the_same_scope(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, unique: str
) -> None:
    from agentkit.features.online_redis import RedisOnlineStore
    from tests.governance.conftest import build_world

    project = make_governed(tmp_path_factory.mktemp("redis"), online=redis_url, key_prefix=unique)
    try:
        world = build_world(project, customers=12)
        rng = random.Random(5)
        for _ in range(300):
            customer = rng.choice(world.customers)
            mine = world.orders_of(customer)
            order = rng.choice(sorted(mine))
            assert project.get_features(user(customer), ORDER_REFS, entity_key=order).rows[0].key == order
            other = rng.choice([o for o in world.orders if o not in mine])
            with pytest.raises(ak.NotFoundError):
                project.get_features(user(customer), ORDER_REFS, entity_key=other)
            assert {r.key for r in project.get_features(user(customer), ORDER_REFS).rows} <= mine
        # Reassign an order live: the index follows, the old owner loses it.
        order, owner = next(iter(world.orders.items()))
        new_owner = next(c for c in world.customers if c != owner)
        project.push(
            "order_status", [{"order_id": order, "event_time": "2026-11-01T11:00:00Z", "customer_id": new_owner}]
        )
        with pytest.raises(ak.NotFoundError):
            project.get_features(user(owner), ORDER_REFS, entity_key=order)
        assert project.get_features(user(new_owner), ORDER_REFS, entity_key=order).rows[0].key == order
    finally:
        online = project.online
        assert isinstance(online, RedisOnlineStore)
        online.delete_all()
        project.close()
