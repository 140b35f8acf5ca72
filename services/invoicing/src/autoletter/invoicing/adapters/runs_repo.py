"""Billing runs: one row per requested close; a running run whose lease lapsed reads as interrupted."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, case, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.invoicing.adapters.tables import billing_runs, close_leases
from autoletter.invoicing.domain.runs import RunStatus

#: A run's process died when its lease lapsed: it shows as interrupted until the next taker resumes.
_LEASE_HELD = exists().where(
    close_leases.c.run_id == billing_runs.c.run_id, close_leases.c.lease_until >= func.now()
)
_STATUS = case(
    (and_(billing_runs.c.status == RunStatus.RUNNING, ~_LEASE_HELD), RunStatus.INTERRUPTED.value),
    else_=billing_runs.c.status,
).label("status")


async def create(
    session: AsyncSession, run_id: UUID, period: str, trigger: str, requested_by: str | None, at: datetime
) -> None:
    await session.execute(
        billing_runs.insert().values(
            run_id=run_id,
            period=period,
            status=RunStatus.PENDING,
            trigger=trigger,
            requested_by=requested_by,
            created_at=at,
        )
    )


async def set_values(session: AsyncSession, run_id: UUID, **values: Any) -> None:
    await session.execute(update(billing_runs).where(billing_runs.c.run_id == run_id).values(**values))


async def get(session: AsyncSession, run_id: UUID) -> Any | None:
    columns = [c for c in billing_runs.c if c.name != "status"]
    query = select(*columns, _STATUS).where(billing_runs.c.run_id == run_id)
    return (await session.execute(query)).first()


async def mark_interrupted(session: AsyncSession, run_id: UUID, resumed_by: UUID, at: datetime) -> None:
    """The run whose lapsed lease another run took: stopped, and resumed by that run."""
    await session.execute(
        update(billing_runs)
        .where(billing_runs.c.run_id == run_id, billing_runs.c.status == RunStatus.RUNNING)
        .values(
            status=RunStatus.INTERRUPTED,
            finished_at=at,
            error=f"its process stopped renewing the lease; resumed by run {resumed_by}",
        )
    )


async def completed(session: AsyncSession, period: str) -> bool:
    query = select(func.count()).where(
        billing_runs.c.period == period, billing_runs.c.status == RunStatus.COMPLETED
    )
    return bool(await session.scalar(query))
