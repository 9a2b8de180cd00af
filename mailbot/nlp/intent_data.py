"""Intent training data: the hand-written examples, the frozen split, corrections.

The examples live in ``data/intents/<lang>/<intent>.jsonl`` (see the README
there). Each example belongs to exactly one split, ``train``, ``dev`` or
``test``, recorded once in ``data/intents/splits.json`` and never changed:
the test split is only ever used to report final figures, never to train
or to choose a model, so the figures stay honest as the data grows.

How an id gets its split (both rules hash the id with a fixed salt, so the
answer depends on nothing but the id):

- **At the freeze** (:func:`freeze_splits`), per language and intent, ids
  are ordered by their hash; the first 15% go to test, the next 15% to dev,
  the rest to train. Ranking within each intent makes the split exactly
  stratified, which matters with ~12 test messages per intent.
- **Ids added later** (not in ``splits.json``) fall where their hash, read as
  a number in [0, 1), lands: below 0.70 train, below 0.85 dev, else test
  (:func:`split_of_new_id`). Stable without rewriting the frozen file.

Corrections made by people in production are training data only: they are
never added to dev or test, so a retrained model is compared with the
current one on exactly the same dev messages.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from mailbot.errors import MailbotError

LANGUAGES: tuple[str, ...] = ("en", "nl", "lv", "th")
SPLITS_FILE = "splits.json"
_SALT = "mailbot-intents-split-v1:"
TEST_SHARE = 0.15
DEV_SHARE = 0.15


class DataError(MailbotError):
    """The intent training data or its split file is missing or malformed (names the file)."""


class Split(StrEnum):
    TRAIN = "train"
    DEV = "dev"
    TEST = "test"


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled message. ``id`` is unique across all languages."""

    id: str
    text: str
    intent: str
    language: str


def id_hash(example_id: str) -> float:
    """The id's salted SHA-256 read as a number in [0, 1): the only randomness in splitting."""
    digest = hashlib.sha256((_SALT + example_id).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of_new_id(example_id: str) -> Split:
    """The split of an id that was not in the data when the split was frozen."""
    share = id_hash(example_id)
    if share < 1.0 - DEV_SHARE - TEST_SHARE:
        return Split.TRAIN
    return Split.DEV if share < 1.0 - TEST_SHARE else Split.TEST


def load_examples(data_dir: Path, language: str) -> list[Example]:
    """Every example of one language, in file order (files sorted by name)."""
    folder = data_dir / language
    if not folder.is_dir():
        raise DataError(f"{folder}: no intent training data for language {language!r}")
    examples: list[Example] = []
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            examples.append(_example(path, number, line, language))
    if not examples:
        raise DataError(f"{folder}: no examples (*.jsonl files) found")
    return examples


def _example(path: Path, number: int, line: str, language: str) -> Example:
    try:
        row = json.loads(line)
        return Example(id=str(row["id"]), text=str(row["text"]), intent=str(row["intent"]), language=language)
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{path}:{number}: not an example object with id, text, intent ({exc})") from exc


def freeze_splits(examples: Iterable[Example]) -> dict[str, Split]:
    """The stratified split of a complete data set (used once; see the module docstring)."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for example in examples:
        groups[(example.language, example.intent)].append(example.id)
    splits: dict[str, Split] = {}
    for ids in groups.values():
        ranked = sorted(ids, key=lambda i: (id_hash(i), i))
        n_test = round(len(ranked) * TEST_SHARE)
        n_dev = round(len(ranked) * DEV_SHARE)
        for index, example_id in enumerate(ranked):
            if index < n_test:
                splits[example_id] = Split.TEST
            elif index < n_test + n_dev:
                splits[example_id] = Split.DEV
            else:
                splits[example_id] = Split.TRAIN
    return splits


def write_splits(path: Path, splits: Mapping[str, Split]) -> None:
    """Write the split file: one id per line, grouped by language, sorted."""
    by_language: dict[str, dict[str, str]] = defaultdict(dict)
    for example_id in sorted(splits):
        by_language[example_id.split("-", 1)[0]][example_id] = splits[example_id].value
    document: dict[str, Any] = {
        "about": (
            "Frozen train/dev/test split of data/intents (see mailbot/nlp/intent_data.py)."
            " Never edit or regenerate: ids not listed here are assigned by split_of_new_id."
        ),
        "salt": _SALT,
        "splits": dict(sorted(by_language.items())),
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def read_splits(path: Path) -> dict[str, Split]:
    """The frozen split: id -> split."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return {
            example_id: Split(value)
            for per_language in document["splits"].values()
            for example_id, value in per_language.items()
        }
    except FileNotFoundError as exc:
        raise DataError(f"{path}: the frozen split file is missing") from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DataError(f"{path}: not a split file ({exc})") from exc


def split_examples(examples: Iterable[Example], frozen: Mapping[str, Split]) -> dict[Split, list[Example]]:
    """Examples grouped by split: the frozen one, or the hash rule for new ids."""
    out: dict[Split, list[Example]] = {split: [] for split in Split}
    for example in examples:
        out[frozen.get(example.id) or split_of_new_id(example.id)].append(example)
    return out


def load_split(data_dir: Path, language: str) -> dict[Split, list[Example]]:
    """One language's examples, split by ``data_dir/splits.json``."""
    return split_examples(load_examples(data_dir, language), read_splits(data_dir / SPLITS_FILE))


def correction_examples(rows: Iterable[Mapping[str, Any]], languages: Iterable[str]) -> list[Example]:
    """Training examples from the store's ``corrections()`` rows.

    The text is built as the classify stage sees it (subject line, then the
    new text), so the model learns from what it will be asked about.
    Corrections in a language without a model are skipped.
    """
    wanted = set(languages)
    out: list[Example] = []
    for row in rows:
        language = row.get("language")
        text = row.get("new_text") or ""
        subject = row.get("subject") or ""
        if language not in wanted or not (text.strip() or subject.strip()):
            continue
        content = f"{subject}\n{text}" if subject else text
        out.append(
            Example(
                id=f"correction-{row['message_id']}",
                text=content,
                intent=str(row["new_intent"]),
                language=str(language),
            )
        )
    return out
