"""A killed ingest leaves data files no snapshot references: ``compact`` removes them and says how many.

Only files under the table's data folder that no retained snapshot references, and only once they
are older than ``[offline] min_orphan_age`` (an ingest in flight writes its files before it commits).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
from click.testing import CliRunner

import agentkit as ak
from agentkit.cli import main
from tests.conftest import order_row, write_project

# Writes a big file's rows into the view; the test kills it once its data file appears.
INGESTER = textwrap.dedent(
    """
    import sys
    import pyarrow as pa
    import agentkit as ak

    project = ak.Project.load(sys.argv[1])
    n = int(sys.argv[2])
    rows = pa.table({
        "order_id": [f"o_big_{i}" for i in range(n)],
        "event_time": pa.array([1_577_836_800_000_000 + i for i in range(n)], pa.timestamp("us", tz="UTC")),
        "customer_id": [f"c_{i % 1000}" for i in range(n)],
        "status": ["placed"] * n,
    })
    project.offline.catalog()
    print("ready", flush=True)
    sys.stdin.readline()
    project.ingest("order_status", rows)
    print("committed", flush=True)
    """
)


def _data_files(project: ak.Project) -> set[Path]:
    warehouse = Path(project.config.warehouse_uri.removeprefix("file://"))
    folder = warehouse / project.config.offline.namespace / "order_status" / "data"
    return set(folder.glob("*.parquet")) if folder.exists() else set()


def _orders(project: ak.Project) -> list[dict[str, object]]:
    view = project.applied().definitions.view("order_status")
    rows = project.offline.scan(view, columns=["order_id", "status"]).to_pylist()
    return sorted(rows, key=lambda r: str(r["order_id"]))


def _kill_an_ingest(project: ak.Project, config: Path) -> Path:
    """Start a real ingest and SIGKILL it once it has created its data file, before it commits."""
    for _ in range(3):  # a commit that wins the race makes the round useless: try again (bounded)
        before, snapshots = _data_files(project), len(project.history("order_status"))
        child = subprocess.Popen(
            [sys.executable, "-c", INGESTER, str(config), "400000"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        try:
            assert child.stdout is not None and child.stdin is not None
            assert child.stdout.readline().strip() == "ready"
            child.stdin.write("go\n")
            child.stdin.flush()
            deadline = time.monotonic() + 60
            while not (_data_files(project) - before) and child.poll() is None and time.monotonic() < deadline:
                time.sleep(0.0005)
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            for pipe in (child.stdin, child.stdout):
                if pipe is not None:
                    pipe.close()
        new = _data_files(project) - before
        if child.returncode == -signal.SIGKILL and new and len(project.history("order_status")) == snapshots:
            assert len(new) == 1
            return new.pop()
    raise AssertionError("the ingest could not be killed between writing its data file and committing it")


def test_compact_removes_the_files_of_a_killed_ingest_and_says_how_many(tmp_path: Path) -> None:
    config = write_project(tmp_path / "p")
    project = ak.Project.load(config)
    project.apply()
    project.ingest("order_status", pa.Table.from_pylist([order_row("o_1", "2026-11-01T10:00:00Z")]))
    project.ingest("order_status", pa.Table.from_pylist([order_row("o_1", "2026-11-01T11:00:00Z", status="preparing")]))
    first = project.history("order_status")[0].snapshot_id
    orphan = _kill_an_ingest(project, config)
    orders, files = _orders(project), _data_files(project)

    # Just written: it may belong to an ingest still in flight, so it stays.
    (report,) = project.compact(["order_status"], now=datetime.now(UTC))
    assert report["orphans_removed"] == 0 and orphan.exists()
    assert report["files_before"] == 2 and report["files_after"] == 1  # compaction itself carried on

    later = datetime.now(UTC) + timedelta(hours=2)  # past [offline] min_orphan_age (1 hour by default)
    (report,) = project.compact(["order_status"], now=later)
    assert report["orphans_removed"] == 1 and not orphan.exists()
    assert _orders(project) == orders  # reads unchanged
    view = project.applied().definitions.view("order_status")
    assert project.offline.scan(view, snapshot_id=first).num_rows == 1  # old snapshots keep their files
    assert _data_files(project) >= files - {orphan}

    (report,) = project.compact(["order_status"], now=later)
    assert report["orphans_removed"] == 0
    project.close()


def test_compact_on_the_command_line_says_how_many_orphan_files_it_removed(tmp_path: Path) -> None:
    config = write_project(tmp_path / "p")
    config.write_text(config.read_text().replace("[offline]", '[offline]\nmin_orphan_age = "PT0S"'))
    project = ak.Project.load(config)
    project.apply()
    project.ingest("order_status", pa.Table.from_pylist([order_row("o_1", "2026-11-01T10:00:00Z")]))
    folder = next(iter(_data_files(project))).parent
    (folder / "00000-0-left-by-a-killed-ingest.parquet").write_bytes(b"PAR1 torn")
    result = CliRunner().invoke(main, ["--config", str(config), "compact"])
    assert result.exit_code == 0, result.output
    assert "order_status: 1 -> 1 data file(s), 0 snapshot(s) expired, 1 orphan file(s) removed" in result.stdout
    assert len(_data_files(project)) == 1
    project.close()
