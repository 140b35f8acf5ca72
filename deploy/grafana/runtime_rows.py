"""Rows every service dashboard shares: what the shared runtime measures (outbox, consumers, scrape)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from panels import BAD_IF_ANY, GREEN, ORANGE, RED, graph, single

RATE = "$__rate_interval"


def health_row(service: str) -> db.Row:
    """Replicas up and the outbox: is the service alive and telling the others what happened?"""
    s = f'service="{service}"'
    return (
        db.Row("Health and outbox")
        .with_panel(
            single(
                "Replicas up",
                "Replicas Prometheus can scrape right now.",
                f'sum(up{{job="{service}"}})',
                steps=((None, RED), (1, GREEN)),
                width=4,
            )
        )
        .with_panel(
            single(
                "Unpublished events",
                "Outbox rows committed but not yet on Kafka (the same database for every replica).",
                f"max(autoletter_outbox_backlog{{{s}}})",
                steps=((None, GREEN), (100, ORANGE), (1000, RED)),
                width=5,
            )
        )
        .with_panel(
            single(
                "Oldest unpublished event",
                "How long the oldest outbox row has waited. Alert OutboxBacklogStale above 5 minutes.",
                f"max(autoletter_outbox_oldest_unpublished_age_seconds{{{s}}})",
                unit="s",
                steps=((None, GREEN), (60, ORANGE), (300, RED)),
                width=5,
            )
        )
        .with_panel(
            graph(
                "Events published per minute",
                "What the outbox relay put on Kafka, by event type.",
                [
                    (
                        "60 * sum by (event_type) "
                        f"(rate(autoletter_messages_published_total{{{s}}}[{RATE}]))",
                        "{{event_type}}",
                    )
                ],
                unit="opm",
                width=10,
                height=4,
            )
        )
        .with_panel(
            graph(
                "Outbox relay errors per minute",
                "Relay passes that failed (Kafka unreachable, producer fenced). Retried.",
                [(f"60 * sum(rate(autoletter_outbox_relay_errors_total{{{s}}}[{RATE}]))", "errors")],
                unit="opm",
                width=24,
                height=6,
            )
        )
    )


def http_row(service: str) -> db.Row:
    """The service's HTTP API: what is asked of it, and what it answers."""
    s = f'service="{service}"'
    return (
        db.Row("HTTP")
        .with_panel(
            graph(
                "Requests per minute by route",
                "Every replica's requests, by route template (health and metrics included).",
                [
                    (
                        f"60 * sum by (route) (rate(autoletter_http_requests_total{{{s}}}[{RATE}]))",
                        "{{route}}",
                    )
                ],
                unit="opm",
            )
        )
        .with_panel(
            graph(
                "Answers per minute by status",
                "4xx: the caller's mistake, told in the body; 5xx: ours (503: a dependency was down).",
                [
                    (
                        f"60 * sum by (status) (rate(autoletter_http_requests_total{{{s}}}[{RATE}]))",
                        "{{status}}",
                    )
                ],
                unit="opm",
            )
        )
    )


def consumer_row(service: str) -> db.Row:
    """The service's consumer groups: throughput, latency, lag, retries, dead letters."""
    s = f'service="{service}"'
    return (
        db.Row("Consumers")
        .with_panel(
            graph(
                "Messages consumed per minute",
                "By event type and outcome (ok, skipped, dead_lettered), all replicas.",
                [
                    (
                        f"60 * sum by (event_type, outcome) "
                        f"(rate(autoletter_messages_consumed_total{{{s}}}[{RATE}]))",
                        "{{event_type}} {{outcome}}",
                    )
                ],
                unit="opm",
            )
        )
        .with_panel(
            graph(
                "Consumer lag",
                "Messages behind the end of the topic, per consumer group (partitions summed). "
                "Alerts ConsumerLagGrowing and ConsumerStalled.",
                [
                    (
                        f"sum by (group) (max by (group, topic, partition) "
                        f"(autoletter_consumer_lag_messages{{{s}}}))",
                        "{{group}}",
                    )
                ],
            )
        )
        .with_panel(
            graph(
                "Handler latency",
                "Time to handle one message or batch, transaction included.",
                [
                    (
                        f"histogram_quantile(0.5, sum by (group, le) "
                        f"(rate(autoletter_handler_duration_seconds_bucket{{{s}}}[{RATE}])))",
                        "p50 {{group}}",
                    ),
                    (
                        f"histogram_quantile(0.95, sum by (group, le) "
                        f"(rate(autoletter_handler_duration_seconds_bucket{{{s}}}[{RATE}])))",
                        "p95 {{group}}",
                    ),
                ],
                unit="s",
            )
        )
        .with_panel(
            graph(
                "Retries and redeliveries per minute",
                "Handler retries after a failure, and redelivered messages the inbox recognised.",
                [
                    (
                        f"60 * sum by (group) (rate(autoletter_handler_retries_total{{{s}}}[{RATE}]))",
                        "retries {{group}}",
                    ),
                    (
                        f"60 * sum by (group) (rate(autoletter_duplicates_skipped_total{{{s}}}[{RATE}]))",
                        "duplicates {{group}}",
                    ),
                ],
                unit="opm",
            )
        )
        .with_panel(
            single(
                "Dead letters since start",
                "Messages moved to <topic>.dlq.<group> since the replicas started. Inspect and replay "
                "them with the autoletter CLI.",
                f"sum(autoletter_dead_letters_total{{{s}}}) or vector(0)",
                steps=BAD_IF_ANY,
                width=6,
            )
        )
        .with_panel(
            single(
                "Unknown events skipped since start",
                "Messages of event types the contracts do not know (a newer producer?). Known types a "
                "consumer has no handler for are normal traffic, counted apart.",
                f"sum(autoletter_unknown_events_total{{{s}}}) or vector(0)",
                steps=((None, GREEN), (1, ORANGE)),
                width=6,
            )
        )
        .with_panel(
            graph(
                "Dead letters per minute",
                "By consumer group and reason (undecodable, rejected, retries_exhausted).",
                [
                    (
                        f"60 * sum by (group, reason) (rate(autoletter_dead_letters_total{{{s}}}[{RATE}]))",
                        "{{group}} {{reason}}",
                    )
                ],
                unit="opm",
                height=4,
            )
        )
        .with_panel(
            single(
                "Longest outage being waited out",
                "Seconds the message in hand has waited for the database or Stripe (0 when none). "
                "Such messages are retried without limit, never dead-lettered.",
                f"max(autoletter_consumer_outage_seconds{{{s}}}) or vector(0)",
                steps=((None, GREEN), (60, ORANGE), (180, RED)),
                unit="s",
                width=6,
                height=8,
            )
        )
        .with_panel(
            graph(
                "Failed tries per minute, by kind",
                "outage and conflict: waited out or retried without limit; slow: statement or lock "
                "timeouts, retried for a bounded time; message: the message's own fault. Skipped "
                "known types without a handler and unknown reason or status values, tolerated.",
                [
                    (
                        f"60 * sum by (kind) (rate(autoletter_handler_failures_total{{{s}}}[{RATE}]))",
                        "{{kind}}",
                    ),
                    (
                        f"60 * sum (rate(autoletter_unhandled_events_total{{{s}}}[{RATE}]))",
                        "unhandled types",
                    ),
                    (
                        f"60 * sum by (field) (rate(autoletter_unknown_values_total{{{s}}}[{RATE}]))",
                        "unknown {{field}}",
                    ),
                ],
                unit="opm",
                width=18,
            )
        )
    )
