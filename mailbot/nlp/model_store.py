"""Write trained intent pipelines as a new model version; prune old versions.

The write side of the layout described in :mod:`mailbot.nlp.intents`: a
version is assembled under a hidden temporary name, then renamed into place
(a rename within one folder is atomic), and only a complete version can
become ``current``. A lock file keeps two training runs (``mailbot train``
and the daemon's nightly job) from writing or swapping at the same time.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailbot import __version__
from mailbot.nlp.intent_data import Example
from mailbot.nlp.intents import FORMAT, MANIFEST, IntentModelError, current_version
from mailbot.nlp.training import TrainedLanguage

LOCK = ".lock"


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the model root's lock, or fail at once if another run holds it."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / LOCK).open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IntentModelError(f"{root}: another training run is writing models here") from exc
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def data_digest(examples: Sequence[Example], extra: str = "") -> str:
    """A short digest of training examples and ``extra`` (seed, configs): did anything change?"""
    digest = hashlib.sha256(extra.encode())
    for example in sorted(examples, key=lambda e: e.id):
        digest.update(json.dumps([example.id, example.text, example.intent], ensure_ascii=False).encode())
    return digest.hexdigest()[:16]


def version_name(now: datetime, digest: str) -> str:
    """``20251120T101500Z-<digest>``: sorts by time, says which data built it."""
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + digest[:8]


def write_version(
    root: Path,
    trained: Mapping[str, TrainedLanguage],
    *,
    now: datetime,
    corrections: Mapping[str, int],
    digest: str,
    extra: Mapping[str, Any] | None = None,
    carry_from: Path | None = None,
) -> str:
    """Write every language's pipeline and the manifest as a new version; return its name.

    Languages not in ``trained`` are copied unchanged from the version
    directory ``carry_from`` (when given), so that training one language
    never leaves the others without a model.
    """
    from spacy.about import __version__ as spacy_version

    name = version_name(now, digest)
    final = root / name
    suffix = 1
    while final.exists():  # two runs in the same second on the same data
        suffix += 1
        final = root / f"{name}.{suffix}"
    staging = root / f".{final.name}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    languages: dict[str, Any] = {}
    for language, result in trained.items():
        result.nlp.to_disk(staging / language)
        languages[language] = {
            "labels": list(result.labels),
            "candidate": result.chosen.name,
            "best_epoch": result.chosen.best_epoch,
            "dev": {"macro_f1": result.chosen.dev.macro_f1, "accuracy": result.chosen.dev.accuracy},
            "candidates": {c.name: c.dev.macro_f1 for c in result.candidates},
            "train_count": result.train_count,
            "corrections": corrections.get(language, 0),
            "seed": result.seed,
        }
    if carry_from is not None:
        previous = json.loads((carry_from / MANIFEST).read_text(encoding="utf-8"))["languages"]
        for language, entry in previous.items():
            if language not in languages:
                shutil.copytree(carry_from / language, staging / language)
                languages[language] = {**entry, "carried_from": carry_from.name}
    manifest = {
        "format": FORMAT,
        "version": final.name,
        "created": now.astimezone(UTC).isoformat(),
        "spacy": spacy_version,
        "mailbot": __version__,
        "data_digest": digest,
        "languages": languages,
        **(extra or {}),
    }
    (staging / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    staging.rename(final)
    return final.name


def prune(root: Path, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` versions (never the current one); return what was deleted."""
    current = current_version(root)
    versions = sorted(p.name for p in root.iterdir() if p.is_dir() and (p / MANIFEST).is_file())
    doomed = [v for v in versions[: max(len(versions) - keep, 0)] if v != current]
    for name in doomed:
        shutil.rmtree(root / name)
    for leftover in root.glob(".*.partial"):  # from a run that died while writing
        shutil.rmtree(leftover)
    return doomed


def discard(root: Path, version: str) -> None:
    """Remove a version that was not activated."""
    if version == current_version(root):
        raise IntentModelError(f"{root / version}: is the current model; not removing it")
    shutil.rmtree(root / version)
