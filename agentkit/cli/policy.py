"""``agentkit policy explain`` and ``policy check``: inspect and check the access policy."""

from __future__ import annotations

import sys
from dataclasses import asdict

import click

from agentkit.cli._common import EXIT_GATE, emit_json, handle_errors, project_of

__all__ = ["COMMANDS", "policy"]


@click.group()
def policy() -> None:
    """Inspect and check the access policy."""


@policy.command("explain")
@click.option("--agent", required=True)
@click.option("--user", help="End user (omit for an agent acting without a user).")
@click.option("--role", "roles", multiple=True)
@click.option("--tenant")
@click.option("--as-of")
@click.pass_context
@handle_errors
def policy_explain(
    ctx: click.Context, agent: str, user: str | None, roles: tuple[str, ...], tenant: str | None, as_of: str | None
) -> None:
    """What AGENT may read for USER (views, features, reachable keys) and which rule decided."""
    from agentkit.governance.principal import Principal

    explanation = project_of(ctx).explain(Principal(agent=agent, subject=user, roles=roles, tenant=tenant), as_of=as_of)
    click.echo(explanation.render())


@policy.command("check")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def policy_check(ctx: click.Context, as_json: bool) -> None:
    """Validate the policy against the applied definitions and known tools (exit 1 on problems)."""
    problems = project_of(ctx).check_policy()
    if as_json:
        emit_json([asdict(p) for p in problems])
    else:
        for p in problems:
            click.echo(p.message)
        click.echo(f"{len(problems)} problem(s)" if problems else "policy OK")
    if problems:
        sys.exit(EXIT_GATE)


COMMANDS: tuple[click.Command, ...] = (policy,)
