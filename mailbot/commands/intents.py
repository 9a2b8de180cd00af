"""``mailbot train``, ``mailbot evaluate`` and ``mailbot classify``: the intent classifier's commands.

All three work with or without a config file. Paths default to the
config's folder when there is a config, else to the working directory:
models in ``models/intents``, training data in ``data/intents``, the
taxonomy in ``policies/intents.toml``. Heavy modules (spaCy, scikit-learn)
are imported only when a command runs, so ``mailbot --help`` stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mailbot.commands.common import App, emit_json, format_option, pass_app, read_inputs
from mailbot.config import CONFIG_ENV, Config

if TYPE_CHECKING:
    from mailbot.model import Classification
    from mailbot.policy.intents import IntentPolicy

MODELS_DIR = "models/intents"
DATA_DIR = "data/intents"
LANGUAGE_CHOICE = click.Choice(["en", "nl", "lv", "th"])


def _config(app: App) -> Config | None:
    if app.config_path or os.environ.get(CONFIG_ENV) or Path("config.toml").exists():
        return app.config
    return None


def _path(app: App, option: Path | None, default: str) -> Path:
    if option is not None:
        return option
    config = _config(app)
    return config.resolve(default) if config else Path(default)


models_option = click.option(
    "--models",
    "models",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help=f"Model root (default: {MODELS_DIR} next to the config, else here).",
)
data_option = click.option(
    "--data",
    "data",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help=f"Training data (default: {DATA_DIR} next to the config, else here).",
)
languages_option = click.option(
    "--language",
    "-l",
    "languages",
    type=LANGUAGE_CHOICE,
    multiple=True,
    help="Only this language (repeatable; default: all four).",
)


@click.command()
@models_option
@data_option
@languages_option
@click.option("--seed", type=int, default=None, help="Random seed (default: the fixed project seed).")
@click.option(
    "--with-corrections/--without-corrections",
    default=False,
    help="Add the intent corrections people made (needs the store) to the training data.",
)
@click.option("--activate/--no-activate", default=True, help="Make the new version current.")
@click.option(
    "--cross-validate",
    is_flag=True,
    help="First choose each language's candidate config and epoch count by k-fold cross-validation"
    " on train+dev (slow: minutes per language) and write configs/<lang>/selected.toml.",
)
@click.option(
    "--folds", type=click.IntRange(2, 20), default=5, show_default=True, help="Folds for --cross-validate."
)
@click.option(
    "--if-needed",
    is_flag=True,
    help="Only when there is no usable model, or the data, configs or seed changed (for setup scripts).",
)
@pass_app
def train(
    app: App,
    models: Path | None,
    data: Path | None,
    languages: tuple[str, ...],
    seed: int | None,
    with_corrections: bool,
    activate: bool,
    cross_validate: bool,
    folds: int,
    if_needed: bool,
) -> None:
    """Train the intent models on the frozen train split and write a new model version.

    Each language trains the candidate and epoch count in its
    configs/<lang>/selected.toml (chosen by --cross-validate); a language
    without one trains every candidate and keeps the best on dev.
    """
    from mailbot.nlp.intent_data import LANGUAGES, correction_examples
    from mailbot.nlp.retrain import build_models, build_needed
    from mailbot.nlp.training import DEFAULT_SEED

    wanted = languages or LANGUAGES
    root = _path(app, models, MODELS_DIR)
    data_dir = _path(app, data, DATA_DIR)
    chosen_seed = DEFAULT_SEED if seed is None else seed
    if cross_validate:
        _cross_validate(data_dir, wanted, chosen_seed, folds)
    if if_needed:
        reason = build_needed(root, data_dir, languages=wanted, seed=chosen_seed)
        if reason is None:
            click.echo(f"{root}: the intent models are up to date")
            return
        click.echo(f"training the intent models: {reason}")
    corrections = correction_examples(app.store.corrections(), wanted) if with_corrections else []
    result = build_models(
        root,
        data_dir,
        languages=wanted,
        seed=chosen_seed,
        corrections=corrections,
        activate=activate,
    )
    for language, trained in result.trained.items():
        candidates = ", ".join(f"{c.name} {c.dev.macro_f1:.3f}" for c in trained.candidates)
        click.echo(
            f"{language}: {trained.chosen.name} (dev macro-F1 {trained.chosen.dev.macro_f1:.3f},"
            f" accuracy {trained.chosen.dev.accuracy:.3f}; candidates: {candidates})"
        )
    state = "now current" if result.activated else "not activated"
    click.echo(f"wrote {root / result.version} ({state})")


def _cross_validate(data_dir: Path, languages: Sequence[str], seed: int, folds: int) -> None:
    """Run model selection for each language and write its selected.toml."""
    from mailbot.nlp.intent_data import Split, load_split
    from mailbot.nlp.selection import CandidateCurve, select, write_selection
    from mailbot.nlp.training import CONFIG_DIR, candidate_configs

    for language in languages:
        split = load_split(data_dir, language)
        pooled = split[Split.TRAIN] + split[Split.DEV]

        def report(curve: CandidateCurve, language: str = language) -> None:
            click.echo(
                f"{language}/{curve.name}: cross-validated macro-F1 {curve.best:.3f}"
                f" at epoch {curve.best_epoch} ({curve.seconds:.0f} s)"
            )

        selection = select(
            language, pooled, candidate_configs(language), seed=seed, folds=folds, progress=report
        )
        path = write_selection(CONFIG_DIR, selection)
        click.echo(f"{language}: selected {selection.candidate}, {selection.epochs} epochs -> {path}")


@click.command()
@models_option
@data_option
@languages_option
@click.option(
    "--split",
    type=click.Choice(["test", "dev"]),
    default="test",
    show_default=True,
    help="Split whose per-intent scores and confusion matrix are printed.",
)
@format_option
@pass_app
def evaluate(
    app: App, models: Path | None, data: Path | None, languages: tuple[str, ...], split: str, fmt: str
) -> None:
    """Score the current model and the scikit-learn baselines on the frozen dev and test splits."""
    from mailbot.nlp.evaluation import evaluate_language, summary_lines
    from mailbot.nlp.intent_data import Split, load_split
    from mailbot.nlp.intent_metrics import format_metrics
    from mailbot.nlp.intents import IntentModel

    model = IntentModel.load(_path(app, models, MODELS_DIR), languages or None)
    data_dir = _path(app, data, DATA_DIR)
    reports = [evaluate_language(model, lang, load_split(data_dir, lang)) for lang in model.languages]
    if fmt == "json":
        for report in reports:
            emit_json({"version": model.version, **report.as_dict()})
        return
    shown = Split(split)
    click.echo(f"intent model {model.version}")
    for line in summary_lines(reports):
        click.echo(line)
    for report in reports:
        click.echo(
            f"\n== {report.language} ({shown.value} split, candidate {report.candidate},"
            f" {report.corrections} correction(s) in training) =="
        )
        for line in format_metrics(report.model[shown]):
            click.echo(line)
        for name, per_split in report.baselines.items():
            m = per_split[shown]
            click.echo(f"  baseline {name} (C={report.baseline_c[name]:g}): accuracy {m.accuracy:.3f}, "
                       f"macro-F1 {m.macro_f1:.3f}")  # fmt: skip


def _policy(app: App) -> IntentPolicy | None:
    from mailbot.policy.intents import load_intent_policy

    config = _config(app)
    path = (config.policies_dir if config else Path("policies")) / "intents.toml"
    return load_intent_policy(path) if path.exists() else None


def _message(raw: bytes) -> tuple[str, str, datetime]:
    """(new text, subject, reference time) of a raw RFC 822 message or a plain text file."""
    from mailbot.drafting_service import looks_like_rfc822
    from mailbot.mail.parse import parse_message

    if looks_like_rfc822(raw):
        parsed = parse_message(raw)
        return parsed.new_text or parsed.body_text, parsed.subject, parsed.date or datetime.now(UTC)
    text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return text, "", datetime.now(UTC)


def _record(name: str, result: Classification) -> dict[str, object]:
    return {
        "file": name,
        "language": result.language,
        "intent": result.intent,
        "confidence": round(result.confidence, 4),
        "intents": [[intent, round(score, 4)] for intent, score in result.ranked],
        "entities": [asdict(entity) for entity in result.entities],
    }


@click.command()
@click.argument("files", nargs=-1, type=click.Path(allow_dash=True))
@models_option
@format_option
@pass_app
def classify(app: App, files: tuple[str, ...], models: Path | None, fmt: str) -> None:
    """Language, intent and entities of messages (raw RFC 822 or plain text; - for standard input)."""
    from mailbot.nlp.classify import Classifier
    from mailbot.nlp.classify_many import classify_many
    from mailbot.nlp.entities import customer_deadline, extract_entities
    from mailbot.nlp.intents import IntentModel
    from mailbot.nlp.language import detect_language

    policy = _policy(app)
    model = IntentModel.load(_path(app, models, MODELS_DIR))
    classifier = Classifier(
        detect=detect_language,
        extract=extract_entities,
        deadline=customer_deadline,
        intents=None,
        fallback_intent=policy.fallback if policy else "other",
        triage_threshold=policy.triage_threshold if policy else 0.5,
    )
    inputs = read_inputs(files)
    items = [_message(raw) for _, raw in inputs]
    known = frozenset(policy.names) if policy else None
    for (name, _), result in zip(inputs, classify_many(items, classifier, model, known), strict=True):
        if fmt == "json":
            emit_json(_record(name, result))
            continue
        triage = "  [needs triage]" if result.needs_triage else ""
        click.echo(f"{name}: {result.language} {result.intent} {result.confidence:.2f}{triage}")
        runners_up = ", ".join(f"{intent} {score:.2f}" for intent, score in result.ranked[1:3])
        if runners_up:
            click.echo(f"  then: {runners_up}")
        for entity in result.entities:
            click.echo(f"  {entity.kind}: {entity.text!r} -> {entity.value}")
