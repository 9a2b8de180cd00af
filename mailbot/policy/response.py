"""The response policy (SLA) as admins write it in ``policies/response.toml``.

This module only describes and validates the file; the arithmetic lives in
:mod:`mailbot.sla`. Every check that needs knowledge of the outside world
(does this time zone exist, does the ``holidays`` package know this country)
runs here, at load time, so a typo fails ``mailbot policy check`` with the
file, line and key instead of surfacing as a wrong due time weeks later.

Checks are pydantic validators on purpose: :func:`mailbot.tomlfile.load_model`
maps any validation error back to the line where the key is written, so
semantic errors get the same ``file:line: key: message`` form as schema ones.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import holidays
from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from mailbot.model import Channel
from mailbot.tomlfile import StrictModel, load_model

MINUTES_PER_DAY = 24 * 60
MAX_TARGET_HOURS = 24 * 366  # a longer promise is a typo, not a policy
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_COUNTRY = re.compile(r"^([A-Z]{2})(?:-([A-Za-z0-9]+))?$")
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class TimeBasis(StrEnum):
    """Which hours count towards a target.

    ``calendar``: every hour of the day counts (24 h means 24 real hours).
    ``business``: only hours inside the business hours count, holidays and
    extra closed days not at all.
    """

    CALENDAR = "calendar"
    BUSINESS = "business"


class Span(NamedTuple):
    """One opening interval of a weekday, in minutes after local midnight.

    ``end`` may be 1440 (written ``24:00``) so a day can be open until midnight.
    """

    start: int
    end: int


def _error(kind: str, message: str, **context: Any) -> PydanticCustomError:
    """A validation error whose text reaches the admin unchanged."""
    return PydanticCustomError(kind, message, context)


def _minutes(hour: str, minute: str, text: str) -> int:
    value = int(hour) * 60 + int(minute)
    if int(minute) >= 60 or value > MINUTES_PER_DAY:
        raise _error("bad_span", "'{span}' is not a time between 00:00 and 24:00", span=text)
    return value


def parse_span(value: object) -> Span:
    """Read ``"09:00-17:00"`` into a :class:`Span`; end must be after start."""
    if isinstance(value, Span):
        return value
    if not isinstance(value, str) or not (match := _SPAN.match(value)):
        raise _error("bad_span", "write opening hours as 'HH:MM-HH:MM', got '{span}'", span=value)
    start = _minutes(match.group(1), match.group(2), value)
    end = _minutes(match.group(3), match.group(4), value)
    if end <= start:
        raise _error("bad_span", "closing time must be after opening time in '{span}'", span=value)
    return Span(start, end)


OpenSpan = Annotated[Span, BeforeValidator(parse_span)]
Hours = Annotated[float, Field(gt=0, le=MAX_TARGET_HOURS)]


class TargetSpec(StrictModel):
    """How long we may take to answer; ``time_basis`` defaults to the policy's."""

    hours: Hours
    time_basis: TimeBasis | None = None


class MailboxTargetSpec(StrictModel):
    """A mailbox's own target, and per-intent targets inside that mailbox.

    ``hours`` may be left out when a mailbox only overrides some intents.
    """

    hours: Hours | None = None
    time_basis: TimeBasis | None = None
    intent: dict[str, TargetSpec] = Field(default_factory=dict)

    @field_validator("time_basis")
    @classmethod
    def _basis_needs_hours(cls, value: TimeBasis | None, info: ValidationInfo) -> TimeBasis | None:
        if value is not None and info.data.get("hours") is None:
            raise _error("basis_without_hours", "time_basis needs hours in the same table")
        return value


_NINE_TO_FIVE = (Span(9 * 60, 17 * 60),)


class BusinessHours(StrictModel):
    """Opening intervals per weekday in the policy's time zone; ``[]`` = closed."""

    mon: tuple[OpenSpan, ...] = _NINE_TO_FIVE
    tue: tuple[OpenSpan, ...] = _NINE_TO_FIVE
    wed: tuple[OpenSpan, ...] = _NINE_TO_FIVE
    thu: tuple[OpenSpan, ...] = _NINE_TO_FIVE
    fri: tuple[OpenSpan, ...] = _NINE_TO_FIVE
    sat: tuple[OpenSpan, ...] = ()
    sun: tuple[OpenSpan, ...] = ()

    @field_validator(*WEEKDAYS)
    @classmethod
    def _in_order(cls, spans: tuple[Span, ...]) -> tuple[Span, ...]:
        for before, after in pairwise(spans):
            if after.start < before.end:
                raise _error("overlap", "opening intervals must be in time order and must not overlap")
        return spans

    def for_weekday(self, weekday: int) -> tuple[Span, ...]:
        """Spans of ``date.weekday()`` (0 = Monday)."""
        spans: tuple[Span, ...] = getattr(self, WEEKDAYS[weekday])
        return spans

    def is_never_open(self) -> bool:
        """True when every weekday is closed (business time could never run)."""
        return not any(self.for_weekday(day) for day in range(7))


class ClosedDays(StrictModel):
    """Days on which business time does not run at all."""

    holiday_countries: tuple[str, ...] = ()
    extra: tuple[date, ...] = ()

    @field_validator("holiday_countries")
    @classmethod
    def _known_countries(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        supported: dict[str, list[str]] = holidays.list_supported_countries()
        for code in codes:
            match = _COUNTRY.match(code)
            if not match or match.group(1) not in supported:
                raise _error(
                    "unknown_country",
                    "'{code}' is not a country the holidays package knows (write e.g. 'NL' or 'GB-SCT')",
                    code=code,
                )
            country, subdivision = match.groups()
            if subdivision is not None and subdivision not in supported[country]:
                raise _error(
                    "unknown_subdivision",
                    "'{code}': {country} has no subdivision '{sub}' (known: {known})",
                    code=code,
                    country=country,
                    sub=subdivision,
                    known=", ".join(supported[country]) or "none",
                )
        return codes

    def dates(self, years: Iterable[int]) -> frozenset[date]:
        """Every closed date of ``years``: public holidays plus the extra days.

        Holidays come from the ``holidays`` package; a code ``GB-SCT`` asks
        for the holidays of one subdivision.
        """
        found = set(self.extra)
        for code in self.holiday_countries:
            country, _, subdivision = code.partition("-")
            found.update(holidays.country_holidays(country, subdiv=subdivision or None, years=years).keys())
        return frozenset(found)


def _check_address(address: str) -> str:
    if not _ADDRESS.match(address):
        raise _error("bad_address", "'{address}' is not an e-mail address", address=address)
    return address


EmailAddress = Annotated[str, AfterValidator(_check_address)]


class Recipients(StrictModel):
    """A mailbox's own escalation lists; a level left out uses the default list."""

    due_soon: tuple[EmailAddress, ...] | None = None
    breached: tuple[EmailAddress, ...] | None = None


class Escalation(StrictModel):
    """Who hears about threads that become due soon or breach."""

    due_soon: tuple[EmailAddress, ...] = ()
    breached: tuple[EmailAddress, ...] = ()
    mailbox: dict[str, Recipients] = Field(default_factory=dict)


class ResponsePolicy(StrictModel):
    """The whole of ``policies/response.toml``; see that file for each key."""

    time_zone: str = "Europe/Amsterdam"
    time_basis: TimeBasis = TimeBasis.CALENDAR
    due_soon_share: float = 0.75
    default: TargetSpec = TargetSpec(hours=24)
    channel: dict[Channel, TargetSpec] = Field(default_factory=dict)
    intent: dict[str, TargetSpec] = Field(default_factory=dict)
    mailbox: dict[str, MailboxTargetSpec] = Field(default_factory=dict)
    business_hours: BusinessHours = BusinessHours()
    closed_days: ClosedDays = ClosedDays()
    escalation: Escalation = Escalation()

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, name: str) -> str:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise _error(
                "unknown_time_zone", "unknown time zone '{name}' (write e.g. 'Europe/Riga')", name=name
            ) from exc
        return name

    @field_validator("due_soon_share")
    @classmethod
    def _share_inside_unit(cls, share: float) -> float:
        if not 0 < share < 1:
            raise _error("bad_share", "must be between 0 and 1 (exclusive), got {v}", v=share)
        return share

    @field_validator("business_hours")
    @classmethod
    def _open_when_needed(cls, hours: BusinessHours, info: ValidationInfo) -> BusinessHours:
        """Business time with no open hour would never come due."""
        if hours.is_never_open() and TimeBasis.BUSINESS in _bases_in_use(info.data):
            raise _error("never_open", "a target counts business time but no weekday has opening hours")
        return hours


def _bases_in_use(data: dict[str, Any]) -> set[TimeBasis]:
    """Time bases the already-validated part of a policy uses."""
    bases = {data.get("time_basis", TimeBasis.CALENDAR)}
    specs: list[TargetSpec | MailboxTargetSpec] = []
    if isinstance(data.get("default"), TargetSpec):
        specs.append(data["default"])
    for key in ("channel", "intent", "mailbox"):
        specs += list(data.get(key, {}).values())
    for spec in list(specs):
        if isinstance(spec, MailboxTargetSpec):
            specs += list(spec.intent.values())
    bases |= {spec.time_basis for spec in specs if spec.time_basis is not None}
    return bases


def load_response_policy(path: Path) -> ResponsePolicy:
    """Read and check ``policies/response.toml``; raises ConfigError with file:line: key."""
    return load_model(ResponsePolicy, path)
