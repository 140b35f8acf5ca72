"""Billing runs (one row per requested close) and the period lock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from autoletter.invoicing.adapters.tables import billing_runs
from autoletter.runtime.db import advisory_key


@asynccontextmanager
async def period_lock(engine: AsyncEngine, period: str) -> AsyncIterator[bool]:
    """Try to hold the period's advisory lock for the block; yields False when another holds it.

    A session lock on its own autocommit connection: held across the whole close without keeping a
    transaction open, and released by PostgreSQL if this process dies.
    """
    key = advisory_key("invoicing-close", period)
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        got = bool(await conn.scalar(select(func.pg_try_advisory_lock(key))))
        try:
            yield got
        finally:
            if got:
                await conn.scalar(select(func.pg_advisory_unlock(key)))


async def create(
    session: AsyncSession, run_id: UUID, period: str, trigger: str, requested_by: str | None, at: datetime
) -> None:
    await session.execute(
        billing_runs.insert().values(
            run_id=run_id,
            period=period,
            status="pending",
            trigger=trigger,
            requested_by=requested_by,
            created_at=at,
        )
    )


async def set_values(session: AsyncSession, run_id: UUID, **values: Any) -> None:
    await session.execute(update(billing_runs).where(billing_runs.c.run_id == run_id).values(**values))


async def get(session: AsyncSession, run_id: UUID) -> Any | None:
    return (await session.execute(select(billing_runs).where(billing_runs.c.run_id == run_id))).first()


async def completed(session: AsyncSession, period: str) -> bool:
    query = select(func.count()).where(billing_runs.c.period == period, billing_runs.c.status == "completed")
    return bool(await session.scalar(query))
