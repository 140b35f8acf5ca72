"""One dashboard per service: its own measures first, then the shared runtime rows."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models.common import BigValueGraphMode
from panels import BAD_IF_ANY, GREEN, ORANGE, RED, graph, new_dashboard, single
from runtime_rows import RATE, consumer_row, health_row, http_row


def _service(
    service: str, title: str, description: str, *rows: db.Row, consumes: bool = True
) -> db.Dashboard:
    dash = new_dashboard(f"autoletter-{service}", title, description, [service]).with_row(health_row(service))
    for row in rows:
        dash = dash.with_row(row)
    dash = dash.with_row(http_row(service))
    if consumes:
        dash = dash.with_row(consumer_row(service))
    return dash


def profile() -> db.Dashboard:
    return _service(
        "profile",
        "AutoLetter / profile",
        "Profiles and their completeness: the events other services wait for.",
        consumes=False,  # profile publishes only
    )


def payments() -> db.Dashboard:
    webhooks = (
        db.Row("Stripe webhooks")
        .with_panel(
            graph(
                "Webhooks received per minute",
                "By outcome: accepted, duplicate, ignored_type, signature_invalid, malformed, too_large.",
                [
                    (
                        f"60 * sum by (outcome) (rate(payments_stripe_webhooks_total[{RATE}]))",
                        "{{outcome}}",
                    )
                ],
                unit="opm",
            )
        )
        .with_panel(
            graph(
                "Webhooks accepted per minute by type",
                "Stripe event types we handle; others are counted as 'other'.",
                [
                    (
                        "60 * sum by (type) "
                        f'(rate(payments_stripe_webhooks_total{{outcome="accepted"}}[{RATE}]))',
                        "{{type}}",
                    )
                ],
                unit="opm",
            )
        )
        .with_panel(
            single(
                "Signature failures in range",
                "Webhooks refused for a bad, missing or stale signature. Many at once: alert "
                "WebhookSignatureFailuresSpiking (a rotated secret, or forged requests).",
                'sum(increase(payments_stripe_webhooks_total{outcome="signature_invalid"}[$__range])) '
                "or vector(0)",
                steps=((None, GREEN), (1, ORANGE), (10, RED)),
            )
        )
        .with_panel(
            single(
                "Stored events waiting",
                "Stripe events stored and not processed yet.",
                "max(payments_stripe_events_pending)",
                steps=((None, GREEN), (50, ORANGE), (500, RED)),
            )
        )
        .with_panel(
            single(
                "Stored events given up",
                "Stripe events that failed after every retry: their effect never happened.",
                "max(payments_stripe_events_failed)",
                steps=BAD_IF_ANY,
            )
        )
        .with_panel(
            single(
                "Processing p95",
                "Time to process one stored Stripe event, transaction included.",
                "histogram_quantile(0.95, sum by (le) "
                f"(rate(payments_stripe_event_processing_seconds_bucket[{RATE}])))",
                unit="s",
                steps=((None, GREEN), (2, ORANGE), (10, RED)),
            )
        )
        .with_panel(
            graph(
                "Stored events processed per minute",
                "By outcome: applied, ignored, stale, retried, failed.",
                [
                    (
                        f"60 * sum by (outcome) (rate(payments_stripe_events_processed_total[{RATE}]))",
                        "{{outcome}}",
                    )
                ],
                unit="opm",
                width=24,
            )
        )
    )
    statuses = db.Row("Service statuses").with_panel(
        graph(
            "Services by status",
            "Derived status per letter service (inactive, blocked, active, overdue). Overdue holds "
            "letters; alert OverdueServicesRisingSharply.",
            [("max by (service, status) (payments_services)", "{{service}} {{status}}")],
            width=24,
        )
    )
    return _service(
        "payments",
        "AutoLetter / payments",
        "Stripe webhooks in, payment outcomes out, and the service statuses they derive.",
        webhooks,
        statuses,
    )


def letters() -> db.Dashboard:
    flow = (
        db.Row("Letters")
        .with_panel(
            graph(
                "Letters sent per hour",
                "Letters dispatched to the print spool, by letter service.",
                [(f"3600 * sum by (service) (rate(letters_sent_total[{RATE}]))", "{{service}}")],
            )
        )
        .with_panel(
            graph(
                "Letters by status",
                "From the database (every replica reports the same count).",
                [("max by (service, status) (letters_letters)", "{{service}} {{status}}")],
            )
        )
        .with_panel(
            single(
                "Letters held",
                "Waiting for their service to become active (overdue, blocked, status pending).",
                'sum(max by (service) (letters_letters{status="held"}))',
                steps=((None, GREEN), (1, ORANGE)),
            )
        )
        .with_panel(
            single(
                "Oldest held letter",
                "How long the oldest held letter has waited; it expires after the hold limit.",
                "max(letters_oldest_held_letter_age_seconds)",
                unit="s",
                steps=((None, GREEN), (86400, ORANGE), (7 * 86400, RED)),
            )
        )
        .with_panel(
            graph(
                "Dispatch failures per minute",
                "Spool writes that failed and will be retried. Alert LetterDispatchFailing.",
                [(f"60 * sum(rate(letters_dispatch_failures_total[{RATE}]))", "failures")],
                unit="opm",
                height=4,
            )
        )
    )
    return _service(
        "letters",
        "AutoLetter / letters",
        "Letters accepted, held, sent and expired; the print spool.",
        flow,
    )


def invoicing() -> db.Dashboard:
    usage = (
        db.Row("Usage and invoices")
        .with_panel(
            graph(
                "Usage lines recorded per minute",
                "One line per LetterSent, by letter service.",
                [
                    (
                        f"60 * sum by (service) (rate(invoicing_usage_lines_recorded_total[{RATE}]))",
                        "{{service}}",
                    )
                ],
                unit="opm",
            )
        )
        .with_panel(
            graph(
                "Unbilled amount",
                "Usage not on any invoice yet, by letter service.",
                [("max by (service) (invoicing_unbilled_amount_cents) / 100", "{{service}}")],
                unit="currencyEUR",
            )
        )
        .with_panel(
            graph(
                "Invoices by state",
                "Our invoice rows: draft, lines_added, issued, paid, payment_failed, uncollectible, void.",
                [("max by (state) (invoicing_invoices)", "{{state}}")],
            )
        )
        .with_panel(
            graph(
                "Usage lines in the ledger",
                "All usage lines, by letter service.",
                [("max by (service) (invoicing_usage_lines)", "{{service}}")],
            )
        )
    )
    close = (
        db.Row("Monthly close")
        .with_panel(
            single(
                "Close running",
                "Closes running now (one per period at a time, whatever the replicas: advisory lock).",
                "sum(invoicing_close_running)",
                steps=((None, GREEN), (1, ORANGE)),
            )
        )
        .with_panel(
            single(
                "Last close completed",
                "When a close last completed without failures (any replica, last 32 days). Alert "
                "MonthlyCloseLate when last month is not closed 30 hours into the month.",
                "max(max_over_time(invoicing_close_last_completed_timestamp_seconds[32d])) * 1000",
                unit="dateTimeFromNow",
                graph_mode=BigValueGraphMode.NONE,
            )
        )
        .with_panel(
            graph(
                "Latest close progress",
                "Invoices of the latest close, by outcome (candidates, issued, carried_over, "
                "no_customer, failed).",
                [("max by (outcome) (invoicing_close_invoices)", "{{outcome}}")],
                width=12,
                height=4,
            )
        )
        .with_panel(
            graph(
                "Stripe requests per minute",
                "By operation.",
                [
                    (
                        f"60 * sum by (operation) (rate(invoicing_stripe_requests_total[{RATE}]))",
                        "{{operation}}",
                    )
                ],
                unit="opm",
            )
        )
        .with_panel(
            graph(
                "Stripe retries per minute",
                "Retried requests by operation and cause (rate limit, server error, network).",
                [
                    (
                        f"60 * sum by (operation, reason) (rate(invoicing_stripe_retries_total[{RATE}]))",
                        "{{operation}} {{reason}}",
                    )
                ],
                unit="opm",
            )
        )
    )
    reconciliation = (
        db.Row("Reconciliation")
        .with_panel(
            graph(
                "Reconciliation differences",
                "Differences in the latest reconciliation of each period, by kind (letters, usage, invoices, "
                "payments and Stripe compared daily; `autoletter reconcile --period` prints them). Alert "
                "ReconciliationDifferences when any stays above 0.",
                [("max by (kind) (autoletter_reconciliation_differences)", "{{kind}}")],
            )
        )
        .with_panel(
            graph(
                "Reconciliation passes per hour",
                "Scheduled passes that compared at least one period, and those that failed (a side "
                "unreachable, Stripe or the database); a failed pass is tried again at the next check. "
                "Alert ReconciliationFailing after 3 failures in an hour.",
                [
                    (
                        "sum by (outcome) (increase(autoletter_reconciliation_runs_total[1h]))",
                        "{{outcome}}",
                    )
                ],
            )
        )
    )
    return _service(
        "invoicing",
        "AutoLetter / invoicing",
        "Usage priced into the ledger, unbilled amounts, invoices and the monthly close.",
        usage,
        close,
        reconciliation,
    )
