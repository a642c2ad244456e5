"""The shared deployment: an Iceberg SQL catalog on the real PostgreSQL server, written by
several processes at once. Each test uses its own namespace and drops it afterwards."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pyarrow as pa
import pytest

import agentkit as ak
from tests.conftest import ProjectFactory, order_row

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_project(make_project: ProjectFactory, postgres_uri: str, unique: str) -> Iterator[ak.Project]:
    project = make_project(apply=False, catalog=postgres_uri, namespace=unique)
    yield project
    catalog = project.offline.catalog()
    for ident in catalog.list_tables(unique):
        catalog.drop_table(ident)
    catalog.drop_namespace(unique)


def test_apply_ingest_and_read_on_the_postgres_catalog(pg_project: ak.Project) -> None:
    pg_project.apply()
    pg_project.ingest("order_status", pa.Table.from_pylist([order_row("o_1", "2026-11-01T10:00:00Z", eta_minutes=3)]))
    pg_project.materialize()
    assert pg_project.read_features_unscoped(["order_status.eta_minutes"], ["o_1"]).rows[0].values == {
        "order_status.eta_minutes": 3
    }
    # Another project object (a different machine, in effect) sees the same applied version.
    other = ak.Project.load(pg_project.root / "agentkit.toml")
    assert other.offline.applied() is not None
    assert other.plan().empty


WRITER = textwrap.dedent(
    """
    import sys, pyarrow as pa, agentkit as ak
    config, worker, batches = sys.argv[1], sys.argv[2], int(sys.argv[3])
    project = ak.Project.load(config)
    for b in range(batches):
        rows = [{"order_id": f"w{worker}_b{b}_{i}", "event_time": "2026-11-01T10:00:00Z", "customer_id": "c"}
                for i in range(10)]
        project.ingest("order_status", pa.Table.from_pylist(rows))
    """
)


def test_concurrent_ingest_from_two_processes_loses_and_duplicates_nothing(pg_project: ak.Project) -> None:
    pg_project.apply()
    config = str(pg_project.root / "agentkit.toml")
    batches = 6
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, config, str(w), str(batches)], stderr=subprocess.PIPE, text=True
        )
        for w in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
    data = pg_project.offline.scan(pg_project.applied(refresh=True).definitions.view("order_status"))
    keys = data.column("order_id").to_pylist()
    assert len(keys) == 2 * batches * 10
    assert len(set(keys)) == len(keys)
    assert len(pg_project.history("order_status")) == 2 * batches


APPLIER = textwrap.dedent(
    """
    import sys, agentkit as ak
    try:
        result = ak.Project.load(sys.argv[1]).apply()
        print("version", result.version)
    except ak.AgentkitError as exc:
        print("error", exc.code, exc.message)
        sys.exit(3)
    """
)


def test_concurrent_apply_from_two_processes_ends_consistent(pg_project: ak.Project) -> None:
    config = str(pg_project.root / "agentkit.toml")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", APPLIER, config], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    finished = [(proc.returncode, *proc.communicate(timeout=240)) for proc in procs]
    for proc, (_, out, err) in zip(procs, finished, strict=True):
        assert proc.returncode == 0, (out, err)
        assert out.startswith("version")
    assert pg_project.plan().empty
    assert set(pg_project.offline.table_names()) == {"order_status", "customer_profile"}
