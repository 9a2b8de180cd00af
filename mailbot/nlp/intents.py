"""The trained intent classifier: versioned model directories, loading, prediction.

Layout of a model root (default ``models/intents``, built by ``mailbot train``)::

    models/intents/
      current                      the name of the version in use (one line)
      20251120T101500Z-3fa2c1d0/   one version: never changed once written
        manifest.json              format, spaCy version, seed, labels, dev figures
        en/  nl/  lv/  th/         one spaCy pipeline per language (nlp.to_disk)

A new version is always written to a fresh directory first; only then is
``current`` replaced, atomically (``os.replace`` of a temporary file), so a
reader sees the old model or the new one, never half of either.

:class:`IntentModel` loads every language's pipeline once; prediction is
pure and batched through ``nlp.pipe``. Anything wrong with a model
directory (missing, half-written, from another spaCy version, not a model)
raises :class:`IntentModelError` naming the path and what to do.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mailbot.errors import MailbotError

MANIFEST = "manifest.json"
CURRENT = "current"
FORMAT = "mailbot-intents/1"
DEFAULT_ROOT = Path("models") / "intents"


class IntentModelError(MailbotError):
    """An intent model directory is missing, corrupt or incompatible (names the path)."""


Ranked = list[tuple[str, float]]


@dataclass(frozen=True)
class LanguageInfo:
    """What the manifest says about one language's pipeline."""

    labels: tuple[str, ...]
    candidate: str
    dev_macro_f1: float
    dev_accuracy: float
    train_count: int
    corrections: int


def spacy_minor(version: str) -> str:
    """``"3.8.18"`` -> ``"3.8"``: pipelines load across patch releases only."""
    return ".".join(version.split(".")[:2])


def resolve_version(path: Path) -> Path:
    """The version directory ``path`` names: itself, or what its ``current`` file points at."""
    if (path / MANIFEST).is_file():
        return path
    pointer = path / CURRENT
    if not path.exists():
        raise IntentModelError(f"{path}: no intent model here; build one with `mailbot train`")
    if not pointer.is_file():
        raise IntentModelError(
            f"{path}: not an intent model directory (no {MANIFEST}, no {CURRENT} file);"
            " build one with `mailbot train`"
        )
    name = pointer.read_text(encoding="utf-8").strip()
    if not name or "/" in name or name.startswith("."):
        raise IntentModelError(f"{pointer}: does not name a model version ({name!r})")
    version = path / name
    if not (version / MANIFEST).is_file():
        raise IntentModelError(f"{pointer}: points at {version}, which has no {MANIFEST}")
    return version


def current_version(root: Path) -> str | None:
    """Name of the version ``root/current`` points at, or None when there is none."""
    try:
        return (root / CURRENT).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def set_current(root: Path, version: str) -> None:
    """Point ``root/current`` at ``version`` atomically (write a temp file, fsync, rename)."""
    if not (root / version / MANIFEST).is_file():
        raise IntentModelError(f"{root / version}: not a complete model version; refusing to activate it")
    temporary = root / f".{CURRENT}.{os.getpid()}.tmp"
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(version + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(root / CURRENT)
    _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_manifest(version_dir: Path) -> dict[str, Any]:
    """The manifest of a version directory, checked for format and spaCy version."""
    path = version_dir / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IntentModelError(f"{path}: missing; not an intent model version") from exc
    except (OSError, ValueError) as exc:
        raise IntentModelError(f"{path}: unreadable ({exc}); rebuild with `mailbot train`") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise IntentModelError(f"{path}: format {found!r}, expected {FORMAT!r}; rebuild with `mailbot train`")
    from spacy.about import __version__ as spacy_version

    built_with = str(manifest.get("spacy", "?"))
    if spacy_minor(built_with) != spacy_minor(spacy_version):
        raise IntentModelError(
            f"{version_dir}: built with spaCy {built_with}, this is spaCy {spacy_version};"
            " rebuild with `mailbot train`"
        )
    if not isinstance(manifest.get("languages"), dict) or not manifest["languages"]:
        raise IntentModelError(f"{path}: lists no languages; rebuild with `mailbot train`")
    return manifest


def _language_info(path: Path, entry: Mapping[str, Any]) -> LanguageInfo:
    try:
        return LanguageInfo(
            labels=tuple(entry["labels"]),
            candidate=str(entry["candidate"]),
            dev_macro_f1=float(entry["dev"]["macro_f1"]),
            dev_accuracy=float(entry["dev"]["accuracy"]),
            train_count=int(entry["train_count"]),
            corrections=int(entry.get("corrections", 0)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise IntentModelError(f"{path / MANIFEST}: bad entry for {path.name} ({exc})") from exc


def load_pipeline(path: Path) -> Any:
    """Load one language's spaCy pipeline; any failure becomes an :class:`IntentModelError`."""
    import spacy

    # Registers the Thai tokenizer and the architecture before spaCy reads the config.
    from mailbot.nlp import intent_spacy

    if not (path / "config.cfg").is_file():
        raise IntentModelError(f"{path}: missing or not a spaCy pipeline (no config.cfg)")
    try:
        with warnings.catch_warnings():
            # spaCy warns, rather than fails, on a version mismatch; the
            # manifest check has already refused those.
            warnings.simplefilter("ignore", UserWarning)
            nlp = spacy.load(path)
    except Exception as exc:  # spaCy, thinc and msgpack raise many kinds here
        raise IntentModelError(
            f"{path}: cannot load the spaCy pipeline ({type(exc).__name__}: {exc})"
        ) from exc
    if "textcat" not in nlp.pipe_names:
        raise IntentModelError(f"{path}: the pipeline has no textcat component")
    return intent_spacy.keep_feature_attrs(nlp)


class IntentModel:
    """Every language's intent pipeline from one model version, loaded once."""

    def __init__(self, path: Path, manifest: Mapping[str, Any], pipelines: Mapping[str, Any]) -> None:
        self.path = path
        self.manifest = dict(manifest)
        self.version = str(manifest.get("version", path.name))
        self._pipelines = dict(pipelines)
        self.info = {
            lang: _language_info(path / lang, manifest["languages"][lang]) for lang in self._pipelines
        }

    @classmethod
    def load(cls, path: Path, languages: Collection[str] | None = None) -> IntentModel:
        """Load a model root (following ``current``) or a version directory."""
        version_dir = resolve_version(path)
        manifest = read_manifest(version_dir)
        wanted = [lang for lang in manifest["languages"] if languages is None or lang in languages]
        pipelines = {lang: load_pipeline(version_dir / lang) for lang in wanted}
        return cls(version_dir, manifest, pipelines)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._pipelines)

    def pipeline(self, language: str) -> Any:
        return self._pipelines[language]

    def labels(self, language: str) -> tuple[str, ...]:
        return self.info[language].labels

    def unknown_labels(self, known: Collection[str]) -> dict[str, tuple[str, ...]]:
        """Per language, the labels the model predicts that the taxonomy does not know."""
        out = {lang: tuple(x for x in info.labels if x not in known) for lang, info in self.info.items()}
        return {lang: labels for lang, labels in out.items() if labels}

    def predict(self, texts: Iterable[str], language: str) -> list[Ranked]:
        """Ranked intents (best first) for each text; ``[]`` per text for a language without a model."""
        from mailbot.nlp.training import predict

        texts = list(texts)
        nlp = self._pipelines.get(language)
        if nlp is None:
            return [[] for _ in texts]
        return predict(nlp, texts)

    def __call__(self, text: str, language: str) -> Ranked:
        """One text: the :data:`mailbot.nlp.classify.IntentFn` signature."""
        return self.predict([text], language)[0]

    def intent_fn(self, known: Collection[str] | None = None) -> IntentRanker:
        """An ``IntentFn`` that drops labels outside the taxonomy ``known`` (renamed or removed intents)."""
        return IntentRanker(self, frozenset(known) if known is not None else None)


@dataclass(frozen=True)
class IntentRanker:
    """``(text, language) -> ranked intents``, restricted to the taxonomy's names.

    A message whose best label the taxonomy no longer has gets the best
    known one at its own (lower) score, which usually sends it to triage.
    """

    model: IntentModel
    known: frozenset[str] | None

    def __call__(self, text: str, language: str) -> Ranked:
        ranked = self.model(text, language)
        if self.known is None:
            return ranked
        return [(name, score) for name, score in ranked if name in self.known]
