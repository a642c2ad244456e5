"""``agentkit demo`` (the example support bot, offline, in one command) and ``agentkit chat``
(talk to your own project's agent as an end user)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from agentkit.cli._common import emit_json, handle_errors, project_of
from agentkit.project import Project

if TYPE_CHECKING:
    from agentkit.agent import Trace

__all__ = ["COMMANDS", "chat", "demo"]


def _default_demo_dir() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "agentkit" / "demo"


def _print_reply(answer: str, trace: Trace, *, as_json: bool) -> None:
    if as_json:
        emit_json({"answer": answer, "trace": trace.to_dict()})
        return
    click.echo(answer)
    cited = trace.features_cited + trace.documents_cited
    click.echo(f"\n  sources: {', '.join(cited) or 'none'}")
    calls = ", ".join(f"{c.name}{'' if c.ok else ' (refused)'}" for c in trace.tool_calls)
    click.echo(f"  tools:   {calls or 'none'}")
    for f in trace.features:
        click.echo(f"  read:    {f.ref}[{f.key}] = {f.value!r} (snapshot {f.snapshot_id}, event {f.event_time})")


def _converse(project: Project, model_spec: str | None, user: str, agent: str, once: str | None, as_json: bool) -> None:
    from agentkit.chat import Session, load_model

    session = Session(project, load_model(model_spec), user=user, agent=agent)
    if once is not None:
        reply = session.ask(once)
        _print_reply(reply.answer, reply.trace, as_json=as_json)
        return
    click.echo(
        f"Chatting as {user} with {agent} ({model_spec or 'offline planner — not a language model'}). "
        "Empty line or Ctrl-D to quit."
    )
    while True:
        try:
            question = input("you> ").strip()
        except EOFError:
            break
        if not question:
            break
        reply = session.ask(question)
        _print_reply(reply.answer, reply.trace, as_json=as_json)
        click.echo()


@click.command()
@click.option("--user", default="c_0001", show_default=True, help="The customer you are.")
@click.option("--agent", default="support_bot", show_default=True)
@click.option("--once", help="Ask one question, print the answer, citations and trace, and exit.")
@click.option("--model", "model_spec", help="provider:name for a real chat model (default: the offline planner).")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to build the example (default: ~/.cache/agentkit/demo).",
)
@click.option("--rebuild", is_flag=True, help="Rebuild the example from scratch.")
@click.option("--json", "as_json", is_flag=True)
@handle_errors
def demo(
    user: str,
    agent: str,
    once: str | None,
    model_spec: str | None,
    directory: Path | None,
    rebuild: bool,
    as_json: bool,
) -> None:
    """The Dashly food-delivery support bot, offline, in one command."""
    from agentkit.chat import ensure_demo

    project = ensure_demo(
        (directory or _default_demo_dir()).resolve(), rebuild=rebuild, log=lambda m: click.echo(m, err=True)
    )
    try:
        _converse(project, model_spec, user, agent, once, as_json)
    finally:
        project.close()


@click.command()
@click.option("--user", required=True, help="The end user to act as.")
@click.option("--agent", default="support_bot", show_default=True)
@click.option("--once", help="Ask one question and exit.")
@click.option("--model", "model_spec", help="provider:name for a real chat model (default: the offline planner).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def chat(ctx: click.Context, user: str, agent: str, once: str | None, model_spec: str | None, as_json: bool) -> None:
    """Chat with your project's agent as USER."""
    _converse(project_of(ctx), model_spec, user, agent, once, as_json)


COMMANDS: tuple[click.Command, ...] = (demo, chat)
