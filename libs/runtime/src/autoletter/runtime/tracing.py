"""OpenTelemetry traces: one trace follows a letter across HTTP, the outbox, Kafka and the database.

Kafka context is carried by our own relay and consumer only (no Kafka auto-instrumentation that could
overwrite it): the W3C `traceparent` is captured when an outbox row, a stored Stripe event or a
pending letter is written — inside the request's or handler's span — and restored when it is handled.
Context always propagates; the sampler decides only what is exported.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Link, Span, SpanKind

#: The kind of a span that handles a message (a Kafka record, a stored Stripe event).
CONSUMER = SpanKind.CONSUMER

#: The headers of the W3C trace context (what an outbox row, a stored event or a letter keeps).
TRACE_HEADERS = ("traceparent", "tracestate")

_configured: dict[str, bool] = {}

tracer = trace.get_tracer("autoletter")


def configure(service: str, *, endpoint: str | None, sample_ratio: float) -> None:
    """The process's tracer provider (once): spans exported by OTLP/HTTP when an endpoint is set.
    Without one, spans are still made (so context propagates) and dropped."""
    if _configured:
        return
    _configured[service] = True
    provider = TracerProvider(
        resource=Resource.create({"service.name": service}),
        sampler=ParentBased(TraceIdRatioBased(sample_ratio)),
    )
    if endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    # One database layer (asyncpg, under SQLAlchemy: instrumenting both would show every query twice)
    # and the HTTP client Stripe's SDK uses.
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]
    HTTPXClientInstrumentor().instrument()


def instrument_app(app: Any) -> None:
    """Server spans for every route of a FastAPI app (health and metrics excluded)."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")


def capture() -> dict[str, str]:
    """The current trace context as W3C headers (empty when there is none)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {k: v for k, v in carrier.items() if k in TRACE_HEADERS}


def extract(headers: Mapping[str, str] | Sequence[tuple[str, bytes]] | None) -> otel_context.Context:
    """The context a message, row or request carried (an empty one when it carried none)."""
    if not headers:
        return otel_context.Context()
    if isinstance(headers, Mapping):
        carrier = {k: v for k, v in headers.items() if k in TRACE_HEADERS}
    else:
        carrier = {k: v.decode(errors="replace") for k, v in headers if k in TRACE_HEADERS}
    return propagate.extract(carrier, context=otel_context.Context())


def trace_id_of(carried: Mapping[str, str] | None) -> str | None:
    """The trace id (32 hex digits) of a stored context, for people to look the trace up."""
    span_context = span_context_of(extract(carried)) if carried else None
    return f"{span_context.trace_id:032x}" if span_context else None


def span_context_of(ctx: otel_context.Context) -> trace.SpanContext | None:
    span_context = trace.get_current_span(ctx).get_span_context()
    return span_context if span_context.is_valid else None


@contextlib.contextmanager
def continued(
    name: str,
    carried: Mapping[str, str] | None,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, Any] | None = None,
    link_current: bool = False,
) -> Iterator[Span]:
    """A span in the trace `carried` started (a letter stays in its submission's trace); with
    `link_current`, the work happening now (the webhook or status change that released it) is
    attached as a link. Without a carried context, a child of the current span."""
    parent = extract(carried) if carried else None
    links = []
    current = trace.get_current_span().get_span_context()
    if link_current and parent is not None and current.is_valid:
        links.append(Link(current))
    with tracer.start_as_current_span(
        name, context=parent, kind=kind, links=links, attributes=dict(attributes or {})
    ) as span:
        yield span


def headers_in(carried: Mapping[str, str] | None, name: str, attributes: Mapping[str, Any]) -> dict[str, str]:
    """Trace headers for an event that belongs to the trace `carried` started (a letter's later
    event): a span there, linked to the work happening now (what released or sent it). Without a
    carried context, or already in that trace, the current context's."""
    parent = extract(carried) if carried else None
    parent_context = span_context_of(parent) if parent is not None else None
    current = trace.get_current_span().get_span_context()
    if parent_context is None or parent_context.trace_id == current.trace_id:
        return capture()
    links = [Link(current)] if current.is_valid else []
    span = tracer.start_span(name, context=parent, links=links, attributes=dict(attributes))
    try:
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=trace.set_span_in_context(span))
        return {k: v for k, v in carrier.items() if k in TRACE_HEADERS}
    finally:
        span.end()


def log_ids() -> dict[str, str]:
    """trace_id and span_id of the current span, for log lines (empty outside a span)."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return {}
    return {"trace_id": f"{span_context.trace_id:032x}", "span_id": f"{span_context.span_id:016x}"}
