"""The phrasebank's settings file (``phrasebank/phrasebank.toml``) and what it formats.

How a language writes a date, an amount or a reply subject is data, not
code: an admin who adds a language adds a ``[languages.xx]`` table and a
folder of templates, and never touches Python. The few formatting helpers
here only follow those tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path

from pydantic import Field, field_validator

from mailbot.errors import ConfigError
from mailbot.tomlfile import StrictModel, key_line, read_toml, validate

SETTINGS_FILE = "phrasebank.toml"

_DATE_SAMPLE = {"day": 1, "dd": "01", "month": "m", "mm": "01", "year": 2000}
_AMOUNT_SAMPLE = {"number": "1", "currency": "EUR"}


class Formality(StrEnum):
    """The register of a draft: formal ("u", "Jūs") or informal ("je", "tu")."""

    FORMAL = "formal"
    INFORMAL = "informal"


class LanguageSettings(StrictModel):
    """How one language writes subjects, dates and amounts (see phrasebank.toml)."""

    reply_prefix: str = "Re:"
    default_subject: str
    body_has_register: bool = False
    months: list[str] = Field(min_length=12, max_length=12)
    letter_months: list[str] | None = Field(default=None, min_length=12, max_length=12)
    date_format: str = "{day} {month} {year}"
    letter_date_format: str = "{day} {month} {year}"
    year_offset: int = 0
    decimal_separator: str = "."
    thousands_separator: str = ","
    amount_format: str = "{currency} {number}"
    currency_names: dict[str, str] = Field(default_factory=dict)
    word_limits: dict[str, int] = Field(default_factory=dict)

    @field_validator("date_format", "letter_date_format")
    @classmethod
    def _date_placeholders(cls, value: str) -> str:
        return _check_format(value, _DATE_SAMPLE)

    @field_validator("amount_format")
    @classmethod
    def _amount_placeholders(cls, value: str) -> str:
        return _check_format(value, _AMOUNT_SAMPLE)

    def format_date(self, value: date, *, letter: bool = False) -> str:
        """Write a date the way this language writes it in running text (or a letter's date line)."""
        months = (self.letter_months or self.months) if letter else self.months
        pattern = self.letter_date_format if letter else self.date_format
        return pattern.format(
            day=value.day,
            dd=f"{value.day:02d}",
            month=months[value.month - 1],
            mm=f"{value.month:02d}",
            year=value.year + self.year_offset,
        )

    def format_amount(self, normalised: str) -> str | None:
        """Write an extracted amount (``"EUR 49.95"``) in this language, or None if unreadable."""
        parts = normalised.split()
        if len(parts) != 2:
            return None
        code, digits = parts
        try:
            number = Decimal(digits)
        except InvalidOperation:
            return None
        places = 2 if "." in digits else 0  # extracted amounts always carry two decimals
        whole, _, fraction = f"{abs(number):,.{places}f}".partition(".")
        text = whole.replace(",", self.thousands_separator)
        if fraction:
            text += self.decimal_separator + fraction
        if number < 0:
            text = "-" + text
        return self.amount_format.format(number=text, currency=self.currency_names.get(code, code))


class PhrasebankSettings(StrictModel):
    """The schema of ``phrasebank.toml``."""

    formality: Formality = Formality.FORMAL
    quote_original: bool = False
    fallback_language: str = "en"
    fallback_intent: str = "other"
    word_limits: dict[str, int] = Field(default_factory=lambda: {"email": 120, "letter": 250})
    languages: dict[str, LanguageSettings] = Field(min_length=1)

    def word_limit(self, language: str, channel: str) -> int | None:
        """The word limit of a draft in this language and channel, if any."""
        own = self.languages[language].word_limits if language in self.languages else {}
        return own.get(channel, self.word_limits.get(channel))


def _check_format(pattern: str, sample: Mapping[str, object]) -> str:
    """Refuse a format string with a placeholder we do not fill (caught at load, not at render)."""
    try:
        pattern.format(**sample)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"unknown or broken placeholder in {pattern!r}; use {sorted(sample)}") from exc
    return pattern


def load_settings(root: Path, languages: tuple[str, ...] | None) -> PhrasebankSettings:
    """Read ``phrasebank.toml``; every language asked for must have its table there."""
    path = root / SETTINGS_FILE
    data, text = read_toml(path)
    settings = validate(PhrasebankSettings, data, path=path, text=text)
    wanted = languages if languages is not None else tuple(settings.languages)
    for language in (*wanted, settings.fallback_language):
        if language not in settings.languages:
            raise ConfigError(
                f"no [languages.{language}] table: every language needs one (see phrasebank/README.md)",
                path=str(path),
                line=key_line(text, ("languages",)),
                key=f"languages.{language}",
            )
    return settings
