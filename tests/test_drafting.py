"""Drafting: names, dates, amounts, subjects, rendering, fallbacks, safety and errors."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mailbot.drafting import (
    DraftRequest,
    MailboxIdentity,
    Phrasebank,
    quote_block,
    render_draft,
    render_parts,
    reply_subject,
)
from mailbot.drafting_context import latvian_vocative, person_name
from mailbot.drafting_limits import count_words, draft_length_findings, word_limit_findings
from mailbot.drafting_samples import INJECTION_TEXT, SAMPLE_MAILBOX, sample_requests
from mailbot.drafting_service import (
    DraftOptions,
    Steps,
    build_request,
    fixed_intent,
    looks_like_rfc822,
    propose,
)
from mailbot.drafting_settings import Formality
from mailbot.errors import ConfigError, TemplateError
from mailbot.model import Channel, Entity, Severity

ROOT = Path(__file__).resolve().parents[1] / "phrasebank"


@pytest.fixture(scope="module")
def phrasebank() -> Phrasebank:
    return Phrasebank.load(ROOT)


@pytest.fixture
def bank_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped phrasebank that a test may break."""
    target = tmp_path / "phrasebank"
    shutil.copytree(ROOT, target)
    return target


def _request(language: str = "en", intent: str = "refund", /, **changes: object) -> DraftRequest:
    return replace(sample_requests(language, intent)[0], **changes)  # type: ignore[arg-type]


# -- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Emma Johnson", ("Emma Johnson", "Emma")),
        ("JANSEN, JAN", ("Jan Jansen", "Jan")),
        ("VRIES, JAN DE", ("Jan de Vries", "Jan")),
        ("jan van der berg", ("Jan van der Berg", "Jan")),
        ('"Jānis Bērziņš"', ("Jānis Bērziņš", "Jānis")),
        ("สมชาย ใจดี", ("สมชาย ใจดี", "สมชาย")),
        ("support@example.com", ("", "")),
        ("user1234", ("", "")),
        ("", ("", "")),
        (None, ("", "")),
    ],
)
def test_person_name(raw: str | None, expected: tuple[str, str]) -> None:
    assert person_name(raw) == expected


@pytest.mark.parametrize(
    ("name", "vocative"),
    [
        ("Jānis Bērziņš", "Jāni Bērziņ"),
        ("Andris Ozols", "Andri Ozol"),
        ("Mikus Kalns", "Miku Kaln"),
        ("Tomass", "Tomas"),
        ("Anna Liepiņa", "Anna Liepiņa"),
        ("Agnese Kalniņa", "Agnese Kalniņa"),
        ("Andreas", "Andreas"),
    ],
)
def test_latvian_vocative(name: str, vocative: str) -> None:
    assert latvian_vocative(name) == vocative


# -- dates and amounts in each language -----------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "letter"),
    [
        ("en", "4 March 2026", "4 March 2026"),
        ("nl", "4 maart 2026", "4 maart 2026"),
        ("lv", "04.03.2026.", "2026. gada 4. martā"),
        ("th", "4 มีนาคม 2569", "4 มีนาคม 2569"),
    ],
)
def test_dates_per_language(phrasebank: Phrasebank, language: str, text: str, letter: str) -> None:
    lang = phrasebank.settings.languages[language]
    assert lang.format_date(date(2026, 3, 4)) == text
    assert lang.format_date(date(2026, 3, 4), letter=True) == letter


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [
        ("en", "EUR 1249.95", "EUR 1,249.95"),
        ("nl", "EUR 1249.95", "€ 1.249,95"),
        ("lv", "EUR 1249.95", "1 249,95 EUR"),
        ("th", "THB 1250.00", "1,250.00 บาท"),
        ("en", "EUR -5.00", "EUR -5.00"),
        ("en", "EUR", None),
        ("en", "EUR abc", None),
    ],
)
def test_amounts_per_language(phrasebank: Phrasebank, language: str, value: str, shown: str | None) -> None:
    assert phrasebank.settings.languages[language].format_amount(value) == shown


# -- subjects -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Bestelling 48213", "Re: Bestelling 48213"),
        ("RE: AW: Antw: Bestelling 48213", "Re: Bestelling 48213"),
        ("Atb: Pasūtījums 48213", "Re: Pasūtījums 48213"),
        ("ตอบกลับ: คำสั่งซื้อ 48213", "Re: คำสั่งซื้อ 48213"),
        ("", "Re: Your message"),
        ("Re: {{ 7*7 }}", "Re: {{ 7*7 }}"),
    ],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject, "Re:", "Your message") == expected


def test_email_subject_uses_language_default(phrasebank: Phrasebank) -> None:
    draft = render_draft(phrasebank, _request("nl", subject=""))
    assert draft.subject == "Re: Uw bericht"


def test_letter_subject_names_the_letter_date(phrasebank: Phrasebank) -> None:
    draft = render_draft(phrasebank, _request("en", channel=Channel.LETTER))
    assert draft.subject == "Your letter of 3 March 2026"
    assert "Thank you for your letter, which we received on 3 March 2026." in draft.text


# -- listening first: the restated request --------------------------------------------------


@pytest.mark.parametrize(
    ("language", "amount"),
    [("en", "EUR 49.95"), ("nl", "€ 49,95"), ("lv", "49,95 EUR"), ("th", "1,250.00 บาท")],
)
@pytest.mark.parametrize("intent", ["refund", "delivery", "complaint", "other"])
def test_restatement_carries_order_and_amount(
    phrasebank: Phrasebank, language: str, amount: str, intent: str
) -> None:
    draft = render_draft(phrasebank, _request(language, intent))
    paragraphs = draft.text.split("\n\n")
    restated = paragraphs[1]  # after the greeting, before the answer
    assert "48213" in restated
    assert amount in restated
    assert "48213" not in "\n\n".join(paragraphs[2:])


def test_restatement_without_specifics_has_no_empty_brackets(phrasebank: Phrasebank) -> None:
    draft = render_draft(phrasebank, _request("en", entities=()))
    assert "()" not in draft.text
    assert "You asked for a refund." in draft.text


def test_contact_details_are_never_repeated(phrasebank: Phrasebank) -> None:
    iban = Entity("iban", "NL91ABNA0417164300", 0, 18, "NL91ABNA0417164300")
    phone = Entity("phone", "+31 6 12345678", 0, 14, "+31612345678")
    draft = render_draft(phrasebank, _request("nl", entities=(iban, phone)))
    assert "NL91ABNA0417164300" not in draft.text
    assert "31612345678" not in draft.text


# -- salutation and register ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "named", "anonymous"),
    [
        ("en", "Dear Emma Johnson,", "Dear customer,"),
        ("nl", "Geachte Jan de Vries,", "Geachte heer, mevrouw,"),
        ("lv", "Labdien, Jāni Bērziņ!", "Labdien!"),
        ("th", "เรียน คุณสมชาย ใจดี", "เรียน ลูกค้าผู้มีอุปการคุณ"),
    ],
)
def test_formal_salutation(phrasebank: Phrasebank, language: str, named: str, anonymous: str) -> None:
    assert render_draft(phrasebank, _request(language)).text.splitlines()[0] == named
    assert render_draft(phrasebank, _request(language, customer_name=None)).text.splitlines()[0] == anonymous


def test_thai_salutation_spaces_latin_names(phrasebank: Phrasebank) -> None:
    draft = render_draft(phrasebank, _request("th", customer_name="John Smith"))
    assert draft.text.splitlines()[0] == "เรียน คุณ John Smith"


def test_dutch_informal_uses_je_throughout(phrasebank: Phrasebank) -> None:
    draft = render_draft(phrasebank, _request("nl", formality=Formality.INFORMAL))
    assert draft.template == "nl/refund.informal.txt.j2"
    assert draft.text.startswith("Beste Jan,")
    words = draft.text.replace(",", " ").replace(".", " ").split()
    assert "je" in words
    assert "u" not in words
    assert "uw" not in words


def test_informal_without_variant_stays_formal(phrasebank: Phrasebank) -> None:
    draft = render_draft(phrasebank, _request("lv", formality=Formality.INFORMAL))
    assert draft.template == "lv/refund.txt.j2"
    assert draft.text.startswith("Labdien, Jāni Bērziņ!")  # no informal greeting over a formal body


def test_english_informal_changes_only_greeting_and_closing(phrasebank: Phrasebank) -> None:
    draft = render_draft(phrasebank, _request("en", formality=Formality.INFORMAL))
    assert draft.template == "en/refund.txt.j2"
    assert draft.text.startswith("Hi Emma,")
    assert "Best regards," in draft.text


# -- fallbacks ------------------------------------------------------------------------------


def test_unknown_language_falls_back_to_english(phrasebank: Phrasebank) -> None:
    draft = render_draft(phrasebank, _request("en", language="unknown"))
    assert (draft.language, draft.template) == ("en", "en/refund.txt.j2")


def test_unknown_intent_falls_back_to_other(phrasebank: Phrasebank) -> None:
    draft = render_draft(phrasebank, _request("nl", intent="warranty_claim"))
    assert (draft.intent, draft.template) == ("other", "nl/other.txt.j2")


# -- customer text is data, never template ----------------------------------------------------


def test_injection_in_text_subject_and_name_is_inert(phrasebank: Phrasebank) -> None:
    request = _request(
        "en", new_text=INJECTION_TEXT, subject=INJECTION_TEXT, customer_name="{{ Mailbox }}", quote=True
    )
    draft = render_draft(phrasebank, request)
    assert "> " + INJECTION_TEXT in draft.text
    assert draft.subject == "Re: " + INJECTION_TEXT
    assert draft.text.startswith("Dear {{ Mailbox }},")
    assert "49" not in draft.text.replace("49.95", "")
    assert "XXX" not in draft.text
    assert "<class" not in draft.text


def test_injection_in_entity_values_is_inert(phrasebank: Phrasebank) -> None:
    order = Entity("order_number", "{{ mailbox }}", 0, 13, "{{ mailbox }}")
    draft = render_draft(phrasebank, _request("en", entities=(order,)))
    assert "order {{ mailbox }}" in draft.text


def test_quote_block_and_letters_never_quote(phrasebank: Phrasebank) -> None:
    assert quote_block("line one\n\nline two\n") == "> line one\n>\n> line two"
    email, quote = render_parts(phrasebank, _request("en", quote=True))
    assert quote.startswith("On 3 March 2026, Emma Johnson wrote:\n> Hello")
    assert email.text.endswith(quote)
    letter, no_quote = render_parts(phrasebank, _request("en", quote=True, channel=Channel.LETTER))
    assert no_quote == ""
    assert ">" not in letter.text


# -- broken templates: clear errors, never a half draft --------------------------------------


def test_syntax_error_stops_loading_with_name_and_line(bank_copy: Path) -> None:
    target = bank_copy / "nl" / "billing.txt.j2"
    target.write_text(target.read_text(encoding="utf-8") + "{% if order %}\nnever closed\n", encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        Phrasebank.load(bank_copy)
    assert caught.value.template == "nl/billing.txt.j2"
    assert caught.value.line is not None and caught.value.line > 4


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ("{{ order_nr }}", "'order_nr' is undefined"),
        ("{{ customer.nam }}", "has no attribute 'nam'"),
        ("{{ ''.__class__.__mro__ }}", "sandbox refused"),
        ("{% include '_partials/missing.txt.j2' %}", "not found"),
    ],
)
def test_render_error_names_template_and_line(bank_copy: Path, broken: str, expected: str) -> None:
    target = bank_copy / "en" / "_partials" / "greeting.txt.j2"
    lines = target.read_text(encoding="utf-8").splitlines()
    lines.insert(2, broken)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bank = Phrasebank.load(bank_copy)
    with pytest.raises(TemplateError) as caught:
        render_draft(bank, _request("en"))
    assert caught.value.template == "en/_partials/greeting.txt.j2"
    assert caught.value.line == 3
    assert expected in str(caught.value)


def test_broken_template_leaves_the_message_with_the_error(bank_copy: Path) -> None:
    target = bank_copy / "en" / "refund.txt.j2"
    target.write_text(
        target.read_text(encoding="utf-8").replace("{{ specifics }}", "{{ specifix }}"), encoding="utf-8"
    )
    bank = Phrasebank.load(bank_copy)
    options = DraftOptions(mailbox=SAMPLE_MAILBOX, language="en")
    reply = propose(bank, "m.eml", b"I want my money back", options, Steps(classify=fixed_intent("refund")))
    assert reply.draft is None
    assert reply.error is not None and reply.error.startswith("en/refund.txt.j2:")
    assert "specifix" in reply.error


def test_brand_signature_replaces_the_default(bank_copy: Path) -> None:
    partial = bank_copy / "en" / "_partials" / "signature_acme.txt.j2"
    partial.write_text("The ACME team\n{{ mailbox.address }}\n", encoding="utf-8")
    bank = Phrasebank.load(bank_copy)
    box = MailboxIdentity("ACME Support", "help@acme.example", signature="acme")
    branded = render_draft(bank, _request("en", mailbox=box))
    assert branded.text.endswith("Kind regards,\nThe ACME team\nhelp@acme.example")
    plain = render_draft(bank, _request("en", mailbox=replace(box, signature="other-brand")))
    assert plain.text.endswith("Kind regards,\nACME Support")


# -- settings file --------------------------------------------------------------------------


def test_bad_date_placeholder_is_a_config_error_with_line(bank_copy: Path) -> None:
    settings = bank_copy / "phrasebank.toml"
    text = settings.read_text(encoding="utf-8").replace(
        'date_format = "{dd}.{mm}.{year}."', 'date_format = "{dag}"'
    )
    settings.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        Phrasebank.load(bank_copy)
    assert caught.value.key == "languages.lv.date_format"
    assert caught.value.line == text.splitlines().index('date_format = "{dag}"') + 1


def test_language_without_settings_table_is_refused(bank_copy: Path) -> None:
    with pytest.raises(ConfigError, match=r"no \[languages\.de\] table"):
        Phrasebank.load(bank_copy, ("en", "de"))


# -- conciseness ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "words"),
    [
        ("Thank you for your message.", "en", 5),
        ("Order 48213, EUR 49.95!", "en", 4),
        ("ขอบคุณที่ติดต่อเรา", "th", 4),
        ("", "nl", 0),
    ],
)
def test_count_words(text: str, language: str, words: int) -> None:
    assert count_words(text, language) == words


@pytest.mark.parametrize(("words", "limit", "fires"), [(10, 10, False), (11, 10, True), (500, None, False)])
def test_word_limit_finding(words: int, limit: int | None, fires: bool) -> None:
    body = " ".join(["word"] * words)
    findings = word_limit_findings(body, language="en", channel="email", limit=limit)
    assert bool(findings) is fires
    if fires:
        assert findings[0].category == "length"
        assert findings[0].severity is Severity.WARNING
        assert (findings[0].start, findings[0].end) == (0, len(body))


def test_long_draft_gets_finding_but_quote_does_not_count(bank_copy: Path) -> None:
    settings = bank_copy / "phrasebank.toml"
    text = settings.read_text(encoding="utf-8").replace("email = 120", "email = 40", 1)
    settings.write_text(text, encoding="utf-8")
    bank = Phrasebank.load(bank_copy)
    request = _request("en")
    findings = draft_length_findings(bank, request, render_draft(bank, request))
    assert [f.rule for f in findings] == ["phrasebank.word_limit"]
    normal = Phrasebank.load(ROOT)
    quoted = _request("en", quote=True, new_text="very long message " * 200)
    assert draft_length_findings(normal, quoted, render_draft(normal, quoted)) == []


# -- service: inputs to requests ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "is_mail"),
    [
        (b"From: a@b.nl\nSubject: Hi\n\nBody", True),
        (b"Subject: Hi\r\nDate: Tue, 3 Mar 2026 10:00:00 +0100\r\n\r\nBody", True),
        (b"Hello, where is my order 48213?", False),
        (b"Note: this is plain text\n\nwith a colon", False),
        (b"", False),
    ],
)
def test_looks_like_rfc822(raw: bytes, is_mail: bool) -> None:
    assert looks_like_rfc822(raw) is is_mail


def test_build_request_from_mail() -> None:
    raw = (
        b'From: "VRIES, JAN DE" <jan@example.nl>\nSubject: Antw: Bestelling 48213\n'
        b"Date: Tue, 3 Mar 2026 10:00:00 +0100\nContent-Type: text/plain; charset=utf-8\n\n"
        b"Waar is mijn pakket?\n"
    )
    seen: list[tuple[str, str]] = []

    def classify(text: str, subject: str, language: str) -> str:
        seen.append((subject, language))
        return "delivery"

    options = DraftOptions(mailbox=SAMPLE_MAILBOX, now=lambda: datetime(2030, 1, 1, tzinfo=UTC))
    steps = Steps(classify=classify, detect=lambda text: ("nl", 0.9))
    request = build_request(raw, options, steps)
    assert (request.language, request.intent, request.customer_name) == ("nl", "delivery", "VRIES, JAN DE")
    assert request.received_at == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    assert "Waar is mijn pakket?" in request.new_text
    assert seen == [("Antw: Bestelling 48213", "nl")]


def test_build_request_from_plain_text_uses_now_and_fixed_language() -> None:
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    options = DraftOptions(mailbox=SAMPLE_MAILBOX, language="lv", now=lambda: now)
    request = build_request("Kur ir mana pakа?".encode(), options, Steps(classify=fixed_intent("other")))
    assert (request.language, request.intent, request.received_at, request.subject) == (
        "lv",
        "other",
        now,
        "",
    )


def test_draft_command_takes_the_intent_from_the_trained_model(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from mailbot.cli import cli
    from mailbot.nlp.intents import IntentModel, IntentModelError

    root = Path(__file__).resolve().parents[1]
    try:
        IntentModel.load(root / "models" / "intents")
    except IntentModelError:
        pytest.skip("no trained intent model here (scripts/setup trains one)")
    message = tmp_path / "refund.eml"
    message.write_text(
        "From: Ann <ann@example.com>\nSubject: Refund please\n\nI returned the shoes from order 12345 two "
        "weeks ago and still have not received my money back. Please refund the 89.95 EUR to my card.\n"
    )
    result = CliRunner().invoke(
        cli, ["--config", str(root / "config.example.toml"), "draft", str(message), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    reply = json.loads(result.output)
    assert (reply["intent"], reply["template"]) == ("refund", "en/refund.txt.j2")
    assert "12345" in reply["text"]
    fixed = CliRunner().invoke(
        cli,
        [
            "--config",
            str(root / "config.example.toml"),
            "draft",
            str(message),
            "--intent",
            "billing",
            "--format",
            "json",
        ],
    )
    assert json.loads(fixed.output)["intent"] == "billing"
