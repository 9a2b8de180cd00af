"""The review UI end to end: a real `mailbot serve`, headless Chromium, an aiosmtpd server.

Chromium is Debian's (/usr/bin/chromium) driven by Playwright's Python
package; no browser is downloaded. The store is seeded with the real
pipeline (repository policies and phrasebank), people log in through the
login form, and the screenshots of the queue and the thread view are saved
under tests/artifacts/.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailbot import service
from mailbot.store import Store
from tests import web_seed
from tests.web_seed import PASSWORD, ROOT

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVE = (
    "import sys; from mailbot.cli import cli; from mailbot.commands.serve import serve;"
    " cli.add_command(serve); sys.exit(cli(prog_name='mailbot'))"
)
"""`mailbot serve`, whether or not the command is registered in this version of cli.py."""

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """What the test SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(bytes(envelope.original_content or envelope.content))
        return "250 OK"


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[int, Inbox]]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, smtp: tuple[int, Inbox]) -> Iterator[dict[str, Any]]:
    """A seeded store and `mailbot serve` running on it."""
    folder = tmp_path_factory.mktemp("web-e2e")
    port = free_port()
    config = web_seed.write_config(folder, port=port, smtp_port=smtp[0])
    store = Store(config.store_path)
    ctx = service.build_context(config)
    web_seed.add_people(store)
    threads = web_seed.seed_threads(store, ctx)
    threads["second"] = web_seed.ingest(
        store,
        ctx,
        web_seed.email("Damaged lamp", "The lamp arrived broken. What now?", sender="dirk@home.example"),
        hours_ago=4,
    )
    store.close()
    env = {**os.environ, "MAILBOT_SECRET_KEY": "e2e-" + "k" * 40}
    log = (folder / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, "--config", str(config.file), "serve"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/login", timeout=2):  # noqa: S310 - our own local server
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"mailbot serve did not start:\n{(folder / 'serve.log').read_text()}")
            time.sleep(0.2)
    yield {"base": base, "config": config, "threads": threads, "inbox": smtp[1], "log": folder / "serve.log"}
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield launched
        launched.close()


def log_in(browser: Any, base: str, name: str) -> Any:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, timezone_id="Europe/Amsterdam")
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def draft_state(site: dict[str, Any], thread: str) -> str:
    store = Store(site["config"].store_path)
    try:
        return str(store.drafts_for_thread(site["threads"][thread])[-1]["state"])
    finally:
        store.close()


def test_agent_edits_until_a_blocker_shows_fixes_it_and_sends(site: dict[str, Any], browser: Any) -> None:
    base = site["base"]
    page = log_in(browser, base, "ann")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-queue.png"), full_page=True)
    page.locator("a[data-row-link]").first.click()
    page.wait_for_url(f"{base}/threads/{site['threads']['urgent']}")
    assert page.locator("h1").inner_text() == "Where is my parcel?"
    editor = page.locator("#draft-text")
    editor.click()
    editor.press("Control+End")
    editor.type("\nWe guarantee delivery tomorrow.", delay=5)
    page.locator("#findings .finding.blocker").first.wait_for()
    assert page.locator(".backdrop mark.blocker").first.inner_text().lower().startswith("we guarantee")
    page.screenshot(path=str(ARTIFACTS / "web-thread.png"), full_page=True)
    text = editor.input_value().replace("We guarantee delivery tomorrow.", "We expect delivery tomorrow.")
    editor.fill(text)
    playwright_api.expect(page.locator("#findings .finding.blocker")).to_have_count(0)
    assert page.locator(".backdrop mark.blocker").count() == 0
    if page.locator("#acknowledge").is_visible():
        page.check("#acknowledge input")
    page.click("#send-button")
    page.locator(".note.ok", has_text="Reply queued for sending").wait_for()
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from mailbot import outbox

    # Deliver the way the daemon's outbox job does; in a thread of its own,
    # because Playwright's sync API already runs an event loop in this one.
    store = Store(site["config"].store_path)
    try:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, outbox.deliver_due(site["config"], store)).result()
    finally:
        store.close()
    deadline = time.monotonic() + 20
    while not site["inbox"].messages and time.monotonic() < deadline:
        time.sleep(0.2)
    assert site["inbox"].messages, "the reply did not arrive at the test SMTP server"
    delivered = email.message_from_bytes(site["inbox"].messages[-1], policy=email.policy.default)
    assert isinstance(delivered, email.message.EmailMessage)
    body = delivered.get_body(("plain",))
    assert body is not None and "We expect delivery tomorrow." in body.get_content()
    assert delivered["To"].addresses[0].addr_spec == "cara@customer.example"


def test_blocker_draft_goes_to_compliance_who_approves_it(site: dict[str, Any], browser: Any) -> None:
    base = site["base"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    thread_id = site["threads"]["second"]
    agent = log_in(browser, base, "ann")
    agent.goto(f"{base}/threads/{thread_id}")
    agent.locator("#draft-text").fill("We guarantee a new lamp within two days.")
    agent.locator("#findings .finding.blocker").first.wait_for()
    agent.click("button:has-text('Save')")
    agent.locator(".note.ok", has_text="compliance reviewer must approve").wait_for()
    assert draft_state(site, "second") == "needs_approval"
    reviewer = log_in(browser, base, "carl")
    reviewer.click("nav >> text=Compliance")
    card = reviewer.locator("article.review", has_text="Damaged lamp")
    assert card.locator("mark.blocker").count() >= 1
    reviewer.screenshot(path=str(ARTIFACTS / "web-compliance.png"), full_page=True)
    card.locator("input[name=reason]").fill("Replacement stock confirmed by the warehouse")
    card.locator("button:has-text('Approve')").click()
    reviewer.locator(".note.ok", has_text="approved").wait_for()
    assert draft_state(site, "second") == "approved"
    agent.reload()
    assert "Approved by carl" in agent.locator("#draft").inner_text()


def test_an_agent_cannot_reach_admin_pages_or_approve(site: dict[str, Any], browser: Any) -> None:
    base = site["base"]
    page = log_in(browser, base, "ann")
    assert page.locator("nav >> text=Admin").count() == 0
    response = page.goto(f"{base}/admin/users")
    assert response is not None and response.status == 403
    assert "may not open this page" in page.content()
    page.goto(f"{base}/threads/{site['threads']['fresh']}")
    status = page.evaluate(
        """async () => {
            const csrf = document.querySelector('input[name=csrf]').value;
            const body = new URLSearchParams({csrf: csrf, reason: 'I approve myself'});
            const r = await fetch('/drafts/1/approve', {method: 'POST', body: body, redirect: 'manual'});
            return r.status;
        }"""
    )
    assert status == 403


def test_script_and_onerror_payloads_run_nothing(site: dict[str, Any], browser: Any) -> None:
    base = site["base"]
    page = log_in(browser, base, "ann")
    dialogs: list[str] = []

    def refuse(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    page.goto(f"{base}/threads/{site['threads']['xss']}")
    title = page.title()
    page.click("summary:has-text('Formatted (HTML) version')")
    frame = page.frame_locator("iframe[sandbox]")
    frame.locator("text=my order is late").wait_for()
    page.wait_for_timeout(500)
    assert dialogs == []
    assert "PWNED" not in page.title() and page.title() == title
    assert page.evaluate("document.title") == title
    assert "<script>document.title" in page.locator("h1").inner_text()  # shown as text, not run
    assert frame.locator("script").count() == 0
    assert frame.locator("[onerror], [onload], [onmouseover]").count() == 0
    assert frame.locator("text=[remote image blocked]").count() == 2


def test_a_form_without_its_csrf_token_is_refused(site: dict[str, Any], browser: Any) -> None:
    base = site["base"]
    page = log_in(browser, base, "ann")
    page.goto(f"{base}/threads/{site['threads']['attached']}")
    before = page.locator("#draft-text").input_value()
    page.evaluate("document.querySelector('#draft-form input[name=csrf]').remove()")
    page.locator("#draft-text").fill("Forged change.")
    with page.expect_navigation() as navigation:
        page.click("button:has-text('Save')")
    response = navigation.value
    assert response is not None and response.status == 403
    assert "out of date" in page.content()
    page.goto(f"{base}/threads/{site['threads']['attached']}")
    assert page.locator("#draft-text").input_value() == before


@pytest.fixture(autouse=True, scope="module")
def _keep_the_serve_log(site: dict[str, Any]) -> Iterator[None]:
    """The server's log beside the screenshots, for reading after a failure."""
    yield
    if ARTIFACTS.exists():
        shutil.copy(site["log"], ARTIFACTS / "web-e2e-serve.log")
