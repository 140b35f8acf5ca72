"""Values of the letter domain: statuses, letters still in play, and letters' copy of a service status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from autoletter.contracts.common import ServiceStatus
from autoletter.contracts.letters import LetterReason


class LetterStatus(StrEnum):
    """Where a letter stands. `accepted` means decided to go out; the dispatcher makes it `sent`."""

    HELD = "held"
    ACCEPTED = "accepted"
    SENT = "sent"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


#: Letters whose fate may still change when the service status changes.
OPEN_STATUSES = frozenset({LetterStatus.HELD, LetterStatus.ACCEPTED})


@dataclass(frozen=True)
class StatusCopy:
    """Letters' own copy of one service's status for one account (learned from ServiceStatusChanged).

    `hold_reason` is the letter reason given to letters held under this status; `block_reason`
    remembers the last known cause of `blocked`, because a later event (e.g. `invoices_settled`
    back into `blocked`) may not repeat it.
    """

    status: ServiceStatus
    hold_reason: LetterReason | None
    block_reason: LetterReason | None = None


@dataclass(frozen=True)
class HoldLimits:
    """How long a letter may stay held before it expires."""

    default: timedelta = timedelta(days=30)
    status_pending: timedelta = timedelta(minutes=10)

    def for_reason(self, reason: LetterReason | None) -> timedelta:
        return self.status_pending if reason is LetterReason.STATUS_PENDING else self.default


@dataclass(frozen=True)
class OpenLetter:
    """A held or accepted letter, as much of it as decisions need. `seq` is its arrival order."""

    letter_id: UUID
    seq: int
    status: LetterStatus
    reason: LetterReason | None
    held_since: datetime | None = None
    hold_expires_at: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """The fate of a new letter."""

    status: LetterStatus
    reason: LetterReason | None


@dataclass(frozen=True)
class Transition:
    """A letter moving to a new status (or a held letter getting a new reason)."""

    letter_id: UUID
    status: LetterStatus
    reason: LetterReason | None
    held_since: datetime | None = None
    hold_expires_at: datetime | None = None


class LetterNotHeld(Exception):
    """Only a held letter can be cancelled."""

    def __init__(self, status: LetterStatus) -> None:
        super().__init__(f"the letter is {status.value}; only a held letter can be cancelled")
        self.status = status
