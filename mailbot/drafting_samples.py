"""Sample customer messages per language, for checking and timing the phrasebank.

``mailbot phrasebank check`` renders every template with each of these
requests, the tests do the same, and the drafting benchmark cycles through
them. They cover what changes a draft: a known or unknown name, e-mail or
letter, formal or informal, with or without order number, amount, date and
deadline, quoting on or off.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from mailbot.drafting import DraftRequest, MailboxIdentity
from mailbot.drafting_settings import Formality
from mailbot.model import Channel, Entity

SAMPLE_MAILBOX = MailboxIdentity(
    display_name="Customer Service, Example Shop",
    address="support@example.com",
    signature="default",
    postal_address=("Example Shop B.V.", "Keizersgracht 100", "1015 AA Amsterdam", "Netherlands"),
)
SAMPLE_RECEIVED = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)


def _entity(kind: str, text: str, message: str, value: str) -> Entity:
    start = message.find(text)
    return Entity(kind=kind, text=text, start=start, end=start + len(text), value=value)


#: language -> (customer name, postal address, message text, [(kind, text in message, value)])
_SAMPLES: dict[str, tuple[str, tuple[str, ...], str, list[tuple[str, str, str]]]] = {
    "en": (
        "Emma Johnson",
        ("12 Station Road", "Cambridge CB1 2JD", "United Kingdom"),
        "Hello, I returned order 48213 on 2 March and I am still waiting for my EUR 49.95. "
        "Please sort this out by 17 March.",
        [
            ("order_number", "48213", "48213"),
            ("date", "2 March", "2026-03-02T00:00:00+00:00"),
            ("amount", "EUR 49.95", "EUR 49.95"),
            ("deadline", "by 17 March", "2026-03-17T00:00:00+00:00"),
        ],
    ),
    "nl": (
        "Jan de Vries",
        ("Dorpsstraat 12", "3511 AB Utrecht"),
        "Goedendag, ik heb bestelling 48213 op 2 maart teruggestuurd maar nog geen € 49,95 terugontvangen. "
        "Graag vóór 17 maart een oplossing.",
        [
            ("order_number", "48213", "48213"),
            ("date", "2 maart", "2026-03-02T00:00:00+00:00"),
            ("amount", "€ 49,95", "EUR 49.95"),
            ("deadline", "vóór 17 maart", "2026-03-17T00:00:00+00:00"),
        ],
    ),
    "lv": (
        "Jānis Bērziņš",
        ("Brīvības iela 21-4", "Rīga, LV-1010"),
        "Labdien! Pasūtījumu Nr. 48213 atgriezu 2. martā, bet 49,95 EUR joprojām neesmu saņēmis. "
        "Lūdzu, atrisiniet to līdz 17. martam.",
        [
            ("order_number", "48213", "48213"),
            ("date", "2. martā", "2026-03-02T00:00:00+00:00"),
            ("amount", "49,95 EUR", "EUR 49.95"),
            ("deadline", "līdz 17. martam", "2026-03-17T00:00:00+00:00"),
        ],
    ),
    "th": (
        "สมชาย ใจดี",
        ("99/1 ถนนสุขุมวิท", "แขวงคลองเตย เขตคลองเตย", "กรุงเทพฯ 10110"),
        "สวัสดีครับ ผมส่งคืนคำสั่งซื้อ 48213 เมื่อวันที่ 2 มีนาคม แต่ยังไม่ได้รับเงิน 1,250 บาทคืน กรุณาดำเนินการภายในวันที่ 17 มีนาคม",
        [
            ("order_number", "48213", "48213"),
            ("date", "2 มีนาคม", "2026-03-02T00:00:00+00:00"),
            ("amount", "1,250 บาท", "THB 1250.00"),
            ("deadline", "ภายในวันที่ 17 มีนาคม", "2026-03-17T00:00:00+00:00"),
        ],
    ),
}

#: A message whose text tries template injection; drafts must show it literally.
INJECTION_TEXT = "Order {{ 7 * 7 }} {% for x in range(3) %}X{% endfor %} {{ ''.__class__.__mro__ }}"


def sample_languages() -> tuple[str, ...]:
    """Languages that have sample messages."""
    return tuple(_SAMPLES)


def sample_message(language: str) -> str:
    """The sample customer text of a language (English for a language without samples)."""
    return _SAMPLES.get(language, _SAMPLES["en"])[2]


def sample_requests(language: str, intent: str) -> list[DraftRequest]:
    """Requests that exercise every branch of a template in ``language`` for ``intent``."""
    name, address, text, spec = _SAMPLES.get(language, _SAMPLES["en"])
    entities = tuple(_entity(kind, found, text, value) for kind, found, value in spec)
    base = DraftRequest(
        language=language,
        intent=intent,
        received_at=SAMPLE_RECEIVED,
        mailbox=SAMPLE_MAILBOX,
        subject="Re: " + text[:40],
        customer_name=name,
        customer_address=address,
        new_text=text,
        entities=entities,
    )
    return [
        base,
        replace(base, customer_name=None, entities=(), subject=""),
        replace(base, quote=True, formality=Formality.INFORMAL),
        replace(base, customer_name=None, quote=True, formality=Formality.INFORMAL, entities=entities[:1]),
        replace(base, channel=Channel.LETTER),
        replace(base, channel=Channel.LETTER, customer_name=None, formality=Formality.INFORMAL),
        replace(
            base, new_text=INJECTION_TEXT, subject=INJECTION_TEXT, customer_name="{{ Customer }}", quote=True
        ),
    ]
