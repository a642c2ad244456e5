"""The Dashly example (agentkit.examples.support_bot): generator, build, policy, scoped reads, transcripts.

The example is built once per module into a temporary folder (generate -> apply -> ingest ->
materialize, a few seconds) and read back through the same public API an application uses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

import agentkit as ak
from agentkit.examples.support_bot import build, make_transcripts
from agentkit.examples.support_bot import generate as gen

EXAMPLE = build.EXAMPLE
VIEWS = ("customer_profile", "order_status", "courier_location", "restaurant_status", "refunds")
REQUIRED_TAGS = {
    "where-is-my-order",
    "late-delivery",
    "missing-item",
    "refund",
    "cancellation",
    "policy-only",
    "other-customer",
    "injection",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build.build_example(tmp_path_factory.mktemp("support_bot"))


@pytest.fixture(scope="module")
def project(built: Path) -> Iterator[ak.Project]:
    with ak.Project.load(built) as p:
        yield p


@pytest.fixture(scope="module")
def tables(built: Path) -> dict[str, pa.Table]:
    return {view: ds.dataset(built.parent / "data" / f"{view}.parquet", format="parquet").to_table() for view in VIEWS}


@pytest.fixture(scope="module")
def transcripts() -> list[dict[str, Any]]:
    lines = (EXAMPLE / "transcripts.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _column(table: pa.Table, column: str) -> list[Any]:
    return table[column].to_pylist()


def _keys(table: pa.Table, column: str) -> set[str]:
    unique: list[Any] = pc.unique(table[column]).to_pylist()
    return set(unique)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def _first_fact(transcript: dict[str, Any], ref: str) -> dict[str, Any]:
    for turn in transcript["turns"]:
        for fact in turn.get("expected", {}).get("facts", []):
            if fact["feature"] == ref:
                return fact
    raise AssertionError(f"{transcript['id']} has no fact {ref}")


# --- generator and data --------------------------------------------------------------------------------


def test_generator_is_deterministic(tables: dict[str, pa.Table]) -> None:
    again = gen.generate(gen.SEED)  # a second run, compared with what the build wrote
    assert set(again) == set(VIEWS)
    for view in VIEWS:
        assert again[view].equals(tables[view].cast(again[view].schema)), view
    other = gen.generate(7)
    assert not other["order_status"].equals(again["order_status"])


def test_data_volumes_and_times(built: Path, tables: dict[str, pa.Table]) -> None:
    customers = _keys(tables["customer_profile"], "customer_id")
    assert customers == {f"c_{i:04d}" for i in range(1, 201)}
    orders = _keys(tables["order_status"], "order_id")
    assert 1_400 <= len(orders) <= 1_600
    assert orders == {f"o_{10001 + i}" for i in range(len(orders))}
    assert len(_keys(tables["refunds"], "order_id")) == len(orders)
    assert 20 <= len(_keys(tables["restaurant_status"], "restaurant_id")) <= 30
    statuses = set(pc.unique(tables["order_status"]["status"]).to_pylist())
    assert statuses == {"placed", "confirmed", "preparing", "picked_up", "delivered", "cancelled"}
    refund_states = set(pc.unique(tables["refunds"]["refund_status"]).to_pylist())
    assert refund_states == {"none", "requested", "approved", "paid", "rejected"}
    placed = tables["order_status"]["placed_at"]
    assert pc.min(placed).as_py() >= datetime(2026, 10, 5, 4, tzinfo=UTC)
    assert pc.max(placed).as_py() < datetime(2026, 11, 30, 5, tzinfo=UTC)
    for view, table in tables.items():
        lag = pc.subtract(table["_available_at"], table["event_time"]).cast(pa.int64())  # microseconds
        assert pc.min(lag).as_py() >= 1_000_000 and pc.max(lag).as_py() <= 10_000_000, view
        assert pc.max(table["event_time"]).as_py() < gen.DATA_END, view
    size = sum(p.stat().st_size for p in (built.parent / "data").glob("*.parquet"))
    assert size < 5_000_000


def test_build_ingested_and_materialized_everything(project: ak.Project, tables: dict[str, pa.Table]) -> None:
    status = {s.view: s for s in project.status()}
    for view in VIEWS:
        assert status[view].rows == tables[view].num_rows, view
        assert not status[view].behind, view
    assert status["customer_profile"].online_keys == 200
    assert status["order_status"].online_keys == len(_keys(tables["order_status"], "order_id"))


# --- policy ---------------------------------------------------------------------------------------------------


def test_policy_check_is_clean(project: ak.Project) -> None:
    assert project.check_policy() == []


def test_agents_and_pii(project: ak.Project, transcripts: list[dict[str, Any]]) -> None:
    customer = transcripts[0]["customer_id"]
    bot = ak.Principal(agent="support_bot", subject=customer)
    row = project.get_features(bot, ["customer_profile.name", "customer_profile.email", "customer_profile.phone"])
    values = row.rows[0].values
    assert values["customer_profile.name"].count(" ") == 1  # granted in clear
    assert re.fullmatch(r"[a-z]\*\*\*@example\.com", values["customer_profile.email"])
    assert re.fullmatch(r"\+\*+\d{2}", values["customer_profile.phone"])  # only the last two digits show
    with pytest.raises(ak.PolicyError):
        project.get_features(ak.Principal(agent="faq_bot", subject=customer), ["order_status.status"])


# --- scoped reads and time ---------------------------------------------------------------------------------


def test_scoped_read_own_orders_only(
    project: ak.Project, transcripts: list[dict[str, Any]], tables: dict[str, pa.Table]
) -> None:
    t = next(t for t in transcripts if t["id"] == "where-is-my-order-01")
    customer, when = t["customer_id"], t["started_at"]
    order = _first_fact(t, "order_status.status")["entity_key"]
    me = ak.Principal(agent="support_bot", subject=customer)

    mine = project.get_features(me, ["order_status.customer_id", "order_status.status"], as_of=when)
    assert mine.rows, "the customer has orders at the transcript's time"
    assert all(r.values["order_status.customer_id"] == customer for r in mine.rows)
    assert mine.rows[0].key == order  # newest first: the order on its way
    assert mine.rows[0].values["order_status.status"] == "picked_up"
    live = project.get_features(me, ["order_status.customer_id"])
    assert {r.values["order_status.customer_id"] for r in live.rows} == {customer}

    owners = dict(
        zip(
            _column(tables["order_status"], "order_id"),
            _column(tables["order_status"], "customer_id"),
            strict=True,
        )
    )
    theirs = next(o for o, c in sorted(owners.items()) if c != customer)
    with pytest.raises(ak.NotFoundError) as other:
        project.get_features(me, ["order_status.status"], entity_key=theirs, as_of=when)
    with pytest.raises(ak.NotFoundError) as missing:
        project.get_features(me, ["order_status.status"], entity_key="o_99999", as_of=when)
    assert str(other.value).replace(theirs, "K") == str(missing.value).replace("o_99999", "K")
    with pytest.raises(ak.NotFoundError):
        project.get_features(me, ["order_status.status"], entity_key=theirs)


def test_courier_reachable_only_while_carrying_the_order(
    project: ak.Project, transcripts: list[dict[str, Any]]
) -> None:
    t = next(t for t in transcripts if t["id"] == "where-is-my-order-01")
    courier = _first_fact(t, "courier_location.first_name")["entity_key"]
    order = _first_fact(t, "order_status.status")["entity_key"]
    me = ak.Principal(agent="support_bot", subject=t["customer_id"])
    rows = project.get_features(me, ["courier_location.minutes_away"], entity_key=courier, as_of=t["started_at"])
    assert rows.rows[0].values["courier_location.minutes_away"] >= 1
    delivered = project.read_features_unscoped(["order_status.delivered_at"], [order]).rows[0].values
    after = delivered["order_status.delivered_at"] + timedelta(minutes=5)
    with pytest.raises(ak.NotFoundError):
        project.get_features(me, ["courier_location.minutes_away"], entity_key=courier, as_of=after)


def test_point_in_time_replays_an_orders_history(project: ak.Project, transcripts: list[dict[str, Any]]) -> None:
    t = next(t for t in transcripts if t["id"] == "where-is-my-order-01")
    order = _first_fact(t, "order_status.status")["entity_key"]
    refs = ["order_status.status", "order_status.placed_at", "order_status.delivered_at", "order_status.eta_minutes"]
    now = project.read_features_unscoped(refs, [order]).rows[0].values
    assert now["order_status.status"] == "delivered"
    just_placed = now["order_status.placed_at"] + timedelta(seconds=30)
    then = project.read_features_unscoped(refs, [order], as_of=just_placed).rows[0]
    assert then.values["order_status.status"] == "placed"
    assert then.values["order_status.delivered_at"] is None
    at_turn = project.read_features_unscoped(refs, [order], as_of=t["started_at"]).rows[0].values
    assert at_turn["order_status.status"] == "picked_up"
    assert 0 < at_turn["order_status.eta_minutes"] < then.values["order_status.eta_minutes"]
    # At the very moment it was placed the platform did not know yet (available a few seconds later).
    unknown = project.read_features_unscoped(refs, [order], as_of=now["order_status.placed_at"])
    assert unknown.rows == () and unknown.missing == (order,)


# --- transcripts ------------------------------------------------------------------------------------------------


def _frontmatter(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    head = text.split("---", 2)[1]
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in head.splitlines()) if k.strip()}


def test_transcripts_are_well_formed_and_grounded(
    project: ak.Project, transcripts: list[dict[str, Any]], tables: dict[str, pa.Table]
) -> None:
    assert len(transcripts) >= 60
    assert len({t["id"] for t in transcripts}) == len(transcripts)
    docs = {p.stem: _frontmatter(p) for p in (EXAMPLE / "help_center").glob("*.md")}
    known = {
        "customer": _keys(tables["customer_profile"], "customer_id"),
        "order": _keys(tables["order_status"], "order_id"),
        "courier": _keys(tables["courier_location"], "courier_id"),
        "restaurant": _keys(tables["restaurant_status"], "restaurant_id"),
    }
    profile_start: dict[str, datetime] = {}
    for key, when in zip(
        _column(tables["customer_profile"], "customer_id"),
        _column(tables["customer_profile"], "event_time"),
        strict=True,
    ):
        profile_start[key] = min(when, profile_start.get(key, when))
    definitions = project.definitions
    tags: set[str] = set()
    for t in transcripts:
        where = t["id"]
        assert set(t) == {"id", "customer_id", "started_at", "channel", "tags", "turns"}, where
        assert t["customer_id"] in known["customer"], where
        started = _time(t["started_at"])
        assert started.tzinfo is not None, where
        assert gen.DATA_START <= started < gen.DATA_END, where
        assert profile_start[t["customer_id"]] <= started, f"{where}: account did not exist yet"
        assert t["channel"] in ("chat", "email"), where
        assert t["tags"] and all(isinstance(x, str) for x in t["tags"]), where
        tags |= set(t["tags"])
        assert t["turns"][0]["role"] == "customer", where
        previous = started
        scored = 0
        for turn in t["turns"]:
            assert turn["role"] in ("customer", "agent") and turn["text"].strip(), where
            at = _time(turn.get("at", t["started_at"]))
            assert previous <= at < gen.DATA_END, where
            previous = at
            for oid in re.findall(r"\bo_\d{5}\b", turn["text"]):
                assert oid in known["order"], f"{where}: unknown order {oid}"
            exp = turn.get("expected")
            if exp is None:
                continue
            assert turn["role"] == "customer", where
            scored += 1
            assert set(exp) == {"facts", "documents", "must_not_contain", "should_refuse", "reference_answer"}, where
            assert isinstance(exp["should_refuse"], bool) and exp["reference_answer"].strip(), where
            for fact in exp["facts"]:
                view = definitions.view(fact["feature"].split(".", 1)[0])
                definitions.resolve([fact["feature"]])
                assert fact["entity_key"] in known[view.entity.name], f"{where}: {fact}"
                assert "value" in fact, where
            for doc in exp["documents"]:
                assert doc in docs, f"{where}: unknown document {doc}"
                assert _time(docs[doc]["valid_from"]) <= at, f"{where}: {doc} not valid yet"
                assert "valid_to" not in docs[doc] or at < _time(docs[doc]["valid_to"]), f"{where}: {doc} expired"
            if exp["should_refuse"]:
                assert exp["must_not_contain"], f"{where}: a refusal case must say what must not leak"
                assert not any(f["feature"].startswith("order_status.") for f in exp["facts"]), where
        assert scored, f"{where}: no customer turn is scored"
        if {"other-customer"} & set(t["tags"]):
            assert any(turn.get("expected", {}).get("should_refuse") for turn in t["turns"]), where
    assert tags >= REQUIRED_TAGS


def test_transcript_facts_match_the_platform_as_of_each_turn(
    project: ak.Project, transcripts: list[dict[str, Any]]
) -> None:
    """Facts, read as the transcript's customer through the scoped path as of their turn, have the
    recorded values: the situation is true in the data, and in the customer's scope, at that moment.

    Two transcripts per scenario keep this quick (each point-in-time read scans Iceberg); every fact
    is derived with the same point-in-time rule by make_transcripts.py, whose output is pinned by
    test_transcripts_file_is_reproducible."""
    seen: dict[str, int] = {}
    checked = 0
    for t in transcripts:
        scenario = t["id"].rsplit("-", 1)[0]
        seen[scenario] = seen.get(scenario, 0) + 1
        if seen[scenario] > 2:
            continue
        me = ak.Principal(agent="support_bot", subject=t["customer_id"])
        for turn in t["turns"]:
            groups: dict[tuple[str, str], dict[str, Any]] = {}
            for fact in turn.get("expected", {}).get("facts", []):
                view = fact["feature"].split(".", 1)[0]
                groups.setdefault((view, fact["entity_key"]), {})[fact["feature"]] = fact["value"]
            for (_, key), want in groups.items():
                rows = project.get_features(me, list(want), entity_key=key, as_of=turn["at"])
                got = {ref: _encode(v) for ref, v in rows.rows[0].values.items()}
                assert got == want, f"{t['id']} at {turn['at']}"
                checked += len(want)
    assert len(seen) >= 12 and checked >= 40


def test_transcripts_file_is_reproducible() -> None:
    lines = [json.loads(line) for line in (EXAMPLE / "transcripts.jsonl").read_text(encoding="utf-8").splitlines()]
    assert make_transcripts.make_transcripts() == lines
