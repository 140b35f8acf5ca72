"""Trace context crosses the outbox, the relay and Kafka: the consumer's span is in the producer's trace."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sample_service as sample
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from test_consumer import count_effects
from test_outbox import letter_sent

from autoletter.runtime import tracing
from autoletter.runtime.testing import wait_for


@pytest.fixture(scope="module")
def exported() -> Iterator[InMemorySpanExporter]:
    tracing.configure("tests", endpoint=None, sample_ratio=1.0)
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


@pytest.fixture
def cfg(database_url: str, db_schema: str, kafka_bootstrap: str, topic_prefix: str) -> sample.SampleSettings:
    return sample.settings(database_url, db_schema, kafka_bootstrap, topic_prefix)


def consumer_spans(exporter: InMemorySpanExporter, topic: str) -> list[ReadableSpan]:
    return [
        s
        for s in exporter.get_finished_spans()
        if s.kind is trace.SpanKind.CONSUMER
        and (s.attributes or {}).get("messaging.destination.name") == topic
    ]


async def stage_in_span(rt: Any, name: str, *events: Any) -> trace.SpanContext:
    """Stage events in the outbox inside a span, as a request handler would; that span's context."""
    with tracing.tracer.start_as_current_span(name) as span:
        async with rt.sessions.begin() as session:
            await sample.stage(session, *events)
        return span.get_span_context()


@pytest.mark.parametrize("bulk", [False, True], ids=["per-message", "bulk-handler"])
async def test_each_message_is_handled_in_the_trace_that_staged_it(
    cfg: sample.SampleSettings, unique: str, exported: InMemorySpanExporter, bulk: bool
) -> None:
    topic = f"{cfg.kafka_topic_prefix}letters.events"
    rt = sample.runtime(cfg, batch_size=10, bulk=bulk)
    events = [letter_sent(f"acc-{unique}-{i}") for i in range(3)]
    await rt.prepare()
    # Staged before the service starts: the consumer finds them together, as one batch.
    origins = {str(e.event_id): await stage_in_span(rt, f"request {i}", e) for i, e in enumerate(events)}
    async with rt.running():
        await count_effects(rt, 3)

        def handled() -> list[ReadableSpan]:
            return [s for s in consumer_spans(exported, topic) if message_id(s) in origins]

        await wait_for(lambda: len(handled()) == 3, 30, "a consumer span per message")
    for span in handled():
        origin = origins[message_id(span)]
        assert span.context is not None and span.context.trace_id == origin.trace_id
        assert span.parent is not None and span.parent.span_id == origin.span_id
        attributes = dict(span.attributes or {})
        assert attributes["messaging.system"] == "kafka"
        assert attributes["messaging.consumer.group.name"] == f"{cfg.kafka_topic_prefix}sample.effects"
    # A batch of several messages has a span of its own, linked to each message's context.
    batches = [s for s in consumer_spans(exported, topic) if s.links]
    assert batches, "the three messages were handled as a batch"
    for batch in batches:
        assert len(batch.links) == (batch.attributes or {})["messaging.batch.message_count"]
        assert {link.context.trace_id for link in batch.links} <= {o.trace_id for o in origins.values()}


def message_id(span: ReadableSpan) -> str:
    return str((span.attributes or {}).get("messaging.message.id"))
