"""The SLA report for admins: figures per group, daily charts, and what is overdue now.

The figures come from :func:`mailbot.commands.sla.collect_report` (the same
computation as ``mailbot sla``); the charts from :mod:`mailbot.sla_charts`,
rendered as SVG on request. When the store of this version cannot give the
report's history, the page shows the snapshot of open threads only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailbot.model import ThreadState
from mailbot.users import Actor
from mailbot.web import views
from mailbot.web.auth import ADMINS, guard
from mailbot.web.state import WebState, render, web_state

PERIODS = ("7d", "30d", "90d")
GROUPINGS = ("mailbox", "intent", "language", "agent")


def _choice(request: Request, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.query_params.get(name, default)
    return value if value in allowed else default


def report(state: WebState, since: str, by: str) -> Any | None:
    """The SLA report of the last ``since`` grouped ``by``, or None if this store cannot make one."""
    if not hasattr(state.store, "sla_histories"):
        return None
    from mailbot.commands.sla import collect_report
    from mailbot.policy.response import load_response_policy
    from mailbot.service import policy_files
    from mailbot.sla_report import GroupBy
    from mailbot.sla_report_input import since_start

    policy = load_response_policy(policy_files(state.config)["response"])
    now = datetime.now(UTC)
    start = since_start(since, ZoneInfo(policy.time_zone), now)
    return collect_report(state.store, policy, now=now, since=start, by=GroupBy(by))


def snapshot(state: WebState) -> tuple[dict[str, Counter[str]], list[Any]]:
    """Open threads by SLA state per mailbox, and the breached ones."""
    now = datetime.now(UTC)
    table: dict[str, Counter[str]] = defaultdict(Counter)
    overdue = []
    for thread in state.store.queue(limit=views.QUEUE_SCAN, states=(ThreadState.OPEN,)):
        level = views.sla_of(state.store, thread, now) or "no_clock"
        table[thread.mailbox][level] += 1
        if level == "breached":
            overdue.append(thread)
    return dict(table), overdue


@guard(ADMINS)
def sla_page(request: Request, who: Actor) -> Response:
    state = web_state(request)
    since = _choice(request, "since", PERIODS, "30d")
    by = _choice(request, "by", GROUPINGS, "mailbox")
    table, overdue = snapshot(state)
    figures = report(state, since, by)
    from mailbot.sla_digest import format_duration, format_share

    return render(
        request,
        "admin_sla.html",
        report=figures,
        since=since,
        by=by,
        periods=PERIODS,
        groupings=GROUPINGS,
        table=table,
        overdue=overdue,
        total=sum(sum(c.values()) for c in table.values()),
        duration=format_duration,
        share=format_share,
    )


@guard(ADMINS)
def sla_chart(request: Request, who: Actor) -> Response:
    """One chart of the report as SVG (drawn by matplotlib from numbers only)."""
    state = web_state(request)
    from mailbot.sla_charts import Chart, render_chart

    try:
        chart = Chart(str(request.path_params["chart"]))
    except ValueError as exc:
        raise HTTPException(404, "no such chart") from exc
    figures = report(state, _choice(request, "since", PERIODS, "30d"), "mailbox")
    if figures is None:
        raise HTTPException(404, "this version cannot draw the SLA charts")
    return Response(render_chart(figures, chart, "svg"), media_type="image/svg+xml")


routes = [
    Route("/admin/sla", sla_page, methods=["GET"]),
    Route("/admin/sla/charts/{chart:str}.svg", sla_chart, methods=["GET"]),
]
