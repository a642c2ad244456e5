"""Where is my order, running late, late-delivery credits."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from agentkit.examples.support_bot.conversations.recorder import Recorder, expected
from agentkit.examples.support_bot.conversations.timeline import clock, usd, whole_seconds
from agentkit.examples.support_bot.generate import DATA_END
from agentkit.examples.support_bot.simulation.world import Order


def where_is_my_order(rec: Recorder, n: int = 10) -> None:
    asks = [
        "where is my order??",
        "hi, how long until my food gets here? the app just says on the way",
        "is my {rest} order close? starving over here",
        "Can you tell me where my driver is right now?",
        "hey any update on my order from {rest}",
        "How far away is my delivery?",
        "my food was picked up a while ago, when will it actually arrive",
        "Hello, I'd like to know when my order will be delivered please.",
        "wheres my food",
        "the map isn't loading for me. where's the courier?",
    ]
    candidates = [
        o for o in rec.orders if o.delivered and o.picked_up and (o.delivered - o.picked_up) >= timedelta(minutes=10)
    ]
    for i, order in enumerate(rec.pick(candidates, n)):
        assert order.delivered is not None
        assert order.picked_up is not None
        assert order.assigned is not None
        assert order.courier is not None
        span = (order.delivered - order.picked_up).total_seconds() / 60
        t0 = rec.minutes_after(order.picked_up, 1.5, span - 5)
        assert rec.status_at(order, t0) == "picked_up"
        k = order.courier
        eta = rec.tl.value("order_status.eta_minutes", order.id, t0)
        loc = rec.tl.at("courier_location", k, t0)
        assert loc is not None
        assert loc["event_time"] >= order.assigned
        rest = rec.rest_name(order)
        t = rec.new("where-is-my-order", order.customer, t0, ["where-is-my-order"])
        facts = [
            rec.fact("order_status.status", order.id, t0),
            rec.fact("order_status.eta_minutes", order.id, t0),
            rec.fact("courier_location.first_name", k, t0),
            rec.fact("courier_location.minutes_away", k, t0),
        ]
        ref = (
            f"Your {rest} order has been picked up: {loc['first_name']} is on the way and about "
            f"{loc['minutes_away']} minutes away ({loc['distance_km']:.1f} km), arriving around "
            f"{clock(t0 + timedelta(minutes=eta))}. You can follow them on the live map under Orders."
        )
        rec.customer_turn(
            t,
            asks[i % len(asks)].format(rest=rest),
            t0,
            expected(facts=facts, documents=["live-tracking"], reference_answer=ref),
        )
        a0 = rec.reply_at(t0)
        rec.agent_turn(
            t,
            f"Hi {rec.first(order.customer)}! {loc['first_name']} picked up your order from {rest} and is "
            f"about {loc['minutes_away']} minutes away, so it should be with you around "
            f"{clock(t0 + timedelta(minutes=eta))}. You can watch them on the live map under Orders → "
            "Current order.",
            a0,
        )
        if i % 3 == 0:
            t1 = a0 + timedelta(seconds=rec.rng.randint(40, 120))
            if rec.status_at(order, t1) != "picked_up":
                continue
            vehicle = rec.tl.value("courier_location.vehicle", k, t1)
            words = {"bike": "a bike", "e_bike": "an e-bike", "scooter": "a scooter", "car": "a car"}[vehicle]
            rec.customer_turn(
                t,
                "ok thanks. are they on a bike or driving? I need to know if I should go down to the street",
                t1,
                expected(
                    facts=[rec.fact("courier_location.vehicle", k, t1)],
                    documents=["live-tracking"],
                    reference_answer=f"{loc['first_name']} is delivering by {words}.",
                ),
            )
            rec.agent_turn(
                t,
                f"{loc['first_name']} is on {words}. You'll get a push notification when they're about "
                "2 minutes away, so you can head down then.",
                rec.reply_at(t1),
            )


def _customer_of_slot(slot: tuple[Order, datetime]) -> str:
    return slot[0].customer


def running_late(rec: Recorder, n: int = 8) -> None:
    asks_kitchen = [
        "it's been forever and my order still says preparing. what is going on",
        "why is {rest} taking so long?? ordered ages ago",
        "My order is late. The app keeps pushing the time back.",
        "still waiting... is the restaurant even making my food?",
    ]
    asks_road = [
        "my order is taking forever, the courier has had it for ages",
        "this is really late now. where is it",
        "the ETA keeps changing, when is my food actually coming?",
        "Order is way past the time you promised. Any idea when it arrives?",
    ]
    slots: dict[str, list[tuple[Order, datetime]]] = {"preparing": [], "picked_up": []}
    for order in rec.orders:
        if order.delivered is None:
            continue
        rows = rec.tl.rows["order_status"][order.id]
        for row, nxt in itertools.pairwise(rows):
            if (
                row["status"] in slots
                and row["minutes_late"] >= 8
                and nxt["event_time"] - row["event_time"] > timedelta(seconds=100)
            ):
                slots[row["status"]].append((order, row["event_time"] + timedelta(seconds=rec.rng.randint(20, 80))))
                break
    chosen = [("preparing", c) for c in rec.pick(slots["preparing"], n // 2, who=_customer_of_slot)]
    chosen += [("picked_up", c) for c in rec.pick(slots["picked_up"], n - n // 2, who=_customer_of_slot)]
    for i, (phase, (order, moment)) in enumerate(chosen):
        t0 = whole_seconds(moment)
        assert rec.status_at(order, t0) == phase
        rest = rec.rest_name(order)
        eta = rec.tl.value("order_status.eta_minutes", order.id, t0)
        late = rec.tl.value("order_status.minutes_late", order.id, t0)
        facts = [
            rec.fact("order_status.status", order.id, t0),
            rec.fact("order_status.eta_minutes", order.id, t0),
            rec.fact("order_status.minutes_late", order.id, t0),
            rec.fact("order_status.promised_at", order.id, t0),
        ]
        docs = ["delivery-delays"]
        if phase == "preparing":
            delay = rec.tl.value("restaurant_status.prep_delay_minutes", order.restaurant, t0)
            facts.append(rec.fact("restaurant_status.prep_delay_minutes", order.restaurant, t0))
            docs.append("restaurant-prep-delays")
            why = (
                f"{rest} is running about {delay} minutes behind in the kitchen and is still preparing it"
                if delay >= 5
                else f"{rest} is still preparing it — your order is taking the kitchen longer than estimated"
            )
            ask = asks_kitchen[i % len(asks_kitchen)]
        else:
            why = "the courier has it and is on the way"
            ask = asks_road[i % len(asks_road)]
        arrival = clock(t0 + timedelta(minutes=eta))
        ref = (
            f"Sorry for the wait: {why}. The current estimate is {eta} minutes (around {arrival}), about "
            f"{late} minutes after the promised time of {clock(order.promised)}. If it arrives more than 30 "
            "minutes after the promised time, a $5 Dashly credit is added automatically."
        )
        t = rec.new("late-delivery", order.customer, t0, ["late-delivery"])
        rec.customer_turn(t, ask.format(rest=rest), t0, expected(facts=facts, documents=docs, reference_answer=ref))
        a0 = rec.reply_at(t0)
        rec.agent_turn(
            t,
            f"I'm sorry, {rec.first(order.customer)} — {why}. It's now expected around {arrival}. "
            "I've flagged the order so we keep an eye on it.",
            a0,
        )
        if i % 2 == 1:
            t1 = a0 + timedelta(seconds=rec.rng.randint(45, 150))
            promised = rec.fact("order_status.promised_at", order.id, t1)
            rec.customer_turn(
                t,
                "do I get anything back for this? it's not the first time",
                t1,
                expected(
                    facts=[promised],
                    documents=["refund-policy", "delivery-delays"],
                    reference_answer=(
                        f"Late credits are automatic and measured from the promised time ({clock(order.promised)}): "
                        "more than 30 minutes late earns a $5 Dashly credit, 60 minutes or more refunds the "
                        "delivery and service fees plus a $10 credit, added within 2 hours of delivery."
                    ),
                ),
            )
            rec.agent_turn(
                t,
                "You don't need to ask — if it arrives more than 30 minutes after the promised time we add a "
                "$5 credit automatically (60+ minutes: your delivery and service fees back plus $10 credit).",
                rec.reply_at(t1),
            )


def late_credit(rec: Recorder, n: int = 6) -> None:
    late = [o for o in rec.orders if o.refund_kind in ("late_30", "late_60") and len(o.refund_rows) == 2]
    sixty = [o for o in late if o.refund_kind == "late_60"]
    thirty = [o for o in late if o.refund_kind == "late_30"]
    chosen = rec.pick(sixty, 1) + rec.pick(thirty, n - 1)
    for i, order in enumerate(chosen):
        approved, paid = (r["event_time"] for r in order.refund_rows)
        assert order.delivered is not None
        assert order.minutes_late is not None
        rest = rec.rest_name(order)
        m = order.minutes_late
        # two customers ask right after delivery, before the automatic credit
        before = i in (1, 2) and (approved - order.delivered) >= timedelta(minutes=12)
        if before:
            t0 = rec.minutes_after(order.delivered, 3, (approved - order.delivered).total_seconds() / 60 - 6)
        else:
            t0 = rec.minutes_after(paid, 20, 600)
            if t0 >= DATA_END - timedelta(minutes=15):
                t0 = rec.minutes_after(paid, 2, 10)
        status = rec.tl.value("refunds.refund_status", order.id, t0)
        facts = [
            rec.fact("order_status.minutes_late", order.id, t0),
            rec.fact("refunds.refund_status", order.id, t0),
        ]
        if before:
            assert status == "none"
            ref = (
                f"Your {rest} order arrived {m} minutes after the promised time, so a "
                f"{'$5 Dashly credit' if m < 60 else 'refund of the delivery and service fees plus a $10 credit'} "
                "is applied automatically within 2 hours of delivery — you don't need to do anything."
            )
            agent = (
                f"Sorry about that, {rec.first(order.customer)}. It was delivered {m} minutes late, so the late "
                "credit will be added to your account automatically within 2 hours."
            )
        else:
            assert status == "paid"
            facts += [
                rec.fact("refunds.refund_amount", order.id, t0),
                rec.fact("refunds.refund_method", order.id, t0),
            ]
            if m >= 60:
                ref = (
                    f"Your {rest} order arrived {m} minutes late, so the delivery and service fees "
                    f"({usd(order.delivery_fee + order.service_fee)}) were refunded to your card and a $10.00 "
                    "Dashly credit was added."
                )
            else:
                ref = (
                    f"Your {rest} order arrived {m} minutes after the promised time, so a $5.00 Dashly credit was "
                    "added to your account automatically; it's already in your wallet."
                )
            agent = f"I checked: the order was {m} minutes late and the late credit has already been applied. " + (
                "You'll see it under Account → Wallet." if m < 60 else "The fee refund is on its way to your card."
            )
        ask = [
            "my last order from {rest} came super late. do i get some kind of compensation?",
            "Hi, the food showed up way after the time the app promised. Is there a refund for that?",
            "that was the latest delivery ever. what are you going to do about it",
        ][i % 3].format(rest=rest)
        t = rec.new("late-credit", order.customer, t0, ["late-delivery", "refund"])
        rec.customer_turn(t, ask, t0, expected(facts=facts, documents=["refund-policy"], reference_answer=ref))
        rec.agent_turn(t, agent, rec.reply_at(t0))
