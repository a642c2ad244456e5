"""Row emission: the five tables' schemas, the ``Rows`` collector, and the rows an order and a
customer's account produce over time (status changes, live ETAs, courier pings, profile updates)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypedDict

import pyarrow as pa

from agentkit.examples.support_bot.simulation.world import (
    DATA_END,
    TIER_RECALC,
    TIERS,
    VIEWS,
    Courier,
    Customer,
    Order,
    Restaurant,
    minutes,
    money,
)

TS = pa.timestamp("us", tz="UTC")
MONEY = pa.decimal128(18, 2)
SCHEMAS: dict[str, pa.Schema] = {
    "customer_profile": pa.schema(
        [
            ("customer_id", pa.string()),
            ("event_time", TS),
            ("name", pa.string()),
            ("email", pa.string()),
            ("phone", pa.string()),
            ("loyalty_tier", pa.string()),
            ("lifetime_orders", pa.int64()),
            ("account_created", pa.date32()),
            ("store_credit", MONEY),
            ("_available_at", TS),
        ]
    ),
    "order_status": pa.schema(
        [
            ("order_id", pa.string()),
            ("event_time", TS),
            ("customer_id", pa.string()),
            ("restaurant_id", pa.string()),
            ("courier_id", pa.string()),
            ("status", pa.string()),
            ("placed_at", TS),
            ("promised_at", TS),
            ("eta_minutes", pa.int64()),
            ("delivered_at", TS),
            ("order_total", MONEY),
            ("items", pa.list_(pa.string())),
            ("minutes_late", pa.int64()),
            ("_available_at", TS),
        ]
    ),
    "courier_location": pa.schema(
        [
            ("courier_id", pa.string()),
            ("event_time", TS),
            ("distance_km", pa.float64()),
            ("minutes_away", pa.int64()),
            ("vehicle", pa.string()),
            ("first_name", pa.string()),
            ("_available_at", TS),
        ]
    ),
    "restaurant_status": pa.schema(
        [
            ("restaurant_id", pa.string()),
            ("event_time", TS),
            ("restaurant_name", pa.string()),
            ("prep_delay_minutes", pa.int64()),
            ("is_open", pa.bool_()),
            ("busy_level", pa.string()),
            ("_available_at", TS),
        ]
    ),
    "refunds": pa.schema(
        [
            ("order_id", pa.string()),
            ("event_time", TS),
            ("refund_status", pa.string()),
            ("refund_amount", MONEY),
            ("refund_method", pa.string()),
            ("refund_requested_at", TS),
            ("refund_eligible", pa.bool_()),
            ("refund_reason", pa.string()),
            ("_available_at", TS),
        ]
    ),
}
KEYS = {
    "customer_profile": "customer_id",
    "order_status": "order_id",
    "courier_location": "courier_id",
    "restaurant_status": "restaurant_id",
    "refunds": "order_id",
}


class Rows:
    """Rows per view; keeps event times strictly increasing per key (a row per key per instant)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.rows: dict[str, list[dict[str, Any]]] = {v: [] for v in VIEWS}
        self.last: dict[tuple[str, str], datetime] = {}

    def emit(self, view: str, key: str, when: datetime, **values: Any) -> datetime | None:
        if when >= DATA_END:
            return None
        last = self.last.get((view, key))
        if last is not None and when <= last:
            when = last + timedelta(seconds=1)
        self.last[(view, key)] = when
        row = {KEYS[view]: key, "event_time": when, **values}
        row["_available_at"] = when + timedelta(seconds=self.rng.randint(2, 9))
        self.rows[view].append(row)
        return when

    def table(self, view: str) -> pa.Table:
        schema = SCHEMAS[view]
        key = KEYS[view]
        rows = sorted(self.rows[view], key=lambda r: (r[key], r["event_time"]))
        columns = {name: [r.get(name) for r in rows] for name in schema.names}
        return pa.Table.from_pydict(columns, schema=schema)


def _eta(order: Order, now: datetime) -> int:
    """The platform's live estimate: starts at the checkout quote and converges on the truth."""
    assert order.delivered is not None
    total = (order.delivered - order.placed).total_seconds() / 60
    remaining = (order.delivered - now).total_seconds() / 60
    error = order.eta0 - total
    return max(1, round(remaining * (1 + error / total)))


def _projected_late(order: Order, now: datetime, eta: int) -> int:
    return max(0, int((now + timedelta(minutes=eta) - order.promised).total_seconds() // 60))


def emit_order(order: Order, rest: Restaurant, couriers: dict[str, Courier], rows: Rows) -> None:
    base = {
        "customer_id": order.customer,
        "restaurant_id": order.restaurant,
        "placed_at": order.placed,
        "promised_at": order.promised,
        "order_total": order.total,
        "items": order.items,
    }

    def status(when: datetime, state: str, eta: int | None, late: int | None, **extra: Any) -> datetime | None:
        emitted = rows.emit(
            "order_status", order.id, when, **base, status=state, eta_minutes=eta, minutes_late=late, **extra
        )
        if emitted is not None:
            order.ticks.append(emitted)
        return emitted

    status(order.placed, "placed", order.eta0, 0)
    rows.emit(
        "refunds", order.id, order.placed,
        refund_status="none", refund_amount=Decimal("0.00"), refund_method=None,
        refund_requested_at=None, refund_eligible=None, refund_reason=None,
    )  # fmt: skip
    if order.outcome == "cancelled_by_customer_early":
        assert order.cancelled is not None
        status(order.cancelled, "cancelled", None, None)
        return
    assert order.confirmed is not None
    assert order.preparing is not None
    if order.delivered is None:  # cancelled after confirmation
        assert order.cancelled is not None
        quote = order.eta0
        for when, state in ((order.confirmed, "confirmed"), (order.preparing, "preparing")):
            status(when, state, max(1, quote - round((when - order.placed).total_seconds() / 60)), 0)
        tick = order.preparing + minutes(5)
        while tick < order.cancelled:
            eta = max(1, quote - round((tick - order.placed).total_seconds() / 60))
            status(tick, "preparing", eta, 0)
            tick += minutes(5)
        status(order.cancelled, "cancelled", None, None)
        return
    assert order.assigned is not None
    assert order.picked_up is not None
    assert order.courier is not None
    courier = couriers[order.courier]
    for when, state in ((order.confirmed, "confirmed"), (order.preparing, "preparing")):
        eta = _eta(order, when)
        status(when, state, eta, _projected_late(order, when, eta))
    tick = order.preparing + minutes(5)
    while tick < order.assigned:
        eta = _eta(order, tick)
        status(tick, "preparing", eta, _projected_late(order, tick, eta))
        tick += minutes(5)
    to_restaurant_km = round((order.picked_up - order.assigned).total_seconds() / 3600 * courier.speed * 0.5, 2)
    arrive = order.assigned + (order.picked_up - order.assigned) / 2
    tick = order.assigned
    step = 0
    while tick < order.delivered:
        state = "preparing" if tick < order.picked_up else "picked_up"
        if tick < arrive:
            left = to_restaurant_km * (1 - (tick - order.assigned) / (arrive - order.assigned)) + order.distance_km
        elif tick < order.picked_up:
            left = order.distance_km
        else:
            left = order.distance_km * (1 - (tick - order.picked_up) / (order.delivered - order.picked_up))
        eta = _eta(order, tick)
        when = status(tick, state, eta, _projected_late(order, tick, eta), courier_id=courier.id)
        if when is not None:
            rows.emit(
                "courier_location", courier.id, when,
                distance_km=round(max(left, 0.05), 2), minutes_away=eta,
                vehicle=courier.vehicle, first_name=courier.first_name,
            )  # fmt: skip
        step += 1
        nxt = tick + minutes(3 + (step % 3) * 0.25)
        if tick < order.picked_up <= nxt:
            nxt = order.picked_up  # a row at the moment of pickup
        tick = nxt
    when = status(order.delivered, "delivered", 0, order.minutes_late, delivered_at=order.delivered)
    if when is not None:
        rows.emit(
            "courier_location", courier.id, when,
            distance_km=0.0, minutes_away=0, vehicle=courier.vehicle, first_name=courier.first_name,
        )  # fmt: skip


# --- customer profiles --------------------------------------------------------------------------------


class ProfileState(TypedDict):
    """A customer's ``customer_profile`` values as they change."""

    name: str
    email: str
    phone: str
    loyalty_tier: str
    lifetime_orders: int
    account_created: date
    store_credit: Decimal


def emit_profiles(customers: dict[str, Customer], orders: dict[str, Order], rows: Rows, rng: random.Random) -> None:
    events: dict[str, list[tuple[datetime, int, str, Order | Decimal | None]]] = {c: [] for c in customers}
    for order in orders.values():
        ev = events[order.customer]
        if order.delivered is not None:
            ev.append((order.placed, 1, "spend", order))
            ev.append((order.delivered, 2, "delivered", order))
        for when, amount in order.credit_added:
            ev.append((when, 3, "credit", amount))
    for cid, cust in customers.items():
        ev = events[cid]
        if cust.first_row < TIER_RECALC:
            ev.append((TIER_RECALC, 0, "recalc", None))
        ev.sort(key=lambda e: (e[0], e[1], e[2]))
        state = ProfileState(
            name=cust.name,
            email=cust.email,
            phone=cust.phone,
            loyalty_tier=cust.tier_at(cust.first_row),
            lifetime_orders=cust.lifetime,
            account_created=cust.created,
            store_credit=cust.credit,
        )
        rows.emit("customer_profile", cid, cust.first_row, **state)
        for when, _, kind, payload in ev:
            if kind == "spend":
                assert isinstance(payload, Order)
                if state["store_credit"] <= 0 or rng.random() >= 0.75:
                    continue
                state["store_credit"] = money(state["store_credit"] - min(state["store_credit"], payload.total))
            elif kind == "delivered":
                assert isinstance(payload, Order)
                state["lifetime_orders"] += 1
                back = TIERS[cust.tier_at(when)].credit_back
                if back:
                    state["store_credit"] = money(state["store_credit"] + money(payload.subtotal * back))
            elif kind == "credit":
                assert isinstance(payload, Decimal)
                state["store_credit"] = money(state["store_credit"] + payload)
            else:
                state["loyalty_tier"] = cust.tier_at(when)
            rows.emit("customer_profile", cid, when, **state)
