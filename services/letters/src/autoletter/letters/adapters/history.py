"""A letter's history: one row per transition, written in the transaction that makes it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.letters.adapters.tables import Record, letter_transitions

#: (letter, status, reason, when)
Entry = tuple[UUID, str, str | None, datetime]


async def record(session: AsyncSession, entries: Sequence[Entry]) -> None:
    """Append transitions in the given order (one round trip)."""
    if entries:
        await session.execute(
            letter_transitions.insert(),
            [{"letter_id": i, "status": s, "reason": r, "at": at} for i, s, r, at in entries],
        )


async def of_letter(session: AsyncSession, letter_id: UUID) -> list[Record]:
    """The letter's transitions, oldest first."""
    return list(
        (
            await session.execute(
                select(letter_transitions.c.status, letter_transitions.c.reason, letter_transitions.c.at)
                .where(letter_transitions.c.letter_id == letter_id)
                .order_by(letter_transitions.c.seq)
            )
        ).all()
    )
