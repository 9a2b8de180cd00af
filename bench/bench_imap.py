"""IMAP fetch throughput: mailbot's poller vs. mbsync, same Dovecot, same mailbox, same run.

Seeds a throwaway Dovecot (tests/dovecot.py) with 10,000 realistic messages
(70% plain text, 25% HTML, 5% with a 100-300 KB attachment; about 20 KB on
average), lets Dovecot index them, then times, end to end:

- mailbot: ``poll_mailbox`` from an empty durable store (login, UIDVALIDITY
  bookkeeping, BODY.PEEK[] in batches, SHA-256, one transaction per batch);
- mbsync (Debian ``isync``): a pull of the same folder into an empty local
  Maildir (its default fsync on), from an empty sync state.

Each is run twice, alternating, and the better run counts (the first run of
either also pays for cold page cache). Goal: mailbot within 2x of mbsync,
i.e. ``ratio_mailbot_to_mbsync`` >= 0.5.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ helpers for the server

from mailbot.sources.imap import poll_mailbox
from tests.dovecot import (
    PASSWORD,
    PASSWORD_ENV,
    Dovecot,
    ImapTestStore,
    imap_config,
    realistic_mix,
    running_dovecot,
)

USER = "bench"


def _time_mailbot(server: Dovecot, work: Path, expected: int) -> float:
    run_dir = work / "mailbot"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir()
    config = imap_config(server, run_dir, USER, name="bench", batch_size=200)
    os.environ[PASSWORD_ENV] = PASSWORD
    began = time.perf_counter()
    store = ImapTestStore(config.store_path)
    result = poll_mailbox(config, store, "bench")
    elapsed = time.perf_counter() - began
    store.close()
    if result.stored != expected:
        raise RuntimeError(f"mailbot stored {result.stored} of {expected}")
    return elapsed


def _time_mbsync(server: Dovecot, work: Path, expected: int) -> float:
    run_dir = work / "mbsync"
    shutil.rmtree(run_dir, ignore_errors=True)
    (run_dir / "maildir").mkdir(parents=True)
    rc = run_dir / "mbsyncrc"
    rc.write_text(
        "IMAPAccount bench\n"
        "Host 127.0.0.1\n"
        f"Port {server.port}\n"
        f"User {USER}\n"
        f"Pass {PASSWORD}\n"
        "SSLType None\n"
        "AuthMechs LOGIN\n"
        "\n"
        "IMAPStore remote\n"
        "Account bench\n"
        "\n"
        "MaildirStore local\n"
        f"Path {run_dir}/maildir/\n"
        f"Inbox {run_dir}/maildir/INBOX\n"
        "\n"
        "Channel bench\n"
        "Far :remote:\n"
        "Near :local:\n"
        "Patterns INBOX\n"
        "Create Near\n"
        "Sync Pull\n"
        "SyncState *\n"
    )
    began = time.perf_counter()
    subprocess.run(["mbsync", "-q", "-c", str(rc), "bench"], check=True, capture_output=True)
    elapsed = time.perf_counter() - began
    copied = sum(1 for sub in ("new", "cur") for _ in (run_dir / "maildir" / "INBOX" / sub).iterdir())
    if copied != expected:
        raise RuntimeError(f"mbsync copied {copied} of {expected}")
    return elapsed


def run(quick: bool = False) -> dict[str, float | str]:
    """Messages per second of mailbot and mbsync over the same mailbox, and their ratio."""
    count = 1_000 if quick else 10_000
    work = Path(tempfile.mkdtemp(prefix="mailbot-bench-imap-"))
    try:
        with running_dovecot() as server:
            total_bytes = 0

            def counted() -> Iterator[bytes]:
                nonlocal total_bytes
                for message in realistic_mix(count, seed=42):
                    total_bytes += len(message)
                    yield message

            server.write_maildir(USER, counted())
            if server.warm(USER) != count:
                raise RuntimeError("Dovecot did not index every seeded message")
            mailbot_runs, mbsync_runs = [], []
            for _ in range(2):
                mailbot_runs.append(_time_mailbot(server, work, count))
                mbsync_runs.append(_time_mbsync(server, work, count))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    mailbot_rate = count / min(mailbot_runs)
    mbsync_rate = count / min(mbsync_runs)
    return {
        "messages": float(count),
        "mean_message_kb": round(total_bytes / count / 1024, 1),
        "mailbot_msgs_per_s": round(mailbot_rate, 1),
        "mbsync_msgs_per_s": round(mbsync_rate, 1),
        "mailbot_mb_per_s": round(total_bytes / min(mailbot_runs) / 1e6, 1),
        "ratio_mailbot_to_mbsync": round(mailbot_rate / mbsync_rate, 3),
        "goal": "ratio >= 0.5 (within 2x of mbsync)",
    }


if __name__ == "__main__":
    for key, value in run(quick="--quick" in sys.argv).items():
        print(f"{key}: {value}")
