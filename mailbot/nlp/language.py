"""Which of our four languages a customer wrote in: en, nl, lv, th, or "unknown".

How, and why this way (figures measured on data/langid_eval/eval.jsonl, 387
hand-written messages; reproduce with bench/bench_nlp.py):

1. **The customer's own words first.** Mail carries quoted history ("> ...",
   "On ... wrote:", "-----Original Message-----") and signatures ("Sent from
   my iPhone", "Kind regards, ...") that are often in *our* language, not
   the customer's. On raw text every detector tried got most of the 37
   mixed messages wrong (py3langid: 40% right), so :func:`own_words` cuts them
   off, drops links, addresses and codes, and keeps the first
   ``max_chars`` characters, which bounds the cost of long mails.
2. **Script before statistics.** Thai is the only Thai-script language we
   serve, so Thai letters decide "th" without a model; a text mostly in
   another non-Latin script (Cyrillic, CJK, Arabic, Lao...) is "unknown".
   Exact, and a few microseconds.
3. **py3langid for Latin-script text**, restricted to English, Dutch and
   Latvian plus the languages they are most often confused with or that a
   Benelux/Baltic shop plausibly receives (German, Afrikaans, French,
   Spanish, Estonian, Lithuanian, Danish, Swedish). Winning one of those
   means "unknown"; without them German mail is forced into Dutch and
   "unknown" recall drops to 20%.

   With steps 1-2 in front, measured by bench/bench_nlp.py (``run`` and
   ``compare``) on one core: py3langid 0.4 scores 99.2% overall and 98.2%
   on the 113 short texts at ~60 us per message (p99 ~200 us), adds ~76 MiB
   and loads in ~0.5 s; Lingua 2.1 in high-accuracy mode with the same
   languages scores 99.0% and 96.5% at ~225 us (p99 ~700 us), adds 300-350 MiB
   and loads in ~1.7 s. Cheaper still but less accurate in an earlier
   round: Lingua's low-accuracy mode (95%, 88% on short texts), fastText's
   compressed lid.176 (93%; poor on Latvian without diacritics) and CLD2
   (96%; abstains on one-word messages). A character n-gram model of our
   own would need a labelled corpus in all these languages, which we do
   not have offline; py3langid's model was trained on such corpora.

The model (bundled with py3langid, no network) is loaded once per process
by :func:`default_detector`; detection itself is pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Final

# py3langid ships no type information; the ignore stays harmless once pyproject
# lists it under ignore_missing_imports.
from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped, unused-ignore]

UNKNOWN: Final = "unknown"
SUPPORTED: Final[tuple[str, ...]] = ("en", "nl", "lv", "th")

#: Supported languages written in Latin script (decided by the model).
_LATIN_SUPPORTED: Final[frozenset[str]] = frozenset({"en", "nl", "lv"})

#: ISO 639-1 codes of Latin-script languages that win against en/nl/lv
#: when the text is really in one of them; detecting one yields "unknown".
DEFAULT_CONFUSABLE: Final[tuple[str, ...]] = ("de", "af", "fr", "es", "et", "lt", "da", "sv")

#: How much of the customer's own words is looked at; the first lines say
#: which language a mail is in, and the cost grows with length.
DEFAULT_MAX_CHARS: Final = 800

# --- the customer's own words -------------------------------------------------

#: Where quoted history starts: reply headers of common mail clients in our
#: languages (and German/French, which customers' clients also produce),
#: separators of forwarded/original messages, and Outlook's header block.
_HISTORY_START = re.compile(
    r"^[ \t]*(?:"
    r"On\b[^\n]{0,200}(?:\n[^\n]{0,200})?\bwrote:"
    r"|Op\b[^\n]{0,200}(?:\n[^\n]{0,200})?\bschreef\b[^\n]{0,200}:"
    r"|Am\b[^\n]{0,200}(?:\n[^\n]{0,200})?\bschrieb\b[^\n]{0,200}:"
    r"|Le\b[^\n]{0,200}(?:\n[^\n]{0,200})?\ba écrit\s*:"
    r"|[^\n]{0,200}\brakstīja\s*:"
    r"|เมื่อ[^\n]{0,200}เขียนว่า"
    r"|-{2,}\s*(?:original message|oorspronkelijk bericht|origināls ziņojums|ursprüngliche nachricht"
    r"|forwarded message|doorgestuurd bericht|pārsūtīts ziņojums|ข้อความต้นฉบับ)\s*-{2,}"
    r"|_{8,}\s*$"
    r"|(?:from|van|von|de|no|จาก)\s*:[^\n]*\n(?:[^\n]*\n){0,4}?[ \t]*"
    r"(?:subject|onderwerp|betreff|objet|tēma|temats|เรื่อง)\s*:"
    r")",
    re.IGNORECASE | re.MULTILINE,
)

#: Where a signature starts: the standard "-- " delimiter, mobile-client
#: footers, and a valediction alone on its line ("Kind regards,").
_SIGNATURE_START = re.compile(
    r"^[ \t]*(?:"
    r"--[ \t]*$"
    r"|(?:sent from|get outlook for|verzonden (?:vanaf|met|van) mijn|verstuurd (?:vanaf|met|van) mijn"
    r"|nosūtīts no|sūtīts no|ส่งจาก)\b"
    r"|(?:best regards|kind regards|warm regards|regards|best wishes|yours sincerely|yours faithfully"
    r"|(?:met )?vriendelijke groet(?:en)?|hartelijke groet(?:en)?|groeten|groetjes|mvg"
    r"|ar cieņu|ar labākajiem novēlējumiem|ar sveicieniem|sveicieni"
    r"|ขอแสดงความนับถือ|ด้วยความเคารพ|mit freundlichen grüßen|cordialement)\b[^\n]{0,60}$"
    r")",
    re.IGNORECASE | re.MULTILINE,
)

#: A reply's or forward's subject on the first line ("Re: [Case #A1B2C3] Your
#: refund"): our words, not the customer's, when the caller puts the subject
#: before the body. A subject the customer wrote (no prefix) is kept.
_REPLY_SUBJECT = re.compile(
    r"\A[ \t]*(?:(?:re|fwd?|aw|wg|antw|doorst|atb|ats|pars|sv|vs|tr|rv|ตอบกลับ|ส่งต่อ)\s*(?:\[\d+\])?:[ \t]*)+"
    r"[^\n]*\n",
    re.IGNORECASE,
)
_QUOTED_LINE = re.compile(r"^[ \t]*>[^\n]*(?:\n|$)", re.MULTILINE)
_QUOTE_MARKS = re.compile(r"^[ \t]*>+", re.MULTILINE)
_NOT_WORDS = re.compile(
    r"(?:https?://|www\.)\S+"  # links
    r"|\S+@\S+"  # e-mail addresses
    r"|\b[\w-]*\d[\w-]*\b",  # codes and numbers: SN-88231-X, A7C2F9, 44120
)


def own_words(text: str) -> str:
    """The part of ``text`` the customer wrote now, without history or signature.

    Drops a reply/forward subject on the first line, cuts at the first
    reply header or original-message separator and at the first signature
    marker that has some of the customer's words before it, then drops
    ``>``-quoted lines, links, e-mail addresses and codes (their letters say
    nothing about the language). Returns ``""`` when nothing word-like
    remains.
    """
    text = _REPLY_SUBJECT.sub("", text, count=1)
    cut = len(text)
    history = _HISTORY_START.search(text)
    if history is not None:
        cut = history.start()
    for signature in _SIGNATURE_START.finditer(text, 0, cut):
        if _has_letters(text[: signature.start()]):
            cut = signature.start()
            break
    own = _QUOTED_LINE.sub("", text[:cut])
    return _NOT_WORDS.sub(" ", own).strip()


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


# --- scripts --------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptCounts:
    """How many letters of a text are Latin, Thai, or some other script."""

    latin: int
    thai: int
    other: int

    @property
    def letters(self) -> int:
        return self.latin + self.thai + self.other


#: Runs of Thai letters, vowels and tone marks (not digits): all count as Thai.
_THAI = re.compile("[\u0e01-\u0e4e]+")
#: Runs of exactly the letters (``str.isalpha``) below U+0250 and in Latin Extended Additional.
_LATIN_LETTERS = re.compile("[A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]+")
#: Characters outside those Latin blocks (and outside Thai): letters among them are "other".
_BEYOND_LATIN = re.compile("[^\x00-\u024f\u1e00-\u1eff\u0e01-\u0e4e]")


def count_scripts(text: str) -> ScriptCounts:
    """Count letters (and Thai marks, which are part of Thai words) by script.

    Regular expressions rather than a loop over characters: this runs on
    every message, and a loop over characters cost three times as much.
    """
    thai = sum(map(len, _THAI.findall(text)))
    latin = sum(map(len, _LATIN_LETTERS.findall(text)))
    other = sum(1 for ch in _BEYOND_LATIN.findall(text) if ch.isalpha())
    return ScriptCounts(latin, thai, other)


# --- the detector -----------------------------------------------------------------


class LanguageDetector:
    """Detects en/nl/lv/th or "unknown"; build once, call from any thread.

    ``confusable`` lists the other Latin-script languages the model may pick
    (each of them meaning "unknown"); more of them catch more foreign mail
    but pull some very short en/nl/lv texts away.
    """

    def __init__(
        self,
        *,
        confusable: Iterable[str] = DEFAULT_CONFUSABLE,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        self._max_chars = max_chars
        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._identifier.set_languages(sorted(_LATIN_SUPPORTED | set(confusable)))

    def detect(self, text: str) -> tuple[str, float]:
        """Return (language, confidence) for ``text``.

        ``language`` is one of :data:`SUPPORTED` or :data:`UNKNOWN`;
        ``confidence`` is the detector's probability for that answer, and
        0.0 when the text has no letters at all (nothing to go on).
        """
        words = own_words(text)
        if not _has_letters(words):  # e.g. a bare forward: judge what was forwarded
            words = _NOT_WORDS.sub(" ", _QUOTE_MARKS.sub("", text))
        words = words[: self._max_chars]
        scripts = count_scripts(words)
        if scripts.letters == 0:
            return UNKNOWN, 0.0
        if scripts.thai >= scripts.latin + scripts.other:
            # Latin product names in Thai text ("size M") lower it a little.
            return "th", 0.5 + 0.5 * scripts.thai / scripts.letters
        if scripts.other > scripts.latin:
            return UNKNOWN, scripts.other / scripts.letters
        language, probability = self._identifier.classify(words)
        label = language if language in _LATIN_SUPPORTED else UNKNOWN
        return label, float(probability)


@cache
def default_detector() -> LanguageDetector:
    """The process-wide detector (loading the model takes ~0.4 s)."""
    return LanguageDetector()


def detect_language(text: str) -> tuple[str, float]:
    """Language ("en", "nl", "lv", "th" or "unknown") and confidence of ``text``."""
    return default_detector().detect(text)
