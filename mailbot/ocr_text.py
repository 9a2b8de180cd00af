"""Tesseract's output made usable: lines with confidences, noise removed, canonical characters.

Pure functions over the text and TSV tesseract writes, and the Thai
plausibility measures :mod:`mailbot.ocr` uses to choose between readings.
Kept apart from the subprocess code so each can be tested with tables.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final

#: A line this far (in confidence points, 0-100) below the page's median is noise...
NOISE_LINE_MARGIN: Final = 20.0
#: ...if it is also below this absolute confidence.
NOISE_LINE_CEILING: Final = 75.0


@dataclass(frozen=True)
class TsvLine:
    """One text line of tesseract's TSV: its words' confidences (0-100) and text."""

    key: tuple[int, int, int]
    confidences: tuple[float, ...]
    text: str


def tsv_lines(tsv: str) -> list[TsvLine]:
    """Text lines of a tesseract TSV page, in reading order, with their words' confidences."""
    order: list[tuple[int, int, int]] = []
    words: dict[tuple[int, int, int], list[tuple[float, str]]] = {}
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5":
            continue
        try:
            key = (int(cells[2]), int(cells[3]), int(cells[4]))
            conf = float(cells[10])
        except ValueError:
            continue
        if conf < 0 or not cells[11].strip():
            continue
        if key not in words:
            order.append(key)
            words[key] = []
        words[key].append((conf, cells[11]))
    return [
        TsvLine(key, tuple(conf for conf, _ in words[key]), " ".join(text for _, text in words[key]))
        for key in order
    ]


def drop_noise_lines(text: str, lines: Sequence[TsvLine]) -> tuple[str, list[TsvLine]]:
    """Remove lines much less confident than the page (specks, tone marks read as a line).

    The plain text and the TSV list the same lines in the same order; when
    their counts differ the text is returned unchanged rather than guessed at.
    """
    text_lines = text.replace("\f", "").splitlines()
    filled = [index for index, line in enumerate(text_lines) if line.strip()]
    if len(filled) != len(lines) or not lines:
        return text, []
    means = [statistics.fmean(line.confidences) for line in lines]
    median = statistics.median(means)
    noisy = {
        position
        for position, mean in enumerate(means)
        if mean < NOISE_LINE_CEILING and median - mean > NOISE_LINE_MARGIN
    }
    drop = {filled[position] for position in noisy}
    kept = [line for index, line in enumerate(text_lines) if index not in drop]
    return "\n".join(kept), [lines[position] for position in sorted(noisy)]


#: Characters tesseract writes in a form nobody types.
_OCR_FORMS: Final = {
    "\u0e4d\u0e32": "\u0e33",  # Thai nikhahit + sara aa -> sara am, as keyboards write it
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb00": "ff",
}


def tidy_ocr_text(text: str) -> str:
    """Canonical characters, no trailing spaces, at most one blank line in a row."""
    for odd, usual in _OCR_FORMS.items():
        text = text.replace(odd, usual)
    out: list[str] = []
    for line in text.replace("\f", "").splitlines():
        line = line.rstrip()
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


@cache
def _thai_dictionary() -> frozenset[str]:
    from pythainlp.corpus import thai_words

    return frozenset(thai_words())


def thai_letter_share(text: str) -> float:
    """Share of the letters in ``text`` that are Thai."""
    letters = [ch for ch in text if ch.isalpha()]
    return sum("\u0e00" <= ch <= "\u0e7f" for ch in letters) / len(letters) if letters else 0.0


def thai_word_share(text: str) -> float:
    """Share of Thai letters that fall in dictionary words (1.0 when there is no Thai).

    A sound Thai text scores near 1; a text layer whose tone marks and
    vowels were mapped to the wrong characters scores far lower.
    """
    if not any("\u0e00" <= ch <= "\u0e7f" for ch in text):
        return 1.0
    from pythainlp.tokenize import word_tokenize

    known = total = 0
    words = _thai_dictionary()
    for token in word_tokenize(text, engine="newmm", keep_whitespace=False):
        if any("\u0e00" <= ch <= "\u0e7f" for ch in token):
            total += len(token)
            known += len(token) if token in words else 0
    return known / total if total else 1.0
