"""How a failed message waits before its next try: the retry policy, and waiting out an outage
without losing the consumer's place in its group or committing past the message."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import Gauge
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from autoletter.runtime.failures import Failure


@dataclass(frozen=True)
class RetryPolicy:
    """How a failed message is retried in place (see `failures.Failure` for the kinds of failure).

    The message's own failures: `attempts` tries with exponential backoff, then the dead-letter topic.
    Outages and conflicts: retried without limit, the backoff capped at `outage_max_delay`.
    Statement or lock timeouts while the database answers: retried for `slow_limit` seconds, then
    dead-lettered with reason `statement_timeout`.
    """

    attempts: int = 5
    first_delay: float = 0.1
    max_delay: float = 5.0
    outage_max_delay: float = 30.0
    slow_limit: float = 300.0

    def delay(self, attempt: int) -> float:
        return float(min(self.first_delay * 2 ** (attempt - 1), self.max_delay))

    def outage_delay(self, attempt: int) -> float:
        return float(min(self.first_delay * 2 ** (attempt - 1), self.outage_max_delay))


class PartitionLost(Exception):
    """The partition was given to another consumer while its message waited: that one carries on."""


async def database_answers(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """The probe: SELECT 1 on the pool the handlers use."""
    try:
        async with sessions() as session:
            await asyncio.wait_for(session.execute(text("SELECT 1")), timeout=5)
        return True
    except asyncio.CancelledError:
        raise
    except Exception:
        return False


async def wait_out(
    consumer: AIOKafkaConsumer,
    tp: TopicPartition,
    kind: Failure,
    waits: int,
    retry: RetryPolicy,
    sessions: async_sessionmaker[AsyncSession],
    outage_seconds: Gauge,
) -> None:
    """Back off before the next try; during an outage, until the database answers again. The
    consumer's partitions stay paused meanwhile; PartitionLost when `tp` was taken away."""
    started = time.monotonic()
    delay = retry.outage_delay(waits)
    consumer.pause(*consumer.assignment())
    try:
        while True:
            await keep_membership(consumer, delay)
            if tp not in consumer.assignment():
                raise PartitionLost(str(tp))
            if kind is Failure.OUTAGE:
                outage_seconds.inc(time.monotonic() - started)
                started = time.monotonic()
            if kind is not Failure.OUTAGE or await database_answers(sessions):
                return
            waits += 1
            delay = retry.outage_delay(waits)
    finally:
        consumer.resume(*consumer.assignment())


async def keep_membership(consumer: AIOKafkaConsumer, seconds: float) -> None:
    """Wait while polling the (paused) consumer, so the group does not take it for dead. A partition
    assigned meanwhile is not paused yet: whatever it returns is rewound, never lost."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        consumer.pause(*consumer.assignment())
        fetched = await consumer.getmany(timeout_ms=max(int(min(left, 1.0) * 1000), 1))
        for tp, records in fetched.items():
            consumer.seek(tp, records[0].offset)
