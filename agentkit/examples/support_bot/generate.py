"""Generate the Dashly example data: eight weeks of a food-delivery service in New York.

Deterministic for a seed (default 42): the same seed gives byte-identical tables. Uses only the
standard library and pyarrow, and runs in about a second::

    python -m agentkit.examples.support_bot.generate [--out DIR] [--seed N]

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
import random
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from agentkit.examples.support_bot.simulation.actors import make_couriers, make_customers, make_restaurants, weighted
from agentkit.examples.support_bot.simulation.orders import order_hour, simulate_order
from agentkit.examples.support_bot.simulation.refunds import refunds_for
from agentkit.examples.support_bot.simulation.rows import KEYS, Rows, emit_order, emit_profiles
from agentkit.examples.support_bot.simulation.world import (
    DATA_END,
    DATA_START,
    FIRST_DAY,
    LAST_DAY,
    SEED,
    VIEWS,
    Order,
    World,
    local_to_utc,
    money,
    utc_to_local,
)

__all__ = [
    "DATA_END",
    "DATA_START",
    "KEYS",
    "SEED",
    "VIEWS",
    "World",
    "generate",
    "local_to_utc",
    "main",
    "money",
    "simulate",
    "utc_to_local",
    "write",
]


def simulate(seed: int = SEED) -> World:
    """Run the whole simulation; :func:`generate` keeps only the tables."""
    rng_people = random.Random(f"{seed}:people")
    rng_kitchen = random.Random(f"{seed}:kitchens")
    rng_orders = random.Random(f"{seed}:orders")
    rng_refunds = random.Random(f"{seed}:refunds")
    rng_lag = random.Random(f"{seed}:lag")
    rows = Rows(rng_lag)

    customers = make_customers(rng_people)
    couriers = make_couriers(rng_people)
    restaurants = make_restaurants(rng_kitchen, rows)

    # Placement times for every day, then orders in time order (couriers are shared).
    plan: list[tuple[datetime, str]] = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        weekend = day.weekday() >= 4
        n = round(rng_orders.gauss(32 if weekend else 23, 3))
        for _ in range(n):
            when = local_to_utc(day, order_hour(rng_orders)) + timedelta(seconds=rng_orders.randint(0, 59))
            if when + timedelta(hours=3) < DATA_END:
                plan.append((when, ""))
        day += timedelta(days=1)
    plan.sort()

    orders: dict[str, Order] = {}
    customer_ids = list(customers)
    for placed, _ in plan:
        active = [c for c in customer_ids if customers[c].first_row <= placed]
        cust = customers[weighted(rng_orders, active, [customers[c].activity for c in active])]
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
        order = simulate_order(f"o_{10001 + len(orders)}", placed, cust, rest, couriers, rng_orders)
        orders[order.id] = order
        emit_order(order, rest, couriers, rows)

    for order in orders.values():
        refunds_for(order, customers[order.customer], rng_refunds)
        for row in order.refund_rows:
            values = {k: v for k, v in row.items() if k != "event_time"}
            emitted = rows.emit("refunds", order.id, row["event_time"], **values)
            if emitted is not None and row["refund_status"] == "paid" and row["refund_method"] == "store_credit":
                order.credit_added.append((emitted, row["refund_amount"]))
    emit_profiles(customers, orders, rows, random.Random(f"{seed}:wallet"))

    tables = {view: rows.table(view) for view in VIEWS}
    return World(seed, customers, couriers, restaurants, orders, tables)


# --- entry points -----------------------------------------------------------------------------------------


def generate(seed: int = SEED) -> dict[str, pa.Table]:
    """The five tables, one per feature view (deterministic for a seed)."""
    return simulate(seed).tables


def write(tables: dict[str, pa.Table], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for view, table in tables.items():
        path = out / f"{view}.parquet"
        with pq.ParquetWriter(path, table.schema, compression="zstd") as writer:  # what pq.write_table does
            writer.write_table(table)
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
