"""Item claims (missing, wrong, damaged or cold food) and orders marked delivered but not received."""

from __future__ import annotations

from datetime import timedelta

from agentkit.examples.support_bot.conversations.recorder import Recorder, expected
from agentkit.examples.support_bot.conversations.timeline import clock, usd


def item_claims(rec: Recorder) -> None:
    plans = [
        ("missing_item", "missing-item", 8, ["missing-items"]),
        ("wrong_item", "wrong-item", 2, ["wrong-items"]),
        ("damaged", "damaged-food", 1, ["damaged-or-cold-food"]),
        ("cold_food", "damaged-food", 1, ["damaged-or-cold-food"]),
    ]
    asks = {
        "missing_item": [
            "there's no {item} in my bag",
            "Hi, I just got my order but there's no {item} in it.",
            "you guys forgot my {item}. I paid for it",
            "order came without the {item}?? checked every bag",
        ],
        "wrong_item": ["I got the wrong food, I ordered {item} and this is something else"],
        "damaged": ["my {item} spilled all over the bag, it's inedible. I have a photo"],
        "cold_food": ["the {item} arrived completely cold. can I get something back?"],
    }
    for kind, tag, n, docs in plans:
        candidates = [
            o
            for o in rec.orders
            if o.refund_kind == kind and o.refund_rows[0]["event_time"] - o.delivered >= timedelta(minutes=6)
        ]
        for i, order in enumerate(rec.pick(candidates, n)):
            assert order.delivered is not None
            assert order.claim_item is not None
            requested = order.refund_rows[0]["event_time"]
            t0 = rec.minutes_after(requested, -5.5, -2.5)
            assert t0 > order.delivered
            item = order.claim_item
            amount = order.refund_rows[0]["refund_amount"]
            method = order.refund_rows[0]["refund_method"]
            facts = [
                rec.fact("order_status.status", order.id, t0),
                rec.fact("order_status.items", order.id, t0),
                rec.fact("refunds.refund_status", order.id, t0),
            ]
            where = "your card" if method == "card" else "your Dashly credit"
            if kind == "cold_food":
                ref = (
                    f"Sorry your {item} arrived cold. The order was on time, so we refund 50% of the item "
                    f"({usd(amount)}) as Dashly credit; please add a photo within 24 hours of delivery."
                )
            elif kind == "damaged":
                ref = (
                    f"Sorry about the spill. Damaged items reported within 24 hours with a photo are refunded in "
                    f"full: {usd(amount)} for the {item}, including tax."
                )
            else:
                ref = (
                    f"Sorry about the {item}. It's within 48 hours of delivery, so you get the full item price "
                    f"back, {usd(amount)} including tax, to your original payment method or as Dashly credit."
                )
            t = rec.new(tag, order.customer, t0, [tag, "refund"])
            rec.customer_turn(
                t,
                asks[kind][i % len(asks[kind])].format(item=item.lower() if i % 2 else item),
                t0,
                expected(facts=facts, documents=docs, reference_answer=ref),
            )
            rec.agent_turn(
                t,
                f"I'm sorry about that, {rec.first(order.customer)}. I've put in a refund of {usd(amount)} for the "
                f"{item} to {where}"
                + (" — it'll be there right away." if method == "store_credit" else "; banks take 3-5 business days."),
                rec.reply_at(t0),
            )


def not_received(rec: Recorder, n: int = 3) -> None:
    candidates = [
        o
        for o in rec.orders
        if o.refund_kind == "not_received" and o.refund_rows[0]["event_time"] - o.delivered >= timedelta(minutes=8)
    ]
    asks = [
        "app says delivered but there is nothing at my door",
        "My order was marked as delivered 20 min ago and I never got it. I've checked the lobby.",
        "where is my food? it says delivered. it's not here",
    ]
    for i, order in enumerate(rec.pick(candidates, n)):
        assert order.delivered is not None
        requested = order.refund_rows[0]["event_time"]
        t0 = rec.minutes_after(requested, -6, -2.5)
        assert t0 > order.delivered + timedelta(minutes=2)
        facts = [
            rec.fact("order_status.status", order.id, t0),
            rec.fact("order_status.delivered_at", order.id, t0),
        ]
        ref = (
            f"The order was marked delivered at {clock(order.delivered)}. Check the delivery photo and common drop "
            "spots; if you still can't find it, report it within 48 hours and we compare the courier's GPS drop-off "
            "with your address — if it was more than 150 m away, the full order total including fees and tip is "
            "refunded to your payment method."
        )
        t = rec.new("not-received", order.customer, t0, ["not-received", "refund"])
        rec.customer_turn(
            t, asks[i], t0, expected(facts=facts, documents=["delivered-not-received"], reference_answer=ref)
        )
        rec.agent_turn(
            t,
            f"I'm sorry, {rec.first(order.customer)}. The courier marked it delivered at "
            f"{clock(order.delivered)}, but the drop-off point doesn't match your address, so I've started a full "
            f"refund of {usd(order.total)} to your card.",
            rec.reply_at(t0),
        )
