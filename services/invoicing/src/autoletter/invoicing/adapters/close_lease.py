"""The close's lease (DESIGN §5): one row per period in this deployment's schema.

`lease_until` is on the database's wall clock (never the business clock, which a local run moves):
a run renews it every few seconds; another taker gets the period only once it lapsed
(`UPDATE … WHERE lease_until < now()`), so a dead process holds a period for seconds, not hours,
and a dropped connection cannot lose the lease silently as it did a session advisory lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_INSERT = text(
    """
    INSERT INTO close_leases (period, run_id, lease_until, taken_at)
    VALUES (:period, :run_id, now() + CAST(:ttl AS interval), now())
    ON CONFLICT (period) DO NOTHING
    RETURNING run_id
    """
)
# `old` is read from the statement's snapshot: it names the holder whose lease lapsed.
_TAKE_OVER = text(
    """
    UPDATE close_leases AS l
    SET run_id = :run_id, lease_until = now() + CAST(:ttl AS interval), taken_at = now()
    FROM close_leases AS old
    WHERE l.period = :period AND old.period = :period AND l.lease_until < now()
    RETURNING old.run_id
    """
)
_RENEW = text(
    """
    UPDATE close_leases SET lease_until = now() + CAST(:ttl AS interval)
    WHERE period = :period AND run_id = :run_id
    RETURNING run_id
    """
)
_RELEASE = text("DELETE FROM close_leases WHERE period = :period AND run_id = :run_id")


@dataclass(frozen=True)
class Taken:
    """Whether this run holds the period now, and the run whose lapsed lease it took over."""

    held: bool
    lapsed_run: UUID | None = None


async def take(session: AsyncSession, period: str, run_id: UUID, ttl: timedelta) -> Taken:
    params = {"period": period, "run_id": run_id, "ttl": ttl}
    if (await session.execute(_INSERT, params)).scalar_one_or_none() is not None:
        return Taken(held=True)
    previous = (await session.execute(_TAKE_OVER, params)).scalar_one_or_none()
    return Taken(held=True, lapsed_run=previous) if previous is not None else Taken(held=False)


async def renew(session: AsyncSession, period: str, run_id: UUID, ttl: timedelta) -> bool:
    """False when the lease is no longer this run's (it lapsed and another run took it)."""
    params = {"period": period, "run_id": run_id, "ttl": ttl}
    return (await session.execute(_RENEW, params)).scalar_one_or_none() is not None


async def release(session: AsyncSession, period: str, run_id: UUID) -> None:
    await session.execute(_RELEASE, {"period": period, "run_id": run_id})
