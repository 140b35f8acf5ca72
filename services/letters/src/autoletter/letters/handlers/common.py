"""What letters' handlers share: their dependencies, their unit of work and lock, the events of a
letter's transitions, and waking the dispatcher.

Every decision (an HTTP request, a SendLetter command, a status change, a cancellation, the expiry
sweep, the dispatcher) takes the account's lock first (`uow.lock(ACCOUNT_LOCK, account_id)`), so one
account's decisions never race, whatever replica runs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from autoletter.contracts import Envelope
from autoletter.contracts.letters import (
    LetterAccepted,
    LetterCancelled,
    LetterExpired,
    LetterHeld,
    LetterRejected,
)
from autoletter.letters.adapters.repository import LettersRepository
from autoletter.letters.domain.model import HoldLimits, LetterStatus, Transition
from autoletter.letters.handlers.requests import DocumentRules
from autoletter.runtime import tracing
from autoletter.runtime.notify import Channel
from autoletter.runtime.uow import UnitOfWork

#: Letters' unit of work (`SqlUnitOfWork[LettersRepository]`; `FakeUnitOfWork` in fast tests). Handlers
#: stamp a transition's rows and its events with one instant: they pass it as `occurred_at`.
LettersWork = UnitOfWork[LettersRepository]


#: The scope of the account lock every letters decision takes first.
ACCOUNT_LOCK = "letters"

_EVENTS: Mapping[LetterStatus, type[Envelope]] = {
    LetterStatus.HELD: LetterHeld,
    LetterStatus.ACCEPTED: LetterAccepted,
    LetterStatus.REJECTED: LetterRejected,
    LetterStatus.EXPIRED: LetterExpired,
    LetterStatus.CANCELLED: LetterCancelled,
}


@dataclass(frozen=True)
class LettersContext:
    """What the handlers need besides their unit of work: limits, and where to ring the dispatcher."""

    limits: HoldLimits
    rules: DocumentRules
    #: Rung when letters become accepted: wakes every replica's dispatcher once the transaction commits.
    accepted: Channel


async def ring_dispatcher(uow: LettersWork, ctx: LettersContext) -> None:
    """Wake every replica's dispatcher once this transaction commits (NOTIFY is delivered on commit)."""
    await uow.repos.notify_on_commit(ctx.accepted)


async def apply(
    uow: LettersWork,
    ctx: LettersContext,
    account_id: str,
    service: str,
    transitions: Sequence[Transition],
    correlations: Mapping[UUID, UUID],
    causation_id: UUID | None,
    now: datetime,
) -> None:
    """Write the transitions and stage their events; ring the dispatcher if any letter is accepted."""
    await uow.repos.apply(transitions, now)
    pairs = [
        (t, e)
        for t in transitions
        if (e := letter_event(uow, t, account_id, service, correlations.get(t.letter_id), causation_id, now))
    ]
    if pairs:
        # Each letter's events stay in its submission's trace, linked to what moved it now.
        stored = await uow.repos.traces([t.letter_id for t, _ in pairs])
        traces = {
            e.event_id: tracing.headers_in(
                stored.get(t.letter_id), f"letter {t.status.value}", {"letter_id": str(t.letter_id)}
            )
            for t, e in pairs
        }
        await uow.stage(*(e for _, e in pairs), traces=traces)
    if any(t.status is LetterStatus.ACCEPTED for t in transitions):
        await ring_dispatcher(uow, ctx)


def letter_event(
    uow: LettersWork,
    t: Transition,
    account_id: str,
    service: str,
    correlation_id: UUID | None,
    causation_id: UUID | None,
    now: datetime,
) -> Envelope | None:
    """The event announcing a transition (none for `sent`: the dispatcher announces LetterSent, with
    what it printed). Stamped with `now`, the time the transition is recorded with; in the letter's
    own flow (`correlation_id`, a new one when None), caused by `causation_id`."""
    cls = _EVENTS.get(t.status)
    if cls is None:
        return None
    payload: dict[str, object] = {"letter_id": t.letter_id, "service": service}
    if t.reason is not None:
        payload["reason"] = t.reason
    return uow.new_event(
        cls,
        account_id=account_id,
        occurred_at=now,
        correlation_id=correlation_id,
        causation_id=causation_id,
        **payload,
    )
