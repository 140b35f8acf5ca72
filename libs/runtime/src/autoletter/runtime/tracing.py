"""OpenTelemetry traces: one trace follows a letter across HTTP, the outbox, Kafka and the database.

Kafka context is carried by our own relay and consumer only (no Kafka auto-instrumentation that could
overwrite it): the W3C `traceparent` is captured when an outbox row, a stored Stripe event or a
pending letter is written — inside the request's or handler's span — and restored when it is handled.
Context always propagates; the sampler decides only what is exported. A process with nowhere to send
spans (no OTLP endpoint, no processor added) records none: each span is a non-recording one whose
context (trace id, a new span id, "not sampled") still propagates, and recording cost up to 40 % of a
consumer's CPU for nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, Span, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

#: The kind of a span that handles a message (a Kafka record, a stored Stripe event).
CONSUMER = SpanKind.CONSUMER

#: The headers of the W3C trace context (what an outbox row, a stored event or a letter keeps).
TRACE_HEADERS = ("traceparent", "tracestate")

_configured: dict[str, bool] = {}

tracer = trace.get_tracer("autoletter")


class _WhenExported(Sampler):
    """`inner`'s decision once spans have somewhere to go (a span processor was added); until then
    DROP, which still gives every span a valid context in its parent's trace (or a new one)."""

    def __init__(self, inner: Sampler) -> None:
        self.inner = inner
        self.exported = False

    def should_sample(
        self,
        parent_context: otel_context.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if self.exported:
            return self.inner.should_sample(
                parent_context, trace_id, name, kind, attributes, links, trace_state
            )
        parent = trace.get_current_span(parent_context).get_span_context()
        return SamplingResult(Decision.DROP, None, parent.trace_state if parent.is_valid else None)

    def get_description(self) -> str:
        return f"WhenExported{{{self.inner.get_description()}}}"


class _Provider(TracerProvider):
    """Opens its sampler once a span processor is added (OTLP here, an in-memory exporter in tests)."""

    def __init__(self, sampler: _WhenExported, resource: Resource) -> None:
        super().__init__(sampler=sampler, resource=resource)
        self._gate = sampler

    @property
    def exporting(self) -> bool:
        return self._gate.exported

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        super().add_span_processor(span_processor)
        self._gate.exported = True


def exporting() -> bool:
    """Whether spans are recorded and go somewhere: work that only feeds recorded spans (links, a
    span per message of a bulk write) is skipped when not."""
    provider = trace.get_tracer_provider()
    return isinstance(provider, _Provider) and provider.exporting


def configure(service: str, *, endpoint: str | None, sample_ratio: float) -> None:
    """The process's tracer provider (once): spans exported by OTLP/HTTP when an endpoint is set.
    Without one (and until a span processor is added), none is recorded; context still propagates."""
    if _configured:
        return
    _configured[service] = True
    provider = _Provider(
        _WhenExported(ParentBased(TraceIdRatioBased(sample_ratio))),
        Resource.create({"service.name": service}),
    )
    trace.set_tracer_provider(provider)
    if not endpoint:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    # Only when exporting (their spans are leaves: nothing captures context inside them, and even
    # unrecorded they cost ~0.8 ms of CPU per Stripe request): one database layer (asyncpg, under
    # SQLAlchemy: instrumenting both would show every query twice), the HTTP client Stripe's SDK uses
    # (aiohttp, autoletter.stripe's client) and the one services call each other with (httpx).
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]
    AioHttpClientInstrumentor().instrument()
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
