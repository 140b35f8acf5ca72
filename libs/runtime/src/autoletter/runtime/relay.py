"""The outbox relay: claims unpublished rows by state, publishes them in commit order per account."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import weakref

from sqlalchemy import event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from autoletter.contracts import TOPICS
from autoletter.runtime import metrics
from autoletter.runtime.clock import Clock
from autoletter.runtime.db import lock_key
from autoletter.runtime.kafka import Producer, Record
from autoletter.runtime.outbox import STAGED
from autoletter.runtime.tables import outbox

log = logging.getLogger(__name__)

#: The relays running in this process: a commit that staged outbox rows wakes them, so a row is
#: published at once rather than after the next idle poll (which another replica's relay still does).
_running: weakref.WeakSet[OutboxRelay] = weakref.WeakSet()


@event.listens_for(Session, "after_commit")
def _wake_relays(session: Session) -> None:
    if session.info.pop(STAGED, False):
        for relay in _running:
            relay.wake()


@event.listens_for(Session, "after_rollback")
def _forget_staged(session: Session) -> None:
    session.info.pop(STAGED, None)


class OutboxRelay:
    """Safe to run in several instances: a shard is published by one relay at a time (advisory
    lock), its rows claimed with FOR UPDATE SKIP LOCKED in id order, never by 'id > last seen'."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        producer: Producer,
        *,
        service: str,
        topic_prefix: str,
        clock: Clock,
        batch_size: int = 500,
        idle_interval: float = 0.05,
        parallel_shards: int = 4,
    ) -> None:
        self._sessions = sessions
        self._producer = producer
        self._service = service
        self._prefix = topic_prefix
        self._clock = clock
        self._batch_size = batch_size
        self._idle = idle_interval
        self._parallel_shards = parallel_shards
        self._observed = 0.0
        self._stopping = asyncio.Event()
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Rows were committed: publish them now instead of at the next idle poll."""
        self._woken.set()

    async def run(self) -> None:
        """Publish until stopped; errors are logged and retried with backoff."""
        _running.add(self)
        try:
            await self._run()
        finally:
            _running.discard(self)

    async def _run(self) -> None:
        backoff = 0.1
        while not self._stopping.is_set():
            try:
                published = await self.publish_pending()
                backoff = 0.1
            except Exception:
                log.exception("outbox_relay_failed", extra={"service": self._service})
                metrics.OUTBOX_ERRORS.labels(self._service).inc()
                published = 0
                await self._sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            if not published:
                await self._sleep(self._idle, until=self._woken)
                self._woken.clear()

    def stop(self) -> None:
        self._stopping.set()
        self._woken.set()

    async def _sleep(self, seconds: float, until: asyncio.Event | None = None) -> None:
        """Sleep `seconds`, or less when stopped (or `until` is set)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for((until or self._stopping).wait(), seconds)

    async def publish_pending(self) -> int:
        """One pass over the shards that have unpublished rows; returns how many were published."""
        async with self._sessions() as session:
            shards = list(
                (
                    await session.scalars(
                        select(outbox.c.shard).where(outbox.c.published_at.is_(None)).distinct()
                    )
                ).all()
            )
            if time.monotonic() - self._observed >= 1.0:  # the gauges need not cost a query per pass
                await self._observe_backlog(session)
                self._observed = time.monotonic()
        random.shuffle(shards)  # several relays start on different shards
        # Shards are independent (an account never spans two), so they are published concurrently.
        limit = asyncio.Semaphore(self._parallel_shards)

        async def one(shard: int) -> int:
            async with limit:
                return await self._publish_shard(shard)

        return sum(await asyncio.gather(*(one(shard) for shard in shards)))

    async def _publish_shard(self, shard: int) -> int:
        async with self._sessions.begin() as session:
            key = lock_key("outbox-relay", str(shard))
            if not await session.scalar(select(func.pg_try_advisory_xact_lock(key))):
                return 0  # another relay has this shard right now
            rows = (
                await session.execute(
                    select(
                        outbox.c.id,
                        outbox.c.account_id,
                        outbox.c.topic,
                        outbox.c.event_type,
                        outbox.c.payload,
                        outbox.c.headers,
                    )
                    .where(outbox.c.published_at.is_(None), outbox.c.shard == shard)
                    .order_by(outbox.c.id)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            records: list[Record] = [
                (
                    TOPICS[r.topic].full_name(self._prefix),
                    r.payload,
                    r.account_id.encode(),
                    [(k, v.encode()) for k, v in r.headers.items()],
                )
                for r in rows
            ]
            await self._producer.send_all(records)
            await session.execute(
                update(outbox)
                .where(outbox.c.id.in_([r.id for r in rows]))
                .values(published_at=self._clock.now())
            )
        for r in rows:
            metrics.MESSAGES_PUBLISHED.labels(self._service, r.topic, r.event_type).inc()
        return len(rows)

    async def _observe_backlog(self, session: AsyncSession) -> None:
        # Age by the database's clock: created_at is the database's too.
        count, age = (
            await session.execute(
                select(func.count(), func.extract("epoch", func.now() - func.min(outbox.c.created_at))).where(
                    outbox.c.published_at.is_(None)
                )
            )
        ).one()
        metrics.OUTBOX_BACKLOG.labels(self._service).set(count)
        metrics.OUTBOX_OLDEST_AGE.labels(self._service).set(float(age or 0.0))
