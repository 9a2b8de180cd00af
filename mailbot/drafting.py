"""The drafting stage: a reply proposed from the approved phrasebank.

Replies are never free text. Compliance approves each template once
(``phrasebank/<lang>/<intent>.txt.j2`` plus shared partials), and a draft is
that template filled with what the customer named (order number, amount,
dates), so wording stays the same across agents and mailboxes.

Safety comes from three choices:

* Templates run in Jinja2's immutable sandbox with ``StrictUndefined``: a
  template cannot reach Python internals, and a misspelt variable is an
  error instead of silently empty text.
* Customer text is only ever a *value* handed to a template, never a
  template source, so a message containing ``{{ ... }}`` or ``{% ... %}``
  is shown literally. Subjects and quotes are assembled in Python.
* A template that fails raises :class:`~mailbot.errors.TemplateError`
  naming the template and line; rendering builds the whole text before
  returning, so there is never a half-rendered draft.

The phrasebank is read from disk once (:meth:`Phrasebank.load`); after that
:func:`render_draft` is pure: no I/O, no global state.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mailbot.drafting_context import latvian_vocative, person_name, template_context
from mailbot.drafting_settings import Formality, PhrasebankSettings, load_settings
from mailbot.errors import TemplateError
from mailbot.mail.subjects import strip_reply_prefixes
from mailbot.model import Channel, DraftText, Entity

#: The default intent taxonomy (policies/intents.toml may configure others).
DEFAULT_INTENTS: tuple[str, ...] = (
    "refund",
    "return_exchange",
    "delivery",
    "billing",
    "product_question",
    "technical_support",
    "account",
    "complaint",
    "privacy",
    "legal",
    "feedback",
    "other",
)
TEMPLATE_SUFFIX = ".txt.j2"
INFORMAL_SUFFIX = ".informal" + TEMPLATE_SUFFIX
PARTIALS = "_partials/"
SPECIFICS_PARTIAL = PARTIALS + "specifics" + TEMPLATE_SUFFIX
QUOTE_HEADER_PARTIAL = PARTIALS + "quote_header" + TEMPLATE_SUFFIX
LETTER_SUBJECT_PARTIAL = PARTIALS + "letter_subject" + TEMPLATE_SUFFIX

_BLANK_RUNS = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_SPACE_RUNS = re.compile(r"\s+")


@dataclass(frozen=True)
class MailboxIdentity:
    """Who the reply comes from: the mailbox (team or brand) the customer wrote to.

    ``signature`` picks ``_partials/signature_<key>.txt.j2`` when it exists
    (one per brand), else ``_partials/signature.txt.j2``. ``postal_address``
    is the sender block of a letter.
    """

    display_name: str
    address: str
    signature: str = "default"
    postal_address: tuple[str, ...] = ()


@dataclass(frozen=True)
class DraftRequest:
    """Everything the drafting stage needs about one customer message.

    ``formality`` and ``quote`` override the phrasebank's defaults when set.
    ``customer_address`` is the postal address read from a scanned letter.
    """

    language: str
    intent: str
    received_at: datetime
    mailbox: MailboxIdentity
    channel: Channel = Channel.EMAIL
    subject: str = ""
    customer_name: str | None = None
    customer_address: tuple[str, ...] = ()
    new_text: str = ""
    entities: tuple[Entity, ...] = ()
    formality: Formality | None = None
    quote: bool | None = None
    #: Our reference for the thread, printed on letters (see mailbot.casecode).
    case_code: str | None = None


class _SourceLoader(jinja2.BaseLoader):
    """Serves one language's templates from memory, named ``<lang>/<path>`` in errors."""

    def __init__(self, language: str, sources: Mapping[str, str]) -> None:
        self.language = language
        self.sources = sources

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        key = f"{self.language}/{template}"
        if key not in self.sources:
            raise jinja2.TemplateNotFound(key)
        return self.sources[key], key, lambda: True

    def list_templates(self) -> list[str]:
        prefix = f"{self.language}/"
        return sorted(k.removeprefix(prefix) for k in self.sources if k.startswith(prefix))


def _environment(language: str, sources: Mapping[str, str]) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        loader=_SourceLoader(language, sources),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
        cache_size=-1,
    )
    env.filters["lv_vocative"] = latvian_vocative
    return env


@dataclass(frozen=True, eq=False)
class Phrasebank:
    """Every template of every language, compiled once, plus the phrasebank's settings.

    ``sources`` maps ``<lang>/<path>`` (e.g. ``nl/refund.txt.j2``,
    ``nl/_partials/greeting.txt.j2``) to template text.
    """

    root: Path
    settings: PhrasebankSettings
    languages: tuple[str, ...]
    intents: tuple[str, ...]
    sources: Mapping[str, str]
    environments: Mapping[str, ImmutableSandboxedEnvironment]

    @classmethod
    def load(
        cls, path: Path, languages: tuple[str, ...] | None = None, intents: tuple[str, ...] | None = None
    ) -> Phrasebank:
        """Read and compile every template under ``path``.

        Raises ConfigError for a bad ``phrasebank.toml`` and TemplateError
        (template name and line) for the first template with a syntax error.
        Missing templates are not an error here: :func:`render_draft` falls
        back, and ``mailbot phrasebank check`` lists the gaps.
        """
        settings = load_settings(path, languages)
        chosen = languages if languages is not None else tuple(settings.languages)
        loaded = tuple(dict.fromkeys((*chosen, settings.fallback_language)))
        sources: dict[str, str] = {}
        for language in loaded:
            folder = path / language
            for file in sorted(folder.rglob("*" + TEMPLATE_SUFFIX)) if folder.is_dir() else []:
                name = f"{language}/{file.relative_to(folder).as_posix()}"
                try:
                    sources[name] = file.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise TemplateError(f"cannot read template: {exc}", template=name) from exc
        environments = {language: _environment(language, sources) for language in loaded}
        for name in sources:
            language, _, relative = name.partition("/")
            try:
                environments[language].get_template(relative)
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateError(f"syntax error: {exc.message}", template=name, line=exc.lineno) from exc
        return cls(
            root=path,
            settings=settings,
            languages=chosen,
            intents=intents if intents is not None else DEFAULT_INTENTS,
            sources=sources,
            environments=environments,
        )

    def has(self, language: str, relative: str) -> bool:
        """True when ``<language>/<relative>`` is a loaded template."""
        return f"{language}/{relative}" in self.sources

    def choose(self, language: str, intent: str, formality: Formality) -> tuple[str, str, str, bool]:
        """Pick (language, intent, template path, formal) for a request, with the documented fallbacks."""
        if language not in self.environments:
            language = self.settings.fallback_language
        if not self.has(language, intent + TEMPLATE_SUFFIX):
            intent = self.settings.fallback_intent
        formal = formality is Formality.FORMAL
        relative = intent + TEMPLATE_SUFFIX
        if not formal and self.settings.languages[language].body_has_register:
            if self.has(language, intent + INFORMAL_SUFFIX):
                relative = intent + INFORMAL_SUFFIX
            else:
                formal = True  # never mix an informal greeting with a formal body
        if not self.has(language, relative):
            raise TemplateError(
                "no template for this intent or the fallback intent", template=language + "/" + relative
            )
        return language, intent, relative, formal


def _frame_position(tb: TracebackType | None, names: Mapping[str, str]) -> tuple[str | None, int | None]:
    """The innermost template (name, line) in a traceback Jinja has rewritten to template lines."""
    where: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename in names:
            where = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return where


def _render(phrasebank: Phrasebank, language: str, relative: str, context: Mapping[str, Any]) -> str:
    """Render one template to tidy text (see :func:`_render_raw`)."""
    return tidy(_render_raw(phrasebank, language, relative, context))


def _render_raw(phrasebank: Phrasebank, language: str, relative: str, context: Mapping[str, Any]) -> str:
    """Render one template as is, translating every failure into TemplateError."""
    fallback_name = f"{language}/{relative}"
    try:
        text = phrasebank.environments[language].get_template(relative).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"syntax error: {exc.message}", template=exc.filename or fallback_name, line=exc.lineno
        ) from exc
    except jinja2.TemplateNotFound as exc:
        name, line = _frame_position(exc.__traceback__, phrasebank.sources)
        raise TemplateError(
            f"included template not found: {exc.name}", template=name or fallback_name, line=line
        ) from exc
    except Exception as exc:  # StrictUndefined, SecurityError, a failing filter: all template faults
        name, line = _frame_position(exc.__traceback__, phrasebank.sources)
        kind = "sandbox refused" if isinstance(exc, jinja2.exceptions.SecurityError) else "render error"
        raise TemplateError(f"{kind}: {exc}", template=name or fallback_name, line=line) from exc
    return text


def tidy(text: str) -> str:
    """Even out template whitespace: no trailing spaces, at most one blank line in a row."""
    text = _TRAILING_SPACE.sub("\n", text.replace("\r\n", "\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip()


def reply_subject(subject: str, prefix: str = "Re:", default: str = "") -> str:
    """The subject of a reply: one ``prefix`` in front of the subject without its reply prefixes.

    ``Re: AW: Antw: Bestelling 123`` becomes ``Re: Bestelling 123``, so a
    long thread does not pile up prefixes. ``default`` stands in for an
    empty subject.
    """
    core = strip_reply_prefixes(subject).strip() or default
    return f"{prefix} {core}".strip() if core else prefix


def quote_block(text: str) -> str:
    """The customer's text as an e-mail quote (``> `` in front of every line)."""
    lines = text.strip().splitlines()
    return "\n".join(f"> {line}".rstrip() for line in lines)


def _context(
    phrasebank: Phrasebank, request: DraftRequest, language: str, intent: str, formal: bool
) -> dict[str, Any]:
    context = template_context(
        language=language,
        intent=intent,
        channel=request.channel.value,
        formal=formal,
        customer_name=request.customer_name,
        received_at=request.received_at,
        entities=request.entities,
        mailbox={
            "name": request.mailbox.display_name,
            "address": request.mailbox.address,
            "signature": request.mailbox.signature,
        },
        lang=phrasebank.settings.languages[language],
    )
    context["case"] = request.case_code
    specifics = ""
    if phrasebank.has(language, SPECIFICS_PARTIAL):
        # One line, leading space kept: the partial decides how it joins the sentence.
        specifics = _SPACE_RUNS.sub(
            " ", _render_raw(phrasebank, language, SPECIFICS_PARTIAL, context)
        ).rstrip()
    context["specifics"] = specifics
    return context


def wants_quote(phrasebank: Phrasebank, request: DraftRequest) -> bool:
    """Whether this draft ends with the customer's text quoted (e-mail only)."""
    wanted = phrasebank.settings.quote_original if request.quote is None else request.quote
    return wanted and request.channel is Channel.EMAIL and bool(request.new_text.strip())


def render_parts(phrasebank: Phrasebank, request: DraftRequest) -> tuple[DraftText, str]:
    """Render a draft and return it with its quote part ("" when not quoting).

    The quote is returned on its own so the word limit can leave the
    customer's words out of the count.
    """
    formality = request.formality or phrasebank.settings.formality
    language, intent, relative, formal = phrasebank.choose(request.language, request.intent, formality)
    lang = phrasebank.settings.languages[language]
    context = _context(phrasebank, request, language, intent, formal)
    body = _render(phrasebank, language, relative, context)
    quote = ""
    if wants_quote(phrasebank, request):
        header = _render(phrasebank, language, QUOTE_HEADER_PARTIAL, context).replace("\n", " ")
        quote = f"{header}\n{quote_block(request.new_text)}"
    if request.channel is Channel.LETTER and phrasebank.has(language, LETTER_SUBJECT_PARTIAL):
        subject = _render(phrasebank, language, LETTER_SUBJECT_PARTIAL, context).replace("\n", " ")
    else:
        subject = reply_subject(request.subject, lang.reply_prefix, lang.default_subject)
    text = f"{body}\n\n{quote}" if quote else body
    draft = DraftText(
        language=language, intent=intent, template=f"{language}/{relative}", subject=subject, text=text
    )
    return draft, quote


def render_draft(phrasebank: Phrasebank, request: DraftRequest) -> DraftText:
    """Propose the reply to one customer message (pure; TemplateError when a template fails)."""
    return render_parts(phrasebank, request)[0]


__all__ = [
    "DEFAULT_INTENTS",
    "DraftRequest",
    "Formality",
    "MailboxIdentity",
    "Phrasebank",
    "person_name",
    "quote_block",
    "render_draft",
    "render_parts",
    "reply_subject",
]
