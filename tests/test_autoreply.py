"""detect_auto: machine-written mail is recognised, customer mail is not."""

from __future__ import annotations

import pytest

from mailbot.mail.autoreply import detect_auto

CUSTOMER = "anna@example.nl"

# (id, headers, subject, sender, expected reason fragment or None)
CASES: list[tuple[str, list[tuple[str, str]], str, str, str | None]] = [
    ("loop-marker", [("X-Mailbot-Reply", "yes")], "Re: Refund", CUSTOMER, "our own reply"),
    ("auto-submitted-replied", [("Auto-Submitted", "auto-replied")], "Refund", CUSTOMER, "Auto-Submitted"),
    (
        "auto-submitted-generated",
        [("auto-submitted", "auto-generated; type=x")],
        "Hi",
        CUSTOMER,
        "Auto-Submitted",
    ),
    ("auto-submitted-no", [("Auto-Submitted", "no")], "Refund", CUSTOMER, None),
    ("x-autoreply", [("X-Autoreply", "yes")], "Refund", CUSTOMER, "X-Autoreply"),
    ("x-autorespond", [("X-Autorespond", "Out of office")], "Refund", CUSTOMER, "X-Autorespond"),
    ("suppress-all", [("X-Auto-Response-Suppress", "All")], "Refund", CUSTOMER, "X-Auto-Response-Suppress"),
    (
        "suppress-oof",
        [("X-Auto-Response-Suppress", "DR, OOF")],
        "Refund",
        CUSTOMER,
        "X-Auto-Response-Suppress",
    ),
    ("suppress-dr-only", [("X-Auto-Response-Suppress", "DR, RN")], "Refund", CUSTOMER, None),
    ("precedence-bulk", [("Precedence", "bulk")], "News", CUSTOMER, "Precedence"),
    ("precedence-junk", [("Precedence", "junk")], "News", CUSTOMER, "Precedence"),
    ("precedence-list", [("Precedence", "list")], "News", CUSTOMER, "Precedence"),
    ("precedence-auto-reply", [("Precedence", "auto_reply")], "News", CUSTOMER, "Precedence"),
    ("precedence-first-class", [("Precedence", "first-class")], "Refund", CUSTOMER, None),
    ("list-id", [("List-Id", "<shop.lists.example>")], "Digest", CUSTOMER, "List-Id"),
    ("list-unsubscribe", [("List-Unsubscribe", "<mailto:u@x>")], "Offer", CUSTOMER, "List-Unsubscribe"),
    ("return-path-null", [("Return-Path", "<>")], "Failure", CUSTOMER, "Return-Path"),
    ("return-path-normal", [("Return-Path", "<anna@example.nl>")], "Refund", CUSTOMER, None),
    ("mailer-daemon", [], "Failure notice", "mailer-daemon@mx.example.com", "mailer-daemon"),
    ("postmaster", [], "Failure notice", "postmaster@example.com", "postmaster"),
    (
        "delivery-report",
        [("Content-Type", "multipart/report; report-type=delivery-status")],
        "x",
        CUSTOMER,
        "report",
    ),
    ("subject-en-ooo", [], "Out of Office: Refund for order 4471", CUSTOMER, "subject"),
    ("subject-en-automatic-reply", [], "Automatic reply: Refund", CUSTOMER, "subject"),
    ("subject-en-autoreply", [], "Auto-Reply: Refund", CUSTOMER, "subject"),
    ("subject-nl-afwezig", [], "Afwezig: Uw factuur", CUSTOMER, "subject"),
    ("subject-nl-automatisch-antwoord", [], "Automatisch antwoord: Uw factuur", CUSTOMER, "subject"),
    ("subject-lv-automatiska-atbilde", [], "Automātiska atbilde: Rēķins", CUSTOMER, "subject"),
    ("subject-lv-automatiska-long-a", [], "Automātiskā atbilde: Rēķins", CUSTOMER, "subject"),
    ("subject-th", [], "ตอบกลับอัตโนมัติ: ใบแจ้งหนี้", CUSTOMER, "subject"),
    ("subject-undeliverable", [], "Undeliverable: Your order", CUSTOMER, "subject"),
    ("subject-ooo-alone", [], "Out of office", CUSTOMER, "subject"),
    # Customer mail that only looks similar.
    ("customer-plain", [("X-Mailer", "Outlook")], "Refund for order 4471", CUSTOMER, None),
    ("customer-out-of-office-hours", [], "Out of office hours support?", CUSTOMER, None),
    ("customer-about-auto-reply", [], "Your automatic reply system is broken", CUSTOMER, None),
    ("customer-afwezigheid", [], "Afwezigheid bezorger", CUSTOMER, None),
    ("customer-re-auto-reply", [], "Re: Automatic reply: Refund", CUSTOMER, None),
    ("no-sender", [], "Refund", "", None),
]


@pytest.mark.parametrize(
    ("headers", "subject", "sender", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_detect_auto(headers: list[tuple[str, str]], subject: str, sender: str, reason: str | None) -> None:
    is_auto, got = detect_auto(headers, subject, sender or None)
    assert is_auto is (reason is not None)
    if reason is None:
        assert got is None
    else:
        assert got is not None
        assert reason.lower() in got.lower()


def test_strongest_signal_is_reported() -> None:
    headers = [("Precedence", "bulk"), ("X-Mailbot-Reply", "yes")]
    assert detect_auto(headers, "Out of office", CUSTOMER) == (True, "our own reply (X-Mailbot-Reply: yes)")


def test_first_value_of_a_header_counts() -> None:
    headers = [("Auto-Submitted", "no"), ("Auto-Submitted", "auto-replied")]
    assert detect_auto(headers, "Refund", CUSTOMER) == (False, None)
