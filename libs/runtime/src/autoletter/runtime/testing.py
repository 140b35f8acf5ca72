"""Helpers for tests against the real broker: read events back, publish, wait on a condition."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from autoletter.contracts import Envelope, UnknownEventType, decode, encode, headers_for


async def read_records(
    bootstrap: str,
    topic: str,
    *,
    count: int,
    timeout: float = 30.0,
    accept: Callable[[Any], bool] = lambda _: True,
) -> list[Any]:
    """Raw records of a topic from the beginning, until `count` accepted ones or the deadline."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    found: list[Any] = []
    try:
        deadline = time.monotonic() + timeout
        tps = await _partitions(bootstrap, topic)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        while len(found) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                found.extend(r for r in records if accept(r))
    finally:
        await consumer.stop()
    if len(found) < count:
        raise AssertionError(f"expected {count} records on {topic}, found {len(found)} in {timeout}s")
    return found


async def read_events(
    bootstrap: str, topic: str, *, account_id: str | None = None, count: int, timeout: float = 30.0
) -> list[Envelope]:
    """Decoded events of one account (or all), in partition order; fails after the deadline."""

    def mine(record: Any) -> bool:
        return account_id is None or record.key == account_id.encode()

    records = await read_records(bootstrap, topic, count=count, timeout=timeout, accept=mine)
    events = []
    for record in records:
        try:
            events.append(decode(record.value))
        except UnknownEventType:
            continue
    return events


async def publish(bootstrap: str, topic: str, *messages: Envelope) -> None:
    """Produce messages as a service's relay would (key = account id, envelope headers)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for m in messages:
            await producer.send_and_wait(topic, encode(m), key=m.account_id.encode(), headers=headers_for(m))
    finally:
        await producer.stop()


async def wait_for(
    predicate: Callable[[], Awaitable[bool]] | Callable[[], bool],
    timeout: float = 30.0,
    what: str = "condition",
) -> None:
    """Poll the predicate until it holds; fail with `what` after the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


async def read_all(bootstrap: str, topic: str, *, account_id: str | None = None) -> list[Envelope]:
    """Every event on the topic right now (up to the end offsets at the call), of one account or all."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = await _partitions(bootstrap, topic)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: list[Any] = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(r for r in batch if account_id is None or r.key == account_id.encode())
    finally:
        await consumer.stop()
    events = []
    for record in records:
        try:
            events.append(decode(record.value))
        except UnknownEventType:
            continue
    return events


async def _partitions(bootstrap: str, topic: str) -> list[TopicPartition]:
    """The topic's partitions from the cluster (a consumer's metadata may not know the topic yet)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if described.get("error_code"):
        raise AssertionError(f"topic {topic} does not exist (error {described['error_code']})")
    return [
        TopicPartition(topic, p["partition"])
        for p in sorted(described["partitions"], key=lambda p: p["partition"])
    ]
