"""The scan folder source, and reading a stored scan as a letter.

:class:`LetterPoller` is the folder source for paper mail: a scanner (or a
person) drops PDF, PNG, JPEG or TIFF files into a folder, and each file's
bytes are stored once, by content hash, exactly as scanned, before any
OCR happens. As with :class:`~mailbot.sources.folder.FolderPoller`, files
still being written (modified within ``settle_seconds``) wait for the next
scan, and ``after_store = "move"`` moves a file away only after the store
has committed it.

:func:`letter_reader` makes the parse stage's function for letters: OCR
(:mod:`mailbot.ocr`) and then the pure layout reading
(:mod:`mailbot.mail.letter_parse`) turn the stored bytes into a
:class:`~mailbot.model.ParsedMessage`. It depends only on the bytes (and
the tesseract version), so it can be re-run from the store at any time.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Final

from mailbot.mail.letter_parse import parse_letter
from mailbot.model import Address, Channel, ParsedMessage
from mailbot.ocr import OcrEngine, OcrResult, make_ocr
from mailbot.sources.folder import FolderPoller

log = logging.getLogger(__name__)

#: File name endings (any letter case) of the scans the folder source takes.
SCAN_SUFFIXES: Final = frozenset({".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"})
#: Below this mean word confidence a letter is flagged for a person to check.
DEFAULT_MIN_CONFIDENCE: Final = 0.75

LetterReader = Callable[[bytes], ParsedMessage]
"""The parse stage's function for ``channel = letter``: stored scan bytes -> ParsedMessage."""


def scan_files(root: Path) -> Iterator[Path]:
    """Scan files directly in ``root`` (not in sub-folders), sorted; hidden files are skipped."""
    yield from sorted(
        path
        for path in root.iterdir()
        if path.is_file() and not path.name.startswith(".") and path.suffix.lower() in SCAN_SUFFIXES
    )


@dataclass
class LetterPoller(FolderPoller):
    """Polls one configured scan folder for new scanned letters."""

    KIND: ClassVar[str] = "letters"
    CHANNEL: ClassVar[Channel] = Channel.LETTER
    WHAT: ClassVar[str] = "scan folder"

    settle_seconds: float = 5.0

    def files(self) -> Iterator[Path]:
        return scan_files(self.root)


def letter_message_id(raw: bytes) -> str:
    """A stable Message-ID for a scan: letters have none of their own."""
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@letter.mailbot.invalid>"


def read_letter(
    raw: bytes,
    *,
    languages: Sequence[str] = ("en", "nl", "lv", "th"),
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    own_names: Sequence[str] = (),
    engine: OcrEngine | None = None,
) -> ParsedMessage:
    """OCR a stored scan and read it as a letter (see :func:`letter_from_ocr`)."""
    ocr = engine if engine is not None else make_ocr(languages)
    return letter_from_ocr(raw, ocr.read(raw), min_confidence=min_confidence, own_names=own_names)


def letter_reader(
    languages: Sequence[str] = ("en", "nl", "lv", "th"),
    *,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    own_names: Sequence[str] = (),
    engine: OcrEngine | None = None,
) -> LetterReader:
    """The parse stage's letter function, with its OCR engine made (and checked) once."""
    ocr = engine if engine is not None else make_ocr(languages)
    names = tuple(own_names)

    def read(raw: bytes) -> ParsedMessage:
        return letter_from_ocr(raw, ocr.read(raw), min_confidence=min_confidence, own_names=names)

    return read


def letter_from_ocr(
    raw: bytes,
    ocr: OcrResult,
    *,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    own_names: Sequence[str] = (),
) -> ParsedMessage:
    """A ParsedMessage from a scan's OCR result (pure).

    ``body_text`` is the whole text as read (what a person checks against
    the scan); ``new_text`` is the letter's own words, from the salutation
    to the closing, which the NLP stages read.
    """
    text = ocr.text
    parts = parse_letter(text, own_names=own_names)
    defects: list[str] = []
    confidence = ocr.confidence
    if not text.strip():
        defects.append("no text found on the scan")
    if confidence is not None and confidence < min_confidence:
        defects.append(f"low OCR confidence ({confidence:.2f})")
    if not parts.address:
        defects.append("no sender address found on the letter")
    if parts.date is None:
        defects.append("no date found on the letter")
    sender = Address(parts.name, parts.email) if parts.name or parts.email else None
    signature = "\n".join(line for line in (parts.closing, *parts.signature) if line)
    return ParsedMessage(
        message_id=letter_message_id(raw),
        subject=parts.subject,
        sender=sender,
        date=parts.date_at,
        body_text=text,
        new_text=parts.body,
        signature=signature,
        defects=tuple(defects),
        headers=_scan_headers(ocr),
        postal_address=parts.address,
        ocr_confidence=confidence,
    )


def _scan_headers(ocr: OcrResult) -> tuple[tuple[str, str], ...]:
    """How the scan was read, page by page, for people checking an odd reading."""
    pages = "; ".join(
        f"{page.number}: {page.method}"
        + (f" {page.languages} {page.confidence:.2f}" if page.confidence is not None else "")
        + (f" turned {page.rotated}" if page.rotated else "")
        + (f" {page.dropped_lines} noise lines dropped" if page.dropped_lines else "")
        for page in ocr.pages
    )
    return (("X-Scan-Kind", ocr.kind), ("X-Scan-Pages", str(len(ocr.pages))), ("X-Scan-Read", pages))
