"""Build the pipeline's callables from config and policies (models load here, once).

Kept apart from :mod:`mailbot.service` so that importing the service layer
stays cheap: spaCy, the language detector and the phrasebank are loaded only
when a pipeline context is actually built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mailbot.config import Config
from mailbot.drafting import DraftRequest, MailboxIdentity, Phrasebank, render_draft
from mailbot.model import Channel, Classification, DraftText, Entity, Finding
from mailbot.nlp.classify import Classifier
from mailbot.nlp.entities import customer_deadline, extract_entities
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


def make_context(config: Config, policies: Policies) -> PipelineContext:
    """Everything the stages need, built once per daemon start or policy reload."""
    phrasebank = Phrasebank.load(config.phrasebank_dir, intents=policies.intents.names)
    checker = WordingChecker(policies.extras["wording"])
    classifier = Classifier(
        detect=detect_language,
        extract=extract_entities,
        deadline=customer_deadline,
        intents=None,
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
    return PipelineContext(
        own_addresses=config.own_addresses,
        classify=classifier,
        draft=draft,
        check=check,
        clock=SlaClock(policies.extras["response"]),
        always_approve=policies.intents.always_approve,
        senders=senders,
        letter_readers=letter_readers,
    )
