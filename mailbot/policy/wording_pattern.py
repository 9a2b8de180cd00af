"""The token-pattern mini-language of wording rules.

Admins write patterns as words separated by spaces; each word matches one
token of the draft, compared after folding (lower case, no accents), so
case and spelling variants of the same word match alike::

    we|i will|shall refund*|reimburs* *{0,3} you?

=================  =====================================================
``word``           the token equals ``word`` (a literal may also be a
                   phrase the tokenizer splits, e.g. Thai ``ความผิดของเรา``)
``a_b``            the phrase "a b": ``card_number|pin`` is one element
                   whose alternatives have different lengths
``a|b|c``          any one of the alternatives
``garant*``        a token starting with ``garant`` (inflection tolerance:
                   garantējam, garantēsim, garantija...)
``/regex/``        a token fully matching a Python regular expression (may
                   be one of several alternatives: ``a|/\\d+/``)
``*``              any one token inside the sentence (never ``.``, ``!``,
                   ``?``, ``;`` or a line break, so gaps stay in a sentence)
``!a|b``           any one token in the sentence except ``a`` or ``b``
suffix ``?``       the element is optional; ``{m,n}``, ``{n}``, ``{,n}``
                   repeat it; ``+`` means one or more
``\\?`` ``\\_``      a backslash makes the next character literal
=================  =====================================================

Parsing is pure and language-independent, so the policy loader can reject a
bad pattern with its file and line before any tokenizer is loaded; the
engine turns the parsed form into spaCy ``Matcher`` patterns per language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

#: Tokens a wildcard never crosses: they end a sentence or a clause.
BREAK_TOKENS: tuple[str, ...] = (".", "!", "?", ";", "\n", "…", "...")

_QUANTIFIER = re.compile(r"(\{(\d*),(\d*)\}|\{(\d+)\}|\?|\+)$")
_MAX_REPEAT = 12


class PatternError(ValueError):
    """A pattern string is not valid; the message says what and where."""


class AtomKind(StrEnum):
    """What one alternative of an element matches."""

    WORD = "word"
    PREFIX = "prefix"
    REGEX = "regex"
    ANY = "any"


@dataclass(frozen=True)
class Atom:
    """One alternative: a literal word or phrase, a prefix, a regex or any token."""

    kind: AtomKind
    value: str = ""


@dataclass(frozen=True)
class Element:
    """One position of a pattern: alternatives, optional negation, repetition."""

    atoms: tuple[Atom, ...]
    negated: bool = False
    min_count: int = 1
    max_count: int = 1

    @property
    def is_wildcard(self) -> bool:
        """True for ``*`` elements, which match any token of the sentence."""
        return any(atom.kind is AtomKind.ANY for atom in self.atoms)


@dataclass(frozen=True)
class TokenPattern:
    """A parsed pattern; ``source`` is kept for messages."""

    source: str
    elements: tuple[Element, ...]


def parse_pattern(source: str) -> TokenPattern:
    """Parse one pattern string; raise :class:`PatternError` when it is invalid."""
    words = _split_unescaped(source.strip(), " ")
    if not words:
        raise PatternError("pattern is empty")
    elements = tuple(_parse_element(word) for word in words)
    if elements[0].is_wildcard or elements[-1].is_wildcard:
        raise PatternError("pattern must not start or end with a wildcard '*'")
    if not any(e.min_count > 0 and not e.is_wildcard for e in elements):
        raise PatternError("pattern must contain at least one element that is not optional")
    return TokenPattern(source, elements)


def _parse_element(word: str) -> Element:
    body, min_count, max_count = _split_quantifier(word)
    negated = body.startswith("!")
    if negated:
        body = body[1:]
    if _is_regex(body) and "/" not in body[1:-1].replace("\\/", ""):
        return Element((_regex_atom(body),), negated, min_count, max_count)
    alternatives = _split_unescaped(body, "|")
    if not alternatives or any(not alt for alt in alternatives):
        raise PatternError(f"empty alternative in {word!r}")
    atoms = tuple(_atom(alt) for alt in alternatives)
    if any(atom.kind is AtomKind.ANY for atom in atoms) and (len(atoms) > 1 or negated):
        raise PatternError(f"'*' cannot be combined with alternatives or '!' in {word!r}")
    return Element(atoms, negated, min_count, max_count)


def _split_quantifier(word: str) -> tuple[str, int, int]:
    match = _QUANTIFIER.search(word)
    if match is None or match.start() == 0 or _escaped(word, match.start()):
        return word, 1, 1
    body, text = word[: match.start()], match.group(1)
    if text == "?":
        return body, 0, 1
    if text == "+":
        return body, 1, _MAX_REPEAT
    if match.group(4) is not None:
        low = high = int(match.group(4))
    else:
        low = int(match.group(2) or 0)
        high = int(match.group(3)) if match.group(3) else _MAX_REPEAT
    if high < low or high == 0 or high > _MAX_REPEAT:
        raise PatternError(f"bad repetition {text!r} in {word!r} (allowed: 0 to {_MAX_REPEAT})")
    return body, low, high


def _regex_atom(body: str) -> Atom:
    if len(body) < 3 or not body.endswith("/"):
        raise PatternError(f"regular expression {body!r} must be written as /.../")
    expression = body[1:-1]
    try:
        re.compile(expression)
    except re.error as exc:
        raise PatternError(f"bad regular expression {expression!r}: {exc}") from exc
    return Atom(AtomKind.REGEX, expression)


def _is_regex(text: str) -> bool:
    return len(text) >= 3 and text.startswith("/") and text.endswith("/")


def _atom(text: str) -> Atom:
    if _is_regex(text):
        return _regex_atom(text)
    if text.startswith("/"):
        raise PatternError(f"regular expression {text!r} must be written as /.../")
    if text == "*":
        return Atom(AtomKind.ANY)
    if text.endswith("*") and not _escaped(text, len(text) - 1):
        stem = _unescape(_spaces(text[:-1]))
        if not stem.strip() or "*" in text[:-1].replace("\\*", ""):
            raise PatternError(f"bad prefix {text!r}")
        return Atom(AtomKind.PREFIX, stem)
    if "*" in text.replace("\\*", ""):
        raise PatternError(f"'*' is only allowed at the end of a word, in {text!r}")
    value = _unescape(_spaces(text))
    if not value.strip() or value != " ".join(value.split()):
        raise PatternError(f"bad phrase {text!r} ('_' joins words: 'card_number')")
    return Atom(AtomKind.WORD, value)


def _spaces(text: str) -> str:
    """Unescaped '_' joins the words of a phrase alternative: ``card_number|pin``."""
    return re.sub(r"(?<!\\)_", " ", text)


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current = ""
    index = 0
    while index < len(text):
        ch = text[index]
        if ch == "\\" and index + 1 < len(text):
            current += text[index : index + 2]
            index += 2
            continue
        if ch == separator or (separator == " " and ch.isspace()):
            if current or separator != " ":
                parts.append(current)
            current = ""
        else:
            current += ch
        index += 1
    if current or (separator != " " and parts):
        parts.append(current)
    return parts


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)
