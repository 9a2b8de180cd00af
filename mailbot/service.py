"""Service functions shared by the CLI, the daemon and the web UI.

This is where configuration meets the pure core: policies are loaded and
turned into the callables a :class:`~mailbot.pipeline.PipelineContext`
holds, sources are polled, and views are assembled for people. Nothing here
speaks SQL; the store does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailbot.config import Config
from mailbot.errors import ConfigError, MailbotError
from mailbot.pipeline import PipelineContext, SweepResult, sweep
from mailbot.policy.intents import IntentPolicy, load_intent_policy
from mailbot.sources.folder import FolderPoller
from mailbot.sources.letters import LetterPoller
from mailbot.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policies:
    """Every policy file, loaded and validated together (all or nothing)."""

    intents: IntentPolicy
    extras: dict[str, Any]


def policy_files(config: Config) -> dict[str, Path]:
    """The policy files mailbot reads, by name."""
    base = config.policies_dir
    return {
        "intents": base / "intents.toml",
        "response": base / "response.toml",
        "wording": base / "wording",
    }


def load_policies(config: Config) -> Policies:
    """Load every policy; the first invalid file raises ConfigError."""
    files = policy_files(config)
    intents = load_intent_policy(files["intents"])
    extras: dict[str, Any] = {}
    for name, loader in _extra_loaders().items():
        extras[name] = loader(files[name])
    return Policies(intents=intents, extras=extras)


def _extra_loaders() -> dict[str, Callable[[Path], Any]]:
    """Loaders of the capability policies (response times, wording rules)."""
    from mailbot.policy.response import load_response_policy
    from mailbot.policy.wording import load_wording_policy

    return {"response": load_response_policy, "wording": load_wording_policy}


def policy_signature(config: Config) -> tuple[tuple[str, int, int], ...]:
    """Name, mtime and size of every policy and phrasebank file: a change means "reload"."""
    files: list[tuple[str, int, int]] = []
    for root in (config.policies_dir, config.phrasebank_dir):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file():
                stat = path.stat()
                files.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(files)


def check_policies(config: Config) -> list[tuple[str, str | None]]:
    """Validate each policy file on its own, so one bad file does not hide another."""
    results: list[tuple[str, str | None]] = [(str(config.file), None)]
    files = policy_files(config)
    loaders: dict[str, Callable[[Path], Any]] = {"intents": load_intent_policy, **_extra_loaders()}
    for name, loader in loaders.items():
        try:
            loaded = loader(files[name])
            if name == "wording":
                from mailbot.wording import WordingChecker

                WordingChecker(loaded)  # compiles every pattern, trains the classifier rules
        except ConfigError as exc:
            results.append((str(files[name]), str(exc)))
        else:
            results.append((str(files[name]), None))
    return results


def build_context(config: Config, policies: Policies | None = None) -> PipelineContext:
    """Turn config and policies into the pipeline's callables (models load here, once)."""
    from mailbot.wiring import make_context

    return make_context(config, policies or load_policies(config))


def process_pending(
    config: Config, store: Store, ctx: PipelineContext | None = None, *, limit: int = 100_000
) -> SweepResult:
    """Advance every pending message through the pipeline."""
    context = ctx or build_context(config)
    return sweep(store, context, limit=limit, max_attempts=config.settings.daemon.max_attempts)


def folder_pollers(config: Config) -> list[FolderPoller]:
    """Every folder source: .eml/Maildir folders, then scan folders of letters."""
    pollers: list[FolderPoller] = []
    for kind, entries in ((FolderPoller, config.settings.folders), (LetterPoller, config.settings.letters)):
        for entry in entries:
            pollers.append(
                kind(
                    name=entry.name,
                    root=config.resolve(entry.path),
                    mailbox=entry.mailbox,
                    after_store=entry.after_store,
                    processed_dir=config.resolve(entry.processed_dir) if entry.processed_dir else None,
                    settle_seconds=entry.settle_seconds,
                )
            )
    return pollers


def poll_sources(
    config: Config,
    store: Store,
    *,
    mailbox_name: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Poll every source once; one failing source never stops the others."""
    report: dict[str, Any] = {"sources": {}, "errors": {}}
    if mailbox_name is None:
        for poller in folder_pollers(config):
            try:
                result = poller.scan(store)
            except MailbotError as exc:
                report["errors"][poller.source] = str(exc)
                store.record_poll(poller.source, at=_now(), error=str(exc))
                continue
            store.record_poll(poller.source, at=_now())
            report["sources"][poller.source] = {"stored": result.stored, "duplicates": result.duplicates}
    for box in config.settings.mailboxes:
        if box.imap is None or (mailbox_name and box.name != mailbox_name):
            continue
        try:
            from mailbot.sources.imap import poll_mailbox

            imap_result = poll_mailbox(config, store, box.name, progress=progress)
        except MailbotError as exc:
            report["errors"][f"imap:{box.name}"] = str(exc)
            store.record_poll(f"imap:{box.name}", at=_now(), error=str(exc))
            continue
        store.record_poll(f"imap:{box.name}", at=_now())
        report["sources"][f"imap:{box.name}"] = asdict(imap_result)
    if mailbox_name and not any(b.name == mailbox_name for b in config.settings.mailboxes):
        raise ConfigError(f"no mailbox named {mailbox_name!r}", path=str(config.file))
    return report


def _now() -> datetime:
    return datetime.now(UTC)


def thread_view(store: Store, thread_id: int) -> dict[str, Any]:
    """Everything a person needs to work one thread, as plain data."""
    thread = store.thread_row(thread_id)
    messages = [store.message_detail(mid) for mid in store.thread_message_ids(thread_id)]
    for message in messages:
        message.pop("html", None)
    drafts = []
    for draft in store.drafts_for_thread(thread_id):
        draft["findings"] = [asdict(f) for f in store.findings(draft["id"])]
        drafts.append(draft)
    return {
        "thread": thread,
        "messages": messages,
        "drafts": drafts,
        "audit": store.audit_entries("thread", thread_id),
    }
