"""Tesseract output made usable: TSV lines, noise lines, canonical characters, Thai plausibility."""

from __future__ import annotations

import pytest

from mailbot.ocr_text import (
    TsvLine,
    drop_noise_lines,
    thai_letter_share,
    thai_word_share,
    tidy_ocr_text,
    tsv_lines,
)

HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


def tsv(*words: tuple[int, int, int, float, str]) -> str:
    rows = [HEADER, "1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t", "4\t1\t1\t1\t1\t0\t0\t0\t10\t10\t-1\t"]
    rows += [f"5\t1\t{b}\t{p}\t{ln}\t1\t0\t0\t10\t10\t{conf}\t{text}" for b, p, ln, conf, text in words]
    return "\n".join(rows)


def test_tsv_lines_group_words_by_block_paragraph_and_line() -> None:
    page = tsv((1, 1, 1, 96.0, "Dear"), (1, 1, 1, 90.0, "Sir,"), (2, 1, 1, 80.0, "Text"), (2, 1, 2, -1, ""),
               (2, 1, 2, 70.5, "more"))  # fmt: skip
    assert tsv_lines(page) == [
        TsvLine((1, 1, 1), (96.0, 90.0), "Dear Sir,"),
        TsvLine((2, 1, 1), (80.0,), "Text"),
        TsvLine((2, 1, 2), (70.5,), "more"),
    ]
    assert tsv_lines(HEADER) == []
    assert tsv_lines(HEADER + "\n5\tbroken\trow") == []


def _lines(*means: float) -> list[TsvLine]:
    return [TsvLine((1, 1, n), (mean,), f"l{n}") for n, mean in enumerate(means)]


@pytest.mark.parametrize(
    ("text", "means", "kept", "dropped"),
    [
        # a line of tone marks read on its own, far below the page: dropped
        ("a\nb\n\nnoise\nc", (95, 94, 40, 93), "a\nb\n\nc", 1),
        # a uniformly poor scan: nothing stands out, nothing dropped
        ("a\nb\nc", (55, 50, 45), "a\nb\nc", 0),
        # below the page, but confident enough in itself: kept
        ("a\nb\nc", (97, 96, 76), "a\nb\nc", 0),
        # text and TSV disagree on the number of lines: left alone
        ("a\nb", (95, 10, 95), "a\nb", 0),
    ],
)
def test_noise_lines_are_the_ones_far_below_the_page(
    text: str, means: tuple[float, ...], kept: str, dropped: int
) -> None:
    out, removed = drop_noise_lines(text, _lines(*means))
    assert (out, len(removed)) == (kept, dropped)


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("ตําบล\n", "ตำบล"),  # nikhahit + sara aa -> sara am
        ("oﬃce ﬁle ﬂat\f", "oﬃce file flat"),
        ("a  \n\n\n\nb\n\n", "a\n\nb"),
        ("\n\nx", "x"),
    ],
)
def test_tidy_ocr_text(raw: str, tidy: str) -> None:
    assert tidy_ocr_text(raw) == tidy


def test_thai_shares_tell_a_sound_text_from_a_broken_text_layer() -> None:
    sound = "ตามที่ท่านได้แจ้งว่าจะส่งช่างมาซ่อมพัดลม และพัดลมยังคงใช้งานไม่ได้"
    broken = "ตามที่ทูานไดูแจูงวูาจะสูงชูางมาซูอมพัดลม และพัดลมยังคงใชูงานไมูไดู"  # shifted marks mis-mapped
    assert thai_word_share(sound) > 0.9 > thai_word_share(broken)
    assert thai_word_share("no Thai here") == 1.0
    assert thai_letter_share(sound) == 1.0
    assert thai_letter_share("Customer Service") == 0.0
    assert thai_letter_share("12345") == 0.0
    assert 0.3 < thai_letter_share("สมชาย ใจดี Amsterdam") < 0.7
