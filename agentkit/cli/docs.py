"""``agentkit docs`` (index and search the help center) and ``agentkit catalog`` (search and lint
the semantic catalog of features)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import click

from agentkit.cli._common import EXIT_GATE, UsageError, emit_json, handle_errors, project_of

__all__ = ["COMMANDS", "catalog", "docs"]


@click.group()
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

    project = project_of(ctx)
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
    hits = project_of(ctx).search_docs(query, k=k, as_of=as_of)
    if as_json:
        emit_json([h.model_dump(mode="json") for h in hits])
        return
    if not hits:
        click.echo("no results (is the help center indexed? run `agentkit docs index`)")
    for h in hits:
        snippet = " ".join(h.text.split())[:160]
        click.echo(f"{h.score:.4f}  {h.document_id}  {h.title} > {h.heading}\n        {snippet}")


@click.group()
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

    hits = project_of(ctx).search_catalog(Principal(agent=agent, subject=user, roles=roles), intent, k=k)
    if as_json:
        emit_json([asdict(h) for h in hits])
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
        project_of(ctx)
        .catalog()
        .lint(questions=questions, duplicate_threshold=duplicate_threshold, coverage_threshold=coverage_threshold)
    )
    if as_json:
        emit_json([asdict(f) for f in report.findings])
    else:
        for finding in report.findings:
            click.echo(f"{finding.kind:<20} {finding.message}")
        click.echo(f"{len(report.findings)} finding(s)")
    if len(report.findings) > max_findings:
        sys.exit(EXIT_GATE)


COMMANDS: tuple[click.Command, ...] = (docs, catalog)
