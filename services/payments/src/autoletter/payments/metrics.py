"""Payments metrics. Labels are bounded: event types we handle (others are "other"), never an account."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from autoletter.payments.adapters.stripe_events import HANDLED_TYPES

WEBHOOKS = Counter(
    "payments_stripe_webhooks_total",
    "Stripe webhook deliveries by event type and outcome (accepted, duplicate, ignored_type, "
    "signature_invalid, malformed).",
    ["type", "outcome"],
)
EVENTS_PROCESSED = Counter(
    "payments_stripe_events_processed_total",
    "Stored Stripe events processed, by type and outcome (applied effects, ignored, stale, retried, failed).",
    ["type", "outcome"],
)
PROCESSING_SECONDS = Histogram(
    "payments_stripe_event_processing_seconds",
    "Time to process one stored Stripe event, transaction included.",
)
EVENTS_PENDING = Gauge("payments_stripe_events_pending", "Stored Stripe events waiting to be processed.")
EVENTS_FAILED = Gauge("payments_stripe_events_failed", "Stored Stripe events given up after all retries.")
SERVICES = Gauge("payments_services", "Services by derived status.", ["service", "status"])


def type_label(event_type: str | None) -> str:
    return event_type if event_type in HANDLED_TYPES else "other"
