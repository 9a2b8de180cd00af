"""The compliance gate: who may do what to a draft, and which state follows.

Pure rules over a snapshot of a draft (:class:`DraftFacts`); the service
layer (:mod:`mailbot.actions`) loads the snapshot, asks here, and writes the
result with an audit entry. Keeping the rules in one table-like module makes
them testable in isolation and readable by compliance.

- A blocking finding, or an intent whose policy says ``always_approve``,
  puts a draft in ``needs_approval``; only a compliance reviewer approves
  (with a reason) or returns it (with a comment).
- The text sent is exactly the text approved: any edit after approval drops
  the approval (the draft needs approval again if it still needs it).
- Warnings must be acknowledged by the agent for the exact text being sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mailbot.errors import MailbotError
from mailbot.model import DraftState


class Role(StrEnum):
    """What a person is allowed to do in mailbot."""

    AGENT = "agent"
    COMPLIANCE = "compliance"
    ADMIN = "admin"


class GateError(MailbotError):
    """An action on a draft was refused."""


class PermissionDenied(GateError):
    """The person's role does not allow the action."""


class InvalidTransition(GateError):
    """The draft is not in a state that allows the action."""


@dataclass(frozen=True)
class DraftFacts:
    """What the gate needs to know about a draft at this moment."""

    state: DraftState
    text: str
    approved_text: str | None
    acknowledged_text: str | None
    blockers: int
    warnings: int
    always_approve: bool


FINAL = frozenset({DraftState.SENDING, DraftState.SENT, DraftState.DISCARDED})
EDITORS = frozenset({Role.AGENT, Role.COMPLIANCE, Role.ADMIN})
SENDERS = frozenset({Role.AGENT, Role.ADMIN})
REVIEWERS = frozenset({Role.COMPLIANCE})


def _require(role: Role, allowed: frozenset[Role], action: str) -> None:
    if role not in allowed:
        names = " or ".join(sorted(r.value for r in allowed))
        raise PermissionDenied(f"only {names} may {action} (you are {role.value})")


def settled_state(facts: DraftFacts) -> DraftState:
    """The state a draft's text and findings call for (after drafting or an edit)."""
    if facts.state in FINAL:
        raise InvalidTransition(f"a {facts.state.value} draft cannot change")
    if facts.approved_text is not None and facts.text == facts.approved_text:
        return DraftState.APPROVED
    if facts.blockers or facts.always_approve:
        return DraftState.NEEDS_APPROVAL
    return DraftState.DRAFT


def check_edit(role: Role, facts: DraftFacts) -> None:
    _require(role, EDITORS, "edit a draft")
    if facts.state in FINAL:
        raise InvalidTransition(f"a {facts.state.value} draft cannot be edited")


def check_approve(role: Role, facts: DraftFacts, reason: str) -> DraftState:
    _require(role, REVIEWERS, "approve a draft")
    if facts.state is not DraftState.NEEDS_APPROVAL:
        raise InvalidTransition(
            f"only a draft that needs approval can be approved (it is {facts.state.value})"
        )
    if not reason.strip():
        raise GateError("an approval needs a reason")
    return DraftState.APPROVED


def check_return(role: Role, facts: DraftFacts, comment: str) -> DraftState:
    _require(role, REVIEWERS, "return a draft")
    if facts.state not in (DraftState.NEEDS_APPROVAL, DraftState.APPROVED):
        raise InvalidTransition(f"only a draft under review can be returned (it is {facts.state.value})")
    if not comment.strip():
        raise GateError("returning a draft needs a comment for the agent")
    return DraftState.DRAFT


def check_acknowledge(role: Role, facts: DraftFacts) -> None:
    _require(role, SENDERS, "acknowledge warnings")
    if facts.state in FINAL:
        raise InvalidTransition(f"a {facts.state.value} draft cannot change")


def check_send(role: Role, facts: DraftFacts) -> str:
    """Return the exact text to send, or refuse with the reason."""
    _require(role, SENDERS, "send a reply")
    if facts.state in FINAL:
        raise InvalidTransition(f"a {facts.state.value} draft cannot be sent")
    if facts.state is DraftState.APPROVED:
        if facts.text != facts.approved_text:
            raise InvalidTransition("the text changed after approval; it needs approval again")
        return facts.text
    if facts.state is DraftState.NEEDS_APPROVAL or facts.blockers or facts.always_approve:
        raise InvalidTransition("this draft needs a compliance reviewer's approval before it can be sent")
    if facts.warnings and facts.acknowledged_text != facts.text:
        raise InvalidTransition("acknowledge the warnings on this text before sending")
    return facts.text


def check_correct_intent(role: Role) -> None:
    """Agents triage; admins may too. Compliance reviews wording, not routing."""
    _require(role, SENDERS, "correct an intent")


def check_discard(role: Role, facts: DraftFacts) -> DraftState:
    _require(role, SENDERS, "discard a draft")
    if facts.state in FINAL:
        raise InvalidTransition(f"a {facts.state.value} draft cannot be discarded")
    return DraftState.DISCARDED
