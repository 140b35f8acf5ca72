"""The letter table of DESIGN §5 as functions: (status copy, letters) -> transitions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

from autoletter.contracts.common import ServiceStatus
from autoletter.contracts.letters import LetterReason
from autoletter.contracts.payments import StatusReason
from autoletter.letters.domain.model import (
    Decision,
    HoldLimits,
    LetterNotHeld,
    LetterStatus,
    OpenLetter,
    StatusCopy,
    Transition,
)

_BLOCK_REASONS: dict[str, LetterReason] = {
    StatusReason.PROFILE_INCOMPLETE: LetterReason.PROFILE_INCOMPLETE,
    StatusReason.NO_PAYMENT_METHOD: LetterReason.NO_PAYMENT_METHOD,
}


def status_copy(
    previous: StatusCopy | None,
    status: ServiceStatus,
    reason: StatusReason | str,
    missing: Sequence[str] | None,
) -> StatusCopy:
    """The copy after a ServiceStatusChanged, with the reason letters are held for under it."""
    block_reason = previous.block_reason if previous else None
    if missing:
        block_reason = LetterReason.PROFILE_INCOMPLETE
    elif reason in _BLOCK_REASONS:
        block_reason = _BLOCK_REASONS[reason]
    hold_reason: LetterReason | None
    if status is ServiceStatus.ACTIVE:
        hold_reason = None
    elif status is ServiceStatus.OVERDUE:
        hold_reason = LetterReason.SERVICE_OVERDUE
    elif status is ServiceStatus.INACTIVE:
        hold_reason = LetterReason.SERVICE_INACTIVE
    else:
        # `blocked` whose cause this event does not say (e.g. back from overdue): the last known
        # cause, else the payment method, which is the prerequisite most often missing.
        hold_reason = block_reason or LetterReason.NO_PAYMENT_METHOD
    return StatusCopy(status=status, hold_reason=hold_reason, block_reason=block_reason)


def decide_new_letter(copy: StatusCopy | None, *, document_found: bool = True) -> Decision:
    """A new letter: accepted, held (with the reason) or rejected, from letters' copy of the status.
    A letter whose referenced document cannot be found can never print: rejected whatever the status."""
    if not document_found:
        return Decision(LetterStatus.REJECTED, LetterReason.DOCUMENT_NOT_FOUND)
    if copy is None:
        return Decision(LetterStatus.HELD, LetterReason.STATUS_PENDING)
    if copy.status is ServiceStatus.ACTIVE:
        return Decision(LetterStatus.ACCEPTED, None)
    if copy.status is ServiceStatus.INACTIVE:
        return Decision(LetterStatus.REJECTED, LetterReason.SERVICE_INACTIVE)
    return Decision(LetterStatus.HELD, copy.hold_reason)


def hold(
    letter_id: UUID, reason: LetterReason | None, held_since: datetime, limits: HoldLimits
) -> Transition:
    """A letter entering (or staying in) `held`, with its expiry counted from `held_since`."""
    return Transition(
        letter_id=letter_id,
        status=LetterStatus.HELD,
        reason=reason,
        held_since=held_since,
        hold_expires_at=held_since + limits.for_reason(reason),
    )


def on_status_changed(
    copy: StatusCopy, letters: Iterable[OpenLetter], now: datetime, limits: HoldLimits
) -> list[Transition]:
    """What happens to a service's open letters when its status becomes `copy`, in arrival order.

    active: held letters are released (accepted) in arrival order.
    overdue/blocked: pending letters get their reason; accepted, not yet sent letters are held again,
    so nothing is sent while the service is not active.
    inactive: pending letters are rejected like a new letter would be; letters held for another
    reason stay held and expire as usual; accepted, not yet sent letters are held.
    """
    out: list[Transition] = []
    for letter in sorted(letters, key=lambda x: x.seq):
        if letter.status is LetterStatus.HELD:
            transition = _held_letter(copy, letter, limits)
        elif letter.status is LetterStatus.ACCEPTED and copy.status is not ServiceStatus.ACTIVE:
            transition = hold(letter.letter_id, copy.hold_reason, now, limits)
        else:
            transition = None
        if transition is not None:
            out.append(transition)
    return out


def _held_letter(copy: StatusCopy, letter: OpenLetter, limits: HoldLimits) -> Transition | None:
    if copy.status is ServiceStatus.ACTIVE:
        return Transition(letter.letter_id, LetterStatus.ACCEPTED, None)
    pending = letter.reason is LetterReason.STATUS_PENDING
    if copy.status is ServiceStatus.INACTIVE:
        if pending:
            return Transition(letter.letter_id, LetterStatus.REJECTED, LetterReason.SERVICE_INACTIVE)
        return None
    if letter.reason is copy.hold_reason:
        return None
    assert letter.held_since is not None, "a held letter knows since when"
    return hold(letter.letter_id, copy.hold_reason, letter.held_since, limits)


def may_dispatch(copy: StatusCopy | None, letter: OpenLetter) -> bool:
    """The last check before a letter goes out: accepted, and the service active in our copy."""
    return letter.status is LetterStatus.ACCEPTED and copy is not None and copy.status is ServiceStatus.ACTIVE


def expire(letters: Iterable[OpenLetter], now: datetime) -> list[Transition]:
    """Held letters past their hold limit expire, in arrival order."""
    return [
        Transition(letter.letter_id, LetterStatus.EXPIRED, LetterReason.HOLD_EXPIRED)
        for letter in sorted(letters, key=lambda x: x.seq)
        if letter.status is LetterStatus.HELD
        and letter.hold_expires_at is not None
        and letter.hold_expires_at <= now
    ]


def cancel(letter: OpenLetter) -> Transition:
    """Cancel a held letter; anything else is refused."""
    if letter.status is not LetterStatus.HELD:
        raise LetterNotHeld(letter.status)
    return Transition(letter.letter_id, LetterStatus.CANCELLED, letter.reason)
