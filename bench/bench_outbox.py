"""Outbox throughput: replies sent per second to a local aiosmtpd, with every safety step paid.

Queues N replies (2,000; 200 with ``quick``) in a fresh on-disk store, each
answering its own customer message, then times one ``deliver_due`` run that
sends them all through one SMTP connection to an aiosmtpd on 127.0.0.1 that
accepts everything. Each reply costs what it costs in production: a durable
``queued -> sending`` commit before any byte goes out, MAIL/RCPT/DATA, and one
durable transaction that stores the sent bytes as an outbound message, marks
row and draft sent and writes the audit entry. Also reported: how fast
replies are queued (MIME built, headers checked) and composed alone.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ helpers

from aiosmtpd.controller import Controller

from mailbot.mail.compose import Reply, compose_reply
from mailbot.model import Address, Channel, DraftText, RawMessage
from mailbot.outbox import deliver_due, reply_sender
from tests.dovecot import free_port
from tests.outbox_child import SUPPORT, OutboxTestStore, outbox_config

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TEXT = (
    "Hello,\n\nthank you for your message. Your order left our warehouse today and should reach you "
    "within two working days. The tracking link is in your account.\n\nKind regards\nSupport Team\n"
)


class _Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def _queue(store: OutboxTestStore, work: Path, count: int, port: int) -> float:
    """Threads, customer messages, drafts, then enqueue_outbox; returns seconds spent in enqueue."""
    config = outbox_config(work, port)
    sender = reply_sender(config, "support")
    spent = 0.0
    for n in range(count):
        raw = (
            f"From: Customer {n} <c{n}@example.net>\r\nTo: {SUPPORT}\r\nSubject: Order {n}\r\n"
            f"Message-ID: <c{n}@example.net>\r\n\r\nWhere is order {n}?\r\n"
        ).encode()
        message, _ = store.store_raw(RawMessage(raw, "bench", str(n), T0), mailbox="support")
        thread = store.create_thread(
            mailbox="support",
            channel=Channel.EMAIL,
            subject=f"Order {n}",
            subject_key=f"order {n}",
            customer=f"c{n}@example.net",
            customer_name=None,
            at=T0,
        )
        draft = store.save_draft(
            thread_id=thread,
            message_id=message,
            draft=DraftText("en", "delivery", "en/delivery", f"Re: Order {n}", TEXT),
            template_text=TEXT,
        )
        began = time.perf_counter()
        store.enqueue_outbox(
            draft_id=draft,
            thread_id=thread,
            mailbox="support",
            channel="email",
            to_addr=f"c{n}@example.net",
            to_name=f"Customer {n}",
            subject=f"Re: Order {n}",
            text=TEXT,
            in_reply_to=f"<c{n}@example.net>",
            references=[f"<c{n}@example.net>"],
            actor="bench",
            sender=sender,
            now=T0,
        )
        spent += time.perf_counter() - began
    return spent


def _compose_rate(count: int) -> float:
    reply = Reply(
        sender=Address("Support Team", SUPPORT),
        to=Address("Jānis Bērziņš", "janis@example.lv"),
        subject="Pasūtījums nav ieradies",
        text=TEXT,
        message_id="<0123456789abcdef@example.com>",
        date=T0,
        in_reply_to="<c1@example.net>",
        references=("<c0@example.net>", "<c1@example.net>"),
    )
    began = time.perf_counter()
    for _ in range(count):
        compose_reply(reply)
    return count / (time.perf_counter() - began)


def run(quick: bool = False) -> dict[str, float | str]:
    count = 200 if quick else 2000
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with tempfile.TemporaryDirectory(prefix="mailbot-bench-outbox-") as tmp:
            work = Path(tmp)
            config = outbox_config(work, controller.port)
            store = OutboxTestStore(config.store_path)
            try:
                enqueue_seconds = _queue(store, work, count, controller.port)
                began = time.perf_counter()
                result = asyncio.run(deliver_due(config, store, limit=count))
                elapsed = time.perf_counter() - began
            finally:
                store.close()
    finally:
        controller.stop()
    if len(result.sent) != count or sink.count != count:
        raise RuntimeError(f"sent {len(result.sent)}, server took {sink.count}, expected {count}")
    return {
        "emails": float(count),
        "emails_sent_per_s": round(count / elapsed, 1),
        "ms_per_email": round(1000 * elapsed / count, 2),
        "enqueue_per_s": round(count / enqueue_seconds, 1),
        "compose_per_s": round(_compose_rate(500 if quick else 3000), 1),
        "server": "aiosmtpd on 127.0.0.1, one connection, store on disk (WAL, durable commits)",
    }


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
