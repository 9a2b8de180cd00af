"""Customer letters in English, Dutch, Latvian and Thai: every part, and the exact printed text.

Test data for the OCR tests and the benchmark (rendered to scans by
:mod:`tests.letter_scans`) and for the letter parser's tests. The letters
follow the house style of a customer's letter: the sender's address block
top left, the company's address below it, the date, a subject line ("Re:",
"Betreft:", "Temats:", "เรื่อง"), a salutation, the body, a closing and the
signature name. Names, addresses and case codes are made up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

COMPANY: tuple[str, ...] = (
    "Customer Service",
    "Nordlicht Home Supplies B.V.",
    "Postbus 2210",
    "1000 CE Amsterdam",
)


@dataclass(frozen=True)
class SampleLetter:
    """One customer letter: every part, and the text a perfect OCR would read."""

    key: str
    language: str
    sender: tuple[str, ...]
    date_line: str
    written_on: date
    subject_line: str
    subject: str
    salutation: str
    paragraphs: tuple[str, ...]
    closing: str
    signature: str
    recipient: tuple[str, ...] = COMPANY
    name: str = ""
    email: str = ""
    case_number: str | None = None

    @property
    def sender_name(self) -> str:
        return self.name or self.sender[0]

    @property
    def address(self) -> tuple[str, ...]:
        """The sender's postal address lines, without name and e-mail."""
        return tuple(line for line in self.sender[1:] if "@" not in line)

    @property
    def lines(self) -> tuple[str, ...]:
        """Every printed line, in reading order, blank lines between blocks."""
        blocks = [
            self.sender,
            self.recipient,
            (self.date_line,),
            (self.subject_line,),
            (self.salutation,),
            *((p,) for p in self.paragraphs),
            (self.closing,),
            (self.signature,),
        ]
        out: list[str] = []
        for block in blocks:
            if out:
                out.append("")
            out.extend(block)
        return tuple(out)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def body(self) -> str:
        """Salutation and paragraphs: what the parser should hand to the NLP stages."""
        return "\n\n".join((self.salutation, *self.paragraphs))


LETTERS: tuple[SampleLetter, ...] = (
    SampleLetter(
        key="en-refund",
        language="en",
        sender=(
            "Margaret Thompson",
            "14 Willow Crescent",
            "Bristol BS6 7PL",
            "United Kingdom",
            "margaret.thompson@example.co.uk",
        ),
        email="margaret.thompson@example.co.uk",
        date_line="3 November 2025",
        written_on=date(2025, 11, 3),
        subject_line="Re: Refund for order 58213",
        subject="Refund for order 58213",
        salutation="Dear Sir or Madam,",
        paragraphs=(
            "On 14 October I ordered a set of four oak dining chairs from your shop. Two of the chairs "
            "arrived with cracked legs, and the packaging was torn on one side.",
            "I returned both chairs by registered post on 22 October, as your colleague advised on the "
            "telephone. The tracking number is RR 4471 2093 5GB. I have not yet received the refund of "
            "EUR 189.90 for the two chairs.",
            "Please transfer the amount to my account within 14 days, or let me know in writing why this "
            "is not possible. You can also reach me on 0117 496 0123.",
        ),
        closing="Yours faithfully,",
        signature="Margaret Thompson",
    ),
    SampleLetter(
        key="en-followup",
        language="en",
        sender=("Mr David O'Connor", "Flat 2, 37 Harbour Road", "Plymouth PL1 3QT"),
        name="David O'Connor",
        date_line="Plymouth, 12 January 2026",
        written_on=date(2026, 1, 12),
        subject_line="Re: Your letter about case A7K2M9",
        subject="Your letter about case A7K2M9",
        case_number="A7K2M9",
        salutation="Dear Ms Jansen,",
        paragraphs=(
            "Thank you for your letter of 5 January. You asked me to send a copy of the receipt for the "
            "coffee machine, which I enclose with this letter.",
            "The machine still leaks water after the repair. I would prefer a replacement rather than a "
            "second repair, since I have been without it for almost six weeks.",
        ),
        closing="Kind regards,",
        signature="David O'Connor",
    ),
    SampleLetter(
        key="nl-damage",
        language="nl",
        sender=("Jan de Vries", "Kerkstraat 12", "3512 AB Utrecht"),
        date_line="Utrecht, 28 oktober 2025",
        written_on=date(2025, 10, 28),
        subject_line="Betreft: Beschadigde levering bestelling 77120",
        subject="Beschadigde levering bestelling 77120",
        salutation="Geachte heer, mevrouw,",
        paragraphs=(
            "Op 21 oktober heb ik bij u een boekenkast van eikenhout besteld. Bij de levering bleek de "
            "achterwand gebroken en zaten er diepe krassen in twee planken.",
            "De bezorger heeft de schade op de vrachtbrief genoteerd. Ik verzoek u vriendelijk om binnen "
            "veertien dagen een nieuwe boekenkast te leveren of het aankoopbedrag van € 349,00 terug te "
            "betalen.",
            "U kunt mij overdag bereiken op telefoonnummer 06 1234 5678.",
        ),
        closing="Met vriendelijke groet,",
        signature="Jan de Vries",
    ),
    SampleLetter(
        key="nl-invoice",
        language="nl",
        sender=(
            "Mevr. Fatima el Amrani",
            "Prinsengracht 263-2",
            "1016 GV Amsterdam",
            "f.elamrani@example.nl",
        ),
        name="Fatima el Amrani",
        email="f.elamrani@example.nl",
        date_line="9 december 2025",
        written_on=date(2025, 12, 9),
        subject_line="Betreft: Uw brief inzake zaak Q4R8T2",
        subject="Uw brief inzake zaak Q4R8T2",
        case_number="Q4R8T2",
        salutation="Geachte mevrouw Jansen,",
        paragraphs=(
            "Hartelijk dank voor uw brief. Helaas is de factuur nog steeds niet juist: de bezorgkosten "
            "zijn twee keer in rekening gebracht.",
            "Wilt u mij een gecorrigeerde factuur sturen? Ik betaal het openstaande bedrag zodra ik die "
            "heb ontvangen.",
        ),
        closing="Hoogachtend,",
        signature="Fatima el Amrani",
    ),
    SampleLetter(
        key="lv-invoice",
        language="lv",
        sender=("Anna Bērziņa", "Brīvības iela 88-12", "Rīga, LV-1001", "Latvija"),
        date_line="Rīgā, 2025. gada 5. novembrī",
        written_on=date(2025, 11, 5),
        subject_line="Temats: Kļūda rēķinā pasūtījumam 66342",
        subject="Kļūda rēķinā pasūtījumam 66342",
        salutation="Labdien!",
        paragraphs=(
            "Šā gada 20. oktobrī es jūsu interneta veikalā pasūtīju elektrisko tējkannu un divas "
            "keramikas krūzes. Rēķinā par šo pasūtījumu piegādes maksa ir norādīta divreiz.",
            "Lūdzu, izlabojiet rēķinu un atmaksājiet pārmaksāto summu 4,99 EUR uz manu kontu četrpadsmit "
            "dienu laikā. Ja jums ir jautājumi, zvaniet man pa tālruni 29 123 456.",
            "Pielikumā pievienoju rēķina kopiju un maksājuma uzdevumu.",
        ),
        closing="Ar cieņu,",
        signature="Anna Bērziņa",
    ),
    SampleLetter(
        key="lv-followup",
        language="lv",
        sender=("Jānis Ozoliņš", "Dzirnavu iela 41", "Liepāja, LV-3401", "janis.ozolins@example.lv"),
        email="janis.ozolins@example.lv",
        date_line="2026. gada 14. janvārī",
        written_on=date(2026, 1, 14),
        subject_line="Temats: Lieta Z9X3C5, bojāts ledusskapis",
        subject="Lieta Z9X3C5, bojāts ledusskapis",
        case_number="Z9X3C5",
        salutation="Godātā kundze!",
        paragraphs=(
            "Paldies par jūsu vēstuli. Ledusskapja durvis joprojām neaizveras, un dzesēšana darbojas "
            "ļoti vāji. Meistars ieradās tikai vienu reizi un nomainīja blīvi.",
            "Lūdzu, apmainiet ledusskapi pret jaunu vai atmaksājiet tā cenu. Gaidīšu jūsu atbildi līdz "
            "šī mēneša beigām.",
        ),
        closing="Ar cieņu,",
        signature="Jānis Ozoliņš",
    ),
    SampleLetter(
        key="th-refund",
        language="th",
        sender=("สมชาย ใจดี", "123/45 ถนนสุขุมวิท", "แขวงคลองเตย เขตคลองเตย", "กรุงเทพมหานคร 10110"),
        date_line="10 พฤศจิกายน 2568",
        written_on=date(2025, 11, 10),
        subject_line="เรื่อง ขอคืนเงินค่าหม้อหุงข้าว คำสั่งซื้อ 90211",
        subject="ขอคืนเงินค่าหม้อหุงข้าว คำสั่งซื้อ 90211",
        salutation="เรียน ฝ่ายบริการลูกค้า",
        paragraphs=(
            "ข้าพเจ้าได้สั่งซื้อหม้อหุงข้าวไฟฟ้าจากร้านของท่านเมื่อวันที่ 20 ตุลาคม 2568 "
            "แต่สินค้าที่ได้รับมีรอยแตกที่ฝาด้านบนและไม่สามารถใช้งานได้",
            "ข้าพเจ้าจึงขอให้ท่านคืนเงินจำนวน 1,590 บาท ภายใน 14 วัน หรือส่งสินค้าชิ้นใหม่มาให้แทน "
            "หากต้องการรูปถ่ายเพิ่มเติม กรุณาติดต่อข้าพเจ้าทางโทรศัพท์หมายเลข 081 234 5678",
            "ขอขอบพระคุณล่วงหน้าสำหรับความช่วยเหลือ",
        ),
        closing="ขอแสดงความนับถือ",
        signature="สมชาย ใจดี",
    ),
    SampleLetter(
        key="th-followup",
        language="th",
        sender=("นางสาวมาลี ศรีสุข", "99 หมู่ 4 ตำบลสุเทพ", "อำเภอเมืองเชียงใหม่", "เชียงใหม่ 50200"),
        name="มาลี ศรีสุข",
        date_line="วันที่ 5 มกราคม 2569",
        written_on=date(2026, 1, 5),
        subject_line="เรื่อง ติดตามเคส M3N8P4 พัดลมเสีย",
        subject="ติดตามเคส M3N8P4 พัดลมเสีย",
        case_number="M3N8P4",
        salutation="เรียน ผู้จัดการฝ่ายบริการลูกค้า",
        paragraphs=(
            "ตามที่ท่านได้แจ้งว่าจะส่งช่างมาซ่อมพัดลมภายในหนึ่งสัปดาห์ จนถึงวันนี้ยังไม่มีช่างมาที่บ้านของข้าพเจ้า และพัดลมยังคงใช้งานไม่ได้",
            "ขอให้ท่านช่วยตรวจสอบและแจ้งกำหนดการซ่อมที่แน่นอนกลับมาด้วย",
        ),
        closing="ขอแสดงความนับถือ",
        signature="มาลี ศรีสุข",
    ),
)

LANGUAGES: tuple[str, ...] = ("en", "nl", "lv", "th")


def letters_in(language: str) -> tuple[SampleLetter, ...]:
    return tuple(letter for letter in LETTERS if letter.language == language)


def letter_by_key(key: str) -> SampleLetter:
    return next(letter for letter in LETTERS if letter.key == key)
