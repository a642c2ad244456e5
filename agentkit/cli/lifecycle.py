"""``agentkit init``, ``plan`` and ``apply``: create a project and evolve its definitions."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from agentkit.cli._common import EXIT_GATE, emit_json, handle_errors, project_of
from agentkit.errors import PlanError
from agentkit.project import Project

__all__ = ["COMMANDS", "apply", "init", "plan"]


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", help="Project name (default: the folder name).")
@handle_errors
def init(directory: Path, name: str | None) -> None:
    """Create a project in DIRECTORY with a tiny working sample."""
    from agentkit.scaffold import init_project

    written = init_project(directory, name=name)
    for path in written:
        click.echo(f"created {path}")
    click.echo(
        f"\nNext:\n  cd {directory}\n  agentkit plan\n  agentkit apply\n"
        "  agentkit ingest order_status data/orders.csv\n"
        "  agentkit ingest customer_profile data/customers.jsonl\n"
        "  agentkit materialize\n"
        "  agentkit features get order_status.status order_status.eta_minutes --key o_1001"
    )


def _eval_gate(project: Project, transcripts: Path, limit: int | None, max_drop: float) -> list[str]:
    """Evaluate the applied and the planned definitions on the same transcripts; the regressions."""
    from agentkit.agent import PlannerModel
    from agentkit.eval import report
    from agentkit.eval.reporting import planned_regressions
    from agentkit.eval.runner import run_eval
    from agentkit.eval.transcripts import load_transcripts_lenient

    cases = load_transcripts_lenient(transcripts)[0][:limit]
    current = run_eval(project, cases, model_factory=PlannerModel)
    planned = run_eval(project.preview(), cases, model_factory=PlannerModel)
    comparison = report.compare(current, planned)
    click.echo(report.comparison_markdown(comparison))
    return planned_regressions(current, planned, project.config.eval.thresholds, max_drop=max_drop)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--eval",
    "eval_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also replay these transcripts with the applied and the planned definitions (offline planner).",
)
@click.option("--eval-limit", type=int, help="Only the first N transcripts for --eval.")
@click.option("--max-drop", default=0.0, show_default=True, help="Allowed drop in fact/feature recall for --eval.")
@click.pass_context
@handle_errors
def plan(ctx: click.Context, as_json: bool, eval_file: Path | None, eval_limit: int | None, max_drop: float) -> None:
    """Show what `apply` would change (entities, views, features and their tables).

    With --eval, exit 1 when the planned definitions make the eval regress (e.g. a feature
    description change that breaks catalog search)."""
    project = project_of(ctx)
    result = project.plan()
    if as_json:
        emit_json(
            {
                "applied_version": result.applied_version,
                "changes": [
                    {
                        "op": c.op,
                        "target": c.target,
                        "name": c.name,
                        "detail": c.detail,
                        "action": c.action,
                        "destructive": c.destructive,
                    }
                    for c in result.changes
                ],
            }
        )
    else:
        click.echo(result.render())
    if eval_file is not None:
        failures = _eval_gate(project, eval_file, eval_limit, max_drop)
        for failure in failures:
            click.echo(f"eval gate failed: {failure}", err=True)
        if failures:
            sys.exit(EXIT_GATE)


@click.command()
@click.option("--allow-destructive", is_flag=True, help="Also drop views/columns and reset changed types.")
@click.option(
    "--eval",
    "eval_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Refuse to apply when these transcripts regress with the planned definitions.",
)
@click.option("--eval-limit", type=int)
@click.option("--max-drop", default=0.0, show_default=True)
@click.pass_context
@handle_errors
def apply(
    ctx: click.Context, allow_destructive: bool, eval_file: Path | None, eval_limit: int | None, max_drop: float
) -> None:
    """Create and evolve the Iceberg tables and record the definitions as a new version."""
    project = project_of(ctx)
    click.echo(project.plan().render())
    if eval_file is not None:
        failures = _eval_gate(project, eval_file, eval_limit, max_drop)
        if failures:
            raise PlanError("apply refused: " + "; ".join(failures), code="eval_regressed")
    result = project.apply(allow_destructive=allow_destructive)
    if result.version is None:
        click.echo("Nothing to apply.")
        return
    click.echo(
        f"Applied version {result.version}: {result.changes} change(s); created "
        f"{', '.join(result.created) or 'no tables'}; evolved {', '.join(result.evolved) or 'none'}; "
        f"dropped {', '.join(result.dropped) or 'none'}."
    )


COMMANDS: tuple[click.Command, ...] = (init, plan, apply)
