"""Header values: RFC 2047 words, raw 8-bit bytes, addresses, ids, dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mailbot.mail.headers import Decoder, message_ids, parse_date
from mailbot.model import Address


def raw(data: bytes) -> str:
    """A header value as BytesParser hands it over (8-bit bytes as surrogates)."""
    return data.decode("ascii", "surrogateescape")


TEXT = [
    ("plain", "Refund for order 4471", "Refund for order 4471"),
    ("q-word", "=?utf-8?q?Atmaksa_par_pas=C5=ABt=C4=ABjumu?=", "Atmaksa par pasūtījumu"),
    ("b-word", "=?UTF-8?B?4LiC4Lit4LiE4Li34LiZ4LmA4LiH4Li04LiZ?=", "ขอคืนเงิน"),
    ("adjacent-words-join", "=?utf-8?q?Re:_?= =?utf-8?q?Factuur?=", "Re: Factuur"),
    ("word-and-text", "Re: =?iso-8859-1?q?caf=E9?= bill", "Re: café bill"),
    ("latin1-word", "=?iso-8859-1?q?Gr=FC=DFe?=", "Grüße"),
    ("cp1257-word", "=?windows-1257?q?R=E7=EDins?=", "Rēķins"),
    ("rfc2231-language", "=?utf-8*lv?q?R=C4=93=C4=B7ins?=", "Rēķins"),
    ("lowercase-b-no-padding", "=?utf-8?b?SsOhbg?=", "Ján"),
    ("folded", "Refund\n for\r\n\torder", "Refund for order"),
    ("control-chars", "Refund\x00\x07 now", "Refund now"),
    ("raw-utf8", raw("Pasūtījums".encode()), "Pasūtījums"),
    ("raw-utf8-thai", raw("คืนเงิน".encode()), "คืนเงิน"),
]


@pytest.mark.parametrize(("value", "expected"), [case[1:] for case in TEXT], ids=[case[0] for case in TEXT])
def test_text(value: str, expected: str) -> None:
    decoder = Decoder()
    assert decoder.text(value, what="Subject") == expected
    assert decoder.defects == []


def test_raw_bytes_use_the_hint_charset() -> None:
    decoder = Decoder(hint_charset="cp1257")
    assert decoder.text(raw("Rēķins".encode("cp1257")), what="Subject") == "Rēķins"
    assert decoder.defects == ["Subject: raw 8-bit bytes in header, read as cp1257"]


def test_malformed_word_is_kept_and_reported() -> None:
    decoder = Decoder()
    assert decoder.text("=?utf-8?B?A?= ok", what="Subject") == "=?utf-8?B?A?= ok"
    assert decoder.defects == ["Subject: malformed encoded word '=?utf-8?B?A?='"]


def test_overlong_value_is_cut() -> None:
    decoder = Decoder()
    assert len(decoder.text("x" * 5000, what="Subject")) == 2000
    assert decoder.defects == ["Subject: longer than 2000 characters; cut"]


ADDRESSES = [
    ("simple", "Anna@Example.NL", [Address("", "anna@example.nl")]),
    ("named", "Anna de Vries <Anna@Example.NL>", [Address("Anna de Vries", "anna@example.nl")]),
    ("quoted-comma", '"Doe, John" <j@d.nl>, x@y.nl', [Address("Doe, John", "j@d.nl"), Address("", "x@y.nl")]),
    ("encoded-name", "=?utf-8?q?J=C4=81nis?= <j@x.lv>", [Address("Jānis", "j@x.lv")]),
    ("quoted-encoded-name", '"=?utf-8?B?U29tY2hhaQ==?=" <s@x.th>', [Address("Somchai", "s@x.th")]),
    ("raw-8bit-name", raw("Jānis <J@X.LV>".encode()), [Address("Jānis", "j@x.lv")]),
    ("comment-name", "a@b.nl (Anna)", [Address("Anna", "a@b.nl")]),
    ("group", "Team: a@b.nl, c@d.nl;", [Address("", "a@b.nl"), Address("", "c@d.nl")]),
    ("no-domain", "MAILER-DAEMON", [Address("", "mailer-daemon")]),
    ("garbage-with-address", "<<<junk>>> anna@example.nl >>>", [Address("", "anna@example.nl")]),
]


@pytest.mark.parametrize(
    ("value", "expected"), [case[1:] for case in ADDRESSES], ids=[case[0] for case in ADDRESSES]
)
def test_addresses(value: str, expected: list[Address]) -> None:
    assert Decoder().addresses(value, what="From") == expected


def test_unusable_address_is_a_defect() -> None:
    decoder = Decoder()
    assert decoder.addresses("undisclosed-recipients:;", what="To") == []
    assert decoder.defects == ["To: no usable address in 'undisclosed-recipients:;'"]


IDS = [
    ("<a@b>", ["<a@b>"]),
    ("  < a@b >  ", ["<a@b>"]),
    ("<a@b> <c@d>\n <e@f>", ["<a@b>", "<c@d>", "<e@f>"]),
    ("<a@b>,<c@d>", ["<a@b>", "<c@d>"]),
    ("a@b c@d", ["<a@b>", "<c@d>"]),
    ("Your message of Monday <a@b>", ["<a@b>"]),
    ("no id here", []),
    ("", []),
    ("<>", []),
]


@pytest.mark.parametrize(("value", "expected"), IDS)
def test_message_ids(value: str, expected: list[str]) -> None:
    assert message_ids(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 09 Nov 2026 10:15:00 +0100", datetime(2026, 11, 9, 9, 15, tzinfo=UTC)),
        ("Mon,\n 09 Nov 2026 10:15:00 +0100", datetime(2026, 11, 9, 9, 15, tzinfo=UTC)),
        ("2026-11-09 09:15:00", datetime(2026, 11, 9, 9, 15, tzinfo=UTC)),
        ("Mon, 09 Nov 2026 25:15:00 +0100", None),
        (raw("Pirmd\xe2, 09 Nov 2026".encode("latin-1")), None),
        ("tomorrow", None),
    ],
)
def test_parse_date(value: str, expected: datetime | None) -> None:
    assert parse_date(value) == expected
