"""The review UI over a real store with a fake pipeline context: auth, roles, CSRF, sanitising, actions."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Mount, Route

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 fork for its test client; httpx works the same here.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mailbot.config import Config
from mailbot.gate import Role
from mailbot.mail.parse import parse_message
from mailbot.model import Channel, Classification, DraftText, Finding, Severity
from mailbot.pipeline import PipelineContext
from mailbot.policy.response import load_response_policy
from mailbot.sla_service import SlaClock
from mailbot.store import Store
from mailbot.web.app import create_app
from tests import web_seed
from tests.web_seed import PASSWORD, ROOT

INTENTS = (("delivery", "Delivery"), ("billing", "Billing"), ("legal", "Legal"), ("other", "Other"))


def check(text: str, language: str, intent: str, channel: str) -> list[Finding]:
    found = []
    for word, severity in (("guarantee", Severity.BLOCKER), ("unfortunately", Severity.WARNING)):
        start = text.lower().find(word)
        if start >= 0:
            found.append(
                Finding(
                    f"no-{word}",
                    "guarantee",
                    severity,
                    start,
                    start + len(word),
                    text[start : start + len(word)],
                    f"avoid {word}",
                    ("we expect",),
                )
            )
    return found


def classify(text: str, subject: str, reference: datetime) -> Classification:
    if "betaald" in text:
        return Classification("nl", 0.99, "billing", 0.9)
    return Classification(
        "en", 0.99, "delivery", 0.3 if "invoice" in text else 0.9, needs_triage="invoice" in text
    )


def draft(detail: dict[str, object], c: Classification) -> DraftText:
    return DraftText(
        c.language,
        c.intent,
        f"{c.language}/{c.intent}",
        "Re: your message",
        "Thank you for writing.\nWe are looking into it.",
    )


@pytest.fixture
def ctx(tmp_path: Path) -> PipelineContext:
    def print_letter(draft_row: dict[str, object], detail: dict[str, object], text: str) -> Path:
        path = tmp_path / "print" / f"draft-{draft_row['id']}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        return path

    return PipelineContext(
        own_addresses=frozenset({"support@shop.example", "sales@shop.example"}),
        classify=classify,
        draft=draft,
        check=check,
        clock=SlaClock(load_response_policy(ROOT / "policies" / "response.toml")),
        always_approve=frozenset({"legal"}),
        letter_readers={"test": parse_message},  # the seeded letters are written like e-mail
        print_letter=print_letter,
    )


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return web_seed.write_config(tmp_path)


@pytest.fixture
def store(config: Config) -> Iterator[Store]:
    opened = Store(config.store_path)
    yield opened
    opened.close()


@pytest.fixture
def threads(store: Store, ctx: PipelineContext) -> dict[str, int]:
    web_seed.add_people(store)
    return web_seed.seed_threads(store, ctx)


@pytest.fixture
def app(config: Config, store: Store, ctx: PipelineContext, threads: dict[str, int]):
    return create_app(config, store, lambda: ctx, intents_factory=lambda: INTENTS, secret_key="s" * 32)


def token(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def login(app, name: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    response = client.post(
        "/login", data={"csrf": token(client), "name": name, "password": PASSWORD, "next": "/"}
    )
    assert response.status_code == 303, response.text[:300]
    return client


def draft_of(store: Store, thread_id: int) -> dict[str, Any]:
    return store.drafts_for_thread(thread_id)[-1]


# -- routes and roles -------------------------------------------------------------------------

A, C, D = "agent", "compliance", "admin"
EVERYONE = {A, C, D}
EXPECTED_ROLES: dict[tuple[str, str], set[str] | None] = {
    ("GET", "/login"): None,
    ("POST", "/login"): None,
    ("POST", "/logout"): EVERYONE,
    ("GET", "/account"): EVERYONE,
    ("POST", "/account/time-zone"): EVERYONE,
    ("POST", "/account/password"): EVERYONE,
    ("GET", "/"): EVERYONE,
    ("GET", "/threads/{thread_id:int}"): EVERYONE,
    ("GET", "/messages/{message_id:int}/html"): EVERYONE,
    ("GET", "/messages/{message_id:int}/parts/{part_index:int}"): EVERYONE,
    ("GET", "/messages/{message_id:int}/scan"): EVERYONE,
    ("POST", "/drafts/{draft_id:int}/save"): EVERYONE,
    ("POST", "/drafts/{draft_id:int}/send"): {A, D},
    ("POST", "/drafts/{draft_id:int}/discard"): {A, D},
    ("POST", "/drafts/{draft_id:int}/posted"): {A, D},
    ("POST", "/threads/{thread_id:int}/close"): {A, D},
    ("POST", "/messages/{message_id:int}/intent"): {A, D},
    ("POST", "/api/drafts/{draft_id:int}/check"): EVERYONE,
    ("GET", "/compliance"): {C, D},
    ("POST", "/drafts/{draft_id:int}/approve"): {C},
    ("POST", "/drafts/{draft_id:int}/return"): {C},
    ("GET", "/admin"): {D},
    ("GET", "/admin/policies"): {D},
    ("POST", "/admin/policies/reload"): {D},
    ("GET", "/admin/users"): {D},
    ("POST", "/admin/users"): {D},
    ("POST", "/admin/users/{name:str}/{what:str}"): {D},
    ("GET", "/admin/sla"): {D},
    ("GET", "/admin/sla/charts/{chart:str}.svg"): {D},
    ("GET", "/admin/errors"): {D},
    ("POST", "/admin/errors/retry"): {D},
}


def all_routes(app) -> list[tuple[str, str, Any]]:
    found: list[tuple[str, str, Any]] = []
    for route in app.routes:
        if isinstance(route, Mount):
            assert route.path == "/static"
            continue
        assert isinstance(route, Route)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            found.append((method, route.path, route.endpoint))
    return found


def concrete(path: str) -> str:
    return (
        path.replace("{thread_id:int}", "99999")
        .replace("{message_id:int}", "99999")
        .replace("{draft_id:int}", "99999")
        .replace("{part_index:int}", "0")
        .replace("{name:str}", "nobody")
        .replace("{what:str}", "disable")
        .replace("{chart:str}", "volume")
    )


def test_every_route_is_in_the_role_table_with_its_roles(app) -> None:
    seen = {}
    for method, path, endpoint in all_routes(app):
        roles = getattr(endpoint, "roles", "unmarked")
        assert roles != "unmarked", f"{method} {path} has no role guard"
        seen[(method, path)] = None if not roles else {str(r) for r in roles}
    assert seen == EXPECTED_ROLES


def test_anonymous_requests_go_to_login_or_get_401(app) -> None:
    client = TestClient(app, follow_redirects=False)
    for method, path, _ in all_routes(app):
        if EXPECTED_ROLES[(method, path)] is None:
            continue
        response = client.request(method, concrete(path), data={"csrf": token(client)})
        if method == "GET":
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login?next=")
        else:
            assert response.status_code == 401, path


def test_each_role_is_refused_where_it_does_not_belong(app) -> None:
    for name, role in web_seed.PEOPLE.items():
        client = login(app, name)
        csrf = token(client, "/account")
        for method, path, _ in all_routes(app):
            allowed = EXPECTED_ROLES[(method, path)]
            if allowed is None or path == "/logout":
                continue
            headers = {"x-csrf-token": csrf}
            kwargs = {"json": {"text": "x"}} if path.startswith("/api/") else {"data": {"csrf": csrf}}
            response = client.request(method, concrete(path), headers=headers, **kwargs)
            if role.value in allowed:
                assert response.status_code not in (401, 403), (name, method, path, response.status_code)
            else:
                assert response.status_code == 403, (name, method, path, response.status_code)


# -- login, sessions, CSRF ----------------------------------------------------------------------


def test_login_sets_a_hardened_cookie_and_wrong_passwords_lock_the_account(app) -> None:
    client = TestClient(app, follow_redirects=False)
    csrf = token(client)
    response = client.post("/login", data={"csrf": csrf, "name": "ann", "password": PASSWORD})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    other = TestClient(app, follow_redirects=False)
    csrf = token(other)
    for _ in range(5):
        refused = other.post("/login", data={"csrf": csrf, "name": "carl", "password": "wrong password!"})
        assert refused.status_code == 401 and "Wrong name or password" in refused.text
    locked = other.post("/login", data={"csrf": csrf, "name": "carl", "password": PASSWORD})
    assert locked.status_code == 401


def test_secure_cookie_behind_tls(config: Config, store: Store, ctx: PipelineContext, threads) -> None:
    app = create_app(
        config, store, lambda: ctx, intents_factory=lambda: INTENTS, secret_key="s" * 32, secure_cookies=True
    )
    client = TestClient(app, follow_redirects=False)
    response = client.post("/login", data={"csrf": token(client), "name": "ann", "password": PASSWORD})
    assert "secure" in response.headers["set-cookie"].lower()


@pytest.mark.parametrize(
    ("data", "headers"),
    [
        ({"text": "We guarantee it."}, {}),
        ({"text": "We guarantee it.", "csrf": "forged"}, {}),
        ({"text": "We guarantee it.", "csrf": "REAL"}, {"origin": "https://evil.example"}),
    ],
    ids=["missing", "wrong", "cross-origin"],
)
def test_forms_without_the_sessions_csrf_token_are_refused(app, store: Store, threads, data, headers) -> None:
    client = login(app, "ann")
    real = token(client, "/account")
    sent = {k: (real if v == "REAL" else v) for k, v in data.items()}
    did = draft_of(store, threads["urgent"])["id"]
    before = store.draft(did)["text"]
    response = client.post(f"/drafts/{did}/save", data=sent, headers=headers)
    assert response.status_code == 403 and "out of date" in response.text
    assert store.draft(did)["text"] == before
    ok = client.post(f"/drafts/{did}/save", data={"text": "Changed.", "csrf": real})
    assert ok.status_code == 303 and store.draft(did)["text"] == "Changed."


def test_login_form_itself_needs_the_token(app) -> None:
    client = TestClient(app, follow_redirects=False)
    client.get("/login")
    assert client.post("/login", data={"name": "ann", "password": PASSWORD}).status_code == 403


def test_live_check_needs_the_header_token(app, store: Store, threads) -> None:
    client = login(app, "ann")
    did = draft_of(store, threads["urgent"])["id"]
    assert client.post(f"/api/drafts/{did}/check", json={"text": "x"}).status_code == 403
    csrf = token(client, "/account")
    found = client.post(
        f"/api/drafts/{did}/check", json={"text": "Sadly, we guarantee it."}, headers={"x-csrf-token": csrf}
    )
    assert found.json()["counts"] == {"blocker": 1, "warning": 0, "info": 0}
    assert [(f["start"], f["end"], f["severity"]) for f in found.json()["findings"]] == [(10, 19, "blocker")]


def test_disabling_or_a_new_password_ends_sessions_and_logout_cannot_be_replayed(app, store: Store) -> None:
    from mailbot import users

    client = login(app, "ann")
    assert client.get("/").status_code == 200
    users.set_disabled(store, "ann", disabled=True)
    assert client.get("/").status_code == 303
    users.set_disabled(store, "ann", disabled=False)
    assert client.get("/").status_code == 200
    users.set_password(store, "ann", "another long password")
    assert client.get("/").status_code == 303
    users.set_password(store, "ann", PASSWORD)
    client = login(app, "ann")
    stolen = dict(client.cookies)
    client.post("/logout", data={"csrf": token(client, "/account")})
    replay = TestClient(app, follow_redirects=False, cookies=stolen)
    assert replay.get("/").status_code == 303


def test_next_after_login_stays_on_this_site(app) -> None:
    client = TestClient(app, follow_redirects=False)
    response = client.post(
        "/login",
        data={"csrf": token(client), "name": "ann", "password": PASSWORD, "next": "//evil.example/x"},
    )
    assert response.headers["location"] == "/"


# -- what people see -------------------------------------------------------------------------


def test_queue_sorted_by_due_time_with_badges_counts_and_filters(app, threads) -> None:
    client = login(app, "ann")
    page = client.get("/").text
    order = [int(n) for n in re.findall(r'href="/threads/(\d+)" data-row-link', page)]
    assert order[0] == threads["urgent"] and set(order) == set(threads.values())
    assert "due-soon" in page.split("data-row-link")[0] or "Due soon" in page
    assert re.search(r"<strong>4</strong> open", page)
    assert re.search(r"<strong>1</strong> need triage", page)
    only_sales = client.get("/?mailbox=sales").text
    assert re.findall(r'href="/threads/(\d+)" data-row-link', only_sales) == [str(threads["attached"])]
    dutch = client.get("/?language=nl").text
    assert re.findall(r'href="/threads/(\d+)" data-row-link', dutch) == [str(threads["fresh"])]
    none = client.get("/?approval=1").text
    assert "Nothing matches these filters" in none


def test_customer_html_is_sanitised_and_served_sandboxed(app, store: Store, threads) -> None:
    client = login(app, "ann")
    page = client.get(f"/threads/{threads['xss']}")
    assert "<script>document" not in page.text and "onerror=alert" not in page.text
    assert "&lt;script&gt;" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert re.search(r'<iframe sandbox src="/messages/\d+/html"', page.text)
    mid = int(re.search(r"/messages/(\d+)/html", page.text).group(1))  # type: ignore[union-attr]
    frame = client.get(f"/messages/{mid}/html")
    lowered = frame.text.lower()
    for bad in ("<script", "onerror", "onload", "onmouseover", "javascript:", "tracker.example"):
        assert bad not in lowered, bad
    assert "[remote image blocked]" in frame.text and "my order is late" in frame.text
    csp = frame.headers["content-security-policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp and "script" not in csp


def test_attachments_download_never_render(app, store: Store, threads) -> None:
    client = login(app, "ann")
    page = client.get(f"/threads/{threads['attached']}").text
    link = re.search(r'href="(/messages/\d+/parts/\d+)" download>invoice.pdf', page)
    assert link, page
    response = client.get(link.group(1))
    assert response.content == b"%PDF-1.4 test"
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == 'attachment; filename="invoice.pdf"'
    assert response.headers["x-content-type-options"] == "nosniff"


# -- actions ----------------------------------------------------------------------------------


def test_blocker_goes_to_compliance_who_approves_then_the_agent_sends_a_letter(
    app, store: Store, ctx
) -> None:
    tid = web_seed.ingest(
        store, ctx, web_seed.email("Brief", "Waar blijft het?"), hours_ago=3, channel=Channel.LETTER
    )
    did = draft_of(store, tid)["id"]
    ann = login(app, "ann")
    csrf = token(ann, "/account")
    ann.post(f"/drafts/{did}/save", data={"csrf": csrf, "text": "We guarantee delivery tomorrow."})
    assert store.draft(did)["state"] == "needs_approval"
    refused = ann.post(f"/drafts/{did}/send", data={"csrf": csrf}, follow_redirects=True)
    assert "needs a compliance reviewer" in refused.text and store.draft(did)["state"] == "needs_approval"
    assert ann.post(f"/drafts/{did}/approve", data={"csrf": csrf, "reason": "ok"}).status_code == 403
    carl = login(app, "carl")
    review = carl.get("/compliance").text
    assert f'id="d{did}"' in review and '<mark class="blocker"' in review and "<ins>" in review
    carl_csrf = token(carl, "/compliance")
    empty = carl.post(
        f"/drafts/{did}/approve", data={"csrf": carl_csrf, "reason": " "}, follow_redirects=True
    )
    assert "needs a reason" in empty.text and store.draft(did)["state"] == "needs_approval"
    carl.post(f"/drafts/{did}/approve", data={"csrf": carl_csrf, "reason": "carrier contract covers it"})
    assert store.draft(did)["state"] == "approved"
    ann.post(f"/drafts/{did}/send", data={"csrf": csrf, "text": "We guarantee delivery tomorrow."})
    assert store.draft(did)["state"] == "sending"
    ann.post(f"/drafts/{did}/posted", data={"csrf": csrf})
    assert store.draft(did)["state"] == "sent" and store.thread(tid).state.value == "answered"
    history = ann.get(f"/threads/{tid}").text
    assert "carrier contract covers it" in history and "posted" in history


def test_warnings_must_be_acknowledged_in_the_send_form(app, store: Store, ctx) -> None:
    tid = web_seed.ingest(store, ctx, web_seed.email("Letter", "Hello?"), hours_ago=1, channel=Channel.LETTER)
    did = draft_of(store, tid)["id"]
    ann = login(app, "ann")
    csrf = token(ann, "/account")
    text = "Unfortunately it is late."
    page = ann.post(f"/drafts/{did}/send", data={"csrf": csrf, "text": text}, follow_redirects=True).text
    assert "acknowledge the warnings" in page and store.draft(did)["state"] == "draft"
    ann.post(f"/drafts/{did}/send", data={"csrf": csrf, "text": text, "acknowledge": "1"})
    assert store.draft(did)["state"] == "sending"


def test_return_close_and_intent_correction(app, store: Store, threads) -> None:
    did = draft_of(store, threads["urgent"])["id"]
    ann = login(app, "ann")
    csrf = token(ann, "/account")
    ann.post(f"/drafts/{did}/save", data={"csrf": csrf, "text": "We guarantee it."})
    carl = login(app, "carl")
    carl.post(
        f"/drafts/{did}/return", data={"csrf": token(carl, "/account"), "comment": "no guarantees please"}
    )
    assert store.draft(did)["state"] == "draft"
    assert "no guarantees please" in ann.get(f"/threads/{threads['urgent']}").text
    mid = store.draft(did)["message_id"]
    ann.post(f"/messages/{mid}/intent", data={"csrf": csrf, "intent": "billing"})
    assert store.message(mid).intent == "billing" and [c["new_intent"] for c in store.corrections()] == [
        "billing"
    ]
    bad = ann.post(
        f"/messages/{mid}/intent", data={"csrf": csrf, "intent": "nonsense"}, follow_redirects=True
    )
    assert "unknown intent" in bad.text
    no_reason = ann.post(
        f"/threads/{threads['fresh']}/close", data={"csrf": csrf, "reason": ""}, follow_redirects=True
    )
    assert "needs a reason" in no_reason.text and store.thread(threads["fresh"]).state.value == "open"
    ann.post(f"/threads/{threads['fresh']}/close", data={"csrf": csrf, "reason": "solved by phone"})
    assert store.thread(threads["fresh"]).closed_reason == "solved by phone"


def test_admin_adds_and_disables_people_and_retries_errors(app, store: Store, ctx) -> None:
    ada = login(app, "ada")
    csrf = token(ada, "/admin/users")
    ada.post(
        "/admin/users", data={"csrf": csrf, "name": "bob", "role": "agent", "password": "bobs long password"}
    )
    assert store.user("bob")["role"] == "agent"  # type: ignore[index]
    ada.post("/admin/users/bob/disable", data={"csrf": csrf})
    assert store.user("bob")["disabled"] == 1  # type: ignore[index]
    own = ada.post("/admin/users/ada/disable", data={"csrf": csrf}, follow_redirects=True)
    assert "cannot disable your own" in own.text
    mid = store.thread_message_ids(next(iter(t.id for t in store.queue())))[0]
    store.record_error(mid, store.message(mid).stage, "boom")
    assert "boom" in ada.get("/admin/errors").text
    ada.post("/admin/errors/retry", data={"csrf": csrf, "message": str(mid)})
    assert store.message(mid).error is None
    assert "valid" in ada.get("/admin/policies").text
    assert "support@shop.example" in ada.get("/admin").text
    assert "On time" in ada.get("/admin/sla").text


def test_policy_reload_that_fails_keeps_the_policies_in_force(
    config: Config, store: Store, ctx: PipelineContext, threads: dict[str, int]
) -> None:
    from mailbot.errors import ConfigError

    calls = {"n": 0}

    def factory() -> PipelineContext:
        calls["n"] += 1
        if calls["n"] > 1:
            raise ConfigError("bad rule", path="wording/en.toml", line=3)
        return ctx

    app = create_app(config, store, factory, intents_factory=lambda: INTENTS, secret_key="s" * 32)
    ada = login(app, "ada")
    assert app.state.web.ctx is ctx  # built once, on first use
    page = ada.post("/admin/policies/reload", data={"csrf": token(ada, "/admin")}, follow_redirects=True).text
    assert "Reload refused" in page and "wording/en.toml:3" in page
    assert app.state.web.ctx is ctx


def test_times_are_shown_in_the_users_time_zone(app, store: Store, threads) -> None:
    ann = login(app, "ann")
    ann.post("/account/time-zone", data={"csrf": token(ann, "/account"), "time_zone": "Asia/Bangkok"})
    due = store.thread(threads["urgent"]).due_at
    assert due is not None
    local = due.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Bangkok")).strftime("%H:%M")
    utc = due.astimezone(UTC).strftime("%H:%M")
    page = ann.get(f"/threads/{threads['urgent']}").text
    assert local in page and "Times in Asia/Bangkok" in page
    assert local != utc


def test_not_found_and_role_errors_are_pages_not_tracebacks(app) -> None:
    ann = login(app, "ann")
    missing = ann.get("/threads/99999")
    assert missing.status_code == 404 and "does not exist" in missing.text
    admin = ann.get("/admin")
    assert admin.status_code == 403 and "may not open this page" in admin.text
    assert Role.AGENT.value in admin.text


@pytest.mark.integration
async def test_serve_answers_until_cancelled_then_frees_the_port(tmp_path: Path) -> None:
    import asyncio
    import socket

    import httpx

    from mailbot.web.server import serve

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = web_seed.write_config(tmp_path, port=port)
    store = Store(config.store_path)
    task = asyncio.create_task(serve(config, store))
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(100):
                try:
                    response = await client.get(f"http://127.0.0.1:{port}/login")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            assert response.status_code == 200 and "Log in to mailbot" in response.text
            assert "frame-ancestors 'self'" in response.headers["content-security-policy"]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        store.close()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # free again


def test_sla_report_with_charts_when_the_store_can_make_one(config: Config, ctx: PipelineContext) -> None:
    from mailbot.store.reports import ReportQueries

    class ReportingStore(Store, ReportQueries):
        pass

    store = ReportingStore(config.store_path)
    try:
        web_seed.add_people(store)
        web_seed.seed_threads(store, ctx)
        app = create_app(config, store, lambda: ctx, intents_factory=lambda: INTENTS, secret_key="s" * 32)
        ada = login(app, "ada")
        page = ada.get("/admin/sla?since=7d&by=language").text
        assert re.search(r'<th scope="row">nl</th><td class="num">1</td>', page), page
        assert 'src="/admin/sla/charts/volume.svg?since=7d"' in page
        chart = ada.get("/admin/sla/charts/volume.svg?since=7d")
        assert chart.headers["content-type"] == "image/svg+xml" and chart.content.lstrip().startswith(
            b"<?xml"
        )
        assert b"<script" not in chart.content
        assert ada.get("/admin/sla/charts/nonsense.svg").status_code == 404
    finally:
        store.close()


def _image(fmt: str, pages: int = 1) -> bytes:
    import io

    from PIL import Image

    frames = [Image.new("L", (60, 80), color=40 * (n + 1)) for n in range(pages)]
    out = io.BytesIO()
    frames[0].save(out, format=fmt, save_all=pages > 1, append_images=frames[1:])
    return out.getvalue()


@pytest.mark.parametrize(
    ("scan", "page", "expected"),
    [("PNG", 1, "image/png"), ("JPEG", 1, "image/jpeg"), ("TIFF", 2, "image/png"), ("PNG", 2, None)],
)
def test_letter_scans_are_shown_page_by_page(
    app, store: Store, scan: str, page: int, expected: str | None
) -> None:
    from mailbot.model import RawMessage

    data = _image(scan, pages=2 if scan == "TIFF" else 1)
    mid, _ = store.store_raw(
        RawMessage(data, "scans", "a.scan", datetime.now(UTC), Channel.LETTER), mailbox="support"
    )
    response = login(app, "ann").get(f"/messages/{mid}/scan?page={page}")
    if expected is None:
        assert response.status_code == 404
        return
    assert response.status_code == 200 and response.headers["content-type"] == expected
    import io

    from PIL import Image

    with Image.open(io.BytesIO(response.content)) as shown:
        assert shown.size == (60, 80)
        assert shown.convert("L").getpixel((5, 5)) == pytest.approx(40 * page, abs=3)


def test_a_pdf_scan_is_rasterised(app, store: Store) -> None:
    from mailbot.model import RawMessage

    pdf = _image("PDF")
    mid, _ = store.store_raw(
        RawMessage(pdf, "scans", "b.pdf", datetime.now(UTC), Channel.LETTER), mailbox="support"
    )
    response = login(app, "ann").get(f"/messages/{mid}/scan")
    assert response.status_code == 200 and response.content.startswith(b"\x89PNG")


def test_an_email_has_no_scan(app, threads, store: Store) -> None:
    mid = store.thread_message_ids(threads["urgent"])[0]
    assert login(app, "ann").get(f"/messages/{mid}/scan").status_code == 404


@pytest.mark.integration
async def test_the_ui_reloads_policies_when_their_files_change(
    config: Config, store: Store, ctx: PipelineContext, tmp_path: Path
) -> None:
    import asyncio
    import shutil

    from mailbot.web.server import watch_policies

    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    moved = web_seed.load_config_with(config, policies=policies)
    built: list[PipelineContext] = []

    def factory() -> PipelineContext:
        from mailbot import service

        service.load_policies(moved)  # raises on an invalid file
        built.append(ctx)
        return ctx

    app = create_app(moved, store, factory, intents_factory=lambda: INTENTS, secret_key="s" * 32)
    task = asyncio.create_task(watch_policies(app.state.web, interval=0.05))
    try:
        for _ in range(100):
            if built:
                break
            await asyncio.sleep(0.02)
        assert len(built) == 1  # warmed up at start
        intents = policies / "intents.toml"
        intents.write_text(intents.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
        for _ in range(200):
            if len(built) == 2:
                break
            await asyncio.sleep(0.02)
        assert len(built) == 2
        intents.write_text("triage_threshold = 'not a number'\n", encoding="utf-8")
        await asyncio.sleep(0.5)
        assert len(built) == 2 and app.state.web.ctx is ctx  # invalid change: the old context stays
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_admin_sees_when_each_source_was_polled_and_its_last_error(tmp_path: Path, ctx) -> None:
    from mailbot import service

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    config = web_seed.write_config(
        tmp_path, extra=f'\n[[folders]]\nname = "inbox"\npath = "{inbox}"\nmailbox = "support"\n'
    )
    store = Store(config.store_path)
    try:
        web_seed.add_people(store)
        app = create_app(config, store, lambda: ctx, intents_factory=lambda: INTENTS, secret_key="s" * 32)
        ada = login(app, "ada")
        assert "not polled yet" in ada.get("/admin").text
        service.poll_sources(config, store)
        page = ada.get("/admin").text
        assert (
            "folder:inbox" in page
            and "last OK" in page
            and "error" not in page.split("folder:inbox")[1][:200]
        )
        inbox.rmdir()  # the share went away
        service.poll_sources(config, store)
        page = ada.get("/admin").text
        assert "folder does not exist" in page
        assert store.source_health()["folder:inbox"]["last_error"].endswith(str(inbox))
    finally:
        store.close()
