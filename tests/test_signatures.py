"""split_signature: which trailing lines are a signature, and which are not."""

from __future__ import annotations

import pytest

from mailbot.mail.signatures import split_signature

# (id, text, expected signature); the text part is everything before it.
CASES = [
    ("en-kind-regards", "Refund please.\n\nKind regards,\nEmma", "Kind regards,\nEmma"),
    (
        "en-best-with-company",
        "Call me.\nBest,\nTom Baker\nBaker Ltd\n+44 20 7946 0018",
        "Best,\nTom Baker\nBaker Ltd\n+44 20 7946 0018",
    ),
    ("nl-mvg", "Graag een factuur.\n\nMVG,\nKees", "MVG,\nKees"),
    ("nl-groetjes", "Alvast bedankt voor de moeite!\nGroetjes,\nLotte", "Groetjes,\nLotte"),
    ("lv-ar-cienu", "Lūdzu, atbildiet.\nAr cieņu,\nAnna Kalniņa", "Ar cieņu,\nAnna Kalniņa"),
    ("th-khob-khun-kha", "รบกวนตรวจสอบด้วยค่ะ\nขอบคุณค่ะ\nมาลี", "ขอบคุณค่ะ\nมาลี"),
    ("dash-delimiter", "Text.\n-- \nSig line", "-- \nSig line"),
    ("bare-dashes-near-end", "Text.\n--\nSig line", "--\nSig line"),
    (
        "closing-and-mobile",
        "Text.\nThanks,\nJan\n\nSent from my iPhone",
        "Thanks,\nJan\n\nSent from my iPhone",
    ),
    (
        "closing-before-dash-sig",
        "Text.\nRegards,\nJan\n-- \nJan de Vries\nACME",
        "Regards,\nJan\n-- \nJan de Vries\nACME",
    ),
    ("last-closing-wins", "Thank you!\n\nBest regards,\nJan", "Best regards,\nJan"),
    ("nothing", "Where is my parcel?", ""),
    ("closing-only-is-text", "Thank you!", ""),
    ("name-block-too-long", "Text.\nRegards,\n1\n2\n3\n4\n5\n6\n7", ""),
    ("name-block-too-wide", "Text.\nRegards,\n" + "word " * 30, ""),
    ("mobile-footer-not-at-end", "Sent from my iPhone\n1\n2\n3\n4", ""),
]


@pytest.mark.parametrize(("text", "signature"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_split_signature(text: str, signature: str) -> None:
    lines = text.split("\n")
    body, found = split_signature(lines)
    assert "\n".join(found) == signature
    assert body + found == lines
