"""Invoices, their lines and the usage they bill, in the database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts.common import Service
from autoletter.invoicing.adapters.tables import customers, invoice_lines, invoices, usage_lines
from autoletter.invoicing.domain.invoice_state import UNFINISHED, InvoiceState
from autoletter.invoicing.domain.lines import InvoiceLine, Usage
from autoletter.invoicing.domain.period import Period


@dataclass(frozen=True)
class Candidate:
    """An account and service with unbilled usage for a close, and what it would cost."""

    account_id: str
    service: Service
    amount_cents: int
    stripe_customer_id: str | None


@dataclass(frozen=True)
class StoredLine:
    line_no: int
    key: str
    description: str
    amount_cents: int
    period: Period
    stripe_item_id: str | None


async def candidates(session: AsyncSession, period: Period) -> list[Candidate]:
    """Unbilled usage sent before the period's end, of account-services without an invoice for it."""
    u, i, c = usage_lines.c, invoices.c, customers.c
    has_invoice = exists().where(
        and_(i.account_id == u.account_id, i.service == u.service, i.period == str(period))
    )
    query = (
        select(u.account_id, u.service, func.sum(u.amount_cents).label("amount"), c.stripe_customer_id)
        .select_from(usage_lines.outerjoin(customers, c.account_id == u.account_id))
        .where(u.invoice_id.is_(None), u.sent_at < period.end, ~has_invoice)
        .group_by(u.account_id, u.service, c.stripe_customer_id)
        .order_by(u.account_id, u.service)
    )
    return [
        Candidate(r.account_id, Service(r.service), int(r.amount), r.stripe_customer_id)
        for r in await session.execute(query)
    ]


async def unfinished(session: AsyncSession, period: Period) -> list[UUID]:
    """Invoices of the period a previous close left before issuing them."""
    query = select(invoices.c.invoice_id).where(
        invoices.c.period == str(period), invoices.c.state.in_([s.value for s in UNFINISHED])
    )
    return list((await session.execute(query)).scalars())


async def take_usage(
    session: AsyncSession, invoice_id: UUID, account_id: str, service: Service, period: Period
) -> list[Usage]:
    """Put every unbilled line of the account-service sent before the period's end on the invoice."""
    u = usage_lines.c
    stmt = (
        update(usage_lines)
        .where(
            u.account_id == account_id,
            u.service == service.value,
            u.invoice_id.is_(None),
            u.sent_at < period.end,
        )
        .values(invoice_id=invoice_id)
        .returning(u.letter_id, u.sent_at, u.sheets, u.letter_cents, u.extra_sheet_cents)
    )
    return [
        Usage(r.letter_id, service, r.sent_at, r.sheets, r.letter_cents, r.extra_sheet_cents)
        for r in await session.execute(stmt)
    ]


async def insert_invoice(
    session: AsyncSession, row: Mapping[str, Any], lines: Sequence[InvoiceLine]
) -> list[StoredLine]:
    """Insert the invoice and its lines; the lines as stored (what lines_of would read back)."""
    await session.execute(invoices.insert().values(**row))
    await session.execute(
        invoice_lines.insert(),
        [
            {
                "invoice_id": row["invoice_id"],
                "line_no": n,
                "key": line.key,
                "description": line.description,
                "quantity": line.quantity,
                "unit_cents": line.unit_cents,
                "amount_cents": line.amount_cents,
                "period": str(line.period),
            }
            for n, line in enumerate(lines, start=1)
        ],
    )
    return [
        StoredLine(n, line.key, line.description, line.amount_cents, line.period, None)
        for n, line in enumerate(lines, start=1)
    ]


async def get(session: AsyncSession, invoice_id: UUID, *, for_update: bool = False) -> Any | None:
    query = select(invoices).where(invoices.c.invoice_id == invoice_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def lines_of(session: AsyncSession, invoice_id: UUID) -> list[StoredLine]:
    query = (
        select(invoice_lines)
        .where(invoice_lines.c.invoice_id == invoice_id)
        .order_by(invoice_lines.c.line_no)
    )
    return [
        StoredLine(r.line_no, r.key, r.description, r.amount_cents, Period.parse(r.period), r.stripe_item_id)
        for r in await session.execute(query)
    ]


async def set_values(session: AsyncSession, invoice_id: UUID, **values: Any) -> None:
    await session.execute(update(invoices).where(invoices.c.invoice_id == invoice_id).values(**values))


async def set_item_ids(session: AsyncSession, invoice_id: UUID, item_ids: Mapping[int, str]) -> None:
    for line_no, item_id in item_ids.items():
        await session.execute(
            update(invoice_lines)
            .where(invoice_lines.c.invoice_id == invoice_id, invoice_lines.c.line_no == line_no)
            .values(stripe_item_id=item_id)
        )


async def of_account(session: AsyncSession, account_id: str) -> Sequence[Any]:
    query = (
        select(invoices)
        .where(invoices.c.account_id == account_id)
        .order_by(invoices.c.period.desc(), invoices.c.service)
    )
    return (await session.execute(query)).all()


async def state_counts(session: AsyncSession) -> dict[str, int]:
    query = select(invoices.c.state, func.count()).group_by(invoices.c.state)
    counts = {s.value: 0 for s in InvoiceState}
    counts.update({state: n for state, n in await session.execute(query)})
    return counts


async def ledger_totals(session: AsyncSession) -> list[tuple[str, int, int]]:
    """Per service: usage lines, and unbilled amount."""
    u = usage_lines.c
    unbilled = func.coalesce(func.sum(u.amount_cents).filter(u.invoice_id.is_(None)), 0)
    query = select(u.service, func.count(), unbilled).group_by(u.service)
    return [(s, int(n), int(a)) for s, n, a in await session.execute(query)]
