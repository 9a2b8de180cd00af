"""The token-pattern mini-language: what parses to what, and what is rejected."""

from __future__ import annotations

import pytest

from mailbot.policy.wording_pattern import Atom, AtomKind, Element, PatternError, parse_pattern

W, P, R, ANY = AtomKind.WORD, AtomKind.PREFIX, AtomKind.REGEX, AtomKind.ANY


@pytest.mark.parametrize(
    ("source", "elements"),
    [
        ("we", [Element((Atom(W, "we"),))]),
        ("we|i", [Element((Atom(W, "we"), Atom(W, "i")))]),
        ("garant*", [Element((Atom(P, "garant"),))]),
        ("/\\d+/", [Element((Atom(R, "\\d+"),))]),
        ("in /\\d+/|a", [Element((Atom(W, "in"),)), Element((Atom(R, "\\d+"), Atom(W, "a")))]),
        (
            "we *{0,3} pay",
            [Element((Atom(W, "we"),)), Element((Atom(ANY),), False, 0, 3), Element((Atom(W, "pay"),))],
        ),
        ("very? sure", [Element((Atom(W, "very"),), False, 0, 1), Element((Atom(W, "sure"),))]),
        ("a{2} b", [Element((Atom(W, "a"),), False, 2, 2), Element((Atom(W, "b"),))]),
        ("a b+", [Element((Atom(W, "a"),)), Element((Atom(W, "b"),), False, 1, 12)]),
        (
            "a !not|never b",
            [
                Element((Atom(W, "a"),)),
                Element((Atom(W, "not"), Atom(W, "never")), True),
                Element((Atom(W, "b"),)),
            ],
        ),
        ("card_number|pin", [Element((Atom(W, "card number"), Atom(W, "pin")))]),
        ("kartes_numur*", [Element((Atom(P, "kartes numur"),))]),
        ("what \\?", [Element((Atom(W, "what"),)), Element((Atom(W, "?"),))]),
        ("a\\|b", [Element((Atom(W, "a|b"),))]),
        ("snake\\_case", [Element((Atom(W, "snake_case"),))]),
        ("  spaced   out  ", [Element((Atom(W, "spaced"),)), Element((Atom(W, "out"),))]),
        ("?", [Element((Atom(W, "?"),))]),
    ],
)
def test_parses(source: str, elements: list[Element]) -> None:
    assert list(parse_pattern(source).elements) == elements


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ("", "empty"),
        ("* we", "wildcard"),
        ("we *", "wildcard"),
        ("a? b?", "not optional"),
        ("a|", "empty alternative"),
        ("a||b", "empty alternative"),
        ("ga*nt", "only allowed at the end"),
        ("a{3,1}", "bad repetition"),
        ("a{0,99}", "bad repetition"),
        ("/[a-/", "bad regular expression"),
        ("/abc", "must be written as"),
        ("a|* b", "cannot be combined"),
        ("!* b", "cannot be combined"),
        ("a__b", "bad phrase"),
    ],
)
def test_rejects(source: str, needle: str) -> None:
    with pytest.raises(PatternError, match=needle):
        parse_pattern(source)
