"""parse_message on ugly messages (built by tests/mime_corpus.py) and the demo inbox.

Each test checks the values read out (subject, sender, text, attachments,
defects), not only that nothing crashed.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.mail.parse import KEPT_HEADERS, MAX_BODY_CHARS, parse_message, synthetic_message_id
from mailbot.model import Address, Attachment
from tests import mime_corpus as corpus

INBOX = Path(__file__).resolve().parent.parent / "examples" / "inbox"
NOV_9 = datetime(2026, 11, 9, 9, 15, tzinfo=UTC)


def has_defect(defects: tuple[str, ...], fragment: str) -> bool:
    return any(fragment.lower() in defect.lower() for defect in defects)


# --- charsets --------------------------------------------------------------------

CHARSET_CASES = [
    # (builder, text expected in new_text, defect fragment or None)
    (corpus.declared_latin1_but_utf8, "terugbetaling van €49,95. Geëerd.", "the content is UTF-8"),
    (corpus.latvian_cp1257, "Lūdzu, atmaksājiet naudu par pasūtījumu", None),
    (lambda: corpus.latvian_cp1257(declared="iso-8859-1"), "Jānis Bērziņš", "reads as cp1257"),
    (lambda: corpus.latvian_cp1257(declared="x-unknown"), "Jānis Bērziņš", "guessed cp1257"),
    (corpus.thai_legacy, "“คำสั่งซื้อ 8812”", None),
    (lambda: corpus.thai_legacy(declared="windows-874"), "ขอคืนเงินด้วยครับ", None),
    (lambda: corpus.thai_legacy(declared="iso-8859-1"), "ผมยังไม่ได้รับสินค้า", "reads as cp874"),
    (corpus.unknown_charset, "Ik heb €20 te veel betaald.", "unusable charset 'unknown-8bit'"),
    (
        lambda: corpus.unknown_charset(label="x-unknown", body="Ik heb €20 betaald".encode("cp1252")),
        "Ik heb €20 betaald",
        "guessed cp1252",
    ),
    (corpus.no_charset_8bit, "Café crème – €5 te veel", "no charset declared"),
]


@pytest.mark.parametrize(("build", "text", "defect"), CHARSET_CASES)
def test_body_charsets(build, text: str, defect: str | None) -> None:
    parsed = parse_message(build())
    assert text in parsed.new_text
    assert "\ufffd" not in parsed.body_text
    if defect is None:
        assert parsed.defects == ()
    else:
        assert has_defect(parsed.defects, defect), parsed.defects


# --- headers ---------------------------------------------------------------------


def test_raw_utf8_in_headers() -> None:
    parsed = parse_message(corpus.raw_utf8_headers())
    assert parsed.subject == "Atmaksa par pasūtījumu"
    assert parsed.sender == Address("Jānis Bērziņš", "janis@example.lv")
    assert parsed.defects == ()


def test_raw_cp1257_in_subject_uses_body_charset() -> None:
    parsed = parse_message(corpus.raw_cp1257_headers())
    assert parsed.subject == "Rēķins ir nepareizs"
    assert parsed.new_text == "Labdien, rēķinā ir kļūda."
    assert has_defect(parsed.defects, "raw 8-bit bytes in header")


def test_encoded_words_split_inside_a_character() -> None:
    parsed = parse_message(corpus.encoded_words())
    assert parsed.subject == "ขอคืนเงิน"
    assert parsed.sender == Address("Somchai Jaidee", "somchai@example.co.th")


def test_malformed_encoded_words_are_kept_readable() -> None:
    parsed = parse_message(corpus.malformed_encoded_words())
    assert parsed.subject.startswith("Refund")
    assert "café" in parsed.subject
    assert parsed.subject.endswith("=?utf-8?Q?unterminated")  # left as it came
    assert parsed.sender == Address("John Smith", "john@example.com")
    assert has_defect(parsed.defects, "x-nonsense")


def test_missing_headers() -> None:
    raw = corpus.missing_headers()
    parsed = parse_message(raw)
    assert parsed.subject == "hello"
    assert parsed.sender is None
    assert parsed.date is None
    assert parsed.new_text == "Is anyone there?"
    assert parsed.message_id == f"<{hashlib.sha256(raw).hexdigest()[:32]}@mailbot.invalid>"
    for fragment in ("From: header missing", "Message-ID: header missing", "Date: header missing"):
        assert has_defect(parsed.defects, fragment)


def test_duplicate_headers_first_wins() -> None:
    parsed = parse_message(corpus.duplicate_headers())
    assert parsed.sender == Address("Anna de Vries", "anna@example.nl")
    assert parsed.subject == "Where is my order?"
    assert parsed.message_id == "<order-1@example.nl>"
    for name in ("From", "Subject", "Message-ID"):
        assert has_defect(parsed.defects, f"{name}: header appears 2 times")


def test_no_headers_at_all() -> None:
    parsed = parse_message(corpus.no_headers())
    assert parsed.subject == ""
    assert parsed.sender is None
    assert parsed.new_text == "Hello, I never got my refund.\nPlease help."
    assert has_defect(parsed.defects, "no headers")
    assert parsed.message_id.endswith("@mailbot.invalid>")


def test_message_ids_without_brackets() -> None:
    parsed = parse_message(corpus.message_id_without_brackets())
    assert parsed.message_id == "<bare-id@example.nl>"
    assert parsed.references == ("<first@example.nl>", "<second@example.nl>")
    assert parsed.in_reply_to == "<second@example.nl>"


def test_synthetic_message_id_is_stable_and_content_based() -> None:
    raw = corpus.missing_headers()
    assert parse_message(raw).message_id == parse_message(raw).message_id == synthetic_message_id(raw)
    assert synthetic_message_id(raw + b" ") != synthetic_message_id(raw)


def test_unusable_message_id_is_replaced() -> None:
    headers = [(n, "   " if n == "Message-ID" else v) for n, v in corpus.standard()]
    raw = corpus.message(headers, "x")
    parsed = parse_message(raw)
    assert parsed.message_id == synthetic_message_id(raw)
    assert has_defect(parsed.defects, "Message-ID: unusable")


DATES = [
    ("Mon, 09 Nov 2026 10:15:00 +0100", NOV_9),
    ("Mon, 9 Nov 2026 09:15:00 GMT", NOV_9),
    ("9 Nov 2026 04:15:00 -0500", NOV_9),
    ("Mon, 09 Nov 2026 16:15:00 +0700 (ICT)", NOV_9),
    ("Mon, 09 Nov 2026 09:15:00 -0000", NOV_9),  # unknown zone: taken as UTC
    ("2026-11-09T11:15:00+02:00", NOV_9),  # ISO 8601 from scripts
    ("Mon, 09 Nov 26 10:15:00 +0100", NOV_9),  # two-digit year
    ("sometime last Tuesday", None),
    ("Mon, 99 Nov 2026 10:15:00 +0100", None),
    ("", None),
]


@pytest.mark.parametrize(("value", "expected"), DATES)
def test_dates(value: str, expected: datetime | None) -> None:
    parsed = parse_message(corpus.bad_date(value))
    assert parsed.date == expected
    if expected is not None:
        assert parsed.date is not None
        assert parsed.date.utcoffset() is not None
    else:
        assert has_defect(parsed.defects, "Date:")


def test_addresses_lists_and_reply_to() -> None:
    extra: list[corpus.Header] = [
        ("Cc", '"Doe, John" <John.Doe@Example.COM>, =?utf-8?q?B=C4=93rzi=C5=86=C5=A1?= <b@x.lv>'),
        ("Reply-To", "Anna Privé <ANNA.PRIVATE@example.nl>".encode()),
    ]
    headers = [*corpus.standard(extra=[]), *extra]
    headers = [(n, "A <a@x.nl>, b@y.nl" if n == "To" else v) for n, v in headers]
    parsed = parse_message(corpus.message(headers, "x"))
    assert parsed.to == (Address("A", "a@x.nl"), Address("", "b@y.nl"))
    assert parsed.cc == (Address("Doe, John", "john.doe@example.com"), Address("Bērziņš", "b@x.lv"))
    assert parsed.reply_to == Address("Anna Privé", "anna.private@example.nl")


def test_address_problems_are_defects() -> None:
    headers = [(n, "undisclosed-recipients:;" if n == "To" else v) for n, v in corpus.standard(extra=[])]
    headers.append(("Cc", "=?utf-8?B?A?= <x@y.nl>"))
    parsed = parse_message(corpus.message(headers, "x"))
    assert parsed.to == ()
    assert has_defect(parsed.defects, "To: no usable address")
    assert has_defect(parsed.defects, "Cc: malformed encoded word")


def test_references_in_order_and_in_reply_to() -> None:
    extra = [
        ("In-Reply-To", "<answer-2@demo.mailbot.example> (Support's message)"),
        (
            "References",
            "<q-1@example.nl>\n <answer-1@demo.mailbot.example>\n <answer-2@demo.mailbot.example>",
        ),
    ]
    parsed = parse_message(corpus.message(corpus.standard(extra=extra), "x"))
    assert parsed.in_reply_to == "<answer-2@demo.mailbot.example>"
    assert parsed.references == (
        "<q-1@example.nl>",
        "<answer-1@demo.mailbot.example>",
        "<answer-2@demo.mailbot.example>",
    )


def test_kept_headers_are_a_small_selection() -> None:
    extra = [
        ("Received", "from mx by mx"),
        ("X-Mailer", "Microsoft Outlook 16.0"),
        ("Auto-Submitted", "auto-replied"),
        ("DKIM-Signature", "v=1; a=rsa-sha256"),
    ]
    parsed = parse_message(corpus.message(corpus.standard(extra=extra), "x"))
    names = [name for name, _ in parsed.headers]
    assert ("X-Mailer", "Microsoft Outlook 16.0") in parsed.headers
    assert ("Auto-Submitted", "auto-replied") in parsed.headers
    assert "Received" not in names
    assert "DKIM-Signature" not in names
    assert set(names) <= set(KEPT_HEADERS)


# --- structure -------------------------------------------------------------------


def test_html_only_is_read_as_text_without_scripts() -> None:
    parsed = parse_message(corpus.html_only())
    assert parsed.new_text == "Dear support,\n\nI was charged twice & want my money back.\n\nTom"
    for hidden in ("alert", "color: red", "evil", "<p>"):
        assert hidden not in parsed.body_text
    assert parsed.html is not None
    assert "<script>alert('x')</script>" in parsed.html  # original kept for the UI to sanitise


def test_plain_text_preferred_over_html() -> None:
    parsed = parse_message(corpus.plain_and_html())
    assert parsed.body_text == "PLAIN VERSION: refund please"
    assert parsed.html is not None
    assert "HTML VERSION" in parsed.html


def test_nested_multipart() -> None:
    parsed = parse_message(corpus.nested_multipart())
    assert parsed.new_text == "The invoice total is wrong: €120 instead of €100."
    assert parsed.html is not None
    assert 'src="cid:logo@x"' in parsed.html
    assert parsed.attachments == (
        Attachment(
            "part-5.png", "image/png", len(corpus.TINY_PNG), inline=True, content_id="logo@x", part_index=5
        ),
        Attachment("invoice.pdf", "application/pdf", 1019, inline=False, content_id=None, part_index=6),
    )
    assert parsed.defects == ()


def test_html_body_and_plain_footer_both_read() -> None:
    parsed = parse_message(corpus.html_then_plain_footer())
    assert parsed.body_text == "My parcel is late.\n\nScanned by GatewayAV"


def test_empty_plain_alternative_falls_back_to_html() -> None:
    parsed = parse_message(corpus.empty_plain_alternative())
    assert parsed.new_text == "Where is my refund?"
    assert has_defect(parsed.defects, "plain-text part is empty")


def test_html_only_reply_separates_the_quote() -> None:
    parsed = parse_message(corpus.html_only_reply())
    assert parsed.new_text == "Still nothing arrived.\n\nEmma"
    assert parsed.quoted_text == (
        "On Mon, 2 Nov 2026 at 09:00, Support <support@demo.mailbot.example> wrote:\n"
        "Your parcel is on its way."
    )


def test_named_single_part_text_is_the_body() -> None:
    parsed = parse_message(corpus.named_text_body())
    assert parsed.new_text == "Refund please."
    assert parsed.attachments == ()


def test_attachment_names_decoded_and_made_safe() -> None:
    parsed = parse_message(corpus.attachment_names())
    assert [(a.filename, a.content_type, a.size) for a in parsed.attachments] == [
        ("rēķins nov.pdf", "application/pdf", 9),
        ("foto_bšade.jpg", "image/jpeg", 6),
        ("passwd", "application/octet-stream", 10),
        ("part-5.zip", "application/zip", 4),
    ]
    assert parsed.new_text == "See attachments."
    assert "root:x" not in parsed.body_text  # attachments are never read as text


def test_giant_single_line() -> None:
    parsed = parse_message(corpus.giant_line(1_000_000))
    assert len(parsed.body_text) == 1_000_000
    assert parsed.new_text.endswith("END")
    assert parsed.defects == ()


def test_body_text_is_capped() -> None:
    parsed = parse_message(corpus.giant_line(MAX_BODY_CHARS + 5000))
    assert len(parsed.body_text) == MAX_BODY_CHARS
    assert has_defect(parsed.defects, "body text longer than")


def test_twenty_megabyte_attachment() -> None:
    size = 20 * 1024 * 1024
    parsed = parse_message(corpus.big_attachment(size))
    assert parsed.new_text == "Video of the damaged parcel attached."
    assert parsed.attachments == (Attachment("parcel.mp4", "video/mp4", size, inline=False, part_index=2),)
    assert parsed.defects == ()


def test_forwarded_message_inline_goes_to_history() -> None:
    parsed = parse_message(corpus.forwarded())
    assert parsed.new_text == "See the mail below, you promised a refund."
    assert parsed.quoted_text.startswith("---------- Forwarded message ----------\nFrom: Support <support@")
    assert "We will refund EUR 30 within 5 days." in parsed.quoted_text
    assert [(a.filename, a.content_type, a.inline) for a in parsed.attachments] == [
        ("Your refund.eml", "message/rfc822", True)
    ]


def test_forwarded_message_as_attachment_is_not_read() -> None:
    parsed = parse_message(corpus.forwarded(attached=True))
    assert parsed.body_text == "See the mail below, you promised a refund."
    assert parsed.html is None
    assert [(a.filename, a.inline) for a in parsed.attachments] == [("Your refund.eml", False)]


def test_empty_body() -> None:
    parsed = parse_message(corpus.empty_body())
    assert (parsed.body_text, parsed.new_text, parsed.quoted_text, parsed.signature) == ("", "", "", "")
    assert parsed.subject == "Where is my order?"
    assert parsed.defects == ()


@pytest.mark.parametrize(
    ("build", "text", "defect"),
    [
        (corpus.missing_boundary_param, "Please cancel my order 5521.", "no boundary parameter"),
        (corpus.boundary_never_used, "Cancel order 5521 please.", "start boundary was never found"),
        (corpus.truncated, "Photo attached.", "close boundary"),
        (corpus.broken_base64_text, "Mijn bestelling is niet comple", "broken base64"),
    ],
)
def test_broken_mime_keeps_the_text(build, text: str, defect: str) -> None:
    parsed = parse_message(build())
    assert parsed.new_text == text
    assert has_defect(parsed.defects, defect), parsed.defects


def test_truncated_attachment_is_still_listed() -> None:
    parsed = parse_message(corpus.truncated())
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [("photo.png", "image/png")]


def test_deep_nesting_is_cut_with_a_defect() -> None:
    assert parse_message(corpus.deep_nesting(10)).new_text == "Deep text."
    parsed = parse_message(corpus.deep_nesting(60))
    assert parsed.subject == "Where is my order?"
    assert has_defect(parsed.defects, "too deep")


def test_parser_failure_keeps_headers_and_raw_text() -> None:
    parsed = parse_message(corpus.deep_nesting(3000))  # the stdlib parser recurses too deep
    assert parsed.subject == "Where is my order?"
    assert parsed.sender == Address("Anna de Vries", "anna@example.nl")
    assert parsed.message_id == "<order-1@example.nl>"
    assert "Deep text." in parsed.body_text
    assert has_defect(parsed.defects, "could not be parsed as MIME")


def test_delivery_report_is_auto() -> None:
    parsed = parse_message(corpus.delivery_report())
    assert parsed.is_auto
    assert parsed.auto_reason == "delivery status report (multipart/report)"
    assert parsed.new_text.startswith("Delivery to the following recipient failed")
    assert [a.content_type for a in parsed.attachments] == ["message/delivery-status"]


def test_out_of_office_subject_is_auto() -> None:
    parsed = parse_message(
        corpus.message(corpus.standard(subject="Automatisch antwoord: Uw factuur"), "Ik ben weg")
    )
    assert (parsed.is_auto, parsed.auto_reason) == (True, "automatic-reply subject ('Automatisch antwoord')")


def test_own_reply_marker_is_auto() -> None:
    parsed = parse_message(
        corpus.message(corpus.standard(extra=[("X-Mailbot-Reply", "yes")]), "Dear customer")
    )
    assert parsed.is_auto
    assert parsed.auto_reason is not None
    assert "X-Mailbot-Reply" in parsed.auto_reason


def test_customer_mail_is_not_auto() -> None:
    parsed = parse_message(corpus.crlf_line_endings())
    assert (parsed.is_auto, parsed.auto_reason) == (False, None)


def test_format_flowed_is_joined_and_quote_found() -> None:
    parsed = parse_message(corpus.flowed_text())
    assert parsed.new_text == "I still have not received anything. Please check again."
    assert parsed.quoted_text == (
        "On Mon, 2 Nov 2026 at 09:00, Support <support@demo.mailbot.example> wrote:\n> We shipped it."
    )


def test_crlf_line_endings() -> None:
    parsed = parse_message(corpus.crlf_line_endings())
    assert parsed.body_text == "Line one.\nLine two.\n"
    assert parsed.date == NOV_9


# --- never crash -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(corpus.ALL))
def test_every_corpus_message_parses(name: str) -> None:
    parsed = parse_message(corpus.ALL[name]())
    assert parsed.message_id.startswith("<")
    assert parsed.message_id.endswith(">")
    assert isinstance(parsed.body_text, str)


def test_random_garbage() -> None:
    raw = corpus.random_garbage()
    parsed = parse_message(raw)
    assert parsed.message_id == synthetic_message_id(raw)
    assert parsed.sender is None
    assert parsed.defects


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    parsed = parse_message(raw)
    assert parsed.message_id.startswith("<")


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(corpus.ALL)), st.integers(min_value=0, max_value=2**32 - 1))
def test_damaged_corpus_messages_never_raise(name: str, seed: int) -> None:
    """Flip, drop and insert random bytes in a real-looking message."""
    rng = random.Random(seed)
    data = bytearray(corpus.ALL[name]())
    for _ in range(rng.randint(1, 20)):
        if not data:
            break
        position = rng.randrange(len(data))
        action = rng.choice(("flip", "drop", "insert"))
        if action == "flip":
            data[position] = rng.randrange(256)
        elif action == "drop":
            del data[position : position + rng.randint(1, 40)]
        else:
            data[position:position] = rng.choice(
                (b"\n", b"=?", b"?=", b"--", b"\r\n\r\n", b"\xff\xfe", b"<", b";")
            )
    parsed = parse_message(bytes(data))
    assert parsed.message_id.startswith("<")


# --- the demo inbox --------------------------------------------------------------

# file -> (sender, is_auto, replies to support, attachment types, defects expected)
INBOX_EXPECTATIONS: dict[str, tuple[str, bool, bool, tuple[str, ...], bool]] = {
    "en-refund-late-order.eml": ("emma.clarke@example.co.uk", False, False, (), False),
    "en-billing-double-charge-html.eml": ("tom.baker@bakerandsons.example", False, False, (), False),
    "en-legal-threat-reply.eml": ("d.hughes@example.com", False, True, (), False),
    "en-damaged-item-photo.eml": ("priya.nair@example.com", False, False, ("image/png",), False),
    "en-out-of-office.eml": ("j.miller@example.org", True, False, (), False),
    "nl-late-levering.eml": ("sanne.dejong@example.nl", False, False, (), False),
    "nl-factuur-fout-reply.eml": ("p.bakker@bakkerbouw.example", False, True, (), False),
    "nl-klacht-html.eml": ("kees.vandam@example.nl", False, False, (), False),
    "nl-afwezig-autoreply.eml": ("m.visser@example.nl", True, False, (), False),
    "lv-atmaksa-pasutijums.eml": ("janis.berzins@example.lv", False, False, (), False),
    "lv-rekins-kluda-reply.eml": ("anna.kalnina@example.lv", False, True, ("application/pdf",), False),
    "lv-gdpr-datu-dzesana.eml": ("martins.ozols@example.lv", False, False, (), False),
    "th-refund-khuen-ngoen.eml": ("somchai.j@example.co.th", False, False, (), False),
    "th-delivery-late-reply.eml": ("malee.s@example.co.th", False, True, (), False),
    "th-product-question-html.eml": ("niran.k@example.co.th", False, False, (), False),
    "en-broken-mime.eml": ("olivia.grant@example.com", False, False, (), True),
}


def test_inbox_has_the_expected_files() -> None:
    assert sorted(path.name for path in INBOX.glob("*.eml")) == sorted(INBOX_EXPECTATIONS)


@pytest.mark.parametrize("name", sorted(INBOX_EXPECTATIONS))
def test_inbox_message(name: str) -> None:
    sender, is_auto, is_reply, attachment_types, broken = INBOX_EXPECTATIONS[name]
    parsed = parse_message((INBOX / name).read_bytes())
    assert parsed.sender is not None
    assert parsed.sender.addr == sender
    assert parsed.is_auto is is_auto
    assert parsed.date is not None
    assert (parsed.date.year, parsed.date.month) == (2026, 11)
    assert not parsed.message_id.endswith("@mailbot.invalid>")
    assert parsed.new_text.strip()
    assert tuple(a.content_type for a in parsed.attachments) == attachment_types
    assert bool(parsed.defects) is broken, parsed.defects
    if is_reply:
        assert parsed.in_reply_to is not None
        assert parsed.in_reply_to.endswith("@demo.mailbot.example>")
        assert parsed.references[-1] == parsed.in_reply_to
        assert parsed.quoted_text
        assert "support@demo.mailbot.example" in parsed.quoted_text
        assert "support@demo.mailbot.example" not in parsed.new_text
