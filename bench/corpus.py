"""A generated corpus of realistic customer e-mail for benchmarks.

Deterministic (seeded): four languages, plain and HTML bodies, replies that
quote and reference earlier messages, signatures, small attachments, a few
auto-replies, typical sizes of 1-20 KB.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

_TEXTS = {
    "en": [
        "Hello,\n\nI ordered a pair of running shoes (order #{n}) on {d} and they still have not arrived. "
        "Could you tell me where my parcel is? I need them before the weekend.\n",
        "Hi there,\n\nI was charged twice for invoice {n}, EUR {a}. Please refund the second payment.\n",
        "Dear customer service,\n\nThe coffee machine I bought last month stopped heating. The display shows "
        "error E{n}. What should I do?\n",
    ],
    "nl": [
        "Beste klantenservice,\n\nIk heb op {d} een bank besteld (bestelnummer {n}) maar er is nog niets "
        "geleverd. Kunt u laten weten wanneer ik hem kan verwachten?\n",
        "Hallo,\n\nMijn factuur {n} klopt niet: er staat EUR {a} op terwijl ik het kortingsbedrag had "
        "verwacht. Graag een gecorrigeerde factuur.\n",
        "Goedendag,\n\nIk wil de jas retourneren, hij is te klein. Hoe werkt het retourneren?\n",
    ],
    "lv": [
        "Labdien!\n\nEs pasūtīju austiņas (pasūtījuma nr. {n}) {d}, bet tās vēl nav piegādātas. Lūdzu, "
        "pasakiet, kur ir mans sūtījums.\n",
        "Sveiki,\n\nNo manas kartes divreiz noņemti {a} EUR par rēķinu {n}. Lūdzu atmaksāt.\n",
        "Labdien,\n\nVai šī telefona apvalks der arī modelim X{n}? Paldies par atbildi.\n",
    ],
    "th": [
        "สวัสดีครับ\n\nผมสั่งรองเท้าวิ่ง หมายเลขคำสั่งซื้อ {n} เมื่อวันที่ {d} แต่ยังไม่ได้รับสินค้าเลยครับ "
        "รบกวนช่วยตรวจสอบให้หน่อยครับ\n",
        "สวัสดีค่ะ\n\nดิฉันถูกเรียกเก็บเงินซ้ำสองครั้ง {a} บาท สำหรับใบแจ้งหนี้ {n} ขอคืนเงินด้วยค่ะ\n",
        "เรียนฝ่ายบริการลูกค้า\n\nเครื่องชงกาแฟที่ซื้อไปเปิดไม่ติด ขึ้นข้อผิดพลาด E{n} ควรทำอย่างไรคะ\n",
    ],
}
_SIGNATURES = {
    "en": "\nKind regards,\n{name}\n",
    "nl": "\nMet vriendelijke groet,\n{name}\n",
    "lv": "\nAr cieņu,\n{name}\n",
    "th": "\nขอแสดงความนับถือ\n{name}\n",
}
_NAMES = ["Anna Berzina", "Jan de Vries", "Emily Clark", "Somchai Jaidee", "Peter Jansen", "Ilze Kalnina"]
_SUBJECTS = {
    "en": ["Where is my order?", "Double charge", "Broken coffee machine"],
    "nl": ["Levering bestelling", "Factuur klopt niet", "Retour jas"],
    "lv": ["Kur ir mans pasūtījums?", "Divreiz noņemta nauda", "Jautājums par apvalku"],
    "th": ["สอบถามสถานะคำสั่งซื้อ", "ถูกเรียกเก็บเงินซ้ำ", "เครื่องชงกาแฟเสีย"],
}


def generate(count: int, *, seed: int = 7, support: str = "support@demo.mailbot.example") -> Iterator[bytes]:
    """Yield ``count`` raw RFC 822 messages."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    sent: list[tuple[str, str, str, str]] = []  # (message-id, subject, sender, body)
    for i in range(count):
        lang = rng.choice(list(_TEXTS))
        name = rng.choice(_NAMES)
        sender = f"{name.split()[0].lower()}.{i % 2000}@example.{rng.choice(['com', 'nl', 'lv', 'co.th'])}"
        when = start + timedelta(minutes=3 * i)
        body = rng.choice(_TEXTS[lang]).format(
            n=rng.randint(10000, 99999),
            d=when.strftime("%d.%m.%Y"),
            a=f"{rng.randint(5, 900)}.{rng.randint(0, 99):02d}",
        )
        body += "\n" + ("Extra details about my situation. " * rng.randint(0, 40))
        body += _SIGNATURES[lang].format(name=name)
        msg = EmailMessage()
        subject = rng.choice(_SUBJECTS[lang])
        kind = rng.random()
        if kind < 0.15 and sent:
            parent_id, parent_subject, parent_sender, parent_body = rng.choice(sent[-500:])
            sender = parent_sender
            subject = "Re: " + parent_subject
            msg["In-Reply-To"] = parent_id
            msg["References"] = parent_id
            body += "\n\nOn Mon, 2 Nov 2026 at 10:00, Support wrote:\n" + "".join(
                "> " + line + "\n" for line in parent_body.splitlines()
            )
        elif kind < 0.18:
            msg["Auto-Submitted"] = "auto-replied"
            subject = "Automatic reply: " + subject
        msg["From"] = f"{name} <{sender}>"
        msg["To"] = support
        msg["Subject"] = subject
        msg["Date"] = format_datetime(when)
        message_id = make_msgid(idstring=str(i), domain="example.com")
        msg["Message-ID"] = message_id
        msg.set_content(body)
        if rng.random() < 0.2:
            html = (
                "<html><body>"
                + "".join(f"<p>{line}</p>" for line in body.splitlines() if line)
                + "</body></html>"
            )
            msg.add_alternative(html, subtype="html")
        if rng.random() < 0.05:
            msg.add_attachment(
                rng.randbytes(rng.randint(2_000, 30_000)),
                maintype="application",
                subtype="pdf",
                filename=f"invoice-{i}.pdf",
            )
        sent.append((message_id, subject.removeprefix("Re: "), sender, body))
        yield msg.as_bytes()
