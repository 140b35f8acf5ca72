"""Usage ledger ingestion: LetterSent per second into PostgreSQL through the invoicing service's real
consumer (inbox + batch handler + one transaction per partition batch + explicit offset commits), as
a ratio to raw aiokafka consumption (consumer group, explicit commits, no decoding, no database) of
the same messages on the same broker in the same run. Then the scaling baseline: two replicas of the
service, each in its own process, one consumer group on six partitions, against one replica measured
the same way.

    uv run python bench/invoicing_ledger.py [--letters 50000] [--batch-size 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text

from autoletter.contracts import CONSUMER_GROUPS, encode, headers_for, new_event
from autoletter.contracts.letters import LetterSent
from autoletter.devstack import servers
from autoletter.invoicing.bootstrap import bootstrap as wire_invoicing
from autoletter.invoicing.settings import InvoicingSettings
from autoletter.runtime.service import ServiceRuntime

sys.path.insert(0, str(Path(__file__).parent))
import _group
from _results import report

START = datetime(2026, 11, 1, tzinfo=UTC)


def letters(count: int) -> Iterator[LetterSent]:
    """Made one at a time: the benchmark's own fixtures must not weigh on the measured process's RSS."""
    return (
        new_event(
            LetterSent,
            account_id=f"acc-{i % 500}",
            producer="letters",
            occurred_at=START,
            letter_id=uuid.uuid4(),
            service="standard" if i % 3 else "registered",
            sheets=1 + i % 4,
            destination_country="FR",
            sent_at=START + timedelta(seconds=i),
        )
        for i in range(count)
    )


async def produce(bootstrap: str, topic: str, events: Iterable[LetterSent]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        futures = [
            await producer.send(topic, encode(e), key=e.account_id.encode(), headers=headers_for(e))
            for e in events
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def raw_consume(bootstrap: str, topic: str, count: int, batch_size: int) -> float:
    """Seconds from the first record received to the last, committing explicit offsets per batch."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    seen, first = 0, None
    try:
        while seen < count:
            batch = await consumer.getmany(timeout_ms=500, max_records=batch_size)
            if batch and first is None:
                first = time.perf_counter()
            for records in batch.values():
                seen += len(records)
            if batch:
                await consumer.commit()
        return time.perf_counter() - (first or time.perf_counter())
    finally:
        await consumer.stop()


async def through_service(settings: InvoicingSettings, count: int) -> float:
    """Seconds from the first usage line in the ledger to the last, with the real service consuming."""
    runtime = ServiceRuntime(wire_invoicing(settings))
    async with runtime.running():
        elapsed = await _lines_written(runtime, count)
        async with runtime.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{settings.database_schema}" CASCADE'))
    return elapsed


async def replicated(fields: dict[str, object], count: int, processes: int) -> float:
    """Letters per second with `processes` replicas of the service consuming, each in its own process
    (this one produces and counts): from the first usage line to the last, the letters produced once
    the group has settled; the same way for one replica and for two."""
    settings = fresh(fields)
    runtime = ServiceRuntime(wire_invoicing(settings))
    await runtime.prepare()
    group = f"{settings.kafka_topic_prefix}{CONSUMER_GROUPS['invoicing.usage'].name}"
    own = settings.model_dump(include={"database_schema", "kafka_topic_prefix"})
    async with _group.replicas(processes, __file__, "--consume", json.dumps({**fields, **own})):
        await _group.settled(settings.kafka_bootstrap_servers, group, processes)
        cpu = _group.MachineCpu()
        cpu.start()
        watching = asyncio.create_task(_lines_written(runtime, count))
        topic = f"{settings.kafka_topic_prefix}letters.events"
        await produce(settings.kafka_bootstrap_servers, topic, letters(count))
        elapsed = await watching
        print(f"  {processes} replica(s): {count / elapsed:,.0f} letters/s, {cpu.busy():.2f} cores busy")
    async with runtime.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{settings.database_schema}" CASCADE'))
    await runtime.engine.dispose()
    return count / elapsed


async def _lines_written(runtime: ServiceRuntime, count: int) -> float:
    """Seconds from the first usage line to the last."""
    first = None
    while True:
        async with runtime.engine.connect() as conn:
            done = await conn.scalar(text("SELECT count(*) FROM usage_lines"))
        if done and first is None:
            first = time.perf_counter()
        if done >= count:
            return time.perf_counter() - (first or time.perf_counter())
        await asyncio.sleep(0.1)  # polling the count costs the consumer CPU: not too often


def fresh(fields: dict[str, object]) -> InvoicingSettings:
    """Settings of a service of its own: its schema, topics and groups."""
    tag = uuid.uuid4().hex[:8]
    return InvoicingSettings(
        **fields,  # type: ignore[arg-type]
        database_schema=f"bench_ledger_{tag}",
        kafka_topic_prefix=f"bench{tag}.",
    )


async def consume(fields: dict[str, object]) -> None:
    """One replica of the service, alone in this process, until terminated (then stopped gracefully)."""
    async with ServiceRuntime(wire_invoicing(InvoicingSettings(**fields))).running():  # type: ignore[arg-type]
        await _group.serve_until_terminated()


async def main(count: int, batch_size: int) -> None:
    with tempfile.TemporaryDirectory(prefix="autoletter-bench-") as work, ExitStack() as stack:
        bootstrap = stack.enter_context(servers.kafka(Path(work)))
        database_url = stack.enter_context(servers.postgres(Path(work)))
        fields: dict[str, object] = {
            "database_url": database_url,
            "kafka_bootstrap_servers": bootstrap,
            "environment": "test",
            "usage_batch_size": batch_size,
            "close_schedule_enabled": False,
        }
        settings = fresh(fields)
        await ServiceRuntime(wire_invoicing(settings)).prepare()  # schema, prices, topics (6 partitions)
        topic = f"{settings.kafka_topic_prefix}letters.events"
        await produce(bootstrap, topic, letters(count))
        await raw_consume(bootstrap, topic, min(count, 5000), batch_size)  # warm-up
        raw = await raw_consume(bootstrap, topic, count, batch_size)
        ledger = await through_service(settings, count)
        print(f"letters: {count}, batch size: {batch_size}")
        print(f"raw aiokafka consume (group, explicit commits): {count / raw:,.0f} msg/s ({raw:.2f} s)")
        rate = f"{count / ledger:,.0f} letters/s ({ledger:.2f} s)"
        print(f"ledger through the invoicing consumer into PostgreSQL: {rate}")
        print(f"ratio ledger/raw: {raw / ledger:.2f} (target >= 0.2)")
        report("ledger (LetterSent -> usage lines)", count / ledger, count / raw, "msg/s", 0.35)
        one = await replicated(fields, count, 1)
        two = await replicated(fields, count, 2)
        print(f"one replica in its own process: {one:,.0f} letters/s; two replicas: {two:,.0f} letters/s")
        report("ledger: two consumer processes vs one", two, one, "msg/s", 1.3)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--consume"]:
        sys.exit(asyncio.run(consume(json.loads(sys.argv[2]))))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--letters", type=int, default=50000)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.letters, args.batch_size)))
