"""A crash must not hide customers' data: real SIGKILLs of a full ``materialize`` at random moments.

A fork server (a helper process that has imported everything once) forks one child per round; the
child runs ``Project.materialize(full=True)`` against real Redis (db 15, a unique key prefix — the
shared server is never flushed) and the test SIGKILLs it after a seeded random delay. After every
kill, every customer's own orders must still be reachable through the scoped read (the owned_by
index), exactly as of the snapshot the store says it serves; when ``status`` flags the view as
interrupted, the next plain ``materialize`` repairs it, and when it does not, nothing is left behind.
The same loop, shorter, runs against the local file store.

``AGENTKIT_CRASH_KILLS`` (default 50), ``AGENTKIT_CRASH_SECONDS`` (default 90) and
``AGENTKIT_CRASH_SEED`` (default: random, printed on failure) tune the Redis loop; it fails when
the time is up before the kills are done.
"""

from __future__ import annotations

import fcntl
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

import pyarrow as pa
import pytest
from click.testing import CliRunner

import agentkit as ak
from agentkit.cli import main
from agentkit.features.online_redis import RedisOnlineStore
from tests.conftest import write_project

DEFINITIONS = textwrap.dedent(
    """
    from agentkit import Entity, Feature, FeatureView, Scope

    order = Entity(name="order", join_key="order_id", description="An order.",
                   scope=Scope.owned_by("order_status", "customer_id"))
    order_status = FeatureView(name="order_status", entity=order, description="Orders.", owner="logistics", features=(
        Feature(name="customer_id", dtype="string", description="Who placed it."),
        Feature(name="courier_id", dtype="string", description="Who delivers it."),
        Feature(name="status", dtype="string", description="Status."),
        Feature(name="eta_minutes", dtype="int", unit="minutes", description="Minutes to arrival."),
    ))
    """
)


CUSTOMERS = 200
ORDERS = 4_000
COURIERS = 2_000  # many index sets: a full materialize takes ~0.3–1 s, so kills land in every phase
KILLS = int(os.environ.get("AGENTKIT_CRASH_KILLS", "50"))
LOCAL_KILLS = 8  # the local store writes one file and renames it: fewer kills cover its few phases
SECONDS = float(os.environ.get("AGENTKIT_CRASH_SECONDS", "90"))

POLICY = """
[policy]
max_rows = 100
default_roles = ["customer"]

[roles.customer]
views = ["order_status"]

[agents.bot]
tools = ["get_features"]
views = ["order_status"]
"""

# Imports everything once, then forks a child per "go": the child materializes (full) and exits.
# The parent prints the child's pid, waits for "reap", then reports how the child ended.
FORK_SERVER = textwrap.dedent(
    """
    import os, sys, time, traceback
    import agentkit as ak
    import agentkit.project, agentkit.features.online_redis, agentkit.features.materialization
    import pyiceberg.catalog.sql, pyiceberg.io.pyarrow, sqlalchemy, duckdb, redis

    config, full = sys.argv[1], sys.argv[2] == "full"
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            break
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                project = ak.Project.load(config)
                project.materialize(full=full)
            except BaseException:
                traceback.print_exc()
                code = 1
            os._exit(code)
        print(f"pid {pid}", flush=True)
        if sys.stdin.readline().strip() != "reap":
            break
        _, status = os.waitpid(pid, 0)
        signalled = os.WIFSIGNALED(status)
        code = os.WTERMSIG(status) if signalled else os.WEXITSTATUS(status)
        print(f"{'signal' if signalled else 'exit'} {code} {time.perf_counter() - started:.4f}", flush=True)
    """
)


class ForkServer:
    """The helper process; each :meth:`start` forks one materializing child."""

    def __init__(self, config: Path, log: Path, *, full: bool = True) -> None:
        self._log = log.open("w")
        self._proc = subprocess.Popen(
            [sys.executable, "-c", FORK_SERVER, str(config), "full" if full else "plain"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert self._readline() == "ready", self.errors()

    def _readline(self) -> str:
        out: IO[str] | None = self._proc.stdout
        assert out is not None
        return out.readline().strip()

    def _send(self, line: str) -> None:
        stdin: IO[str] | None = self._proc.stdin
        assert stdin is not None
        stdin.write(line + "\n")
        stdin.flush()

    def start(self) -> int:
        self._send("go")
        answer = self._readline()
        assert answer.startswith("pid "), (answer, self.errors())
        return int(answer.split()[1])

    def reap(self) -> tuple[bool, int, float]:
        """(killed by a signal, exit code or signal, seconds the child lived)."""
        self._send("reap")
        kind, code, seconds = self._readline().split()
        return kind == "signal", int(code), float(seconds)

    def errors(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text()[-2000:]

    def close(self) -> None:
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None:
                pipe.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._log.close()


def _redis15(url: str) -> str:
    base, _, db = url.rpartition("/")
    return f"{base}/15" if db.isdigit() and "://" in base else url.rstrip("/") + "/15"


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.redis), "local"])
def crash_project(request: pytest.FixtureRequest, tmp_path: Path, unique: str) -> Iterator[ak.Project]:
    online = _redis15(request.getfixturevalue("redis_url")) if request.param == "redis" else None
    config = write_project(tmp_path / "p", definitions=DEFINITIONS, online=online, key_prefix=unique)
    config.write_text(config.read_text() + POLICY)
    project = ak.Project.load(config)
    project.apply()
    yield project
    store = project.online
    project.close()
    if isinstance(store, RedisOnlineStore):
        store.delete_all()
        store.close()


def _orders(owner: dict[str, str], when: str = "2026-11-01T10:00:00Z") -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "order_id": order,
                "event_time": when,
                "customer_id": customer,
                "courier_id": f"k_{int(order[2:]) % COURIERS:05d}",
                "status": "placed",
                "eta_minutes": i % 60,
            }
            for i, (order, customer) in enumerate(sorted(owner.items()))
        ]
    )


def _reach(project: ak.Project, customers: list[str]) -> dict[str, set[str]]:
    """Per customer, the orders the scoped read returns (owned_by index, then re-checked rows)."""

    def own(customer: str) -> set[str]:
        rows = project.get_features(ak.Principal(agent="bot", subject=customer), ["order_status.status"])
        return {r.key for r in rows.rows}

    with ThreadPoolExecutor(max_workers=4) as pool:  # the reads wait on Redis: overlap them
        return dict(zip(customers, pool.map(own, customers), strict=True))


def _by_customer(owner: dict[str, str], customers: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {c: set() for c in customers}
    for order, customer in owner.items():
        out[customer].add(order)
    return out


def _leftovers(project: ak.Project) -> list[str]:
    """What a killed materialize left that no reader uses: Redis keys of no live generation, or
    the local store's half-written files."""
    store = project.online
    if isinstance(store, RedisOnlineStore):
        return store.stray_keys("order_status")
    return sorted(p.name for p in project.config.online_path.glob(".*.tmp"))


@pytest.mark.slow
def test_killed_full_materialize_never_hides_a_customers_orders(crash_project: ak.Project, tmp_path: Path) -> None:
    seed = int(os.environ.get("AGENTKIT_CRASH_SEED", str(random.SystemRandom().randrange(2**32))))
    rng = random.Random(seed)
    project = crash_project
    kills_wanted = KILLS if isinstance(project.online, RedisOnlineStore) else LOCAL_KILLS
    customers = [f"c_{i:04d}" for i in range(CUSTOMERS)]
    owner = {f"o_{i:06d}": customers[i % CUSTOMERS] for i in range(ORDERS)}
    snapshot = project.ingest("order_status", _orders(owner)).snapshot_id
    expected = {snapshot: _by_customer(owner, customers)}  # what each snapshot owes each customer
    project.materialize()
    server = ForkServer(project.root / "agentkit.toml", tmp_path / "fork-server.log")
    kills = flagged = repaired = rounds = 0
    where = f"seed={seed} (rerun with AGENTKIT_CRASH_SEED={seed})"
    try:
        server.start()  # a calibration round, not killed: how long a full materialize takes here
        killed, code, duration = server.reap()
        assert not killed and code == 0, f"an unkilled materialize failed: {server.errors()}"
        deadline = time.monotonic() + SECONDS
        while kills < kills_wanted:
            assert time.monotonic() < deadline, f"only {kills} of {kills_wanted} kills within {SECONDS:.0f}s; {where}"
            rounds += 1
            if rounds % 10 == 0:  # move some orders to other customers: generations must not mix
                moved = {o: rng.choice(customers) for o in rng.sample(sorted(owner), 50)}
                owner.update(moved)
                snapshot = project.ingest("order_status", _orders(moved, "2026-11-01T11:00:00Z")).snapshot_id
                expected[snapshot] = _by_customer(owner, customers)
            pid = server.start()
            time.sleep(rng.uniform(0, duration))  # any phase: loading, scanning, staging, swapping, cleaning up
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:  # pragma: no cover - the helper has not reaped it yet
                pass
            killed, code, duration_now = server.reap()
            assert killed or code == 0, f"materialize failed on its own: {server.errors()}; {where}"
            if killed:
                kills += 1
            else:
                duration = (duration + duration_now) / 2  # follow how long a whole run takes now
            state = project.online.state("order_status")
            assert state is not None and state.snapshot_id in expected, (state, where)
            reach = _reach(project, customers)
            missing = [c for c in customers if reach[c] != expected[state.snapshot_id][c]]
            assert not missing, (
                f"after kill {kills} ({'killed' if killed else 'finished'}), {len(missing)} of {CUSTOMERS} customers "
                f"do not see exactly their own orders (e.g. {missing[0]}); {where}"
            )
            if state.interrupted_at is None:
                assert _leftovers(project) == [], f"keys left behind by an unflagged materialize; {where}"
            else:
                flagged += 1
                if flagged % 5 == 1:  # status flags it, and the next plain materialize repairs it
                    status = {s.view: s for s in project.status()}["order_status"]
                    assert status.interrupted_at == state.interrupted_at, (status, where)
                    result = project.materialize(["order_status"])[0]
                    assert result.mode == "full" and result.repaired, (result, where)
                    after = {s.view: s for s in project.status()}["order_status"]
                    assert after.interrupted_at is None and not after.behind, (after, where)
                    assert _leftovers(project) == [], where
                    repaired += 1
    finally:
        server.close()
    final = project.materialize()[0]
    assert final.snapshot_id == snapshot, where
    assert _reach(project, customers) == expected[snapshot], where
    status = {s.view: s for s in project.status()}["order_status"]
    assert status.interrupted_at is None and not status.behind and status.online_keys == ORDERS, where
    assert _leftovers(project) == [], where
    if isinstance(project.online, RedisOnlineStore):  # the local store's window (writing one file) is short
        assert flagged >= 1 and repaired >= 1, f"no kill left an interrupted materialize behind; {where}"
    print(f"{kills} kills in {rounds} rounds, {flagged} flagged, {repaired} repaired; {where}")


def test_a_half_written_local_file_is_flagged_by_status_and_removed_by_the_next_materialize(
    tmp_path: Path,
) -> None:
    """What a local writer killed mid-write leaves: its temporary file beside an intact view file."""
    config = write_project(tmp_path / "p", definitions=DEFINITIONS)
    config.write_text(config.read_text() + POLICY)
    project = ak.Project.load(config)
    project.apply()
    owner = {f"o_{i:06d}": f"c_{i % 3:04d}" for i in range(30)}
    project.ingest("order_status", _orders(owner))
    project.materialize()
    online = project.config.online_path
    whole = (online / "order_status.arrow").read_bytes()
    (online / ".order_status.arrow.4242.tmp").write_bytes(whole[: len(whole) // 2])
    lock = (online / ".order_status.lock").open("a+b")
    fcntl.flock(lock, fcntl.LOCK_EX)  # while a writer holds the lock, its file is work in progress
    assert {s.view: s for s in project.status()}["order_status"].interrupted_at is None
    fcntl.flock(lock, fcntl.LOCK_UN)
    lock.close()

    status = {s.view: s for s in project.status()}["order_status"]
    assert status.interrupted_at is not None and status.online_keys == 30
    out = CliRunner().invoke(main, ["--config", str(config), "status"])
    assert out.exit_code == 0 and "materialize interrupted" in out.output and "`agentkit materialize`" in out.output
    reach = _reach(project, ["c_0000", "c_0001", "c_0002"])
    assert reach == _by_customer(owner, ["c_0000", "c_0001", "c_0002"])  # the view file itself is whole

    out = CliRunner().invoke(main, ["--config", str(config), "materialize"])
    assert out.exit_code == 0 and "order_status: full" in out.output and "repaired" in out.output
    assert _leftovers(project) == []
    status = {s.view: s for s in project.status()}["order_status"]
    assert status.interrupted_at is None and not status.behind
    assert project.materialize(["order_status"])[0].mode == "up-to-date"
    project.close()
