"""From a raw message (or plain text) to a proposed reply with its findings.

This is the service behind ``mailbot draft``: it turns one input into a
:class:`~mailbot.drafting.DraftRequest` (parse, language, entities,
intent), renders the draft, and checks it (word limit + wording rules).
Each NLP step is passed in as a callable, so the command, the tests and the
benchmark decide what runs; :class:`Steps` holds them.

The intent classifier does not exist yet: ``Steps.classify`` is the seam.
Until a model is plugged in, the command passes a function that returns
the ``--intent`` option (default "other").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mailbot.drafting import DraftRequest, MailboxIdentity, Phrasebank, render_draft
from mailbot.drafting_limits import draft_length_findings
from mailbot.drafting_settings import Formality
from mailbot.errors import TemplateError
from mailbot.mail.parse import parse_message
from mailbot.model import Channel, DraftText, Entity, Finding

ClassifyFn = Callable[[str, str, str], str]
"""(text, subject, language) -> intent name"""
DetectFn = Callable[[str], tuple[str, float]]
"""text -> (language, confidence)"""
ExtractFn = Callable[[str, str, datetime], tuple[Entity, ...]]
"""(text, language, reference time) -> entities"""
CheckFn = Callable[[str, str, str | None, str], list[Finding]]
"""(text, language, intent, channel) -> wording findings"""

_HEADER_LINE = re.compile(rb"^[!-9;-~]+:[ \t]")
_MAIL_HEADERS = frozenset({b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"received"})


def fixed_intent(intent: str) -> ClassifyFn:
    """A classifier that always answers ``intent`` (the ``--intent`` option)."""

    def classify(text: str, subject: str, language: str) -> str:
        return intent

    return classify


def no_entities(text: str, language: str, reference: datetime) -> tuple[Entity, ...]:
    """An extractor that finds nothing (when entity extraction is not wanted)."""
    return ()


@dataclass(frozen=True)
class Steps:
    """The NLP and checking steps a draft goes through; any may be swapped."""

    classify: ClassifyFn
    detect: DetectFn | None = None
    extract: ExtractFn = no_entities
    check: CheckFn | None = None


@dataclass(frozen=True)
class DraftOptions:
    """What the person asking for drafts chose (command-line options)."""

    mailbox: MailboxIdentity
    channel: Channel = Channel.EMAIL
    language: str | None = None
    formality: Formality | None = None
    quote: bool | None = None
    customer_address: tuple[str, ...] = ()
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class ProposedReply:
    """The outcome for one input: a draft and its findings, or the error that stopped it."""

    file: str
    request: DraftRequest | None
    draft: DraftText | None
    findings: tuple[Finding, ...] = ()
    error: str | None = None


def looks_like_rfc822(raw: bytes) -> bool:
    """True when ``raw`` starts with a mail header block (else it is plain text)."""
    head = raw.lstrip(b"\r\n").split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    lines = [line for line in head.splitlines() if line and line[:1] not in b" \t"]
    if not lines or not all(_HEADER_LINE.match(line) for line in lines):
        return False
    return any(line.split(b":", 1)[0].strip().lower() in _MAIL_HEADERS for line in lines)


def build_request(raw: bytes, options: DraftOptions, steps: Steps) -> DraftRequest:
    """Read one input (RFC 822 bytes or plain UTF-8 text) into a draft request."""
    subject, name, received = "", None, options.now()
    if looks_like_rfc822(raw):
        parsed = parse_message(raw)
        text = parsed.new_text or parsed.body_text
        subject = parsed.subject
        who = parsed.reply_to if parsed.reply_to and parsed.reply_to.name else parsed.sender
        name = who.name if who else None
        received = parsed.date or received
    else:
        text = raw.decode("utf-8", errors="replace")
    content = f"{subject}\n{text}" if subject else text
    language = options.language
    if language is None:
        language = steps.detect(content)[0] if steps.detect else "unknown"
    entity_language = language if language != "unknown" else "en"
    return DraftRequest(
        language=language,
        intent=steps.classify(text, subject, language),
        received_at=received,
        mailbox=options.mailbox,
        channel=options.channel,
        subject=subject,
        customer_name=name,
        customer_address=options.customer_address,
        new_text=text,
        entities=steps.extract(content, entity_language, received),
        formality=options.formality,
        quote=options.quote,
    )


def check_draft(
    phrasebank: Phrasebank, request: DraftRequest, draft: DraftText, check: CheckFn | None
) -> list[Finding]:
    """The word-limit finding and the wording findings of a draft, in text order."""
    findings = draft_length_findings(phrasebank, request, draft)
    if check is not None:
        findings += check(draft.text, draft.language, draft.intent, request.channel.value)
    return sorted(findings, key=lambda f: (f.start, f.end, f.rule))


def propose(
    phrasebank: Phrasebank, file: str, raw: bytes, options: DraftOptions, steps: Steps
) -> ProposedReply:
    """Draft a reply for one input; a template error is returned, never half a draft."""
    request = build_request(raw, options, steps)
    try:
        draft = render_draft(phrasebank, request)
    except TemplateError as exc:
        return ProposedReply(file=file, request=request, draft=None, error=str(exc))
    findings = check_draft(phrasebank, request, draft, steps.check)
    return ProposedReply(file=file, request=request, draft=draft, findings=tuple(findings))
