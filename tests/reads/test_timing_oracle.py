"""A denial must not say, by its timing, whether the record exists: reading another customer's
existing order and reading an order that does not exist take the same time.

Measured in process, on interleaved pairs (the order within each pair is random), after a warm-up.
The distance between the two latency samples is their AUC (Mann-Whitney: the chance that a call of
one kind takes longer than a call of the other), folded to ``|AUC - 0.5| + 0.5``. A positive
control runs in the same loop: the same call with about 20 µs of added work must be told apart
(AUC >= 0.8), or the measurement is too noisy to mean anything and the test fails as inconclusive.

How: the keyed read decides from the principal's candidate keys (an index that depends on the
principal only) and looks up no row of the key asked for; an owned key is then re-checked on the
very row it serves — the owner column is read with the data and dropped again when not asked for.
"""

from __future__ import annotations

import gc
import random
import textwrap
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

import agentkit as ak
from tests.conftest import write_project
from tests.governance.conftest import World, build_world, make_governed, user

PAIRS = 3_000
WARM_UP = 300
ADDED_NS = 20_000
REFS = ["order_status.status", "order_status.eta_minutes"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ak.Project, World]]:
    project = make_governed(tmp_path_factory.mktemp("timing"))
    world = build_world(project, customers=30)
    yield project, world
    project.close()


def auc(xs: Sequence[int], ys: Sequence[int]) -> float:
    """P(x > y) + P(x == y) / 2 over all pairs of the two samples (Mann-Whitney U / (n m))."""
    labelled = sorted([(v, 0) for v in xs] + [(v, 1) for v in ys])
    rank_sum_x = 0.0
    i = 0
    while i < len(labelled):
        j = i
        while j < len(labelled) and labelled[j][0] == labelled[i][0]:
            j += 1
        mean_rank = (i + 1 + j) / 2  # ranks i+1 .. j share their mean (ties)
        rank_sum_x += mean_rank * sum(1 for _, side in labelled[i:j] if side == 0)
        i = j
    n, m = len(xs), len(ys)
    return (rank_sum_x - n * (n + 1) / 2) / (n * m)


def separation(xs: Sequence[int], ys: Sequence[int]) -> float:
    return abs(auc(xs, ys) - 0.5) + 0.5


def busy_wait(ns: int) -> None:
    end = time.perf_counter_ns() + ns
    while time.perf_counter_ns() < end:
        pass


def measure(calls: Sequence[Callable[[], object]], pairs: int, seed: int) -> list[list[int]]:
    """Time each call ``pairs`` times, interleaved in a random order per round, after a warm-up."""
    rng = random.Random(seed)
    clock = time.perf_counter_ns
    samples: list[list[int]] = [[] for _ in calls]
    order = list(range(len(calls)))
    gc.collect()
    gc.disable()
    try:
        for round_ in range(WARM_UP + pairs):
            rng.shuffle(order)
            for index in order:
                started = clock()
                calls[index]()
                elapsed = clock() - started
                if round_ >= WARM_UP:
                    samples[index].append(elapsed)
    finally:
        gc.enable()
    return samples


def test_the_auc_is_half_for_one_sample_and_one_for_two_that_never_overlap() -> None:
    assert auc([1, 2, 3], [1, 2, 3]) == 0.5
    assert auc([10, 11], [1, 2]) == 1.0
    assert separation([1, 2], [10, 11]) == 1.0


def test_a_denied_foreign_order_and_a_missing_order_take_the_same_time(world: tuple[ak.Project, World]) -> None:
    project, w = world
    me = w.customers[0]
    principal = user(me)
    foreign = next(o for o, c in w.orders.items() if c != me)
    missing = f"o_{1000 + len(w.orders) + 500}"  # the shape of a real order id, never issued
    assert missing not in w.orders and len(missing) == len(foreign)
    mine = sorted(w.orders_of(me))[0]
    assert project.get_features(principal, REFS, entity_key=mine).rows  # positive control: my own order reads

    def deny(key: str) -> Callable[[], object]:
        def call() -> object:
            try:
                project.get_features(principal, REFS, entity_key=key)
            except ak.NotFoundError as exc:
                return exc.code
            raise AssertionError(f"{key} was served to {me}")

        return call

    def slower(call: Callable[[], object]) -> Callable[[], object]:
        def slow() -> object:
            busy_wait(ADDED_NS)
            return call()

        return slow

    existing_foreign, nonexistent = deny(foreign), deny(missing)
    control_slow, control = slower(deny(missing)), deny(missing)
    samples = measure([existing_foreign, nonexistent, control_slow, control], PAIRS, seed=11)
    control_auc = separation(samples[2], samples[3])
    oracle_auc = separation(samples[0], samples[1])
    medians = [sorted(s)[len(s) // 2] / 1000 for s in samples]
    detail = (
        f"AUC foreign vs missing {oracle_auc:.3f} (median {medians[0]:.1f} vs {medians[1]:.1f} µs); "
        f"control +{ADDED_NS // 1000} µs {control_auc:.3f}"
    )
    print(detail)  # shown with -rP: the margins of a passing run
    if control_auc < 0.8:
        pytest.fail(f"inconclusive: the positive control was not told apart ({detail})")
    assert oracle_auc <= 0.6, detail


TWO_VIEWS = textwrap.dedent(
    """
    from agentkit import Entity, Feature, FeatureView, Scope

    order = Entity(name="order", join_key="order_id", description="An order.",
                   scope=Scope.owned_by("order_status", "customer_id"))
    order_status = FeatureView(name="order_status", entity=order, description="Orders.", features=(
        Feature(name="customer_id", dtype="string", description="Who placed it."),
        Feature(name="status", dtype="string", description="Status."),
    ))
    order_notes = FeatureView(name="order_notes", entity=order, description="Notes.", features=(
        Feature(name="note", dtype="string", description="A note on the order."),
    ))
    """
)
T1, T2 = "2026-11-01T10:00:00Z", "2026-11-01T12:00:00Z"
BETWEEN = datetime(2026, 11, 1, 11, tzinfo=UTC)
POLICY = textwrap.dedent(
    """
    [policy]
    default_roles = ["customer"]

    [roles.customer]
    views = ["order_status", "order_notes"]

    [agents.support_bot]
    tools = ["get_features"]
    views = ["order_status", "order_notes"]
    """
)


def test_the_owner_is_rechecked_on_the_row_served_and_never_served_unasked(tmp_path: Path) -> None:
    config = write_project(tmp_path / "two", definitions=TWO_VIEWS)
    config.write_text(config.read_text() + "\n" + POLICY)
    project = ak.Project.load(config)
    project.apply()
    status = [
        {"order_id": "o_1", "event_time": T1, "customer_id": "c_a", "status": "placed", "_available_at": T1},
        {"order_id": "o_1", "event_time": T2, "customer_id": "c_b", "status": "moved", "_available_at": T2},
        {"order_id": "o_2", "event_time": T1, "customer_id": "c_a", "status": "placed", "_available_at": T1},
    ]
    notes = [{"order_id": k, "event_time": T1, "note": f"note {k}", "_available_at": T1} for k in ("o_1", "o_2", "o_3")]
    project.ingest("order_status", pa.Table.from_pylist(status))
    project.ingest("order_notes", pa.Table.from_pylist(notes))
    project.materialize()
    try:
        for who, when, key in (("c_a", BETWEEN, "o_1"), ("c_b", None, "o_1"), ("c_a", None, "o_2")):
            rows = project.get_features(user(who), ["order_notes.note"], entity_key=key, as_of=when).rows
            # The owner column was read for the check only: neither its value nor its view is served.
            assert [r.values for r in rows] == [{"order_notes.note": f"note {key}"}]
            assert [p.view for p in rows[0].provenance] == ["order_notes"]
            both = project.get_features(user(who), ["order_status.status"], entity_key=key, as_of=when).rows
            assert list(both[0].values) == ["order_status.status"]
        # c_b's candidates as of BETWEEN include o_1 (it was c_b's later in the same snapshot); the row
        # read as of BETWEEN names c_a, so it is refused — like an order with notes and no owner at all.
        messages: list[str] = []
        for who, when, key in (
            ("c_b", BETWEEN, "o_1"),
            ("c_a", None, "o_1"),
            ("c_a", None, "o_3"),
            ("c_a", None, "o_9"),
        ):
            with pytest.raises(ak.NotFoundError) as info:
                project.get_features(user(who), ["order_notes.note"], entity_key=key, as_of=when)
            assert info.value.code == "record_not_found"
            messages.append(info.value.message.replace(key, "K"))
        assert len(set(messages)) == 1
    finally:
        project.close()
