"""A small, fast matcher for wording-rule token patterns.

The first version compiled every pattern into spaCy ``Matcher`` patterns.
With the shipped rules (~110 expanded patterns per language, several with
gaps such as ``*{0,7}``) spaCy's matcher needed ~2.8 ms per 120-word draft,
about 300 drafts/s, a third of the goal of 1,000/s per language. This
matcher does the same job over the same folded token norms in a fraction
of that (see ``bench/bench_wording.py``):

* each pattern element becomes a :class:`Predicate` over a token norm,
  shared between patterns and memoised per norm, so a word is tested
  against an element once, whatever the draft;
* patterns are indexed by their first element: for each distinct norm the
  list of patterns that can start there is computed once and cached, so
  most tokens cost one dictionary lookup;
* a norm seen for the first time finds the predicates it satisfies through
  a :class:`PredicateIndex` (word and prefix dictionaries), not by testing
  the several hundred predicates one by one (that was 80% of the check);
* a candidate is tried only when every word it still needs occurs in the
  draft within its reach (most gap patterns such as "will ... tomorrow"
  are dropped here without any backtracking);
* a candidate is matched by backtracking, wildcards greedy first, which
  yields the longest match from that start.

Matches of one key are filtered like spaCy's ``greedy="LONGEST"``: longest
first, no overlaps. Tokens are never copied: the matcher sees only norms.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from mailbot.nlp.tokens import fold, tokenize
from mailbot.policy.wording_pattern import BREAK_TOKENS, AtomKind, Element, PatternError, TokenPattern

_BREAKS = frozenset(BREAK_TOKENS)
_MAX_VARIANTS = 512
_CACHE_LIMIT = 100_000


class Predicate:
    """A test on one token norm: words, prefixes and regexes, maybe negated."""

    def __init__(
        self,
        words: frozenset[str] = frozenset(),
        prefixes: tuple[str, ...] = (),
        regexes: tuple[str, ...] = (),
        *,
        negated: bool = False,
        wildcard: bool = False,
    ) -> None:
        self.words = words
        self.prefixes = prefixes
        self.regexes = tuple(re.compile(r) for r in regexes)
        self.negated = negated
        self.wildcard = wildcard
        self._cache: dict[str, bool] = {}

    def __call__(self, norm: str) -> bool:
        cached = self._cache.get(norm)
        if cached is None:
            if len(self._cache) > _CACHE_LIMIT:
                self._cache.clear()
            cached = self._cache[norm] = self._test(norm)
        return cached

    def _test(self, norm: str) -> bool:
        if self.wildcard:
            return norm not in _BREAKS
        hit = (
            norm in self.words
            or (bool(self.prefixes) and norm.startswith(self.prefixes))
            or any(r.fullmatch(norm) for r in self.regexes)
        )
        if self.negated:
            return not hit and norm not in _BREAKS
        return hit


class PredicateIndex:
    """Which of many predicates a norm satisfies, without testing each one.

    A draft's new words are tested against every predicate the patterns use
    (several hundred per language); most predicates are plain word sets or
    prefixes, so they are looked up in two dictionaries (a word, then each
    of the norm's own prefixes) and only those with regexes or a negation
    are tested one by one. The result is exactly ``{n for n, p in ... if p(norm)}``.
    """

    def __init__(self, predicates: Sequence[tuple[Predicate, int]]) -> None:
        self._by_word: dict[str, list[int]] = {}
        self._by_prefix: dict[str, list[int]] = {}
        self._tested: list[tuple[Predicate, int]] = []
        for test, number in predicates:
            if test.negated or test.wildcard or test.regexes or "" in test.prefixes:
                self._tested.append((test, number))
                continue
            for word in test.words:
                self._by_word.setdefault(word, []).append(number)
            for prefix in test.prefixes:
                self._by_prefix.setdefault(prefix, []).append(number)
        self._longest_prefix = max(map(len, self._by_prefix), default=0)

    def __call__(self, norm: str) -> set[int]:
        """Numbers of the predicates that hold for ``norm``."""
        hits = set(self._by_word.get(norm, ()))
        by_prefix = self._by_prefix
        for size in range(1, min(len(norm), self._longest_prefix) + 1):
            found = by_prefix.get(norm[:size])
            if found is not None:
                hits.update(found)
        hits.update(number for test, number in self._tested if test(norm))
        return hits


@dataclass(frozen=True)
class Step:
    """One position of a variant: a predicate repeated ``low``..``high`` times."""

    test: Predicate
    low: int = 1
    high: int = 1


Variant = tuple[Step, ...]


class TokenMatcher:
    """Patterns under keys; calling it on a list of norms returns matches."""

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._longest: list[bool] = []
        self._exact: dict[str, list[_Candidate]] = {}
        self._other: list[tuple[Predicate, _Candidate]] = []
        self._candidates: dict[str, list[_Candidate]] = {}
        # every predicate a variant needs at least once, numbered; per norm, which it satisfies
        self._needed: dict[Predicate, int] = {}
        self._satisfied: dict[str, frozenset[int]] = {}
        # built on first use after an add: which needed / first-step predicates a norm satisfies
        self._needed_index: PredicateIndex | None = None
        self._other_index: PredicateIndex | None = None

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: str, variants: Sequence[Variant], *, longest: bool = True) -> None:
        """Add the variants of one key; ``longest`` keeps only non-overlapping longest matches."""
        index = len(self._keys)
        self._keys.append(key)
        self._longest.append(longest)
        for variant in variants:
            for start in _anchored(variant):
                needs = frozenset(
                    self._needed.setdefault(step.test, len(self._needed))
                    for step in start[1:]
                    if step.low > 0 and not step.test.wildcard
                )
                candidate = _Candidate(index, start, needs, sum(step.high for step in start))
                first = start[0].test
                if first.words and not (first.prefixes or first.regexes or first.negated or first.wildcard):
                    for word in first.words:
                        self._exact.setdefault(word, []).append(candidate)
                else:
                    self._other.append((first, candidate))
        self._candidates.clear()
        self._satisfied.clear()
        self._needed_index = self._other_index = None

    def __call__(self, norms: Sequence[str]) -> list[tuple[str, int, int]]:
        """All matches as ``(key, start, end)`` token indices, end exclusive."""
        found: dict[int, list[tuple[int, int]]] = {}
        # where each needed predicate holds, so a candidate whose required words are
        # not within its reach is skipped before any backtracking
        where: dict[int, list[int]] = {}
        for position, norm in enumerate(norms):
            satisfied = self._satisfied.get(norm)
            for number in satisfied if satisfied is not None else self._satisfied_by(norm):
                where.setdefault(number, []).append(position)
        present = where.keys()
        viable: dict[str, list[_Candidate]] = {}  # per distinct norm of this draft
        for position, norm in enumerate(norms):
            candidates = viable.get(norm)
            if candidates is None:
                every = self._candidates.get(norm)
                if every is None:
                    every = self._candidates_for(norm)
                candidates = viable[norm] = [c for c in every if c.needs <= present]
            for candidate in candidates:
                if candidate.needs and not _within_reach(candidate, position, where):
                    continue
                end = _match(candidate.variant, 0, norms, position)
                if end > position:
                    found.setdefault(candidate.key, []).append((position, end))
        out: list[tuple[str, int, int]] = []
        for index, spans in found.items():
            key = self._keys[index]
            chosen = _longest_first(spans) if self._longest[index] else sorted(set(spans))
            out.extend((key, start, end) for start, end in chosen)
        return out

    def _candidates_for(self, norm: str) -> list[_Candidate]:
        if len(self._candidates) > _CACHE_LIMIT:
            self._candidates.clear()
        if self._other_index is None:
            self._other_index = PredicateIndex([(test, n) for n, (test, _) in enumerate(self._other)])
        found = list(self._exact.get(norm, ()))
        found += [self._other[n][1] for n in sorted(self._other_index(norm))]
        self._candidates[norm] = found
        return found

    def _satisfied_by(self, norm: str) -> frozenset[int]:
        if len(self._satisfied) > _CACHE_LIMIT:
            self._satisfied.clear()
        if self._needed_index is None:
            self._needed_index = PredicateIndex(list(self._needed.items()))
        satisfied = frozenset(self._needed_index(norm))
        self._satisfied[norm] = satisfied
        return satisfied


@dataclass(frozen=True)
class _Candidate:
    """A variant that may start at a token: its key, the predicates it needs, its reach."""

    key: int
    variant: Variant
    needs: frozenset[int]
    reach: int


def _within_reach(candidate: _Candidate, position: int, where: dict[int, list[int]]) -> bool:
    """True when every needed predicate holds somewhere after ``position`` within reach."""
    limit = position + candidate.reach
    for number in candidate.needs:
        positions = where.get(number)
        if positions is None:
            return False
        after = bisect_right(positions, position)
        if after == len(positions) or positions[after] >= limit:
            return False
    return True


def _anchored(variant: Variant) -> list[Variant]:
    """The variant, plus the variants that skip its leading optional steps."""
    out = [variant]
    while variant and variant[0].low == 0:
        variant = variant[1:]
        if variant:
            out.append(variant)
    # a variant starts where its first step matches at least once
    return [v if v[0].low == 1 else (Step(v[0].test, 1, v[0].high), *v[1:]) for v in out]


def _match(variant: Variant, step: int, norms: Sequence[str], position: int) -> int:
    """End of the longest match of ``variant[step:]`` at ``position``, or -1."""
    if step == len(variant):
        return position
    current = variant[step]
    count = 0
    limit = len(norms)
    while count < current.high and position + count < limit and current.test(norms[position + count]):
        count += 1
    for taken in range(count, current.low - 1, -1):
        end = _match(variant, step + 1, norms, position + taken)
        if end >= 0:
            return end
    return -1


def _longest_first(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    chosen: list[tuple[int, int]] = []
    for start, end in sorted(set(spans), key=lambda s: (s[0] - s[1], s[0])):
        if all(end <= s or e <= start for s, e in chosen):
            chosen.append((start, end))
    return sorted(chosen)


# -- compiling parsed patterns -------------------------------------------------------


class PredicatePool:
    """Shares identical predicates between patterns, so their caches are shared too."""

    def __init__(self) -> None:
        self._pool: dict[tuple[object, ...], Predicate] = {}

    def get(
        self,
        words: frozenset[str] = frozenset(),
        prefixes: tuple[str, ...] = (),
        regexes: tuple[str, ...] = (),
        *,
        negated: bool = False,
        wildcard: bool = False,
    ) -> Predicate:
        key = (words, prefixes, regexes, negated, wildcard)
        if key not in self._pool:
            self._pool[key] = Predicate(words, prefixes, regexes, negated=negated, wildcard=wildcard)
        return self._pool[key]


def compile_pattern(pattern: TokenPattern, language: str, pool: PredicatePool) -> list[Variant]:
    """Expand a parsed pattern into variants (phrase alternatives multiply them)."""
    per_element = [_element_branches(element, language, pool) for element in pattern.elements]
    total = 1
    for branches in per_element:
        total *= len(branches)
    if total > _MAX_VARIANTS:
        raise PatternError(f"{pattern.source!r} expands to {total} variants (at most {_MAX_VARIANTS})")
    variants = [
        tuple(step for branch in combo for step in branch) for combo in itertools.product(*per_element)
    ]
    return [v for v in variants if v]


def compile_phrase(phrase: str, language: str, pool: PredicatePool) -> Variant:
    """A literal phrase, tokenized like drafts are."""
    return tuple(Step(pool.get(frozenset({t.norm}))) for t in tokenize(phrase, language))


def _element_branches(element: Element, language: str, pool: PredicatePool) -> list[list[Step]]:
    """The step sequences one element can match (several when it has phrases)."""
    if element.is_wildcard:
        return [[Step(pool.get(wildcard=True), element.min_count, element.max_count)]]
    words: set[str] = set()
    prefixes: list[str] = []
    regexes: list[str] = []
    phrases: list[list[Step]] = []
    for atom in element.atoms:
        if atom.kind is AtomKind.REGEX:
            regexes.append(atom.value)
            continue
        *head, last = atom.value.split(" ")
        lead = [n for word in head for n in literal_norms(word, language)]
        if atom.kind is AtomKind.PREFIX:
            tail = Step(pool.get(prefixes=(fold(last, language),)))
            if not lead:
                prefixes.append(fold(last, language))
                continue
        else:
            lead += literal_norms(last, language)
            if len(lead) == 1:
                words.add(lead[0])
                continue
            tail = Step(pool.get(frozenset({lead.pop()})))
        phrases.append([*(Step(pool.get(frozenset({n}))) for n in lead), tail])
    if phrases and (element.negated or element.max_count > 1):
        raise PatternError("a multi-word alternative cannot be negated or repeated")
    branches: list[list[Step]] = []
    if words or prefixes or regexes:
        test = pool.get(frozenset(words), tuple(prefixes), tuple(regexes), negated=element.negated)
        low, high = (1, 1) if phrases else (element.min_count, element.max_count)
        branches.append([Step(test, low, high)])
    branches.extend(phrases)
    if phrases and element.min_count == 0:
        branches.append([])
    return branches


def literal_norms(word: str, language: str) -> list[str]:
    """Norms of a literal: plain words stay whole; "e-mail", "can't" and Thai
    phrases are split the way the tokenizer splits drafts.

    Plain words are never re-tokenized, because tokenizer exceptions would
    misread them out of context (spaCy reads a lone "id" as "i'd").
    """
    if language != "th" and word.isalnum():
        return [fold(word, language)]
    return [t.norm for t in tokenize(word, language)] or [fold(word, language)]
