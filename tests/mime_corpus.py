"""Builders of ugly e-mail messages, as bytes, for the parse tests.

Nothing here is stored on disk: every message (including a 20 MB
attachment) is built on demand, so the repository stays small and each
builder documents exactly what is wrong with its message. Builders take
keyword arguments where a test wants to vary one thing.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable, Sequence

Header = tuple[str, str | bytes]

SUPPORT = "support@demo.mailbot.example"

# A 1x1 transparent PNG.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def message(headers: Sequence[Header], body: bytes | str, *, eol: bytes = b"\n") -> bytes:
    """Join headers and body into raw bytes; ``bytes`` header values go in raw."""
    lines = []
    for name, value in headers:
        raw = value if isinstance(value, bytes) else value.encode("ascii")
        lines.append(name.encode("ascii") + b": " + raw)
    data = body if isinstance(body, bytes) else body.encode("utf-8")
    head = eol.join(lines)
    return head + eol + eol + data if lines else data


def standard(
    *,
    subject: str | bytes = "Where is my order?",
    sender: str | bytes = "Anna de Vries <anna@example.nl>",
    message_id: str = "<order-1@example.nl>",
    content_type: str = "text/plain; charset=utf-8",
    extra: Sequence[Header] = (),
) -> list[Header]:
    """The usual headers of a customer message, with overrides."""
    headers: list[Header] = [
        ("From", sender),
        ("To", f"Support <{SUPPORT}>"),
        ("Subject", subject),
        ("Date", "Mon, 09 Nov 2026 10:15:00 +0100"),
        ("Message-ID", message_id),
        ("MIME-Version", "1.0"),
        ("Content-Type", content_type),
    ]
    headers.extend(extra)
    return headers


def _b64(data: bytes) -> bytes:
    return base64.encodebytes(data)


# --- charsets ------------------------------------------------------------------


def declared_latin1_but_utf8() -> bytes:
    """Says iso-8859-1, holds UTF-8 (a very common lie)."""
    body = "Het pakket is beschadigd aangekomen. Ik wil graag een terugbetaling van €49,95. Geëerd."
    return message(standard(content_type="text/plain; charset=iso-8859-1"), body.encode("utf-8"))


def latvian_cp1257(*, declared: str = "windows-1257") -> bytes:
    """Latvian text in cp1257, labelled ``declared``."""
    body = "Labdien! Lūdzu, atmaksājiet naudu par pasūtījumu Nr. 4471. Prece nav piegādāta. Jānis Bērziņš"
    return message(standard(content_type=f"text/plain; charset={declared}"), body.encode("cp1257"))


def thai_legacy(*, declared: str = "tis-620") -> bytes:
    """Thai in windows-874 (with its curly quotes, which tis-620 lacks), labelled ``declared``."""
    body = "สวัสดีครับ ผมยังไม่ได้รับสินค้า “คำสั่งซื้อ 8812” ขอคืนเงินด้วยครับ"
    return message(standard(content_type=f"text/plain; charset={declared}"), body.encode("cp874"))


def unknown_charset(*, label: str = "unknown-8bit", body: bytes | None = None) -> bytes:
    """A charset label nobody knows; the body is UTF-8 unless given."""
    data = body if body is not None else "Ik heb €20 te veel betaald. Groeten, Eva".encode()
    return message(standard(content_type=f"text/plain; charset={label}"), data)


def no_charset_8bit() -> bytes:
    """8-bit cp1252 body with no charset parameter at all."""
    return message(standard(content_type="text/plain"), "Café crème – €5 te veel".encode("cp1252"))


# --- headers -------------------------------------------------------------------


def raw_utf8_headers() -> bytes:
    """Raw (unencoded) UTF-8 bytes in Subject and From, as some mailers send."""
    return message(
        standard(
            subject="Atmaksa par pasūtījumu".encode(),
            sender="Jānis Bērziņš <JANIS@Example.LV>".encode(),
        ),
        "Labdien!",
    )


def raw_cp1257_headers() -> bytes:
    """Raw cp1257 bytes in Subject; the body's charset says cp1257 too."""
    return message(
        standard(subject="Rēķins ir nepareizs".encode("cp1257"), content_type="text/plain; charset=cp1257"),
        "Labdien, rēķinā ir kļūda.".encode("cp1257"),
    )


def encoded_words() -> bytes:
    """Thai subject in two encoded words that split one character's bytes."""
    subject_bytes = "ขอคืนเงิน".encode()
    first, second = subject_bytes[:7], subject_bytes[7:]  # 7 is inside a 3-byte character
    subject = (
        "=?UTF-8?B?"
        + base64.b64encode(first).decode()
        + "?= =?UTF-8?B?"
        + base64.b64encode(second).decode()
        + "?="
    )
    return message(
        standard(subject=subject, sender="=?utf-8?q?Somchai_Jaidee?= <SOMCHAI@example.co.th>"),
        "ขอคืนเงินครับ",
    )


def malformed_encoded_words() -> bytes:
    """Encoded words with broken base64, an unknown charset and no end marker."""
    return message(
        standard(
            subject="=?utf-8?B?UmVmdW5k!!?= =?x-nonsense?Q?caf=E9?= =?utf-8?Q?unterminated",
            sender='"=?utf-8?B?Sm9obiBTbWl0aA==?=" <john@example.com>',
        ),
        "Refund please.",
    )


def missing_headers() -> bytes:
    """Only a Subject: no From, Date, Message-ID or MIME headers."""
    return message([("Subject", "hello")], "Is anyone there?")


def duplicate_headers() -> bytes:
    """Two From, two Subject, two Message-ID headers."""
    headers = standard()
    headers += [("From", "Mallory <mallory@example.org>"), ("Subject", "Second subject")]
    headers += [("Message-ID", "<second@example.nl>")]
    return message(headers, "Body.")


def no_headers() -> bytes:
    """No header block at all: the first line is already text."""
    return b"Hello, I never got my refund.\nPlease help.\n"


def bad_date(value: str = "sometime last Tuesday") -> bytes:
    """A Date header that is not a date."""
    headers = [(name, value if name == "Date" else header) for name, header in standard()]
    return message(headers, "Body.")


def message_id_without_brackets() -> bytes:
    """Message-ID and References written without angle brackets."""
    extra: list[Header] = [
        ("References", "first@example.nl second@example.nl"),
        ("In-Reply-To", "second@example.nl"),
    ]
    return message(standard(message_id="bare-id@example.nl", extra=extra), "Body.")


# --- structure -----------------------------------------------------------------


def html_only() -> bytes:
    """HTML body only, with a style block, a script and an HTML entity."""
    html = (
        "<html><head><style>p { color: red }</style><script>alert('x')</script></head>"
        "<body><p>Dear support,</p><p>I was charged twice &amp; want my money back.</p>"
        "<script>document.write('evil')</script><p>Tom</p></body></html>"
    )
    return message(standard(content_type="text/html; charset=utf-8"), html)


def plain_and_html() -> bytes:
    """multipart/alternative: the plain part must win."""
    body = (
        "--ALT\nContent-Type: text/plain; charset=utf-8\n\nPLAIN VERSION: refund please\n"
        "--ALT\nContent-Type: text/html; charset=utf-8\n\n<p>HTML VERSION: refund please</p>\n--ALT--\n"
    )
    return message(standard(content_type='multipart/alternative; boundary="ALT"'), body)


def nested_multipart() -> bytes:
    """mixed[alternative[plain, related[html, inline png]], pdf attachment]."""
    png = _b64(TINY_PNG).decode()
    pdf = _b64(b"%PDF-1.4\n% invoice\n" + b"0" * 1000).decode()
    body = f"""--MIX
Content-Type: multipart/alternative; boundary="ALT"

--ALT
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

The invoice total is wrong: =E2=82=AC120 instead of =E2=82=AC100.
--ALT
Content-Type: multipart/related; boundary="REL"

--REL
Content-Type: text/html; charset=utf-8

<p>The invoice total is wrong.</p><img src="cid:logo@x">
--REL
Content-Type: image/png
Content-ID: <logo@x>
Content-Transfer-Encoding: base64

{png}--REL--
--ALT--
--MIX
Content-Type: application/pdf; name="invoice.pdf"
Content-Disposition: attachment; filename="invoice.pdf"
Content-Transfer-Encoding: base64

{pdf}--MIX--
"""
    return message(standard(content_type='multipart/mixed; boundary="MIX"'), body)


def empty_plain_alternative() -> bytes:
    """multipart/alternative whose plain part is empty: the HTML must be read."""
    body = (
        "--ALT\nContent-Type: text/plain; charset=utf-8\n\n\n"
        "--ALT\nContent-Type: text/html; charset=utf-8\n\n<p>Where is my refund?</p>\n--ALT--\n"
    )
    return message(standard(content_type='multipart/alternative; boundary="ALT"'), body)


def html_only_reply() -> bytes:
    """An HTML-only Gmail-style reply: the quote has no ">" markers after conversion."""
    html = (
        '<div dir="ltr">Still nothing arrived.<div><br></div><div>Emma</div></div><br>'
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, 2 Nov 2026 at 09:00, '
        f"Support &lt;{SUPPORT}&gt; wrote:<br></div>"
        '<blockquote class="gmail_quote">Your parcel is on its way.</blockquote></div>'
    )
    extra: list[Header] = [("In-Reply-To", "<answer-1@demo.mailbot.example>")]
    return message(standard(content_type="text/html; charset=utf-8", extra=extra), html)


def named_text_body() -> bytes:
    """A single-part message whose text part carries a file name."""
    return message(standard(content_type='text/plain; charset=utf-8; name="message.txt"'), "Refund please.")


def html_then_plain_footer() -> bytes:
    """mixed[html body, plain footer added by a gateway]: both must be read."""
    body = (
        "--M\nContent-Type: text/html; charset=utf-8\n\n<p>My parcel is late.</p>\n"
        "--M\nContent-Type: text/plain; charset=utf-8\n\nScanned by GatewayAV\n--M--\n"
    )
    return message(standard(content_type='multipart/mixed; boundary="M"'), body)


def attachment_names() -> bytes:
    """RFC 2231 name, RFC 2047 name (non-standard but common), a path, no name."""
    body = """--M
Content-Type: text/plain; charset=utf-8

See attachments.
--M
Content-Type: application/pdf
Content-Disposition: attachment; filename*=UTF-8''r%C4%93%C4%B7ins%20nov.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--M
Content-Type: image/jpeg; name="=?utf-8?B?Zm90b19ixaFhZGUuanBn?="
Content-Disposition: attachment; filename="=?utf-8?B?Zm90b19ixaFhZGUuanBn?="
Content-Transfer-Encoding: base64

/9j/4AAQ
--M
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="../../etc/passwd"

root:x:0:0
--M
Content-Type: application/zip
Content-Transfer-Encoding: base64

UEsDBA==
--M--
"""
    return message(standard(content_type='multipart/mixed; boundary="M"'), body)


def giant_line(size: int = 1_000_000) -> bytes:
    """One line of ``size`` characters and no line break."""
    return message(standard(), "A" * (size - 3) + "END")


def big_attachment(size: int = 20 * 1024 * 1024) -> bytes:
    """A short text and a ``size``-byte base64 attachment."""
    payload = _b64(random.Random(7).randbytes(size))
    body = (
        b"--M\nContent-Type: text/plain; charset=utf-8\n\nVideo of the damaged parcel attached.\n"
        b'--M\nContent-Type: video/mp4\nContent-Disposition: attachment; filename="parcel.mp4"\n'
        b"Content-Transfer-Encoding: base64\n\n" + payload + b"--M--\n"
    )
    return message(standard(content_type='multipart/mixed; boundary="M"'), body)


def forwarded(*, attached: bool = False) -> bytes:
    """A customer forwards an earlier mail as message/rfc822."""
    disposition = "attachment" if attached else "inline"
    body = f"""--M
Content-Type: text/plain; charset=utf-8

See the mail below, you promised a refund.
--M
Content-Type: message/rfc822
Content-Disposition: {disposition}

From: Support <{SUPPORT}>
Subject: Your refund
Date: Mon, 02 Nov 2026 09:00:00 +0000
Content-Type: multipart/alternative; boundary="A"

--A
Content-Type: text/plain; charset=utf-8

We will refund EUR 30 within 5 days.
--A
Content-Type: text/html; charset=utf-8

<p>We will refund EUR 30 within 5 days.</p>
--A--
--M--
"""
    return message(standard(content_type='multipart/mixed; boundary="M"'), body)


def empty_body() -> bytes:
    """Headers and nothing else."""
    return message(standard(), "")


def missing_boundary_param() -> bytes:
    """multipart/mixed with no boundary parameter."""
    return message(standard(content_type="multipart/mixed"), "Please cancel my order 5521.")


def boundary_never_used() -> bytes:
    """A boundary is declared but never appears."""
    return message(standard(content_type='multipart/mixed; boundary="NOPE"'), "Cancel order 5521 please.")


def truncated() -> bytes:
    """Cut off inside a base64 attachment: no closing boundary."""
    body = (
        "--M\nContent-Type: text/plain; charset=utf-8\n\nPhoto attached.\n"
        '--M\nContent-Type: image/png\nContent-Disposition: attachment; filename="photo.png"\n'
        "Content-Transfer-Encoding: base64\n\niVBORw0KGgoAAAANSUh"
    )
    return message(standard(content_type='multipart/mixed; boundary="M"'), body)


def broken_base64_text() -> bytes:
    """A text part whose base64 has a damaged end."""
    encoded = base64.b64encode(b"Mijn bestelling is niet compleet.").decode()
    return message(standard(extra=[("Content-Transfer-Encoding", "base64")]), encoded[:-3] + "!")


def deep_nesting(levels: int = 60) -> bytes:
    """``levels`` multiparts inside each other, text at the bottom."""
    body = "Deep text.\n"
    content_type = "text/plain"
    for level in range(levels):
        boundary = f"B{level}"
        body = f"--{boundary}\nContent-Type: {content_type}\n\n{body}--{boundary}--\n"
        content_type = f'multipart/mixed; boundary="{boundary}"'
    return message(standard(content_type=content_type), body)


def delivery_report() -> bytes:
    """A bounce: multipart/report from MAILER-DAEMON with an empty Return-Path."""
    body = """--R
Content-Type: text/plain

Delivery to the following recipient failed permanently: customer@example.com
--R
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; customer@example.com
Action: failed
Status: 5.1.1
--R--
"""
    headers = standard(
        sender="Mail Delivery System <MAILER-DAEMON@mx.example.com>",
        subject="Undelivered Mail Returned to Sender",
        content_type='multipart/report; report-type=delivery-status; boundary="R"',
        extra=[("Return-Path", "<>")],
    )
    return message(headers, body)


def flowed_text() -> bytes:
    """format=flowed with a soft-wrapped reply header."""
    body = (
        "I still have not received anything. \n"
        "Please check again.\n\n"
        "On Mon, 2 Nov 2026 at 09:00, Support <support@demo.mailbot.example> \n"
        "wrote:\n"
        "> We shipped it.\n"
    )
    return message(standard(content_type="text/plain; charset=utf-8; format=flowed"), body)


def crlf_line_endings() -> bytes:
    """Everything with CRLF, as it comes off the wire."""
    return message(standard(), "Line one.\r\nLine two.\r\n", eol=b"\r\n")


def random_garbage(seed: int = 1, size: int = 4096) -> bytes:
    """Random bytes: not a message at all."""
    return random.Random(seed).randbytes(size)


# Every builder with default arguments (the two big ones excepted), for sweeps.
ALL: dict[str, Callable[[], bytes]] = {
    builder.__name__: builder
    for builder in (
        declared_latin1_but_utf8,
        latvian_cp1257,
        thai_legacy,
        unknown_charset,
        no_charset_8bit,
        raw_utf8_headers,
        raw_cp1257_headers,
        encoded_words,
        malformed_encoded_words,
        missing_headers,
        duplicate_headers,
        no_headers,
        bad_date,
        message_id_without_brackets,
        html_only,
        plain_and_html,
        nested_multipart,
        html_then_plain_footer,
        empty_plain_alternative,
        html_only_reply,
        named_text_body,
        attachment_names,
        forwarded,
        empty_body,
        missing_boundary_param,
        boundary_never_used,
        truncated,
        broken_base64_text,
        deep_nesting,
        delivery_report,
        flowed_text,
        crlf_line_endings,
        random_garbage,
    )
}
