"""Generate the Dashly example data: eight weeks of a food-delivery service in New York.

Deterministic for a seed (default 42): the same seed gives byte-identical tables. Uses only the
standard library and pyarrow, and runs in about a second::

    python examples/support_bot/generate.py [--out DIR] [--seed N]

writes one Parquet file per feature view into ``DIR`` (default: ``data/`` beside this file):

- ``customer_profile.parquet``: 200 customers ``c_0001``..``c_0200``; a row when the account
  opens (or on 2026-10-01 for older accounts), whenever an order is delivered or Dashly credit is
  added or spent, and at the monthly tier recalculation on 2026-11-01.
- ``order_status.parquet``: ~1,500 orders ``o_10001``.. placed 2026-10-05..2026-11-29, one row per
  status change (placed -> confirmed -> preparing -> picked_up -> delivered, or cancelled) and an
  ETA update every few minutes while an order is on its way.
- ``courier_location.parquet``: a row every ~3 minutes while a courier carries an order.
- ``restaurant_status.parquet``: every 30 minutes while each restaurant is open.
- ``refunds.parquet``: per order, a ``none`` row when placed and a row per refund status change
  (claims, late-delivery credits, cancellations).

Every row carries ``event_time`` (when it became true) and ``_available_at`` (a few seconds
later: when the platform learned it), so reads ``as_of`` a past time replay what was known then.
All times are UTC; money is USD. The rules follow the help center (refund-policy,
cancellation-policy, dashly-plus-tiers): e.g. a $5 credit when delivered more than 30 minutes after
the promised time, missing items refunded within 48 hours.
"""

from __future__ import annotations

import argparse
import bisect
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["DATA_END", "DATA_START", "SEED", "VIEWS", "World", "generate", "simulate", "write"]

SEED = 42
FIRST_DAY = date(2026, 10, 5)  # a Monday
LAST_DAY = date(2026, 11, 29)  # a Sunday: eight full weeks
DATA_START = datetime(2026, 10, 1, 4, 0, tzinfo=UTC)  # 2026-10-01 00:00 in New York
DATA_END = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # nothing happens at or after this
DST_END = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # New York: EDT (UTC-4) before, EST (UTC-5) after
TIER_RECALC = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # 2026-11-01 00:00 in New York (still EDT)
TAX_RATE = Decimal("0.08875")  # New York City sales tax
CENT = Decimal("0.01")

N_CUSTOMERS = 200
N_NEW_CUSTOMERS = 12  # accounts opened during the eight weeks
N_COURIERS = 45

VIEWS = ("customer_profile", "order_status", "courier_location", "restaurant_status", "refunds")

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

# --- reference data -------------------------------------------------------------------------------

FIRST_NAMES = (
    "Ana", "Ben", "Carla", "Daniel", "Elena", "Farah", "George", "Hana", "Isaac", "Julia", "Kevin", "Lena",
    "Marcus", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Samuel", "Tara", "Umar", "Vera", "Wes", "Ximena",
    "Yusuf", "Zoe", "Aaron", "Bianca", "Caleb", "Diana", "Ethan", "Fatima", "Gabriel", "Helen", "Ivan",
    "Jasmine", "Kai", "Laura", "Miguel", "Nora", "Oliver", "Paula", "Rafael", "Sofia", "Theo", "Uma",
    "Victor", "Wendy", "Yara", "Zach", "Amir", "Brooke", "Chen", "Dev", "Emma", "Felix", "Grace", "Hugo",
)  # fmt: skip
LAST_NAMES = (
    "Alvarez", "Brooks", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kim",
    "Lopez", "Murphy", "Nguyen", "Okafor", "Patel", "Quinn", "Rossi", "Schmidt", "Tanaka", "Usman", "Vargas",
    "Walsh", "Xu", "Young", "Zimmerman", "Baker", "Cohen", "Diaz", "Ellis", "Foster", "Greene", "Hughes",
    "Iqbal", "Jordan", "Kowalski", "Levy", "Morales", "Novak", "Ortiz", "Park", "Reyes", "Singh", "Torres",
)  # fmt: skip
COURIER_NAMES = (
    "Luis", "Aisha", "Marco", "Jin", "Dmitri", "Keisha", "Pedro", "Sana", "Tomas", "Mei", "Andre", "Leila",
    "Carlos", "Nia", "Yosef", "Ines", "Malik", "Rina", "Hector", "Ayo", "Bruno", "Lucia", "Kofi", "Mira",
    "Diego", "Noor", "Sergio", "Tanvi", "Ramon", "Esi", "Pavel", "Lin", "Javier", "Amara", "Nikhil", "Rosa",
    "Emeka", "Sol", "Vlad", "Kemi", "Jorge", "Hiro", "Fatou", "Abdul", "Mateo",
)  # fmt: skip
VEHICLES = (("bike", 13.0), ("e_bike", 18.0), ("scooter", 21.0), ("car", 17.0))  # average km/h in the city

MENUS: dict[str, tuple[tuple[str, str], ...]] = {
    "pizza": (("Margherita pizza", "16.50"), ("Pepperoni pizza", "18.00"), ("Garlic knots", "6.50"),
              ("Caesar salad", "9.75"), ("Buffalo wings", "12.00"), ("Tiramisu", "7.25"), ("Coke (can)", "2.50")),
    "burgers": (("Classic cheeseburger", "12.95"), ("Double smash burger", "15.50"), ("Veggie burger", "13.25"),
                ("Fries", "4.75"), ("Onion rings", "5.50"), ("Chocolate milkshake", "6.95"), ("Lemonade", "3.75")),
    "sushi": (("Salmon avocado roll", "9.50"), ("Spicy tuna roll", "10.25"), ("Dragon roll", "16.00"),
              ("Miso soup", "3.95"), ("Edamame", "5.25"), ("Chicken teriyaki bowl", "15.75"), ("Green tea", "2.75")),
    "thai": (("Pad thai with shrimp", "16.95"), ("Green curry with chicken", "15.95"), ("Tom yum soup", "7.50"),
             ("Fresh spring rolls", "7.95"), ("Mango sticky rice", "8.25"), ("Thai iced tea", "4.50")),
    "mexican": (("Chicken burrito", "13.50"), ("Carnitas tacos (3)", "12.75"), ("Chips and guacamole", "7.95"),
                ("Quesadilla", "11.25"), ("Elote", "5.50"), ("Horchata", "4.25")),
    "indian": (("Chicken tikka masala", "17.95"), ("Saag paneer", "15.50"), ("Garlic naan", "4.50"),
               ("Vegetable samosas (2)", "6.95"), ("Lamb biryani", "19.50"), ("Mango lassi", "5.25")),
    "salads": (("Harvest bowl", "14.25"), ("Chicken Caesar wrap", "12.50"), ("Kale and quinoa salad", "13.75"),
               ("Tomato soup", "6.50"), ("Cold brew", "4.75"), ("Oat cookie", "3.25")),
    "breakfast": (("Bacon egg and cheese", "7.95"), ("Avocado toast", "11.50"), ("Blueberry pancakes", "12.25"),
                  ("Oatmeal with berries", "8.50"), ("Latte", "5.25"), ("Orange juice", "4.95"),
                  ("Croissant", "4.25")),
    "chinese": (("General Tso's chicken", "15.25"), ("Beef lo mein", "14.50"), ("Pork dumplings (6)", "8.95"),
                ("Hot and sour soup", "5.95"), ("Vegetable fried rice", "11.75"), ("Scallion pancake", "6.25")),
    "mediterranean": (("Chicken shawarma plate", "16.50"), ("Falafel wrap", "11.95"), ("Hummus and pita", "7.50"),
                      ("Greek salad", "12.25"), ("Baklava", "5.75"), ("Mint lemonade", "4.50")),
    "korean": (("Bibimbap", "16.25"), ("Korean fried chicken (8)", "18.95"), ("Kimchi fried rice", "14.50"),
               ("Japchae", "13.95"), ("Tteokbokki", "12.75"), ("Barley tea", "3.25")),
}  # fmt: skip

# (id, name, cuisine, opens, closes, base prep minutes, how busy the kitchen gets)
RESTAURANTS: tuple[tuple[str, str, str, float, float, int, float], ...] = (
    ("r_001", "Luigi's Slice House", "pizza", 11.0, 23.5, 18, 1.2),
    ("r_002", "Brooklyn Burger Co.", "burgers", 11.0, 23.0, 14, 1.4),
    ("r_003", "Sakura Sushi Bar", "sushi", 11.5, 22.0, 20, 0.9),
    ("r_004", "Bangkok Street Kitchen", "thai", 11.0, 22.5, 17, 1.1),
    ("r_005", "La Esquina Taqueria", "mexican", 10.5, 23.0, 13, 1.3),
    ("r_006", "Masala House", "indian", 11.5, 22.5, 22, 1.0),
    ("r_007", "Green Fork Salads", "salads", 10.0, 20.0, 12, 0.7),
    ("r_008", "Sunny Side Diner", "breakfast", 7.0, 15.0, 15, 0.9),
    ("r_009", "Golden Dragon", "chinese", 11.0, 23.0, 16, 1.2),
    ("r_010", "Olive & Za'atar", "mediterranean", 11.0, 22.0, 15, 0.8),
    ("r_011", "Seoul Bowl", "korean", 11.5, 22.5, 19, 1.1),
    ("r_012", "Nonna's Pizzeria", "pizza", 11.0, 22.5, 20, 0.9),
    ("r_013", "Smash & Shake", "burgers", 11.0, 23.5, 13, 1.5),
    ("r_014", "Tokyo Roll Express", "sushi", 11.0, 21.5, 16, 0.8),
    ("r_015", "Chiang Mai Noodles", "thai", 11.5, 22.0, 18, 1.0),
    ("r_016", "Taco Loco", "mexican", 11.0, 23.5, 12, 1.6),
    ("r_017", "Curry Leaf", "indian", 12.0, 22.0, 24, 0.8),
    ("r_018", "Morning Glory Cafe", "breakfast", 7.0, 14.5, 13, 1.0),
    ("r_019", "Wok This Way", "chinese", 11.0, 22.5, 15, 1.3),
    ("r_020", "Pita Palace", "mediterranean", 10.5, 22.0, 12, 1.0),
    ("r_021", "Kimchi Kitchen", "korean", 11.5, 22.0, 21, 0.9),
    ("r_022", "The Salad Lab", "salads", 10.0, 21.0, 11, 0.6),
    ("r_023", "Crust Brothers", "pizza", 12.0, 23.5, 19, 1.4),
    ("r_024", "Bagel Bros", "breakfast", 7.0, 15.5, 10, 1.1),
)

# Dashly Plus (help center: dashly-plus-tiers): free-delivery threshold, service-fee cap, credit back,
# free cancellations after the restaurant confirms.
TIERS = {
    "bronze": {"free_delivery": Decimal("15"), "fee_cap": Decimal("4"), "credit_back": Decimal("0"), "free_cancels": 0},
    "silver": {"free_delivery": Decimal("12"), "fee_cap": Decimal("3"), "credit_back": Decimal("0.03"), "free_cancels": 1},
    "gold": {"free_delivery": Decimal("10"), "fee_cap": Decimal("2"), "credit_back": Decimal("0.05"), "free_cancels": 2},
}  # fmt: skip
TIER_ORDER = ("bronze", "silver", "gold")
DELIVERY_FEE = Decimal("2.99")
SERVICE_RATE = Decimal("0.12")


def money(value: Decimal | float | str) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def tier_for(orders_last_12_months: int) -> str:
    return "gold" if orders_last_12_months >= 50 else "silver" if orders_last_12_months >= 20 else "bronze"


def local_to_utc(day: date, hour: float) -> datetime:
    """A New York wall-clock time (hours after midnight) as UTC."""
    naive = datetime.combine(day, time()) + timedelta(seconds=round(hour * 3600))
    edt = (naive + timedelta(hours=4)).replace(tzinfo=UTC)
    return edt if edt < DST_END else (naive + timedelta(hours=5)).replace(tzinfo=UTC)


def utc_to_local(when: datetime) -> datetime:
    """UTC as a naive New York wall-clock time."""
    offset = 4 if when < DST_END else 5
    return (when - timedelta(hours=offset)).replace(tzinfo=None)


def minutes(n: float) -> timedelta:
    return timedelta(seconds=round(n * 60))


# --- the world --------------------------------------------------------------------------------------


@dataclass
class Customer:
    id: str
    name: str
    email: str
    phone: str
    created: date
    first_row: datetime
    activity: float
    last12: int
    lifetime: int
    credit: Decimal
    favourites: tuple[str, ...]
    tier_oct: str
    tier_nov: str | None = None
    delivered_in_oct: int = 0
    free_cancels_used: dict[tuple[int, int], int] = field(default_factory=dict)

    def tier_at(self, when: datetime) -> str:
        if when < TIER_RECALC:
            return self.tier_oct
        if self.tier_nov is None:  # orders are simulated in time order: October is complete by now
            new = tier_for(self.last12 + self.delivered_in_oct)
            # No downgrades during the 2026 changeover (dashly-plus-tiers).
            self.tier_nov = max(self.tier_oct, new, key=TIER_ORDER.index)
        return self.tier_nov


@dataclass
class Courier:
    id: str
    first_name: str
    vehicle: str
    speed: float
    free_at: datetime


@dataclass
class Restaurant:
    id: str
    name: str
    cuisine: str
    opens: float
    closes: float
    base_prep: int
    busyness: float
    ticks: list[tuple[datetime, int, str, bool]] = field(default_factory=list)  # (time, delay, level, open)
    tick_times: list[datetime] = field(default_factory=list)

    def state_at(self, when: datetime) -> tuple[int, str, bool]:
        i = bisect.bisect_right(self.tick_times, when) - 1
        if i < 0:
            return 0, "quiet", False
        _, delay, level, is_open = self.ticks[i]
        return delay, level, is_open


@dataclass
class Order:
    """One simulated order, with the hidden facts the tables are derived from."""

    id: str
    customer: str
    restaurant: str
    items: list[str]
    prices: list[Decimal]
    subtotal: Decimal
    delivery_fee: Decimal
    service_fee: Decimal
    tax: Decimal
    tip: Decimal
    total: Decimal
    placed: datetime
    promised: datetime
    eta0: int
    outcome: str  # delivered | cancelled_by_customer_early | cancelled_by_customer | cancelled_by_restaurant
    confirmed: datetime | None = None
    preparing: datetime | None = None
    ready: datetime | None = None
    courier: str | None = None
    assigned: datetime | None = None
    picked_up: datetime | None = None
    delivered: datetime | None = None
    cancelled: datetime | None = None
    minutes_late: int | None = None
    distance_km: float = 0.0
    refund_kind: str | None = None  # what the refunds rows describe (claim type, late credit, cancellation)
    claim_item: str | None = None  # the item a customer's claim is about
    refund_rows: list[dict[str, Any]] = field(default_factory=list)
    credit_added: list[tuple[datetime, Decimal]] = field(default_factory=list)
    ticks: list[datetime] = field(default_factory=list)


@dataclass
class World:
    """Everything the generator simulated: the tables, and the hidden facts behind them."""

    seed: int
    customers: dict[str, Customer]
    couriers: dict[str, Courier]
    restaurants: dict[str, Restaurant]
    orders: dict[str, Order]
    tables: dict[str, pa.Table]


class _Rows:
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


# --- simulation ---------------------------------------------------------------------------------------


def _make_customers(rng: random.Random) -> dict[str, Customer]:
    names: set[str] = set()
    phones = [f"+1{area}5550{n:03d}" for area in (212, 347, 646, 718, 917, 929) for n in range(100, 200)]
    rng.shuffle(phones)
    new_ids = set(rng.sample(range(N_CUSTOMERS), N_NEW_CUSTOMERS))
    restaurant_ids = [r[0] for r in RESTAURANTS]
    customers: dict[str, Customer] = {}
    for i in range(N_CUSTOMERS):
        cid = f"c_{i + 1:04d}"
        while True:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if f"{first} {last}" not in names:
                break
        names.add(f"{first} {last}")
        email = f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@example.com"
        activity = min(rng.lognormvariate(0.0, 0.85), 6.0)
        if i in new_ids:
            created = FIRST_DAY + timedelta(days=rng.randint(0, 45))
            first_row = local_to_utc(created, rng.uniform(8, 21))
            last12 = lifetime = 0
            credit = Decimal("10.00")  # welcome credit
        else:
            created = date(2019, 3, 1) + timedelta(days=rng.randint(0, (date(2026, 9, 15) - date(2019, 3, 1)).days))
            first_row = DATA_START
            age_years = (date(2026, 10, 1) - created).days / 365.25
            last12 = max(0, round(activity * rng.uniform(14, 30) * min(age_years, 1.0)))
            lifetime = last12 + (round(last12 * rng.uniform(0.3, 1.0) * (age_years - 1)) if age_years > 1 else 0)
            credit = money(rng.choice([0, 0, 0, 0, 5, 10, 3.5, 12.75, 20]))
        customers[cid] = Customer(
            id=cid,
            name=f"{first} {last}",
            email=email,
            phone=phones[i],
            created=created,
            first_row=first_row,
            activity=activity,
            last12=last12,
            lifetime=lifetime,
            credit=credit,
            favourites=tuple(rng.sample(restaurant_ids, 3)),
            tier_oct=tier_for(last12),
        )
    return customers


def _load(hour: float, weekend: bool) -> float:
    lunch = math.exp(-(((hour - 12.5) / 0.8) ** 2) / 2)
    dinner = math.exp(-(((hour - 19.0) / 1.0) ** 2) / 2) * (1.35 if weekend else 1.1)
    return 0.12 + lunch + dinner


def _make_restaurants(rng: random.Random, rows: _Rows) -> dict[str, Restaurant]:
    restaurants = {r[0]: Restaurant(*r) for r in RESTAURANTS}
    day = FIRST_DAY
    while day <= LAST_DAY:
        weekend = day.weekday() >= 4
        for r in restaurants.values():
            bad_day = rng.random() < 0.05  # short-staffed kitchen
            hour = r.opens
            while hour < r.closes:
                when = local_to_utc(day, hour) + timedelta(seconds=rng.randint(0, 40))
                delay = r.busyness * _load(hour, weekend) * 11 + rng.gauss(0, 2.2) + (9 if bad_day else 0)
                delay_min = max(0, round(delay))
                level = (
                    "quiet"
                    if delay_min < 5
                    else "normal"
                    if delay_min <= 12
                    else "busy"
                    if delay_min <= 24
                    else "paused"
                )
                emitted = rows.emit(
                    "restaurant_status", r.id, when,
                    restaurant_name=r.name, prep_delay_minutes=delay_min, is_open=True, busy_level=level,
                )  # fmt: skip
                if emitted is not None:
                    r.ticks.append((emitted, delay_min, level, True))
                hour += 0.5
            when = local_to_utc(day, r.closes) + timedelta(seconds=rng.randint(0, 40))
            emitted = rows.emit(
                "restaurant_status", r.id, when,
                restaurant_name=r.name, prep_delay_minutes=0, is_open=False, busy_level="quiet",
            )  # fmt: skip
            if emitted is not None:
                r.ticks.append((emitted, 0, "quiet", False))
        day += timedelta(days=1)
    for r in restaurants.values():
        r.tick_times = [t[0] for t in r.ticks]
    return restaurants


def _order_hour(rng: random.Random) -> float:
    u = rng.random()
    if u < 0.08:
        hour = rng.gauss(8.75, 0.7)
    elif u < 0.42:
        hour = rng.gauss(12.4, 0.7)
    elif u < 0.52:
        hour = rng.uniform(14.0, 17.0)
    elif u < 0.94:
        hour = rng.gauss(19.0, 1.0)
    else:
        hour = rng.uniform(21.0, 23.3)
    return min(max(hour, 7.2), 23.3)


def _weighted(rng: random.Random, items: list[Any], weights: list[float]) -> Any:
    return rng.choices(items, weights=weights, k=1)[0]


def simulate(seed: int = SEED) -> World:
    """Run the whole simulation; :func:`generate` keeps only the tables."""
    rng_people = random.Random(f"{seed}:people")
    rng_kitchen = random.Random(f"{seed}:kitchens")
    rng_orders = random.Random(f"{seed}:orders")
    rng_refunds = random.Random(f"{seed}:refunds")
    rng_lag = random.Random(f"{seed}:lag")
    rows = _Rows(rng_lag)

    customers = _make_customers(rng_people)
    couriers: dict[str, Courier] = {}
    for i in range(N_COURIERS):
        vehicle, speed = _weighted(rng_people, list(VEHICLES), [0.25, 0.35, 0.2, 0.2])
        couriers[f"k_{i + 1:03d}"] = Courier(f"k_{i + 1:03d}", COURIER_NAMES[i], vehicle, speed, DATA_START)
    restaurants = _make_restaurants(rng_kitchen, rows)

    # Placement times for every day, then orders in time order (couriers are shared).
    plan: list[tuple[datetime, str]] = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        weekend = day.weekday() >= 4
        n = round(rng_orders.gauss(32 if weekend else 23, 3))
        for _ in range(n):
            when = local_to_utc(day, _order_hour(rng_orders)) + timedelta(seconds=rng_orders.randint(0, 59))
            if when + timedelta(hours=3) < DATA_END:
                plan.append((when, ""))
        day += timedelta(days=1)
    plan.sort()

    orders: dict[str, Order] = {}
    customer_ids = list(customers)
    for placed, _ in plan:
        active = [c for c in customer_ids if customers[c].first_row <= placed]
        cust = customers[_weighted(rng_orders, active, [customers[c].activity for c in active])]
        hour = (utc_to_local(placed) - datetime.combine(utc_to_local(placed).date(), time())).total_seconds() / 3600
        open_now = [
            r for r in restaurants.values() if r.opens <= hour < r.closes - 0.25 and r.state_at(placed)[1] != "paused"
        ]
        if not open_now:
            continue
        favourites = [r for r in open_now if r.id in cust.favourites]
        rest = (
            rng_orders.choice(favourites) if favourites and rng_orders.random() < 0.6 else rng_orders.choice(open_now)
        )
        order = _simulate_order(f"o_{10001 + len(orders)}", placed, cust, rest, couriers, rng_orders)
        orders[order.id] = order
        _emit_order(order, rest, couriers, rows)

    for order in orders.values():
        _refunds_for(order, customers[order.customer], rng_refunds)
        for row in order.refund_rows:
            values = {k: v for k, v in row.items() if k != "event_time"}
            emitted = rows.emit("refunds", order.id, row["event_time"], **values)
            if emitted is not None and row["refund_status"] == "paid" and row["refund_method"] == "store_credit":
                order.credit_added.append((emitted, row["refund_amount"]))
    _emit_profiles(customers, orders, rows, random.Random(f"{seed}:wallet"))

    tables = {view: rows.table(view) for view in VIEWS}
    return World(seed, customers, couriers, restaurants, orders, tables)


def _simulate_order(
    oid: str, placed: datetime, cust: Customer, rest: Restaurant, couriers: dict[str, Courier], rng: random.Random
) -> Order:
    menu = MENUS[rest.cuisine]
    n_items = _weighted(rng, [1, 2, 3, 4, 5, 6, 8], [0.16, 0.32, 0.26, 0.13, 0.06, 0.04, 0.03])
    picked = [rng.choice(menu) for _ in range(n_items)]
    items = [name for name, _ in picked]
    prices = [Decimal(p) for _, p in picked]
    subtotal = sum(prices, Decimal(0))
    tier = TIERS[cust.tier_at(placed)]
    delivery_fee = Decimal("0.00") if subtotal >= tier["free_delivery"] else DELIVERY_FEE
    service_fee = min(money(subtotal * SERVICE_RATE), tier["fee_cap"])
    tax = money(subtotal * TAX_RATE)
    tip = money(subtotal * Decimal(str(rng.choice([0.0, 0.1, 0.15, 0.15, 0.18, 0.2, 0.2]))))
    total = money(subtotal + delivery_fee + service_fee + tax + tip)
    distance = round(rng.uniform(0.8, 7.0), 1)
    delay_now, _, _ = rest.state_at(placed)
    travel_est = distance / 17.0 * 60 + 4
    eta0 = round(2 + rest.base_prep + delay_now + 5 + travel_est)
    promised = placed + minutes(eta0 + 10)
    u = rng.random()
    outcome = (
        "cancelled_by_customer_early"
        if u < 0.025
        else "cancelled_by_restaurant"
        if u < 0.045
        else "cancelled_by_customer"
        if u < 0.085
        else "delivered"
    )
    order = Order(
        id=oid, customer=cust.id, restaurant=rest.id, items=items, prices=prices, subtotal=subtotal,
        delivery_fee=delivery_fee, service_fee=service_fee, tax=tax, tip=tip, total=total, placed=placed,
        promised=promised, eta0=eta0, outcome=outcome, distance_km=distance,
    )  # fmt: skip
    if outcome == "cancelled_by_customer_early":
        order.cancelled = placed + timedelta(seconds=rng.randint(40, 150))
        return order
    order.confirmed = placed + timedelta(seconds=rng.randint(40, 180))
    order.preparing = order.confirmed + timedelta(seconds=rng.randint(20, 120))
    prep = max(6.0, rest.base_prep + delay_now + rng.gauss(0, 3))
    if rng.random() < 0.15:  # the kitchen slips badly
        prep += rng.uniform(10, 55)
    order.ready = order.preparing + minutes(prep)
    if outcome == "cancelled_by_restaurant":
        order.cancelled = order.preparing + minutes(rng.uniform(4, 20))
        return order
    if outcome == "cancelled_by_customer":
        order.cancelled = order.preparing + minutes(rng.uniform(3, max(4.0, min(prep - 2, 25.0))))
        return order
    # Assign a courier shortly before the food is ready.
    wanted = max(order.preparing + minutes(1), order.ready - minutes(rng.uniform(6, 12)))
    free = [c for c in couriers.values() if c.free_at <= wanted]
    if free:
        courier = rng.choice(free)
        assigned = wanted
    else:
        courier = min(couriers.values(), key=lambda c: (c.free_at, c.id))
        assigned = courier.free_at + minutes(rng.uniform(1, 3))
    if rng.random() < 0.05:  # no courier accepts for a while (weather, a busy night)
        assigned += minutes(rng.uniform(10, 35))
    to_restaurant = rng.uniform(3, 9)
    picked_up = max(order.ready, assigned + minutes(to_restaurant)) + minutes(rng.uniform(1, 3))
    travel = distance / courier.speed * 60 + rng.uniform(2, 5)
    if rng.random() < 0.03:  # building access, wrong entrance, traffic
        travel += rng.uniform(8, 20)
    order.courier = courier.id
    order.assigned = assigned
    order.picked_up = picked_up
    order.delivered = picked_up + minutes(travel)
    order.minutes_late = max(0, int((order.delivered - promised).total_seconds() // 60))
    courier.free_at = order.delivered + minutes(rng.uniform(1, 4))
    if order.delivered < TIER_RECALC:
        cust.delivered_in_oct += 1
    return order


def _eta(order: Order, now: datetime) -> int:
    """The platform's live estimate: starts at the checkout quote and converges on the truth."""
    assert order.delivered is not None
    total = (order.delivered - order.placed).total_seconds() / 60
    remaining = (order.delivered - now).total_seconds() / 60
    error = order.eta0 - total
    return max(1, round(remaining * (1 + error / total)))


def _projected_late(order: Order, now: datetime, eta: int) -> int:
    return max(0, int((now + timedelta(minutes=eta) - order.promised).total_seconds() // 60))


def _emit_order(order: Order, rest: Restaurant, couriers: dict[str, Courier], rows: _Rows) -> None:
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
    assert order.confirmed is not None and order.preparing is not None
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
    assert order.assigned is not None and order.picked_up is not None and order.courier is not None
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


# --- refunds ----------------------------------------------------------------------------------------------


def _refund_row(
    when: datetime,
    status: str,
    amount: Decimal,
    method: str | None,
    requested: datetime | None,
    eligible: bool | None,
    reason: str,
) -> dict[str, Any]:
    return {
        "event_time": when,
        "refund_status": status,
        "refund_amount": money(amount),
        "refund_method": method,
        "refund_requested_at": requested,
        "refund_eligible": eligible,
        "refund_reason": reason,
    }


def _flow(
    order: Order,
    requested: datetime,
    amount: Decimal,
    method: str,
    reason: str,
    rng: random.Random,
    *,
    review_hours: float | None = None,
) -> None:
    """requested -> approved -> paid (store credit at once; card refunds settle hours later)."""
    amount = money(amount)
    rows = order.refund_rows
    rows.append(_refund_row(requested, "requested", amount, method, requested, True, reason))
    approved = requested + (timedelta(hours=review_hours) if review_hours else timedelta(seconds=rng.randint(60, 300)))
    note = reason + (" Approved after review by an agent." if review_hours else " Approved automatically.")
    rows.append(_refund_row(approved, "approved", amount, method, requested, True, note))
    paid = approved + (
        timedelta(seconds=rng.randint(30, 90)) if method == "store_credit" else minutes(rng.uniform(120, 1200))
    )
    settled = (
        "Added to Dashly credit." if method == "store_credit" else "Sent to the card; banks take 3-10 business days."
    )
    rows.append(_refund_row(paid, "paid", amount, method, requested, True, f"{note} {settled}"))


def _refunds_for(order: Order, cust: Customer, rng: random.Random) -> None:
    """Refunds rows of one order (appended to ``order.refund_rows``), following the help center's rules."""
    tax_factor = 1 + TAX_RATE
    if order.outcome == "cancelled_by_customer_early":
        assert order.cancelled is not None
        order.refund_kind = "cancel_free_hold"
        order.refund_rows.append(
            _refund_row(
                order.cancelled, "none", Decimal(0), None, None, None,
                "Cancelled before the restaurant confirmed: nothing was charged; the payment hold is released "
                "within 1-3 business days.",
            )
        )  # fmt: skip
        return
    if order.outcome == "cancelled_by_restaurant":
        assert order.cancelled is not None
        order.refund_kind = "cancel_restaurant"
        why = rng.choice(["an item ran out", "the kitchen closed early", "the kitchen was overloaded"])
        requested = order.cancelled
        approved = requested + timedelta(seconds=rng.randint(30, 120))
        reason = f"Cancelled by the restaurant ({why}): full refund to the card, plus a $3.00 Dashly credit."
        order.refund_rows.append(_refund_row(approved, "approved", order.total, "card", requested, True, reason))
        paid = approved + minutes(rng.uniform(90, 900))
        order.refund_rows.append(_refund_row(paid, "paid", order.total, "card", requested, True, reason))
        order.credit_added.append((approved, Decimal("3.00")))
        return
    if order.outcome == "cancelled_by_customer":
        assert order.cancelled is not None and order.preparing is not None
        requested = order.cancelled
        tier = cust.tier_at(requested)
        month = (requested.year, requested.month)
        used = cust.free_cancels_used.get(month, 0)
        fee = max(Decimal("3.00"), money(order.subtotal / 2))
        if used < TIERS[tier]["free_cancels"]:
            cust.free_cancels_used[month] = used + 1
            order.refund_kind = "cancel_free_plus"
            amount = order.total
            reason = (
                f"Cancelled by the customer while preparing: free cancellation for Dashly Plus {tier.title()} "
                f"({used + 1} of {TIERS[tier]['free_cancels']} this month), full refund."
            )
        else:
            order.refund_kind = "cancel_fee"
            amount = order.total - fee
            reason = (
                f"Cancelled by the customer while preparing: cancellation fee of ${fee} (50% of the food "
                "subtotal, minimum $3) kept; delivery fee, service fee and tip refunded."
            )
        approved = requested + timedelta(seconds=rng.randint(20, 90))
        order.refund_rows.append(_refund_row(approved, "approved", amount, "card", requested, True, reason))
        paid = approved + minutes(rng.uniform(90, 900))
        order.refund_rows.append(_refund_row(paid, "paid", amount, "card", requested, True, reason))
        return
    assert order.delivered is not None and order.minutes_late is not None
    delivered = order.delivered
    if order.minutes_late >= 60:
        order.refund_kind = "late_60"
        fees = order.delivery_fee + order.service_fee
        approved = delivered + minutes(rng.uniform(5, 100))
        reason = (
            f"Late delivery: delivered {order.minutes_late} minutes after the promised time (60 or more): "
            f"delivery and service fees (${money(fees)}) refunded to the card, plus a $10.00 Dashly credit."
        )
        order.refund_rows.append(_refund_row(approved, "approved", fees, "card", delivered, True, reason))
        paid = approved + minutes(rng.uniform(60, 600))
        order.refund_rows.append(_refund_row(paid, "paid", fees, "card", delivered, True, reason))
        order.credit_added.append((approved, Decimal("10.00")))
        return
    if order.minutes_late > 30:
        order.refund_kind = "late_30"
        approved = delivered + minutes(rng.uniform(5, 100))
        reason = (
            f"Late delivery credit: delivered {order.minutes_late} minutes after the promised time "
            "(more than 30): $5.00 Dashly credit, applied automatically."
        )
        order.refund_rows.append(_refund_row(approved, "approved", Decimal(5), "store_credit", delivered, True, reason))
        paid = approved + timedelta(seconds=rng.randint(20, 90))
        order.refund_rows.append(_refund_row(paid, "paid", Decimal(5), "store_credit", delivered, True, reason))
        return
    if rng.random() >= 0.11:
        return
    kind = _weighted(
        rng,
        ["missing_item", "wrong_item", "damaged", "cold_food", "not_received", "taste", "late_report"],
        # big orders (family dinners, office lunches) get more "never arrived" claims
        [0.40, 0.12, 0.10, 0.10, 0.40 if order.total > 75 else 0.12, 0.08, 0.08],
    )
    order.refund_kind = kind
    i = rng.randrange(len(order.items))
    item, price = order.items[i], order.prices[i]
    order.claim_item = item
    item_amount = money(price * tax_factor)
    after = minutes(rng.choice([rng.uniform(4, 40), rng.uniform(40, 600)]))
    method = "card" if rng.random() < 0.55 else "store_credit"
    if kind == "missing_item":
        reason = f"Missing item: {item} (${item_amount} incl. tax), reported within 48 hours of delivery."
        _flow(order, delivered + after, item_amount, method, reason, rng)
    elif kind == "wrong_item":
        reason = f"Wrong item: received another dish instead of {item} (${item_amount} incl. tax); photo provided."
        _flow(order, delivered + after, item_amount, method, reason, rng)
    elif kind == "damaged":
        reason = f"Damaged item: {item} arrived spilled or crushed (${item_amount} incl. tax); photo provided."
        _flow(order, delivered + minutes(rng.uniform(5, 300)), item_amount, method, reason, rng)
    elif kind == "cold_food":
        half = money(item_amount / 2)
        reason = f"Cold food on an on-time order: 50% of {item} (${half}) as Dashly credit; photo provided."
        _flow(order, delivered + minutes(rng.uniform(5, 120)), half, "store_credit", reason, rng)
    elif kind == "not_received":
        requested = delivered + minutes(rng.uniform(8, 90))
        reason = "Order marked delivered but not received: GPS drop-off was more than 150 m from the address."
        review = rng.uniform(3, 18) if order.total > 75 else None
        _flow(order, requested, order.total, "card", reason, rng, review_hours=review)
    else:
        if kind == "taste":
            requested = delivered + after
            reason = (
                f"Not eligible: {item} was prepared as described; food that didn't suit your taste isn't covered "
                "by the refund policy."
            )
        else:
            requested = delivered + minutes(rng.uniform(50 * 60, 90 * 60))
            hours = int((requested - delivered).total_seconds() // 3600)
            reason = (
                f"Not eligible: missing {item} reported {hours} hours after delivery; missing items must be "
                "reported within 48 hours."
            )
        order.refund_rows.append(
            _refund_row(requested, "requested", item_amount, method, requested, None, "Claim received.")
        )
        decided = requested + minutes(rng.uniform(2, 45))
        order.refund_rows.append(_refund_row(decided, "rejected", item_amount, method, requested, False, reason))


# --- customer profiles --------------------------------------------------------------------------------


def _emit_profiles(customers: dict[str, Customer], orders: dict[str, Order], rows: _Rows, rng: random.Random) -> None:
    events: dict[str, list[tuple[datetime, int, str, Any]]] = {c: [] for c in customers}
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
        state = {
            "name": cust.name,
            "email": cust.email,
            "phone": cust.phone,
            "loyalty_tier": cust.tier_at(cust.first_row),
            "lifetime_orders": cust.lifetime,
            "account_created": cust.created,
            "store_credit": cust.credit,
        }
        rows.emit("customer_profile", cid, cust.first_row, **state)
        for when, _, kind, payload in ev:
            if kind == "spend":
                if state["store_credit"] <= 0 or rng.random() >= 0.75:
                    continue
                state["store_credit"] = money(state["store_credit"] - min(state["store_credit"], payload.total))
            elif kind == "delivered":
                state["lifetime_orders"] += 1
                back = TIERS[cust.tier_at(when)]["credit_back"]
                if back:
                    state["store_credit"] = money(state["store_credit"] + money(payload.subtotal * back))
            elif kind == "credit":
                state["store_credit"] = money(state["store_credit"] + payload)
            else:
                state["loyalty_tier"] = cust.tier_at(when)
            rows.emit("customer_profile", cid, when, **state)


# --- entry points -----------------------------------------------------------------------------------------


def generate(seed: int = SEED) -> dict[str, pa.Table]:
    """The five tables, one per feature view (deterministic for a seed)."""
    return simulate(seed).tables


def write(tables: dict[str, pa.Table], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for view, table in tables.items():
        path = out / f"{view}.parquet"
        pq.write_table(table, path, compression="zstd")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None, *, echo: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "data")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    tables = generate(args.seed)
    for path in write(tables, args.out):
        echo(f"{path}: {tables[path.stem].num_rows} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
