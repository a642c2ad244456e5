"""A governed test project: customers, their orders, couriers reached through orders, public
restaurants, an unscoped internal view, PII, and several agents with different allow-lists."""

from __future__ import annotations

import random
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pytest

import agentkit as ak
from tests.conftest import write_project

DEFINITIONS = textwrap.dedent(
    """
    from agentkit import Entity, Feature, FeatureView, Scope

    customer = Entity(name="customer", join_key="customer_id", description="A customer.", scope=Scope.subject())
    order = Entity(name="order", join_key="order_id", description="An order.",
                   scope=Scope.owned_by("order_status", "customer_id"))
    courier = Entity(name="courier", join_key="courier_id", description="A courier.",
                     scope=Scope.through("order", "order_status", "courier_id"))
    restaurant = Entity(name="restaurant", join_key="restaurant_id", description="A restaurant.", scope=Scope.public())
    account = Entity(name="account", join_key="account_id", description="Internal account; no end-user scope.")

    customer_profile = FeatureView(name="customer_profile", entity=customer, description="Profile.", features=(
        Feature(name="tier", dtype="enum", values=("bronze", "silver", "gold"), description="Loyalty tier."),
        Feature(name="email", dtype="string", description="E-mail address.", tags=("pii",)),
        Feature(name="phone", dtype="string", description="Phone number.", tags=("pii",)),
        Feature(name="tenant_id", dtype="string", description="Tenant of the customer."),
    ))
    order_status = FeatureView(name="order_status", entity=order, description="Orders.", features=(
        Feature(name="customer_id", dtype="string", description="Who placed it."),
        Feature(name="courier_id", dtype="string", description="Who delivers it."),
        Feature(name="restaurant_id", dtype="string", description="Who cooks it."),
        Feature(name="status", dtype="string", description="Status."),
        Feature(name="eta_minutes", dtype="int", unit="minutes", description="Minutes to arrival."),
        Feature(name="refund_amount", dtype="money", currency="EUR", description="Refund granted."),
        Feature(name="tenant_id", dtype="string", description="Tenant of the order."),
    ))
    courier_location = FeatureView(name="courier_location", entity=courier, description="Couriers.", features=(
        Feature(name="distance_km", dtype="float", unit="km", description="Distance to the customer."),
        Feature(name="first_name", dtype="string", description="Courier first name."),
    ))
    restaurant_status = FeatureView(name="restaurant_status", entity=restaurant, description="Kitchens.", features=(
        Feature(name="delay_minutes", dtype="int", unit="minutes", description="Current preparation delay."),
    ))
    account_risk = FeatureView(name="account_risk", entity=account, description="Risk.", features=(
        Feature(name="fraud_score", dtype="float", description="Fraud model score."),
    ))
    """
)

POLICY = textwrap.dedent(
    """
    [policy]
    max_rows = 3
    default_roles = ["customer"]
    assignable_roles = ["vip"]

    [roles.customer]
    views = ["customer_profile", "order_status", "courier_location", "restaurant_status"]

    [roles.vip]
    views = ["customer_profile", "order_status", "courier_location", "restaurant_status", "account_risk"]

    [agents.support_bot]
    tools = ["search_help_center", "search_catalog", "get_features"]
    views = ["customer_profile", "order_status", "courier_location", "restaurant_status"]
    pii = ["customer_profile.email"]
    mask = ["customer_profile.phone"]

    [agents.faq_bot]
    tools = ["search_help_center"]

    [agents.refund_bot]
    tools = ["get_features"]
    features = ["order_status.refund_amount", "order_status.status", "customer_profile.email"]

    [agents.risk_bot]
    tools = ["get_features"]
    views = ["account_risk"]
    """
)


@dataclass
class World:
    """The generated data, kept beside the project so tests can compute expectations independently."""

    customers: list[str]
    orders: dict[str, str] = field(default_factory=dict[str, str])  # order -> customer
    courier_of: dict[str, str] = field(default_factory=dict[str, str])  # order -> courier
    eta: dict[str, int] = field(default_factory=dict[str, int])
    couriers: list[str] = field(default_factory=list[str])
    restaurants: list[str] = field(default_factory=list[str])

    def orders_of(self, customer: str) -> set[str]:
        return {o for o, c in self.orders.items() if c == customer}

    def couriers_of(self, customer: str) -> set[str]:
        return {self.courier_of[o] for o in self.orders_of(customer)}


def build_world(project: ak.Project, *, customers: int = 60, seed: int = 7) -> World:
    rng = random.Random(seed)
    world = World(customers=[f"c_{i:04d}" for i in range(1, customers + 1)])
    world.couriers = [f"k_{i:03d}" for i in range(40)]
    world.restaurants = [f"r_{i:03d}" for i in range(10)]
    profiles: list[dict[str, object]] = []
    orders: list[dict[str, object]] = []
    couriers: list[dict[str, object]] = []
    kitchens: list[dict[str, object]] = []
    when = "2026-11-01T10:00:00Z"
    for c in world.customers:
        profiles.append(
            {
                "customer_id": c,
                "event_time": when,
                "tier": rng.choice(["bronze", "silver", "gold"]),
                "email": f"{c}@example.com",
                "phone": f"+3161234{c[-4:]}",
                "tenant_id": "acme",
            }
        )
        for _ in range(rng.randint(1, 5)):
            order = f"o_{len(world.orders) + 1000}"
            courier = rng.choice(world.couriers)
            world.orders[order] = c
            world.courier_of[order] = courier
            world.eta[order] = rng.randint(1, 60)
            orders.append(
                {
                    "order_id": order,
                    "event_time": when,
                    "customer_id": c,
                    "courier_id": courier,
                    "restaurant_id": rng.choice(world.restaurants),
                    "status": "preparing",
                    "eta_minutes": world.eta[order],
                    "refund_amount": "0.00",
                    "tenant_id": "acme",
                }
            )
    for k in world.couriers:
        couriers.append({"courier_id": k, "event_time": when, "distance_km": rng.random() * 5, "first_name": "Sam"})
    for r in world.restaurants:
        kitchens.append({"restaurant_id": r, "event_time": when, "delay_minutes": rng.randint(0, 20)})
    backfill = "2026-11-01T10:00:01Z"
    project.ingest("customer_profile", pa.Table.from_pylist(profiles), available_at=backfill)
    project.ingest("order_status", pa.Table.from_pylist(orders), available_at=backfill)
    project.ingest("courier_location", pa.Table.from_pylist(couriers), available_at=backfill)
    project.ingest("restaurant_status", pa.Table.from_pylist(kitchens), available_at=backfill)
    project.ingest(
        "account_risk",
        pa.Table.from_pylist([{"account_id": "a_1", "event_time": when, "fraud_score": 0.9}]),
        available_at=backfill,
    )
    project.materialize()
    return world


def make_governed(
    root: Path, *, policy: str = POLICY, online: str | None = None, key_prefix: str = "agentkit"
) -> ak.Project:
    config = write_project(root, definitions=DEFINITIONS, online=online, key_prefix=key_prefix)
    config.write_text(config.read_text() + "\n" + policy)
    project = ak.Project.load(config)
    project.apply()
    return project


@pytest.fixture(scope="module")
def governed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ak.Project, World]]:
    project = make_governed(tmp_path_factory.mktemp("gov"))
    world = build_world(project)
    yield project, world
    project.close()


def user(
    subject: str | None, agent: str = "support_bot", *, roles: tuple[str, ...] = (), tenant: str | None = None
) -> ak.Principal:
    return ak.Principal(agent=agent, subject=subject, roles=roles, tenant=tenant)
