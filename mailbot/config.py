"""Load and validate ``config.toml``: store, daemon, mailboxes, sources, web.

Relative paths in the file are resolved against the file's own folder, so a
config works from any working directory. Secrets never live in the TOML: a
key such as ``password_env`` names the environment variable that holds the
secret, and :func:`secret` reads it at the moment of use. A literal
``password``/``token``/``secret`` key is refused with a pointed message.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from mailbot.errors import ConfigError
from mailbot.tomlfile import StrictModel, format_loc, key_line, read_toml, validate

CONFIG_ENV = "MAILBOT_CONFIG"
_SECRET_WORDS = ("password", "passwd", "token", "secret", "api_key")


class StoreSettings(StrictModel):
    """Where the SQLite store lives."""

    path: str = "var/mailbot.sqlite3"


class DaemonSettings(StrictModel):
    """Intervals of the daemon's housekeeping jobs and logging."""

    pipeline_interval: float = Field(default=10.0, gt=0, description="seconds between pipeline sweeps")
    sla_interval: float = Field(default=60.0, gt=0, description="seconds between SLA sweeps")
    policy_watch_interval: float = Field(default=5.0, gt=0, description="seconds between policy file checks")
    outbox_interval: float = Field(default=15.0, gt=0, description="seconds between outbox deliveries")
    digest: bool = True
    digest_time: time = time(8, 0)
    digest_language: Literal["en", "nl", "lv", "th"] = "en"
    retrain: bool = True
    retrain_time: time = time(3, 0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_attempts: int = Field(default=5, ge=1, description="automatic retries of a failing stage")


class PathSettings(StrictModel):
    """Where policies and the phrasebank are read from."""

    policies: str = "policies"
    phrasebank: str = "phrasebank"
    models: str = "models/intents"
    training_data: str = "data/intents"


class WebSettings(StrictModel):
    """The review UI's listener."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8025, ge=1, le=65535)
    secret_key_env: str = "MAILBOT_SECRET_KEY"  # noqa: S105 - the name of a variable
    behind_tls: bool = False


class ImapSettings(StrictModel):
    """An IMAP account behind a mailbox (used by the IMAP source)."""

    host: str
    port: int = Field(default=993, ge=1, le=65535)
    tls: Literal["implicit", "starttls", "plain"] = "implicit"
    username: str
    password_env: str | None = None
    oauth2_token_env: str | None = None
    folders: list[str] = Field(default_factory=lambda: ["INBOX"])
    interval: float = Field(default=60.0, gt=0)
    idle: bool = True
    after_store: Literal["nothing", "flag", "move"] = "nothing"
    flag: str = "$MailbotStored"
    move_to: str | None = None
    sent_folder: str | None = "Sent"
    batch_size: int = Field(default=200, ge=1, le=5000)
    timeout: float = Field(default=30.0, gt=0)


class SmtpSettings(StrictModel):
    """How replies from a mailbox are sent."""

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    tls: Literal["implicit", "starttls", "plain"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    timeout: float = Field(default=30.0, gt=0)


class MailboxSettings(StrictModel):
    """One support address (a team or brand) and how it is reached."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    address: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    display_name: str = ""
    imap: ImapSettings | None = None
    smtp: SmtpSettings | None = None

    @field_validator("address")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class FolderSource(StrictModel):
    """A directory of .eml files and/or a Maildir, polled for new mail."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    path: str
    mailbox: str
    interval: float = Field(default=30.0, gt=0)
    after_store: Literal["keep", "move"] = "keep"
    processed_dir: str | None = None
    settle_seconds: float = Field(default=2.0, ge=0)


OcrLanguage = Literal["en", "nl", "lv", "th"]
OCR_LANGUAGES: tuple[OcrLanguage, ...] = ("en", "nl", "lv", "th")


class LetterSource(StrictModel):
    """A scan folder: paper letters (PDF, PNG, JPEG, TIFF), read by OCR."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    path: str
    mailbox: str
    interval: float = Field(default=60.0, gt=0)
    after_store: Literal["keep", "move"] = "keep"
    processed_dir: str | None = None
    settle_seconds: float = Field(default=5.0, ge=0)
    languages: list[OcrLanguage] = Field(default_factory=lambda: list(OCR_LANGUAGES), min_length=1)
    min_confidence: float = Field(default=0.75, ge=0, le=1)
    own_names: list[str] = Field(default_factory=list)
    dpi: int = Field(default=300, ge=150, le=600)
    print_dir: str = "var/print"


class ConfigFile(StrictModel):
    """The schema of ``config.toml``; every key is documented in config.example.toml."""

    store: StoreSettings = StoreSettings()
    daemon: DaemonSettings = DaemonSettings()
    paths: PathSettings = PathSettings()
    web: WebSettings = WebSettings()
    mailboxes: list[MailboxSettings] = Field(min_length=1)
    folders: list[FolderSource] = Field(default_factory=list)
    letters: list[LetterSource] = Field(default_factory=list)


@dataclass(frozen=True)
class Config:
    """A validated configuration with every path made absolute."""

    file: Path
    settings: ConfigFile
    store_path: Path
    policies_dir: Path
    phrasebank_dir: Path

    def resolve(self, path: str) -> Path:
        """Resolve a path from the config relative to the config's folder."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else (self.file.parent / candidate).resolve()

    def mailbox(self, name: str) -> MailboxSettings:
        for box in self.settings.mailboxes:
            if box.name == name:
                return box
        raise ConfigError(f"no mailbox named {name!r}", path=str(self.file))

    @property
    def own_addresses(self) -> frozenset[str]:
        """Our own mailbox addresses: mail from them is outbound, never a customer."""
        return frozenset(box.address for box in self.settings.mailboxes)


def _file_sources(settings: ConfigFile) -> list[tuple[str, Sequence[FolderSource | LetterSource]]]:
    """The folder-like sources by their table name in the file."""
    return [("folders", settings.folders), ("letters", settings.letters)]


def find_config_file(explicit: str | None) -> Path:
    """Pick the config file: ``--config``, then ``$MAILBOT_CONFIG``, then ./config.toml."""
    chosen = explicit or os.environ.get(CONFIG_ENV)
    if chosen:
        return Path(chosen).expanduser().resolve()
    local = Path("config.toml")
    if local.exists():
        return local.resolve()
    raise ConfigError(
        "no configuration: pass --config FILE, set MAILBOT_CONFIG, "
        "or copy config.example.toml to config.toml",
        path="config.toml",
    )


def _refuse_literal_secrets(data: Any, text: str, path: Path, loc: tuple[str | int, ...] = ()) -> None:
    """Secrets must come from the environment; refuse them in the file itself."""
    if isinstance(data, dict):
        for key, value in data.items():
            lowered = key.lower()
            if any(word in lowered for word in _SECRET_WORDS) and not lowered.endswith("_env"):
                where = (*loc, key)
                raise ConfigError(
                    f"secrets are not allowed in the config file; set {key}_env to the name of an "
                    "environment variable that holds it",
                    path=str(path),
                    line=key_line(text, where),
                    key=format_loc(where),
                )
            _refuse_literal_secrets(value, text, path, (*loc, key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            _refuse_literal_secrets(item, text, path, (*loc, index))


def _check_references(settings: ConfigFile, text: str, path: Path) -> None:
    """Cross-field rules pydantic cannot see: unique names, known mailboxes."""
    names = [box.name for box in settings.mailboxes]
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            raise ConfigError(
                f"duplicate mailbox name {name!r}",
                path=str(path),
                line=key_line(text, ("mailboxes", index, "name")),
                key=f"mailboxes[{index}].name",
            )
        seen.add(name)
    sources: set[str] = set()
    for kind, entries in _file_sources(settings):
        for index, entry in enumerate(entries):
            if entry.mailbox not in seen:
                raise ConfigError(
                    f"unknown mailbox {entry.mailbox!r} (known: {', '.join(names)})",
                    path=str(path),
                    line=key_line(text, (kind, index, "mailbox")),
                    key=f"{kind}[{index}].mailbox",
                )
            if entry.name in sources:
                raise ConfigError(
                    f"duplicate source name {entry.name!r}",
                    path=str(path),
                    line=key_line(text, (kind, index, "name")),
                    key=f"{kind}[{index}].name",
                )
            sources.add(entry.name)
    for index, box in enumerate(settings.mailboxes):
        if box.imap and box.imap.password_env is None and box.imap.oauth2_token_env is None:
            raise ConfigError(
                "an IMAP account needs password_env or oauth2_token_env",
                path=str(path),
                line=key_line(text, ("mailboxes", index, "imap")),
                key=f"mailboxes[{index}].imap",
            )
        if box.imap and box.imap.after_store == "move" and not box.imap.move_to:
            raise ConfigError(
                "after_store = 'move' needs move_to",
                path=str(path),
                line=key_line(text, ("mailboxes", index, "imap", "after_store")),
                key=f"mailboxes[{index}].imap.after_store",
            )


def load_config(path: Path) -> Config:
    """Read, validate and resolve a config file; raise ConfigError on any problem."""
    path = path.resolve()
    data, text = read_toml(path)
    _refuse_literal_secrets(data, text, path)
    settings = validate(ConfigFile, data, path=path, text=text)
    _check_references(settings, text, path)
    base = path.parent

    def absolute(value: str) -> Path:
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else (base / candidate).resolve()

    config = Config(
        file=path,
        settings=settings,
        store_path=absolute(settings.store.path),
        policies_dir=absolute(settings.paths.policies),
        phrasebank_dir=absolute(settings.paths.phrasebank),
    )
    for kind, entries in _file_sources(settings):
        for index, entry in enumerate(entries):
            if not absolute(entry.path).is_dir():
                raise ConfigError(
                    f"folder does not exist: {absolute(entry.path)}",
                    path=str(path),
                    line=key_line(text, (kind, index, "path")),
                    key=f"{kind}[{index}].path",
                )
    if not config.policies_dir.is_dir():
        raise ConfigError(
            f"policies folder does not exist: {config.policies_dir}",
            path=str(path),
            line=key_line(text, ("paths", "policies")),
            key="paths.policies",
        )
    return config


def secret(env_name: str | None) -> str | None:
    """Read a secret from the environment at the moment of use (never cached, never logged)."""
    if not env_name:
        return None
    return os.environ.get(env_name)
