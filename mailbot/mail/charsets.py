"""Turn bytes from a mail part or header into text, whatever the label says.

Mail charsets lie. A part says ``iso-8859-1`` and holds UTF-8; another says
``unknown-8bit`` or nothing at all; Thai mail says ``tis-620`` and uses the
Windows additions of ``windows-874``. This module never raises: it tries the
declared charset, then the usual suspects, then asks ``charset-normalizer``,
and reports in plain words what it had to guess so people can see it.

charset-normalizer alone is weak on short Latvian and Thai text (it reads
cp1257 Latvian as cp1252 mojibake), so its candidates are re-ranked by how
many of the decoded characters belong to the alphabets mailbot expects.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

# Labels seen in real mail that Python does not know, or that name no charset.
_UNKNOWN_LABELS = frozenset(
    {"unknown-8bit", "x-unknown", "unknown", "x-user-defined", "8bit", "default", "charset", "none"}
)

# Labels mapped to what senders actually use (the WHATWG encoding standard
# makes the same choices: latin-1 means windows-1252, tis-620 means windows-874).
_ALIASES = {
    "windows-874": "cp874",
    "x-windows-874": "cp874",
    "tis-620": "cp874",
    "tis620": "cp874",
    "iso-8859-11": "cp874",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "iso-8859-8-i": "iso-8859-8",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-mac-roman": "mac-roman",
    "utf8": "utf-8",
    "x-utf8": "utf-8",
}

# Encodings charset-normalizer may choose from first: the families our four
# languages are written in.
_FAMILY = ["utf_8", "cp1252", "cp1257", "iso8859_13", "iso8859_4", "cp874", "iso8859_15"]

_DETECT_SAMPLE = 64 * 1024

# Non-ASCII characters that are normal in text of each script mailbot reads;
# mojibake mixes characters of several (a Latvian cp1257 text read as cp1252
# gives "û", "ð", "þ"; a cp1252 text read as cp1250 gives "č" next to "é").
_PUNCTUATION = "€£–—‘’“”„…«»°·×§©®™\u00a0"
# Western letters of Dutch, English and German text only: "â", "î", "û"
# are left out because they are what Latvian ā, ī, ū look like in cp1252.
_WESTERN = frozenset("éëïöüäèáóúàçêôñßÉËÏÖÜÄÈÁÓÚÀÇ" + _PUNCTUATION)
_BALTIC = frozenset("āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ" + _PUNCTUATION)
_ALPHABETS = (_WESTERN, _BALTIC)
# Thai vowel signs above/below and tone marks: they follow a consonant.
_THAI_MARKS = frozenset(
    "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e"
)
# Vowels written before their consonant (เ แ โ ใ ไ).
_THAI_LEADING_VOWELS = frozenset("\u0e40\u0e41\u0e42\u0e43\u0e44")

_NON_ASCII = re.compile(r"[^\x00-\x7f]")

# Below this familiarity a successful decode with the declared single-byte
# charset is suspicious enough to ask the detector for a second opinion.
_SUSPICIOUS = 0.8


@dataclass(frozen=True)
class Decoded:
    """Text plus the charset really used and, when we had to guess, why."""

    text: str
    charset: str
    defect: str | None = None


def normalise_label(label: str | None) -> str | None:
    """Return a Python codec name for a MIME charset label, or None if unusable."""
    if not label:
        return None
    cleaned = label.strip().strip("\"'").strip().lower()
    if not cleaned or cleaned in _UNKNOWN_LABELS:
        return None
    cleaned = _ALIASES.get(cleaned, cleaned)
    try:
        return codecs.lookup(cleaned).name
    except (LookupError, ValueError):
        return None


def _is_single_byte(codec: str) -> bool:
    """True for legacy 8-bit codecs, where valid UTF-8 content is a tell-tale."""
    return codec.startswith(("cp12", "iso8859", "cp874", "mac-", "koi8", "ascii", "latin"))


def _familiarity(text: str) -> float:
    """Share of non-ASCII characters that fit one script (Western, Baltic, Thai)."""
    non_ascii = _NON_ASCII.findall(text)
    if not non_ascii:
        return 1.0
    best = max(sum(1 for char in non_ascii if char in alphabet) for alphabet in _ALPHABETS)
    if _thai_plausible(text):
        best = max(best, sum(1 for char in non_ascii if "\u0e00" <= char <= "\u0e7f" or char in _PUNCTUATION))
    return best / len(non_ascii)


def _thai_plausible(text: str) -> bool:
    """True if Thai vowel and tone marks sit on Thai consonants, as in real text.

    Any run of high bytes decodes "into Thai" as cp874; mojibake betrays
    itself by marks that follow a Latin letter, a space or a leading vowel.
    """
    marks = misplaced = 0
    previous = ""
    for char in text:
        if char in _THAI_MARKS:
            marks += 1
            if not (previous in _THAI_MARKS or "\u0e01" <= previous <= "\u0e2e"):
                misplaced += 1
        elif previous in _THAI_LEADING_VOWELS and not "\u0e01" <= char <= "\u0e2e":
            misplaced += 1
        previous = char
    return misplaced <= marks * 0.05


def _guess(data: bytes) -> str | None:
    """Best codec for ``data`` per charset-normalizer, re-ranked by familiarity."""
    sample = data[:_DETECT_SAMPLE]
    candidates: list[str] = []
    try:
        for matches in (
            charset_normalizer.from_bytes(sample, cp_isolation=_FAMILY),
            charset_normalizer.from_bytes(sample),
        ):
            candidates = [match.encoding for match in matches]
            if candidates:
                break
    except Exception:  # a detector bug must not stop parsing
        candidates = []
    for extra in ("cp1252", "cp1257", "cp874"):
        if extra not in candidates:
            candidates.append(extra)
    best: tuple[float, int, str] | None = None
    for rank, codec in enumerate(candidates):
        try:
            text = sample.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        score = (_familiarity(text), -rank, codec)
        if best is None or score > best:
            best = score
    return best[2] if best else None


def _second_opinion(data: bytes, text: str, codec: str, declared: str, what: str) -> Decoded:
    """Keep a clean single-byte decode, unless it reads like mojibake.

    A Latvian cp1257 message labelled iso-8859-1 decodes without error into
    nonsense; the familiarity score catches that and the guess wins.
    """
    if not _is_single_byte(codec):
        return Decoded(text, codec)
    familiarity = _familiarity(text[:_DETECT_SAMPLE])
    if familiarity >= _SUSPICIOUS:
        return Decoded(text, codec)
    guessed = _guess(data)
    if guessed is None or guessed == codec:
        return Decoded(text, codec)
    alternative = data.decode(guessed, errors="replace")
    if _familiarity(alternative[:_DETECT_SAMPLE]) < familiarity + 0.2:
        return Decoded(text, codec)
    defect = f"{what}: declared charset {declared!r} but the content reads as {guessed}"
    return Decoded(alternative, guessed, defect)


def decode_bytes(data: bytes, declared: str | None, *, what: str = "text") -> Decoded:
    """Decode ``data`` that claims to be in charset ``declared``; never raises.

    ``what`` names the thing in defect messages ("body part 2", "Subject").
    """
    if data.isascii():
        return Decoded(data.decode("ascii"), "ascii")
    codec = normalise_label(declared)
    if codec is None or _is_single_byte(codec):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            defect = None
            if declared:
                known = "declared" if codec else "unusable"
                defect = f"{what}: {known} charset {declared!r}; the content is UTF-8"
            return Decoded(text, "utf-8", defect)
    if codec is not None and codec != "ascii":
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            pass
        else:
            return _second_opinion(data, text, codec, declared or codec, what)
    guessed = _guess(data) or "cp1252"
    if declared:
        reason = f"{what}: could not decode as {declared!r}; guessed {guessed}"
    else:
        reason = f"{what}: no charset declared for 8-bit content; guessed {guessed}"
    return Decoded(data.decode(guessed, errors="replace"), guessed, reason)
