"""Topic provisioning is idempotent and sets the registry's partitions and retention."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from autoletter.contracts import TOPICS
from autoletter.runtime.topics import provision


async def test_provisioning_creates_the_registry_once(kafka_bootstrap: str, topic_prefix: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        created = await provision(admin, TOPICS.values(), topic_prefix)
        assert sorted(created) == sorted(f"{topic_prefix}{name}" for name in TOPICS)
        assert await provision(admin, TOPICS.values(), topic_prefix) == []

        names = [t.full_name(topic_prefix) for t in TOPICS.values()]
        described = await admin.describe_topics(names)
        partitions = {d["topic"]: len(d["partitions"]) for d in described}
        assert partitions == {t.full_name(topic_prefix): t.partitions for t in TOPICS.values()}

        configs = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
        retention = {
            resource[3]: {entry[0]: entry[1] for entry in resource[4]}["retention.ms"]
            for response in configs
            for resource in response.resources
        }
        assert retention == dict.fromkeys(names, "-1")
    finally:
        await admin.close()
