"""Usage ledger and customers in the database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.invoicing.adapters.tables import customers, invoices, usage_lines
from autoletter.runtime import bulk


async def insert_usage(session: AsyncSession, columns: Mapping[str, Sequence[Any]]) -> Counter[str]:
    """Write usage lines in one statement, given each column's values (one array parameter each); a
    letter already in the ledger (a re-published event with a new event id) is ignored by the primary
    key. Returns the lines written, by service."""
    if not columns["letter_id"]:
        return Counter()
    result = await bulk.insert_rows(
        session, usage_lines, columns, on_conflict="(letter_id) DO NOTHING", returning=("service",)
    )
    return Counter(service for (service,) in result)


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


async def charge_of(session: AsyncSession, account_id: str, letter_id: UUID) -> Any | None:
    """One letter's usage line with the invoice it is on, if any; None until the letter is recorded."""
    u, i = usage_lines.c, invoices.c
    query = (
        select(
            u.letter_id,
            u.service,
            u.sent_at,
            u.sheets,
            u.letter_cents,
            u.extra_sheet_cents,
            u.amount_cents,
            u.currency,
            u.invoice_id,
            i.period.label("invoice_period"),
            i.state.label("invoice_state"),
        )
        .select_from(usage_lines.outerjoin(invoices, i.invoice_id == u.invoice_id))
        .where(u.account_id == account_id, u.letter_id == letter_id)
    )
    return (await session.execute(query)).one_or_none()
