"""The OCR boundary: the bytes of a scan in, its text and confidence out.

Everything mailbot knows about reading paper goes through one factory,
:func:`make_ocr`, which returns a :class:`TesseractOcr`; a test or a future
engine replaces that one object. Reading is I/O (subprocesses, temporary
files) and slow, but deterministic: the same bytes give the same text, so
the parse stage can be re-run from the stored scan at any time.

What it does with each kind of scan:

* **PDF**: each page's text layer (``pdftotext``) is used when it has one;
  a page without text (a scanner's image-only PDF) is rasterised with
  ``pdftoppm`` and read by tesseract. Thai text layers are often broken
  (fonts map their shifted tone-mark glyphs to the wrong characters), so a
  Thai text layer whose words are mostly not Thai words is OCRed as well and
  the better reading kept.
* **PNG, JPEG, TIFF** (any number of pages): each page is made greyscale,
  straightened (see :mod:`mailbot.ocr_image`) and median-filtered, then read.

Tesseract runs with page segmentation mode 4 (one column of text of varying
sizes): letters are single-column, and the default automatic mode splits
the last words of a paragraph into a block of their own. It writes plain
text (whose spacing is right for Thai, which TSV splits into single
letters) and TSV (word confidences) in one run; lines of noise, far less
confident than the rest of the page, are dropped (:mod:`mailbot.ocr_text`).
A page is read with the Latin-script models first; one whose reading is
mostly Thai is read again with Thai first (see :meth:`TesseractOcr._ocr_image`).
When a page reads badly the scan may be upside down or sideways:
tesseract's orientation detection then turns it and the better reading is
kept.
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Literal, Protocol

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from mailbot.errors import StageError
from mailbot.ocr_image import dpi_of, prepare_page
from mailbot.ocr_text import drop_noise_lines, thai_letter_share, thai_word_share, tidy_ocr_text, tsv_lines

#: mailbot's language codes -> tesseract's traineddata names (Debian tesseract-ocr-<name>).
TESSERACT_LANGUAGES: Final = {"en": "eng", "nl": "nld", "lv": "lav", "th": "tha"}

#: The order tesseract tries the models in on a first reading. The first
#: model reads a word unless it is unsure, and each model has its blind
#: spots: English and Dutch read the Latvian "Bērziņa" as "Berzina", Latvian
#: reads the British postcode "PL1 3QT" as "PL1 30T", and Thai words come
#: out letter by letter unless Thai is first. So a page is read Dutch first,
#: and read again with Latvian or Thai first when the first reading shows
#: that script (see :func:`primary_language`). Measured on the test scans.
LANGUAGE_ORDER: Final = ("nl", "en", "lv", "th")

ScanKind = Literal["pdf", "png", "jpeg", "tiff"]
ReadMethod = Literal["text-layer", "ocr"]

#: A text-layer page with fewer letters or digits than this is taken to be an image.
MIN_TEXT_LAYER_CHARS: Final = 20
#: Below this share of Thai letters in dictionary words, a Thai text layer is suspect.
MIN_THAI_WORD_SHARE: Final = 0.9
#: A page whose letters are at least this share Thai is read again with Thai first...
THAI_PAGE_SHARE: Final = 0.25
#: ...and one with at least this share of letters only Latvian has (ā, ķ, ņ...), with Latvian first.
LATVIAN_PAGE_SHARE: Final = 0.012
_LATVIAN_ONLY: Final = frozenset("āēīūčģķļņšžĀĒĪŪČĢĶĻŅŠŽ")
#: A page read with less mean confidence than this gets an orientation check.
REORIENT_BELOW: Final = 0.85
#: A page of more pixels than this is refused (A4 at 600 dpi has 35 million): a broken or hostile file.
MAX_PIXELS: Final = 120_000_000
#: A scan of more pages than this is not a letter; it is refused, kept, and shown to people.
MAX_PAGES: Final = 30


class OcrError(StageError):
    """A scan could not be read: unknown format, broken file, tesseract missing or failing."""


@dataclass(frozen=True)
class OcrPage:
    """One page's text, how it was read, and tesseract's mean word confidence (0..1).

    ``confidence`` is None for a text layer (nothing was guessed).
    ``dropped_lines`` counts lines removed as noise.
    """

    number: int
    text: str
    method: ReadMethod
    confidence: float | None = None
    words: int = 0
    languages: str = ""
    dropped_lines: int = 0
    rotated: int = 0


@dataclass(frozen=True)
class OcrResult:
    """Every page of one scan, in order."""

    kind: ScanKind
    pages: tuple[OcrPage, ...]

    @property
    def text(self) -> str:
        """The pages' text, separated by a blank line."""
        return "\n\n".join(page.text for page in self.pages if page.text)

    @property
    def confidence(self) -> float | None:
        """Mean word confidence over the OCRed pages (weighted by words); None if nothing was OCRed."""
        read = [page for page in self.pages if page.confidence is not None]
        words = sum(page.words for page in read)
        if not read:
            return None
        if words == 0:
            return 0.0
        return sum((page.confidence or 0.0) * page.words for page in read) / words


class OcrEngine(Protocol):
    """What the letter reader needs from an OCR engine."""

    def read(self, data: bytes) -> OcrResult: ...


def scan_kind(data: bytes) -> ScanKind:
    """The format of a scan, from its first bytes (never from a file name)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    raise OcrError("not a scan: expected PDF, PNG, JPEG or TIFF data")


@dataclass(frozen=True)
class TesseractOcr:
    """Reads scans with poppler (PDF) and tesseract; made by :func:`make_ocr`."""

    languages: tuple[str, ...] = ("en", "nl", "lv", "th")
    dpi: int = 300
    psm: int = 4
    timeout: float = 120.0
    denoise: bool = True
    deskew: bool = True

    def tesseract_languages(self, first: str | None = None) -> str:
        """The ``-l`` argument: ``first`` (if configured), then the others in :data:`LANGUAGE_ORDER`."""
        ordered = sorted(self.languages, key=lambda code: (code != first, LANGUAGE_ORDER.index(code)))
        return "+".join(TESSERACT_LANGUAGES[code] for code in ordered)

    def read(self, data: bytes) -> OcrResult:
        kind = scan_kind(data)
        with tempfile.TemporaryDirectory(prefix="mailbot-ocr-") as tmp:
            work = Path(tmp)
            if kind == "pdf":
                pages = self._read_pdf(data, work)
            else:
                pages = [
                    self._ocr_image(image, number, work)
                    for number, image in enumerate(_image_pages(data), start=1)
                ]
        return OcrResult(kind, tuple(pages))

    # --- PDF -------------------------------------------------------------------

    def _read_pdf(self, data: bytes, work: Path) -> list[OcrPage]:
        source = work / "scan.pdf"
        source.write_bytes(data)
        count = _pdf_page_count(source, self.timeout)
        if count > MAX_PAGES:
            raise OcrError(f"{count} pages: more than {MAX_PAGES}, too many for a letter")
        pages = []
        for number in range(1, count + 1):
            layer = _text_layer(source, number, self.timeout)
            if sum(ch.isalnum() for ch in layer) >= MIN_TEXT_LAYER_CHARS:
                page = OcrPage(number, layer, "text-layer")
                if thai_word_share(layer) < MIN_THAI_WORD_SHARE:
                    ocr = self._ocr_image(self._rasterise(source, number, work), number, work)
                    if thai_word_share(ocr.text) > thai_word_share(layer):
                        page = ocr
                pages.append(page)
            else:
                pages.append(self._ocr_image(self._rasterise(source, number, work), number, work))
        return pages

    def _rasterise(self, source: Path, number: int, work: Path) -> Image.Image:
        prefix = work / f"page-{number}"
        _run(
            ["pdftoppm", "-r", str(self.dpi), "-gray", "-singlefile", "-f", str(number),
             "-l", str(number), str(source), str(prefix)],
            self.timeout,
        )  # fmt: skip
        with Image.open(prefix.with_suffix(".pgm")) as image:
            image.load()
            image.info["dpi"] = (self.dpi, self.dpi)
            return image

    # --- tesseract --------------------------------------------------------------

    def _ocr_image(self, image: Image.Image, number: int, work: Path) -> OcrPage:
        """OCR one page image; a Latvian or Thai page is read again with that model first."""
        dpi = dpi_of(image, self.dpi)
        clean = prepare_page(image, denoise=self.denoise, deskew=self.deskew)
        page = self._tesseract(clean, number, dpi, work, first=None)
        if page.confidence is not None and page.confidence < REORIENT_BELOW:
            turn = self._orientation(clean, dpi, work)
            if turn:
                upright = clean.rotate(-turn, expand=True)
                turned = self._tesseract(upright, number, dpi, work, first=None)
                if (turned.confidence or 0.0) > page.confidence:
                    clean, page = upright, replace(turned, rotated=turn)
        first = primary_language(page.text, self.languages)
        if first is not None and first != self.languages_in_order[0]:
            page = replace(self._tesseract(clean, number, dpi, work, first=first), rotated=page.rotated)
        return page

    @property
    def languages_in_order(self) -> tuple[str, ...]:
        return tuple(sorted(self.languages, key=LANGUAGE_ORDER.index))

    def _tesseract(
        self, image: Image.Image, number: int, dpi: int, work: Path, *, first: str | None
    ) -> OcrPage:
        source, base = work / f"ocr-{number}.pgm", work / f"ocr-{number}"
        image.save(source)
        languages = self.tesseract_languages(first)
        _run(
            ["tesseract", str(source), str(base), "-l", languages, "--psm", str(self.psm),
             "--dpi", str(dpi), "txt", "tsv"],
            self.timeout,
        )  # fmt: skip
        text = base.with_suffix(".txt").read_text(encoding="utf-8")
        lines = tsv_lines(base.with_suffix(".tsv").read_text(encoding="utf-8"))
        kept, dropped = drop_noise_lines(text, lines)
        confidences = [conf for line in lines if line not in dropped for conf in line.confidences]
        return OcrPage(
            number=number,
            text=tidy_ocr_text(kept),
            method="ocr",
            confidence=statistics.fmean(confidences) / 100 if confidences else 0.0,
            words=len(confidences),
            languages=languages,
            dropped_lines=len(dropped),
        )

    def _orientation(self, image: Image.Image, dpi: int, work: Path) -> int:
        """Degrees (clockwise) tesseract's OSD says the page is turned by; 0 when unsure."""
        source = work / "osd.pgm"
        image.save(source)
        try:
            out = _run(["tesseract", str(source), "stdout", "--psm", "0"], self.timeout)
        except OcrError:  # too little text to tell
            return 0
        fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        try:
            rotate = int(fields.get("Rotate", "0").strip())
            confident = float(fields.get("Orientation confidence", "0").strip()) >= 2.0
        except ValueError:
            return 0
        return rotate if confident and rotate in (90, 180, 270) else 0


# --- helpers ---------------------------------------------------------------------


def primary_language(text: str, languages: Sequence[str]) -> str | None:
    """The model a page should be read with first, judged from a first reading; None: keep the order.

    Thai when a good share of the letters is Thai; Latvian when the letters
    only Latvian uses are frequent enough that this is more than a Latvian
    name in a Dutch or English letter.
    """
    if "th" in languages and thai_letter_share(text) >= THAI_PAGE_SHARE:
        return "th"
    letters = [ch for ch in text if ch.isalpha()]
    latvian = sum(ch in _LATVIAN_ONLY for ch in letters)
    if "lv" in languages and letters and latvian / len(letters) >= LATVIAN_PAGE_SHARE:
        return "lv"
    return None


def _image_pages(data: bytes) -> Iterator[Image.Image]:
    """Each frame of a PNG/JPEG/TIFF in turn (one in memory at a time), upright by its EXIF orientation."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise OcrError(f"scan too large: {image.width}x{image.height} pixels")
            for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                if number > MAX_PAGES:
                    raise OcrError(f"more than {MAX_PAGES} pages, too many for a letter")
                page = ImageOps.exif_transpose(frame.copy())
                page.info["dpi"] = frame.info.get("dpi", image.info.get("dpi"))
                yield page
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise OcrError(f"cannot read the scan image: {exc}") from exc


def _pdf_page_count(source: Path, timeout: float) -> int:
    out = _run(["pdfinfo", str(source)], timeout)
    for line in out.splitlines():
        if line.startswith("Pages:"):
            return int(line.split(":", 1)[1])
    raise OcrError("pdfinfo did not report a page count")


def _text_layer(source: Path, number: int, timeout: float) -> str:
    """One page's text layer; ``-raw`` keeps the content stream order, which
    keeps Thai marks with their letters (``-layout`` moves some to the next line)."""
    out = _run(["pdftotext", "-raw", "-enc", "UTF-8", "-f", str(number), "-l", str(number), str(source), "-"],
               timeout)  # fmt: skip
    return tidy_ocr_text(out)


def _run(command: list[str], timeout: float) -> str:
    """Run a poppler or tesseract command; its failures become :class:`OcrError`.

    ``OMP_THREAD_LIMIT=1``: tesseract's OpenMP threads cost more than they
    save on a page this size; parallelism comes from reading scans side by side.
    """
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, env=env, check=False)
    except FileNotFoundError as exc:
        raise OcrError(f"{command[0]} is not installed ({_PACKAGES[command[0]]})") from exc
    except subprocess.TimeoutExpired as exc:
        raise OcrError(f"{command[0]} took longer than {timeout:.0f} s") from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
        raise OcrError(f"{command[0]} failed ({done.returncode}): {detail[0]}")
    return done.stdout.decode("utf-8", "replace")


_PACKAGES: Final = {
    "tesseract": "Debian: tesseract-ocr, tesseract-ocr-{eng,nld,lav,tha}",
    "pdftoppm": "Debian: poppler-utils",
    "pdftotext": "Debian: poppler-utils",
    "pdfinfo": "Debian: poppler-utils",
}


def make_ocr(languages: Sequence[str] = ("en", "nl", "lv", "th"), *, dpi: int = 300) -> TesseractOcr:
    """The OCR engine for ``languages``: checks the programs and language data exist first.

    Fails at start-up (not on the first letter) when tesseract, poppler or a
    language's traineddata is missing, naming the Debian package to install.
    """
    unknown = [code for code in languages if code not in TESSERACT_LANGUAGES]
    if unknown or not languages:
        raise OcrError(f"no OCR for languages {unknown or '(none)'}; known: {sorted(TESSERACT_LANGUAGES)}")
    for program in ("tesseract", "pdftoppm", "pdftotext", "pdfinfo"):
        if shutil.which(program) is None:
            raise OcrError(f"{program} is not installed ({_PACKAGES[program]})")
    installed = set(_run(["tesseract", "--list-langs"], 30.0).split())
    missing = [TESSERACT_LANGUAGES[code] for code in languages if TESSERACT_LANGUAGES[code] not in installed]
    if missing:
        packages = " ".join(f"tesseract-ocr-{name}" for name in missing)
        raise OcrError(f"tesseract has no language data for {', '.join(missing)} (Debian: {packages})")
    return TesseractOcr(languages=tuple(dict.fromkeys(languages)), dpi=dpi)
