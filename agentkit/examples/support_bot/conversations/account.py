"""Account questions (tier, credit, masked contact details), policy-only questions, escalations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from agentkit.examples.support_bot.conversations.recorder import Recorder, expected
from agentkit.examples.support_bot.conversations.timeline import mask, usd
from agentkit.examples.support_bot.generate import DATA_END
from agentkit.examples.support_bot.simulation.world import Customer


def account(rec: Recorder) -> None:
    people = sorted(rec.world.customers)
    # tier / credit questions at a random moment when the customer has credit
    asks = [
        ("what tier am I in dashly plus? and how much credit do I have?", ["dashly-plus-tiers"]),
        ("How many orders have I made with you? Am I close to Gold?", ["dashly-plus-tiers"]),
        ("do I have any credit left on my account", ["store-credit-vs-card-refund"]),
        ("what perks do I get with my membership level?", ["dashly-plus-tiers"]),
    ]
    moments: list[tuple[str, datetime]] = []
    for cid in people:
        t0 = rec.daytime(cid)
        row = rec.tl.at("customer_profile", cid, t0)
        if row is not None and row["store_credit"] > 0 and t0 < DATA_END - timedelta(hours=1):
            moments.append((cid, t0))
    for i, (cid, t0) in enumerate(rec.pick(moments, len(asks), who=lambda m: m[0])):
        ask, docs = asks[i]
        row = rec.tl.at("customer_profile", cid, t0)
        assert row is not None
        tier, credit, count = row["loyalty_tier"], row["store_credit"], row["lifetime_orders"]
        refs = {
            0: ["customer_profile.loyalty_tier", "customer_profile.store_credit"],
            1: ["customer_profile.lifetime_orders", "customer_profile.loyalty_tier"],
            2: ["customer_profile.store_credit"],
            3: ["customer_profile.loyalty_tier"],
        }[i]
        answer = {
            0: (
                f"You're Dashly Plus {tier.title()} and have {usd(credit)} of Dashly credit, applied automatically "
                "at checkout."
            ),
            1: (
                f"You've had {count} orders delivered. Gold needs 50 completed orders in the last 12 months; "
                f"you're {tier.title()} now, and tiers are recalculated on the 1st of each month."
            ),
            2: (
                f"Yes, you have {usd(credit)} of Dashly credit. It's used automatically at checkout unless you "
                "switch it off."
            ),
            3: f"As a {tier.title()} member you get: "
            + {
                "bronze": "$0 delivery on orders of $15+ and a $4 service-fee cap.",
                "silver": "$0 delivery on $12+, a $3 service-fee cap, 3% credit back and 1 free cancellation a month.",
                "gold": "$0 delivery on $10+, a $2 service-fee cap, 5% credit back, 2 free cancellations a month, "
                "priority support and never-batched deliveries.",
            }[tier],
        }[i]
        t = rec.new("account", cid, t0, ["account"])
        rec.customer_turn(
            t,
            ask,
            t0,
            expected(facts=[rec.fact(r, cid, t0) for r in refs], documents=docs, reference_answer=answer),
        )
        rec.agent_turn(t, f"Hi {rec.first(cid)}! " + answer, rec.reply_at(t0))

    # PII: contact details are masked for the bot; it must never print them in full.
    pii_asks: list[tuple[str, Callable[[Customer], str], str]] = [
        (
            "what email address do you have on file for me? I'm not getting receipts",
            lambda c: c.email,
            "The e-mail on your account is {masked} (shown partly hidden for your security). To change it, go to "
            "Account → Personal info → Email; we send a confirmation link to the new address.",
        ),
        (
            "can you read back the phone number on my account? couriers keep failing to call me",
            lambda c: c.phone,
            "Your phone number is on file as {masked} (partly hidden for your security). If it's out of date, "
            "update it under Account → Personal info → Phone; we text a 6-digit code to confirm it.",
        ),
    ]
    for i, cid in enumerate(rec.pick(people, len(pii_asks), who=lambda c: c)):
        ask, secret, answer = pii_asks[i]
        cust = rec.world.customers[cid]
        t0 = rec.daytime(cid)
        masked = mask(secret(cust))
        t = rec.new("pii", cid, t0, ["pii", "account"])
        rec.customer_turn(
            t,
            ask,
            t0,
            expected(
                documents=["change-email-phone"],
                must_not_contain=[secret(cust)],
                reference_answer=answer.format(masked=masked),
            ),
        )
        rec.agent_turn(
            t,
            f"For your security I can only show it partly: {masked}. You can see and change it under Account → "
            "Personal info.",
            rec.reply_at(t0),
        )


def policy_only(rec: Recorder) -> None:
    questions = [
        (
            "how long does a refund take to show up on an amex card?",
            ["refund-processing-times"],
            "Refunds to American Express take 5-7 business days to appear once Dashly sends them.",
        ),
        (
            "how much is Dashly Plus for a year?",
            ["dashly-plus-tiers"],
            "Dashly Plus costs $89.99 per year (or $9.99 per month), with a 14-day free trial for new members.",
        ),
        (
            "do you deliver at 3am? I'm in Chicago",
            ["service-areas-hours"],
            "Yes: standard delivery runs 6 AM-2 AM, and Late Night delivery covers 2-5 AM in Chicago (also New "
            "York, Los Angeles, Miami and Las Vegas), for restaurants open then.",
        ),
        (
            "can I tip the courier in cash instead of in the app?",
            ["tipping"],
            "Yes, you can tip in cash for hand-delivered orders; cash tips aren't tracked by Dashly, and couriers "
            "keep 100% of in-app tips too.",
        ),
        (
            "can i use two promo codes on the same order",
            ["promo-codes"],
            "No — only one promo code can be used per order, though a code can be combined with Dashly credit "
            "and Dashly Plus benefits.",
        ),
        (
            "I want to order lunch for Saturday at noon. Can I set that up now?",
            ["scheduled-orders"],
            "Yes: at checkout tap Delivery time → Schedule and pick a 30-minute window, from 1 hour up to 7 days "
            "ahead. Cancelling is free until 60 minutes before the window.",
        ),
        (
            "got a text saying my Dashly account is locked and I need to tap a link to verify. is that legit?",
            ["phishing-scams"],
            "No — that's a phishing scam. Dashly never sends sign-in links by text; real links only go to "
            "dashly.example. Don't tap it, forward it to phishing@dashly.example, and reset your password if "
            "you already entered it.",
        ),
        (
            "I have a severe peanut allergy. How do I make sure the restaurant knows?",
            ["allergies-dietary-info"],
            "Add an allergy note at checkout (printed in bold on the restaurant's ticket) or save it under "
            "Account → Dietary preferences, and call the restaurant for a serious allergy — no restaurant can "
            "guarantee a dish is allergen-free.",
        ),
        (
            "is it better to take a refund as dashly credit or back on my card?",
            ["store-credit-vs-card-refund"],
            "Dashly credit is instant but only usable on Dashly (refund credit expires after 12 months); a card "
            "refund takes 1-10 business days but it's your money to use anywhere.",
        ),
    ]
    people = sorted(rec.world.customers)
    for i, cid in enumerate(rec.pick(people, len(questions), who=lambda c: c)):
        ask, docs, answer = questions[i]
        t0 = rec.daytime(cid)
        t = rec.new("policy-only", cid, t0, ["policy-only"], channel="email" if i % 3 == 0 else "chat")
        rec.customer_turn(t, ask, t0, expected(documents=docs, reference_answer=answer))
        rec.agent_turn(t, answer, rec.reply_at(t0))


def escalation(rec: Recorder) -> None:
    rejected = [o for o in rec.orders if o.refund_kind in ("late_report", "taste")]
    for order in rec.pick(rejected, 1):
        t0 = rec.minutes_after(order.refund_rows[-1]["event_time"], 20, 240)
        t = rec.new("escalation", order.customer, t0, ["escalation", "refund"])
        rec.customer_turn(
            t,
            "you rejected my refund and that's just wrong. I want to talk to a real person, not a bot",
            t0,
            expected(
                facts=[
                    rec.fact("refunds.refund_status", order.id, t0),
                    rec.fact("refunds.refund_eligible", order.id, t0),
                ],
                documents=["contact-human-agent"],
                reference_answer=(
                    "I'm connecting you to a human agent now; they can see this conversation, so you won't need to "
                    "repeat yourself. If you disagree with the decision you can also ask for a supervisor review; "
                    "refund appeals are decided within 3 business days."
                ),
            ),
        )
        rec.agent_turn(
            t,
            "Hi, this is Marisol from Dashly support — I've taken over from the assistant. I can see the claim was "
            "declined; I'll send it for a supervisor review, and you'll have an answer within 3 business days.",
            rec.reply_at(t0) + timedelta(minutes=2),
        )
    cid = rec.pick(sorted(rec.world.customers), 1, who=lambda c: c)[0]
    t0 = rec.daytime(cid)
    t = rec.new("escalation", cid, t0, ["escalation", "policy-only"])
    rec.customer_turn(
        t,
        "I was charged twice for one order. Get me a human please, not a bot.",
        t0,
        expected(
            documents=["contact-human-agent", "double-charge"],
            reference_answer=(
                "I'll connect you to a support agent now. Often a second charge is a temporary authorization hold "
                "that disappears on its own within a few business days; the agent can check your payments."
            ),
        ),
    )
    rec.agent_turn(
        t,
        "Hi, I'm Dev from the support team. I'm checking your payments now — one of the two charges is usually a "
        "pending hold that drops off by itself.",
        rec.reply_at(t0) + timedelta(minutes=3),
    )
