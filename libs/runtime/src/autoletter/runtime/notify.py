"""Wake-on-commit across replicas: NOTIFY a channel in a transaction (PostgreSQL delivers it only
if and when that transaction commits), LISTEN on it in every replica, and set a wake-up event."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from autoletter.runtime import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Channel:
    """A NOTIFY channel of one service's schema, and the event its listener sets."""

    name: str
    wake: asyncio.Event = field(default_factory=asyncio.Event, compare=False)

    @classmethod
    def of(cls, schema: str, purpose: str) -> Channel:
        """The channel `<schema>.<purpose>`: deployments sharing a database do not wake each other."""
        return cls(f"{db.check_schema_name(schema)}.{purpose}")

    async def notify_on_commit(self, session: AsyncSession) -> None:
        """Wake every listener once the session's transaction commits (nothing if it rolls back)."""
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": self.name})

    async def listen(self, engine: AsyncEngine, *, reconnect_s: float = 1.0) -> None:
        """Set `wake` on every NOTIFY, until cancelled; a lost connection is opened again."""
        while True:
            try:
                async with engine.connect() as conn:
                    try:
                        raw = await conn.get_raw_connection()
                        driver: Any = raw.driver_connection  # asyncpg's connection
                        lost = asyncio.Event()
                        driver.add_termination_listener(lambda _, lost=lost: lost.set())
                        await driver.add_listener(self.name, lambda *_: self.wake.set())
                        self.wake.set()  # catch up with what committed before we listened
                        await lost.wait()
                    finally:
                        await conn.invalidate()  # never hand a LISTENing connection back to the pool
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("listener_lost", extra={"channel": self.name}, exc_info=True)
            await asyncio.sleep(reconnect_s)
