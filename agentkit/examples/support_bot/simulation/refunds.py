"""Refunds, following the help center's rules (refund-policy, cancellation-policy): what each
order's outcome earns — late credits, item claims, cancellation refunds — as ``refunds`` rows."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from agentkit.examples.support_bot.simulation.actors import weighted
from agentkit.examples.support_bot.simulation.world import TAX_RATE, TIERS, Customer, Order, minutes, money


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


def refunds_for(order: Order, cust: Customer, rng: random.Random) -> None:
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
        assert order.cancelled is not None
        assert order.preparing is not None
        requested = order.cancelled
        tier = cust.tier_at(requested)
        month = (requested.year, requested.month)
        used = cust.free_cancels_used.get(month, 0)
        fee = max(Decimal("3.00"), money(order.subtotal / 2))
        if used < TIERS[tier].free_cancels:
            cust.free_cancels_used[month] = used + 1
            order.refund_kind = "cancel_free_plus"
            amount = order.total
            reason = (
                f"Cancelled by the customer while preparing: free cancellation for Dashly Plus {tier.title()} "
                f"({used + 1} of {TIERS[tier].free_cancels} this month), full refund."
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
    assert order.delivered is not None
    assert order.minutes_late is not None
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
    kind = weighted(
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
