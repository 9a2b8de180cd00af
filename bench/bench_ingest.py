"""Foundation figures: messages/s through ingest + parse + thread + store.

A generated corpus of realistic messages is written as .eml files to a
folder; the timed part is what the daemon does with a new folder: scan and
store raw bytes (one durable commit per message), then the parse and thread
stages. Peak memory is the process's maximum resident set size.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.corpus import generate
from mailbot.model import Stage
from mailbot.pipeline import PipelineContext, sweep
from mailbot.policy.response import load_response_policy
from mailbot.sla_service import SlaClock
from mailbot.sources.folder import FolderPoller
from mailbot.store import Store


def _unused(*_: object) -> object:
    raise AssertionError("stage not benchmarked here")


def run(quick: bool = False) -> dict[str, float | str]:
    count = 1_000 if quick else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "inbox"
        inbox.mkdir()
        total_bytes = 0
        for index, data in enumerate(generate(count)):
            (inbox / f"{index:06d}.eml").write_bytes(data)
            total_bytes += len(data)
        store = Store(Path(tmp) / "bench.sqlite3")
        ctx = PipelineContext(
            own_addresses=frozenset({"support@demo.mailbot.example"}),
            classify=_unused,  # type: ignore[arg-type]
            draft=_unused,  # type: ignore[arg-type]
            check=_unused,  # type: ignore[arg-type]
            clock=SlaClock(load_response_policy(Path("policies/response.toml"))),
        )
        poller = FolderPoller("bench", inbox, "support", settle_seconds=0)
        started = time.perf_counter()
        scan = poller.scan(store)
        stored_at = time.perf_counter()
        result = sweep(store, ctx, limit=count, until=Stage.THREADED)
        done = time.perf_counter()
        threads = store.thread_count()
        store.close()
    total = done - started
    return {
        "messages": count,
        "corpus_mib": round(total_bytes / 1024 / 1024, 1),
        "stored": scan.stored,
        "threaded": result.advanced,
        "failed": len(result.failed),
        "threads": threads,
        "store_msgs_per_s": round(count / (stored_at - started), 1),
        "parse_thread_msgs_per_s": round(count / (done - stored_at), 1),
        "end_to_end_msgs_per_s": round(count / total, 1),
        "end_to_end_s": round(total, 2),
    }
