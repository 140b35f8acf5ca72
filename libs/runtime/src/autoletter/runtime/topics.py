"""Topic provisioning: the registry's partitions and retention, never broker auto-creation."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from autoletter.contracts import Topic


async def provision(admin: AIOKafkaAdminClient, topics: Iterable[Topic], prefix: str = "") -> list[str]:
    """Create the missing topics; existing ones are left as they are. Returns the names created."""
    wanted = {t.full_name(prefix): t for t in topics}
    existing = set(await admin.list_topics())
    missing = [
        NewTopic(
            name,
            num_partitions=t.partitions,
            replication_factor=1,
            topic_configs={"retention.ms": str(t.retention_ms)},
        )
        for name, t in wanted.items()
        if name not in existing
    ]
    if missing:
        # Another replica may create them at the same moment.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(missing)
    return [t.name for t in missing]
