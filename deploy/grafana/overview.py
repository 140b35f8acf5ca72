"""The overview: are money and letters flowing, and what is stuck — without reading code."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models.common import BigValueGraphMode
from panels import BAD_IF_ANY, GREEN, ORANGE, RED, SERVICES, graph, new_dashboard, single
from runtime_rows import RATE

JOBS = "|".join(SERVICES)


def _status_row() -> db.Row:
    return (
        db.Row("Is it running")
        .with_panel(
            single(
                "Replicas up",
                "Scrapable replicas per service. Alert ServiceDown after 2 minutes at 0.",
                f'sum by (job) (up{{job=~"{JOBS}"}})',
                legend="{{job}}",
                steps=((None, RED), (1, GREEN)),
                width=12,
                graph_mode=BigValueGraphMode.NONE,
            )
        )
        .with_panel(
            single(
                "Alerts firing",
                "AutoLetter alerts firing now (Prometheus: Alerts page for details).",
                'count(ALERTS{alertstate="firing"}) or vector(0)',
                steps=BAD_IF_ANY,
                width=12,
                graph_mode=BigValueGraphMode.NONE,
            )
        )
    )


def _letters_row() -> db.Row:
    return (
        db.Row("Letters flowing")
        .with_panel(
            graph(
                "Letters sent per hour",
                "Dispatched to the print spool, by letter service.",
                [(f"3600 * sum by (service) (rate(letters_sent_total[{RATE}]))", "{{service}}")],
            )
        )
        .with_panel(
            graph(
                "Letter decisions per minute",
                "LetterAccepted, LetterHeld, LetterRejected, LetterExpired, LetterSent as published.",
                [
                    (
                        "60 * sum by (event_type) (rate(autoletter_messages_published_total"
                        f'{{service="letters"}}[{RATE}]))',
                        "{{event_type}}",
                    )
                ],
                unit="opm",
            )
        )
        .with_panel(
            single(
                "Letters held",
                "Held until their service is active again (overdue, blocked, status pending).",
                'sum(max by (service) (letters_letters{status="held"}))',
                steps=((None, GREEN), (1, ORANGE)),
            )
        )
        .with_panel(
            single(
                "Oldest held letter",
                "How long the oldest held letter has waited.",
                "max(letters_oldest_held_letter_age_seconds)",
                unit="s",
                steps=((None, GREEN), (86400, ORANGE), (7 * 86400, RED)),
            )
        )
        .with_panel(
            single(
                "Overdue services",
                "Letter services suspended for a payment that failed for good.",
                'sum(max by (service) (payments_services{status="overdue"}))',
                steps=((None, GREEN), (1, ORANGE)),
            )
        )
        .with_panel(
            single(
                "Active services",
                "Letter services customers can send with right now.",
                'sum(max by (service) (payments_services{status="active"}))',
            )
        )
    )


def _money_row() -> db.Row:
    return (
        db.Row("Money flowing")
        .with_panel(
            graph(
                "Unbilled usage",
                "Letters sent and priced, not on an invoice yet, by letter service.",
                [("max by (service) (invoicing_unbilled_amount_cents) / 100", "{{service}}")],
                unit="currencyEUR",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Invoices issued and payment outcomes per hour",
                "InvoiceIssued from invoicing; PaymentSucceeded, PaymentFailed, InvoiceVoided from payments.",
                [
                    (
                        "3600 * sum by (event_type) (rate(autoletter_messages_published_total"
                        f'{{service="invoicing", event_type="InvoiceIssued"}}[{RATE}]))',
                        "{{event_type}}",
                    ),
                    (
                        "3600 * sum by (event_type) (rate(autoletter_messages_published_total"
                        '{service="payments", event_type=~"PaymentSucceeded|PaymentFailed|InvoiceVoided"}'
                        f"[{RATE}]))",
                        "{{event_type}}",
                    ),
                ],
                width=8,
            )
        )
        .with_panel(
            graph(
                "Invoices by state",
                "Invoicing's rows: issued and waiting, paid, failed, uncollectible, void.",
                [("max by (state) (invoicing_invoices)", "{{state}}")],
                width=8,
            )
        )
        .with_panel(
            single(
                "Last close completed",
                "When a monthly close last completed without failures. Alert MonthlyCloseLate.",
                "max(max_over_time(invoicing_close_last_completed_timestamp_seconds[32d])) * 1000",
                unit="dateTimeFromNow",
                graph_mode=BigValueGraphMode.NONE,
                width=8,
            )
        )
        .with_panel(
            single(
                "Close running",
                "A monthly close is running now.",
                "sum(invoicing_close_running)",
                steps=((None, GREEN), (1, ORANGE)),
                width=8,
            )
        )
        .with_panel(
            single(
                "Failed invoices in the latest close",
                "Invoices the latest close could not create or finalise; a re-run resumes them.",
                'max(invoicing_close_invoices{outcome="failed"}) or vector(0)',
                steps=BAD_IF_ANY,
                width=8,
            )
        )
    )


def _stuck_row() -> db.Row:
    return (
        db.Row("What is stuck")
        .with_panel(
            graph(
                "Oldest unpublished event",
                "Per service: a state change other services have not heard about yet.",
                [("max by (service) (autoletter_outbox_oldest_unpublished_age_seconds)", "{{service}}")],
                unit="s",
                steps=((None, GREEN), (60, ORANGE), (300, RED)),
            )
        )
        .with_panel(
            graph(
                "Consumer lag",
                "Messages waiting per consumer group.",
                [
                    (
                        "sum by (group) (max by (service, group, topic, partition) "
                        "(autoletter_consumer_lag_messages))",
                        "{{group}}",
                    )
                ],
            )
        )
        .with_panel(
            single(
                "Dead letters since start",
                "All services. Each service's dashboard breaks them down by group and reason.",
                "sum(autoletter_dead_letters_total) or vector(0)",
                steps=BAD_IF_ANY,
            )
        )
        .with_panel(
            single(
                "Stripe events given up",
                "Payment outcomes that never took effect.",
                "max(payments_stripe_events_failed)",
                steps=BAD_IF_ANY,
            )
        )
        .with_panel(
            single(
                "Webhook signature failures in range",
                "A rotated webhook secret, or forged requests.",
                'sum(increase(payments_stripe_webhooks_total{outcome="signature_invalid"}[$__range])) '
                "or vector(0)",
                steps=((None, GREEN), (1, ORANGE), (10, RED)),
            )
        )
        .with_panel(
            single(
                "Dispatch failures in range",
                "Spool writes that failed (retried).",
                "sum(increase(letters_dispatch_failures_total[$__range])) or vector(0)",
                steps=((None, GREEN), (1, ORANGE), (10, RED)),
            )
        )
    )


def overview() -> db.Dashboard:
    return (
        new_dashboard(
            "autoletter-overview",
            "AutoLetter / overview",
            "Are letters going out and money coming in, and is anything stuck?",
            ["overview"],
        )
        .with_row(_status_row())
        .with_row(_letters_row())
        .with_row(_money_row())
        .with_row(_stuck_row())
    )
