"""Outbox throughput: committed → relayed → consumed through an inbox consumer, as a ratio to raw
aiokafka produce + consume of the same messages on the same broker in the same run; then the same
path with the consuming service in one process of its own, and in two (one consumer group on six
partitions): the scaling baseline.

    uv run python bench/outbox_throughput.py [--events 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import text

from autoletter.contracts import TOPICS
from autoletter.runtime.service import Resources, Service, ServiceRuntime

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "runtime"))
import _group
import sample_service as sample
from _results import report
from _servers import kafka_and_postgres
from test_outbox import letter_sent

from autoletter.contracts import encode, headers_for


async def raw_kafka(bootstrap: str, payloads: list[tuple[bytes, bytes]]) -> float:
    """Seconds to produce (acks=all, idempotent) and consume (group, explicit commits) every payload."""
    topic = f"bench-raw-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)])
    await admin.close()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"{topic}.g",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=2)
    await consumer.start()
    await producer.start()
    started = time.perf_counter()

    async def produce() -> None:
        futures = [await producer.send(topic, value, key=key) for key, value in payloads]
        await asyncio.gather(*futures)

    async def consume() -> None:
        seen = 0
        while seen < len(payloads):
            batch = await consumer.getmany(timeout_ms=500, max_records=500)
            for records in batch.values():
                seen += len(records)
            if batch:
                await consumer.commit()

    await asyncio.gather(produce(), consume())
    elapsed = time.perf_counter() - started
    await producer.stop()
    await consumer.stop()
    return elapsed


async def through_outbox(bootstrap: str, database_url: str, events: list, replicas: int = 0) -> float:
    """Seconds from the first commit until the inbox consumer has recorded every event. With
    `replicas`, the consuming service runs in that many processes of its own, as it does in
    production (another service), the group settled before the first commit."""
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    cfg = sample.settings(database_url, f"bench_{uuid.uuid4().hex[:8]}", bootstrap, prefix)
    consumer_cfg = sample.settings(database_url, f"bench_{uuid.uuid4().hex[:8]}", bootstrap, prefix)
    rt = sample.runtime(cfg, batch_size=500, bulk=True)
    effects_rt = rt
    children: contextlib.AbstractAsyncContextManager[None] = contextlib.nullcontext()
    if replicas:
        resources = Resources.open(cfg)
        only_publishes = Service(
            resources,
            None,
            sample.MIGRATIONS,
            "sample",
            units=resources.units(),
            publishes=[TOPICS["letters.events"]],
        )
        rt = ServiceRuntime(only_publishes)
        effects_rt = sample.runtime(consumer_cfg, batch_size=500, bulk=True)
        await effects_rt.prepare()  # schema and topics exist before the replicas join their group
        command = ("--consume", database_url, consumer_cfg.database_schema, bootstrap, prefix)
        children = _group.replicas(replicas, __file__, *command)
    async with children, rt.running():
        if replicas:
            await _group.settled(bootstrap, f"{prefix}sample.effects", replicas)
        cpu = _group.MachineCpu()
        cpu.start()
        started = time.perf_counter()

        async def writer(chunks: list[list]) -> None:
            for chunk in chunks:
                async with rt.sessions.begin() as session:
                    await sample.stage(session, *chunk)

        # Business transactions of 100 events each, from 4 writers at once, as concurrent requests would.
        chunks = [events[i : i + 100] for i in range(0, len(events), 100)]
        await asyncio.gather(*(writer(chunks[w::4]) for w in range(4)))
        print(f"  committed all after {time.perf_counter() - started:.2f} s")
        published = False
        while True:
            async with rt.engine.connect() as conn:
                pending = await conn.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
            async with effects_rt.engine.connect() as conn:
                done = await conn.scalar(text("SELECT count(*) FROM effects"))
            if pending == 0 and not published:
                published = True
                print(f"  published all after {time.perf_counter() - started:.2f} s")
            if done >= len(events):
                break
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        rate = len(events) / elapsed
        print(f"  {replicas} consumer process(es): {rate:,.0f} msg/s, {cpu.busy():.2f} cores busy")
    if replicas:
        await effects_rt.engine.dispose()
    return elapsed


async def consume_only(database_url: str, schema: str, bootstrap: str, prefix: str) -> None:
    """The consuming service, alone in this process, until terminated (then stopped gracefully)."""
    rt = sample.runtime(sample.settings(database_url, schema, bootstrap, prefix), batch_size=500, bulk=True)
    async with rt.running():
        await _group.serve_until_terminated()


async def main(count: int) -> None:
    with kafka_and_postgres() as (bootstrap, database_url):
        events = [letter_sent(f"acc-{i % 200}") for i in range(count)]
        payloads = [(e.account_id.encode(), encode(e)) for e in events]
        assert all(headers_for(e) for e in events[:1])
        await raw_kafka(bootstrap, payloads[:1000])  # warm up the broker and the JIT
        raw = await raw_kafka(bootstrap, payloads)
        outbox = await through_outbox(bootstrap, database_url, events)
        split = await through_outbox(bootstrap, database_url, events, replicas=1)
        two = await through_outbox(bootstrap, database_url, events, replicas=2)
        print(f"events: {count}")
        print(f"raw aiokafka produce+consume: {count / raw:,.0f} msg/s ({raw:.2f} s)")
        print(f"outbox commit->relay->inbox consumer: {count / outbox:,.0f} msg/s ({outbox:.2f} s)")
        print(f"ratio outbox/raw: {raw / outbox:.2f} (target >= 0.5)")
        print(
            f"consumer in its own process: {count / split:,.0f} msg/s ({split:.2f} s),"
            f" ratio {raw / split:.2f}"
        )
        report("outbox (consumer in its own process)", count / split, count / raw, "msg/s", 0.4)
        print(f"two consumer processes: {count / two:,.0f} msg/s ({two:.2f} s)")
        report("outbox: two consumer processes vs one", count / two, count / split, "msg/s", 1.3)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--consume"]:
        sys.exit(asyncio.run(consume_only(*sys.argv[2:6])))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20000)
    asyncio.run(main(parser.parse_args().events))
