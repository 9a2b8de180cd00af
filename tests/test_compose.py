"""Reply MIME: header validation tables, threading headers, four languages, injection attempts."""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email import policy as email_policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.mail.compose import (
    LOOP_HEADER,
    HeaderError,
    Reply,
    check_address,
    check_message_id,
    check_text,
    compose_reply,
    new_message_id,
    reply_subject,
    reply_threading,
    text_to_html,
)
from mailbot.mail.parse import parse_message
from mailbot.model import Address

WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
BASE = Reply(
    sender=Address("Support", "support@example.com"),
    to=Address("Ann Customer", "ann@example.net"),
    subject="Order 12345 late",
    text="Hello Ann,\n\nyour parcel left our warehouse today.\n\nKind regards\nSupport",
    message_id="<0123456789abcdef@example.com>",
    date=WHEN,
    in_reply_to="<m1@example.net>",
    references=("<m0@example.net>", "<m1@example.net>"),
)

# -- addresses ----------------------------------------------------------------

GOOD_ADDRESSES = [
    ("ann@example.com", "ann@example.com"),
    ("a.b+tag@sub.example.co.uk", "a.b+tag@sub.example.co.uk"),
    ("ANN@Example.COM", "ANN@example.com"),
    ("o'brien@example.ie", "o'brien@example.ie"),
    ("janis@bērni.lv", "janis@xn--brni-bva.lv"),
    ("user@localhost", "user@localhost"),
]

BAD_ADDRESSES = [
    ("empty", ""),
    ("no-at", "ann.example.com"),
    ("no-local", "@example.com"),
    ("no-domain", "ann@"),
    ("two-ats", "ann@b@example.com"),
    ("crlf-bcc", "ann@example.com\r\nBcc: victim@example.org"),
    ("lf", "ann@example.com\nBcc: victim@example.org"),
    ("nul", "ann@example.com\x00"),
    ("space-inside", "ann smith@example.com"),
    ("surrounding-space", " ann@example.com"),
    ("angle-brackets", "<ann@example.com>"),
    ("two-addresses", "ann@example.com,bob@example.com"),
    ("double-dot-domain", "ann@example..com"),
    ("double-dot-local", "a..b@example.com"),
    ("leading-hyphen-label", "ann@-example.com"),
    ("underscore-domain", "ann@exam_ple.com"),
    ("quoted-local", '"ann smith"@example.com'),
    ("non-ascii-local", "jānis@example.lv"),
    ("local-too-long", "a" * 65 + "@example.com"),
    ("unicode-line-separator", "ann@example.com\u2028"),
]


@pytest.mark.parametrize(("value", "expected"), GOOD_ADDRESSES, ids=[g[0] for g in GOOD_ADDRESSES])
def test_good_addresses(value: str, expected: str) -> None:
    assert check_address(value) == expected


@pytest.mark.parametrize("value", [b[1] for b in BAD_ADDRESSES], ids=[b[0] for b in BAD_ADDRESSES])
def test_bad_addresses(value: str) -> None:
    with pytest.raises(HeaderError):
        check_address(value)


# -- header text ---------------------------------------------------------------

CONTROL = [
    ("cr", "a\rb"),
    ("lf", "a\nb"),
    ("crlf-header", "Refund\r\nBcc: victim@example.org"),
    ("nul", "a\x00b"),
    ("tab", "a\tb"),
    ("escape", "a\x1b[31mb"),
    ("del", "a\x7fb"),
    ("vertical-tab", "a\x0bb"),
    ("form-feed", "a\x0cb"),
    ("file-separator", "a\x1cb"),
    ("nel", "a\x85b"),
    ("c1-control", "a\x9bb"),
    ("line-separator", "a\u2028b"),
    ("paragraph-separator", "a\u2029b"),
    ("lone-surrogate", "a\ud800b"),
]


@pytest.mark.parametrize("value", [c[1] for c in CONTROL], ids=[c[0] for c in CONTROL])
def test_control_characters_refused(value: str) -> None:
    with pytest.raises(HeaderError):
        check_text(value, what="Subject")


@pytest.mark.parametrize(
    "value",
    ["Refund for order 4471", "Pasūtījums nav ieradies", "ขอคืนเงิน ครับ", "Factuur € 12,50", "x" * 300],
)
def test_ordinary_text_passes(value: str) -> None:
    assert check_text(value, what="Subject") == value


MESSAGE_IDS = [
    ("<a@b>", True),
    ("<1234.5678@mail.example.com>", True),
    ("<CAF=x+y/z@mail.gmail.com>", True),
    ("a@b", False),
    ("<a b@c>", False),
    ("<a@b>\r\nBcc: x@y.z", False),
    ("<a@b><c@d>", False),
    ("<>", False),
    ("<no-at-sign>", False),
    ("<a@b", False),
    ("<ā@b>", False),
    ("<" + "a" * 250 + "@b>", False),
]


@pytest.mark.parametrize(("value", "valid"), MESSAGE_IDS)
def test_message_ids(value: str, valid: bool) -> None:
    if valid:
        assert check_message_id(value) == value
    else:
        with pytest.raises(HeaderError):
            check_message_id(value)


def test_new_message_id_uses_the_sender_domain() -> None:
    assert new_message_id("Support@Example.COM", "0123abcd4567") == "<0123abcd4567@example.com>"
    assert new_message_id("help@bērni.lv", "0123abcd4567") == "<0123abcd4567@xn--brni-bva.lv>"
    with pytest.raises(HeaderError):
        new_message_id("support@example.com", "short")
    with pytest.raises(HeaderError):
        new_message_id("support@example.com", "has space in it")


THREADING = [
    ("parent-appended", "<p@x>", ["<r@x>"], ("<p@x>", ("<r@x>", "<p@x>"))),
    ("parent-already-last", "<p@x>", ["<r@x>", "<p@x>"], ("<p@x>", ("<r@x>", "<p@x>"))),
    ("repeats-dropped", "<p@x>", ["<r@x>", "<r@x>", "<q@x>"], ("<p@x>", ("<r@x>", "<q@x>", "<p@x>"))),
    ("no-parent", None, ["<r@x>"], (None, ("<r@x>",))),
    ("nothing", None, [], (None, ())),
    ("broken-parent-dropped", "not an id", ["<r@x>"], (None, ("<r@x>",))),
    ("injected-ref-dropped", "<p@x>", ["<r@x>\r\nBcc: v@x.y", "<q@x>"], ("<p@x>", ("<q@x>", "<p@x>"))),
]


@pytest.mark.parametrize(
    ("parent", "refs", "expected"), [t[1:] for t in THREADING], ids=[t[0] for t in THREADING]
)
def test_reply_threading(
    parent: str | None, refs: list[str], expected: tuple[str | None, tuple[str, ...]]
) -> None:
    assert reply_threading(parent, refs) == expected


def test_long_reference_chains_keep_the_root_and_the_latest() -> None:
    refs = [f"<m{n}@x>" for n in range(40)]
    parent, chain = reply_threading("<m40@x>", refs)
    assert parent == "<m40@x>"
    assert len(chain) == 20
    assert chain[0] == "<m0@x>" and chain[-1] == "<m40@x>" and chain[-2] == "<m39@x>"


SUBJECTS = [
    ("Order late", "Re: Order late"),
    ("Re: Order late", "Re: Order late"),
    ("RE: Order late", "RE: Order late"),
    ("Antw: Bestelling", "Antw: Bestelling"),
    ("Atb: Pasūtījums", "Atb: Pasūtījums"),
    ("ตอบกลับ: คำสั่งซื้อ", "ตอบกลับ: คำสั่งซื้อ"),
    ("[Ticket #12] Refund", "Re: [Ticket #12] Refund"),
    ("  spaced   out ", "Re: spaced out"),
    ("", "Re:"),
]


@pytest.mark.parametrize(("subject", "expected"), SUBJECTS)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_text_to_html_escapes_and_keeps_paragraphs() -> None:
    html = text_to_html("Dear <b>Ann</b> & co,\nline two\n\nsecond paragraph")
    assert "<p>Dear &lt;b&gt;Ann&lt;/b&gt; &amp; co,<br>\nline two</p>" in html
    assert "<p>second paragraph</p>" in html
    assert "<b>" not in html


# -- the whole message -----------------------------------------------------------

LANGUAGES = [
    ("en", "Support", "Ann Customer", "Order 12345 late", "Hello Ann,\n\nyour parcel left today.\n"),
    (
        "nl",
        "Klantenservice",
        "Jan de Vries",
        "Bestelling niet ontvangen",
        "Beste Jan,\n\nuw pakket is vandaag verzonden. Één dag nog.\n",
    ),
    (
        "lv",
        "Klientu atbalsts — Pērkons",
        'Jānis "JB" Bērziņš, SIA',
        "Pasūtījums nav ieradies",
        "Labdien, Jāni!\n\nJūsu sūtījums šodien atstāja noliktavu.\n",
    ),
    (
        "th",
        "ฝ่ายบริการลูกค้า",
        "สมชาย ใจดี",
        "ยังไม่ได้รับสินค้า กรุณาตรวจสอบให้ด้วยครับ ยังไม่ได้รับสินค้า กรุณาตรวจสอบ",
        "สวัสดีครับ คุณสมชาย\n\nพัสดุของท่านถูกส่งออกจากคลังสินค้าแล้ววันนี้\n",
    ),
]


@pytest.mark.parametrize(
    ("sender_name", "to_name", "subject", "text"), [x[1:] for x in LANGUAGES], ids=[x[0] for x in LANGUAGES]
)
def test_round_trip_through_our_parser(sender_name: str, to_name: str, subject: str, text: str) -> None:
    reply = replace(
        BASE,
        sender=Address(sender_name, "support@example.com"),
        to=Address(to_name, "customer@example.net"),
        subject=subject,
        text=text,
    )
    raw = compose_reply(reply)
    assert raw.isascii()
    lines = raw.split(b"\r\n")
    assert all(len(line) <= 998 for line in lines)
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only, no bare LF
    parsed = parse_message(raw)
    assert parsed.subject == reply_subject(subject)
    assert parsed.sender == Address(sender_name, "support@example.com")
    assert parsed.to == (Address(to_name, "customer@example.net"),)
    assert parsed.message_id == BASE.message_id
    assert parsed.in_reply_to == "<m1@example.net>"
    assert parsed.references == ("<m0@example.net>", "<m1@example.net>")
    assert parsed.body_text.strip() == text.strip()
    assert parsed.date == WHEN
    assert not parsed.defects


def _headers(raw: bytes) -> list[tuple[str, str]]:
    message = email.message_from_bytes(raw, policy=email_policy.default)
    return [(name.lower(), str(value)) for name, value in message.items()]


def test_headers_are_exactly_ours() -> None:
    raw = compose_reply(BASE)
    names = [name for name, _ in _headers(raw)]
    assert names == [
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        LOOP_HEADER.lower(),
        "content-type",
        "content-transfer-encoding",
        "mime-version",
    ]
    assert dict(_headers(raw))[LOOP_HEADER.lower()] == "yes"
    assert b"Auto-Submitted" not in raw  # a person approved it: not an automatic message
    assert b"Date: Mon, 23 Nov 2026 09:30:00 +0000\r\n" in raw


def test_date_is_written_in_utc() -> None:
    local = datetime(2026, 11, 23, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    assert b"Date: Mon, 23 Nov 2026 09:30:00 +0000\r\n" in compose_reply(replace(BASE, date=local))
    with pytest.raises(ValueError, match="timezone"):
        compose_reply(replace(BASE, date=datetime(2026, 11, 23, 9, 30)))


def test_no_threading_headers_for_a_first_message() -> None:
    names = [name for name, _ in _headers(compose_reply(replace(BASE, in_reply_to=None, references=())))]
    assert "in-reply-to" not in names and "references" not in names


def test_html_alternative() -> None:
    raw = compose_reply(replace(BASE, html=text_to_html(BASE.text)))
    message = email.message_from_bytes(raw, policy=email_policy.default)
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert parse_message(raw).body_text.strip() == BASE.text.strip()


def test_body_lines_starting_with_a_dot_and_very_long_lines_survive() -> None:
    text = "first\n.\n..two dots\n" + "x" * 2000 + "\nend"
    raw = compose_reply(replace(BASE, text=text))
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert parse_message(raw).body_text.rstrip("\n") == text


INJECTIONS = [
    ("subject-crlf", {"subject": "Refund\r\nBcc: victim@example.org"}),
    ("subject-lf", {"subject": "Refund\nBcc: victim@example.org"}),
    ("subject-nel", {"subject": "Refund\x85Bcc: victim@example.org"}),
    ("subject-nul", {"subject": "Refund\x00"}),
    ("to-name-crlf", {"to": Address("Ann\r\nBcc: victim@example.org", "ann@example.net")}),
    ("to-name-u2028", {"to": Address("Ann\u2028Bcc: victim@example.org", "ann@example.net")}),
    ("to-addr-crlf", {"to": Address("Ann", "ann@example.net\r\nBcc: victim@example.org")}),
    ("to-addr-list", {"to": Address("Ann", "ann@example.net, victim@example.org")}),
    ("to-addr-angle", {"to": Address("Ann", "ann@example.net>, <victim@example.org")}),
    ("from-name-cr", {"sender": Address("Support\rX-Evil: 1", "support@example.com")}),
    ("message-id-crlf", {"message_id": "<a@b>\r\nBcc: victim@example.org"}),
    ("in-reply-to-crlf", {"in_reply_to": "<a@b>\r\nBcc: victim@example.org"}),
    ("references-crlf", {"references": ("<a@b>\r\nBcc: victim@example.org",)}),
    ("text-nul", {"text": "hello\x00world"}),
    ("name-too-long", {"to": Address("A" * 201, "ann@example.net")}),
    ("subject-too-long", {"subject": "S" * 501}),
]


@pytest.mark.parametrize("change", [i[1] for i in INJECTIONS], ids=[i[0] for i in INJECTIONS])
def test_injection_attempts_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(HeaderError):
        compose_reply(replace(BASE, **change))  # type: ignore[arg-type]


# Literal text that looks like an RFC 2047 word hiding a CR LF: Python's email header
# classes decode it on assignment and write the CR LF out (3.11.7), so compose must not.
ENCODED_CRLF = "=?utf-8?q?Ann=0D=0ABcc:_victim@example.org?="


@pytest.mark.parametrize(
    "name",
    [
        'Ann "Bcc: victim@example.org" Smith',
        "Ann, Bcc: victim@example.org",
        "Ann <victim@example.org>",
        "Ann \\ Smith",
        "=?x?q?y?=",
        ENCODED_CRLF,
        "Jānis " + ENCODED_CRLF,
    ],
)
def test_tricky_but_legal_names_stay_inside_the_to_header(name: str) -> None:
    raw = compose_reply(replace(BASE, to=Address(name, "ann@example.net")))
    headers = _headers(raw)
    assert [n for n, _ in headers].count("to") == 1
    assert "bcc" not in [n for n, _ in headers]
    to = email.message_from_bytes(raw, policy=email_policy.default)["To"].addresses
    assert [a.addr_spec for a in to] == ["ann@example.net"]
    assert parse_message(raw).to == (Address(name, "ann@example.net"),)


def test_subject_that_looks_encoded_stays_literal() -> None:
    raw = compose_reply(replace(BASE, subject=ENCODED_CRLF))
    assert "bcc" not in [name for name, _ in _headers(raw)]
    assert b"\r\nBcc" not in raw
    assert parse_message(raw).subject == "Re: " + ENCODED_CRLF


_PIECES = st.sampled_from(
    [
        "=?utf-8?q?",
        "=?utf-8?b?",
        "?=",
        "=0D=0A",
        "DQo=",
        "Bcc: ",
        "\r\n",
        '"',
        "\\",
        "<",
        ">",
        ",",
        "ā",
        "ไทย",
    ]
)
_ANY_TEXT = st.lists(
    _PIECES | st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8), max_size=10
).map("".join)


@settings(max_examples=300, deadline=None)
@given(subject=_ANY_TEXT, name=_ANY_TEXT)
def test_no_value_ever_adds_a_header(subject: str, name: str) -> None:
    """Whatever a customer's subject or name holds: refused, or exactly our headers come out."""
    try:
        raw = compose_reply(replace(BASE, subject=subject, to=Address(name, "ann@example.net")))
    except HeaderError:
        return
    names = [n for n, _ in _headers(raw)]
    assert names == [n for n, _ in _headers(compose_reply(BASE))]
    parsed = parse_message(raw)
    assert parsed.subject == reply_subject(subject)
    assert parsed.to[0].addr == "ann@example.net"
