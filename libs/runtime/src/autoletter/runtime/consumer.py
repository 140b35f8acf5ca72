"""Idempotent, at-least-once consumption with bounded retries and dead letters.

One transaction per message (or per batch): the inbox row, the handler's effect and its outbox
rows commit together; the Kafka offset is committed, with explicit offsets, only afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from opentelemetry.trace import Link, Span, SpanKind
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts import (
    DecodeError,
    Envelope,
    Topic,
    UnknownEventType,
    decode,
    header_value,
    message_class,
)
from autoletter.contracts.common import unknown_values
from autoletter.runtime import inbox, logs, metrics, tracing, waiting
from autoletter.runtime.failures import Failure, classify
from autoletter.runtime.kafka import Producer
from autoletter.runtime.uow import SqlUnitOfWork, Units
from autoletter.runtime.waiting import PartitionLost, RetryPolicy

log = logging.getLogger(__name__)

#: A handler gets the unit of work of the transaction its message is handled in.
Handler = Callable[[SqlUnitOfWork[Any], Any], Awaitable[None]]
BatchHandler = Callable[[SqlUnitOfWork[Any], list[Any]], Awaitable[None]]


class PoisonMessage(Exception):
    """Raised by a handler for a message that can never succeed: it goes to the dead-letter topic."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Subscription:
    """A consumer group's handlers for the messages of one topic."""

    topic: Topic
    group: str
    handlers: Mapping[type[Envelope], Handler] = field(default_factory=dict)
    batch_size: int = 1
    #: Optional: receives every new message of `batch_types` of a batch in one call (bulk writes),
    #: after the batch's other messages: use it only for types whose effects are independent of them.
    batch_handler: BatchHandler | None = None
    batch_types: tuple[type[Envelope], ...] = ()
    #: e.g. "SERIALIZABLE" for handlers that read-then-write without locks; a serialisation failure
    #: is then retried as a conflict.
    isolation_level: str | None = None

    @property
    def types(self) -> tuple[type[Envelope], ...]:
        return (*self.handlers, *self.batch_types)


@dataclass
class _Item:
    record: ConsumerRecord[Any, Any]
    message: Envelope | None = None
    poison: str | None = None
    unknown: str | None = None

    @property
    def trace(self) -> dict[str, str]:
        """The trace context the producer captured (the traceparent header)."""
        return {
            k: v.decode(errors="replace")
            for k, v in (self.record.headers or ())
            if k in tracing.TRACE_HEADERS
        }


class MessageProcessor:
    """Processes what one subscription receives, partition by partition."""

    def __init__(
        self,
        subscription: Subscription,
        units: Units[Any],
        producer: Producer,
        *,
        service: str,
        topic_prefix: str,
        retry: RetryPolicy,
    ) -> None:
        self.sub = subscription
        self._units = units
        self._sessions = units.sessions
        self._producer = producer
        self._service = service
        self._prefix = topic_prefix
        self._retry = retry
        self._types = subscription.types
        self._committing: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def kafka_group(self) -> str:
        """The Kafka group id: the deployment's topic prefix and the logical `<service>.<purpose>`,
        which the inbox, the dead-letter topic, metrics and headers keep as they are."""
        return f"{self._prefix}{self.sub.group}"

    @property
    def dlq_topic(self) -> str:
        return self.sub.topic.dlq(self.sub.group).full_name(self._prefix)

    async def process(self, records: Sequence[ConsumerRecord[Any, Any]], consumer: AIOKafkaConsumer) -> None:
        """Handle records (possibly of several partitions): all in one transaction when every one
        succeeds, else partition by partition, message by message; offsets are committed after.
        Should anything still fail (e.g. the dead-letter topic cannot be written), the consumer is
        rewound to the first record not finished, so no later commit can skip it."""
        started = time.perf_counter()
        by_partition: dict[TopicPartition, list[_Item]] = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            by_partition.setdefault(tp, []).append(self._decode(record))
        unfinished = {tp: items[0].record.offset for tp, items in by_partition.items()}
        try:
            every = [item for items in by_partition.values() for item in items]
            if not any(i.poison for i in every) and await self._try_together(every):
                await self._commit(
                    consumer, {tp: items[-1].record.offset for tp, items in by_partition.items()}
                )
                unfinished.clear()
            else:
                for tp, items in by_partition.items():
                    try:
                        for item in items:
                            await self._one_by_one(item, consumer)
                            await self._commit(consumer, {tp: item.record.offset})
                            unfinished[tp] = item.record.offset + 1
                    except PartitionLost:
                        log.warning("partition_lost_while_waiting", extra={"group": self.sub.group})
                    del unfinished[tp]
        except Exception:
            log.exception("batch_failed_rewinding", extra={"group": self.sub.group})
            for tp, offset in unfinished.items():
                if tp in consumer.assignment():
                    consumer.seek(tp, offset)
            await asyncio.sleep(self._retry.max_delay)  # the failure is outside the handler: give it time
        metrics.HANDLER_SECONDS.labels(self._service, self.sub.group).observe(time.perf_counter() - started)

    def _decode(self, record: ConsumerRecord[Any, Any]) -> _Item:
        try:
            kind = header_value(record.headers, "event_type")
            return _Item(record, message=decode(record.value or b"", self._types, event_type=kind))
        except UnknownEventType as exc:
            return _Item(record, unknown=exc.event_type)
        except DecodeError as exc:
            return _Item(record, poison=str(exc))

    async def _try_together(self, items: list[_Item]) -> bool:
        """All items in one transaction; False (nothing kept) when any handler failed."""
        try:
            with self._batch_span(items):
                async with self._transaction() as session:
                    messages = [i.message for i in items if i.message is not None]
                    new = await inbox.claim_many(session, self.sub.group, [m.event_id for m in messages])
                    duplicates = len(messages) - len(new)  # counted before handling consumes `new`
                    await self._handle_all(session, items, new)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            metrics.HANDLER_FAILURES.labels(self._service, self.sub.group, classify(exc)).inc()
            if len(items) == 1:
                log.warning("handler_failed", exc_info=True, extra={"group": self.sub.group})
            return False
        if duplicates:
            metrics.DUPLICATES_SKIPPED.labels(self._service, self.sub.group).inc(duplicates)
        self._count(items)
        return True

    async def _handle_all(self, session: AsyncSession, items: list[_Item], new: set[Any]) -> None:
        uow = self._units.over(session)
        batch: list[Envelope] = []
        spans: list[Span] = []
        recorded = tracing.exporting()
        for item in items:
            message = item.message
            if message is not None and isinstance(message, self.sub.batch_types) and message.event_id in new:
                new.discard(message.event_id)
                batch.append(message)
                if not recorded:
                    continue  # the spans below are only ever read once exported
                # Each message's own trace shows it was processed, by the bulk write below.
                spans.append(
                    tracing.tracer.start_span(
                        f"process {self.sub.topic.name}",
                        context=tracing.extract(item.trace),
                        kind=SpanKind.CONSUMER,
                        attributes=self._attributes(item),
                    )
                )
            else:
                await self._handle(uow, item, new)
        try:
            if batch and self.sub.batch_handler is not None:
                await self.sub.batch_handler(uow, batch)
        finally:
            for span in spans:
                span.end()

    def _batch_span(self, items: list[_Item]) -> contextlib.AbstractContextManager[Any]:
        """A span for a batch of several messages, linked to each message's own context."""
        if len(items) < 2:
            return contextlib.nullcontext()
        links = []
        if tracing.exporting():  # links are read only on recorded spans
            links = [Link(c) for i in items if (c := tracing.span_context_of(tracing.extract(i.trace)))]
        return tracing.tracer.start_as_current_span(
            f"process {self.sub.topic.name}",
            kind=SpanKind.CONSUMER,
            links=links,
            attributes={
                **self._common_attributes(),
                "messaging.batch.message_count": len(items),
            },
        )

    def _common_attributes(self) -> dict[str, Any]:
        """OpenTelemetry messaging conventions: the logical group (the Kafka id adds the prefix)."""
        return {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            "messaging.destination.name": self.sub.topic.full_name(self._prefix),
            "messaging.consumer.group.name": self.kafka_group,
        }

    def _attributes(self, item: _Item) -> dict[str, Any]:
        out = {
            **self._common_attributes(),
            "messaging.destination.partition.id": str(item.record.partition),
            "messaging.kafka.offset": item.record.offset,
        }
        if item.message is not None:
            out |= {
                "messaging.message.id": str(item.message.event_id),
                "autoletter.event_type": item.message.event_type,
            }
        return out

    async def _handle(self, uow: SqlUnitOfWork[Any], item: _Item, new: set[Any]) -> None:
        message = item.message
        if message is None:
            return
        token = logs.correlation_id.set(str(message.correlation_id))
        try:
            if message.event_id in new:
                new.discard(message.event_id)  # the same event twice in one batch: the first one wins
                with tracing.continued(
                    f"process {self.sub.topic.name}",
                    item.trace,
                    kind=SpanKind.CONSUMER,
                    attributes=self._attributes(item),
                ):
                    await self.sub.handlers[type(message)](uow, message)
        finally:
            logs.correlation_id.reset(token)

    def _count(self, items: list[_Item]) -> None:
        for item in items:
            if item.unknown:
                # A type the contracts do not know (a newer producer) apart from a known one this
                # consumer has no handler for (normal traffic on a shared topic).
                known = message_class(item.unknown) is not None
                counter = metrics.UNHANDLED_EVENTS if known else metrics.UNKNOWN_EVENTS
                counter.labels(self._service, self.sub.group, item.unknown).inc()
                outcome, event_type = "skipped", item.unknown if known else "unknown"
            else:
                outcome, event_type = "ok", item.message.event_type if item.message else "unknown"
                for name, value in unknown_values(item.message) if item.message else ():
                    metrics.UNKNOWN_VALUES.labels(self._service, name).inc()
                    log.info("unknown_value_tolerated", extra={"field": name, "value": value[:100]})
            metrics.MESSAGES_CONSUMED.labels(self._service, self.sub.topic.name, event_type, outcome).inc()

    async def _one_by_one(self, item: _Item, consumer: AIOKafkaConsumer) -> None:
        """One message in its own transaction, retried by the kind of failure until it is done or
        dead-lettered. Outages are waited out without limit (its partition paused, the consumer
        still polling so it keeps its place in the group); nothing after it is committed meanwhile."""
        if item.poison:
            await self._dead_letter(item, "undecodable", item.poison)
            return
        tp = TopicPartition(item.record.topic, item.record.partition)
        own_failures = waits = 0
        slow_since: float | None = None
        outage = metrics.OUTAGE_SECONDS.labels(self._service, self.sub.group)
        try:
            while True:
                try:
                    await self._handle_one(item)
                    return
                except asyncio.CancelledError:
                    raise
                except PoisonMessage as exc:
                    await self._dead_letter(item, "rejected", exc.reason)
                    return
                except Exception as exc:
                    kind = classify(exc)
                    error = f"{type(exc).__name__}: {exc}"
                    metrics.HANDLER_FAILURES.labels(self._service, self.sub.group, kind).inc()
                    metrics.RETRIES.labels(self._service, self.sub.group).inc()
                    if kind is Failure.SLOW:
                        if not await waiting.database_answers(self._sessions):
                            kind = Failure.OUTAGE  # cancelled because the server is going away
                        else:
                            slow_since = slow_since or time.monotonic()
                            if time.monotonic() - slow_since >= self._retry.slow_limit:
                                await self._dead_letter(item, "statement_timeout", error)
                                return
                    if kind is Failure.MESSAGE:
                        own_failures += 1
                        if own_failures >= self._retry.attempts:
                            await self._dead_letter(item, "retries_exhausted", error)
                            return
                        log.warning(
                            "handler_retry",
                            extra={"group": self.sub.group, "attempt": own_failures, "error": error},
                        )
                        await asyncio.sleep(self._retry.delay(own_failures))
                        continue
                    waits += 1
                    log.warning(
                        "waiting_out_failure",
                        extra={"group": self.sub.group, "kind": kind, "attempt": waits, "error": error},
                    )
                    await waiting.wait_out(consumer, tp, kind, waits, self._retry, self._sessions, outage)
        finally:
            outage.set(0)

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: inbox, effects and outbox rows commit together or not at all."""
        async with self._sessions() as session, session.begin():
            if self.sub.isolation_level:
                await session.connection(execution_options={"isolation_level": self.sub.isolation_level})
            yield session

    async def _handle_one(self, item: _Item) -> None:
        async with self._transaction() as session:
            new: set[Any] = set()
            if item.message is not None:
                if await inbox.claim(session, self.sub.group, item.message.event_id):
                    new.add(item.message.event_id)
                else:
                    metrics.DUPLICATES_SKIPPED.labels(self._service, self.sub.group).inc()
            await self._handle_all(session, [item], new)
        self._count([item])

    async def _dead_letter(self, item: _Item, reason: str, error: str) -> None:
        """Publish the original bytes, key and headers with the error; only then may the offset move."""
        r = item.record
        headers = [(k, v) for k, v in (r.headers or ()) if not k.startswith("x-dlq-")]
        headers += [
            ("x-dlq-reason", reason.encode()),
            ("x-dlq-error", error[:2000].encode()),
            ("x-dlq-original-topic", r.topic.encode()),
            ("x-dlq-original-partition", str(r.partition).encode()),
            ("x-dlq-original-offset", str(r.offset).encode()),
            ("x-dlq-consumer-group", self.sub.group.encode()),
            ("x-dlq-failed-at", datetime.now(UTC).isoformat().encode()),
        ]
        await self._producer.send_all([(self.dlq_topic, r.value or b"", r.key, headers)])
        metrics.DEAD_LETTERS.labels(self._service, self.sub.group, reason).inc()
        metrics.MESSAGES_CONSUMED.labels(
            self._service,
            self.sub.topic.name,
            item.message.event_type if item.message else "undecodable",
            "dead_lettered",
        ).inc()
        log.error(
            "dead_lettered",
            extra={
                "group": self.sub.group,
                "reason": reason,
                "error": error[:500],
                "topic": r.topic,
                "partition": r.partition,
                "offset": r.offset,
            },
        )

    async def _commit(self, consumer: AIOKafkaConsumer, last: dict[TopicPartition, int]) -> None:
        """Commit explicit offsets, the next one to read after each partition's last handled record,
        in the background: the next batch is handled during the broker's round trip. Commits stay in
        order (each waits for the one before). One lost to a crash or a rebalance only redelivers
        what the inbox then skips."""
        offsets = {tp: offset + 1 for tp, offset in last.items()}
        self._committing = asyncio.create_task(self._commit_after(self._committing, consumer, offsets))
        if self._stopping:
            await self._committing  # the consumer stops once this batch returns: commit before

    async def settle(self) -> None:
        """Before the consumer stops: the offsets handled so far are committed, and so are those of a
        batch still in flight, before it returns (so a graceful stop redelivers nothing)."""
        self._stopping = True
        if self._committing is not None:
            await self._committing

    async def _commit_after(
        self,
        previous: asyncio.Task[None] | None,
        consumer: AIOKafkaConsumer,
        offsets: dict[TopicPartition, int],
    ) -> None:
        if previous is not None:
            await previous
        try:
            await consumer.commit(offsets)
        except Exception:  # any failure: a later commit must still run
            # A rebalance took the partition, or the consumer stopped: the messages come back and
            # the inbox skips them.
            log.warning("offset_commit_failed", exc_info=True, extra={"group": self.sub.group})
