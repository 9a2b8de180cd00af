"""The token matcher on its own: which spans each pattern yields over a list of norms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailbot.policy.wording_pattern import PatternError, parse_pattern
from mailbot.wording_match import Predicate, PredicateIndex, PredicatePool, TokenMatcher, compile_pattern


def matches(patterns: list[str], norms: list[str], *, longest: bool = True) -> list[tuple[int, int]]:
    pool = PredicatePool()
    matcher = TokenMatcher()
    variants = [v for p in patterns for v in compile_pattern(parse_pattern(p), "en", pool)]
    matcher.add("k", variants, longest=longest)
    return sorted((start, end) for _, start, end in matcher(norms))


@pytest.mark.parametrize(
    ("patterns", "text", "expected"),
    [
        (["we guarantee"], "yes we guarantee it", [(1, 3)]),
        (["we *{0,3} refund"], "we will of course refund you", [(0, 5)]),
        (["we *{0,1} refund"], "we will of course refund you", []),
        (["will *{0,4} tomorrow"], "it will arrive . tomorrow", []),  # gaps stop at a sentence end
        (["very? sure"], "i am very sure", [(2, 4)]),
        (["very? sure"], "i am sure", [(2, 3)]),
        (["garant*"], "we garantejam garanti", [(1, 2), (2, 3)]),
        (["/\\d{4,}/"], "code 123 and 123456", [(3, 4)]),
        (["!not|never pay"], "we pay , not pay", [(0, 2)]),
        (["card_number|pin"], "your card number and pin", [(1, 3), (4, 5)]),
        (["a b", "a b c"], "a b c", [(0, 3)]),  # overlapping matches of one key: longest wins
    ],
)
def test_matches(patterns: list[str], text: str, expected: list[tuple[int, int]]) -> None:
    assert matches(patterns, text.split()) == expected


def test_without_longest_every_match_is_kept() -> None:
    assert matches(["a b", "a b c"], ["a", "b", "c"], longest=False) == [(0, 2), (0, 3)]


def test_keys_are_reported_separately() -> None:
    pool = PredicatePool()
    matcher = TokenMatcher()
    matcher.add("one", compile_pattern(parse_pattern("refund"), "en", pool))
    matcher.add("two", compile_pattern(parse_pattern("we refund"), "en", pool))
    assert sorted(matcher(["we", "refund"])) == [("one", 1, 2), ("two", 0, 2)]
    assert len(matcher) == 2


def test_predicates_are_shared_between_patterns() -> None:
    pool = PredicatePool()
    first = compile_pattern(parse_pattern("we pay"), "en", pool)[0]
    second = compile_pattern(parse_pattern("we refund"), "en", pool)[0]
    assert first[0].test is second[0].test


def test_too_many_variants() -> None:
    words = "|".join(f"w{i}_x" for i in range(9))
    with pytest.raises(PatternError, match="variants"):
        compile_pattern(parse_pattern(f"{words} {words} {words} {words}"), "en", PredicatePool())


_LETTERS = "abcé"
_norm = st.text(alphabet=_LETTERS, max_size=5)


@st.composite
def _predicates(draw: st.DrawFn) -> Predicate:
    return Predicate(
        frozenset(draw(st.lists(_norm, max_size=3))),
        tuple(draw(st.lists(_norm, max_size=2))),
        tuple(draw(st.lists(st.sampled_from(["a+", "[bc]é?", "\\w{3}"]), max_size=1))),
        negated=draw(st.booleans()),
        wildcard=draw(st.booleans()) and draw(st.booleans()),
    )


@given(st.lists(_predicates(), max_size=8), st.lists(_norm, min_size=1, max_size=10))
def test_predicate_index_agrees_with_testing_each_predicate(
    predicates: list[Predicate], norms: list[str]
) -> None:
    index = PredicateIndex([(test, number) for number, test in enumerate(predicates)])
    for norm in [*norms, ".", ""]:
        assert index(norm) == {number for number, test in enumerate(predicates) if test(norm)}


def test_matches_do_not_depend_on_which_norms_came_first() -> None:
    # the per-norm caches are filled by the first draft; a second matcher that
    # sees the drafts in the other order must find the same spans
    patterns = ["we *{0,3} refund*", "garant*", "!not|never pay", "/\\d{4,}/ euro"]
    drafts = [
        ["we", "will", "refunded", "1234", "euro"],
        ["garanteed", "we", "pay", "never", "pay"],
        ["not", "pay", ",", "we", "refunding"],
    ]
    results = []
    for order in (drafts, drafts[::-1]):
        pool = PredicatePool()
        matcher = TokenMatcher()
        matcher.add("k", [v for p in patterns for v in compile_pattern(parse_pattern(p), "en", pool)])
        results.append({" ".join(d): sorted(matcher(d)) for d in order})
    assert results[0] == results[1]
