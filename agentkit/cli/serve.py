"""``agentkit serve`` (the MCP server) and ``agentkit token issue`` (development tokens)."""

from __future__ import annotations

from pathlib import Path

import click

from agentkit.cli._common import UsageError, handle_errors, project_of

__all__ = ["COMMANDS", "serve", "token"]


@click.command()
@click.option("--transport", type=click.Choice(["stdio", "http"]), default="http", show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="HTTP worker processes.")
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="AGENTKIT_TOKEN_FILE",
    help="stdio: file holding the session's bearer token. Env: AGENTKIT_TOKEN_FILE.",
)
@click.pass_context
@handle_errors
def serve(ctx: click.Context, transport: str, host: str, port: int, workers: int, token_file: Path | None) -> None:
    """Serve the governed platform over MCP (stateless streamable HTTP, or stdio)."""
    from agentkit.server.app import build_mcp_server

    project = project_of(ctx)
    if transport == "stdio":
        if token_file is None:
            raise UsageError("stdio needs a token: --token-file PATH (there is no unauthenticated mode)")
        try:
            token = token_file.read_text().strip()
        except OSError as exc:
            raise UsageError(f"cannot read the token file {token_file}: {exc}") from exc
        build_mcp_server(project, session_token=token).run("stdio")
        return
    import uvicorn

    project.applied()  # fail fast, with a clear message, if nothing was applied
    grace = project.config.server.shutdown_timeout
    if workers > 1:
        import os

        os.environ.update(
            AGENTKIT_CONFIG=str(project.root / "agentkit.toml"), AGENTKIT_HOST=host, AGENTKIT_PORT=str(port)
        )
        uvicorn.run(
            "agentkit.server.asgi:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=grace,
        )
        return
    app = build_mcp_server(project, host=host, port=port).streamable_http_app()
    import gc

    gc.freeze()  # start-up objects never need collecting: avoids long full-collection pauses under load
    click.echo(
        f"agentkit MCP server on http://{host}:{port}/mcp (liveness: /healthz, readiness: /readyz, metrics: /metrics)",
        err=True,
    )
    _exit_cleanly_on_sigterm()
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, timeout_graceful_shutdown=grace)
    # The project is closed (audit spool flushed) when the command ends, also after SIGTERM.


def _exit_cleanly_on_sigterm() -> None:
    """SIGTERM is the orderly way to stop a server: uvicorn stops accepting, lets in-flight calls
    finish (``[server] shutdown_timeout``), runs the app's shutdown and then re-raises the signal it
    caught. Handled here, that re-raised signal ends the process with status 0 (and a SIGTERM that
    arrives before uvicorn starts ends it at once, also with 0)."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)


@click.group()
def token() -> None:
    """Development tokens (signed with the project's dev key)."""


@token.command("issue")
@click.option("--agent", required=True)
@click.option("--user", help="End user (omit for an agent-only token: catalog search, no customer data).")
@click.option("--role", "roles", multiple=True)
@click.option("--tenant")
@click.option("--ttl", default="15m", show_default=True, help="Lifetime, e.g. 15m, 2h, 1d.")
@click.option("--as-of", help="Make every read of this token point-in-time (evaluation, replay).")
@click.pass_context
@handle_errors
def token_issue(
    ctx: click.Context,
    agent: str,
    user: str | None,
    roles: tuple[str, ...],
    tenant: str | None,
    ttl: str,
    as_of: str | None,
) -> None:
    """Print a bearer token for USER talking to AGENT."""
    from agentkit.features.schema import parse_duration
    from agentkit.project import parse_as_of
    from agentkit.server.tokens import TokenService

    project = project_of(ctx)
    try:
        lifetime = parse_duration(ttl)
    except ValueError as exc:
        raise UsageError(f"--ttl {ttl!r}: {exc}") from exc
    cap = project.config.server.max_token_lifetime
    if lifetime > cap or lifetime.total_seconds() <= 0:
        raise UsageError(
            f"--ttl {ttl!r} is outside (0, {cap}] ([server] max_token_lifetime); the server would refuse "
            "the token — give a shorter --ttl"
        )
    agents = project.policy().snapshot.agents  # the applied policy: what the server enforces
    if agent not in agents:
        known = ", ".join(sorted(agents)) or "none"
        raise UsageError(
            f"--agent {agent!r} is not an agent of the applied policy (known: {known}); add "
            f"[agents.{agent}] to agentkit.toml and run `agentkit apply`"
        )
    when = parse_as_of(as_of)
    click.echo(
        TokenService(project.config).issue(
            agent=agent, subject=user, ttl=lifetime, roles=roles, tenant=tenant, as_of=when
        )
    )


COMMANDS: tuple[click.Command, ...] = (serve, token)
