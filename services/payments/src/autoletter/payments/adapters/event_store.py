"""Stored Stripe events: inserted once by event id, claimed in order per customer by the processor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.payments.adapters.tables import stripe_events
from autoletter.runtime import tracing

PENDING, DONE, FAILED = "pending", "done", "failed"


@dataclass(frozen=True)
class StoredEvent:
    event_id: str
    type: str
    stripe_created: datetime
    customer_key: str
    payload: dict[str, Any]
    attempts: int
    trace: dict[str, str] | None = None


async def store(
    session: AsyncSession,
    *,
    event_id: str,
    event_type: str,
    created: datetime,
    customer_key: str,
    payload: dict[str, Any],
    now: datetime,
) -> bool:
    """True when the event is new; a redelivery (even a concurrent one) hits the primary key."""
    stmt = (
        insert(stripe_events)
        .values(
            event_id=event_id,
            type=event_type,
            stripe_created=created,
            customer_key=customer_key,
            payload=payload,
            received_at=now,
            next_attempt_at=now,
            trace=tracing.capture() or None,
        )
        .on_conflict_do_nothing(index_elements=[stripe_events.c.event_id])
        .returning(stripe_events.c.event_id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


# The head of each customer's queue only: an event waits while an older one of the same customer is
# pending (even one waiting for its retry), and SKIP LOCKED lets other workers take other customers.
_CLAIM = text(
    """
    SELECT e.event_id, e.type, e.stripe_created, e.customer_key, e.payload, e.attempts, e.trace
    FROM stripe_events e
    WHERE e.state = 'pending' AND e.next_attempt_at <= :now
      AND NOT EXISTS (
        SELECT 1 FROM stripe_events o
        WHERE o.customer_key = e.customer_key AND o.state = 'pending'
          AND (o.stripe_created, o.seq) < (e.stripe_created, e.seq)
      )
    ORDER BY e.stripe_created, e.seq
    LIMIT 1
    FOR UPDATE SKIP LOCKED
    """
)


async def claim(session: AsyncSession, now: datetime) -> StoredEvent | None:
    """Lock the oldest due event at the head of its customer's queue, for this transaction."""
    row = (await session.execute(_CLAIM, {"now": now})).one_or_none()
    if row is None:
        return None
    return StoredEvent(
        row.event_id, row.type, row.stripe_created, row.customer_key, row.payload, row.attempts, row.trace
    )


async def finish(session: AsyncSession, event_id: str, outcome: str, now: datetime) -> None:
    """Processed: keep the id (deduplication) and the outcome, drop the body."""
    await session.execute(
        update(stripe_events)
        .where(stripe_events.c.event_id == event_id)
        .values(state=DONE, outcome=outcome, processed_at=now, payload=None, last_error=None)
    )


async def postpone(
    session: AsyncSession,
    event_id: str,
    *,
    attempts: int,
    error: str,
    now: datetime,
    max_attempts: int,
    max_backoff_s: float,
) -> bool:
    """Count a failed attempt; back off, or give up after max_attempts. True when given up."""
    give_up = attempts >= max_attempts
    delay = min(2.0 ** min(attempts - 1, 30), max_backoff_s)  # outages retry without limit: no overflow
    await session.execute(
        update(stripe_events)
        .where(stripe_events.c.event_id == event_id, stripe_events.c.state == PENDING)
        .values(
            attempts=attempts,
            last_error=error[:1000],
            next_attempt_at=now + timedelta(seconds=delay),
            state=FAILED if give_up else PENDING,
            processed_at=now if give_up else None,
        )
    )
    return give_up
