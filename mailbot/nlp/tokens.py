"""Tokenise text the same way everywhere, with offsets into the original text.

Every NLP stage (wording rules, intents, entities) needs words with exact
character offsets: a finding or an entity must point at the customer's or
agent's own characters, never at a normalised copy. English, Dutch and
Latvian use spaCy's blank tokenizers (rule-based, no model download); Thai
has no spaces between words, so it uses pythainlp's dictionary-based
``newmm`` segmenter. Tokenizers are built once per language and cached,
because building a spaCy pipeline costs far more than tokenising a draft.

Each token also carries ``norm``: lower-cased, with typographic apostrophes
straightened, English contractions expanded the way spaCy's tokenizer
exceptions do (``'ll`` -> ``will``, ``n't`` -> ``not``) and, for Latin-script
languages, accents removed, so that "vóór"/"voor" or "garantējam"/
"garantejam" compare equal. Thai vowel and tone marks are combining
characters that carry meaning, so Thai is never accent-folded.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

#: Languages with a dedicated tokenizer; anything else uses spaCy's
#: language-neutral ``xx`` tokenizer.
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "nl", "lv", "th")

_SENTENCE_END = frozenset({".", "!", "?", "…", "!?", "?!", "..."})
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})


class TokenKind(StrEnum):
    """What a token is, for counting words and finding sentence ends."""

    WORD = "word"
    NUMBER = "number"
    PUNCT = "punct"
    BREAK = "break"  # a line break (paragraphs and lines end sentences)


class Token(NamedTuple):
    """One token: its exact characters ``text[start:end]`` and a norm for matching.

    A named tuple rather than a dataclass: a draft has hundreds of tokens and
    it is re-tokenised on every edit, so creating them must be cheap.
    """

    text: str
    start: int
    end: int
    norm: str
    kind: TokenKind

    @property
    def is_word(self) -> bool:
        """True for tokens that count as words in length limits."""
        return self.kind in (TokenKind.WORD, TokenKind.NUMBER)


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence as a character span and a half-open range of token indices."""

    start: int
    end: int
    first_token: int
    end_token: int


def fold(word: str, language: str) -> str:
    """Normalise one word for comparison (see the module docstring)."""
    return _fold(word, language != "th")


@lru_cache(maxsize=65536)
def _fold(word: str, strip_accents: bool) -> str:
    lowered = word.casefold().translate(_APOSTROPHES)
    if not strip_accents or lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFD", lowered)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept)


RawToken = tuple[str, int, str]  # (text, start offset, tokenizer's own norm)


@lru_cache(maxsize=8)
def _spacy_tokenizer(language: str) -> Callable[[str], list[RawToken]]:
    import spacy

    code = language if language in ("en", "nl", "lv") else "xx"
    nlp = spacy.blank(code)

    def run(text: str) -> list[RawToken]:
        return [(t.text, t.idx, t.norm_) for t in nlp.make_doc(text)]

    return run


@lru_cache(maxsize=1)
def _thai_engine() -> str:
    """``nlpo3`` (newmm in Rust, ~4x faster) when installed, else pythainlp's newmm."""
    return "nlpo3" if importlib.util.find_spec("nlpo3") is not None else "newmm"


def _thai_tokens(text: str) -> list[RawToken]:
    from pythainlp.tokenize import word_tokenize

    pieces = word_tokenize(text, engine=_thai_engine(), keep_whitespace=True)
    out: list[RawToken] = []
    offset = 0
    for piece in pieces:
        found = text.find(piece, offset)
        if found < 0:  # the segmenter changed characters: skip, never misplace
            continue
        out.append((piece, found, piece))
        offset = found + len(piece)
    return out


def _raw_tokens(text: str, language: str) -> list[RawToken]:
    if language == "th":
        return _thai_tokens(text)
    return _spacy_tokenizer(language)(text)


def _kind(text: str) -> TokenKind:
    if any(ch.isalpha() for ch in text):
        return TokenKind.WORD
    if any(ch.isdigit() for ch in text):
        return TokenKind.NUMBER
    return TokenKind.PUNCT


def _split_whitespace(text: str, start: int) -> Iterator[Token]:
    """Yield a BREAK token for each line break inside a whitespace run."""
    for index, ch in enumerate(text):
        if ch == "\n":
            yield Token("\n", start + index, start + index + 1, "\n", TokenKind.BREAK)


def tokenize(text: str, language: str, *, keep_breaks: bool = False) -> list[Token]:
    """Split ``text`` into tokens whose offsets index ``text`` exactly.

    Whitespace is dropped; with ``keep_breaks`` each line break becomes a
    BREAK token, which lets callers stop patterns and sentences at line ends.
    """
    strip_accents = language != "th"
    tokens: list[Token] = []
    append, describe, make = tokens.append, _describe, Token._make  # hot loop: local names
    for raw, start, spacy_norm in _raw_tokens(text, language):
        if raw.isspace():
            if keep_breaks:
                tokens.extend(_split_whitespace(raw, start))
            continue
        append(make((raw, start, start + len(raw), *describe(raw, spacy_norm, strip_accents))))
    return tokens


@lru_cache(maxsize=65536)
def _describe(raw: str, spacy_norm: str, strip_accents: bool) -> tuple[str, TokenKind]:
    """Norm and kind of a token text (cached: drafts reuse the same words)."""
    kind = _kind(raw)
    # spaCy's norm expands contractions ('ll -> will); keep it for words only,
    # because for symbols it maps e.g. "€" to "$", which is not what people wrote.
    base = spacy_norm if kind is TokenKind.WORD and spacy_norm else raw
    return _fold(base, strip_accents) or raw, kind


def sentences(tokens: list[Token]) -> list[Sentence]:
    """Group tokens into sentences.

    A sentence ends at a line break, or at ``.``/``!``/``?`` when the next
    token does not start with a lower-case letter or a digit (so "15. martam"
    and "plkst. 17.00" stay inside one sentence). Thai rarely uses full stops;
    there a sentence is a line, and :func:`thai_clauses` splits it further at
    the spaces Thai writers put between clauses.
    """
    out: list[Sentence] = []
    first = 0
    count = len(tokens)
    for index, token in enumerate(tokens):
        ends = token.kind is TokenKind.BREAK
        if not ends and token.text in _SENTENCE_END:
            following = next((t for t in tokens[index + 1 :] if t.kind is not TokenKind.PUNCT), None)
            ends = following is None or following.kind is TokenKind.BREAK or _starts_sentence(following)
        if ends or index == count - 1:
            last = index + 1
            content = [t for t in tokens[first:last] if t.kind is not TokenKind.BREAK]
            if content:
                out.append(Sentence(content[0].start, content[-1].end, first, last))
            first = last
    return out


#: Thai sentence-final particles. Writers often space them off ("รอสักครู่ นะคะ"); as a
#: clause of their own they carry no meaning (the wording model flagged "นะคะ" alone as tone).
THAI_PARTICLES = frozenset({"นะ", "คะ", "ค่ะ", "ครับ", "คับ", "ฮะ", "จ้ะ", "จ้า", "นะคะ", "นะครับ", "จ๊ะ", "จ๋า"})


def thai_clauses(tokens: Sequence[Token]) -> list[list[Token]]:
    """Split the tokens of one Thai sentence (no breaks) into its clauses.

    Thai marks the end of a clause or sentence with a space, where other
    languages put a comma or a full stop. So whitespace between two tokens
    starts a new clause, except around a number ("ภายใน 7 วัน" is one
    clause: Thai writers space numbers off) and before a polite particle
    ("นะคะ"), which ends the clause before it rather than being one.
    The wording model scores these clauses, and the length limit counts
    words per clause: four short clauses on one line are not a long sentence
    to a Thai reader.
    """
    groups: list[list[Token]] = []
    for token in tokens:
        previous = groups[-1][-1] if groups else None
        if previous is None or (
            token.start > previous.end
            and TokenKind.NUMBER not in (token.kind, previous.kind)
            and token.text not in THAI_PARTICLES
        ):
            groups.append([token])
        else:
            groups[-1].append(token)
    return groups


def _starts_sentence(token: Token) -> bool:
    head = token.text[0]
    return not (head.islower() or head.isdigit())
