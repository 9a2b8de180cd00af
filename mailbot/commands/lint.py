"""``mailbot lint``: check text files against the wording rules, like a prose linter.

Output is Vale-like: one line per finding, ``file:line:col: severity rule
message``; with ``--format json``, one JSON object per input file per line
(``file``, ``language``, ``findings``). The exit code says the worst that
was found, so scripts and CI can gate on it: 0 clean (or info only),
1 warnings, 2 blockers; 3 when an input or the rules could not be read.

The command is built by :func:`make_lint_command` from a factory that turns
the rules path into a checker, so tests hand in their own rules without a
config file. Without ``--lang`` the language of each input is detected; if
the detector is not installed, English is assumed and a note says so.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from mailbot.commands.common import App, emit_json, format_option, read_inputs
from mailbot.config import CONFIG_ENV
from mailbot.errors import MailbotError
from mailbot.model import Finding, Severity
from mailbot.wording import WordingChecker

EXIT_CLEAN, EXIT_WARNINGS, EXIT_BLOCKERS, EXIT_ERROR = 0, 1, 2, 3
FALLBACK_LANGUAGE = "en"

CheckerFactory = Callable[[Path], WordingChecker]
Detector = Callable[[str], tuple[str, str | None]]


def load_checker(rules: Path) -> WordingChecker:
    """The default factory: load the policy at ``rules`` and compile it."""
    from mailbot.policy.wording import load_wording_policy  # here: keeps --help fast

    return WordingChecker(load_wording_policy(rules))


def detect_language(text: str) -> tuple[str, str | None]:
    """Detect the language of ``text``; return it and a note when falling back."""
    try:
        module = importlib.import_module("mailbot.nlp.language")
    except ModuleNotFoundError:
        return FALLBACK_LANGUAGE, "language detection is not available; assuming 'en' (use --lang)"
    detect: Callable[[str], tuple[str, float]] = module.detect_language
    language, _confidence = detect(text)
    return language, None


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def exit_code(findings: Sequence[Finding]) -> int:
    """0 clean or info only, 1 when there is a warning, 2 when there is a blocker."""
    severities = {f.severity for f in findings}
    if Severity.BLOCKER in severities:
        return EXIT_BLOCKERS
    return EXIT_WARNINGS if Severity.WARNING in severities else EXIT_CLEAN


def format_text(name: str, text: str, findings: Sequence[Finding]) -> list[str]:
    """One Vale-like line per finding: ``file:line:col: severity rule message``."""
    lines = []
    for finding in findings:
        line, column = position(text, finding.start)
        out = f"{name}:{line}:{column}: {finding.severity.value} {finding.rule} {finding.message}"
        if finding.suggestions:
            out += " (try: " + " | ".join(finding.suggestions) + ")"
        lines.append(out)
    return lines


def finding_json(finding: Finding) -> dict[str, Any]:
    """A finding as the JSON output names its fields."""
    return {
        "rule": finding.rule,
        "category": finding.category,
        "severity": finding.severity.value,
        "start": finding.start,
        "end": finding.end,
        "text": finding.text,
        "message": finding.message,
        "suggestions": list(finding.suggestions),
    }


def _default_rules(app: App) -> Path:
    """``<policies_dir>/wording`` of the config when there is one, else ./policies/wording."""
    if app.config_path or os.environ.get(CONFIG_ENV) or Path("config.toml").exists():
        return app.config.policies_dir / "wording"
    return Path("policies") / "wording"


def make_lint_command(
    factory: CheckerFactory = load_checker, detect: Detector | None = None
) -> click.Command:
    """Build the ``lint`` command around a checker factory and a language detector.

    Tests pass their own; ``detect`` defaults to :func:`detect_language`.
    """
    detector = detect or detect_language

    @click.command("lint")
    @click.argument("files", nargs=-1)
    @click.option("--lang", "language", default=None, help="Language of the inputs (default: detect).")
    @format_option
    @click.option(
        "--rules",
        type=click.Path(path_type=Path),
        default=None,
        help="Wording rules: a folder of .toml files or one file (default: <policies>/wording).",
    )
    @click.option("--intent", default=None, help="Intent of the drafts, for rules that depend on it.")
    @click.option("--channel", type=click.Choice(["email", "letter"]), default="email", show_default=True)
    @click.pass_context
    def lint(
        ctx: click.Context,
        files: tuple[str, ...],
        language: str | None,
        fmt: str,
        rules: Path | None,
        intent: str | None,
        channel: str,
    ) -> None:
        """Check FILE... (or standard input, or -) against the wording rules.

        Exit code: 0 clean, 1 warnings, 2 blockers, 3 unreadable input or rules.
        """
        app = ctx.find_object(App) or App(None)  # standalone (tests, scripts): no config named
        try:
            checker = factory(rules if rules is not None else _default_rules(app))
            inputs = [(name, data.decode("utf-8")) for name, data in read_inputs(files)]
        except (MailbotError, OSError, UnicodeDecodeError) as exc:
            click.echo(f"mailbot lint: {exc}", err=True)
            raise SystemExit(EXIT_ERROR) from exc
        worst = EXIT_CLEAN
        total: list[Finding] = []
        for name, text in inputs:
            display = "<stdin>" if name == "-" else name
            lang = language
            if lang is None:
                lang, note = detector(text)
                if note:
                    click.echo(f"{display}: note: {note}", err=True)
            if lang not in checker.languages:
                click.echo(f"{display}: note: no wording rules for language {lang!r}", err=True)
            findings = checker.check(text, lang, intent, channel)
            total += findings
            worst = max(worst, exit_code(findings))
            if fmt == "json":
                emit_json(
                    {"file": display, "language": lang, "findings": [finding_json(f) for f in findings]}
                )
            else:
                for line in format_text(display, text, findings):
                    click.echo(line)
        if fmt == "text":
            click.echo(_summary(total, len(inputs)))
        raise SystemExit(worst)

    return lint


def _summary(findings: Sequence[Finding], files: int) -> str:
    counts = dict.fromkeys(Severity, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return (
        f"{counts[Severity.BLOCKER]} blockers, {counts[Severity.WARNING]} warnings, "
        f"{counts[Severity.INFO]} info in {files} file{'s' if files != 1 else ''}"
    )


lint = make_lint_command()
