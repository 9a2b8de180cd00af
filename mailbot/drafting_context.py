"""The values a phrasebank template sees, built from a draft request.

Templates get plain strings, booleans, lists and dicts, never the domain
objects themselves: that keeps the template API small and documented
(phrasebank/README.md lists every name), and a sandboxed template cannot
reach anything it was not handed. Customer text arrives here only as data
values; Jinja never parses a value, so ``{{ ... }}`` in a message stays text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from mailbot.drafting_settings import LanguageSettings
from mailbot.model import Entity

#: Entity kinds a draft may repeat back to the customer. Contact and bank
#: details (email, phone, iban) are left out on purpose: repeating them in
#: a reply is a personal-data risk and never helps the customer.
RESTATED_KINDS = ("order_number", "case_number", "product", "amount", "date", "deadline")
MAX_VALUES_PER_KIND = 3

#: Lower-case name particles (Dutch tussenvoegsels and the like) kept lower case inside a name.
_PARTICLES = frozenset({"van", "de", "der", "den", "het", "ten", "ter", "te", "'t", "in", "op", "von", "da"})
_NOT_A_NAME = re.compile(r"[@\d_<>]|^\W*$")
_SPACES = re.compile(r"\s+")
_CONSONANT_S = re.compile(r"[^aeiouāēīōū\W]s$")


def person_name(raw: str | None) -> tuple[str, str]:
    """A display name as a greeting writes it: (full name, first name), or ("", "").

    Mail clients hand over names such as ``"JANSEN, JAN"``, ``jan de vries``
    or ``support@x.nl``: "Last, First" is turned round, all-upper or
    all-lower names get capitals (particles such as "de" stay lower case),
    and something that is clearly not a name (an address, digits) counts as
    unknown so the neutral greeting is used.
    """
    name = _SPACES.sub(" ", (raw or "").strip().strip("\"'"))
    if not name or _NOT_A_NAME.search(name):
        return "", ""
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        name = f"{first} {last}".strip()
    if name.isupper() or name.islower():
        words = name.split(" ")
        name = " ".join(
            word.lower() if index and word.lower() in _PARTICLES else word[:1].upper() + word[1:].lower()
            for index, word in enumerate(words)
        )
    return name, name.split(" ")[0]


def latvian_vocative(name: str) -> str:
    """Put a Latvian name into the vocative used when addressing someone.

    Masculine endings change (Jānis -> Jāni, Bērziņš -> Bērziņ, Ozols ->
    Ozol, Mikus -> Miku, Tomass -> Tomas); feminine names (-a, -e) and
    names that do not end like a Latvian masculine name (Andreas, Agnes)
    stay as they are. Used as the ``lv_vocative`` filter by the Latvian greeting.
    """
    out = []
    for word in name.split(" "):
        lower = word.lower()
        if len(word) > 2 and (lower.endswith(("is", "us", "š")) or _CONSONANT_S.search(lower)):
            word = word[:-1]
        out.append(word)
    return " ".join(out)


def _first_values(entities: Iterable[Entity], kind: str) -> list[Entity]:
    seen: set[str] = set()
    found = []
    for entity in entities:
        if entity.kind == kind and entity.value not in seen:
            seen.add(entity.value)
            found.append(entity)
    return found[:MAX_VALUES_PER_KIND]


def _as_date(value: str) -> date | None:
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        return None


def _shown(entity: Entity, lang: LanguageSettings) -> str:
    """The entity as the draft writes it, in the draft's language."""
    if entity.kind == "amount":
        return lang.format_amount(entity.value) or entity.text
    if entity.kind in ("date", "deadline"):
        day = _as_date(entity.value)
        return lang.format_date(day) if day else entity.text
    return entity.value or entity.text


def specifics_values(entities: tuple[Entity, ...], lang: LanguageSettings) -> dict[str, list[str]]:
    """Every restated kind -> the values the customer named, formatted, at most three each."""
    return {kind: [_shown(e, lang) for e in _first_values(entities, kind)] for kind in RESTATED_KINDS}


def template_context(
    *,
    language: str,
    intent: str,
    channel: str,
    formal: bool,
    customer_name: str | None,
    received_at: datetime,
    entities: tuple[Entity, ...],
    mailbox: dict[str, str],
    lang: LanguageSettings,
) -> dict[str, Any]:
    """The names a template may use (documented in phrasebank/README.md)."""
    full, first = person_name(customer_name)
    values = specifics_values(entities, lang)
    return {
        "language": language,
        "intent": intent,
        "channel": channel,
        "formal": formal,
        "customer": {"name": full, "first_name": first},
        "mailbox": mailbox,
        "received": lang.format_date(received_at.date()),
        "orders": values["order_number"],
        "order": (values["order_number"] or [""])[0],
        "cases": values["case_number"],
        "case": (values["case_number"] or [""])[0],
        "products": values["product"],
        "product": (values["product"] or [""])[0],
        "amounts": values["amount"],
        "amount": (values["amount"] or [""])[0],
        "dates": values["date"],
        "date": (values["date"] or [""])[0],
        "deadline": (values["deadline"] or [""])[0],
    }


#: Every name a template can rely on; ``specifics`` is added by the renderer.
CONTEXT_NAMES = frozenset(
    {
        "language",
        "intent",
        "channel",
        "formal",
        "customer",
        "mailbox",
        "received",
        "orders",
        "order",
        "cases",
        "case",
        "products",
        "product",
        "amounts",
        "amount",
        "dates",
        "date",
        "deadline",
        "specifics",
    }
)
