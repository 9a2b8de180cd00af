"""``mailbot draft`` (propose replies without storing anything) and ``mailbot phrasebank check``.

Both work with or without a config file: with one, the phrasebank folder,
the policies (intents, wording rules) and the sending mailbox come from it;
without, ``./phrasebank`` and ``./policies`` are used. Heavy modules (the
language model, spaCy, WeasyPrint) are imported only when a command runs,
so ``mailbot --help`` stays fast.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mailbot.commands.common import App, emit_json, format_option, pass_app, read_inputs
from mailbot.config import CONFIG_ENV, Config
from mailbot.model import Channel

if TYPE_CHECKING:
    from mailbot.drafting import MailboxIdentity
    from mailbot.drafting_service import CheckFn, ClassifyFn, ProposedReply

DEFAULT_SENDER = "Customer Service"


def _config(app: App) -> Config | None:
    """The config when one is named or present; ``draft`` also works without one."""
    if app.config_path or os.environ.get(CONFIG_ENV) or Path("config.toml").exists():
        return app.config
    return None


def _model_intent(config: Config | None, names: tuple[str, ...] | None) -> ClassifyFn | None:
    """The trained intent model as the drafting step's classifier, or None when there is none."""
    from mailbot.drafting import DEFAULT_INTENTS
    from mailbot.nlp.intents import IntentModel, IntentModelError

    root = config.resolve(config.settings.paths.models) if config else Path("models/intents")
    try:
        model = IntentModel.load(root)
    except IntentModelError:
        return None
    ranked_intents = model.intent_fn(names or DEFAULT_INTENTS)

    def classify(text: str, subject: str, language: str) -> str:
        ranked = ranked_intents(f"{subject}\n{text}" if subject else text, language)
        return ranked[0][0] if ranked else "other"

    return classify


def _policies_dir(config: Config | None) -> Path:
    return config.policies_dir if config else Path("policies")


def _intents(config: Config | None) -> tuple[str, ...] | None:
    """The configured intent names (policies/intents.toml), or None for the defaults."""
    from mailbot.policy.intents import load_intent_policy

    path = _policies_dir(config) / "intents.toml"
    return load_intent_policy(path).names if path.exists() else None


def _wording_check(config: Config | None) -> CheckFn | None:
    """The wording checker's ``check`` when wording rules exist, else None."""
    folder = _policies_dir(config) / "wording"
    if not folder.is_dir():
        return None
    from mailbot.policy.wording import load_wording_policy
    from mailbot.wording import WordingChecker

    return WordingChecker(load_wording_policy(folder)).check


def _mailbox(config: Config | None, name: str | None) -> MailboxIdentity:
    from mailbot.drafting import MailboxIdentity

    if config is None:
        return MailboxIdentity(display_name=DEFAULT_SENDER, address="")
    box = config.mailbox(name) if name else config.settings.mailboxes[0]
    return MailboxIdentity(display_name=box.display_name or box.name, address=box.address, signature=box.name)


#: ``--phrasebank DIR``, shared by ``draft`` and the ``phrasebank`` commands.
phrasebank_option = click.option(
    "--phrasebank",
    "phrasebank_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Phrasebank folder.",
)


def _phrasebank_dir(config: Config | None, option: Path | None) -> Path:
    if option is not None:
        return option
    return config.phrasebank_dir if config else Path("phrasebank")


def _finding_line(finding: dict[str, Any]) -> str:
    where = f"{finding['rule']} ({finding['category']}) {finding['text'][:60]!r}"
    return f"  [{finding['severity']}] {where}: {finding['message']}"


def _emit(reply: ProposedReply, fmt: str, pdf: Path | None) -> None:
    findings = [asdict(f) for f in reply.findings]
    if fmt == "json":
        record: dict[str, Any] = {
            "file": reply.file,
            "language": reply.draft.language
            if reply.draft
            else (reply.request.language if reply.request else None),
            "intent": reply.draft.intent
            if reply.draft
            else (reply.request.intent if reply.request else None),
            "template": reply.draft.template if reply.draft else None,
            "subject": reply.draft.subject if reply.draft else None,
            "text": reply.draft.text if reply.draft else None,
            "findings": findings,
        }
        if reply.error:
            record["error"] = reply.error
        if pdf is not None:
            record["pdf"] = str(pdf)
        emit_json(record)
        return
    click.echo(f"==> {reply.file} <==")
    if reply.draft is None:
        click.echo(f"mailbot: error: {reply.file}: {reply.error}", err=True)
        return
    draft = reply.draft
    click.echo(f"Language: {draft.language}  Intent: {draft.intent}  Template: {draft.template}")
    click.echo(f"Subject: {draft.subject}\n")
    click.echo(draft.text)
    if findings:
        click.echo("\nFindings:")
        for finding in findings:
            click.echo(_finding_line(finding))
    if pdf is not None:
        click.echo(f"\nPDF: {pdf}")
    click.echo("")


def _write_pdf(reply: ProposedReply, folder: Path, phrasebank: Any) -> Path | None:
    """Print a letter draft to ``folder/<input name>.pdf``."""
    from datetime import UTC, datetime

    from mailbot.letters import compose_letter, letter_pdf

    if reply.draft is None or reply.request is None or reply.request.channel is not Channel.LETTER:
        return None
    letter = compose_letter(phrasebank, reply.request, reply.draft, written_on=datetime.now(UTC).date())
    folder.mkdir(parents=True, exist_ok=True)
    stem = Path(reply.file).name.split(".")[0] if reply.file != "-" else "stdin"
    target = folder / f"{stem}.pdf"
    target.write_bytes(letter_pdf(letter))
    return target


@click.command("draft")
@click.argument("files", nargs=-1, type=click.Path(allow_dash=True, dir_okay=False))
@format_option
@click.option(
    "--intent",
    default=None,
    help="Intent to answer; by default the trained intent model decides (else 'other').",
)
@click.option(
    "--language", default=None, help="Draft in this language instead of detecting it (en, nl, lv, th)."
)
@click.option(
    "--channel",
    type=click.Choice([c.value for c in Channel]),
    default="email",
    show_default=True,
    help="Reply by e-mail or letter.",
)
@click.option(
    "--formality",
    type=click.Choice(["formal", "informal"]),
    default=None,
    help="Override the phrasebank's register.",
)
@click.option("--quote/--no-quote", default=None, help="Quote the customer's text under an e-mail reply.")
@click.option(
    "--address",
    multiple=True,
    metavar="LINE",
    help="Customer's postal address line (letters); repeat per line.",
)
@click.option(
    "--mailbox",
    "mailbox_name",
    default=None,
    help="Mailbox the reply comes from (default: the first configured).",
)
@phrasebank_option
@click.option(
    "--pdf-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also print letter drafts to PDF in DIR.",
)
@pass_app
def draft(
    app: App,
    files: tuple[str, ...],
    fmt: str,
    intent: str | None,
    language: str | None,
    channel: str,
    formality: str | None,
    quote: bool | None,
    address: tuple[str, ...],
    mailbox_name: str | None,
    phrasebank_dir: Path | None,
    pdf_dir: Path | None,
) -> None:
    """Print the proposed reply to each message in FILES (RFC 822 or plain text; - or none: stdin).

    Nothing is stored. The intent comes from --intent, else from the trained
    intent model (`mailbot train`), else 'other'; the language is detected
    unless --language is given.
    """
    from mailbot.drafting import Phrasebank
    from mailbot.drafting_service import DraftOptions, Steps, fixed_intent, propose
    from mailbot.drafting_settings import Formality
    from mailbot.nlp.entities import extract_entities
    from mailbot.nlp.language import detect_language

    config = _config(app)
    phrasebank = Phrasebank.load(_phrasebank_dir(config, phrasebank_dir), intents=_intents(config))
    options = DraftOptions(
        mailbox=_mailbox(config, mailbox_name),
        channel=Channel(channel),
        language=language,
        formality=Formality(formality) if formality else None,
        quote=quote,
        customer_address=address,
    )
    model_intent = None if intent else _model_intent(config, _intents(config))
    steps = Steps(
        classify=model_intent or fixed_intent(intent or "other"),
        detect=detect_language,
        extract=extract_entities,
        check=_wording_check(config),
    )
    failed = False
    for name, raw in read_inputs(files):
        reply = propose(phrasebank, name, raw, options, steps)
        failed = failed or reply.error is not None
        pdf = _write_pdf(reply, pdf_dir, phrasebank) if pdf_dir is not None else None
        _emit(reply, fmt, pdf)
    if failed:
        raise SystemExit(1)


@click.group("phrasebank")
def phrasebank() -> None:
    """The approved reply templates (phrasebank/<lang>/<intent>.txt.j2)."""


@phrasebank.command("check")
@format_option
@phrasebank_option
@pass_app
def check(app: App, fmt: str, phrasebank_dir: Path | None) -> None:
    """Check that every intent has a template in every language, and that all render cleanly.

    Renders every template with sample messages and runs the wording rules
    on the result; unknown variables and syntax errors are reported with
    file and line. Exits 1 when there is an error.
    """
    from mailbot.drafting_check import Level, check_phrasebank

    config = _config(app)
    root = _phrasebank_dir(config, phrasebank_dir)
    problems = check_phrasebank(root, intents=_intents(config), check=_wording_check(config))
    errors = [p for p in problems if p.level is Level.ERROR]
    for problem in problems:
        if fmt == "json":
            emit_json(asdict(problem))
        else:
            click.echo(str(problem))
    if fmt == "text":
        warnings = sum(1 for p in problems if p.level is Level.WARNING)
        verdict = "FAILED" if errors else "ok"
        click.echo(f"phrasebank {root}: {verdict} ({len(errors)} errors, {warnings} warnings)")
    if errors:
        raise SystemExit(1)


@phrasebank.command("examples")
@phrasebank_option
@click.option("--write", is_flag=True, help="Append the new sentences (default: only list them).")
@pass_app
def examples(app: App, phrasebank_dir: Path | None, write: bool) -> None:
    """Add the phrasebank's rendered sentences to the wording examples as clean sentences.

    The classifier rules learn what clean text looks like from
    policies/wording/examples/<lang>.jsonl; run this after changing the
    phrasebank so its greetings and closings are never flagged.
    """
    from mailbot.phrasebank_examples import new_example_lines, rendered_sentences

    config = _config(app)
    folder = _policies_dir(config) / "wording" / "examples"
    sentences = rendered_sentences(_phrasebank_dir(config, phrasebank_dir), _intents(config))
    for language, found in sentences.items():
        path = folder / f"{language}.jsonl"
        existing = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        lines = new_example_lines(language, existing, found)
        if write and lines:
            folder.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write("".join(line + "\n" for line in lines))
        verb = "added" if write else "would add"
        click.echo(f"{path}: {verb} {len(lines)} clean sentence(s) of {len(found)} in the phrasebank")
