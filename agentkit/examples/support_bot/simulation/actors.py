"""The actors: customers with their accounts, couriers, and restaurants with their kitchens' load
through every opening hour (which also emits the ``restaurant_status`` rows)."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

from agentkit.examples.support_bot.simulation.rows import Rows
from agentkit.examples.support_bot.simulation.world import (
    COURIER_NAMES,
    DATA_START,
    FIRST_DAY,
    FIRST_NAMES,
    LAST_DAY,
    LAST_NAMES,
    N_COURIERS,
    N_CUSTOMERS,
    N_NEW_CUSTOMERS,
    RESTAURANTS,
    VEHICLES,
    Courier,
    Customer,
    Restaurant,
    local_to_utc,
    money,
    tier_for,
)

T = TypeVar("T")


def make_customers(rng: random.Random) -> dict[str, Customer]:
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


def make_restaurants(rng: random.Random, rows: Rows) -> dict[str, Restaurant]:
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


def weighted(rng: random.Random, items: list[T], weights: list[float]) -> T:
    return rng.choices(items, weights=weights, k=1)[0]


def make_couriers(rng: random.Random) -> dict[str, Courier]:
    couriers: dict[str, Courier] = {}
    for i in range(N_COURIERS):
        vehicle, speed = weighted(rng, list(VEHICLES), [0.25, 0.35, 0.2, 0.2])
        couriers[f"k_{i + 1:03d}"] = Courier(f"k_{i + 1:03d}", COURIER_NAMES[i], vehicle, speed, DATA_START)
    return couriers
