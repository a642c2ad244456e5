"""Dashly support bot: entities and feature views of a food-delivery service, as code.

Every description is written for the agent that reads it through the catalog: what the value
means, its unit, its enum values and when it changes. Times are UTC; money is USD.

Scope (who may reach which rows, compiled into every read):

- ``customer``: a customer reaches their own row only.
- ``order``: a customer reaches the orders whose ``order_status.customer_id`` is theirs.
- ``courier``: reached through the ``courier_id`` of an order the customer can reach. The order
  only carries a courier id while that courier is assigned to it (until delivery), so a customer
  sees a courier's live location only while the courier is carrying *their* order.
- ``restaurant``: public (kitchen load and opening state are not personal data).
"""

from datetime import timedelta

from agentkit import Entity, Feature, FeatureView, Scope

ORDER_STATUSES = ("placed", "confirmed", "preparing", "picked_up", "delivered", "cancelled")
REFUND_STATUSES = ("none", "requested", "approved", "paid", "rejected")

customer = Entity(
    name="customer",
    join_key="customer_id",
    description="A Dashly customer account (ids like c_0001). The end user of the support chat is a customer.",
    scope=Scope.subject(),
)

order = Entity(
    name="order",
    join_key="order_id",
    description="One food-delivery order placed by a customer (ids like o_10001).",
    scope=Scope.owned_by("order_status", "customer_id"),
)

courier = Entity(
    name="courier",
    join_key="courier_id",
    description="A delivery courier (ids like k_001). Reachable only while carrying one of the customer's orders.",
    scope=Scope.through("order", "order_status", "courier_id"),
)

restaurant = Entity(
    name="restaurant",
    join_key="restaurant_id",
    description="A partner restaurant that prepares orders (ids like r_001).",
    scope=Scope.public(),
)

customer_profile = FeatureView(
    name="customer_profile",
    entity=customer,
    description=(
        "Account facts about the customer: name, contact details, Dashly Plus loyalty tier, order count "
        "and Dashly credit balance. Updated when an order is delivered, when credit is added or spent, "
        "and when tiers are recalculated on the 1st of each month."
    ),
    owner="crm",
    tags=("account",),
    features=(
        Feature(
            name="name",
            dtype="string",
            description="Customer's full name (first and last), as shown on the account.",
            tags=("pii",),
        ),
        Feature(
            name="email",
            dtype="string",
            description="E-mail address the account is registered with; receipts and refund notices go here.",
            tags=("pii",),
        ),
        Feature(
            name="phone",
            dtype="string",
            description="Mobile phone number on the account (E.164, e.g. +12125550123); couriers call it via a relay.",
            tags=("pii",),
        ),
        Feature(
            name="loyalty_tier",
            dtype="enum",
            values=("bronze", "silver", "gold"),
            description=(
                "Dashly Plus tier: bronze (0-19 completed orders in the last 12 months), silver (20-49) or "
                "gold (50+). Sets the free-delivery threshold, service-fee cap, credit back (silver 3%, "
                "gold 5%) and free cancellations (silver 1, gold 2 per month). Recalculated on the 1st."
            ),
        ),
        Feature(
            name="lifetime_orders",
            dtype="int",
            unit="orders",
            description="Number of orders the customer has had delivered since the account was created.",
        ),
        Feature(
            name="account_created",
            dtype="date",
            description="Calendar day the customer opened their Dashly account.",
        ),
        Feature(
            name="store_credit",
            dtype="money",
            currency="USD",
            description=(
                "Current Dashly credit balance in USD (late-delivery credits, refunds taken as credit, Plus "
                "credit back). Applied automatically at checkout; cannot be cashed out."
            ),
        ),
    ),
)

order_status = FeatureView(
    name="order_status",
    entity=order,
    description=(
        "Live status of one order as it moves placed -> confirmed -> preparing -> picked_up -> delivered "
        "(or cancelled), with its ETA, promised time and lateness. A new row is written at every status "
        "change and every few minutes while the order is on its way."
    ),
    owner="logistics",
    freshness=timedelta(minutes=15),
    features=(
        Feature(name="customer_id", dtype="string", description="Customer who placed the order (c_NNNN)."),
        Feature(
            name="restaurant_id",
            dtype="string",
            description="Restaurant preparing the order (r_NNN); look it up in restaurant_status.",
        ),
        Feature(
            name="courier_id",
            dtype="string",
            description=(
                "Courier currently assigned to the order (k_NNN); look it up in courier_location. Empty before "
                "a courier is assigned and again once the order is delivered or cancelled."
            ),
        ),
        Feature(
            name="status",
            dtype="enum",
            values=ORDER_STATUSES,
            description=(
                "Where the order is: placed (sent, restaurant has not confirmed), confirmed (restaurant "
                "accepted), preparing (kitchen is cooking), picked_up (courier has the food, on the way), "
                "delivered, or cancelled."
            ),
        ),
        Feature(
            name="placed_at",
            dtype="timestamp",
            description="When the customer placed the order (UTC).",
        ),
        Feature(
            name="promised_at",
            dtype="timestamp",
            description=(
                "End of the arrival window shown at checkout (UTC): the promised time. It never moves; "
                "late-delivery credits are measured from it."
            ),
        ),
        Feature(
            name="eta_minutes",
            dtype="int",
            unit="minutes",
            description=(
                "Current estimate of minutes until the order arrives, counted from the time of the row; "
                "0 once delivered, empty when cancelled."
            ),
        ),
        Feature(
            name="delivered_at",
            dtype="timestamp",
            description="When the courier marked the order delivered (UTC); empty until then.",
        ),
        Feature(
            name="order_total",
            dtype="money",
            currency="USD",
            description=(
                "Total the customer was charged for the order in USD: food, delivery fee, service fee, tax and tip."
            ),
        ),
        Feature(
            name="items",
            dtype="list[string]",
            description="Names of the menu items in the order, one entry per item (quantities repeat the name).",
        ),
        Feature(
            name="minutes_late",
            dtype="int",
            unit="minutes",
            description=(
                "How many minutes after the promised time the order arrives: for an open order, projected from "
                "the current ETA; once delivered, the actual lateness. 0 when on time or early. More than 30 "
                "earns a $5 credit, 60 or more a fee refund plus $10 credit. Empty when cancelled."
            ),
        ),
    ),
)

courier_location = FeatureView(
    name="courier_location",
    entity=courier,
    description=(
        "Where the courier carrying an order is, relative to that order's customer: a new row every "
        "few minutes from assignment until delivery."
    ),
    owner="logistics",
    freshness=timedelta(minutes=10),
    features=(
        Feature(
            name="distance_km",
            dtype="float",
            unit="km",
            description=(
                "Remaining route distance to the customer's address in kilometres, including the stop at the "
                "restaurant if the courier has not picked up yet; 0 at delivery."
            ),
        ),
        Feature(
            name="minutes_away",
            dtype="int",
            unit="minutes",
            description="Estimated minutes until the courier reaches the customer's door (matches the order's ETA).",
        ),
        Feature(
            name="vehicle",
            dtype="enum",
            values=("bike", "e_bike", "scooter", "car"),
            description="How the courier travels: bike, e_bike (electric bike), scooter or car.",
        ),
        Feature(
            name="first_name",
            dtype="string",
            description="Courier's first name, as shown to the customer in the app.",
        ),
    ),
)

restaurant_status = FeatureView(
    name="restaurant_status",
    entity=restaurant,
    description=(
        "Current state of a restaurant's kitchen: open or closed, how busy it is and how far behind its "
        "usual preparation time. Updated every 30 minutes while open."
    ),
    owner="merchant-ops",
    freshness=timedelta(hours=1),
    features=(
        Feature(name="restaurant_name", dtype="string", description="Restaurant's display name in the app."),
        Feature(
            name="prep_delay_minutes",
            dtype="int",
            unit="minutes",
            description="Minutes the kitchen is currently running behind its usual preparation time (0 = on schedule).",
        ),
        Feature(
            name="is_open",
            dtype="bool",
            description="Whether the restaurant is open now (it may still be paused for new orders when busy).",
        ),
        Feature(
            name="busy_level",
            dtype="enum",
            values=("quiet", "normal", "busy", "paused"),
            description=(
                "Kitchen load: quiet (< 5 minutes behind), normal (5-12), busy (13-24, shown with a Busy badge) "
                "or paused (25+, not taking new orders for now)."
            ),
        ),
    ),
)

refunds = FeatureView(
    name="refunds",
    entity=order,
    description=(
        "Refund or credit on an order (missing, wrong or damaged items, not received, late delivery, "
        "cancellation): its status, amount, where the money goes and why. One current state per order; "
        "a new row at every status change."
    ),
    owner="payments",
    features=(
        Feature(
            name="refund_status",
            dtype="enum",
            values=REFUND_STATUSES,
            description=(
                "none (no refund on this order), requested (claim received, under review), approved (refund "
                "sent, not yet settled), paid (money has reached Dashly credit or been sent to the card), "
                "rejected (not eligible; see refund_reason)."
            ),
        ),
        Feature(
            name="refund_amount",
            dtype="money",
            currency="USD",
            description="Amount requested or refunded in USD (0.00 when there is no refund).",
        ),
        Feature(
            name="refund_method",
            dtype="enum",
            values=("card", "store_credit"),
            description=(
                "Where the refund goes: card (original payment method, 3-10 business days depending on the "
                "bank) or store_credit (Dashly credit, instant)."
            ),
        ),
        Feature(
            name="refund_requested_at",
            dtype="timestamp",
            description="When the claim was made, or when an automatic credit was triggered (UTC).",
        ),
        Feature(
            name="refund_eligible",
            dtype="bool",
            description="Whether the claim meets the refund policy (reported in time, covered issue).",
        ),
        Feature(
            name="refund_reason",
            dtype="string",
            description="Why the refund was made or rejected, in words (issue, item, policy rule applied).",
        ),
    ),
)
