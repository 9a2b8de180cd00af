"""Domain values that flow through mailbot's pipeline.

These are plain, typed, mostly frozen dataclasses. Core stages take and
return them; only the store turns them into rows. Every source (IMAP, an
.eml folder, a scanned letter) hands over the same :class:`RawMessage`, so
e-mail and paper share one pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Channel(StrEnum):
    """How a message reached us (and how the reply goes out)."""

    EMAIL = "email"
    LETTER = "letter"


class Direction(StrEnum):
    """Whether a message came from a customer or from us."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Stage(StrEnum):
    """The last pipeline stage a message has completed, in order."""

    STORED = "stored"
    PARSED = "parsed"
    THREADED = "threaded"
    CLASSIFIED = "classified"
    DRAFTED = "drafted"
    CHECKED = "checked"

    @property
    def position(self) -> int:
        return STAGE_ORDER.index(self)


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)


class ThreadState(StrEnum):
    """Conversation lifecycle, see DESIGN.md."""

    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class DraftState(StrEnum):
    """Reply lifecycle, see DESIGN.md."""

    DRAFT = "draft"
    NEEDS_APPROVAL = "needs_approval"
    APPROVED = "approved"
    SENDING = "sending"
    SENT = "sent"
    DISCARDED = "discarded"


class Severity(StrEnum):
    """How serious a wording finding is; blockers stop sending."""

    INFO = "info"
    WARNING = "warning"
    BLOCKER = "blocker"


@dataclass(frozen=True)
class RawMessage:
    """Bytes exactly as a source fetched them, plus where they came from.

    ``source`` names the configured source (``folder:demo``, ``imap:support``,
    ``letters:scans``); ``source_ref`` is that source's own key for the item
    (a file path, ``INBOX/uidvalidity/uid``...). ``received_at`` is when we
    got it (timezone-aware, UTC), which starts the response clock.
    """

    data: bytes
    source: str
    source_ref: str
    received_at: datetime
    channel: Channel = Channel.EMAIL


@dataclass(frozen=True)
class Attachment:
    """One attachment or inline part, described but never executed."""

    filename: str
    content_type: str
    size: int
    inline: bool = False
    content_id: str | None = None
    part_index: int = 0


@dataclass(frozen=True)
class Address:
    """A display name and an e-mail address (lower-cased)."""

    name: str
    addr: str


@dataclass(frozen=True)
class ParsedMessage:
    """What the parse stage reads out of a raw message.

    ``message_id`` is always set: when the header is missing or broken the
    parser synthesises a stable one from the content hash. ``new_text`` is
    the customer's own new words, without quoted history and signature; the
    NLP stages look only at that. ``defects`` lists what was wrong with the
    MIME (bad charset, missing headers...), for people to see.
    """

    message_id: str
    subject: str
    sender: Address | None
    reply_to: Address | None = None
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    date: datetime | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    body_text: str = ""
    new_text: str = ""
    quoted_text: str = ""
    signature: str = ""
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    is_auto: bool = False
    auto_reason: str | None = None
    defects: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    # Scanned letters only: the sender's address block, line by line, and
    # the OCR's mean word confidence (0..1).
    postal_address: tuple[str, ...] = ()
    ocr_confidence: float | None = None


@dataclass(frozen=True)
class ThreadDecision:
    """Result of the threading stage: join ``thread_id`` or start a new one."""

    thread_id: int | None
    reason: str
    subject_key: str


@dataclass(frozen=True)
class Entity:
    """Something specific the customer named (order number, amount, date...).

    ``start``/``end`` are character offsets into the text it came from;
    ``value`` is the normalised form (``"EUR 49.95"``, an ISO timestamp...).
    """

    kind: str
    text: str
    start: int
    end: int
    value: str


@dataclass(frozen=True)
class Classification:
    """Language and intent of a message's new text."""

    language: str
    language_confidence: float
    intent: str
    confidence: float
    ranked: tuple[tuple[str, float], ...] = ()
    needs_triage: bool = False
    entities: tuple[Entity, ...] = ()
    deadline: datetime | None = None


@dataclass(frozen=True)
class Finding:
    """A wording rule that fired on an exact span of a draft."""

    rule: str
    category: str
    severity: Severity
    start: int
    end: int
    text: str
    message: str
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class DraftText:
    """A proposed reply as the drafting stage renders it."""

    language: str
    intent: str
    template: str
    subject: str
    text: str


@dataclass
class StoredMessage:
    """A message row as the store returns it (stage state included)."""

    id: int
    sha256: str
    source: str
    source_ref: str
    channel: Channel
    received_at: datetime
    stage: Stage
    direction: Direction = Direction.INBOUND
    error: str | None = None
    error_stage: str | None = None
    attempts: int = 0
    thread_id: int | None = None
    message_id: str | None = None
    subject: str | None = None
    sender: str | None = None
    sender_name: str | None = None
    new_text: str | None = None
    language: str | None = None
    intent: str | None = None
    confidence: float | None = None
    needs_triage: bool = False
    is_auto: bool = False
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class ThreadSummary:
    """A conversation as the queue shows it."""

    id: int
    subject: str
    customer: str
    mailbox: str
    channel: Channel
    state: ThreadState
    clock_started_at: datetime | None
    due_at: datetime | None
    last_message_at: datetime | None
    message_count: int
    language: str | None = None
    intent: str | None = None
    needs_triage: bool = False
    closed_reason: str | None = None
