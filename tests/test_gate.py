"""The compliance gate's rules, as a table."""

from __future__ import annotations

import pytest

from mailbot import gate
from mailbot.gate import DraftFacts, Role
from mailbot.model import DraftState as S

A, C, ADM = Role.AGENT, Role.COMPLIANCE, Role.ADMIN


def facts(
    state: S = S.DRAFT,
    text: str = "t",
    *,
    approved: str | None = None,
    ack: str | None = None,
    blockers: int = 0,
    warnings: int = 0,
    always: bool = False,
) -> DraftFacts:
    return DraftFacts(state, text, approved, ack, blockers, warnings, always)


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (facts(), S.DRAFT),
        (facts(blockers=1), S.NEEDS_APPROVAL),
        (facts(always=True), S.NEEDS_APPROVAL),
        (facts(S.APPROVED, "t", approved="t", blockers=1), S.APPROVED),  # approved text stays approved
        (facts(S.APPROVED, "t2", approved="t", blockers=1), S.NEEDS_APPROVAL),  # edit after approval
        (facts(S.APPROVED, "t2", approved="t"), S.DRAFT),  # edited and now clean
        (facts(S.NEEDS_APPROVAL), S.DRAFT),  # fixed by the agent
        (facts(warnings=3), S.DRAFT),  # warnings never block
    ],
)
def test_settled_state(f: DraftFacts, expected: S) -> None:
    assert gate.settled_state(f) is expected


@pytest.mark.parametrize("state", [S.SENDING, S.SENT, S.DISCARDED])
def test_final_states_do_not_change(state: S) -> None:
    with pytest.raises(gate.InvalidTransition):
        gate.settled_state(facts(state))
    with pytest.raises(gate.InvalidTransition):
        gate.check_edit(A, facts(state))
    with pytest.raises(gate.InvalidTransition):
        gate.check_send(A, facts(state))
    with pytest.raises(gate.InvalidTransition):
        gate.check_discard(A, facts(state))


@pytest.mark.parametrize(
    ("role", "f", "outcome"),
    [
        (A, facts(), "t"),
        (ADM, facts(), "t"),
        (C, facts(), gate.PermissionDenied),
        (A, facts(blockers=1), gate.InvalidTransition),
        (A, facts(S.NEEDS_APPROVAL, blockers=1), gate.InvalidTransition),
        (A, facts(always=True), gate.InvalidTransition),
        (A, facts(S.APPROVED, "t", approved="t", blockers=1, always=True), "t"),
        (A, facts(S.APPROVED, "t2", approved="t"), gate.InvalidTransition),
        (A, facts(warnings=1), gate.InvalidTransition),
        (A, facts(warnings=1, ack="older text"), gate.InvalidTransition),
        (A, facts(warnings=1, ack="t"), "t"),
    ],
)
def test_send(role: Role, f: DraftFacts, outcome: str | type[Exception]) -> None:
    if isinstance(outcome, str):
        assert gate.check_send(role, f) == outcome
    else:
        with pytest.raises(outcome):
            gate.check_send(role, f)


def test_only_compliance_approves_with_a_reason() -> None:
    pending = facts(S.NEEDS_APPROVAL, blockers=1)
    assert gate.check_approve(C, pending, "checked with legal") is S.APPROVED
    for role in (A, ADM):
        with pytest.raises(gate.PermissionDenied):
            gate.check_approve(role, pending, "ok")
    with pytest.raises(gate.GateError, match="reason"):
        gate.check_approve(C, pending, "  ")
    with pytest.raises(gate.InvalidTransition):
        gate.check_approve(C, facts(), "nothing to approve")


def test_return_needs_a_comment_and_a_reviewer() -> None:
    pending = facts(S.NEEDS_APPROVAL, blockers=1)
    assert gate.check_return(C, pending, "remove the promise") is S.DRAFT
    assert gate.check_return(C, facts(S.APPROVED, approved="t"), "on second thought") is S.DRAFT
    with pytest.raises(gate.GateError, match="comment"):
        gate.check_return(C, pending, "")
    with pytest.raises(gate.PermissionDenied):
        gate.check_return(A, pending, "x")
