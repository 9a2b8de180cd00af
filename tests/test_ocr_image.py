"""Preparing a page for OCR: resolution from the file or the page size, and straightening."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from mailbot.ocr_image import dpi_of, prepare_page, skew_angle


def _lined_page(angle: float) -> Image.Image:
    """A page of dark text-like bars, turned by ``angle`` degrees (counter-clockwise)."""
    page = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(page)
    for top in range(200, 1500, 45):
        draw.rectangle((150, top, 1050 if top % 4 else 700, top + 18), fill=20)
    return page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


@pytest.mark.parametrize("angle", [-1.5, -0.7, 0.0, 1.2, 3.0])
def test_skew_angle_undoes_the_turn(angle: float) -> None:
    assert skew_angle(_lined_page(angle)) == pytest.approx(-angle, abs=0.1)


def test_a_blank_page_has_no_skew_and_is_not_turned() -> None:
    blank = Image.new("L", (1240, 1754), 255)
    assert skew_angle(blank) == 0.0
    assert prepare_page(blank, denoise=False, deskew=True).size == blank.size


def test_prepare_page_straightens_and_makes_greyscale() -> None:
    turned = _lined_page(1.5).convert("RGB")
    page = prepare_page(turned, denoise=True, deskew=True)
    assert page.mode == "L"
    assert skew_angle(page) == pytest.approx(0.0, abs=0.1)


@pytest.mark.parametrize(
    ("size", "dpi", "expected"),
    [
        ((2480, 3508), (300, 300), 300),
        ((1654, 2339), None, 200),  # A4 at 200 dpi, no resolution in the file
        ((2480, 3508), (1, 1), 300),  # nonsense in the file: guessed from the size
        ((50, 50), None, 300),  # a thumbnail: the default
    ],
)
def test_dpi_from_the_file_else_from_an_a4_page(
    size: tuple[int, int], dpi: tuple[int, int] | None, expected: int
) -> None:
    image = Image.new("L", size, 255)
    if dpi:
        image.info["dpi"] = dpi
    assert dpi_of(image, 300) == expected
