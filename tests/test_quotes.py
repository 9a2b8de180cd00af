"""split_reply: the customer's new words, the quoted history, the signature.

Each row is a realistic body as it arrives (after MIME decoding) and the
exact three parts expected. The last rows are the conservative cases: text
that looks a little like history or a signature but is the customer's.
"""

from __future__ import annotations

import pytest

from mailbot.mail.quotes import split_reply

SUPPORT = "Mailbot Support <support@demo.mailbot.example>"

# (id, body, new_text, signature, quoted_text starts with)
CASES: list[tuple[str, str, str, str, str]] = [
    (
        "en-gmail",
        f"Hi,\n\nI still haven't received my refund for order 4471.\n\nKind regards,\nEmma Clarke\n\n"
        f"On Mon, 9 Nov 2026 at 14:02, {SUPPORT} wrote:\n> Dear Emma,\n>\n> We have processed your refund.\n",
        "Hi,\n\nI still haven't received my refund for order 4471.",
        "Kind regards,\nEmma Clarke",
        "On Mon, 9 Nov 2026 at 14:02, Mailbot Support",
    ),
    (
        "en-attribution-wrapped",
        f"Any news on this?\n\nOn Mon, 9 Nov 2026 at 14:02, {SUPPORT}\nwrote:\n> We are looking into it.\n",
        "Any news on this?",
        "",
        "On Mon, 9 Nov 2026 at 14:02, Mailbot Support <support@demo.mailbot.example>\nwrote:\n> We are",
    ),
    (
        "en-outlook-original-message",
        "Hello,\n\nThat is not what I ordered.\n\n"
        "Best regards,\nTom Baker\nBaker & Sons Ltd.\n+44 20 7946 0018\n\n"
        f"-----Original Message-----\nFrom: {SUPPORT}\nSent: Monday, November 9, 2026 2:02 PM\n"
        "To: Tom Baker <tom@bakerandsons.co.uk>\nSubject: Your order\n\nDear Tom,\n",
        "Hello,\n\nThat is not what I ordered.",
        "Best regards,\nTom Baker\nBaker & Sons Ltd.\n+44 20 7946 0018",
        "-----Original Message-----\nFrom: Mailbot Support",
    ),
    (
        "en-outlook-rule-and-iphone",
        "Please cancel the order.\n\nSent from my iPhone\n\n________________________________\n"
        f"From: {SUPPORT}\nSent: Monday, November 9, 2026 2:02 PM\nTo: Tom\nSubject: RE: order\n",
        "Please cancel the order.",
        "Sent from my iPhone",
        "________________________________\nFrom: Mailbot Support",
    ),
    (
        "en-html-converted-no-markers",
        f"The charger does not fit.\n\nOn Tue, Nov 10, 2026 at 9:30 AM {SUPPORT} wrote:\n"
        "Dear customer,\nwhich model do you have?\n",
        "The charger does not fit.",
        "",
        "On Tue, Nov 10, 2026 at 9:30 AM",
    ),
    (
        "en-bottom-post",
        f"On Mon, 9 Nov 2026 at 14:02, {SUPPORT} wrote:\n> Could you send the order number?\n\nIt is 4471.\n",
        "It is 4471.",
        "",
        "On Mon, 9 Nov 2026 at 14:02",
    ),
    (
        "en-interleaved",
        "Hi,\n\n> Did the parcel arrive damaged?\nYes, the box was crushed.\n\n> Do you have photos?\n"
        "I attached two.\n",
        "Hi,\n\nYes, the box was crushed.\n\nI attached two.",
        "",
        "> Did the parcel arrive damaged?\n> Do you have photos?",
    ),
    (
        "en-dash-signature",
        "Please call me back.\n\n-- \nJan de Vries\nwww.devries.example\n",
        "Please call me back.",
        "--\nJan de Vries\nwww.devries.example",
        "",
    ),
    (
        "en-forwarded",
        "See below, this is the third time.\n\n---------- Forwarded message ---------\n"
        "From: Shop <shop@demo.mailbot.example>\nDate: Mon, 2 Nov 2026\n\nYour order has shipped.\n",
        "See below, this is the third time.",
        "",
        "---------- Forwarded message ---------",
    ),
    (
        "nl-gmail",
        "Goedemiddag,\n\nIk heb nog steeds niets ontvangen.\n\nMet vriendelijke groet,\nSanne de Jong\n\n"
        f"Op ma 9 nov 2026 om 14:02 schreef {SUPPORT}:\n> Beste Sanne,\n> Uw pakket is onderweg.\n",
        "Goedemiddag,\n\nIk heb nog steeds niets ontvangen.",
        "Met vriendelijke groet,\nSanne de Jong",
        "Op ma 9 nov 2026 om 14:02 schreef",
    ),
    (
        "nl-apple-het-volgende-geschreven",
        "Dat bedrag klopt niet.\n\nVerstuurd vanaf mijn iPhone\n\n"
        f"Op 9 nov. 2026 om 14:02 heeft {SUPPORT} het volgende geschreven:\n\n> Beste klant,\n",
        "Dat bedrag klopt niet.",
        "Verstuurd vanaf mijn iPhone",
        "Op 9 nov. 2026 om 14:02 heeft Mailbot Support",
    ),
    (
        "nl-attribution-wrapped",
        "Wanneer krijg ik mijn geld terug?\n\nOp ma 9 nov 2026 om 14:02 schreef Mailbot Support <\n"
        "support@demo.mailbot.example>:\n> Beste klant,\n",
        "Wanneer krijg ik mijn geld terug?",
        "",
        "Op ma 9 nov 2026 om 14:02 schreef Mailbot Support <\nsupport@",
    ),
    (
        "nl-outlook-van-verzonden",
        "Hallo,\n\nGraag ontvang ik een creditnota.\n\nMet vriendelijke groet,\n\nPieter Bakker\n\n"
        f"Van: {SUPPORT}\nVerzonden: maandag 9 november 2026 14:02\nAan: Pieter Bakker <pieter@bakker.nl>\n"
        "Onderwerp: Uw factuur\n",
        "Hallo,\n\nGraag ontvang ik een creditnota.",
        "Met vriendelijke groet,\n\nPieter Bakker",
        "Van: Mailbot Support",
    ),
    (
        "nl-oorspronkelijk-bericht",
        "Zie hieronder.\n\nGroeten,\nKees\n\n-----Oorspronkelijk bericht-----\nVan: Mailbot Support\n"
        "Verzonden: maandag 9 november 2026 14:02\n",
        "Zie hieronder.",
        "Groeten,\nKees",
        "-----Oorspronkelijk bericht-----",
    ),
    (
        "lv-gmail",
        "Labdien!\n\nPrece joprojām nav saņemta.\n\nAr cieņu,\nJānis Bērziņš\n\n"
        "pirmd., 2026. g. 9. nov., plkst. 14:02 — lietotājs Mailbot Support (<support@demo.mailbot.example>) "
        "rakstīja:\n> Labdien, Jāni!\n",
        "Labdien!\n\nPrece joprojām nav saņemta.",
        "Ar cieņu,\nJānis Bērziņš",
        "pirmd., 2026. g. 9. nov., plkst. 14:02",
    ),
    (
        "lv-date-name-rakstija",
        f"Paldies, bet nauda vēl nav atgriezta.\n\n2026. gada 9. novembrī 14:02, {SUPPORT} rakstīja:\n"
        "> Labdien!\n",
        "Paldies, bet nauda vēl nav atgriezta.",
        "",
        "2026. gada 9. novembrī 14:02, Mailbot Support",
    ),
    (
        "lv-outlook-no-nosutits",
        "Sveiki,\n\nlūdzu atceliet pasūtījumu.\n\nNosūtīts no mana iPhone\n\n"
        f"No: {SUPPORT}\nNosūtīts: pirmdiena, 2026. gada 9. novembris 14:02\nKam: Jānis\nTēma: Pasūtījums\n",
        "Sveiki,\n\nlūdzu atceliet pasūtījumu.",
        "Nosūtīts no mana iPhone",
        "No: Mailbot Support",
    ),
    (
        "th-gmail",
        "สวัสดีครับ\n\nผมยังไม่ได้รับเงินคืนครับ\n\nขอบคุณครับ\nสมชาย ใจดี\n\n"
        f"เมื่อ วันจันทร์ที่ 9 พ.ย. 2026 เวลา 14:02 {SUPPORT} เขียนว่า:\n> เรียนคุณสมชาย\n",
        "สวัสดีครับ\n\nผมยังไม่ได้รับเงินคืนครับ",
        "ขอบคุณครับ\nสมชาย ใจดี",
        "เมื่อ วันจันทร์ที่ 9 พ.ย. 2026 เวลา 14:02",
    ),
    (
        "th-attribution-wrapped",
        f"ได้รับสินค้าแล้วแต่ชำรุดค่ะ\n\nเมื่อ วันจันทร์ที่ 9 พ.ย. 2026 เวลา 14:02 {SUPPORT}\nเขียนว่า:\n> เรียนลูกค้า\n",
        "ได้รับสินค้าแล้วแต่ชำรุดค่ะ",
        "",
        "เมื่อ วันจันทร์ที่ 9 พ.ย. 2026",
    ),
    (
        "th-outlook-jak-song",
        "เรียนฝ่ายบริการลูกค้า\n\nกรุณาตรวจสอบใบแจ้งหนี้อีกครั้งค่ะ\n\nขอแสดงความนับถือ\nมาลี\n\n"
        f"จาก: {SUPPORT}\nส่ง: 9 พฤศจิกายน 2026 14:02\nถึง: มาลี\nเรื่อง: ใบแจ้งหนี้\n",
        "เรียนฝ่ายบริการลูกค้า\n\nกรุณาตรวจสอบใบแจ้งหนี้อีกครั้งค่ะ",
        "ขอแสดงความนับถือ\nมาลี",
        "จาก: Mailbot Support",
    ),
    (
        "th-iphone",
        "ยกเลิกคำสั่งซื้อด้วยค่ะ\n\nส่งจาก iPhone ของฉัน\n",
        "ยกเลิกคำสั่งซื้อด้วยค่ะ",
        "ส่งจาก iPhone ของฉัน",
        "",
    ),
    # Conservative: these stay the customer's words.
    ("keep-thank-you-alone", "Thank you!\n", "Thank you!", "", ""),
    ("keep-thanks-and-name-alone", "Thanks,\nJan\n", "Thanks,\nJan", "", ""),
    ("keep-paldies-alone", "Paldies!\n", "Paldies!", "", ""),
    (
        "keep-wrote-without-date",
        "My colleague wrote:\nthe item is broken, please replace it.\n",
        "My colleague wrote:\nthe item is broken, please replace it.",
        "",
        "",
    ),
    (
        "keep-from-sentence",
        "From: my home address I sent it back.\nThat was last week.\n",
        "From: my home address I sent it back.\nThat was last week.",
        "",
        "",
    ),
    (
        "keep-closing-with-long-text-after",
        "Regards\n\nthe parcel you sent me contained the wrong size, and the replacement you promised on the "
        "phone never arrived either, so I want my money back now.\n",
        "Regards\n\nthe parcel you sent me contained the wrong size, and the replacement you promised on the "
        "phone never arrived either, so I want my money back now.",
        "",
        "",
    ),
    (
        "keep-long-paragraph-starting-with-on",
        "On Monday I called you twice and nobody picked up. I have order 4471 and it is still not here.\n",
        "On Monday I called you twice and nobody picked up. I have order 4471 and it is still not here.",
        "",
        "",
    ),
    ("empty", "", "", "", ""),
]


@pytest.mark.parametrize(
    ("body", "new_text", "signature", "quoted_start"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_split_reply(body: str, new_text: str, signature: str, quoted_start: str) -> None:
    got_new, got_quoted, got_signature = split_reply(body)
    assert got_new == new_text
    assert got_signature == signature
    if quoted_start:
        assert got_quoted.startswith(quoted_start)
    else:
        assert got_quoted == ""


@pytest.mark.parametrize("body", [case[1] for case in CASES], ids=[case[0] for case in CASES])
def test_no_customer_line_is_lost(body: str) -> None:
    """Every non-blank line ends up in exactly one of the three parts."""
    parts = split_reply(body)
    kept = [line.strip() for part in parts for line in part.split("\n") if line.strip()]
    original = [line.strip() for line in body.split("\n") if line.strip()]
    assert sorted(kept) == sorted(original)


def test_crlf_is_normalised() -> None:
    new, quoted, _ = split_reply("Where is it?\r\n\r\nOn Mon, 9 Nov 2026, X <x@y.z> wrote:\r\n> Soon.\r\n")
    assert new == "Where is it?"
    assert quoted.endswith("> Soon.")


def test_giant_single_line_is_new_text() -> None:
    body = "x" * 1_000_000
    assert split_reply(body) == (body, "", "")
