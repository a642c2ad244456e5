"""``agentkit ingest``, ``materialize``, ``history``, ``status`` and ``compact``: the data of the
applied views, from files to Iceberg to the online store."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from agentkit.cli._common import emit_json, handle_errors, project_of

__all__ = ["COMMANDS", "compact", "history", "ingest", "materialize", "status"]


@click.command()
@click.argument("view")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--available-at", help="Backfill: when the platform could have known these rows (ISO 8601).")
@click.option("--upsert", is_flag=True, help="Replace rows with the same key and event time.")
@click.option("--dedupe", is_flag=True, help="Keep the last of rows repeating a key and event time (else refused).")
@click.option("--allow-future", is_flag=True, help="Accept event times past now + [offline] future_tolerance.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def ingest(
    ctx: click.Context,
    view: str,
    path: Path,
    available_at: str | None,
    upsert: bool,
    dedupe: bool,
    allow_future: bool,
    as_json: bool,
) -> None:
    """Validate PATH (.parquet, .csv, .jsonl) against VIEW and append it in one commit.

    Rows already ingested (the same validated rows, whatever the file) are not written again.
    """
    result = project_of(ctx).ingest(
        view, path, available_at=available_at, upsert=upsert, dedupe=dedupe, allow_future=allow_future
    )
    if as_json:
        emit_json(asdict(result))
    elif result.already_ingested:
        click.echo(f"{result.view}: already ingested (snapshot {result.snapshot_id}); nothing written.")
    else:
        dropped = f", {result.duplicates_dropped} duplicate(s) dropped" if result.duplicates_dropped else ""
        click.echo(
            f"Ingested {result.rows} row(s) into {result.view} (snapshot {result.snapshot_id}, {result.mode}{dropped})."
        )


@click.command()
@click.argument("views", nargs=-1)
@click.option("--full", is_flag=True, help="Rebuild from the whole current snapshot.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def materialize(ctx: click.Context, views: tuple[str, ...], full: bool, as_json: bool) -> None:
    """Load the latest value per key into the online store (incremental when possible)."""
    from rich.progress import Progress

    project = project_of(ctx)
    with Progress(transient=True, disable=as_json) as bar:
        task = bar.add_task("materializing", total=None)

        def progress(view: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"materialized {view}")

        results = project.materialize(list(views) or None, full=full, progress=progress)
    if as_json:
        emit_json([asdict(r) for r in results])
        return
    for r in results:
        click.echo(
            f"{r.view}: {r.mode}, {r.rows_read} row(s) read, {r.keys} key(s) online, "
            f"snapshot {r.snapshot_id} ({r.seconds:.2f}s)"
            + (" — repaired an interrupted materialize" if r.repaired else "")
        )
        if r.held_back and r.held_until is not None:
            click.echo(
                f"  {r.held_back} row(s) not yet available held back; materialize again after "
                f"{r.held_until.isoformat(timespec='seconds')}"
            )


@click.command()
@click.argument("view")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def history(ctx: click.Context, view: str, as_json: bool) -> None:
    """List the Iceberg snapshots of VIEW (pin reads to one for exact reproducibility)."""
    snaps = project_of(ctx).history(view)
    if as_json:
        emit_json([asdict(s) for s in snaps])
        return
    for s in snaps:
        click.echo(
            f"{s.snapshot_id}  {s.committed_at.isoformat(timespec='seconds')}  {s.operation:<9} "
            f"+{s.added_rows or 0} rows, {s.total_rows or 0} total"
        )


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handle_errors
def status(ctx: click.Context, as_json: bool) -> None:
    """Each view's rows, latest event time, materialized snapshot and freshness."""
    rows = project_of(ctx).status()
    if as_json:
        emit_json([asdict(r) for r in rows])
        return
    for r in rows:
        flags: list[str] = []
        if r.stale:
            flags.append(f"STALE (older than {r.freshness})")
        if r.interrupted_at is not None:
            flags.append(
                f"materialize interrupted (started {r.interrupted_at.isoformat(timespec='seconds')}): "
                "run `agentkit materialize` to repair"
            )
        elif r.behind:
            flags.append("online store behind: run `agentkit materialize`")
        latest = r.latest_event_time.isoformat(timespec="seconds") if r.latest_event_time else "-"
        click.echo(
            f"{r.view}: {r.rows} rows, {r.snapshots} snapshot(s), latest event {latest}, "
            f"{r.online_keys} key(s) online from snapshot {r.materialized_snapshot}"
            + (f"  [{'; '.join(flags)}]" if flags else "")
        )


@click.command()
@click.argument("views", nargs=-1)
@click.pass_context
@handle_errors
def compact(ctx: click.Context, views: tuple[str, ...]) -> None:
    """Rewrite small files, expire snapshots older than [offline] snapshot_retention, and remove
    data files no snapshot references (left by killed ingests) once older than [offline] min_orphan_age."""
    for r in project_of(ctx).compact(list(views) or None):
        click.echo(
            f"{r['view']}: {r['files_before']} -> {r['files_after']} data file(s), "
            f"{r['snapshots_expired']} snapshot(s) expired, {r['orphans_removed']} orphan file(s) removed"
        )


COMMANDS: tuple[click.Command, ...] = (ingest, materialize, history, status, compact)
