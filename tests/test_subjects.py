"""Subject prefixes in en/nl/lv/th and the thread-matching key."""

from __future__ import annotations

import pytest

from mailbot.mail.subjects import strip_reply_prefixes, subject_key

STRIP = [
    ("Re: Refund for order 4471", "Refund for order 4471"),
    ("RE: RE: Re: Refund", "Refund"),
    ("Fwd: Re: Late delivery", "Late delivery"),
    ("FW: Late delivery", "Late delivery"),
    ("Fw: Late delivery", "Late delivery"),
    ("AW: WG: Rechnung", "Rechnung"),
    ("Antw: Factuur 2026-118", "Factuur 2026-118"),
    ("Antwoord: Doorst: Factuur", "Factuur"),
    ("Doorst: Klacht", "Klacht"),
    ("Atb: Pasūtījums nav piegādāts", "Pasūtījums nav piegādāts"),
    ("Pārs: Atb: Rēķins", "Rēķins"),
    ("Pav: Rēķins", "Rēķins"),
    ("ตอบกลับ: ขอคืนเงิน", "ขอคืนเงิน"),
    ("ส่งต่อ: ตอบกลับ: ขอคืนเงิน", "ขอคืนเงิน"),
    ("Re[2]: Refund", "Refund"),
    ("RE (3): Refund", "Refund"),
    ("Re : Refund", "Refund"),
    ("Re:Re:Refund", "Refund"),
    ("RE: [EXTERNAL] Refund", "Refund"),
    ("[External] Re: Refund", "Refund"),
    ("Re: [Ticket #1234] Refund", "[Ticket #1234] Refund"),
    ("[Ticket #1234] RE: Antw: Refund", "[Ticket #1234] Refund"),
    ("Fwd: Order 5521 (fwd)", "Order 5521"),
    ("  Re:   Refund  ", "Refund"),
    # Not prefixes: words that merely start the same way, or no colon.
    ("Refund: order 4471", "Refund: order 4471"),
    ("Reply needed about my order", "Reply needed about my order"),
    ("Atbilde nav saņemta", "Atbilde nav saņemta"),
    ("Re order 4471", "Re order 4471"),
    ("", ""),
    ("Re:", ""),
]


@pytest.mark.parametrize(("subject", "expected"), STRIP)
def test_strip_reply_prefixes(subject: str, expected: str) -> None:
    assert strip_reply_prefixes(subject) == expected


SAME_KEY = [
    ("Refund for order 4471", "RE: refund for ORDER 4471"),
    ("Refund for order 4471", "Re:  Refund   for order 4471"),
    ("Refund", "ＲＥ：Ｒｅｆｕｎｄ"),  # full-width forms (NFKC)
    ("Straße", "Re: STRASSE"),  # case folding, not just lower()
    ("[Ticket #12] Refund", "Re: [TICKET #12] Antw: refund"),
    ("Pasūtījums", "Atb: PASŪTĪJUMS"),
    ("ขอคืนเงิน", "ตอบกลับ: ขอคืนเงิน"),
    ("Factuur", "[EXTERNAL] Doorst: Factuur"),
]


@pytest.mark.parametrize(("first", "second"), SAME_KEY)
def test_same_subject_key(first: str, second: str) -> None:
    assert subject_key(first) == subject_key(second)


DIFFERENT_KEY = [
    ("[Ticket #12] Refund", "[Ticket #13] Refund"),  # ticket numbers are kept
    ("[Ticket #12] Refund", "Refund"),
    ("Refund order 1", "Refund order 2"),
]


@pytest.mark.parametrize(("first", "second"), DIFFERENT_KEY)
def test_different_subject_key(first: str, second: str) -> None:
    assert subject_key(first) != subject_key(second)


def test_subject_key_is_normalised() -> None:
    assert subject_key("  RE: Fwd:  Late   DELIVERY ") == "late delivery"
