"""``agentkit init``: a new project with a tiny working sample (config, definitions, data)."""

from __future__ import annotations

from pathlib import Path

from agentkit.errors import ConfigError, shown

__all__ = ["init_project", "toml_string"]

CONFIG = """\
# agentkit project file. Relative paths are relative to this file.
[project]
name = {name}
definitions = "features.py"      # entities and feature views, as Python

[offline]
catalog = "sqlite:///.agentkit/catalog.db"   # or postgresql+psycopg2://user@host/db, or an http(s) REST catalog
warehouse = ".agentkit/warehouse"
namespace = "agentkit"

[online]
store = "local"                  # or "redis://127.0.0.1:6379/0" for several serving replicas

# Who may read what. Deny by default: a read needs a grant from one of the end user's roles AND
# from the calling agent; features tagged pii also need the agent's explicit pii or mask grant.
[policy]
default_roles = ["customer"]
max_rows = 5                     # own rows returned when no key is named (e.g. latest orders)

[roles.customer]
views = ["order_status", "customer_profile"]

[agents.support_bot]
tools = ["search_help_center", "search_catalog", "get_features"]
views = ["order_status", "customer_profile"]
mask = ["customer_profile.email"]

[agents.faq_bot]
tools = ["search_help_center"]
"""

FEATURES = '''\
"""Feature definitions: entities and feature views, as code. `agentkit plan` shows what changed."""

from datetime import timedelta

from agentkit import Entity, Feature, FeatureView, Scope

customer = Entity(
    name="customer",
    join_key="customer_id",
    description="A customer of the delivery service.",
    scope=Scope.subject(),  # a customer reaches their own row
)

order = Entity(
    name="order",
    join_key="order_id",
    description="One order placed by a customer.",
    scope=Scope.owned_by("order_status", "customer_id"),  # ...and their own orders
)

order_status = FeatureView(
    name="order_status",
    entity=order,
    description="Live status of an order as it moves from placed to delivered.",
    owner="logistics",
    freshness=timedelta(minutes=15),
    features=(
        Feature(name="customer_id", dtype="string", description="Customer who placed the order."),
        Feature(
            name="status",
            dtype="enum",
            values=("placed", "confirmed", "preparing", "picked_up", "delivered", "cancelled"),
            description="Where the order is in its lifecycle.",
        ),
        Feature(
            name="eta_minutes",
            dtype="int",
            unit="minutes",
            description="Estimated minutes until the order arrives at the customer.",
        ),
        Feature(
            name="order_total",
            dtype="money",
            currency="EUR",
            description="Amount the customer paid for the order, delivery fee included.",
        ),
    ),
)

customer_profile = FeatureView(
    name="customer_profile",
    entity=customer,
    description="Account facts about a customer.",
    owner="crm",
    features=(
        Feature(
            name="loyalty_tier",
            dtype="enum",
            values=("bronze", "silver", "gold"),
            description="Loyalty programme tier, which sets delivery-fee discounts.",
        ),
        Feature(
            name="lifetime_orders",
            dtype="int",
            unit="orders",
            description="Number of orders the customer has ever placed.",
        ),
        Feature(name="email", dtype="string", description="Contact e-mail address.", tags=("pii",)),
    ),
)
'''

ORDERS = """\
order_id,event_time,_available_at,customer_id,status,eta_minutes,order_total
o_1001,2026-11-01T11:40:00Z,2026-11-01T11:40:05Z,c_0001,placed,45,23.90
o_1001,2026-11-01T11:55:00Z,2026-11-01T11:55:05Z,c_0001,preparing,35,23.90
o_1001,2026-11-01T12:20:00Z,2026-11-01T12:20:05Z,c_0001,picked_up,12,23.90
o_1002,2026-11-01T18:05:00Z,2026-11-01T18:05:05Z,c_0002,placed,40,31.50
o_1002,2026-11-01T18:50:00Z,2026-11-01T18:50:05Z,c_0002,delivered,0,31.50
o_1003,2026-11-02T09:10:00Z,2026-11-02T09:10:05Z,c_0001,confirmed,30,12.00
"""
# `_available_at` says when the platform learned each row (here: seconds after it happened), so
# `features get --as-of` replays history. Without it, rows are available from the ingest time.

CUSTOMERS = """\
{"customer_id": "c_0001", "event_time": "2026-10-01T00:00:00Z", "loyalty_tier": "gold", "lifetime_orders": 57, "email": "ana@example.com"}
{"customer_id": "c_0002", "event_time": "2026-10-01T00:00:00Z", "loyalty_tier": "bronze", "lifetime_orders": 3, "email": "ben@example.com"}
"""

GITIGNORE = ".agentkit/\n"

_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string: quotes, backslashes and control characters escaped
    (everything else, unicode included, written as is)."""
    out: list[str] = []
    for char in value:
        if char in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[char])
        elif 0xD800 <= ord(char) <= 0xDFFF:
            raise ConfigError(f"project name {shown(value)} is not valid text; pass --name", code="init_name_invalid")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def init_project(target: Path, *, name: str | None = None) -> list[Path]:
    """Create a project folder; refuses to overwrite an existing ``agentkit.toml``."""
    if (target / "agentkit.toml").exists():
        raise ConfigError(f"{target / 'agentkit.toml'} already exists; choose an empty folder", code="init_exists")
    files = {
        "agentkit.toml": CONFIG.format(name=toml_string(name or target.resolve().name)),
        "features.py": FEATURES,
        "data/orders.csv": ORDERS,
        "data/customers.jsonl": CUSTOMERS,
        ".gitignore": GITIGNORE,
    }
    written: list[Path] = []
    for rel, text in files.items():
        path = target / rel
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
