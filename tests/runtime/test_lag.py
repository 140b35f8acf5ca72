"""Consumer lag is read from the broker: what the group has not committed yet, per partition."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from prometheus_client import REGISTRY
from test_outbox import letter_sent

from autoletter.runtime.lag import _observe
from autoletter.runtime.testing import publish


def lag(group: str, topic: str) -> float:
    return sum(
        REGISTRY.get_sample_value(
            "autoletter_consumer_lag_messages",
            {"service": "sample", "group": group, "topic": topic, "partition": str(p)},
        )
        or 0
        for p in range(2)
    )


async def test_lag_counts_what_the_group_has_not_committed(kafka_bootstrap: str, topic_prefix: str) -> None:
    topic, group = f"{topic_prefix}lag", f"{topic_prefix}group"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    reader = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    await admin.start()
    await reader.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
        await publish(kafka_bootstrap, topic, *(letter_sent(f"acc-{i}") for i in range(5)))
        await _observe(admin, reader, "sample", group, group, topic)
        assert lag(group, topic) == 5  # nothing committed yet: a stuck consumer shows everything

        member = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False)
        await member.start()
        try:
            tps = [TopicPartition(topic, p) for p in range(2)]
            member.assign(tps)
            await member.commit(dict(await member.end_offsets(tps)))
        finally:
            await member.stop()
        await _observe(admin, reader, "sample", group, group, topic)
        assert lag(group, topic) == 0
    finally:
        await reader.stop()
        await admin.close()
