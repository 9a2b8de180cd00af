"""Conciseness: a draft longer than its channel's word limit gets a finding.

A reply an agent can send "after a quick read" must be short. The limit is
per channel (``[word_limits]`` in phrasebank.toml, 120 words for e-mail by
default) and may be overridden per language. Quoted customer text does not
count: it is the customer's length, not ours.

Words are counted exactly as the wording rules count them
(:func:`mailbot.nlp.tokens.tokenize`: words and numbers, no punctuation), so
Thai, which writes no spaces between words, is counted in dictionary words.
"""

from __future__ import annotations

from mailbot.drafting import DraftRequest, Phrasebank, quote_block, wants_quote
from mailbot.model import DraftText, Finding, Severity
from mailbot.nlp.tokens import tokenize

RULE_ID = "phrasebank.word_limit"
CATEGORY = "length"


def count_words(text: str, language: str) -> int:
    """Number of words in ``text`` as the wording rules count them."""
    return sum(1 for token in tokenize(text, language) if token.is_word)


def word_limit_findings(body: str, *, language: str, channel: str, limit: int | None) -> list[Finding]:
    """One ``length`` warning spanning the draft when ``body`` has more than ``limit`` words."""
    if limit is None:
        return []
    words = count_words(body, language)
    if words <= limit:
        return []
    return [
        Finding(
            rule=RULE_ID,
            category=CATEGORY,
            severity=Severity.WARNING,
            start=0,
            end=len(body),
            text=body,
            message=f"the draft has {words} words; the limit for {channel} in {language} is {limit}",
            suggestions=("Shorten the draft, or split the answer into the most important point first.",),
        )
    ]


def draft_length_findings(phrasebank: Phrasebank, request: DraftRequest, draft: DraftText) -> list[Finding]:
    """The word-limit finding for a rendered draft, leaving a trailing quote out of the count."""
    body = draft.text
    quote = quote_block(request.new_text)
    if wants_quote(phrasebank, request) and body.endswith(quote):
        body = body[: -len(quote)].rstrip()
        body = body.rpartition("\n")[0].rstrip()  # the "On ..., X wrote:" line above the quote
    limit = phrasebank.settings.word_limit(draft.language, request.channel.value)
    return word_limit_findings(body, language=draft.language, channel=request.channel.value, limit=limit)
