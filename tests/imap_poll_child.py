"""A poller process for the kill -9 test: polls one Dovecot user until done, printing progress.

Run as ``python tests/imap_poll_child.py PORT USER WORK_DIR BATCH_SIZE AFTER_STORE``
with the password in ``MAILBOT_TEST_IMAP_PASSWORD``. Each progress line is
flushed at once, so the test can kill the process while a fetch is under way.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mailbot.sources.imap import poll_mailbox
from tests.dovecot import Dovecot, ImapTestStore, imap_config


def main(argv: list[str]) -> int:
    port, user, work, batch_size, after_store = argv
    server = Dovecot(base=Path(work), port=int(port))  # only host/port are used
    config = imap_config(server, Path(work), user, batch_size=int(batch_size), after_store=after_store)
    store = ImapTestStore(config.store_path)

    def progress(line: str) -> None:
        print(line, flush=True)

    result = poll_mailbox(config, store, "support", progress=progress)
    print(f"done {result.stored} {result.duplicates}", flush=True)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
