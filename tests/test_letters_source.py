"""The scan folder source and reading stored scans as letters (real tesseract for the end-to-end case)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailbot.errors import SourceError
from mailbot.model import Address, Channel
from mailbot.ocr import OcrPage, OcrResult, ReadMethod
from mailbot.sources.letters import (
    LetterPoller,
    letter_from_ocr,
    letter_message_id,
    letter_reader,
    read_letter,
)
from mailbot.store import Store
from tests.letter_scans import ScanLook, letter_by_key, scan_bytes


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "s.sqlite3")


def old(path: Path) -> Path:
    stamp = time.time() - 60
    os.utime(path, (stamp, stamp))
    return path


def drop(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return old(path)


PDF = b"%PDF-1.4\n% a scan\n"
PNG = b"\x89PNG\r\n\x1a\n fake png"


def test_each_scan_is_stored_once_by_content_as_a_letter(tmp_path: Path, store: Store) -> None:
    scans = tmp_path / "scans"
    drop(scans, "a.pdf", PDF)
    drop(scans, "B.PNG", PNG)
    drop(scans, "copy-of-a.pdf", PDF)  # the same paper scanned into a second file
    drop(scans, "notes.txt", b"not a scan")
    drop(scans, ".hidden.pdf", b"%PDF- partial upload")
    poller = LetterPoller("post", scans, "support")
    first, second = poller.scan(store), poller.scan(store)
    assert (first.stored, first.duplicates) == (2, 1)
    assert (second.stored, second.duplicates) == (0, 3)
    stored = store.pending()
    assert sorted(store.raw_bytes(m.id) for m in stored) == sorted([PDF, PNG])
    assert {m.channel for m in stored} == {Channel.LETTER}
    assert {m.source for m in stored} == {"letters:post"}


def test_scans_still_being_written_wait_for_the_next_scan(tmp_path: Path, store: Store) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    (scans / "fresh.tif").write_bytes(b"II*\x00 still arriving")
    poller = LetterPoller("post", scans, "support", settle_seconds=30)
    assert poller.scan(store).stored == 0
    old(scans / "fresh.tif")
    assert poller.scan(store).stored == 1


def test_received_at_is_when_the_scan_landed(tmp_path: Path, store: Store) -> None:
    path = drop(tmp_path / "scans", "a.jpg", b"\xff\xd8\xff scan")
    LetterPoller("post", tmp_path / "scans", "support").scan(store)
    (message,) = store.pending()
    landed = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    assert abs((message.received_at - landed).total_seconds()) < 1  # a minute ago, not now


def test_move_after_store_never_overwrites_an_earlier_scan_of_the_same_name(
    tmp_path: Path, store: Store
) -> None:
    scans, done = tmp_path / "scans", tmp_path / "done"
    poller = LetterPoller("post", scans, "support", after_store="move", processed_dir=done)
    drop(scans, "scan.pdf", PDF)
    assert poller.scan(store).stored == 1
    drop(scans, "scan.pdf", PDF + b"% another letter\n")  # scanners reuse names
    assert poller.scan(store).stored == 1
    assert not (scans / "scan.pdf").exists()
    assert sorted(p.read_bytes() for p in done.iterdir()) == sorted([PDF, PDF + b"% another letter\n"])


def test_a_crash_before_the_move_is_finished_by_the_next_scan(tmp_path: Path, store: Store) -> None:
    scans = tmp_path / "scans"
    drop(scans, "a.pdf", PDF)
    assert LetterPoller("post", scans, "support").scan(store).stored == 1  # stored, not moved
    result = LetterPoller("post", scans, "support", after_store="move").scan(store)
    assert (result.stored, result.duplicates) == (0, 1)
    assert (scans / ".processed" / "a.pdf").exists() and not (scans / "a.pdf").exists()


def test_missing_scan_folder_is_a_source_error(tmp_path: Path, store: Store) -> None:
    with pytest.raises(SourceError, match="scan folder does not exist"):
        LetterPoller("post", tmp_path / "nope", "support").scan(store)


# --- reading a letter (pure, from an OCR result) ---------------------------------------

LETTER_TEXT = (
    "Jan de Vries\nKerkstraat 12\n3512 AB Utrecht\njan@example.nl\n\nUtrecht, 28 oktober 2025\n\n"
    "Betreft: Beschadigde levering zaak Q4R8T2\n\nGeachte heer, mevrouw,\n\nDe kast is kapot.\n\n"
    "Met vriendelijke groet,\n\nJan de Vries"
)


def _ocr(text: str, confidence: float | None) -> OcrResult:
    method: ReadMethod = "text-layer" if confidence is None else "ocr"
    return OcrResult("png", (OcrPage(1, text, method, confidence, words=40, languages="lav+nld+eng+tha"),))


def test_a_letter_becomes_a_parsed_message() -> None:
    parsed = letter_from_ocr(b"scan bytes", _ocr(LETTER_TEXT, 0.93))
    assert parsed.message_id == letter_message_id(b"scan bytes")
    assert parsed.message_id.endswith("@letter.mailbot.invalid>") and len(parsed.message_id) == 57
    assert parsed.sender == Address("Jan de Vries", "jan@example.nl")
    assert parsed.postal_address == ("Kerkstraat 12", "3512 AB Utrecht")
    assert parsed.subject == "Beschadigde levering zaak Q4R8T2"
    assert parsed.date == datetime(2025, 10, 28, 12, tzinfo=UTC)
    assert parsed.new_text == "Geachte heer, mevrouw,\n\nDe kast is kapot."
    assert parsed.body_text == LETTER_TEXT
    assert parsed.signature == "Met vriendelijke groet,\nJan de Vries"
    assert parsed.ocr_confidence == pytest.approx(0.93)
    assert parsed.defects == ()
    assert dict(parsed.headers)["X-Scan-Read"] == "1: ocr lav+nld+eng+tha 0.93"


@pytest.mark.parametrize(
    ("text", "confidence", "defects"),
    [
        (LETTER_TEXT, 0.62, ("low OCR confidence (0.62)",)),
        (LETTER_TEXT, None, ()),  # a text layer: nothing was guessed
        ("", 0.0, ("no text found on the scan", "low OCR confidence (0.00)",
                   "no sender address found on the letter", "no date found on the letter")),
        ("Geachte heer,\n\nWaar blijft mijn pakket?", 0.9,
         ("no sender address found on the letter", "no date found on the letter")),
    ],
)  # fmt: skip
def test_what_people_must_check_is_flagged(
    text: str, confidence: float | None, defects: tuple[str, ...]
) -> None:
    assert letter_from_ocr(b"x", _ocr(text, confidence), min_confidence=0.75).defects == defects


def test_a_letter_with_neither_name_nor_email_has_no_sender() -> None:
    assert letter_from_ocr(b"x", _ocr("Geachte heer,\n\nTekst.", 0.9)).sender is None


class FakeOcr:
    """Stands in for tesseract: counts calls and returns a fixed reading."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls: list[bytes] = []

    def read(self, data: bytes) -> OcrResult:
        self.calls.append(data)
        return _ocr(self.text, 0.9)


def test_letter_reader_uses_the_engine_it_was_given_and_is_repeatable() -> None:
    engine = FakeOcr(LETTER_TEXT)
    read = letter_reader(own_names=("Nordlicht",), engine=engine)
    assert read(b"scan") == read(b"scan")
    assert engine.calls == [b"scan", b"scan"]
    assert read_letter(b"scan", engine=engine) == read(b"scan")


@pytest.mark.integration
def test_a_scanned_thai_letter_end_to_end(tmp_path: Path, store: Store) -> None:
    letter = letter_by_key("th-followup")
    scan = scan_bytes(letter, "jpeg", ScanLook(dpi=250, rotation=1.2, seed=61))
    drop(tmp_path / "scans", "scan-0001.jpg", scan)
    assert LetterPoller("post", tmp_path / "scans", "support").scan(store).stored == 1
    (message,) = store.pending()
    parsed = letter_reader(("en", "nl", "lv", "th"), own_names=("Nordlicht",))(store.raw_bytes(message.id))
    assert parsed.sender == Address("มาลี ศรีสุข", "")
    assert parsed.postal_address == letter.address
    assert parsed.date == datetime(2026, 1, 5, 12, tzinfo=UTC)
    assert parsed.subject == letter.subject
    assert parsed.new_text.startswith(letter.salutation)
    assert parsed.defects == ()
    assert parsed.ocr_confidence is not None and parsed.ocr_confidence > 0.85
