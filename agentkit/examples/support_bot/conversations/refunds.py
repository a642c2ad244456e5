"""Where a refund stands (approved, paid, in review, rejected) and cancellations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from agentkit.examples.support_bot.conversations.recorder import Recorder, expected
from agentkit.examples.support_bot.conversations.timeline import day_name, usd, whole_seconds
from agentkit.examples.support_bot.generate import DATA_END, money
from agentkit.examples.support_bot.simulation.world import Order


def refund_status(rec: Recorder) -> None:
    def window(order: Order, status: str) -> tuple[datetime, datetime] | None:
        rows = order.refund_rows
        for j, row in enumerate(rows):
            if row["refund_status"] == status:
                end = rows[j + 1]["event_time"] if j + 1 < len(rows) else DATA_END - timedelta(minutes=20)
                return row["event_time"], min(end, DATA_END - timedelta(minutes=20))
        return None

    claims = ("missing_item", "wrong_item", "damaged", "not_received", "cold_food")
    plans: list[tuple[str, Callable[[Order], bool], int, str]] = [
        ("approved", lambda o: o.refund_kind in claims and o.refund_rows[-1]["refund_method"] == "card", 2, "card"),
        (
            "paid",
            lambda o: o.refund_kind in claims and o.refund_rows[-1]["refund_method"] == "card",
            2,
            "card-paid",
        ),
        (
            "paid",
            lambda o: o.refund_kind in claims and o.refund_rows[-1]["refund_method"] == "store_credit",
            1,
            "credit",
        ),
        ("requested", lambda o: o.refund_kind == "not_received" and o.total > 75, 1, "review"),
        ("rejected", lambda o: o.refund_kind in ("late_report", "taste"), 2, "rejected"),
    ]
    asks = {
        "card": ["when will i get my refund?", "Hi — you said you'd refund me. Has it been sent yet?"],
        "card-paid": [
            "It's been a couple of days and I still don't see the refund on my card",
            "where is my refund?? not on my statement",
        ],
        "credit": ["did the refund for my order go through?"],
        "review": ["what's happening with my refund? I reported the order as not received"],
        "rejected": ["why was my refund request denied?", "you rejected my refund, I want to know why"],
    }
    for status, keep, n, kind in plans:
        candidates: list[tuple[Order, datetime, datetime]] = []
        for order in rec.orders:
            if not keep(order):
                continue
            span = window(order, status)
            if span is None:
                continue
            lo, hi = span
            if kind == "card-paid":
                lo = lo + timedelta(days=1)
                hi = min(hi, lo + timedelta(days=2))
            if hi - lo >= timedelta(minutes=10):
                candidates.append((order, lo, hi))
        for i, (order, lo, hi) in enumerate(rec.pick(candidates, n, who=lambda c: c[0].customer)):
            t0 = rec.minutes_after(lo, 2, (hi - lo).total_seconds() / 60 - 3)
            assert rec.tl.value("refunds.refund_status", order.id, t0) == status
            amount = rec.tl.value("refunds.refund_amount", order.id, t0)
            facts = [
                rec.fact("refunds.refund_status", order.id, t0),
                rec.fact("refunds.refund_amount", order.id, t0),
                rec.fact("refunds.refund_method", order.id, t0),
            ]
            docs = ["refund-processing-times"]
            if kind == "card":
                ref = (
                    f"Your refund of {usd(amount)} was approved and is being sent to your card; card refunds "
                    "take 3-5 business days for Visa/Mastercard (up to 10 for debit cards) to appear."
                )
                agent = f"Your {usd(amount)} refund is approved and on its way to your card — allow 3-5 business days."
            elif kind == "card-paid":
                paid_at = window(order, "paid")
                assert paid_at is not None
                ref = (
                    f"The {usd(amount)} refund was sent to your card on {day_name(paid_at[0])}. Card refunds take "
                    "3-5 business days (Amex 5-7, debit cards up to 10) to show up; after 10 business days, ask "
                    "your bank using the refund reference (ARN) on the receipt."
                )
                agent = (
                    f"The {usd(amount)} refund left us on {day_name(paid_at[0])}. Banks usually take 3-5 business "
                    "days; the ARN on your receipt lets your bank trace it."
                )
            elif kind == "credit":
                docs = ["store-credit-vs-card-refund"]
                facts.append(rec.fact("customer_profile.store_credit", order.customer, t0))
                ref = f"Yes — {usd(amount)} was added to your Dashly credit, which is available right away."
                agent = f"Yes! {usd(amount)} is in your Dashly credit already and applies at checkout automatically."
            elif kind == "review":
                docs = ["refund-policy", "delivered-not-received"]
                ref = (
                    f"Your claim for {usd(amount)} is over $75, so an agent reviews it instead of approving it "
                    "automatically; reviews are done within 24 hours and you'll get a message with the decision."
                )
                agent = "Because the claim is over $75 it's with our review team; you'll hear back within 24 hours."
            else:
                docs = ["refund-policy"]
                facts.append(rec.fact("refunds.refund_eligible", order.id, t0))
                reason = rec.tl.value("refunds.refund_reason", order.id, t0)
                ref = (
                    f"The claim wasn't eligible under the refund policy. {reason} You can appeal by asking for a "
                    "human agent."
                )
                agent = (
                    "I'm sorry, but the claim falls outside the refund policy: "
                    + reason.removeprefix("Not eligible: ")
                    + " If you disagree, I can pass it to a supervisor."
                )
            t = rec.new("refund-status", order.customer, t0, ["refund"], channel="email" if i % 2 else "chat")
            rec.customer_turn(
                t, asks[kind][i % len(asks[kind])], t0, expected(facts=facts, documents=docs, reference_answer=ref)
            )
            rec.agent_turn(t, agent, rec.reply_at(t0) + timedelta(minutes=30 if i % 2 else 0))


def cancellations(rec: Recorder) -> None:
    def during_prep(kind: str) -> list[Order]:
        return [
            o
            for o in rec.orders
            if o.refund_kind == kind
            and o.cancelled
            and o.preparing
            and (o.cancelled - o.preparing) >= timedelta(minutes=4)
        ]

    plans = [("cancel_fee", 2), ("cancel_free_plus", 2)]
    asks = ["can I still cancel my order? I ordered the wrong thing", "I need to cancel, something came up"]
    for kind, n in plans:
        for i, order in enumerate(rec.pick(during_prep(kind), n)):
            assert order.cancelled is not None
            assert order.preparing is not None
            t0 = rec.minutes_after(order.cancelled, -3.5, -2.2)
            assert t0 > order.preparing + timedelta(seconds=20)
            assert rec.status_at(order, t0) == "preparing"
            tier = rec.tl.value("customer_profile.loyalty_tier", order.customer, t0)
            facts = [
                rec.fact("order_status.status", order.id, t0),
                rec.fact("customer_profile.loyalty_tier", order.customer, t0),
            ]
            fee = max(Decimal("3.00"), money(order.subtotal / 2))
            if kind == "cancel_fee":
                ref = (
                    f"The restaurant is already preparing your order, so cancelling now costs 50% of the food "
                    f"subtotal ({usd(fee)}); the delivery fee, service fee and tip are refunded."
                )
                agent = (
                    f"I can cancel it, but since the kitchen has started there's a {usd(fee)} cancellation fee. "
                    "Shall I go ahead?"
                )
            else:
                ref = (
                    f"Yes. The order is already being prepared, which normally costs 50% of the food subtotal, "
                    f"but as a Dashly Plus {tier.title()} member you have free cancellations this month, so it's "
                    "a full refund."
                )
                agent = (
                    f"Done — as a {tier.title()} member this cancellation is free, and the full amount goes back to "
                    "your card."
                )
            t = rec.new("cancellation", order.customer, t0, ["cancellation"])
            rec.customer_turn(
                t, asks[i % 2], t0, expected(facts=facts, documents=["cancellation-policy"], reference_answer=ref)
            )
            rec.agent_turn(t, agent, rec.reply_at(t0))

    for order in rec.pick([o for o in rec.orders if o.refund_kind == "cancel_restaurant"], 2):
        approved = order.refund_rows[0]["event_time"]
        t0 = rec.minutes_after(approved, 5, 60)
        facts = [
            rec.fact("order_status.status", order.id, t0),
            rec.fact("refunds.refund_status", order.id, t0),
            rec.fact("refunds.refund_amount", order.id, t0),
        ]
        rest = rec.rest_name(order)
        ref = (
            f"{rest} cancelled the order after confirming it. You're never charged when the restaurant cancels: "
            f"the full {usd(order.total)} is refunded to your card, and we added a $3 Dashly credit for the trouble."
        )
        t = rec.new("cancellation", order.customer, t0, ["cancellation", "refund"])
        rec.customer_turn(
            t,
            f"why did my order from {rest} get cancelled?? I didn't cancel it",
            t0,
            expected(facts=facts, documents=["cancellation-policy"], reference_answer=ref),
        )
        rec.agent_turn(
            t,
            f"So sorry — {rest} had to cancel it. You get the full {usd(order.total)} back on your card, plus a "
            "$3 credit from us.",
            rec.reply_at(t0),
        )

    early = [
        o
        for o in rec.orders
        if o.refund_kind == "cancel_free_hold" and o.cancelled and o.cancelled - o.placed >= timedelta(seconds=70)
    ]
    for order in rec.pick(early, 1):
        t0 = whole_seconds(order.placed + timedelta(seconds=25))
        assert rec.status_at(order, t0) == "placed"
        t = rec.new("cancellation", order.customer, t0, ["cancellation"])
        rec.customer_turn(
            t,
            "ordered from the wrong restaurant by accident, cancel it please!!",
            t0,
            expected(
                facts=[rec.fact("order_status.status", order.id, t0)],
                documents=["cancellation-policy"],
                reference_answer=(
                    "The restaurant hasn't confirmed yet, so you can cancel for free (Orders → Current order → "
                    "Cancel order): nothing is charged and the payment hold is released."
                ),
            ),
        )
        rec.agent_turn(
            t,
            "Caught it in time — the restaurant hadn't confirmed yet, so it's cancelled at no charge. The hold on "
            "your card disappears within 1-3 business days.",
            rec.reply_at(t0),
        )
