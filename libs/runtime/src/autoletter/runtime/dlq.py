"""Dead letters: list what a dead-letter topic holds and replay chosen ones to their topic."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from autoletter.runtime.kafka import Producer, connection_options
from autoletter.runtime.settings import KafkaSettings


@dataclass(frozen=True)
class DeadLetter:
    """One dead letter: where it came from, why, and its original bytes."""

    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode(errors="replace")
        return None

    @property
    def reason(self) -> str | None:
        return self.header("x-dlq-reason")

    @property
    def error(self) -> str | None:
        return self.header("x-dlq-error")

    @property
    def original_topic(self) -> str | None:
        return self.header("x-dlq-original-topic")

    def summary(self) -> dict[str, Any]:
        return {
            "offset": self.offset,
            "reason": self.reason,
            "error": self.error,
            "topic": self.original_topic,
            "partition": self.header("x-dlq-original-partition"),
            "original_offset": self.header("x-dlq-original-offset"),
            "event_type": self.header("event_type"),
            "failed_at": self.header("x-dlq-failed-at"),
            "key": self.key.decode(errors="replace") if self.key else None,
        }


async def list_dead_letters(settings: KafkaSettings, dlq_topic: str, limit: int = 1000) -> list[DeadLetter]:
    """Every dead letter still kept (30 days), oldest first."""
    consumer = AIOKafkaConsumer(
        **connection_options(settings, "autoletter-dlq-reader"), enable_auto_commit=False
    )
    try:
        await consumer.start()  # inside: a broker that does not answer still closes the consumer
        partitions = consumer.partitions_for_topic(dlq_topic)
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(dlq_topic) or set()
        tps = [TopicPartition(dlq_topic, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        found: list[DeadLetter] = []
        while len(found) < limit and [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found.extend(
                    DeadLetter(r.offset, r.key, r.value or b"", tuple(r.headers or ())) for r in records
                )
        return sorted(found, key=lambda d: d.offset)[:limit]
    finally:
        await consumer.stop()


async def replay(settings: KafkaSettings, dlq_topic: str, offsets: Iterable[int] | None = None) -> int:
    """Publish the chosen dead letters (all when offsets is None) back to their original topic, with
    their original key and headers. Consumers deduplicate by event_id, so a replay is safe to repeat."""
    chosen = set(offsets) if offsets is not None else None
    every = await list_dead_letters(settings, dlq_topic, limit=10**9)  # every one kept, not a page
    letters = [d for d in every if chosen is None or d.offset in chosen]
    producer = Producer(settings, "autoletter-dlq-replay")
    try:
        await producer.send_all(
            [
                (
                    d.original_topic or "",
                    d.value,
                    d.key,
                    [(k, v) for k, v in d.headers if not k.startswith("x-dlq-")]
                    + [("x-replayed-from", dlq_topic.encode())],
                )
                for d in letters
                if d.original_topic
            ]
        )
    finally:
        await producer.stop()
    return len(letters)
