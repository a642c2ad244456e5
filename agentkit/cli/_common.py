"""What every command shares: the project of the invocation, the error-to-exit-code wrapper and
the output helpers.

Exit codes (DESIGN.md): 0 on success, 1 when a check or gate failed, 2 for a usage or input error
(a one-line message, no traceback).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import NoReturn, ParamSpec, TypeVar

import click

from agentkit.errors import AgentkitError, PlanError
from agentkit.features.results import jsonable
from agentkit.project import Project

__all__ = [
    "EXIT_GATE",
    "EXIT_INPUT",
    "CliState",
    "UsageError",
    "console_width",
    "emit_json",
    "fail",
    "handle_errors",
    "project_of",
    "show",
]

P = ParamSpec("P")
R = TypeVar("R")

EXIT_GATE = 1
EXIT_INPUT = 2


class UsageError(Exception):
    """A wrong combination of options (exit 2)."""


@dataclass(frozen=True, slots=True)
class CliState:
    """What the root command passes down to every subcommand (``ctx.obj``)."""

    config: str
    """The ``--config`` value: the project file or its folder."""


def fail(message: str, code: int) -> NoReturn:
    """One line on stderr, then exit with ``code``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn agentkit errors into one line on stderr and the documented exit code."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except PlanError as exc:
            fail(exc.message, EXIT_GATE)
        except UsageError as exc:
            fail(str(exc), EXIT_INPUT)
        except AgentkitError as exc:
            fail(exc.message, EXIT_INPUT)

    return wrapper


def project_of(ctx: click.Context) -> Project:
    """The project named by ``--config``, closed (audit buffer flushed) when the command ends."""
    state = ctx.find_object(CliState)
    if state is None:  # only when a subcommand is invoked without the root group
        raise UsageError("no project: run the command through `agentkit`")
    project = Project.load(state.config)
    ctx.call_on_close(project.close)  # flushes the audit buffer
    return project


def emit_json(data: object) -> None:
    """``--json`` output: indented, feature values in their JSON form."""
    click.echo(json.dumps(data, default=jsonable, indent=2))


def show(value: object) -> str:
    """A value in a table cell: ``-`` for none, JSON for structures."""
    if value is None:
        return "-"
    shown = jsonable(value)
    return shown if isinstance(shown, str) else json.dumps(shown)


def console_width(wide: int) -> int | None:
    """Rich's width: the terminal's, or ``wide`` when the output is piped."""
    return None if sys.stdout.isatty() else wide
