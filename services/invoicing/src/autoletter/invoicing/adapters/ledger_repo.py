"""Usage ledger and customers in the database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.invoicing.adapters.tables import customers, usage_lines
from autoletter.invoicing.domain.lines import Usage

#: asyncpg takes at most 32767 parameters per statement; a usage row has 10.
_CHUNK = 3000


def usage_row(usage: Usage, *, account_id: str, event_id: UUID, currency: str) -> dict[str, Any]:
    return {
        "letter_id": usage.letter_id,
        "account_id": account_id,
        "service": usage.service.value,
        "sent_at": usage.sent_at,
        "sheets": usage.sheets,
        "letter_cents": usage.letter_cents,
        "extra_sheet_cents": usage.extra_sheet_cents,
        "amount_cents": usage.amount_cents,
        "currency": currency,
        "event_id": event_id,
    }


async def insert_usage(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> Counter[str]:
    """Write usage lines in as few statements as possible; a letter already in the ledger (a
    re-published event with a new event id) is ignored by the primary key. Returns the lines
    written, by service."""
    written: Counter[str] = Counter()
    for start in range(0, len(rows), _CHUNK):
        stmt = insert(usage_lines).values(list(rows[start : start + _CHUNK])).on_conflict_do_nothing()
        for (service,) in await session.execute(stmt.returning(usage_lines.c.service)):
            written[service] += 1
    return written


async def save_customer(
    session: AsyncSession, account_id: str, stripe_customer_id: str, at: datetime
) -> None:
    stmt = insert(customers).values(
        account_id=account_id, stripe_customer_id=stripe_customer_id, updated_at=at
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["account_id"],
        set_={"stripe_customer_id": stmt.excluded.stripe_customer_id, "updated_at": stmt.excluded.updated_at},
    )
    await session.execute(stmt)


async def usage_summary(
    session: AsyncSession, account_id: str, start: datetime, end: datetime
) -> Sequence[Any]:
    """Per service: letters, sheets and amount sent in [start, end)."""
    u = usage_lines.c
    query = (
        select(
            u.service,
            func.count().label("letters"),
            func.sum(u.sheets).label("sheets"),
            func.sum(u.amount_cents).label("amount_cents"),
            func.count(u.invoice_id).label("billed_letters"),
        )
        .where(u.account_id == account_id, u.sent_at >= start, u.sent_at < end)
        .group_by(u.service)
    )
    return (await session.execute(query)).all()
