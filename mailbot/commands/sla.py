"""``mailbot sla``: the response-policy report (text, JSON or CSV, and charts)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from mailbot.commands.common import App, emit_json, pass_app
from mailbot.policy.response import ResponsePolicy, load_response_policy
from mailbot.service import policy_files
from mailbot.sla_digest import format_duration, format_share, group_as_dict, report_as_dict
from mailbot.sla_report import GroupBy, GroupFigures, SlaReport, build_report
from mailbot.sla_report_input import since_start
from mailbot.store.reports import ReportQueries

DEFAULT_SINCE = "30d"


def collect_report(
    store: ReportQueries, policy: ResponsePolicy, *, now: datetime, since: datetime, by: GroupBy | None
) -> SlaReport:
    """Read what the report needs from the store and compute it (shared with the web UI and digest)."""
    return build_report(
        store.sla_histories(since), store.open_threads(), policy=policy, now=now, since=since, by=by
    )


_COLUMNS = (
    ("open", 6),
    ("due soon", 8),
    ("breached", 8),
    ("clocks", 7),
    ("answered", 8),
    ("within", 7),
    ("decided", 7),
    ("share", 6),
    ("median", 8),
    ("p90", 8),
)


def _row(g: GroupFigures) -> tuple[str, ...]:
    return (
        str(g.open_threads),
        str(g.due_soon),
        str(g.breached),
        str(g.clocks),
        str(g.answered),
        str(g.within_target),
        str(g.decided),
        format_share(g.within_target_share),
        format_duration(g.median_first_response),
        format_duration(g.p90_first_response),
    )


def _text(report: SlaReport) -> str:
    zone = ZoneInfo(report.time_zone)
    t = report.total
    lines = [
        f"SLA report since {report.since.astimezone(zone):%Y-%m-%d %H:%M} ({report.time_zone}),"
        f" as of {report.generated_at.astimezone(zone):%Y-%m-%d %H:%M}",
        f"open now: {t.open_threads} (due soon {t.due_soon}, breached {t.breached})",
        f"clocks started: {t.clocks}; answered {t.answered} (late {t.late}), unanswered past due"
        f" {t.overdue}, still in time {t.waiting}, closed without reply {t.closed_unanswered}",
        f"within target: {t.within_target} of {t.decided} decided ({format_share(t.within_target_share)})",
        f"first response: median {format_duration(t.median_first_response)},"
        f" 90th percentile {format_duration(t.p90_first_response)}",
    ]
    if report.by is not None:
        width = max([len(report.by.value), *(len(g.key) for g in (*report.groups, t))])
        header = "  ".join([f"{report.by.value:<{width}}", *(f"{name:>{w}}" for name, w in _COLUMNS)])
        lines += ["", header]
        for g in (*report.groups, t):
            lines.append(
                "  ".join(
                    [f"{g.key:<{width}}", *(f"{v:>{w}}" for v, (_, w) in zip(_row(g), _COLUMNS, strict=True))]
                )
            )
    return "\n".join(lines)


def _csv(report: SlaReport) -> str:
    """The group table: the total row ``(all)`` first, then one row per group."""
    rows = [group_as_dict(g) for g in (report.total, *report.groups)]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="text for people; json is one object; csv is the group table (total row first).",
)
@click.option(
    "--since",
    default=DEFAULT_SINCE,
    show_default=True,
    metavar="DATE",
    help="Count clocks started from this local day on: YYYY-MM-DD, or Nd for N days ago.",
)
@click.option("--by", "by", type=click.Choice([g.value for g in GroupBy]), help="Split the figures by this.")
@click.option(
    "--charts",
    "charts_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write daily volume and within-target charts (PNG and SVG) to this folder.",
)
@pass_app
def sla(app: App, fmt: str, since: str, by: str | None, charts_dir: Path | None) -> None:
    """Response-policy report: open, due soon and breached threads; the share
    answered within target; median and 90th-percentile first-response time.

    A clock starts at a customer message that finds none running and ends at
    the first reply; its due time is recomputed from the response policy.
    The share within target counts answered clocks and unanswered ones past
    their due time. Days and --since are in the policy's time zone.
    """
    policy = load_response_policy(policy_files(app.config)["response"])
    now = datetime.now(UTC)
    try:
        start = since_start(since, ZoneInfo(policy.time_zone), now)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--since'") from None
    report = collect_report(app.store, policy, now=now, since=start, by=GroupBy(by) if by else None)
    if fmt == "json":
        emit_json(report_as_dict(report))
    elif fmt == "csv":
        click.echo(_csv(report), nl=False)
    else:
        click.echo(_text(report))
    if charts_dir is not None:
        from mailbot.sla_charts import write_charts  # matplotlib loads only when asked for

        for path in write_charts(report, charts_dir):
            click.echo(f"wrote {path}", err=True)
