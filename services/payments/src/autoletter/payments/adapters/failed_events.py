"""Stored Stripe events for an operator: list by state, read one, send a failed one back to work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.payments.adapters.event_store import FAILED, PENDING
from autoletter.payments.adapters.tables import stripe_events

_COLUMNS = (
    stripe_events.c.event_id,
    stripe_events.c.type,
    stripe_events.c.customer_key,
    stripe_events.c.state,
    stripe_events.c.outcome,
    stripe_events.c.attempts,
    stripe_events.c.last_error,
    stripe_events.c.stripe_created,
    stripe_events.c.received_at,
    stripe_events.c.processed_at,
)


@dataclass(frozen=True)
class EventRecord:
    """What an operator sees of one stored event (never its body: it may hold personal data)."""

    event_id: str
    type: str
    customer_key: str
    state: str
    outcome: str | None
    attempts: int
    last_error: str | None
    stripe_created: datetime
    received_at: datetime
    processed_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


async def by_state(session: AsyncSession, state: str, limit: int) -> list[EventRecord]:
    """Events in `state`, oldest first."""
    rows = await session.execute(
        select(*_COLUMNS)
        .where(stripe_events.c.state == state)
        .order_by(stripe_events.c.stripe_created, stripe_events.c.seq)
        .limit(limit)
    )
    return [EventRecord(**row._mapping) for row in rows]


async def one(session: AsyncSession, event_id: str) -> EventRecord | None:
    row = (await session.execute(select(*_COLUMNS).where(stripe_events.c.event_id == event_id))).one_or_none()
    return EventRecord(**row._mapping) if row is not None else None


async def replay(session: AsyncSession, event_id: str, now: datetime) -> bool:
    """A failed event becomes pending again with fresh attempts; False when it is not failed."""
    result = await session.execute(
        update(stripe_events)
        .where(stripe_events.c.event_id == event_id, stripe_events.c.state == FAILED)
        .values(state=PENDING, attempts=0, next_attempt_at=now, processed_at=None)
        .returning(stripe_events.c.event_id)
    )
    return result.scalar_one_or_none() is not None
