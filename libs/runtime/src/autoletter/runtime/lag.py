"""Consumer lag from the broker's view (end offset minus the group's committed offset), refreshed on a
timer: a stuck consumer shows growing lag, and a partition another replica took is still reported
right (every replica reports the same group-level figure; dashboards take the max)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from autoletter.runtime import metrics
from autoletter.runtime.kafka import connection_options
from autoletter.runtime.settings import KafkaSettings

log = logging.getLogger(__name__)


async def observe_lag(
    settings: KafkaSettings, service: str, groups: Sequence[tuple[str, str, str]], interval: float = 15.0
) -> None:
    """Forever: set autoletter_consumer_lag_messages for each (group, Kafka group id, topic) every
    `interval` seconds; the metric is labelled with the logical group."""
    admin = AIOKafkaAdminClient(**connection_options(settings, f"{service}-lag"))
    reader = AIOKafkaConsumer(
        **connection_options(settings, f"{service}-lag-reader"), enable_auto_commit=False
    )
    await admin.start()
    await reader.start()
    try:
        while True:
            for group, group_id, topic in groups:
                try:
                    await _observe(admin, reader, service, group, group_id, topic)
                except Exception:  # a blip must not end the monitor
                    log.warning("consumer_lag_unavailable", exc_info=True, extra={"group": group})
            await asyncio.sleep(interval)
    finally:
        await reader.stop()
        await admin.close()


async def _observe(
    admin: AIOKafkaAdminClient,
    reader: AIOKafkaConsumer,
    service: str,
    group: str,
    group_id: str,
    topic: str,
) -> None:
    [described] = await admin.describe_topics([topic])
    partitions = [TopicPartition(topic, p["partition"]) for p in described.get("partitions", [])]
    if not partitions:
        return
    ends = await reader.end_offsets(partitions)
    committed = await admin.list_consumer_group_offsets(group_id, partitions=partitions)
    for tp in partitions:
        done = committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0
        metrics.CONSUMER_LAG.labels(service, group, topic, str(tp.partition)).set(max(ends[tp] - done, 0))
