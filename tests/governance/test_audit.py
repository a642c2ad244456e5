"""Every read is on record: allowed and denied, scoped and platform; queryable; durable."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import agentkit as ak
from tests.governance.conftest import World, build_world, make_governed, user


def test_audit_records_equal_read_calls_including_denials(tmp_path: Path) -> None:
    project = make_governed(tmp_path / "p")
    world = build_world(project, customers=20)
    project.commit_audit()
    start = project.query_audit("SELECT count(*) AS n FROM audit").column("n")[0].as_py()
    calls = denied = 0
    for i in range(3_000):
        customer = world.customers[i % len(world.customers)]
        calls += 1
        if i % 3 == 0:
            with pytest.raises(ak.AgentkitError):
                project.get_features(user(customer), ["order_status.status"], entity_key="o_nope")
            denied += 1
        elif i % 3 == 1:
            project.get_features(user(customer), ["order_status.status"])
        else:
            project.read_features_unscoped(["order_status.status"], [sorted(world.orders)[0]])
    counts = project.query_audit(
        "SELECT decision, principal_kind, count(*) AS n FROM audit GROUP BY 1, 2 ORDER BY 1, 2"
    ).to_pylist()
    total = sum(r["n"] for r in counts) - start
    assert total == calls
    assert {(r["decision"], r["principal_kind"]): r["n"] for r in counts}[("deny", "end_user")] == denied
    reasons = (
        project.query_audit("SELECT DISTINCT reason FROM audit WHERE decision = 'deny'").column("reason").to_pylist()
    )
    assert reasons == ["out_of_scope"]  # a missing key is simply not among the user's keys
    project.close()


def test_records_say_who_what_which_keys_and_when(governed: tuple[ak.Project, World]) -> None:
    project, world = governed
    me = world.customers[5]
    order = sorted(world.orders_of(me))[0]
    rows = project.get_features(user(me), ["order_status.eta_minutes"], entity_key=order, surface="test")
    record = project.query_audit(
        f"SELECT * FROM audit WHERE subject = '{me}' AND surface = 'test' ORDER BY time DESC LIMIT 1"
    ).to_pylist()[0]
    assert record["agent"] == "support_bot" and record["decision"] == "allow"
    assert record["features"] == ["order_status.eta_minutes"] and record["keys_served"] == [order]
    assert record["snapshots"] == [rows.rows[0].provenance[0].snapshot_id]
    assert record["latency_us"] >= 0 and record["request_id"]


def test_commit_moves_spool_into_iceberg_without_loss_or_duplicates(tmp_path: Path) -> None:
    project = make_governed(tmp_path / "p")
    world = build_world(project, customers=4)
    for c in world.customers * 50:
        project.get_features(user(c), ["customer_profile.tier"])
    before = project.query_audit("SELECT count(*) AS n FROM audit").column("n")[0].as_py()
    committed = project.commit_audit()
    assert committed >= 200
    assert project.audit.spool_files() == []
    assert project.commit_audit() == 0
    after = project.query_audit("SELECT count(*) AS n FROM audit").column("n")[0].as_py()
    assert after == before
    project.close()


CRASHER = textwrap.dedent(
    """
    import os, sys
    import agentkit as ak
    project = ak.Project.load(sys.argv[1])
    from agentkit.governance.audit import AuditLog
    project._audit = AuditLog(project.config.state_dir / "audit", flush_every=100, flush_seconds=60)
    for _ in range(int(sys.argv[2])):
        project.get_features(ak.Principal(agent="support_bot", subject="c_0001"), ["customer_profile.tier"])
    if sys.argv[3] == "crash":
        os._exit(0)   # no cleanup: what is still buffered is lost
    """
)


@pytest.mark.parametrize("ending", ["normal", "crash"])
def test_what_a_crash_can_lose_is_bounded_and_a_normal_exit_loses_nothing(tmp_path: Path, ending: str) -> None:
    pass

    project = make_governed(tmp_path / "p")
    build_world(project, customers=2)
    project.close()
    project.commit_audit()
    config = str(project.root / "agentkit.toml")
    subprocess.run([sys.executable, "-c", CRASHER, config, "1050", ending], check=True, timeout=120)
    fresh = ak.Project.load(config)
    n = fresh.query_audit("SELECT count(*) AS n FROM audit WHERE subject = 'c_0001'").column("n")[0].as_py()
    if ending == "normal":
        assert n == 1050
    else:
        assert 1050 - 100 < n <= 1050  # at most one unflushed batch (flush_every - 1 records)
        assert n == 1000  # exactly the full batches of 100 that were flushed
    fresh.close()


def test_no_record_contains_a_secret(governed: tuple[ak.Project, World]) -> None:
    project, _ = governed
    project.audit.flush()
    for path in project.audit.spool_files():
        text = path.read_text()
        assert "Bearer" not in text and "eyJ" not in text  # no bearer token or JWT ever reaches the log
        for line in text.splitlines()[:50]:
            assert set(json.loads(line)) >= {"time", "agent", "subject", "decision", "reason", "features"}


def test_bad_audit_sql_is_a_clear_error(governed: tuple[ak.Project, World]) -> None:
    project, _ = governed
    with pytest.raises(ak.AgentkitError) as info:
        project.query_audit("SELECT nope FROM audit")
    assert info.value.code == "audit_query_invalid"
    with pytest.raises(ak.AgentkitError):
        project.query_audit("COPY audit TO '/tmp/x.csv'")  # DuckDB cannot touch files
