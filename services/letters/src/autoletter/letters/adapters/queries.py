"""Read-side queries: letters as people see them, and the figures behind the gauges."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.letters.adapters.tables import Record, letters
from autoletter.letters.domain.model import LetterStatus

#: Columns a person may see (never the document).
VIEW_COLUMNS = (
    letters.c.letter_id,
    letters.c.seq,
    letters.c.account_id,
    letters.c.service,
    letters.c.status,
    letters.c.reason,
    letters.c.recipient,
    letters.c.destination_country,
    letters.c.pages,
    letters.c.sheets,
    letters.c.created_at,
    letters.c.updated_at,
    letters.c.hold_expires_at,
    letters.c.sent_at,
    letters.c.trace,
)


async def get_letter(session: AsyncSession, account_id: str, letter_id: UUID) -> Record | None:
    return (
        await session.execute(
            select(*VIEW_COLUMNS, letters.c.held_since, letters.c.correlation_id).where(
                letters.c.account_id == account_id, letters.c.letter_id == letter_id
            )
        )
    ).one_or_none()


async def list_letters(
    session: AsyncSession, account_id: str, *, status: str | None, before_seq: int | None, limit: int
) -> list[Record]:
    """Newest first; `before_seq` is the keyset cursor."""
    query = select(*VIEW_COLUMNS).where(letters.c.account_id == account_id)
    if status is not None:
        query = query.where(letters.c.status == status)
    if before_seq is not None:
        query = query.where(letters.c.seq < before_seq)
    return list((await session.execute(query.order_by(letters.c.seq.desc()).limit(limit))).all())


async def counts_by_status(session: AsyncSession) -> list[Record]:
    return list(
        (
            await session.execute(
                select(letters.c.service, letters.c.status, func.count()).group_by(
                    letters.c.service, letters.c.status
                )
            )
        ).all()
    )


async def oldest_held(session: AsyncSession) -> list[Record]:
    return list(
        (
            await session.execute(
                select(letters.c.service, func.min(letters.c.held_since))
                .where(letters.c.status == LetterStatus.HELD.value)
                .group_by(letters.c.service)
            )
        ).all()
    )
