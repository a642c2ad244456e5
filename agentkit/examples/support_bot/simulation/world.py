"""The Dashly world model: calendar and constants, reference data (people, menus, restaurants,
Dashly Plus tiers), time and money helpers, and the simulated actors with their hidden facts."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pyarrow as pa

SEED = 42
FIRST_DAY = date(2026, 10, 5)  # a Monday
LAST_DAY = date(2026, 11, 29)  # a Sunday: eight full weeks
DATA_START = datetime(2026, 10, 1, 4, 0, tzinfo=UTC)  # 2026-10-01 00:00 in New York
DATA_END = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # nothing happens at or after this
DST_END = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # New York: EDT (UTC-4) before, EST (UTC-5) after
TIER_RECALC = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # 2026-11-01 00:00 in New York (still EDT)
TAX_RATE = Decimal("0.08875")  # New York City sales tax
CENT = Decimal("0.01")

N_CUSTOMERS = 200
N_NEW_CUSTOMERS = 12  # accounts opened during the eight weeks
N_COURIERS = 45

VIEWS = ("customer_profile", "order_status", "courier_location", "restaurant_status", "refunds")

# --- reference data -------------------------------------------------------------------------------

FIRST_NAMES = (
    "Ana", "Ben", "Carla", "Daniel", "Elena", "Farah", "George", "Hana", "Isaac", "Julia", "Kevin", "Lena",
    "Marcus", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Samuel", "Tara", "Umar", "Vera", "Wes", "Ximena",
    "Yusuf", "Zoe", "Aaron", "Bianca", "Caleb", "Diana", "Ethan", "Fatima", "Gabriel", "Helen", "Ivan",
    "Jasmine", "Kai", "Laura", "Miguel", "Nora", "Oliver", "Paula", "Rafael", "Sofia", "Theo", "Uma",
    "Victor", "Wendy", "Yara", "Zach", "Amir", "Brooke", "Chen", "Dev", "Emma", "Felix", "Grace", "Hugo",
)  # fmt: skip
LAST_NAMES = (
    "Alvarez", "Brooks", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kim",
    "Lopez", "Murphy", "Nguyen", "Okafor", "Patel", "Quinn", "Rossi", "Schmidt", "Tanaka", "Usman", "Vargas",
    "Walsh", "Xu", "Young", "Zimmerman", "Baker", "Cohen", "Diaz", "Ellis", "Foster", "Greene", "Hughes",
    "Iqbal", "Jordan", "Kowalski", "Levy", "Morales", "Novak", "Ortiz", "Park", "Reyes", "Singh", "Torres",
)  # fmt: skip
COURIER_NAMES = (
    "Luis", "Aisha", "Marco", "Jin", "Dmitri", "Keisha", "Pedro", "Sana", "Tomas", "Mei", "Andre", "Leila",
    "Carlos", "Nia", "Yosef", "Ines", "Malik", "Rina", "Hector", "Ayo", "Bruno", "Lucia", "Kofi", "Mira",
    "Diego", "Noor", "Sergio", "Tanvi", "Ramon", "Esi", "Pavel", "Lin", "Javier", "Amara", "Nikhil", "Rosa",
    "Emeka", "Sol", "Vlad", "Kemi", "Jorge", "Hiro", "Fatou", "Abdul", "Mateo",
)  # fmt: skip
VEHICLES = (("bike", 13.0), ("e_bike", 18.0), ("scooter", 21.0), ("car", 17.0))  # average km/h in the city

MENUS: dict[str, tuple[tuple[str, str], ...]] = {
    "pizza": (("Margherita pizza", "16.50"), ("Pepperoni pizza", "18.00"), ("Garlic knots", "6.50"),
              ("Caesar salad", "9.75"), ("Buffalo wings", "12.00"), ("Tiramisu", "7.25"), ("Coke (can)", "2.50")),
    "burgers": (("Classic cheeseburger", "12.95"), ("Double smash burger", "15.50"), ("Veggie burger", "13.25"),
                ("Fries", "4.75"), ("Onion rings", "5.50"), ("Chocolate milkshake", "6.95"), ("Lemonade", "3.75")),
    "sushi": (("Salmon avocado roll", "9.50"), ("Spicy tuna roll", "10.25"), ("Dragon roll", "16.00"),
              ("Miso soup", "3.95"), ("Edamame", "5.25"), ("Chicken teriyaki bowl", "15.75"), ("Green tea", "2.75")),
    "thai": (("Pad thai with shrimp", "16.95"), ("Green curry with chicken", "15.95"), ("Tom yum soup", "7.50"),
             ("Fresh spring rolls", "7.95"), ("Mango sticky rice", "8.25"), ("Thai iced tea", "4.50")),
    "mexican": (("Chicken burrito", "13.50"), ("Carnitas tacos (3)", "12.75"), ("Chips and guacamole", "7.95"),
                ("Quesadilla", "11.25"), ("Elote", "5.50"), ("Horchata", "4.25")),
    "indian": (("Chicken tikka masala", "17.95"), ("Saag paneer", "15.50"), ("Garlic naan", "4.50"),
               ("Vegetable samosas (2)", "6.95"), ("Lamb biryani", "19.50"), ("Mango lassi", "5.25")),
    "salads": (("Harvest bowl", "14.25"), ("Chicken Caesar wrap", "12.50"), ("Kale and quinoa salad", "13.75"),
               ("Tomato soup", "6.50"), ("Cold brew", "4.75"), ("Oat cookie", "3.25")),
    "breakfast": (("Bacon egg and cheese", "7.95"), ("Avocado toast", "11.50"), ("Blueberry pancakes", "12.25"),
                  ("Oatmeal with berries", "8.50"), ("Latte", "5.25"), ("Orange juice", "4.95"),
                  ("Croissant", "4.25")),
    "chinese": (("General Tso's chicken", "15.25"), ("Beef lo mein", "14.50"), ("Pork dumplings (6)", "8.95"),
                ("Hot and sour soup", "5.95"), ("Vegetable fried rice", "11.75"), ("Scallion pancake", "6.25")),
    "mediterranean": (("Chicken shawarma plate", "16.50"), ("Falafel wrap", "11.95"), ("Hummus and pita", "7.50"),
                      ("Greek salad", "12.25"), ("Baklava", "5.75"), ("Mint lemonade", "4.50")),
    "korean": (("Bibimbap", "16.25"), ("Korean fried chicken (8)", "18.95"), ("Kimchi fried rice", "14.50"),
               ("Japchae", "13.95"), ("Tteokbokki", "12.75"), ("Barley tea", "3.25")),
}  # fmt: skip

# (id, name, cuisine, opens, closes, base prep minutes, how busy the kitchen gets)
RESTAURANTS: tuple[tuple[str, str, str, float, float, int, float], ...] = (
    ("r_001", "Luigi's Slice House", "pizza", 11.0, 23.5, 18, 1.2),
    ("r_002", "Brooklyn Burger Co.", "burgers", 11.0, 23.0, 14, 1.4),
    ("r_003", "Sakura Sushi Bar", "sushi", 11.5, 22.0, 20, 0.9),
    ("r_004", "Bangkok Street Kitchen", "thai", 11.0, 22.5, 17, 1.1),
    ("r_005", "La Esquina Taqueria", "mexican", 10.5, 23.0, 13, 1.3),
    ("r_006", "Masala House", "indian", 11.5, 22.5, 22, 1.0),
    ("r_007", "Green Fork Salads", "salads", 10.0, 20.0, 12, 0.7),
    ("r_008", "Sunny Side Diner", "breakfast", 7.0, 15.0, 15, 0.9),
    ("r_009", "Golden Dragon", "chinese", 11.0, 23.0, 16, 1.2),
    ("r_010", "Olive & Za'atar", "mediterranean", 11.0, 22.0, 15, 0.8),
    ("r_011", "Seoul Bowl", "korean", 11.5, 22.5, 19, 1.1),
    ("r_012", "Nonna's Pizzeria", "pizza", 11.0, 22.5, 20, 0.9),
    ("r_013", "Smash & Shake", "burgers", 11.0, 23.5, 13, 1.5),
    ("r_014", "Tokyo Roll Express", "sushi", 11.0, 21.5, 16, 0.8),
    ("r_015", "Chiang Mai Noodles", "thai", 11.5, 22.0, 18, 1.0),
    ("r_016", "Taco Loco", "mexican", 11.0, 23.5, 12, 1.6),
    ("r_017", "Curry Leaf", "indian", 12.0, 22.0, 24, 0.8),
    ("r_018", "Morning Glory Cafe", "breakfast", 7.0, 14.5, 13, 1.0),
    ("r_019", "Wok This Way", "chinese", 11.0, 22.5, 15, 1.3),
    ("r_020", "Pita Palace", "mediterranean", 10.5, 22.0, 12, 1.0),
    ("r_021", "Kimchi Kitchen", "korean", 11.5, 22.0, 21, 0.9),
    ("r_022", "The Salad Lab", "salads", 10.0, 21.0, 11, 0.6),
    ("r_023", "Crust Brothers", "pizza", 12.0, 23.5, 19, 1.4),
    ("r_024", "Bagel Bros", "breakfast", 7.0, 15.5, 10, 1.1),
)


@dataclass(frozen=True)
class Tier:
    """A Dashly Plus tier (help center: dashly-plus-tiers)."""

    free_delivery: Decimal  # no delivery fee from this food subtotal
    fee_cap: Decimal  # the service fee never exceeds this
    credit_back: Decimal  # share of the food subtotal returned as Dashly credit on delivery
    free_cancels: int  # free cancellations a month after the restaurant confirms


TIERS = {
    "bronze": Tier(free_delivery=Decimal("15"), fee_cap=Decimal("4"), credit_back=Decimal("0"), free_cancels=0),
    "silver": Tier(free_delivery=Decimal("12"), fee_cap=Decimal("3"), credit_back=Decimal("0.03"), free_cancels=1),
    "gold": Tier(free_delivery=Decimal("10"), fee_cap=Decimal("2"), credit_back=Decimal("0.05"), free_cancels=2),
}
TIER_ORDER = ("bronze", "silver", "gold")
DELIVERY_FEE = Decimal("2.99")
SERVICE_RATE = Decimal("0.12")


def money(value: Decimal | float | str) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def tier_for(orders_last_12_months: int) -> str:
    return "gold" if orders_last_12_months >= 50 else "silver" if orders_last_12_months >= 20 else "bronze"


def local_to_utc(day: date, hour: float) -> datetime:
    """A New York wall-clock time (hours after midnight) as UTC."""
    naive = datetime.combine(day, time()) + timedelta(seconds=round(hour * 3600))
    edt = (naive + timedelta(hours=4)).replace(tzinfo=UTC)
    return edt if edt < DST_END else (naive + timedelta(hours=5)).replace(tzinfo=UTC)


def utc_to_local(when: datetime) -> datetime:
    """UTC as a naive New York wall-clock time."""
    offset = 4 if when < DST_END else 5
    return (when - timedelta(hours=offset)).replace(tzinfo=None)


def minutes(n: float) -> timedelta:
    return timedelta(seconds=round(n * 60))


# --- the world --------------------------------------------------------------------------------------


@dataclass
class Customer:
    id: str
    name: str
    email: str
    phone: str
    created: date
    first_row: datetime
    activity: float
    last12: int
    lifetime: int
    credit: Decimal
    favourites: tuple[str, ...]
    tier_oct: str
    tier_nov: str | None = None
    delivered_in_oct: int = 0
    free_cancels_used: dict[tuple[int, int], int] = field(default_factory=dict[tuple[int, int], int])

    def tier_at(self, when: datetime) -> str:
        if when < TIER_RECALC:
            return self.tier_oct
        if self.tier_nov is None:  # orders are simulated in time order: October is complete by now
            new = tier_for(self.last12 + self.delivered_in_oct)
            # No downgrades during the 2026 changeover (dashly-plus-tiers).
            self.tier_nov = max(self.tier_oct, new, key=TIER_ORDER.index)
        return self.tier_nov


@dataclass
class Courier:
    id: str
    first_name: str
    vehicle: str
    speed: float
    free_at: datetime


@dataclass
class Restaurant:
    id: str
    name: str
    cuisine: str
    opens: float
    closes: float
    base_prep: int
    busyness: float
    ticks: list[tuple[datetime, int, str, bool]] = field(
        default_factory=list[tuple[datetime, int, str, bool]]
    )  # (time, delay, level, open)
    tick_times: list[datetime] = field(default_factory=list[datetime])

    def state_at(self, when: datetime) -> tuple[int, str, bool]:
        i = bisect.bisect_right(self.tick_times, when) - 1
        if i < 0:
            return 0, "quiet", False
        _, delay, level, is_open = self.ticks[i]
        return delay, level, is_open


@dataclass
class Order:
    """One simulated order, with the hidden facts the tables are derived from."""

    id: str
    customer: str
    restaurant: str
    items: list[str]
    prices: list[Decimal]
    subtotal: Decimal
    delivery_fee: Decimal
    service_fee: Decimal
    tax: Decimal
    tip: Decimal
    total: Decimal
    placed: datetime
    promised: datetime
    eta0: int
    outcome: str  # delivered | cancelled_by_customer_early | cancelled_by_customer | cancelled_by_restaurant
    confirmed: datetime | None = None
    preparing: datetime | None = None
    ready: datetime | None = None
    courier: str | None = None
    assigned: datetime | None = None
    picked_up: datetime | None = None
    delivered: datetime | None = None
    cancelled: datetime | None = None
    minutes_late: int | None = None
    distance_km: float = 0.0
    refund_kind: str | None = None  # what the refunds rows describe (claim type, late credit, cancellation)
    claim_item: str | None = None  # the item a customer's claim is about
    refund_rows: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    credit_added: list[tuple[datetime, Decimal]] = field(default_factory=list[tuple[datetime, Decimal]])
    ticks: list[datetime] = field(default_factory=list[datetime])


@dataclass
class World:
    """Everything the generator simulated: the tables, and the hidden facts behind them."""

    seed: int
    customers: dict[str, Customer]
    couriers: dict[str, Courier]
    restaurants: dict[str, Restaurant]
    orders: dict[str, Order]
    tables: dict[str, pa.Table]
