"""Check a draft against the wording rules: text in, findings out.

:class:`WordingChecker` is built once from a loaded
:class:`~mailbot.policy.wording.WordingPolicy`: every rule pattern is
compiled into one token matcher per language (:mod:`mailbot.wording_match`),
so checking a draft is one tokenisation plus one matcher pass, fast enough
to re-run on every edit in the review UI. The matcher runs over the tokens'
folded norms (lower case, no accents), never over the raw text, which makes
every rule case- and accent-tolerant; inflection tolerance comes from prefix
and regex elements in the patterns (see :mod:`mailbot.policy.wording_pattern`).

Spans always index the original text: a finding's ``text`` is exactly
``draft[start:end]``. A ``required`` rule whose text is missing has no
place in the draft to point at, so it reports the empty span ``0..0``.
Messages may use ``{text}`` (the matched text), ``{suggestion}`` (the first
suggestion), ``{count}`` and ``{limit}`` (for limits).
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mailbot.errors import ConfigError
from mailbot.model import Finding
from mailbot.nlp.tokens import Sentence, Token, TokenKind, sentences, thai_clauses, tokenize
from mailbot.policy.wording import (
    ClassifierRule,
    LimitRule,
    RequiredRule,
    SubstitutionRule,
    WordingPolicy,
    WordingRule,
)
from mailbot.policy.wording_pattern import PatternError, parse_pattern
from mailbot.wording_match import PredicatePool, TokenMatcher, Variant, compile_pattern, compile_phrase
from mailbot.wording_model import RiskModel, ScoredUnit, doubted, flagged_units, risk_model


@dataclass(frozen=True)
class _Target:
    """What a matcher key stands for: a rule's text, one of its swaps, or its exceptions."""

    rule: WordingRule
    is_exception: bool = False
    suggestions: tuple[str, ...] = ()


@dataclass
class _Compiled:
    """The matcher of one language and the meaning of its keys."""

    matcher: TokenMatcher = field(default_factory=TokenMatcher)
    pool: PredicatePool = field(default_factory=PredicatePool)
    targets: dict[str, _Target] = field(default_factory=dict)
    limits: list[LimitRule] = field(default_factory=list)
    required: list[RequiredRule] = field(default_factory=list)
    classifiers: list[tuple[ClassifierRule, RiskModel]] = field(default_factory=list)


@dataclass
class _Draft:
    """One text being checked, with its tokens and (lazily) its sentences."""

    text: str
    tokens: list[Token]
    _sentences: list[Sentence] | None = None
    _starts: list[int] = field(default_factory=list)
    _word_counts: list[int] = field(default_factory=list)

    @property
    def word_counts(self) -> list[int]:
        """``word_counts[i]`` is the number of words among the first ``i`` tokens."""
        if not self._word_counts:
            total = 0
            self._word_counts.append(0)
            for token in self.tokens:
                total += token.kind is TokenKind.WORD or token.kind is TokenKind.NUMBER
                self._word_counts.append(total)
        return self._word_counts

    @property
    def sentences(self) -> list[Sentence]:
        if self._sentences is None:
            self._sentences = sentences(self.tokens)
            self._starts = [s.start for s in self._sentences]
        return self._sentences

    def sentence_of(self, position: int) -> int:
        _ = self.sentences
        return bisect_right(self._starts, position) - 1


class WordingChecker:
    """Compiled wording rules; :meth:`check` is pure and safe to call per keystroke."""

    def __init__(self, policy: WordingPolicy) -> None:
        self._policy = policy
        self._compiled = {lang: self._compile(lang) for lang in policy.languages}

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages that have at least one rule."""
        return tuple(self._compiled)

    def check(
        self, text: str, language: str, intent: str | None = None, channel: str = "email"
    ) -> list[Finding]:
        """Return the findings for ``text``, sorted by position, then rule id."""
        compiled = self._compiled.get(language)
        if compiled is None:
            return []
        draft = _Draft(text, tokenize(text, language, keep_breaks=True))
        findings = self._pattern_findings(compiled, draft, intent, channel)
        findings += _limit_findings(compiled.limits, draft, language, intent, channel)
        findings = _with_model_findings(compiled.classifiers, draft, findings, intent, channel)
        return sorted(findings, key=lambda f: (f.start, f.end, f.rule))

    # -- compiling -----------------------------------------------------------------

    def _compile(self, language: str) -> _Compiled:
        compiled = _Compiled()
        rules = self._policy.rules_for(language)
        self._compile_classifiers(compiled, [r for r in rules if isinstance(r, ClassifierRule)], language)
        for rule in rules:
            try:
                self._compile_rule(compiled, rule, language)
            except PatternError as exc:
                source = self._policy.sources.get(rule.id)
                raise ConfigError(
                    f"pattern cannot be compiled for {language!r}: {exc}",
                    path=source.path if source else None,
                    line=source.line if source else None,
                    key=f"rule {rule.id}",
                ) from exc
        return compiled

    def _compile_classifiers(
        self, compiled: _Compiled, rules: Sequence[ClassifierRule], language: str
    ) -> None:
        """One model per examples file, trained for every category its rules ask for."""
        by_file: dict[str, list[ClassifierRule]] = {}
        for rule in rules:
            by_file.setdefault(rule.examples, []).append(rule)
        for path, group in by_file.items():
            try:
                model = risk_model(Path(path), language, sorted({r.category for r in group}))
            except ConfigError as exc:
                source = self._policy.sources.get(group[0].id)
                where = f" (rule {group[0].id}, {source.path}:{source.line})" if source else ""
                raise ConfigError(f"{exc}{where}") from exc
            compiled.classifiers.extend((rule, model) for rule in group)

    def _compile_rule(self, compiled: _Compiled, rule: WordingRule, language: str) -> None:
        if isinstance(rule, LimitRule):
            compiled.limits.append(rule)
            return
        if isinstance(rule, ClassifierRule):
            return  # compiled per examples file by _compile_classifiers
        pool = compiled.pool
        if isinstance(rule, SubstitutionRule):
            for index, swap in enumerate(rule.swap):
                variants = compile_pattern(parse_pattern(swap.match), language, pool)
                _add(compiled, f"{rule.id}#swap{index}", variants, _Target(rule, suggestions=swap.suggest))
        else:
            variants = [v for p in rule.patterns for v in compile_pattern(parse_pattern(p), language, pool)]
            variants += [compile_phrase(phrase, language, pool) for phrase in rule.phrases if phrase.strip()]
            _add(compiled, rule.id, variants, _Target(rule, suggestions=rule.suggestions))
            if isinstance(rule, RequiredRule):
                compiled.required.append(rule)
        exceptions = [v for p in rule.exceptions for v in compile_pattern(parse_pattern(p), language, pool)]
        if exceptions:
            _add(compiled, f"{rule.id}#except", exceptions, _Target(rule, is_exception=True))

    # -- checking ------------------------------------------------------------------

    def _pattern_findings(
        self, compiled: _Compiled, draft: _Draft, intent: str | None, channel: str
    ) -> list[Finding]:
        tokens = draft.tokens
        if not compiled.targets:
            return []
        hits: list[tuple[_Target, int, int]] = []
        excepted: dict[str, list[tuple[int, int]]] = {}
        for key, first, last in compiled.matcher([t.norm for t in tokens]):
            target = compiled.targets[key]
            if not target.rule.applies(intent, channel):
                continue
            span = (tokens[first].start, tokens[last - 1].end)
            if target.is_exception:
                excepted.setdefault(target.rule.id, []).append(span)
            else:
                hits.append((target, *span))
        findings: list[Finding] = []
        found_required: set[str] = set()
        for target, start, end in hits:
            if _is_excepted(target.rule, start, end, excepted.get(target.rule.id, ()), draft):
                continue
            if isinstance(target.rule, RequiredRule):
                found_required.add(target.rule.id)
                continue
            findings.append(_finding(target.rule, draft.text, start, end, target.suggestions))
        for rule in compiled.required:
            if rule.id not in found_required and rule.applies(intent, channel):
                findings.append(_finding(rule, draft.text, 0, 0, rule.suggestions))
        return findings


def _add(compiled: _Compiled, key: str, variants: list[Variant], target: _Target) -> None:
    if not variants:
        return
    compiled.matcher.add(key, variants, longest=not target.is_exception)
    compiled.targets[key] = target


def _is_excepted(
    rule: WordingRule, start: int, end: int, spans: Sequence[tuple[int, int]], draft: _Draft
) -> bool:
    if rule.exception_scope == "sentence":
        sentence = draft.sentence_of(start)
        return any(draft.sentence_of(s) == sentence for s, _ in spans)
    return any(s < end and start < e for s, e in spans)


def _finding(
    rule: WordingRule,
    text: str,
    start: int,
    end: int,
    suggestions: tuple[str, ...],
    *,
    count: int | None = None,
    limit: int | None = None,
) -> Finding:
    matched = text[start:end]
    message = rule.message.replace("{text}", matched)
    message = message.replace("{suggestion}", suggestions[0] if suggestions else "")
    if count is not None and limit is not None:
        message = message.replace("{count}", str(count)).replace("{limit}", str(limit))
    return Finding(rule.id, rule.category, rule.severity, start, end, matched, message, suggestions)


# -- classifiers --------------------------------------------------------------------


def _with_model_findings(
    classifiers: Sequence[tuple[ClassifierRule, RiskModel]],
    draft: _Draft,
    found: Sequence[Finding],
    intent: str | None,
    channel: str,
) -> list[Finding]:
    """``found`` less the findings a model vetoes (:func:`mailbot.wording_model.doubted`),
    plus the sentences a model flags, unless a rule of the same category already points
    into them (:func:`mailbot.wording_model.flagged_units`)."""
    text = draft.text
    scored: dict[int, list[ScoredUnit]] = {}
    active = []
    for rule, model in classifiers:
        if not rule.applies(intent, channel):
            continue
        units = scored.get(id(model))
        if units is None:
            units = scored[id(model)] = model.score(text, draft.tokens)
        active.append((rule, units))
    for rule, units in active:
        if rule.veto_below is not None:
            below = rule.veto_below
            found = [f for f in found if f.category != rule.category or not doubted(f, units, below)]
    findings = list(found)
    for rule, units in active:
        for unit, probability in flagged_units(units, rule.category, rule.threshold, found):
            finding = _finding(rule, text, unit.start, unit.end, rule.suggestions)
            message = finding.message.replace("{score}", f"{probability:.0%}")
            findings.append(dataclasses.replace(finding, message=message))
    return findings


# -- limits -------------------------------------------------------------------------


def _limit_findings(
    limits: Sequence[LimitRule], draft: _Draft, language: str, intent: str | None, channel: str
) -> list[Finding]:
    findings: list[Finding] = []
    for rule in limits:
        if not rule.applies(intent, channel):
            continue
        if rule.scope == "sentence" and rule.max_words is not None:
            for start, end, count in _sentence_lengths(draft, language):
                if count > rule.max_words:
                    findings.append(
                        _finding(
                            rule, draft.text, start, end, rule.suggestions, count=count, limit=rule.max_words
                        )
                    )
        elif rule.scope == "draft":
            findings.extend(_draft_limit(rule, draft))
    return findings


def _sentence_lengths(draft: _Draft, language: str) -> list[tuple[int, int, int]]:
    """``(start, end, words)`` of every sentence; for Thai, of every clause (:func:`thai_clauses`)."""
    counts = draft.word_counts
    out = []
    for sentence in draft.sentences:
        if language != "th":
            out.append(
                (sentence.start, sentence.end, counts[sentence.end_token] - counts[sentence.first_token])
            )
            continue
        inside = [
            t
            for t in draft.tokens[sentence.first_token : sentence.end_token]
            if t.kind is not TokenKind.BREAK
        ]
        for clause in thai_clauses(inside):
            out.append((clause[0].start, clause[-1].end, sum(t.is_word for t in clause)))
    return out


def _draft_limit(rule: LimitRule, draft: _Draft) -> list[Finding]:
    """Point at everything after the limit: that is the part to cut."""
    out: list[Finding] = []
    total = draft.word_counts[-1]
    if rule.max_words is not None and total > rule.max_words:
        first_over = bisect_right(draft.word_counts, rule.max_words) - 1  # token index of word max+1
        start, end = draft.tokens[first_over].start, draft.tokens[-1].end
        out.append(
            _finding(rule, draft.text, start, end, rule.suggestions, count=total, limit=rule.max_words)
        )
    found = draft.sentences
    if rule.max_sentences is not None and len(found) > rule.max_sentences:
        start, end = found[rule.max_sentences].start, found[-1].end
        out.append(
            _finding(
                rule, draft.text, start, end, rule.suggestions, count=len(found), limit=rule.max_sentences
            )
        )
    return out
