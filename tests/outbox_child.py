"""The outbox worker as a process of its own, for the kill -9 tests; and the config both sides use.

Run as ``python tests/outbox_child.py WORK_DIR SMTP_PORT``: sends whatever is
due in the store ``WORK_DIR/store.sqlite3`` through the SMTP server on
127.0.0.1:SMTP_PORT until nothing is due, printing one line per run.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mailbot.config import Config, ConfigFile
from mailbot.outbox import deliver_due
from mailbot.store import Store

SUPPORT = "support@example.com"


#: The store the outbox tests use (Store includes the outbox queries).
OutboxTestStore = Store


def outbox_config(work: Path, smtp_port: int, *, imap: dict[str, Any] | None = None, **smtp: Any) -> Config:
    """Mailbox ``support`` sending through 127.0.0.1:smtp_port (plain unless ``smtp`` says otherwise)."""
    box: dict[str, Any] = {
        "name": "support",
        "address": SUPPORT,
        "display_name": "Support Team",
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "tls": "plain", "timeout": 10, **smtp},
    }
    if imap is not None:
        box["imap"] = imap
    return Config(
        file=work / "config.toml",
        settings=ConfigFile.model_validate({"mailboxes": [box]}),
        store_path=work / "store.sqlite3",
        policies_dir=work,
        phrasebank_dir=work,
    )


async def _drain(config: Config, store: OutboxTestStore) -> None:
    while True:
        result = await deliver_due(config, store)
        print(result.summary(), flush=True)
        if not (result.sent or result.failed or result.unknown):
            return


def main(argv: list[str]) -> int:
    work, port = Path(argv[0]), int(argv[1])
    config = outbox_config(work, port)
    store = OutboxTestStore(config.store_path)
    print("started", flush=True)
    try:
        asyncio.run(_drain(config, store))
    finally:
        store.close()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
