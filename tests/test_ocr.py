"""The OCR boundary with real tesseract and poppler on scans generated in four languages.

Every scan is rendered, rasterised and spoiled (rotation, blur, noise) at
test time by :mod:`tests.letter_scans`; the character error rate is
measured against the exact rendered text. Goals from the issue: under 3%
for English, Dutch and Latvian, under 8% for Thai.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from mailbot.mail.letter_parse import parse_letter
from mailbot.ocr import OcrError, TesseractOcr, make_ocr, primary_language, scan_kind
from tests.letter_scans import ScanLook, cer, letter_by_key, scan_bytes, scanned_pages

CER_GOAL = {"en": 0.03, "nl": 0.03, "lv": 0.03, "th": 0.08}


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\x89PNG\r\n\x1a\n\x00", "png"),
        (b"\xff\xd8\xff\xe0", "jpeg"),
        (b"II*\x00\x08", "tiff"),
        (b"MM\x00*\x00", "tiff"),
    ],
)
def test_scan_kind_from_the_first_bytes(head: bytes, kind: str) -> None:
    assert scan_kind(head) == kind


@pytest.mark.parametrize("head", [b"", b"From: a@b\r\n", b"GIF89a", b"PK\x03\x04"])
def test_other_files_are_not_scans(head: bytes) -> None:
    with pytest.raises(OcrError, match="not a scan"):
        scan_kind(head)


def test_languages_are_tried_dutch_first_unless_a_model_is_asked_for_first() -> None:
    engine = TesseractOcr(languages=("en", "th", "nl", "lv"))
    assert engine.tesseract_languages() == "nld+eng+lav+tha"
    assert engine.tesseract_languages("th") == "tha+nld+eng+lav"
    assert engine.tesseract_languages("lv") == "lav+nld+eng+tha"
    assert TesseractOcr(languages=("en",)).tesseract_languages("th") == "eng"


@pytest.mark.parametrize(
    ("text", "languages", "first"),
    [
        ("สมชาย ใจดี 123/45 ถนนสุขุมวิท Customer Service", ("en", "th"), "th"),
        ("สมชาย ใจดี 123/45 ถนนสุขุมวิท Customer Service", ("en", "nl"), None),  # Thai not configured
        (letter_by_key("en-refund").text + "\nAnna Bērziņa", ("en", "lv", "th"), None),  # a name only
        ("Šā gada 20. oktobrī es jūsu veikalā pasūtīju tējkannu.", ("en", "lv"), "lv"),
        ("Šā gada 20. oktobrī es jūsu veikalā pasūtīju tējkannu.", ("en", "nl"), None),
        ("Geachte heer, de kast is beschadigd geleverd.", ("en", "nl", "lv", "th"), None),
        ("", ("en", "nl", "lv", "th"), None),
    ],
)
def test_primary_language_from_a_first_reading(
    text: str, languages: tuple[str, ...], first: str | None
) -> None:
    assert primary_language(text, languages) == first


@pytest.fixture(scope="module")
def ocr() -> TesseractOcr:
    return make_ocr(("en", "nl", "lv", "th"))


@pytest.mark.integration
@pytest.mark.parametrize(
    ("key", "look"),
    [
        ("en-refund", ScanLook(dpi=250, rotation=1.4, blur=0.7, noise=12, seed=21)),
        ("nl-damage", ScanLook(dpi=300, rotation=-1.1, blur=0.8, noise=14, seed=22)),
        ("lv-invoice", ScanLook(dpi=250, rotation=0.9, blur=0.6, noise=12, seed=23)),
        ("th-refund", ScanLook(dpi=300, rotation=-1.5, blur=0.6, noise=12, seed=24)),
    ],
)
def test_png_scans_read_within_the_goal_with_address_and_date(
    ocr: TesseractOcr, key: str, look: ScanLook
) -> None:
    letter = letter_by_key(key)
    result = ocr.read(scan_bytes(letter, "png", look))
    assert result.kind == "png" and len(result.pages) == 1
    assert cer(letter.text, result.text) < CER_GOAL[letter.language]
    assert result.confidence is not None and result.confidence > 0.85
    parts = parse_letter(result.text, own_names=("Nordlicht",))
    assert (parts.name, parts.address, parts.date) == (letter.sender_name, letter.address, letter.written_on)
    assert parts.subject == letter.subject


@pytest.mark.integration
def test_text_layer_pdf_is_taken_as_printed_without_ocr(ocr: TesseractOcr) -> None:
    letter = letter_by_key("lv-followup")
    result = ocr.read(scan_bytes(letter, "text-pdf"))
    assert [page.method for page in result.pages] == ["text-layer"]
    assert result.confidence is None
    assert cer(letter.text, result.text) == 0.0


@pytest.mark.integration
def test_image_only_pdf_of_two_pages_is_rasterised_and_read(ocr: TesseractOcr) -> None:
    letter = letter_by_key("nl-invoice")
    data = scan_bytes(letter, "pdf", ScanLook(dpi=200, rotation=-0.8, seed=31), break_before=1)
    result = ocr.read(data)
    assert [(page.number, page.method) for page in result.pages] == [(1, "ocr"), (2, "ocr")]
    assert letter.paragraphs[1][:30] in result.pages[1].text
    assert cer(letter.text, result.text) < CER_GOAL["nl"]


@pytest.mark.integration
def test_multi_page_tiff_and_jpeg(ocr: TesseractOcr) -> None:
    english = letter_by_key("en-followup")
    tiff = ocr.read(scan_bytes(english, "tiff", ScanLook(dpi=200, rotation=1.0, seed=41), break_before=1))
    assert (tiff.kind, len(tiff.pages)) == ("tiff", 2)
    assert cer(english.text, tiff.text) < CER_GOAL["en"]
    latvian = letter_by_key("lv-followup")
    jpeg = ocr.read(scan_bytes(latvian, "jpeg", ScanLook(dpi=250, rotation=-1.3, seed=42)))
    assert jpeg.kind == "jpeg"
    assert cer(latvian.text, jpeg.text) < CER_GOAL["lv"]


@pytest.mark.integration
@pytest.mark.parametrize(("key", "turn"), [("en-followup", 180), ("nl-invoice", 90)])
def test_an_upside_down_or_sideways_scan_is_turned_and_read(ocr: TesseractOcr, key: str, turn: int) -> None:
    letter = letter_by_key(key)
    page = scanned_pages(letter, ScanLook(dpi=200, rotation=0.5, seed=51))[0].rotate(turn, expand=True)
    out = io.BytesIO()
    page.save(out, "PNG", dpi=(200, 200))
    result = ocr.read(out.getvalue())
    assert (result.pages[0].rotated - turn) % 180 == 0 and result.pages[0].rotated != 0
    assert cer(letter.text, result.text) < CER_GOAL[letter.language]


@pytest.mark.integration
def test_a_broken_thai_text_layer_is_replaced_by_ocr(ocr: TesseractOcr) -> None:
    # WeasyPrint maps the Loma font's shifted tone marks to the wrong characters
    # in the text layer; the page must be read from its image instead.
    letter = letter_by_key("th-followup")
    result = ocr.read(scan_bytes(letter, "text-pdf"))
    assert result.pages[0].method == "ocr"
    assert cer(letter.text, result.text) < CER_GOAL["th"]


@pytest.mark.integration
def test_a_blank_page_reads_as_no_text_with_zero_confidence(ocr: TesseractOcr) -> None:
    out = io.BytesIO()
    Image.new("L", (1654, 2339), 255).save(out, "PNG", dpi=(200, 200))
    result = ocr.read(out.getvalue())
    assert (result.text, result.confidence) == ("", 0.0)


@pytest.mark.integration
@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"%PDF-1.4\nnot really a pdf\n", b"\xff\xd8\xff\xe0broken"],
    ids=["png", "pdf", "jpeg"],
)
def test_broken_scans_raise_ocr_error(ocr: TesseractOcr, data: bytes) -> None:
    with pytest.raises(OcrError):
        ocr.read(data)


@pytest.mark.integration
def test_make_ocr_refuses_languages_it_cannot_read() -> None:
    with pytest.raises(OcrError, match="no OCR for languages"):
        make_ocr(("en", "de"))
    with pytest.raises(OcrError, match="no OCR for languages"):
        make_ocr(())
