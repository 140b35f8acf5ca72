"""Topic provisioning: the registry's partitions and retention, never broker auto-creation."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from autoletter.contracts import Topic


async def provision(
    admin: AIOKafkaAdminClient, topics: Iterable[Topic], prefix: str = "", replication_factor: int = 1
) -> list[str]:
    """Create the missing topics; existing ones are left as they are. Returns the names created."""
    wanted = {t.full_name(prefix): t for t in topics}
    existing = set(await admin.list_topics())
    missing = [
        NewTopic(
            name,
            num_partitions=t.partitions,
            replication_factor=replication_factor,
            topic_configs={"retention.ms": str(t.retention_ms)},
        )
        for name, t in wanted.items()
        if name not in existing
    ]
    if not missing:
        return []
    response = await admin.create_topics(missing)
    created = []
    for topic, code, *message in response.topic_errors:
        if code == _TOPIC_ALREADY_EXISTS:
            continue  # another replica created it at the same moment, or metadata was behind
        if code:
            raise RuntimeError(f"could not create topic {topic}: error {code} {message}")
        created.append(topic)
    return created


_TOPIC_ALREADY_EXISTS = 36
