"""Recovery invoices in invoicing's schema: requested by a lost dispute, driven to issued by a worker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.invoicing.adapters.tables import recovery_invoices
from autoletter.invoicing.domain.invoice_state import InvoiceState


async def request(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Record the recovery of one dispute; False when it was recorded already (one per dispute)."""
    stmt = insert(recovery_invoices).values(**row).on_conflict_do_nothing(index_elements=["dispute_id"])
    return bool((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]


async def unfinished(session: AsyncSession) -> list[UUID]:
    """Recoveries not yet issued in Stripe (new, or left by a crash)."""
    query = select(recovery_invoices.c.invoice_id).where(
        recovery_invoices.c.state == InvoiceState.DRAFT.value
    )
    return list((await session.execute(query)).scalars())


async def get(session: AsyncSession, invoice_id: UUID, *, for_update: bool = False) -> Any | None:
    query = select(recovery_invoices).where(recovery_invoices.c.invoice_id == invoice_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def set_values(session: AsyncSession, invoice_id: UUID, **values: Any) -> None:
    await session.execute(
        update(recovery_invoices).where(recovery_invoices.c.invoice_id == invoice_id).values(**values)
    )


async def of_account(session: AsyncSession, account_id: str) -> Sequence[Any]:
    query = (
        select(recovery_invoices)
        .where(recovery_invoices.c.account_id == account_id)
        .order_by(recovery_invoices.c.created_at)
    )
    return (await session.execute(query)).all()
