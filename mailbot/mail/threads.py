"""Which conversation a message belongs to (pure decision over candidates).

The store looks up candidates (a thread holding one of the Message-IDs the
message refers to; a recent thread with the same normalised subject and the
same customer); this module decides. References win over subjects because
they are explicit; the subject fallback exists for clients that drop
In-Reply-To, and is kept narrow (same customer, same mailbox, a recent
thread, a subject that says something) so two customers or two unrelated
"Question" mails never merge.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailbot.model import ThreadDecision

#: Subjects too generic to join threads by (after normalisation).
GENERIC_SUBJECTS = frozenset(
    {
        "",
        "question",
        "help",
        "hello",
        "hi",
        "info",
        "information",
        "vraag",
        "hallo",
        "jautājums",
        "sveiki",
        "labdien",
        "สอบถาม",
        "สวัสดี",
        "no subject",
        "(no subject)",
        "geen onderwerp",
    }
)


@dataclass(frozen=True)
class ThreadCandidates:
    """What the store found for a message."""

    by_reference: int | None
    by_subject: int | None
    by_customer: int | None = None


def decide_thread(subject_key: str, candidates: ThreadCandidates) -> ThreadDecision:
    """Join a referenced thread, else (letters) the customer's recent thread,
    else a same-subject thread, else start one."""
    if candidates.by_reference is not None:
        return ThreadDecision(candidates.by_reference, "references", subject_key)
    if candidates.by_customer is not None:
        return ThreadDecision(candidates.by_customer, "same customer (letter)", subject_key)
    if candidates.by_subject is not None and subject_key not in GENERIC_SUBJECTS:
        return ThreadDecision(candidates.by_subject, "subject and customer", subject_key)
    return ThreadDecision(None, "new conversation", subject_key)
