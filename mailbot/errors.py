"""The one exception tree of mailbot.

Every error mailbot raises on purpose derives from :class:`MailbotError`, so
the CLI and the daemon can catch "our" errors, print them as one clear line,
and let programming errors surface as tracebacks. Third-party errors are
translated at the boundary (``raise ConfigError(...) from exc``)::

    MailbotError
    ├── ConfigError          a config or policy file is missing or invalid
    ├── StoreError           the SQLite store cannot be opened or is locked
    │   └── StoreLockedError another daemon holds the store
    ├── StageError           a pipeline stage failed for one message
    │   ├── ParseError       raw bytes could not be read as a message at all
    │   └── OcrError         a scan could not be read (mailbot.ocr)
    ├── SourceError          a source (folder, IMAP, scan folder) failed
    │   └── ImapPollError    some IMAP folders failed; holds what was stored
    ├── TemplateError        a phrasebank template failed to load or render
    ├── NotFoundError        a thread, message, draft or user does not exist
    ├── GateError            the compliance gate refused an action (mailbot.gate)
    │   ├── PermissionDenied the person's role does not allow it
    │   └── InvalidTransition the draft's state does not allow it
    ├── AuthError            wrong name or password, disabled or locked (mailbot.users)
    ├── HeaderError          a reply header value would allow injection (mailbot.mail.compose)
    ├── OutboxError          a reply cannot be queued (mailbot.store.outbox)
    ├── SmtpUnavailable      a mailbox has no SMTP settings (mailbot.outbox_smtp)
    ├── LetterRenderError    a reply letter cannot be rendered to PDF (mailbot.letters)
    ├── IntentModelError     the intent model folder is missing or broken (mailbot.nlp.intents)
    ├── DataError            training data is malformed (mailbot.nlp.intent_data)
    └── TrainingError        training failed (mailbot.nlp.training)

Errors that belong to one capability are defined in its module, beside the
code that raises them; this drawing is the one place that lists them all.
"""

from __future__ import annotations


class MailbotError(Exception):
    """Root of every error mailbot raises on purpose."""


class ConfigError(MailbotError):
    """A configuration or policy file is missing, unreadable or invalid.

    The message always names the file, and the line and key where known, so
    an admin can fix it without reading code.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.key = key
        self.reason = message
        where = path or "<config>"
        if line is not None:
            where += f":{line}"
        if key:
            where += f": {key}"
        super().__init__(f"{where}: {message}")


class StoreError(MailbotError):
    """The store cannot be opened, migrated or written."""


class StoreLockedError(StoreError):
    """Another mailbot daemon already runs on this store."""


class StageError(MailbotError):
    """A pipeline stage failed for one message; the message is kept."""


class ParseError(StageError):
    """Raw bytes could not be read as an e-mail message at all."""


class SourceError(MailbotError):
    """A source could not be read (folder missing, server refused...)."""


class TemplateError(MailbotError):
    """A phrasebank template failed; names the template and line."""

    def __init__(self, message: str, *, template: str | None = None, line: int | None = None) -> None:
        self.template = template
        self.line = line
        where = template or "<template>"
        if line is not None:
            where += f":{line}"
        super().__init__(f"{where}: {message}")


class NotFoundError(MailbotError):
    """A thread, message or draft id does not exist."""
