"""Shared fixtures: temporary projects on real Iceberg (SQLite SQL catalog), and the shared
PostgreSQL / Redis servers.

PostgreSQL and Redis tests read ``AGENTKIT_TEST_POSTGRES_URI`` and ``AGENTKIT_TEST_REDIS_URL``
(defaults: the local servers). Without a server they skip with a reason naming the variable, unless
``AGENTKIT_REQUIRE_SERVICES=1`` (set by ``.ci/run``), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import agentkit as ak

POSTGRES_URI = os.environ.get("AGENTKIT_TEST_POSTGRES_URI", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("AGENTKIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("AGENTKIT_REQUIRE_SERVICES") == "1"

DEFINITIONS = textwrap.dedent(
    """
    from datetime import timedelta
    from agentkit import Entity, Feature, FeatureView, Scope

    customer = Entity(name="customer", join_key="customer_id", description="A customer.", scope=Scope.subject())
    order = Entity(
        name="order", join_key="order_id", description="An order.",
        scope=Scope.owned_by("order_status", "customer_id"),
    )
    order_status = FeatureView(
        name="order_status", entity=order, description="Order status over time.", owner="logistics",
        freshness=timedelta(hours=1),
        features=(
            Feature(name="customer_id", dtype="string", description="Customer who placed the order."),
            Feature(name="status", dtype="enum", values=("placed", "preparing", "delivered", "cancelled"),
                    description="Lifecycle status of the order."),
            Feature(name="eta_minutes", dtype="int", unit="minutes", description="Minutes until delivery."),
            Feature(name="distance_km", dtype="float", unit="km", description="Courier distance to the customer."),
            Feature(name="refund", dtype="money", currency="EUR", description="Refund granted on the order."),
            Feature(name="prep_delay", dtype="duration", description="Restaurant preparation delay."),
            Feature(name="contactless", dtype="bool", description="Whether delivery is contactless."),
            Feature(name="placed_on", dtype="date", description="Calendar day the order was placed."),
            Feature(name="promised_at", dtype="timestamp", description="Delivery time promised at checkout."),
            Feature(name="items", dtype="list[string]", description="Names of the items ordered."),
        ),
    )
    customer_profile = FeatureView(
        name="customer_profile", entity=customer, description="Account facts.", owner="crm",
        features=(
            Feature(name="tier", dtype="enum", values=("bronze", "silver", "gold"), description="Loyalty tier."),
            Feature(name="email", dtype="string", description="Contact e-mail.", tags=("pii",)),
        ),
    )
    """
)


def write_project(
    root: Path,
    *,
    definitions: str = DEFINITIONS,
    catalog: str | None = None,
    online: str | None = None,
    namespace: str = "agentkit",
    key_prefix: str = "agentkit",
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    lines = ["[project]", 'name = "test"', 'definitions = "features.py"', "", "[offline]", f'namespace = "{namespace}"']
    if catalog:
        lines.append(f'catalog = "{catalog}"')
    lines += ["", "[online]", f'key_prefix = "{key_prefix}"']
    if online:
        lines.append(f'store = "{online}"')
    (root / "agentkit.toml").write_text("\n".join(lines) + "\n")
    (root / "features.py").write_text(definitions)
    return root / "agentkit.toml"


ProjectFactory = Callable[..., ak.Project]


@pytest.fixture
def make_project(tmp_path: Path) -> Iterator[ProjectFactory]:
    """Build a project in a fresh folder; ``apply=True`` applies it at once."""
    made: list[ak.Project] = []

    def factory(name: str = "p", *, apply: bool = True, **kwargs: object) -> ak.Project:
        path = write_project(tmp_path / name, **kwargs)  # type: ignore[arg-type]
        project = ak.Project.load(path)
        if apply:
            project.apply()
        made.append(project)
        return project

    yield factory
    for project in made:
        project.close()


@pytest.fixture
def project(make_project: ProjectFactory) -> ak.Project:
    return make_project()


def _service_unavailable(variable: str, target: str, exc: Exception) -> None:
    message = f"{target} is not reachable ({exc}); set {variable} to a running server"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (AGENTKIT_REQUIRE_SERVICES=1 makes this mandatory)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_uri() -> str:
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(POSTGRES_URI)
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        _service_unavailable("AGENTKIT_TEST_POSTGRES_URI", POSTGRES_URI, exc)
    return POSTGRES_URI


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        _service_unavailable("AGENTKIT_TEST_REDIS_URL", REDIS_URL, exc)
    return REDIS_URL


@pytest.fixture
def unique() -> str:
    """A short unique token for namespaces and key prefixes on the shared servers."""
    return "t" + uuid.uuid4().hex[:12]


def order_row(
    order_id: str, when: str, customer: str = "c_1", status: str = "placed", **extra: object
) -> dict[str, object]:
    """One row of the test ``order_status`` view (ISO times; unspecified features left out)."""
    return {"order_id": order_id, "event_time": when, "customer_id": customer, "status": status, **extra}
