"""Getting mail in and through the pipeline: ingest, poll, errors, retry."""

from __future__ import annotations

from pathlib import Path

import click

from mailbot import service
from mailbot.commands.common import App, emit_json, format_option, pass_app
from mailbot.sources.folder import ingest_paths


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--mailbox", "mailbox_name", help="Mailbox the messages belong to (default: the first).")
@click.option("--no-process", is_flag=True, help="Only store the raw messages; do not run the pipeline.")
@format_option
@pass_app
def ingest(app: App, paths: tuple[Path, ...], mailbox_name: str | None, no_process: bool, fmt: str) -> None:
    """Import .eml files, folders (plain or Maildir) or mbox files once.

    Each message is stored once by content hash, so importing the same
    files again adds nothing.
    """
    name = mailbox_name or app.config.settings.mailboxes[0].name
    app.config.mailbox(name)
    result = ingest_paths(app.store, list(paths), mailbox_name=name)
    sweep = None if no_process else service.process_pending(app.config, app.store)
    summary = {
        "stored": result.stored,
        "duplicates": result.duplicates,
        "skipped": [{"ref": ref, "reason": why} for ref, why in result.skipped],
        "processed": sweep.completed if sweep else 0,
        "failed": len(sweep.failed) if sweep else 0,
    }
    if fmt == "json":
        emit_json(summary)
        return
    click.echo(f"stored {result.stored} new message(s), {result.duplicates} already known")
    for ref, why in result.skipped:
        click.echo(f"skipped {ref}: {why}", err=True)
    if sweep:
        click.echo(f"processed {sweep.completed}, failed {len(sweep.failed)} (see `mailbot errors`)")


@click.command()
@click.option("--once", is_flag=True, required=True, help="Poll every source one time, then exit.")
@click.option("--mailbox", "mailbox_name", help="Only this mailbox's IMAP folders (and no scan folders).")
@format_option
@pass_app
def poll(app: App, once: bool, mailbox_name: str | None, fmt: str) -> None:
    """Poll the configured sources once and run the pipeline."""
    progress = None if fmt == "json" else (lambda line: click.echo(line, err=True))
    report = service.poll_sources(app.config, app.store, mailbox_name=mailbox_name, progress=progress)
    sweep = service.process_pending(app.config, app.store)
    report["processed"] = sweep.completed
    report["failed"] = len(sweep.failed)
    if fmt == "json":
        emit_json(report)
        return
    for name, figures in report["sources"].items():
        click.echo(f"{name}: {figures}")
    click.echo(f"processed {sweep.completed}, failed {len(sweep.failed)}")
    if report["errors"]:
        for name, error in report["errors"].items():
            click.echo(f"{name}: error: {error}", err=True)
        raise SystemExit(1)


@click.command("errors")
@format_option
@pass_app
def errors_cmd(app: App, fmt: str) -> None:
    """List messages that failed a pipeline stage, with the error."""
    failed = app.store.errors()
    for msg in failed:
        row = {
            "message": msg.id,
            "stage": msg.error_stage,
            "attempts": msg.attempts,
            "error": msg.error,
            "source": msg.source,
            "ref": msg.source_ref,
            "subject": msg.subject,
        }
        if fmt == "json":
            emit_json(row)
        else:
            click.echo(f"#{msg.id} [{msg.error_stage}] x{msg.attempts} {msg.source_ref}: {msg.error}")
    if not failed and fmt == "text":
        click.echo("no errors")


@click.command()
@click.argument("message_ids", nargs=-1, type=int)
@click.option("--all", "all_", is_flag=True, help="Retry every failed message.")
@pass_app
def retry(app: App, message_ids: tuple[int, ...], all_: bool) -> None:
    """Retry failed messages from the stage where they stopped."""
    if not message_ids and not all_:
        raise click.UsageError("name message ids or pass --all")
    cleared = app.store.clear_errors(None if all_ else list(message_ids))
    sweep = service.process_pending(app.config, app.store)
    click.echo(f"retried {cleared}: {sweep.completed} completed, {len(sweep.failed)} failed again")
    for message_id, stage, reason in sweep.failed:
        click.echo(f"#{message_id} [{stage}] {reason}", err=True)
    if sweep.failed:
        raise SystemExit(1)
