"""``mailbot phrasebank check``: is the phrasebank complete, valid and compliant?

An admin runs this after every change to ``phrasebank/``, and CI runs it on
every commit. It reports, each with file and line where there is one:

* syntax errors in any template (all of them, not just the first);
* an intent without a template in a configured language;
* names a template uses that drafting never provides (typos such as
  ``{{ ordr }}``), found statically in the template's syntax tree;
* templates that fail to render with the sample messages (a misspelt
  attribute, a missing partial, a sandbox violation);
* wording findings of the rendered samples: blockers are errors, because a
  template compliance approved must never need approval on every use;
* samples over the word limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mailbot.drafting import (
    INFORMAL_SUFFIX,
    TEMPLATE_SUFFIX,
    DraftRequest,
    Phrasebank,
    render_draft,
)
from mailbot.drafting_context import CONTEXT_NAMES
from mailbot.drafting_limits import draft_length_findings
from mailbot.drafting_samples import sample_requests
from mailbot.errors import ConfigError, TemplateError
from mailbot.model import Finding, Severity

CheckFn = Callable[[str, str, str | None, str], list[Finding]]
"""(text, language, intent, channel) -> findings, as WordingChecker.check"""


class Level(StrEnum):
    """How bad a problem is: errors fail the check, warnings and notes do not."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the phrasebank, where it is and what to do."""

    level: Level
    where: str
    line: int | None
    message: str

    def __str__(self) -> str:
        position = f"{self.where}:{self.line}" if self.line is not None else self.where
        return f"{position}: {self.level.value}: {self.message}"


def _template_files(root: Path, languages: tuple[str, ...]) -> dict[str, str]:
    sources: dict[str, str] = {}
    for language in languages:
        folder = root / language
        for file in sorted(folder.rglob("*" + TEMPLATE_SUFFIX)) if folder.is_dir() else []:
            sources[f"{language}/{file.relative_to(folder).as_posix()}"] = file.read_text(encoding="utf-8")
    return sources


def static_problems(sources: dict[str, str]) -> list[Problem]:
    """Syntax errors and unknown names in every template, without rendering anything."""
    problems: list[Problem] = []
    env = ImmutableSandboxedEnvironment()  # parsing only; nothing is rendered here
    for name, source in sources.items():
        try:
            tree = env.parse(source, name=name)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(Problem(Level.ERROR, name, exc.lineno, f"syntax error: {exc.message}"))
            continue
        for unknown in sorted(meta.find_undeclared_variables(tree) - CONTEXT_NAMES):
            line = min(
                (n.lineno for n in tree.find_all(nodes.Name) if n.name == unknown and n.ctx == "load"),
                default=None,
            )
            problems.append(
                Problem(
                    Level.ERROR,
                    name,
                    line,
                    f"unknown variable {unknown!r} (known: {', '.join(sorted(CONTEXT_NAMES))})",
                )
            )
    return problems


def coverage_problems(phrasebank: Phrasebank) -> list[Problem]:
    """Every intent needs a template in every language; informal variants are noted."""
    problems: list[Problem] = []
    for language in phrasebank.languages:
        register = phrasebank.settings.languages[language].body_has_register
        for intent in phrasebank.intents:
            if not phrasebank.has(language, intent + TEMPLATE_SUFFIX):
                problems.append(
                    Problem(
                        Level.ERROR,
                        f"{language}/{intent}{TEMPLATE_SUFFIX}",
                        None,
                        f"missing template: intent {intent!r} has no {language} template "
                        f"(drafts fall back to {phrasebank.settings.fallback_intent!r})",
                    )
                )
            elif register and not phrasebank.has(language, intent + INFORMAL_SUFFIX):
                problems.append(
                    Problem(
                        Level.NOTE,
                        f"{language}/{intent}{INFORMAL_SUFFIX}",
                        None,
                        "no informal variant: informal drafts use the formal template",
                    )
                )
    return problems


def _line_of(phrasebank: Phrasebank, language: str, text: str, first: str) -> tuple[str, int | None]:
    """Where a rendered phrase comes from: the first template of the language containing it."""
    needle = text.casefold()
    names = [first, *sorted(n for n in phrasebank.sources if n.startswith(language + "/") and n != first)]
    for name in names:
        for number, line in enumerate(phrasebank.sources.get(name, "").splitlines(), start=1):
            if needle and needle in line.casefold():
                return name, number
    return first, None


def render_problems(phrasebank: Phrasebank, check: CheckFn | None) -> list[Problem]:
    """Render every intent template with the sample messages; report failures and findings."""
    problems: list[Problem] = []
    reported: set[tuple[str, str, str]] = set()
    for language in phrasebank.languages:
        for intent in phrasebank.intents:
            if not phrasebank.has(language, intent + TEMPLATE_SUFFIX):
                continue
            for request in sample_requests(language, intent):
                problems.extend(_render_one(phrasebank, request, check, reported))
    return problems


def _render_one(
    phrasebank: Phrasebank, request: DraftRequest, check: CheckFn | None, reported: set[tuple[str, str, str]]
) -> list[Problem]:
    try:
        draft = render_draft(phrasebank, request)
    except TemplateError as exc:
        key = (exc.template or "", str(exc.line), str(exc))
        if key in reported:
            return []
        reported.add(key)
        return [Problem(Level.ERROR, exc.template or request.language, exc.line, str(exc).split(": ", 1)[-1])]
    findings = draft_length_findings(phrasebank, request, draft)
    if check is not None:
        findings += check(draft.text, draft.language, draft.intent, request.channel.value)
    problems = []
    for finding in findings:
        where, line = _line_of(phrasebank, draft.language, finding.text, draft.template)
        key = (where, finding.rule, finding.text)
        if key in reported:
            continue
        reported.add(key)
        level = Level.ERROR if finding.severity is Severity.BLOCKER else Level.WARNING
        detail = finding.message if finding.category == "length" else f"{finding.message}: {finding.text!r}"
        problems.append(Problem(level, where, line, f"wording [{finding.rule}] {detail}"))
    return problems


def check_phrasebank(
    root: Path,
    *,
    languages: tuple[str, ...] | None = None,
    intents: tuple[str, ...] | None = None,
    check: CheckFn | None = None,
) -> list[Problem]:
    """Every problem of the phrasebank under ``root``; no errors means it is ready to use."""
    try:
        phrasebank = Phrasebank.load(root, languages, intents)
    except ConfigError as exc:
        return [Problem(Level.ERROR, exc.path or str(root), exc.line, exc.reason)]
    except TemplateError:
        # Report every syntax error at once, not only the first that stopped loading.
        languages = languages or ()
        return static_problems(_template_files(root, languages or _languages_in(root)))
    problems = static_problems(dict(phrasebank.sources))
    problems += coverage_problems(phrasebank)
    problems += render_problems(phrasebank, check)
    return sorted(problems, key=lambda p: (p.level != Level.ERROR, p.where, p.line or 0))


def _languages_in(root: Path) -> tuple[str, ...]:
    return tuple(sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")))
