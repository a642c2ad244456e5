"""Synthetic user-feature table shared by agentkit and its peers (Feast) in benchmarks.

One row per user, 10 features, seed 42; ``user_id`` is a string (``u_000000`` ...), floats are
float64 and ``f_is_premium`` is bool.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

EVENT_TIME = datetime(2026, 10, 1, tzinfo=UTC)
FEATURES: list[str] = [
    "f_orders_30d",
    "f_spend_30d",
    "f_avg_basket",
    "f_days_since_login",
    "f_tickets_open",
    "f_csat",
    "f_tenure_days",
    "f_is_premium",
    "f_churn_score",
    "f_plan_tier",
]
PLAN_TIERS = ["free", "pro", "team", "enterprise"]


def user_ids(n: int) -> list[str]:
    """The ids ``make_user_features(n)`` produces, in row order."""
    return [f"u_{i:06d}" for i in range(n)]


def make_user_features(n: int, seed: int = 42) -> pa.Table:
    """Deterministic table: user_id, event_timestamp, created (UTC) and the 10 FEATURES."""
    rng = np.random.default_rng(seed)
    ts = pa.array(
        np.full(n, int(EVENT_TIME.timestamp() * 1_000_000), dtype=np.int64),
        type=pa.timestamp("us", tz="UTC"),
    )
    cols: dict[str, pa.Array] = {
        "user_id": pa.array(user_ids(n), type=pa.string()),
        "event_timestamp": ts,
        "created": ts,
        "f_orders_30d": pa.array(rng.integers(0, 100, n, dtype=np.int64)),
        "f_spend_30d": pa.array(rng.random(n) * 1000.0),
        "f_avg_basket": pa.array(rng.random(n) * 100.0),
        "f_days_since_login": pa.array(rng.integers(0, 365, n, dtype=np.int64)),
        "f_tickets_open": pa.array(rng.integers(0, 5, n, dtype=np.int64)),
        "f_csat": pa.array(rng.random(n) * 5.0),
        "f_tenure_days": pa.array(rng.integers(0, 4000, n, dtype=np.int64)),
        "f_is_premium": pa.array(rng.integers(0, 2, n) == 1, type=pa.bool_()),
        "f_churn_score": pa.array(rng.random(n)),
        "f_plan_tier": pa.array(
            np.asarray(PLAN_TIERS)[rng.integers(0, len(PLAN_TIERS), n)].tolist(),
            type=pa.string(),
        ),
    }
    return pa.table(cols)


def write_parquet(table: pa.Table, path: str | Path) -> Path:
    """Write ``table`` as one parquet file (parent folders created); returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, p)
    return p
