"""Reading the work: the queue, one thread, a message's HTML, attachments and scans."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from mailbot.errors import NotFoundError
from mailbot.users import Actor
from mailbot.web import sanitize, scans, views
from mailbot.web.auth import ALL_ROLES, guard
from mailbot.web.state import render, web_state


@guard(ALL_ROLES)
def queue(request: Request, who: Actor) -> Response:
    state = web_state(request)
    wanted = views.QueueFilter.from_query(dict(request.query_params))
    mailboxes = [box.name for box in state.config.settings.mailboxes]
    page = views.queue_page(state.store, wanted, mailboxes, datetime.now(UTC))
    return render(request, "queue.html", page=page, wanted=wanted, intent_labels=dict(state.intents))


def _int(request: Request, name: str) -> int:
    value = request.path_params[name]
    assert isinstance(value, int)
    return value


@guard(ALL_ROLES)
def thread(request: Request, who: Actor) -> Response:
    state = web_state(request)
    try:
        view = views.thread_page(state.store, _int(request, "thread_id"), datetime.now(UTC))
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    return render(request, "thread.html", view=view, intents=state.intents, intent_labels=dict(state.intents))


def _message(request: Request) -> tuple[int, dict[str, object]]:
    message_id = _int(request, "message_id")
    try:
        return message_id, web_state(request).store.message_detail(message_id)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc


@guard(ALL_ROLES)
def message_html(request: Request, who: Actor) -> Response:
    """The customer's HTML, cleaned, as a page of its own for the sandboxed frame."""
    message_id, detail = _message(request)
    html = detail.get("html")
    if not isinstance(html, str) or not html:
        raise HTTPException(404, "this message has no HTML version")
    attachments = detail.get("attachments")
    cids = {
        str(a["content_id"]): int(a["part_index"])
        for a in (attachments if isinstance(attachments, list) else [])
        if isinstance(a, dict) and a.get("content_id")
    }
    raw = web_state(request).store.raw_bytes(message_id)
    body = sanitize.clean_html(html, sanitize.inline_images(raw, cids) if cids else {})
    language = detail.get("language")
    page = sanitize.frame_document(body, language if isinstance(language, str) else None)
    return HTMLResponse(page, headers={"Content-Security-Policy": sanitize.FRAME_CSP})


@guard(ALL_ROLES)
def attachment(request: Request, who: Actor) -> Response:
    """One attachment, always as a download, never rendered under our origin."""
    message_id, detail = _message(request)
    index = _int(request, "part_index")
    listed = detail.get("attachments")
    entry = next(
        (
            a
            for a in (listed if isinstance(listed, list) else [])
            if isinstance(a, dict) and a.get("part_index") == index
        ),
        None,
    )
    if entry is None:
        raise HTTPException(404, "no such attachment")
    part = sanitize.mime_part(web_state(request).store.raw_bytes(message_id), index)
    if part is None:
        raise HTTPException(404, "the attachment could not be read from the stored message")
    name = sanitize.download_name(str(entry.get("filename") or ""), f"attachment-{index}")
    return Response(
        part.data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@guard(ALL_ROLES)
def scan(request: Request, who: Actor) -> Response:
    """A page of a scanned letter as an image (``?page=N``, from 1)."""
    message_id, detail = _message(request)
    if detail.get("channel") != "letter":
        raise HTTPException(404, "only letters have a scan")
    page = request.query_params.get("page", "1")
    number = int(page) if page.isdigit() and 0 < int(page) < 1000 else 1
    shown = scans.page_image(web_state(request).store.raw_bytes(message_id), number)
    if shown is None:
        raise HTTPException(404, f"the scan has no page {number} that can be shown")
    return Response(shown[0], media_type=shown[1])


routes = [
    Route("/", queue, methods=["GET"]),
    Route("/threads/{thread_id:int}", thread, methods=["GET"]),
    Route("/messages/{message_id:int}/html", message_html, methods=["GET"]),
    Route("/messages/{message_id:int}/parts/{part_index:int}", attachment, methods=["GET"]),
    Route("/messages/{message_id:int}/scan", scan, methods=["GET"]),
]
