"""Committing spooled audit records to Iceberg and querying them with DuckDB."""

from __future__ import annotations

import fcntl
import logging
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa

from agentkit.errors import AgentkitError
from agentkit.features.offline import OfflineStore, duckdb_connection
from agentkit.governance.audit import AUDIT_SCHEMA, AuditLog, UnreadableLine, read_spool_files

__all__ = ["AUDIT_TABLE", "QUARANTINE_DIR", "commit_spool", "query_audit"]

AUDIT_TABLE = "_audit"
QUARANTINE_DIR = "quarantine"
"""Beside the spool: lines that were not whole records, one file per committed spool file."""

logger = logging.getLogger(__name__)

Warn = Callable[[str], None]


def commit_spool(log: AuditLog, offline: OfflineStore, *, warn: Warn | None = None) -> int:
    """Append every spool file to the ``_audit`` table, one idempotent commit per file; returns
    how many records were appended.

    Each spool file is first claimed: renamed under a name no claim used before (its writer starts
    a new file; a writer in the middle of a write finishes first, under the file's lock). The
    claimed file is committed with its name recorded in the snapshot, its unreadable lines are
    moved to ``quarantine/`` (``warn`` gets one line per file, naming file:line), then it is
    deleted. A commit killed at any point is finished by the next one: a claimed file still there
    is committed unless its name is already recorded (then just deleted), and its quarantine file
    is rewritten whole — no record is lost or counted twice.
    """
    say = warn or logger.warning
    log.flush()
    for path in log.spool_files():
        claimed = path.with_name(f"committing-{uuid.uuid4().hex[:12]}-{path.name.removeprefix('spool-')}")
        try:
            os.replace(path, claimed)
        except FileNotFoundError:
            continue
        log.flush()  # our own writer re-creates its spool file on the next flush
    total = 0
    for claimed in sorted(log.directory.glob("committing-*.jsonl")):
        total += _commit_file(claimed, offline, say)
    return total


def _commit_file(claimed: Path, offline: OfflineStore, say: Warn) -> int:
    try:
        with open(claimed, "rb") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # a writer that opened it before the rename finishes first
            data, bad = read_spool_files([claimed])
    except FileNotFoundError:  # finished by a concurrent commit
        return 0
    if bad:
        kept = _quarantine(claimed, bad)
        lines = ",".join(str(b.line) for b in bad)
        say(
            f"{claimed}:{lines}: {len(bad)} line(s) are not whole audit records ({bad[0].reason}); "
            f"kept in {kept}, the other {data.num_rows} record(s) committed"
        )
    appended = data.num_rows > 0 and offline.append_system(AUDIT_TABLE, AUDIT_SCHEMA, data, batch_id=claimed.name)
    claimed.unlink(missing_ok=True)
    return data.num_rows if appended else 0


def _quarantine(claimed: Path, bad: Sequence[UnreadableLine]) -> Path:
    """Write the unreadable lines beside the spool, whole or not at all (rewriting is idempotent)."""
    folder = claimed.parent / QUARANTINE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / claimed.name
    tmp = folder / f".{claimed.name}.{os.getpid()}.tmp"
    with open(tmp, "wb") as out:
        for line in bad:
            out.write(line.raw if line.raw.endswith(b"\n") else line.raw + b"\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)
    return target


def query_audit(log: AuditLog, offline: OfflineStore, sql: str, *, warn: Warn | None = None) -> pa.Table:
    """Read-only SQL over committed and spooled records, exposed as the table ``audit``.
    Unreadable spool lines are left out, ``warn`` getting one line per file naming file:line."""
    say = warn or logger.warning
    log.flush()
    committed = offline.scan_system(AUDIT_TABLE, AUDIT_SCHEMA)
    files = sorted(log.directory.glob("*.jsonl")) if log.directory.exists() else []
    spooled, bad = read_spool_files(files)
    for path in sorted({b.path for b in bad}):
        mine = [b for b in bad if b.path == path]
        lines = ",".join(str(b.line) for b in mine)
        say(f"{path}:{lines}: {len(mine)} line(s) are not whole audit records ({mine[0].reason}); left out")
    records = pa.concat_tables([committed, spooled])
    con = duckdb_connection()
    try:
        con.register("audit", records)
        try:
            return con.sql(sql).to_arrow_table()
        except Exception as exc:  # DuckDB's own errors: show the user's SQL problem
            raise AgentkitError(f"audit query failed: {str(exc).splitlines()[0]}", code="audit_query_invalid") from exc
    finally:
        con.close()
