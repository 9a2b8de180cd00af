"""Preparing a scanned page for tesseract: resolution, greyscale, straightening, denoising.

Measured on the generated test scans (see ``bench/bench_ocr.py``): without
straightening, tesseract's column finder splits a page turned by 1.5
degrees into two columns and reads their halves one after the other; the
median filter removes scanner noise that otherwise becomes stray
characters (and, in Thai, lines of tone marks read on their own).
"""

from __future__ import annotations

import itertools
from typing import Final

from PIL import Image, ImageFilter, ImageOps

#: Skew below this many degrees is left alone (rotating costs time and sharpness).
MIN_DESKEW_DEGREES: Final = 0.2
#: A turn must sharpen the line profile by this share to count (blank pages stay put).
MIN_SKEW_GAIN: Final = 0.02
#: Width in pixels of the copy the skew is measured on.
SKEW_WIDTH: Final = 800


def dpi_of(image: Image.Image, default: int) -> int:
    """The image's resolution; guessed from an A4 width when the file does not say."""
    dpi = image.info.get("dpi")
    try:
        value = round(float(dpi[0])) if dpi else 0
    except (TypeError, ValueError, IndexError):
        value = 0
    if 70 <= value <= 1200:
        return value
    guess = round(min(image.size) / 8.27)  # A4 is 8.27 inches wide
    return guess if 70 <= guess <= 1200 else default


def prepare_page(image: Image.Image, *, denoise: bool, deskew: bool) -> Image.Image:
    """Greyscale, straightened, and (optionally) a 3x3 median filter against scanner noise."""
    grey = image.convert("L") if image.mode != "L" else image
    if deskew:
        angle = skew_angle(grey)
        if abs(angle) >= MIN_DESKEW_DEGREES:
            grey = grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return grey.filter(ImageFilter.MedianFilter(3)) if denoise else grey


def skew_angle(image: Image.Image, *, limit: float = 4.0) -> float:
    """Degrees (counter-clockwise) that make the text lines of ``image`` horizontal.

    Projection profiles: on a small copy with the ink made bright, each
    candidate rotation's row sums are taken; when lines are level, rows are
    either all ink or all paper, so neighbouring rows differ most. A coarse
    search, then a fine one around the best angle.
    """
    scale = SKEW_WIDTH / image.width
    small = ImageOps.invert(image.convert("L").resize((SKEW_WIDTH, max(1, round(image.height * scale)))))

    def sharpness(angle: float) -> float:
        turned = small.rotate(angle, resample=Image.Resampling.BILINEAR)
        rows = turned.resize((1, turned.height), Image.Resampling.BOX).tobytes()  # one byte a row
        return float(sum((a - b) ** 2 for a, b in itertools.pairwise(rows)))

    coarse = [step / 4 for step in range(round(-limit * 4), round(limit * 4) + 1)]
    best = max(coarse, key=sharpness)
    best = max((best + step / 20 for step in range(-5, 6)), key=sharpness)
    level = sharpness(0.0)
    # A blank or nearly blank page has no preferred angle: leave it as it is.
    return best if sharpness(best) > level * (1 + MIN_SKEW_GAIN) else 0.0
