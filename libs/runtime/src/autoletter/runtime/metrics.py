"""Prometheus metrics of the messaging runtime. Labels are bounded: never an account id."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES_CONSUMED = Counter(
    "autoletter_messages_consumed_total",
    "Messages consumed, by outcome.",
    ["service", "topic", "event_type", "outcome"],
)
MESSAGES_PUBLISHED = Counter(
    "autoletter_messages_published_total",
    "Messages published by the outbox relay.",
    ["service", "topic", "event_type"],
)
HANDLER_SECONDS = Histogram(
    "autoletter_handler_duration_seconds",
    "Time to handle one message or batch, transaction included.",
    ["service", "group"],
)
DUPLICATES_SKIPPED = Counter(
    "autoletter_duplicates_skipped_total",
    "Redelivered messages the inbox recognised.",
    ["service", "group"],
)
RETRIES = Counter(
    "autoletter_handler_retries_total", "Handler retries after a failure.", ["service", "group"]
)
DEAD_LETTERS = Counter(
    "autoletter_dead_letters_total",
    "Messages moved to a dead-letter topic.",
    ["service", "group", "reason"],
)
UNKNOWN_EVENTS = Counter(
    "autoletter_unknown_events_total",
    "Messages of event types the contracts do not know (a newer producer), skipped.",
    ["service", "group", "event_type"],
)
UNHANDLED_EVENTS = Counter(
    "autoletter_unhandled_events_total",
    "Messages of known event types this consumer has no handler for, skipped (normal traffic).",
    ["service", "group", "event_type"],
)
UNKNOWN_VALUES = Counter(
    "autoletter_unknown_values_total",
    "Messages carrying a reason or status value this consumer does not know yet, tolerated.",
    ["service", "field"],
)
HANDLER_FAILURES = Counter(
    "autoletter_handler_failures_total",
    "Failed tries of a message, by kind: outage, conflict, slow (statement or lock timeout), message.",
    ["service", "group", "kind"],
)
OUTAGE_SECONDS = Gauge(
    "autoletter_consumer_outage_seconds",
    "How long the message in hand has been waiting out an outage (0 when none).",
    ["service", "group"],
)
OUTBOX_BACKLOG = Gauge("autoletter_outbox_backlog", "Unpublished outbox rows.", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "autoletter_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest unpublished outbox row.",
    ["service"],
)
OUTBOX_ERRORS = Counter("autoletter_outbox_relay_errors_total", "Relay passes that failed.", ["service"])
CONSUMER_LAG = Gauge(
    "autoletter_consumer_lag_messages",
    "Messages behind the end of the partition.",
    ["service", "group", "topic", "partition"],
)
HTTP_REQUESTS = Counter(
    "autoletter_http_requests_total",
    "HTTP requests by route and status.",
    ["service", "route", "status"],
)
