"""A scanned letter as a picture the browser can show beside its OCR text.

The stored raw bytes of a letter are the scan itself (PDF, PNG, JPEG or
TIFF). Browsers show PNG and JPEG; a TIFF page is converted with Pillow and
a PDF page is rasterised with poppler's ``pdftoppm`` (the same tools the OCR
uses), at screen resolution, one page at a time.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageSequence, UnidentifiedImageError

from mailbot.ocr import OcrError, scan_kind

SCREEN_DPI = 110
MAX_PIXELS = 80_000_000
PDF_TIMEOUT = 30.0


def page_image(data: bytes, page: int = 1) -> tuple[bytes, str] | None:
    """Page ``page`` (from 1) of a scan as (image bytes, media type), or None if there is no such page."""
    try:
        kind = scan_kind(data)
    except OcrError:
        return None
    if kind in ("png", "jpeg"):
        return (data, f"image/{kind}") if page == 1 else None
    if kind == "tiff":
        return _tiff_page(data, page)
    return _pdf_page(data, page)


def _tiff_page(data: bytes, page: int) -> tuple[bytes, str] | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                return None
            for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                if number == page:
                    out = io.BytesIO()
                    frame.convert("L").save(out, format="PNG")
                    return out.getvalue(), "image/png"
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return None
    return None


def _pdf_page(data: bytes, page: int) -> tuple[bytes, str] | None:
    with tempfile.TemporaryDirectory(prefix="mailbot-scan-") as folder:
        source = Path(folder) / "scan.pdf"
        source.write_bytes(data)
        target = Path(folder) / "page"
        try:
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    str(SCREEN_DPI),
                    "-f",
                    str(page),
                    "-l",
                    str(page),
                    "-singlefile",
                    str(source),
                    str(target),
                ],
                check=True,
                capture_output=True,
                timeout=PDF_TIMEOUT,
            )
        except (subprocess.SubprocessError, OSError):
            return None
        produced = target.with_suffix(".png")
        return (produced.read_bytes(), "image/png") if produced.exists() else None
