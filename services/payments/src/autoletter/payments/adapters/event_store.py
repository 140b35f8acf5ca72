"""Stored Stripe events: inserted once by event id, claimed in order per customer by the processor."""

from __future__ import annotations

from collections.abc import Sequence
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


_STORE = (
    insert(stripe_events)
    .on_conflict_do_nothing(index_elements=[stripe_events.c.event_id])
    .returning(stripe_events.c.event_id)
)


@dataclass(frozen=True)
class NewEvent:
    """A verified Stripe event as received, with the trace context of the request that brought it."""

    event_id: str
    type: str
    created: datetime
    customer_key: str
    payload: dict[str, Any]
    trace: dict[str, str] | None = None


async def store_many(session: AsyncSession, events: Sequence[NewEvent], now: datetime) -> list[bool]:
    """Insert events in one statement; for each, True when it is new. A redelivery (even a concurrent
    one, or the same event twice in `events`) hits the primary key and is stored once."""
    rows = [
        {
            "event_id": e.event_id,
            "type": e.type,
            "stripe_created": e.created,
            "customer_key": e.customer_key,
            "payload": e.payload,
            "received_at": now,
            "next_attempt_at": now,
            "trace": e.trace,
        }
        for e in events
    ]
    # Executed with a list of rows: SQLAlchemy sends them as multi-row VALUES (insertmanyvalues) from
    # one cached compiled statement, whatever the group's size.
    result = await session.execute(_STORE, rows)
    inserted = set(result.scalars())
    new = []
    for e in events:  # the first of two copies in one group is the new one
        new.append(e.event_id in inserted)
        inserted.discard(e.event_id)
    return new


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
    """One event (see store_many), in the current trace context."""
    event = NewEvent(event_id, event_type, created, customer_key, payload, tracing.capture() or None)
    [new] = await store_many(session, [event], now)
    return new


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
