"""Recording conversations: the ``Transcript`` being written, the ``expected`` block of a scored
turn, and the ``Recorder`` that picks customers and moments and reads facts as of each turn."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar, overload

from agentkit.examples.support_bot.conversations.timeline import Timeline, iso, jsonable, whole_seconds
from agentkit.examples.support_bot.generate import DATA_END, DATA_START, SEED, local_to_utc, simulate, utc_to_local
from agentkit.examples.support_bot.simulation.world import Order

# --- building conversations ------------------------------------------------------------------------


@dataclass
class Transcript:
    id: str
    customer_id: str
    started_at: datetime
    channel: str
    tags: list[str]
    turns: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "started_at": iso(self.started_at),
            "channel": self.channel,
            "tags": self.tags,
            "turns": self.turns,
        }


def expected(
    *,
    facts: Sequence[dict[str, Any]] = (),
    documents: Sequence[str] = (),
    must_not_contain: Sequence[str] = (),
    should_refuse: bool = False,
    reference_answer: str,
) -> dict[str, Any]:
    return {
        "facts": list(facts),
        "documents": list(documents),
        "must_not_contain": list(dict.fromkeys(must_not_contain)),
        "should_refuse": should_refuse,
        "reference_answer": reference_answer,
    }


T = TypeVar("T")


def _customer(order: Order) -> str:
    return order.customer


class Recorder:
    """The world, a point-in-time view of its tables, and the conversations recorded so far."""

    def __init__(self, seed: int) -> None:
        self.world = simulate(SEED)
        self.tl = Timeline(self.world.tables)
        self.rng = random.Random(f"{seed}:transcripts")
        self.used: set[str] = set()
        self.out: list[Transcript] = []
        self.counters: dict[str, int] = {}
        self.orders = sorted(self.world.orders.values(), key=lambda o: o.id)
        self.by_customer: dict[str, list[Order]] = {}
        for order in self.orders:
            self.by_customer.setdefault(order.customer, []).append(order)

    # helpers ------------------------------------------------------------------------------------

    def new(self, tag: str, customer: str, started: datetime, tags: list[str], channel: str = "chat") -> Transcript:
        self.counters[tag] = self.counters.get(tag, 0) + 1
        started = whole_seconds(started)
        assert DATA_START <= started < DATA_END - timedelta(minutes=15), started
        t = Transcript(f"{tag}-{self.counters[tag]:02d}", customer, started, channel, tags)
        self.out.append(t)
        return t

    def customer_turn(self, t: Transcript, text: str, at: datetime, exp: dict[str, Any] | None = None) -> None:
        turn: dict[str, Any] = {"role": "customer", "text": text, "at": iso(at)}
        if exp is not None:
            turn["expected"] = exp
        t.turns.append(turn)

    def agent_turn(self, t: Transcript, text: str, at: datetime) -> None:
        t.turns.append({"role": "agent", "text": text, "at": iso(at)})

    def fact(self, ref: str, key: str, when: datetime) -> dict[str, Any]:
        value = self.tl.value(ref, key, when)
        assert value is not None, f"{ref} of {key} is empty at {when}"
        return {"feature": ref, "entity_key": key, "value": jsonable(value)}

    def first(self, customer: str) -> str:
        return self.world.customers[customer].name.split()[0]

    def rest_name(self, order: Order) -> str:
        return self.world.restaurants[order.restaurant].name

    @overload
    def pick(self, candidates: Iterable[Order], n: int) -> list[Order]: ...
    @overload
    def pick(self, candidates: Iterable[T], n: int, *, who: Callable[[T], str]) -> list[T]: ...
    def pick(self, candidates: Iterable[Any], n: int, *, who: Callable[[Any], str] = _customer) -> list[Any]:
        """``n`` candidates at random, each for a customer not used by another conversation yet."""
        pool = list(candidates)
        self.rng.shuffle(pool)
        chosen: list[Any] = []
        for item in pool:
            if who(item) in self.used:
                continue
            chosen.append(item)
            self.used.add(who(item))
            if len(chosen) == n:
                return chosen
        raise AssertionError(f"only {len(chosen)} of {n} candidates available")

    def minutes_after(self, when: datetime, lo: float, hi: float) -> datetime:
        return whole_seconds(when + timedelta(seconds=self.rng.uniform(lo * 60, hi * 60)))

    def daytime(self, customer: str) -> datetime:
        """A random waking-hours moment (New York time) after the customer's account existed."""
        first = max(self.world.customers[customer].first_row, DATA_START) + timedelta(days=1)
        while True:
            day = utc_to_local(first).date() + timedelta(days=self.rng.randint(0, 58))
            when = whole_seconds(local_to_utc(day, self.rng.uniform(8.0, 22.5)))
            if first <= when < DATA_END - timedelta(hours=1):
                return when

    def reply_at(self, when: datetime) -> datetime:
        return when + timedelta(seconds=self.rng.randint(35, 110))

    def status_at(self, order: Order, when: datetime) -> str:
        return self.tl.value("order_status.status", order.id, when)

    def owned_items(self, customer: str, when: datetime) -> set[str]:
        return {i for o in self.by_customer.get(customer, []) if o.placed <= when for i in o.items}

    def leak_strings(self, order: Order, asker: str, when: datetime) -> list[str]:
        """Values of another customer's order that must never reach ``asker``."""
        owner = self.world.customers[order.customer]
        mine = self.owned_items(asker, when)
        out = [owner.name, owner.email, owner.phone]
        out += [i for i in dict.fromkeys(order.items) if i not in mine]
        if order.placed <= when:
            out.append(f"{order.total:.2f}")
        return out
