"""A broker killed mid-stream on the three-node cluster: leaders move, producers (acks=all, idempotent)
and consumers carry on, and every event is handled exactly once."""

from __future__ import annotations

import asyncio
import signal

import sample_service as sample
from aiokafka.admin import AIOKafkaAdminClient
from test_outbox import letter_sent

from autoletter.devstack.kafka import KafkaCluster
from autoletter.runtime.testing import wait_for

EVENTS = 300


async def test_a_broker_killed_mid_stream_loses_nothing_and_applies_nothing_twice(
    kafka_cluster: KafkaCluster, database_url: str, db_schema: str, topic_prefix: str, unique: str
) -> None:
    cfg = sample.settings(
        database_url, db_schema, kafka_cluster.bootstrap, topic_prefix, kafka_replication_factor=3
    )
    rt = sample.runtime(cfg, batch_size=100, bulk=True)
    events = [letter_sent(f"acc-{unique}-{i % 20}") for i in range(EVENTS)]
    async with rt.running():
        topic = f"{topic_prefix}letters.events"
        replicas, isr = await _replication(kafka_cluster.bootstrap, topic)
        assert replicas == {3} and isr == {3}

        async def write() -> None:
            for i in range(0, EVENTS, 10):
                async with rt.sessions.begin() as session:
                    await sample.stage(session, *events[i : i + 10])
                await asyncio.sleep(0.02)  # a steady stream, so the kill lands in the middle of it

        writer = asyncio.create_task(write())

        async def handled(n: int) -> bool:
            return len(await sample.effects(rt)) >= n

        await wait_for(lambda: handled(EVENTS // 3), 60, "a third of the stream handled")
        victim = kafka_cluster.nodes[0]
        victim.process.stop(timeout=10, sig=signal.SIGKILL)
        await writer
        await wait_for(lambda: handled(EVENTS), 120, "every event handled after the kill")
        ids = [row.event_id for row in await sample.effects(rt)]
        assert len(ids) == len(set(ids)) == EVENTS
        assert set(ids) == {e.event_id for e in events}
        _, isr_after = await _replication(kafka_cluster.nodes[1].bootstrap, topic)
        assert max(isr_after) <= 2  # the dead node is out of every in-sync set


async def _replication(bootstrap: str, topic: str) -> tuple[set[int], set[int]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = described["partitions"]
    return {len(p["replicas"]) for p in partitions}, {len(p["isr"]) for p in partitions}
