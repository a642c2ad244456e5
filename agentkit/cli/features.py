"""``agentkit features get``: read feature values, unscoped (platform) or as an end user."""

from __future__ import annotations

from dataclasses import asdict

import click

from agentkit.cli._common import UsageError, console_width, emit_json, handle_errors, project_of, show
from agentkit.features.results import FeatureRows

__all__ = ["COMMANDS", "features"]


@click.group()
def features() -> None:
    """Read feature values."""


@features.command("get", epilog="Warnings (e.g. rows not yet available at --as-of) go to stderr.")
@click.argument("refs", nargs=-1, required=True)
@click.option("--key", "keys", multiple=True, help="Entity key (repeatable). With --user: at most one.")
@click.option("--as-of", help="Point-in-time read (ISO 8601 with timezone), from Iceberg.")
@click.option("--user", help="End user: read through the scoped path (policy, scope, masking, audit).")
@click.option("--agent", help="Agent whose allow-list applies (with --user).")
@click.option("--role", "roles", multiple=True, help="Role of the end user (repeatable; default: policy default).")
@click.option("--tenant", help="Tenant of the end user.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def features_get(
    ctx: click.Context,
    refs: tuple[str, ...],
    keys: tuple[str, ...],
    as_of: str | None,
    user: str | None,
    agent: str | None,
    roles: tuple[str, ...],
    tenant: str | None,
    as_json: bool,
) -> None:
    """Read REFS (view.feature ...): live from the online store, or --as-of from Iceberg.

    Without --user this is the unscoped platform read (needs --key). With --user and --agent it
    is exactly what that agent would get for that user.
    """
    project = project_of(ctx)
    if user is not None or agent is not None:
        if not (user and agent):
            raise UsageError("--user and --agent go together")
        if len(keys) > 1:
            raise UsageError("the scoped read takes at most one --key")
        from agentkit.governance.principal import Principal

        principal = Principal(agent=agent, subject=user, roles=roles, tenant=tenant)
        result = project.get_features(
            principal, list(refs), entity_key=keys[0] if keys else None, as_of=as_of, surface="cli"
        )
    else:
        if not keys:
            raise UsageError("name at least one --key (or read as an end user with --user and --agent)")
        result = project.read_features_unscoped(list(refs), list(keys), as_of=as_of)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        emit_json(
            {
                "entity": result.entity,
                "as_of": result.as_of,
                "rows": [
                    {"key": r.key, "values": r.values, "provenance": [asdict(p) for p in r.provenance]}
                    for r in result.rows
                ],
                "missing": list(result.missing),
                "warnings": list(result.warnings),
            }
        )
        return
    _print_table(result)


def _print_table(result: FeatureRows) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*(["key", *result.features, "event time"]))
    for row in result.rows:
        event = max(p.event_time for p in row.provenance)
        table.add_row(row.key, *(show(row.values[f]) for f in result.features), event.isoformat())
    Console(width=console_width(160)).print(table)
    if result.missing:
        click.echo(f"no rows for: {', '.join(result.missing)}")


COMMANDS: tuple[click.Command, ...] = (features,)
