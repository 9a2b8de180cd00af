"""Test scans of customer letters in English, Dutch, Latvian and Thai, made at test time.

No scan is checked in: every letter here is rendered with WeasyPrint (a PDF
with a text layer, exactly as a word processor prints it), rasterised with
``pdftoppm`` at 200-300 dpi, and then made to look scanned: a slight
rotation (up to 1.5 degrees), a little blur and seeded grey noise. The same
page is also wrapped in an image-only PDF (what a scanner's "scan to PDF"
produces) and a multi-page TIFF. Because the exact text is known, tests and
the benchmark measure the character error rate (CER) against it.

The letters themselves are in :mod:`tests.letter_samples`.
"""

from __future__ import annotations

import html
import io
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from tests.letter_samples import LANGUAGES, LETTERS, SampleLetter, letter_by_key, letters_in

__all__ = [
    "LANGUAGES",
    "LETTERS",
    "SampleLetter",
    "ScanLook",
    "cer",
    "edit_distance",
    "letter_by_key",
    "letters_in",
    "normalise_for_cer",
    "render_pdf",
    "scan_bytes",
    "scanned_pages",
]

# --- rendering ---------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 20mm 22mm 20mm 25mm; }
body { font-family: "DejaVu Serif", serif; font-size: 11pt; line-height: 1.4; }
html:lang(th) body { font-family: "Loma", "Garuda", sans-serif; font-size: 14pt; line-height: 1.5; }
.block { margin: 0 0 7mm; }
.recipient { margin-top: 8mm; }
.subject { font-weight: bold; }
p { margin: 0 0 4mm; }
.break { break-before: page; }
"""


def letter_html(letter: SampleLetter, *, break_before: int | None = None) -> str:
    """The letter as an HTML page; ``break_before`` starts paragraph N on a new page."""

    def block(lines: tuple[str, ...], css: str = "block") -> str:
        return f'<div class="{css}">' + "<br>".join(html.escape(line) for line in lines) + "</div>"

    paragraphs = "".join(
        f'<p class="{"break" if index == break_before else ""}">{html.escape(text)}</p>'
        for index, text in enumerate(letter.paragraphs)
    )
    return (
        f'<!DOCTYPE html><html lang="{letter.language}"><head><meta charset="utf-8">'
        f"<style>{_CSS}</style></head><body>"
        + block(letter.sender)
        + block(letter.recipient, "block recipient")
        + block((letter.date_line,))
        + block((letter.subject_line,), "block subject")
        + f"<p>{html.escape(letter.salutation)}</p>"
        + paragraphs
        + f"<p>{html.escape(letter.closing)}</p><p>{html.escape(letter.signature)}</p>"
        + "</body></html>"
    )


@cache
def render_pdf(key: str, *, break_before: int | None = None) -> bytes:
    """The letter printed to PDF, with a text layer (cached: WeasyPrint takes ~0.5 s)."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    pdf = HTML(string=letter_html(letter_by_key(key), break_before=break_before)).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf


@cache
def _raster(key: str, dpi: int, break_before: int | None) -> tuple[bytes, ...]:
    """Clean greyscale PNG pages of the printed letter."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "letter.pdf"
        source.write_bytes(render_pdf(key, break_before=break_before))
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(source), str(Path(tmp) / "page")],
            check=True,
            capture_output=True,
        )
        return tuple(path.read_bytes() for path in sorted(Path(tmp).glob("page-*.png")))


@dataclass(frozen=True)
class ScanLook:
    """How a scanner spoiled the page: resolution, skew, blur and noise (seeded)."""

    dpi: int = 300
    rotation: float = 0.8
    blur: float = 0.6
    noise: float = 12.0
    seed: int = 1


def scanned_pages(
    letter: SampleLetter, look: ScanLook = ScanLook(), *, break_before: int | None = None
) -> list[Image.Image]:
    """The letter's pages as a scanner would deliver them (greyscale PIL images)."""
    rng = np.random.default_rng(look.seed)
    pages = []
    for data in _raster(letter.key, look.dpi, break_before):
        page = Image.open(io.BytesIO(data)).convert("L")
        page = page.rotate(look.rotation, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
        if look.blur:
            page = page.filter(ImageFilter.GaussianBlur(look.blur))
        pixels = np.asarray(page, dtype=np.float64)
        if look.noise:
            pixels = pixels + rng.normal(0.0, look.noise, pixels.shape)
            specks = rng.random(pixels.shape) < 0.0004  # dust
            pixels[specks] = 40.0
        page = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")
        page.info["dpi"] = (look.dpi, look.dpi)
        pages.append(page)
    return pages


def encode(pages: list[Image.Image], kind: str, dpi: int) -> bytes:
    """Pages as scan-file bytes: ``png``/``jpeg`` (first page), ``tiff`` (all), ``pdf`` (image-only)."""
    out = io.BytesIO()
    first, rest = pages[0], pages[1:]
    if kind == "png":
        first.save(out, "PNG", dpi=(dpi, dpi))
    elif kind == "jpeg":
        first.save(out, "JPEG", quality=85, dpi=(dpi, dpi))
    elif kind == "tiff":
        first.save(out, "TIFF", save_all=True, append_images=rest, compression="tiff_lzw", dpi=(dpi, dpi))
    elif kind == "pdf":
        first.save(out, "PDF", save_all=True, append_images=rest, resolution=float(dpi))
    else:
        raise ValueError(f"unknown scan kind {kind!r}")
    return out.getvalue()


def scan_bytes(
    letter: SampleLetter, kind: str, look: ScanLook = ScanLook(), *, break_before: int | None = None
) -> bytes:
    """One scan file of ``letter``; ``kind`` ``text-pdf`` is the printed PDF with its text layer."""
    if kind == "text-pdf":
        return render_pdf(letter.key, break_before=break_before)
    return encode(scanned_pages(letter, look, break_before=break_before), kind, look.dpi)


# --- measuring ---------------------------------------------------------------------


def _is_thai(ch: str) -> bool:
    return "\u0e00" <= ch <= "\u0e7f"


def normalise_for_cer(text: str) -> str:
    """Text as CER compares it: NFC, spaces collapsed, line breaks as one space.

    Layout is not content: blank lines, indentation and where a line wraps
    do not count. Thai writes no space where a line wraps inside a phrase,
    so a line break between two Thai letters joins them without one; a
    space *within* a line between Thai letters is content and counts.
    """
    lines = [" ".join(line.split()) for line in unicodedata.normalize("NFC", text).splitlines()]
    out = ""
    for line in filter(None, lines):
        if out and not (_is_thai(out[-1]) and _is_thai(line[0])):
            out += " "
        out += line
    return out


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions each cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate of ``hypothesis`` against ``reference`` (both normalised)."""
    ref, hyp = normalise_for_cer(reference), normalise_for_cer(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)
