"""The ``agentkit`` command. ``agentkit --help`` and ``agentkit COMMAND --help`` are the reference.

Conventions (DESIGN.md): ``--json`` for machine output; exit 0 on success, 1 when a check or gate
failed, 2 for a usage or input error (a one-line message, no traceback).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from functools import wraps
from pathlib import Path
from typing import Any, Literal, ParamSpec, TypeVar

import click

from agentkit.errors import AgentkitError, PlanError

__all__ = ["main"]

P = ParamSpec("P")
R = TypeVar("R")

EXIT_GATE = 1
EXIT_INPUT = 2


class UsageError(Exception):
    """A wrong combination of options (exit 2)."""


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn agentkit errors into one line on stderr and the documented exit code."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except PlanError as exc:
            _fail(exc.message, EXIT_GATE)
        except UsageError as exc:
            _fail(str(exc), EXIT_INPUT)
        except AgentkitError as exc:
            _fail(exc.message, EXIT_INPUT)
        raise AssertionError("unreachable")

    return wrapper


def _project(ctx: click.Context) -> Any:
    from agentkit.project import Project

    project = Project.load(ctx.obj["config"])
    ctx.call_on_close(project.close)  # flushes the audit buffer
    return project


def _emit_json(data: Any) -> None:
    from agentkit.features.results import jsonable

    click.echo(json.dumps(data, default=jsonable, indent=2))


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
    ctx.ensure_object(dict)
    ctx.obj["config"] = config
    import logging

    # bm25s sets its own logger to DEBUG when imported; its index-build chatter is not for users.
    logging.getLogger("bm25s").addFilter(lambda record: record.levelno >= logging.WARNING)


@main.command()
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


def _eval_gate(project: Any, transcripts: Path, limit: int | None, max_drop: float) -> list[str]:
    """Evaluate the applied and the planned definitions on the same transcripts; the regressions."""
    from agentkit.agent import PlannerModel
    from agentkit.eval import report
    from agentkit.eval.runner import run_eval
    from agentkit.eval.transcripts import load_transcripts_lenient

    cases = load_transcripts_lenient(transcripts)[0][:limit]
    current = run_eval(project, cases, model_factory=PlannerModel)
    planned = run_eval(project.preview(), cases, model_factory=PlannerModel)
    comparison = report.compare(current, planned)
    click.echo(report.comparison_markdown(comparison))
    failures = report.gate(planned, dict(project.config.eval.thresholds))
    old, new = report.summary(current)["overall"], report.summary(planned)["overall"]
    for metric in ("fact_recall", "feature_recall"):
        before, after = old.get(metric) or 0.0, new.get(metric) or 0.0
        if after < before - max_drop:
            failures.append(f"{metric} drops from {before:.3f} to {after:.3f} with the planned definitions")
    return failures


@main.command()
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
    project = _project(ctx)
    result = project.plan()
    if as_json:
        _emit_json(
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


@main.command()
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
    project = _project(ctx)
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


@main.command()
@click.argument("view")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--available-at", help="Backfill: when the platform could have known these rows (ISO 8601).")
@click.option("--upsert", is_flag=True, help="Replace rows with the same key and event time.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def ingest(ctx: click.Context, view: str, path: Path, available_at: str | None, upsert: bool, as_json: bool) -> None:
    """Validate PATH (.parquet, .csv, .jsonl) against VIEW and append it in one commit."""
    result = _project(ctx).ingest(view, path, available_at=available_at, upsert=upsert)
    if as_json:
        _emit_json({"view": result.view, "rows": result.rows, "snapshot_id": result.snapshot_id, "mode": result.mode})
    else:
        click.echo(f"Ingested {result.rows} row(s) into {result.view} (snapshot {result.snapshot_id}, {result.mode}).")


@main.command()
@click.argument("views", nargs=-1)
@click.option("--full", is_flag=True, help="Rebuild from the whole current snapshot.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def materialize(ctx: click.Context, views: tuple[str, ...], full: bool, as_json: bool) -> None:
    """Load the latest value per key into the online store (incremental when possible)."""
    from rich.progress import Progress

    project = _project(ctx)
    with Progress(transient=True, disable=as_json) as bar:
        task = bar.add_task("materializing", total=None)

        def progress(view: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"materialized {view}")

        results = project.materialize(list(views) or None, full=full, progress=progress)
    if as_json:
        _emit_json([asdict(r) for r in results])
        return
    for r in results:
        click.echo(
            f"{r.view}: {r.mode}, {r.rows_read} row(s) read, {r.keys} key(s) online, "
            f"snapshot {r.snapshot_id} ({r.seconds:.2f}s)"
        )


@main.group()
def features() -> None:
    """Read feature values."""


@features.command("get")
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
    project = _project(ctx)
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
    if as_json:
        _emit_json(
            {
                "entity": result.entity,
                "as_of": result.as_of,
                "rows": [
                    {"key": r.key, "values": r.values, "provenance": [asdict(p) for p in r.provenance]}
                    for r in result.rows
                ],
                "missing": list(result.missing),
            }
        )
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*(["key", *result.features, "event time"]))
    for row in result.rows:
        event = max(p.event_time for p in row.provenance)
        table.add_row(row.key, *(_show(row.values[f]) for f in result.features), event.isoformat())
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(table)
    if result.missing:
        click.echo(f"no rows for: {', '.join(result.missing)}")


def _show(value: Any) -> str:
    from agentkit.features.results import jsonable

    if value is None:
        return "-"
    shown = jsonable(value)
    return shown if isinstance(shown, str) else json.dumps(shown)


@main.command()
@click.argument("view")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def history(ctx: click.Context, view: str, as_json: bool) -> None:
    """List the Iceberg snapshots of VIEW (pin reads to one for exact reproducibility)."""
    snaps = _project(ctx).history(view)
    if as_json:
        _emit_json([asdict(s) for s in snaps])
        return
    for s in snaps:
        click.echo(
            f"{s.snapshot_id}  {s.committed_at.isoformat(timespec='seconds')}  {s.operation:<9} "
            f"+{s.added_rows or 0} rows, {s.total_rows or 0} total"
        )


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def status(ctx: click.Context, as_json: bool) -> None:
    """Each view's rows, latest event time, materialized snapshot and freshness."""
    rows = _project(ctx).status()
    if as_json:
        _emit_json([asdict(r) for r in rows])
        return
    for r in rows:
        flags = []
        if r.stale:
            flags.append(f"STALE (older than {r.freshness})")
        if r.behind:
            flags.append("online store behind: run `agentkit materialize`")
        latest = r.latest_event_time.isoformat(timespec="seconds") if r.latest_event_time else "-"
        click.echo(
            f"{r.view}: {r.rows} rows, {r.snapshots} snapshot(s), latest event {latest}, "
            f"{r.online_keys} key(s) online from snapshot {r.materialized_snapshot}"
            + (f"  [{'; '.join(flags)}]" if flags else "")
        )


@main.group()
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

    explanation = _project(ctx).explain(Principal(agent=agent, subject=user, roles=roles, tenant=tenant), as_of=as_of)
    click.echo(explanation.render())


@policy.command("check")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def policy_check(ctx: click.Context, as_json: bool) -> None:
    """Validate the policy against the applied definitions and known tools (exit 1 on problems)."""
    project = _project(ctx)
    problems = project.check_policy()
    if as_json:
        _emit_json([asdict(p) for p in problems])
    else:
        for p in problems:
            click.echo(p.message)
        click.echo(f"{len(problems)} problem(s)" if problems else "policy OK")
    if problems:
        sys.exit(EXIT_GATE)


def _default_demo_dir() -> Path:
    import os

    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "agentkit" / "demo"


def _print_reply(reply: Any, *, as_json: bool) -> None:
    trace = reply.trace
    if as_json:
        _emit_json({"answer": reply.answer, "trace": trace.to_dict()})
        return
    click.echo(reply.answer)
    cited = trace.features_cited + trace.documents_cited
    click.echo(f"\n  sources: {', '.join(cited) or 'none'}")
    calls = ", ".join(f"{c.name}{'' if c.ok else ' (refused)'}" for c in trace.tool_calls)
    click.echo(f"  tools:   {calls or 'none'}")
    for f in trace.features:
        click.echo(f"  read:    {f.ref}[{f.key}] = {f.value!r} (snapshot {f.snapshot_id}, event {f.event_time})")


def _converse(project: Any, model_spec: str | None, user: str, agent: str, once: str | None, as_json: bool) -> None:
    from agentkit.chat import Session, load_model

    session = Session(project, load_model(model_spec), user=user, agent=agent)
    if once is not None:
        _print_reply(session.ask(once), as_json=as_json)
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
        _print_reply(session.ask(question), as_json=as_json)
        click.echo()


@main.command()
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


@main.command()
@click.option("--user", required=True, help="The end user to act as.")
@click.option("--agent", default="support_bot", show_default=True)
@click.option("--once", help="Ask one question and exit.")
@click.option("--model", "model_spec", help="provider:name for a real chat model (default: the offline planner).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def chat(ctx: click.Context, user: str, agent: str, once: str | None, model_spec: str | None, as_json: bool) -> None:
    """Chat with your project's agent as USER."""
    _converse(_project(ctx), model_spec, user, agent, once, as_json)


@main.group(name="eval")
def eval_group() -> None:
    """Replay recorded support transcripts and score the answers (no LLM judge)."""


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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from agentkit.chat import load_model
    from agentkit.eval import report
    from agentkit.eval.html import to_html
    from agentkit.eval.runner import run_eval, score_recorded
    from agentkit.eval.transcripts import load_transcripts_lenient

    project = _project(ctx)
    thresholds: dict[str, float] = dict(project.config.eval.thresholds)  # [eval] thresholds, then --gate
    for item in gates:
        name, sep, value = item.partition("=")
        try:
            thresholds[name.strip()] = float(value)
        except ValueError:
            raise UsageError(f"--gate {item!r}: use metric=number, e.g. fact_recall=0.4") from None
        if not sep:
            raise UsageError(f"--gate {item!r}: use metric=number, e.g. fact_recall=0.4")
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
    runs = []
    if recorded:
        runs.append(score_recorded(project, cases, agent=agent))  # recorded replies: no agent runs
    else:
        modes: list[Literal["full", "rag-only"]] = (
            ["full", "rag-only"] if baseline == "both" else ["rag-only" if baseline == "rag-only" else "full"]
        )
        for mode in modes:
            columns = (TextColumn(f"{mode:<8}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"))
            with Progress(*columns, transient=True, disable=not sys.stderr.isatty()) as bar:
                task = bar.add_task("", total=len(cases))

                def progress(done: int, total: int, case: str, task: Any = task, bar: Any = bar) -> None:
                    bar.update(task, completed=done, total=total, description=case)

                runs.append(
                    run_eval(
                        skipped=len(problems),
                        project=project,
                        transcripts=cases,
                        model_factory=lambda: load_model(model_spec),
                        agent=agent,
                        baseline=mode,
                        rag_agent=rag_agent,
                        progress=progress,
                        cache_dir=cache,
                        concurrency=max(1, concurrency),
                    )
                )  # type: ignore[arg-type]
    main_run = runs[0]
    repeats = [main_run]
    for _ in range(max(0, repeat - 1)):
        repeats.append(
            run_eval(
                project,
                cases,
                model_factory=lambda: load_model(model_spec),
                agent=agent,
                baseline="full",
                rag_agent=rag_agent,
                cache_dir=None,
                skipped=len(problems),
            )
        )
    click.echo(report.table(main_run, runs[1] if len(runs) > 1 else None))
    judged: dict[str, float] | None = None
    if judge_spec is not None:
        from agentkit.eval.judge import CachedJudge, ChatModelJudge

        judge = CachedJudge(ChatModelJudge(load_model(judge_spec), judge_spec), cache / "judge")
        verdicts = [
            judge.judge(turn.question, turn.answer, json.dumps(turn.features_read, default=str)[:6000])
            for case in main_run.transcripts
            for turn in case.turns
            if turn.scored
        ]
        if verdicts:
            judged = {
                "faithfulness": sum(v.faithfulness for v in verdicts) / len(verdicts),
                "helpfulness": sum(v.helpfulness for v in verdicts) / len(verdicts),
            }
            click.echo(
                f"judge {judge_spec} (not gated): faithfulness {judged['faithfulness']:.3f}, "
                f"helpfulness {judged['helpfulness']:.3f} over {len(verdicts)} turn(s)"
            )
    if repeat > 1:
        stats = report.repeat_stats(repeats)
        click.echo(
            f"repeat {stats['k']}: pass^k {stats['pass_k']:.3f}, pass@1 {stats['pass_1']:.3f}, "
            f"flip rate {stats['flip_rate']:.3f} over {stats['cases']} case(s)"
        )
    if len(runs) > 1:
        comparison = report.compare(runs[1], runs[0])
        click.echo(report.comparison_markdown(comparison))
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        json_out = json_out or out_dir / "report.json"
        md_out = md_out or out_dir / "report.md"
        comparison = dict(report.compare(runs[1], runs[0])) if len(runs) > 1 else None
        (out_dir / "report.html").write_text(to_html(main_run, runs[1] if len(runs) > 1 else None, comparison))
    if json_out is not None:
        data = report.to_json(main_run, thresholds=thresholds)
        if judged is not None:
            data["judge"] = {"model": judge_spec, **judged}
        if len(runs) > 1:
            data["baseline_run"] = report.to_json(runs[1])
            data["comparison"] = dict(report.compare(runs[1], runs[0]))
        json_out.write_text(report.dumps(data))
    if md_out is not None:
        text = report.to_markdown(main_run, thresholds=thresholds)
        if len(runs) > 1:
            text += "\n\n" + report.comparison_markdown(report.compare(runs[1], runs[0]))
        md_out.write_text(text)
    failures = report.gate(main_run, thresholds)
    for failure in failures:
        click.echo(f"gate failed: {failure}", err=True)
    if failures:
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


@main.group()
def docs() -> None:
    """Index and search the help center."""


@docs.command("index")
@click.argument("paths", nargs=-1)
@click.option("--full", is_flag=True, help="Replace the index with exactly these documents (else add/update).")
@click.pass_context
@handle_errors
def docs_index(ctx: click.Context, paths: tuple[str, ...], full: bool) -> None:
    """Index PATHS (folders, files or globs of .md/.txt/.html; default: [retrieval] documents).

    Unchanged chunks are never re-embedded; every document version is kept for --as-of search."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from agentkit.retrieval.loaders import load_documents

    project = _project(ctx)
    sources = list(paths) or [str(project.config.resolve(p)) for p in project.config.retrieval.documents]
    if not sources:
        raise UsageError("name the documents to index, or set [retrieval] documents in agentkit.toml")
    loaded = load_documents(sources)
    for problem in loaded.problems:
        click.echo(f"skipped {problem.path}: {problem.reason}", err=True)
    columns = (TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("embedding", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        index = project.docs
        stats = (index.build if full else index.add)(loaded.documents, progress=progress)
    project.save_docs()
    click.echo(f"indexed {len(loaded.documents)} document(s): {stats}")


@docs.command("search")
@click.argument("query")
@click.option("-k", "k", default=5, show_default=True)
@click.option("--as-of", help="Search the help center as it was at this time.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def docs_search(ctx: click.Context, query: str, k: int, as_of: str | None, as_json: bool) -> None:
    """Hybrid (meaning + words) search of the help center."""
    hits = _project(ctx).search_docs(query, k=k, as_of=as_of)
    if as_json:
        _emit_json([h.model_dump(mode="json") for h in hits])
        return
    if not hits:
        click.echo("no results (is the help center indexed? run `agentkit docs index`)")
    for h in hits:
        snippet = " ".join(h.text.split())[:160]
        click.echo(f"{h.score:.4f}  {h.document_id}  {h.title} > {h.heading}\n        {snippet}")


@main.group()
def catalog() -> None:
    """Search and lint the semantic catalog of features."""


@catalog.command("search")
@click.argument("intent")
@click.option("--agent", required=True, help="Only features this agent may read are searched.")
@click.option("--user", help="End user (roles and tenant as for a token).")
@click.option("--role", "roles", multiple=True)
@click.option("-k", "k", default=8, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def catalog_search(
    ctx: click.Context, intent: str, agent: str, user: str | None, roles: tuple[str, ...], k: int, as_json: bool
) -> None:
    """Features that fit INTENT, restricted before ranking to what AGENT may read."""
    from agentkit.governance.principal import Principal

    hits = _project(ctx).search_catalog(Principal(agent=agent, subject=user, roles=roles), intent, k=k)
    if as_json:
        _emit_json([asdict(h) for h in hits])
        return
    if not hits:
        click.echo("no readable feature matches")
    for h in hits:
        unit = f" [{h.unit}]" if h.unit else ""
        click.echo(f"{h.ref:<40} {h.dtype}{unit}  {h.description}\n{'':<40} ({h.why})")


@catalog.command("lint")
@click.option(
    "--transcripts",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Recorded transcripts (JSON lines): customer questions no feature covers are reported.",
)
@click.option("--max-findings", default=0, show_default=True, help="Exit 1 when there are more findings than this.")
@click.option("--duplicate-threshold", default=0.92, show_default=True)
@click.option("--coverage-threshold", default=0.35, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def catalog_lint(
    ctx: click.Context,
    transcripts: Path | None,
    max_findings: int,
    duplicate_threshold: float,
    coverage_threshold: float,
    as_json: bool,
) -> None:
    """Useless descriptions, near-duplicates, and customer intents no feature covers."""
    questions: list[str] = []
    if transcripts is not None:
        from agentkit.eval.transcripts import load_transcripts

        questions = [q for t in load_transcripts(transcripts) for q in t.customer_questions]
    report = (
        _project(ctx)
        .catalog()
        .lint(questions=questions, duplicate_threshold=duplicate_threshold, coverage_threshold=coverage_threshold)
    )
    if as_json:
        _emit_json([asdict(f) for f in report.findings])
    else:
        for finding in report.findings:
            click.echo(f"{finding.kind:<20} {finding.message}")
        click.echo(f"{len(report.findings)} finding(s)")
    if len(report.findings) > max_findings:
        sys.exit(EXIT_GATE)


@main.command()
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

    project = _project(ctx)
    if transport == "stdio":
        if token_file is None:
            raise UsageError("stdio needs a token: --token-file PATH (there is no unauthenticated mode)")
        try:
            token = token_file.read_text().strip()
        except OSError as exc:
            raise UsageError(f"cannot read the token file {token_file}: {exc}") from exc
        build_mcp_server(project, session_token=token).run("stdio")
        return
    import os

    import uvicorn

    project.applied()  # fail fast, with a clear message, if nothing was applied
    if workers > 1:
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
        )
        return
    app = build_mcp_server(project, host=host, port=port).streamable_http_app()
    import gc

    gc.freeze()  # start-up objects never need collecting: avoids long full-collection pauses under load
    click.echo(f"agentkit MCP server on http://{host}:{port}/mcp (health: /healthz, metrics: /metrics)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@main.group()
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

    project = _project(ctx)
    try:
        lifetime = parse_duration(ttl)
    except ValueError as exc:
        raise UsageError(f"--ttl {ttl!r}: {exc}") from exc
    when = parse_as_of(as_of)
    click.echo(
        TokenService(project.config).issue(
            agent=agent, subject=user, ttl=lifetime, roles=roles, tenant=tenant, as_of=when
        )
    )


@main.group()
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
    table = _project(ctx).query_audit(sql)
    rows = table.to_pylist()
    if as_json:
        _emit_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    out = Table(*table.column_names)
    for row in rows:
        out.add_row(*(_show(v) for v in row.values()))
    Console(width=None if sys.stdout.isatty() else 200).print(out)


@audit.command("commit")
@click.pass_context
@handle_errors
def audit_commit(ctx: click.Context) -> None:
    """Move spooled audit records into the `_audit` Iceberg table."""
    click.echo(f"committed {_project(ctx).commit_audit()} audit record(s)")


@main.command()
@click.argument("views", nargs=-1)
@click.pass_context
@handle_errors
def compact(ctx: click.Context, views: tuple[str, ...]) -> None:
    """Rewrite small files and expire snapshots older than [offline] snapshot_retention."""
    for r in _project(ctx).compact(list(views) or None):
        click.echo(
            f"{r['view']}: {r['files_before']} -> {r['files_after']} data file(s), "
            f"{r['snapshots_expired']} snapshot(s) expired"
        )


def run() -> None:  # pragma: no cover - console entry point
    main(prog_name="agentkit")


if __name__ == "__main__":  # pragma: no cover
    run()
