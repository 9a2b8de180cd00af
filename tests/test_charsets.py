"""decode_bytes: declared charsets, lying charsets, and guesses."""

from __future__ import annotations

import pytest

from mailbot.mail.charsets import decode_bytes, normalise_label

LATVIAN = "Labdien! Lūdzu, atmaksājiet naudu par pasūtījumu. Jānis Bērziņš"
THAI = "สวัสดีครับ ผมต้องการขอคืนเงินสำหรับคำสั่งซื้อ “8812”"
DUTCH = "Geachte heer, het product was beschadigd — €49,95 terug graag. Groeten, Anouk"

# (id, data, declared, expected text, expected charset, defect fragment or None)
CASES = [
    ("ascii-fast-path", b"Hello", "utf-8", "Hello", "ascii", None),
    ("utf8-declared", DUTCH.encode(), "UTF-8", DUTCH, "utf-8", None),
    (
        "latin1-label-utf8-content",
        DUTCH.encode(),
        "iso-8859-1",
        DUTCH,
        "utf-8",
        "declared charset 'iso-8859-1'",
    ),
    ("cp1252-declared-latin1", DUTCH.encode("cp1252"), "iso-8859-1", DUTCH, "cp1252", None),
    ("cp1257-declared", LATVIAN.encode("cp1257"), "windows-1257", LATVIAN, "cp1257", None),
    ("cp1257-labelled-latin1", LATVIAN.encode("cp1257"), "iso-8859-1", LATVIAN, "cp1257", "reads as cp1257"),
    (
        "iso8859-13-declared",
        LATVIAN.encode("iso8859-13"),
        "ISO-8859-13",
        "Lūdzu, atmaksājiet",
        "iso8859-13",
        None,
    ),
    ("tis620-means-windows874", THAI.encode("cp874"), "TIS-620", THAI, "cp874", None),
    ("windows-874", THAI.encode("cp874"), "windows-874", THAI, "cp874", None),
    ("thai-unlabelled", THAI.encode("cp874"), None, THAI, "cp874", "no charset declared"),
    (
        "unknown-8bit-utf8",
        LATVIAN.encode(),
        "unknown-8bit",
        LATVIAN,
        "utf-8",
        "unusable charset 'unknown-8bit'",
    ),
    ("x-unknown-cp1257", LATVIAN.encode("cp1257"), "x-unknown", LATVIAN, "cp1257", "guessed cp1257"),
    ("nonsense-label-utf8", THAI.encode(), "klingon", THAI, "utf-8", "unusable charset 'klingon'"),
    (
        "us-ascii-with-8bit",
        DUTCH.encode("cp1252"),
        "us-ascii",
        DUTCH,
        "cp1252",
        "could not decode as 'us-ascii'",
    ),
    ("quoted-label", DUTCH.encode(), '"utf-8"', DUTCH, "utf-8", None),
    (
        "utf8-label-broken-bytes",
        b"caf\xe9 cr\xe8me",
        "utf-8",
        "café crème",
        "cp1252",
        "could not decode as 'utf-8'",
    ),
]


@pytest.mark.parametrize(
    ("data", "declared", "text", "charset", "defect"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_decode_bytes(data: bytes, declared: str | None, text: str, charset: str, defect: str | None) -> None:
    decoded = decode_bytes(data, declared, what="body")
    assert text in decoded.text
    assert decoded.charset == charset
    if defect is None:
        assert decoded.defect is None
    else:
        assert decoded.defect is not None
        assert decoded.defect.startswith("body: ")
        assert defect in decoded.defect


def test_undecodable_garbage_never_raises() -> None:
    decoded = decode_bytes(bytes(range(256)) * 4, "utf-16-nonsense")
    assert isinstance(decoded.text, str)
    assert decoded.defect is not None


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("UTF-8", "utf-8"),
        ("utf8", "utf-8"),
        ("windows-874", "cp874"),
        ("tis-620", "cp874"),
        ("ISO-8859-1", "cp1252"),
        ("cp1257", "cp1257"),
        ("unknown-8bit", None),
        ("x-unknown", None),
        ("", None),
        (None, None),
        ("no-such-charset", None),
    ],
)
def test_normalise_label(label: str | None, codec: str | None) -> None:
    assert normalise_label(label) == codec
