"""Wording rules: the TOML schema, the loader and its validation.

Rules live in ``policies/wording/*.toml`` (or one file): a ``[categories]``
table names the categories rules may use, and each ``[[rules]]`` entry is
one rule of one kind, in the spirit of prose linters such as Vale:

``existence``     phrases or token patterns that must not appear
``substitution``  "write X instead of Y": each ``swap`` has a ``match``
                  pattern and its ``suggest`` replacements
``required``      text that must appear (e.g. a disclaimer) when the draft's
                  intent is one of ``intents``
``limit``         at most ``max_words`` per sentence or draft, or at most
                  ``max_sentences`` per draft
``classifier``    sentences a model trained on the labelled ``examples``
                  file scores at or above ``threshold`` for the rule's
                  category (:mod:`mailbot.wording_model`); with
                  ``veto_below``, the same model also withdraws the
                  non-blocker findings of phrase rules of its category
                  where it scores the sentence below that

Every rule has ``id``, ``category``, ``severity`` (info | warning |
blocker), ``languages`` (or the file's top-level ``languages`` default) and
``message``; optional ``suggestions``, ``exceptions`` (patterns that
suppress a match they overlap, or any match in the same sentence with
``exception_scope = "sentence"``), ``intents`` and ``channels``.

A policy with an unknown kind, a bad pattern, a duplicate id or an unknown
category is rejected with a :class:`ConfigError` naming file, line and rule
id, so an admin never ships a rule that silently matches nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, TypeAdapter, ValidationError, model_validator

from mailbot.errors import ConfigError
from mailbot.model import Channel, Severity
from mailbot.policy.wording_pattern import PatternError, parse_pattern
from mailbot.tomlfile import StrictModel, format_loc, key_line, read_toml

RULE_KINDS: tuple[str, ...] = ("existence", "substitution", "required", "limit", "classifier")
_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]


def _check_pattern(pattern: str) -> str:
    try:
        parse_pattern(pattern)
    except PatternError as exc:
        raise ValueError(f"bad pattern {pattern!r}: {exc}") from exc
    return pattern


#: A pattern string, parsed at load time so a bad one is reported with its line.
PatternText = Annotated[str, AfterValidator(_check_pattern)]


class _RuleBase(StrictModel):
    """Fields shared by every kind of rule."""

    id: Annotated[str, Field(pattern=_ID_PATTERN)]
    category: str
    severity: Severity
    languages: tuple[LanguageCode, ...] = ()
    message: Annotated[str, Field(min_length=1)]
    suggestions: tuple[str, ...] = ()
    exceptions: tuple[PatternText, ...] = ()
    exception_scope: Literal["match", "sentence"] = "match"
    intents: tuple[str, ...] = ()
    channels: tuple[Channel, ...] = ()

    def applies(self, intent: str | None, channel: str) -> bool:
        """True when the rule is in force for a draft of this intent and channel."""
        if self.channels and channel not in self.channels:
            return False
        return not self.intents or intent in self.intents


class _MatchingRule(_RuleBase):
    """Base of kinds that look for text: ``patterns`` and/or literal ``phrases``."""

    patterns: tuple[PatternText, ...] = ()
    phrases: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _has_something_to_match(self) -> _MatchingRule:
        if not self.patterns and not any(p.strip() for p in self.phrases):
            raise ValueError("give at least one of 'patterns' or 'phrases'")
        return self


class ExistenceRule(_MatchingRule):
    """Text that must not appear."""

    kind: Literal["existence"]


class RequiredRule(_MatchingRule):
    """Text that must appear (any one of the patterns/phrases)."""

    kind: Literal["required"]


class Swap(StrictModel):
    """One "instead of ``match``, write one of ``suggest``" pair."""

    match: PatternText
    suggest: tuple[str, ...] = ()


class SubstitutionRule(_RuleBase):
    """Words to replace, each with its own suggestions."""

    kind: Literal["substitution"]
    swap: Annotated[tuple[Swap, ...], Field(min_length=1)]


class LimitRule(_RuleBase):
    """A length limit per sentence or per draft."""

    kind: Literal["limit"]
    scope: Literal["sentence", "draft"]
    max_words: Annotated[int, Field(gt=0)] | None = None
    max_sentences: Annotated[int, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _one_limit(self) -> LimitRule:
        if self.max_words is None and self.max_sentences is None:
            raise ValueError("give 'max_words' or 'max_sentences'")
        if self.scope == "sentence" and self.max_sentences is not None:
            raise ValueError("'max_sentences' only makes sense with scope = \"draft\"")
        return self


class ClassifierRule(_RuleBase):
    """Sentences a model trained on labelled examples scores as this rule's category.

    ``examples`` is a JSONL file of labelled sentences (the format of
    :mod:`mailbot.wording_eval`), relative to the policy file; ``threshold``
    the probability from which a sentence is flagged. See :mod:`mailbot.wording_model`.
    """

    kind: Literal["classifier"]
    examples: Annotated[str, Field(min_length=1)]
    threshold: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.5
    #: Phrase-rule findings of this category and language (warnings and info, never
    #: blockers) are withdrawn where this model scores every sentence they touch
    #: below this: the model is all but sure the sentence is clean. Off when unset.
    veto_below: Annotated[float, Field(gt=0.0, lt=1.0)] | None = None

    @model_validator(mode="after")
    def _no_exceptions(self) -> ClassifierRule:
        if self.exceptions:
            raise ValueError("classifier rules take no 'exceptions': add clean examples instead")
        if self.veto_below is not None and self.veto_below >= self.threshold:
            raise ValueError(f"veto_below ({self.veto_below}) must be below threshold ({self.threshold})")
        return self


WordingRule = ExistenceRule | RequiredRule | SubstitutionRule | LimitRule | ClassifierRule
_RULE_ADAPTER: TypeAdapter[WordingRule] = TypeAdapter(Annotated[WordingRule, Field(discriminator="kind")])


class _WordingFile(StrictModel):
    """The top level of one wording policy file; rules are validated one by one."""

    languages: tuple[LanguageCode, ...] = ()
    categories: Mapping[str, str] = Field(default_factory=dict)
    rules: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class RuleSource:
    """Where a rule is written, for error messages and the review UI."""

    path: str
    line: int | None


@dataclass(frozen=True)
class WordingPolicy:
    """All wording rules, validated, with the categories they may use."""

    categories: Mapping[str, str]
    rules: tuple[WordingRule, ...]
    sources: Mapping[str, RuleSource]

    @property
    def languages(self) -> tuple[str, ...]:
        """Every language some rule is written for, sorted."""
        return tuple(sorted({lang for rule in self.rules for lang in rule.languages}))

    def rules_for(self, language: str) -> tuple[WordingRule, ...]:
        """The rules written for ``language``, in file order."""
        return tuple(rule for rule in self.rules if language in rule.languages)


def load_wording_policy(path: Path) -> WordingPolicy:
    """Load one policy file, or every ``*.toml`` in a folder (sorted by name)."""
    files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
    if not files:
        raise ConfigError("no wording policy files (*.toml) found", path=str(path))
    categories: dict[str, str] = {}
    rules: list[WordingRule] = []
    sources: dict[str, RuleSource] = {}
    for file in files:
        data, text = read_toml(file)
        _merge_categories(categories, data, file, text)
        for rule, source in _load_rules(data, file, text):
            if rule.id in sources:
                first = sources[rule.id]
                raise ConfigError(
                    f"duplicate rule id (first defined in {first.path}:{first.line})",
                    path=source.path,
                    line=source.line,
                    key=f"rule {rule.id}",
                )
            rules.append(rule)
            sources[rule.id] = source
    for rule in rules:
        if rule.category not in categories:
            source = sources[rule.id]
            known = ", ".join(sorted(categories)) or "none defined"
            raise ConfigError(
                f"unknown category {rule.category!r} (known: {known})",
                path=source.path,
                line=source.line,
                key=f"rule {rule.id}: category",
            )
    return WordingPolicy(categories, tuple(rules), sources)


def _merge_categories(into: dict[str, str], data: dict[str, Any], file: Path, text: str) -> None:
    table = data.get("categories", {})
    if not isinstance(table, dict):
        return  # reported by the file schema below
    for name, description in table.items():
        if name in into and into[name] != description:
            line = key_line(text, ("categories", name))
            raise ConfigError("category defined twice, differently", path=str(file), line=line, key=name)
        into[name] = description


def _load_rules(data: dict[str, Any], file: Path, text: str) -> list[tuple[WordingRule, RuleSource]]:
    try:
        top = _WordingFile.model_validate(data)
    except ValidationError as exc:
        raise _config_error(exc, file, text, prefix=(), rule_id=None) from exc
    out: list[tuple[WordingRule, RuleSource]] = []
    for index, raw in enumerate(top.rules):
        rule_id = raw.get("id") if isinstance(raw.get("id"), str) else None
        fields = dict(raw)
        if "languages" not in fields and top.languages:
            fields["languages"] = list(top.languages)
        try:
            rule = _RULE_ADAPTER.validate_python(fields)
        except ValidationError as exc:
            raise _config_error(exc, file, text, prefix=("rules", index), rule_id=rule_id) from exc
        line = key_line(text, ("rules", index, "id"))
        if isinstance(rule, ClassifierRule):
            examples = (file.parent / rule.examples).resolve()
            if not examples.is_file():
                raise ConfigError(
                    f"examples file {rule.examples!r} not found (looked for {examples})",
                    path=str(file),
                    line=key_line(text, ("rules", index, "examples")) or line,
                    key=f"rule {rule.id}: examples",
                )
            rule = rule.model_copy(update={"examples": str(examples)})
        if not rule.languages:
            raise ConfigError(
                "no languages: set 'languages' on the rule or at the top of the file",
                path=str(file),
                line=line,
                key=f"rule {rule.id}",
            )
        out.append((rule, RuleSource(str(file), line)))
    return out


def _config_error(
    exc: ValidationError, file: Path, text: str, *, prefix: tuple[str | int, ...], rule_id: str | None
) -> ConfigError:
    """Turn pydantic's first error into one ConfigError with file, line and rule id."""
    first = exc.errors()[0]
    loc = tuple(part for part in first["loc"] if isinstance(part, str | int))
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "union_tag_invalid":
        message = f"unknown kind {first['input'].get('kind')!r} (expected one of: {', '.join(RULE_KINDS)})"
        loc = ("kind",)
    elif first["type"] == "union_tag_not_found":
        message = f"'kind' is missing (expected one of: {', '.join(RULE_KINDS)})"
        loc = ()
    elif first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "missing":
        message = "required key is missing"
    # a tagged union puts the tag name first in the location: drop it
    if loc and loc[0] in RULE_KINDS:
        loc = loc[1:]
    full = prefix + loc
    # a problem with the rule as a whole is reported at its id
    whole_rule = bool(prefix) and not loc
    line = key_line(text, (*prefix, "id")) if whole_rule else _line_of(text, full, first.get("input"))
    where = format_loc(loc) if loc else ""
    key: str | None = format_loc(full) or None
    if rule_id is not None:
        key = f"rule {rule_id}" + (f": {where}" if where else "")
    return ConfigError(message, path=str(file), line=line, key=key)


def _line_of(text: str, loc: tuple[str | int, ...], value: object) -> int | None:
    """The line of ``loc``; for a bad list item, the line where that item is written."""
    line = key_line(text, loc)
    if line is None or not isinstance(value, str) or not value:
        return line
    lines = text.splitlines()
    for number in range(line, min(len(lines), line + 200) + 1):
        if value in lines[number - 1] or repr(value)[1:-1] in lines[number - 1]:
            return number
        if number > line and lines[number - 1].lstrip().startswith("[["):
            break
    return line
