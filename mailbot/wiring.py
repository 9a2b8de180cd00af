"""Build the pipeline's callables from config and policies (models load here, once).

Kept apart from :mod:`mailbot.service` so that importing the service layer
stays cheap: spaCy, the language detector and the phrasebank are loaded only
when a pipeline context is actually built.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailbot.casecode import case_code
from mailbot.config import Config
from mailbot.drafting import DraftRequest, MailboxIdentity, Phrasebank, render_draft
from mailbot.letters import compose_letter, letter_pdf
from mailbot.model import Channel, Classification, DraftText, Entity, Finding
from mailbot.nlp.classify import Classifier, IntentFn
from mailbot.nlp.entities import customer_deadline, extract_entities
from mailbot.nlp.intents import IntentModel, IntentModelError
from mailbot.nlp.language import detect_language
from mailbot.ocr import make_ocr
from mailbot.outbox_records import reply_sender
from mailbot.pipeline import PipelineContext
from mailbot.sla_service import SlaClock
from mailbot.sources.letters import letter_reader
from mailbot.store import from_db_time
from mailbot.wording import WordingChecker

if TYPE_CHECKING:
    from mailbot.service import Policies


log = logging.getLogger(__name__)


def make_context(config: Config, policies: Policies) -> PipelineContext:
    """Everything the stages need, built once per daemon start or policy reload."""
    phrasebank = Phrasebank.load(config.phrasebank_dir, intents=policies.intents.names)
    checker = WordingChecker(policies.extras["wording"])
    classifier = Classifier(
        detect=detect_language,
        extract=extract_entities,
        deadline=customer_deadline,
        intents=_intent_fn(config, policies.intents.names),
        fallback_intent=policies.intents.fallback,
        triage_threshold=policies.intents.triage_threshold,
    )
    identities = {
        box.name: MailboxIdentity(
            display_name=box.display_name or box.address, address=box.address, signature=box.name
        )
        for box in config.settings.mailboxes
    }

    def draft(detail: dict[str, Any], classification: Classification) -> DraftText:
        received = from_db_time(detail["received_at"])
        assert received is not None
        request = DraftRequest(
            language=classification.language,
            intent=classification.intent,
            received_at=received,
            mailbox=identities[detail["mailbox"]],
            channel=Channel(detail["channel"]),
            subject=detail["subject"] or "",
            customer_name=detail["sender_name"],
            new_text=detail["new_text"] or "",
            entities=tuple(Entity(**e) for e in detail["entities"]),
            case_code=case_code(detail["thread_id"]) if detail["thread_id"] else None,
        )
        return render_draft(phrasebank, request)

    def check(text: str, language: str, intent: str, channel: str) -> list[Finding]:
        return checker.check(text, language, intent, channel)

    senders = {box.name: reply_sender(config, box.name) for box in config.settings.mailboxes if box.smtp}
    letter_readers = {
        f"letters:{scans.name}": letter_reader(
            tuple(scans.languages),
            min_confidence=scans.min_confidence,
            own_names=(*scans.own_names, config.mailbox(scans.mailbox).display_name),
            engine=make_ocr(tuple(scans.languages), dpi=scans.dpi),
        )
        for scans in config.settings.letters
    }
    print_dirs = {
        f"letters:{scans.name}": config.resolve(scans.print_dir) for scans in config.settings.letters
    }

    def print_letter(draft_row: dict[str, Any], detail: dict[str, Any], text: str) -> Path:
        received = from_db_time(detail["received_at"])
        assert received is not None
        request = DraftRequest(
            language=draft_row["language"],
            intent=draft_row["intent"],
            received_at=received,
            mailbox=identities[detail["mailbox"]],
            channel=Channel.LETTER,
            subject=detail["subject"] or "",
            customer_name=detail["sender_name"],
            customer_address=tuple(detail["postal_address"] or ()),
            new_text=detail["new_text"] or "",
            case_code=case_code(draft_row["thread_id"]),
        )
        reply = DraftText(
            draft_row["language"], draft_row["intent"], draft_row["template"], draft_row["subject"], text
        )
        pdf = letter_pdf(compose_letter(phrasebank, request, reply, written_on=datetime.now(UTC).date()))
        folder = print_dirs.get(detail["source"]) or next(iter(print_dirs.values()))
        return write_atomically(folder / f"thread-{draft_row['thread_id']}-draft-{draft_row['id']}.pdf", pdf)

    return PipelineContext(
        own_addresses=config.own_addresses,
        classify=classifier,
        draft=draft,
        check=check,
        clock=SlaClock(policies.extras["response"]),
        always_approve=policies.intents.always_approve,
        senders=senders,
        letter_readers=letter_readers,
        print_letter=print_letter if print_dirs else None,
    )


def _intent_fn(config: Config, names: tuple[str, ...]) -> IntentFn | None:
    """The trained intent model, restricted to the taxonomy; None (every message to triage) without one."""
    try:
        model = IntentModel.load(config.resolve(config.settings.paths.models))
    except IntentModelError as exc:
        log.error("intents are not classified, every message goes to triage: %s", exc)
        return None
    unknown = model.unknown_labels(names)
    if unknown:
        log.warning(
            "intent model %s predicts intents not in intents.toml (ignored): %s", model.version, unknown
        )
    return model.intent_fn(names)


def write_atomically(path: Path, data: bytes) -> Path:
    """Write a file whole or not at all, so a printer never picks up half a PDF."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)
    return path
