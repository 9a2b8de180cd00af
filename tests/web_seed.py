"""Seed data for the review UI's tests: a config, a store with threads, and people.

Used by tests/test_web.py (with a fake pipeline context: fast, exact
findings) and by tests/test_web_e2e.py (with the real context built from
the repository's policies and phrasebank).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from mailbot import users
from mailbot.config import Config, load_config
from mailbot.gate import Role
from mailbot.model import Channel, RawMessage
from mailbot.pipeline import PipelineContext, sweep
from mailbot.store import Store

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"
PEOPLE = {"ann": Role.AGENT, "carl": Role.COMPLIANCE, "ada": Role.ADMIN}
XSS_SUBJECT = "Order <script>document.title='PW'+'NED'</script>"
XSS_HTML = (
    "<p>Hello <b>team</b>,</p><script>document.title='PW'+'NED';alert(1)</script>"
    "<img src=x onerror=\"document.title='PW'+'NED';alert(2)\">"
    '<img src="https://tracker.example/pixel.png" alt="pixel">'
    '<a href="javascript:alert(3)">click</a><svg onload="alert(4)"></svg>'
    '<p onmouseover="alert(5)">my order is late</p>'
)


def write_config(folder: Path, *, port: int = 8025, smtp_port: int | None = None, extra: str = "") -> Config:
    """A config over the repository's policies and phrasebank, with the store in ``folder``."""
    smtp = f'\n[mailboxes.smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\ntls = "plain"\n' if smtp_port else ""
    text = f"""
[store]
path = "{folder / "mailbot.sqlite3"}"

[paths]
policies = "{ROOT / "policies"}"
phrasebank = "{ROOT / "phrasebank"}"

[web]
host = "127.0.0.1"
port = {port}

[[mailboxes]]
name = "support"
address = "support@shop.example"
display_name = "Shop Support"
{smtp}
[[mailboxes]]
name = "sales"
address = "sales@shop.example"
{extra}"""
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def email(
    subject: str,
    body: str,
    *,
    sender: str = "Cara Customer <cara@customer.example>",
    html: str | None = None,
    attachment: tuple[str, bytes] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@shop.example"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{abs(hash((subject, body)))}@customer.example>"
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    if attachment is not None:
        msg.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    return msg.as_bytes()


def add_people(store: Store) -> None:
    for name, role in PEOPLE.items():
        users.add_user(store, name, role, PASSWORD)


def ingest(
    store: Store,
    ctx: PipelineContext,
    raw: bytes,
    *,
    hours_ago: float,
    mailbox: str = "support",
    channel: Channel = Channel.EMAIL,
) -> int:
    """Store one message received ``hours_ago`` and run the pipeline; returns the thread id."""
    received = datetime.now(UTC) - timedelta(hours=hours_ago)
    mid, _ = store.store_raw(
        RawMessage(raw, "test", f"ref-{received.timestamp()}", received, channel), mailbox=mailbox
    )
    sweep(store, ctx)
    thread_id = store.message(mid).thread_id
    assert thread_id is not None, store.message(mid).error
    return thread_id


def seed_threads(store: Store, ctx: PipelineContext) -> dict[str, int]:
    """Threads in different SLA states, languages and mailboxes; name -> thread id."""
    return {
        "urgent": ingest(
            store,
            ctx,
            email("Where is my parcel?", "Hello, my order 12345 has not arrived. Where is it?"),
            hours_ago=23,
        ),
        "fresh": ingest(
            store,
            ctx,
            email(
                "Vraag over factuur",
                "Goedendag, ik heb twee keer betaald voor bestelling 555.",
                sender="jan@klant.example",
            ),
            hours_ago=1,
        ),
        "xss": ingest(
            store,
            ctx,
            email(
                XSS_SUBJECT,
                "plain part <script>alert(6)</script>",
                sender="Evil <img src=x onerror=alert(7)> <evil@bad.example>",
                html=XSS_HTML,
            ),
            hours_ago=5,
        ),
        "attached": ingest(
            store,
            ctx,
            email(
                "Invoice attached",
                "See the invoice.",
                sender="olga@firma.example",
                attachment=("invoice.pdf", b"%PDF-1.4 test"),
            ),
            hours_ago=2,
            mailbox="sales",
        ),
    }


def load_config_with(config: Config, *, policies: Path) -> Config:
    """The same config file, with its policies read from another folder."""
    text = config.file.read_text(encoding="utf-8").replace(str(ROOT / "policies"), str(policies))
    path = config.file.with_name("config-moved.toml")
    path.write_text(text, encoding="utf-8")
    return load_config(path)
