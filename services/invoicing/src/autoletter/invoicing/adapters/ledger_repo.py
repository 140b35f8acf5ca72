"""Usage ledger and customers in the database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import event, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from autoletter.invoicing import metrics
from autoletter.invoicing.adapters.tables import customers, usage_lines
from autoletter.invoicing.domain.lines import Usage

_PENDING = "invoicing.usage_rows"
_WRITTEN = "invoicing.usage_written"
#: asyncpg takes at most 32767 parameters per statement; a usage row has 10.
_CHUNK = 3000


def stage_usage(
    session: AsyncSession, usage: Usage, *, account_id: str, event_id: UUID, currency: str
) -> None:
    """Add a usage line to this transaction; all staged lines are written in ONE insert at commit.

    The consumer calls handlers one message at a time inside one transaction per batch; writing at
    commit turns a batch of 500 letters into one round trip. Duplicates (same letter id, e.g. a
    re-published event) are ignored by the primary key.
    """
    info = session.info
    if _PENDING not in info:
        info[_PENDING] = []
        event.listen(session.sync_session, "before_commit", _write_staged)
        event.listen(session.sync_session, "after_commit", _count_written)
    info[_PENDING].append(
        {
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
    )


def _write_staged(session: Session) -> None:
    rows: list[dict[str, Any]] = session.info.pop(_PENDING, [])
    written: Counter[str] = Counter()
    for start in range(0, len(rows), _CHUNK):
        stmt = insert(usage_lines).values(rows[start : start + _CHUNK]).on_conflict_do_nothing()
        for (service,) in session.execute(stmt.returning(usage_lines.c.service)):
            written[service] += 1
    session.info[_WRITTEN] = written


def _count_written(session: Session) -> None:
    for service, n in session.info.pop(_WRITTEN, Counter()).items():
        metrics.USAGE_LINES_RECORDED.labels(service).inc(n)


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
