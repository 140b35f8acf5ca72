"""Idempotent consumers: (consumer, event_id) recorded in the same transaction as the effect."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.runtime import bulk
from autoletter.runtime.tables import inbox


async def claim(session: AsyncSession, consumer: str, event_id: UUID) -> bool:
    """Record the event for this consumer; False when it was already processed (a redelivery)."""
    stmt = insert(inbox).values(consumer=consumer, event_id=event_id).on_conflict_do_nothing()
    result = await session.execute(stmt.returning(inbox.c.event_id))
    return result.first() is not None


async def claim_many(session: AsyncSession, consumer: str, event_ids: Iterable[UUID]) -> set[UUID]:
    """Record many events in one statement (one compiled form whatever the batch size); returns the
    ids that are new."""
    ids = list(dict.fromkeys(event_ids))
    if not ids:
        return set()
    result = await bulk.insert_rows(
        session,
        inbox,
        {"consumer": [consumer] * len(ids), "event_id": ids},
        on_conflict="DO NOTHING",
        returning=("event_id",),
    )
    return {row[0] for row in result}
