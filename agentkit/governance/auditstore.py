"""Committing spooled audit records to Iceberg and querying them with DuckDB."""

from __future__ import annotations

import os

import pyarrow as pa

from agentkit.errors import AgentkitError
from agentkit.features.offline import OfflineStore, duckdb_connection
from agentkit.governance.audit import AUDIT_SCHEMA, AuditLog

__all__ = ["AUDIT_TABLE", "commit_spool", "query_audit"]

AUDIT_TABLE = "_audit"


def commit_spool(log: AuditLog, offline: OfflineStore) -> int:
    """Append every spool file to the ``_audit`` table, one idempotent commit per file.

    A file is first renamed (writers start a new one), then committed with its name recorded in
    the snapshot, then deleted; a crash in between is healed by the next commit (a file already
    recorded is just deleted), so no record is lost or counted twice.
    """
    log.flush()
    total = 0
    for path in log.spool_files():
        claimed = path.with_name(path.name.replace("spool-", "committing-", 1))
        try:
            os.replace(path, claimed)
        except FileNotFoundError:
            continue
        log.flush()  # our own writer re-creates its spool file on the next flush
    for claimed in sorted(log.directory.glob("committing-*.jsonl")):
        data = log.read_spool([claimed])
        if data.num_rows:
            offline.append_system(AUDIT_TABLE, AUDIT_SCHEMA, data, batch_id=claimed.name)
            total += data.num_rows
        claimed.unlink(missing_ok=True)
    return total


def query_audit(log: AuditLog, offline: OfflineStore, sql: str) -> pa.Table:
    """Read-only SQL over committed and spooled records, exposed as the table ``audit``."""
    log.flush()
    committed = offline.scan_system(AUDIT_TABLE, AUDIT_SCHEMA)
    files = sorted(log.directory.glob("*.jsonl")) if log.directory.exists() else []
    spooled = log.read_spool(files)
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
