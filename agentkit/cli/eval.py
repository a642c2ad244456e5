"""``agentkit eval run`` (replay transcripts, score, report, gate) and ``eval compare``.

The commands parse options, replay and print; the reports are assembled by
:mod:`agentkit.eval.reporting`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from agentkit.cli._common import EXIT_GATE, UsageError, handle_errors, project_of
from agentkit.project import Project

if TYPE_CHECKING:
    from agentkit.eval.results import EvalRun
    from agentkit.eval.runner import Baseline
    from agentkit.eval.transcripts import Transcript

__all__ = ["COMMANDS", "eval_compare", "eval_group", "eval_run"]

GATE_FORMAT = "use metric=number, e.g. fact_recall=0.4"


@click.group(name="eval")
def eval_group() -> None:
    """Replay recorded support transcripts and score the answers (no LLM judge)."""


def _thresholds(project: Project, gates: Sequence[str]) -> dict[str, float]:
    """``[eval] thresholds``, then each ``--gate metric=value`` over them."""
    thresholds: dict[str, float] = dict(project.config.eval.thresholds)
    for item in gates:
        name, sep, value = item.partition("=")
        try:
            thresholds[name.strip()] = float(value)
        except ValueError:
            raise UsageError(f"--gate {item!r}: {GATE_FORMAT}") from None
        if not sep:
            raise UsageError(f"--gate {item!r}: {GATE_FORMAT}")
    return thresholds


def _replay(
    project: Project,
    cases: Sequence[Transcript],
    mode: Baseline,
    *,
    model_spec: str | None,
    agent: str,
    rag_agent: str,
    skipped: int,
    cache: Path | None = None,
    concurrency: int = 1,
    show_progress: bool = False,
) -> EvalRun:
    """One run of ``cases`` with ``mode``, with a progress bar on a terminal when asked."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from agentkit.chat import load_model
    from agentkit.eval.runner import run_eval

    columns = (TextColumn(f"{mode:<8}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"))
    with Progress(*columns, transient=True, disable=not (show_progress and sys.stderr.isatty())) as bar:
        task = bar.add_task("", total=len(cases))

        def progress(done: int, total: int, case: str) -> None:
            bar.update(task, completed=done, total=total, description=case)

        return run_eval(
            project,
            cases,
            model_factory=lambda: load_model(model_spec),
            agent=agent,
            baseline=mode,
            rag_agent=rag_agent,
            progress=progress if show_progress else None,
            cache_dir=cache,
            concurrency=concurrency,
            skipped=skipped,
        )


@eval_group.command("run")
@click.argument("transcripts", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--agent", default="support_bot", show_default=True)
@click.option(
    "--baseline",
    type=click.Choice(["full", "rag-only", "both"]),
    default="both",
    show_default=True,
    help="rag-only: the same model with help-center search only (the example's faq_bot agent).",
)
@click.option("--rag-agent", default="faq_bot", show_default=True, help="Agent used for the rag-only baseline.")
@click.option("--model", "model_spec", help="provider:name (default: the offline planner).")
@click.option("--recorded", is_flag=True, help="Score the agent turns recorded in the transcripts; run no agent.")
@click.option("--concurrency", default=1, show_default=True, help="Transcripts replayed at once.")
@click.option("--judge", "judge_spec", help="provider:name of an optional LLM judge (reported, never gated).")
@click.option("--limit", type=int, help="Only the first N transcripts.")
@click.option(
    "--repeat",
    type=int,
    default=1,
    show_default=True,
    help="Run the full agent K times (uncached after the first): pass^k and flip rate.",
)
@click.option(
    "--cache",
    "cache_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Cache folder (default: .agentkit/eval-cache); unchanged cases are not re-run.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write report.json, report.md and report.html into this folder.",
)
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="Write the JSON report.")
@click.option("--markdown", "md_out", type=click.Path(dir_okay=False, path_type=Path), help="Write a Markdown report.")
@click.option("--gate", "gates", multiple=True, help="metric=value threshold, e.g. fact_recall=0.4 (exit 1 if missed).")
@click.pass_context
@handle_errors
def eval_run(
    ctx: click.Context,
    transcripts: Path | None,
    agent: str,
    baseline: str,
    rag_agent: str,
    model_spec: str | None,
    recorded: bool,
    concurrency: int,
    judge_spec: str | None,
    limit: int | None,
    repeat: int,
    cache_dir: Path | None,
    out_dir: Path | None,
    json_out: Path | None,
    md_out: Path | None,
    gates: tuple[str, ...],
) -> None:
    """Replay TRANSCRIPTS (JSON lines) at each conversation's own time, as its customer."""
    from agentkit.chat import load_model
    from agentkit.eval import report
    from agentkit.eval.judge import CachedJudge, ChatModelJudge
    from agentkit.eval.reporting import assemble
    from agentkit.eval.runner import score_recorded
    from agentkit.eval.transcripts import load_transcripts_lenient

    project = project_of(ctx)
    thresholds = _thresholds(project, gates)
    source = transcripts
    if source is None and project.config.eval.transcripts:
        source = project.config.resolve(project.config.eval.transcripts)
    if source is None:
        raise UsageError("name the transcripts file, or set [eval] transcripts in agentkit.toml")
    cases, problems = load_transcripts_lenient(source)
    for problem in problems:
        click.echo(f"skipped: {problem}", err=True)
    cases = cases[:limit]
    cache = cache_dir or project.config.state_dir / "eval-cache"

    replay = partial(
        _replay, project, cases, model_spec=model_spec, agent=agent, rag_agent=rag_agent, skipped=len(problems)
    )
    if recorded:
        runs = [score_recorded(project, cases, agent=agent)]  # recorded replies: no agent runs
    else:
        modes: list[Baseline] = (
            ["full", "rag-only"] if baseline == "both" else ["rag-only" if baseline == "rag-only" else "full"]
        )
        runs = [replay(mode, cache=cache, concurrency=max(1, concurrency), show_progress=True) for mode in modes]
    main_run, baseline_run = runs[0], (runs[1] if len(runs) > 1 else None)
    repeats = [main_run, *(replay("full") for _ in range(max(0, repeat - 1)))]
    click.echo(report.table(main_run, baseline_run))
    judge = None
    if judge_spec is not None:
        judge = CachedJudge(ChatModelJudge(load_model(judge_spec), judge_spec), cache / "judge")
    result = assemble(main_run, baseline=baseline_run, thresholds=thresholds, judge=judge, repeats=repeats)
    for line in result.summary_lines():
        click.echo(line)
    result.write(out_dir=out_dir, json_out=json_out, md_out=md_out)
    for failure in result.failures:
        click.echo(f"gate failed: {failure}", err=True)
    if result.failures:
        sys.exit(EXIT_GATE)


@eval_group.command("compare")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@handle_errors
def eval_compare(old: Path, new: Path) -> None:
    """Compare two report.json files case by case; exit 1 when a case regressed."""
    from agentkit.eval import report

    comparison = report.compare(report.load_run(old), report.load_run(new))
    click.echo(report.comparison_markdown(comparison))
    if comparison.get("regressions"):
        sys.exit(EXIT_GATE)


COMMANDS: tuple[click.Command, ...] = (eval_group,)
