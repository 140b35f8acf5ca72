"""The letter table of DESIGN §5, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from autoletter.contracts.common import ServiceStatus
from autoletter.contracts.letters import LetterReason
from autoletter.contracts.payments import StatusReason
from autoletter.letters.domain import decisions
from autoletter.letters.domain.model import (
    Decision,
    HoldLimits,
    LetterNotHeld,
    LetterStatus,
    OpenLetter,
    StatusCopy,
)

NOW = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
LIMITS = HoldLimits()


def copy(
    status: ServiceStatus,
    reason: StatusReason = StatusReason.ACTIVATED,
    missing=None,
    previous: StatusCopy | None = None,
) -> StatusCopy:
    return decisions.status_copy(previous, status, reason, missing)


def held(seq: int, reason: LetterReason, since: datetime = NOW) -> OpenLetter:
    return OpenLetter(uuid4(), seq, LetterStatus.HELD, reason, since, since + LIMITS.for_reason(reason))


@pytest.mark.parametrize(
    ("status", "reason", "missing", "expected"),
    [
        (ServiceStatus.ACTIVE, StatusReason.ACTIVATED, None, Decision(LetterStatus.ACCEPTED, None)),
        (
            ServiceStatus.OVERDUE,
            StatusReason.INVOICE_FAILED,
            None,
            Decision(LetterStatus.HELD, LetterReason.SERVICE_OVERDUE),
        ),
        (
            ServiceStatus.BLOCKED,
            StatusReason.PROFILE_INCOMPLETE,
            ["email"],
            Decision(LetterStatus.HELD, LetterReason.PROFILE_INCOMPLETE),
        ),
        (
            ServiceStatus.BLOCKED,
            StatusReason.NO_PAYMENT_METHOD,
            None,
            Decision(LetterStatus.HELD, LetterReason.NO_PAYMENT_METHOD),
        ),
        (
            ServiceStatus.INACTIVE,
            StatusReason.DEACTIVATED,
            None,
            Decision(LetterStatus.REJECTED, LetterReason.SERVICE_INACTIVE),
        ),
    ],
)
def test_each_service_status_decides_a_new_letter_as_the_table_says(
    status, reason, missing, expected
) -> None:
    assert decisions.decide_new_letter(copy(status, reason, missing)) == expected


def test_a_letter_for_a_service_whose_status_is_unknown_waits_for_it() -> None:
    assert decisions.decide_new_letter(None) == Decision(LetterStatus.HELD, LetterReason.STATUS_PENDING)


def test_blocked_back_from_overdue_keeps_the_last_known_missing_prerequisite() -> None:
    first = copy(ServiceStatus.BLOCKED, StatusReason.PROFILE_INCOMPLETE, ["address"])
    overdue = copy(ServiceStatus.OVERDUE, StatusReason.INVOICE_FAILED, previous=first)
    settled = copy(ServiceStatus.BLOCKED, StatusReason.INVOICES_SETTLED, previous=overdue)
    assert settled.hold_reason is LetterReason.PROFILE_INCOMPLETE


def test_turning_active_releases_held_letters_in_arrival_order() -> None:
    letters = [
        held(7, LetterReason.SERVICE_OVERDUE),
        held(3, LetterReason.STATUS_PENDING),
        held(5, LetterReason.NO_PAYMENT_METHOD),
    ]
    transitions = decisions.on_status_changed(copy(ServiceStatus.ACTIVE), letters, NOW, LIMITS)
    by_seq = sorted(letters, key=lambda x: x.seq)
    assert [t.letter_id for t in transitions] == [x.letter_id for x in by_seq]
    assert {t.status for t in transitions} == {LetterStatus.ACCEPTED}


def test_a_pending_letter_takes_the_reason_of_the_status_that_arrives_and_the_long_limit() -> None:
    letter = held(1, LetterReason.STATUS_PENDING)
    [t] = decisions.on_status_changed(
        copy(ServiceStatus.OVERDUE), [letter], NOW + timedelta(minutes=1), LIMITS
    )
    assert (t.status, t.reason) == (LetterStatus.HELD, LetterReason.SERVICE_OVERDUE)
    assert t.hold_expires_at == NOW + timedelta(days=30)


def test_deactivation_rejects_pending_letters_and_lets_other_held_letters_expire_as_usual() -> None:
    pending, overdue = held(1, LetterReason.STATUS_PENDING), held(2, LetterReason.SERVICE_OVERDUE)
    transitions = decisions.on_status_changed(copy(ServiceStatus.INACTIVE), [pending, overdue], NOW, LIMITS)
    assert [(t.letter_id, t.status, t.reason) for t in transitions] == [
        (pending.letter_id, LetterStatus.REJECTED, LetterReason.SERVICE_INACTIVE)
    ]


def test_an_accepted_letter_not_yet_sent_is_held_again_when_the_service_stops_being_active() -> None:
    accepted = OpenLetter(uuid4(), 1, LetterStatus.ACCEPTED, None)
    [t] = decisions.on_status_changed(copy(ServiceStatus.OVERDUE), [accepted], NOW, LIMITS)
    assert (t.status, t.reason, t.held_since) == (LetterStatus.HELD, LetterReason.SERVICE_OVERDUE, NOW)
    assert not decisions.may_dispatch(copy(ServiceStatus.OVERDUE), accepted)


def test_held_letters_expire_after_their_limit_and_not_before() -> None:
    pending, overdue = held(1, LetterReason.STATUS_PENDING), held(2, LetterReason.SERVICE_OVERDUE)
    assert decisions.expire([pending, overdue], NOW + timedelta(minutes=9)) == []
    [t] = decisions.expire([pending, overdue], NOW + timedelta(minutes=10))
    assert (t.letter_id, t.status, t.reason) == (
        pending.letter_id,
        LetterStatus.EXPIRED,
        LetterReason.HOLD_EXPIRED,
    )
    assert len(decisions.expire([overdue], NOW + timedelta(days=30))) == 1


def test_only_a_held_letter_can_be_cancelled() -> None:
    letter = held(1, LetterReason.SERVICE_OVERDUE)
    assert decisions.cancel(letter).status is LetterStatus.CANCELLED
    with pytest.raises(LetterNotHeld):
        decisions.cancel(OpenLetter(uuid4(), 2, LetterStatus.ACCEPTED, None))
