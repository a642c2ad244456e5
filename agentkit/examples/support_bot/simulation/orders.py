"""One order's life: when it is placed in the day, what is in the basket, and how it ends
(delivered by a courier, or cancelled by the customer or the restaurant)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from agentkit.examples.support_bot.simulation.actors import weighted
from agentkit.examples.support_bot.simulation.world import (
    DELIVERY_FEE,
    MENUS,
    SERVICE_RATE,
    TAX_RATE,
    TIER_RECALC,
    TIERS,
    Courier,
    Customer,
    Order,
    Restaurant,
    minutes,
    money,
)


def order_hour(rng: random.Random) -> float:
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


def simulate_order(
    oid: str, placed: datetime, cust: Customer, rest: Restaurant, couriers: dict[str, Courier], rng: random.Random
) -> Order:
    menu = MENUS[rest.cuisine]
    n_items = weighted(rng, [1, 2, 3, 4, 5, 6, 8], [0.16, 0.32, 0.26, 0.13, 0.06, 0.04, 0.03])
    picked = [rng.choice(menu) for _ in range(n_items)]
    items = [name for name, _ in picked]
    prices = [Decimal(p) for _, p in picked]
    subtotal = sum(prices, Decimal(0))
    tier = TIERS[cust.tier_at(placed)]
    delivery_fee = Decimal("0.00") if subtotal >= tier.free_delivery else DELIVERY_FEE
    service_fee = min(money(subtotal * SERVICE_RATE), tier.fee_cap)
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
