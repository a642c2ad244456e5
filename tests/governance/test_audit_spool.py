"""The audit spool survives what a crash or a full disk leaves: torn lines and half-done commits.

A torn line is quarantined (kept, never dropped silently) with a one-line warning naming
file:line, the other records are committed, and a commit killed half way — a real SIGKILL of a
real process — is finished by the next commit with every record exactly once.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import agentkit as ak
from agentkit.cli import main
from agentkit.governance.audit import AuditLog, AuditRecord
from tests.conftest import write_project


def _record(i: int) -> AuditRecord:
    return AuditRecord(
        agent="support_bot",
        principal_kind="end_user",
        subject=f"c_{i % 7:04d}",
        surface="test",
        tool="get_features",
        features=["order_status.status"],
        decision="allow",
        reason="allowed",
        keys_served=[f"o_{i}"],
    )


def _spool(directory: Path, n: int, start: int = 0) -> list[str]:
    """Write ``n`` records through a real audit log; returns their request ids."""
    log = AuditLog(directory, flush_every=10_000)
    records = [_record(start + i) for i in range(n)]
    for record in records:
        log.write(record)
    log.close()
    return [r.request_id for r in records]


def _tear(path: Path, where: str) -> str:
    """Cut one record in half, as a crash or a full disk does; returns the torn text."""
    lines = path.read_text().splitlines(keepends=True)
    if where == "end":
        torn = lines[-1][: len(lines[-1]) // 2]
        lines[-1] = torn  # the last write stopped half way: no newline
    else:
        middle = len(lines) // 2
        torn = lines[middle][: len(lines[middle]) // 2]
        lines[middle] = torn + "\n"
    path.write_text("".join(lines))
    return torn


def _committed(project: ak.Project) -> tuple[int, int]:
    row = project.query_audit("SELECT count(*) AS n, count(DISTINCT request_id) AS d FROM audit").to_pylist()[0]
    return row["n"], row["d"]


def _cli(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("where", ["middle", "end"])
def test_a_torn_line_is_quarantined_with_one_warning_and_the_other_records_are_committed(
    tmp_path: Path, where: str
) -> None:
    config = write_project(tmp_path / "p")
    project = ak.Project.load(config)
    project.apply()
    audit_dir = project.audit.directory
    _spool(audit_dir, 40)
    (spool,) = audit_dir.glob("spool-*.jsonl")
    torn = _tear(spool, where)
    line = 21 if where == "middle" else 40

    code, out, err = _cli(config, "audit", "query", "SELECT count(*) AS n FROM audit", "--json")
    assert code == 0 and '"n": 39' in out, (out, err)
    assert len(err.splitlines()) == 1 and f"{spool.name}:{line}" in err and "Traceback" not in err, err

    code, out, err = _cli(config, "audit", "commit")
    assert code == 0 and "committed 39 audit record(s)" in out, (out, err)
    assert len(err.splitlines()) == 1 and f":{line}" in err and "quarantine" in err, err
    quarantined = list((audit_dir / "quarantine").glob("*.jsonl"))
    assert len(quarantined) == 1 and quarantined[0].read_text().strip() == torn.strip()  # kept, not dropped

    assert _committed(project) == (39, 39)
    code, out, err = _cli(config, "audit", "commit")  # nothing blocks the next commit; nothing twice
    assert code == 0 and "committed 0 audit record(s)" in out and err == "", (out, err)
    assert _committed(project) == (39, 39)
    assert not list(audit_dir.glob("*.jsonl"))
    project.close()


def test_a_write_cut_short_does_not_take_the_next_records_with_it(tmp_path: Path) -> None:
    """A full disk cuts one write; the writer carries on: the fragment gets a line of its own."""
    project = ak.Project.load(write_project(tmp_path / "p"))
    project.apply()
    log = AuditLog(project.audit.directory, flush_every=10_000)
    for i in range(5):
        log.write(_record(i))
    log.flush()
    (spool,) = project.audit.directory.glob("spool-*.jsonl")
    _tear(spool, "end")
    for i in range(5, 10):
        log.write(_record(i))
    log.close()
    warnings: list[str] = []
    assert project.commit_audit(warn=warnings.append) == 9
    assert len(warnings) == 1 and ":5:" in warnings[0]
    assert _committed(project) == (9, 9)
    project.close()


def test_a_second_commit_from_the_same_writer_loses_nothing(tmp_path: Path) -> None:
    """A long-running writer keeps its spool file's name: each commit's batch must be its own."""
    project = ak.Project.load(write_project(tmp_path / "p"))
    project.apply()
    for i in range(3):
        project.audit.write(_record(i))
    assert project.commit_audit() == 3
    for i in range(3, 7):
        project.audit.write(_record(i))
    assert project.commit_audit() == 4
    assert _committed(project) == (7, 7)
    project.close()


# Loads the project, says "ready", waits for "go", then commits the spool (the test kills it).
COMMITTER = textwrap.dedent(
    """
    import sys
    import agentkit as ak
    from agentkit.governance import auditstore  # noqa: F401  (imported before "ready")

    project = ak.Project.load(sys.argv[1])
    project.offline.catalog()
    print("ready", flush=True)
    sys.stdin.readline()
    project.commit_audit()
    print("done", flush=True)
    """
)


def test_a_commit_killed_half_way_is_finished_by_the_next_commit_exactly_once(tmp_path: Path) -> None:
    seed = int(os.environ.get("AGENTKIT_CRASH_SEED", str(random.SystemRandom().randrange(2**32))))
    rng = random.Random(seed)
    where = f"seed={seed} (rerun with AGENTKIT_CRASH_SEED={seed})"
    config = write_project(tmp_path / "p")
    project = ak.Project.load(config)
    project.apply()
    project.commit_audit()  # creates the _audit table
    audit_dir = project.audit.directory
    written: list[str] = []
    kills = 0
    deadline = time.monotonic() + 60
    for round_ in range(3):  # kills at random moments of the commit, the last just after the claim
        last = round_ == 2
        written += _spool(audit_dir, 10_000, start=len(written))
        if last:  # and with a torn line in the claimed file
            (spool,) = audit_dir.glob("spool-*.jsonl")
            _tear(spool, "middle")
        child = subprocess.Popen(
            [sys.executable, "-c", COMMITTER, str(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        try:
            assert child.stdout is not None and child.stdin is not None
            assert child.stdout.readline().strip() == "ready", where
            child.stdin.write("go\n")
            child.stdin.flush()
            while not list(audit_dir.glob("committing-*.jsonl")):  # the spool was claimed (renamed)
                assert child.poll() is None and time.monotonic() < deadline, f"the commit never claimed; {where}"
                time.sleep(0.0005)
            time.sleep(0 if last else rng.uniform(0, 0.5))
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
            kills += child.returncode == -signal.SIGKILL
            assert child.returncode in (0, -signal.SIGKILL), f"the commit failed on its own; {where}"
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            for pipe in (child.stdin, child.stdout):
                if pipe is not None:
                    pipe.close()
    assert kills >= 1, where
    code, out, err = _cli(config, "audit", "commit")
    assert code == 0 and "committed" in out, (out, err, where)
    assert len(err.splitlines()) == 1 and "quarantine" in err, (err, where)
    assert _committed(project) == (len(written) - 1, len(written) - 1), where
    assert not list(audit_dir.glob("*.jsonl")), where
    assert len(list((audit_dir / "quarantine").glob("*.jsonl"))) == 1, where
    project.close()
