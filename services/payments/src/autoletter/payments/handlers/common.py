"""What every handler shares: its dependencies, building events, and committing status changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts import Envelope, caused_by, new_event
from autoletter.contracts.payments import ServiceStatusChanged
from autoletter.payments.adapters import repository
from autoletter.payments.adapters.stripe_gateway import StripeGateway
from autoletter.payments.domain.status import AccountFacts, StatusChange
from autoletter.runtime import outbox
from autoletter.runtime.clock import Clock

E = TypeVar("E", bound=Envelope)

#: A cause: the message that caused an effect, or the correlation id of a new flow.
Cause = Envelope | UUID | None


@dataclass(frozen=True)
class Context:
    """The handlers' dependencies, wired once in bootstrap."""

    gateway: StripeGateway
    clock: Clock
    producer: str = "payments"


def stripe_correlation(event_id: str) -> UUID:
    """Everything one Stripe event causes shares a correlation id derived from the event id."""
    return uuid5(NAMESPACE_URL, f"stripe-event:{event_id}")


def make(ctx: Context, cls: type[E], account_id: str, cause: Cause, **payload: Any) -> E:
    """An event of payments, now: caused by a message, or starting a flow (a Stripe event's correlation)."""
    now = ctx.clock.now()
    if isinstance(cause, Envelope):
        return caused_by(cause, cls, producer=ctx.producer, occurred_at=now, **payload)
    return new_event(
        cls, account_id=account_id, producer=ctx.producer, occurred_at=now, correlation_id=cause, **payload
    )


def status_events(ctx: Context, account_id: str, changed: list[StatusChange], cause: Cause) -> list[Envelope]:
    return [
        make(
            ctx,
            ServiceStatusChanged,
            account_id,
            cause,
            service=c.service,
            status=c.status,
            previous_status=c.previous_status,
            reason=c.reason,
            missing=list(c.missing) if c.missing is not None else None,
        )
        for c in changed
    ]


async def commit_facts(
    session: AsyncSession,
    ctx: Context,
    account_id: str,
    after: AccountFacts,
    changed: list[StatusChange],
    cause: Cause,
    *other_events: Envelope,
) -> None:
    """Store the services' switches and derived statuses, and stage every event the cause produced."""
    await repository.save_services(session, account_id, after, changed, ctx.clock.now())
    await outbox.add(session, *other_events, *status_events(ctx, account_id, changed, cause))
