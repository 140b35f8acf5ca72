"""Prometheus metrics of the invoicing service. Labels are bounded: never an account id."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

USAGE_LINES_RECORDED = Counter(
    "invoicing_usage_lines_recorded_total", "Usage lines written to the ledger.", ["service"]
)
USAGE_LINES = Gauge("invoicing_usage_lines", "Usage lines in the ledger.", ["service"])
UNBILLED_CENTS = Gauge(
    "invoicing_unbilled_amount_cents", "Amount of usage not on any invoice yet.", ["service"]
)
INVOICES = Gauge("invoicing_invoices", "Our invoices by state.", ["state"])
CLOSE_RUNNING = Gauge("invoicing_close_running", "Closes running in this process.")
CLOSE_INVOICES = Gauge(
    "invoicing_close_invoices",
    "Progress of the latest close in this process, by outcome.",
    ["outcome"],
)
CLOSE_LAST_COMPLETED = Gauge(
    "invoicing_close_last_completed_timestamp_seconds", "When a close last completed without failures."
)
STRIPE_REQUESTS = Counter("invoicing_stripe_requests_total", "Requests sent to Stripe.", ["operation"])
STRIPE_RETRIES = Counter(
    "invoicing_stripe_retries_total", "Stripe requests retried, by cause.", ["operation", "reason"]
)
