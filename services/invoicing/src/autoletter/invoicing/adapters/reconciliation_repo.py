"""Invoicing's side of the reconciliation, its reports and its lease, in the database."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.invoicing.adapters.reconciliation_tables import reconciliation_reports
from autoletter.invoicing.adapters.tables import invoice_lines, invoices, usage_lines
from autoletter.invoicing.domain.period import Period
from autoletter.invoicing.domain.reconciliation import OurInvoice, UsageLine

#: A report keeps this many differences to show; the counts keep them all.
KEPT_DIFFERENCES = 200


async def usage_sent_in(session: AsyncSession, period: Period) -> list[UsageLine]:
    """The usage lines of letters sent in the period, and whether the invoice each points at exists."""
    u, i = usage_lines.c, invoices.c
    query = (
        select(u.letter_id, u.account_id, u.invoice_id, i.invoice_id.is_not(None).label("known"))
        .select_from(usage_lines.outerjoin(invoices, i.invoice_id == u.invoice_id))
        .where(u.sent_at >= period.start, u.sent_at < period.end)
    )
    return [
        UsageLine(str(r.letter_id), r.account_id, str(r.invoice_id) if r.invoice_id else None, bool(r.known))
        for r in await session.execute(query)
    ]


async def invoices_of(session: AsyncSession, period: Period) -> list[OurInvoice]:
    """Our invoices of the period, with what their lines and the usage they bill add up to."""
    i = invoices.c
    lines = (
        select(func.coalesce(func.sum(invoice_lines.c.amount_cents), 0))
        .where(invoice_lines.c.invoice_id == i.invoice_id)
        .scalar_subquery()
    )
    usage_cents = (
        select(func.coalesce(func.sum(usage_lines.c.amount_cents), 0))
        .where(usage_lines.c.invoice_id == i.invoice_id)
        .scalar_subquery()
    )
    usage_count = select(func.count()).where(usage_lines.c.invoice_id == i.invoice_id).scalar_subquery()
    query = (
        select(
            i.invoice_id,
            i.account_id,
            i.state,
            i.amount_cents,
            i.letters,
            i.stripe_invoice_id,
            lines.label("lines_cents"),
            usage_cents.label("usage_cents"),
            usage_count.label("usage_count"),
        )
        .where(i.period == str(period))
        .order_by(i.account_id, i.service)
    )
    return [
        OurInvoice(
            str(r.invoice_id),
            r.account_id,
            r.state,
            int(r.amount_cents),
            int(r.letters),
            r.stripe_invoice_id,
            int(r.lines_cents),
            int(r.usage_cents),
            int(r.usage_count),
        )
        for r in await session.execute(query)
    ]


async def recovery_invoices_of(session: AsyncSession, period: Period) -> list[OurInvoice]:
    """Recovery invoices of the period (a lost dispute's amount billed again): no letters, one line.

    Read by name, and only once their table exists, so this side works before and after the
    migration that adds them."""
    if (await session.execute(text("SELECT to_regclass('recovery_invoices')"))).scalar_one() is None:
        return []
    rows = await session.execute(
        text(
            "SELECT invoice_id, account_id, state, amount_cents, stripe_invoice_id"
            " FROM recovery_invoices WHERE period = :period"
        ),
        {"period": str(period)},
    )
    return [
        OurInvoice(
            str(r.invoice_id),
            r.account_id,
            r.state,
            int(r.amount_cents),
            0,
            r.stripe_invoice_id,
            int(r.amount_cents),
            0,
            0,
        )
        for r in rows
    ]


async def save_report(
    session: AsyncSession,
    period: Period,
    checked_at: datetime,
    settled: bool,
    differences: list[dict[str, str]],
) -> None:
    """Replace the period's report by this one."""
    values: dict[str, Any] = {
        "period": str(period),
        "checked_at": checked_at,
        "settled": settled,
        "counts": dict(Counter(d["kind"] for d in differences)),
        "differences": differences[:KEPT_DIFFERENCES],
    }
    statement = insert(reconciliation_reports).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["period"], set_={k: statement.excluded[k] for k in values if k != "period"}
        )
    )


async def report_of(session: AsyncSession, period: Period) -> dict[str, Any] | None:
    """The period's latest report as stored: when, whether settled, counts and the first differences."""
    r = reconciliation_reports.c
    found = (await session.execute(select(reconciliation_reports).where(r.period == str(period)))).first()
    return None if found is None else dict(found._mapping)


async def difference_counts(session: AsyncSession) -> Counter[str]:
    """Differences per kind over every period's latest report (what the gauge shows)."""
    total: Counter[str] = Counter()
    for (counts,) in await session.execute(select(reconciliation_reports.c.counts)):
        total.update({str(k): int(v) for k, v in counts.items()})
    return total


# The daily job's lease, as the close's (adapters/close_lease.py): on the database's wall clock.
_TAKE = text(
    """
    INSERT INTO reconciliation_leases (job, run_id, lease_until, taken_at)
    VALUES (:job, :run_id, now() + CAST(:ttl AS interval), now())
    ON CONFLICT (job) DO UPDATE
    SET run_id = excluded.run_id, lease_until = excluded.lease_until, taken_at = excluded.taken_at
    WHERE reconciliation_leases.lease_until < now()
    RETURNING run_id
    """
)
_RELEASE = text("DELETE FROM reconciliation_leases WHERE job = :job AND run_id = :run_id")


async def take_lease(session: AsyncSession, job: str, run_id: UUID, ttl: timedelta) -> bool:
    """True when this run holds the job now (nobody did, or the holder's lease lapsed)."""
    taken = await session.execute(_TAKE, {"job": job, "run_id": run_id, "ttl": ttl})
    return taken.scalar_one_or_none() is not None


async def release_lease(session: AsyncSession, job: str, run_id: UUID) -> None:
    await session.execute(_RELEASE, {"job": job, "run_id": run_id})
