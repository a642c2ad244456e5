"""``agentkit audit query`` and ``audit commit``: the audit log."""

from __future__ import annotations

import click

from agentkit.cli._common import console_width, emit_json, handle_errors, project_of, show

__all__ = ["COMMANDS", "audit"]


@click.group()
def audit() -> None:
    """Query and commit the audit log."""


@audit.command("query")
@click.argument("sql")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def audit_query(ctx: click.Context, sql: str, as_json: bool) -> None:
    """Run SQL over the audit records, table `audit` (committed and spooled), e.g.
    "SELECT decision, count(*) FROM audit GROUP BY 1"."""
    table = project_of(ctx).query_audit(sql, warn=_warn)
    rows = table.to_pylist()
    if as_json:
        emit_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    out = Table(*table.column_names)
    for row in rows:
        out.add_row(*(show(v) for v in row.values()))
    Console(width=console_width(200)).print(out)


@audit.command("commit")
@click.pass_context
@handle_errors
def audit_commit(ctx: click.Context) -> None:
    """Move spooled audit records into the `_audit` Iceberg table."""
    click.echo(f"committed {project_of(ctx).commit_audit(warn=_warn)} audit record(s)")


def _warn(message: str) -> None:
    """One line on stderr per spool file with lines that are not whole records."""
    click.echo(f"warning: {message}", err=True)


COMMANDS: tuple[click.Command, ...] = (audit,)
