"""The ``agentkit`` command. ``agentkit --help`` and ``agentkit COMMAND --help`` are the reference.

Conventions (DESIGN.md): ``--json`` for machine output; exit 0 on success, 1 when a check or gate
failed, 2 for a usage or input error (a one-line message, no traceback).

One module per command group: ``lifecycle`` (init, plan, apply), ``data`` (ingest, materialize,
history, status, compact), ``features``, ``policy``, ``audit``, ``docs`` (docs and catalog),
``serve`` (serve and token), ``eval``, ``demo`` (demo and chat); ``_common`` holds what they share.
"""

from __future__ import annotations

import logging

import click

from agentkit.cli import audit, data, demo, docs, features, lifecycle, policy, serve
from agentkit.cli import eval as evaluation
from agentkit.cli._common import CliState

__all__ = ["main", "run"]


def _quiet_bm25s(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "-c",
    default="agentkit.toml",
    show_default=True,
    envvar="AGENTKIT_CONFIG",
    help="Project file (or its folder). Env: AGENTKIT_CONFIG.",
)
@click.version_option(package_name="agentkit-support")
@click.pass_context
def main(ctx: click.Context, config: str) -> None:
    """agentkit: customer-support agents that answer with the customer's own data, safely."""
    ctx.obj = CliState(config=config)
    # bm25s sets its own logger to DEBUG when imported; its index-build chatter is not for users.
    logging.getLogger("bm25s").addFilter(_quiet_bm25s)


for _group in (lifecycle, data, features, policy, audit, docs, serve, evaluation, demo):
    for _command in _group.COMMANDS:
        main.add_command(_command)


def run() -> None:  # pragma: no cover - console entry point
    main(prog_name="agentkit")
