"""The composition root of invoicing: settings, clock, Stripe, handlers, routes, jobs."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from autoletter.contracts import TOPICS
from autoletter.contracts.letters import LetterSent
from autoletter.contracts.payments import (
    InvoiceVoided,
    PaymentDisputed,
    PaymentFailed,
    PaymentProcessing,
    PaymentSucceeded,
    StripeCustomerCreated,
)
from autoletter.invoicing.adapters.prices_repo import PriceBook, read_price_file, upsert_prices
from autoletter.invoicing.adapters.rate_limit import TokenBucket
from autoletter.invoicing.adapters.stripe_billing import StripeApiBilling, StripeBilling
from autoletter.invoicing.domain.period import Period
from autoletter.invoicing.entrypoints import http, jobs, reconciliation, recovery_jobs
from autoletter.invoicing.handlers.close import CloseConfig, PeriodClose
from autoletter.invoicing.handlers.ledger import record_usage, remember_customer
from autoletter.invoicing.handlers.payments import apply_payment_outcome
from autoletter.invoicing.handlers.runs import CloseRunner, RunResult
from autoletter.invoicing.settings import InvoicingSettings
from autoletter.runtime import stripe_api
from autoletter.runtime.clock import Clock
from autoletter.runtime.consumer import Subscription
from autoletter.runtime.service import ServiceRuntime

MIGRATIONS = Path(__file__).with_name("migrations")
USAGE_GROUP = "invoicing.usage"
PAYMENTS_GROUP = "invoicing.payments"


class InvoicingRuntime(ServiceRuntime):
    """The shared runtime plus what invoicing adds: prices, Stripe, the close and its runs."""

    settings: InvoicingSettings

    def __init__(
        self, settings: InvoicingSettings, clock: Clock, billing: StripeBilling, *, schedule: bool
    ) -> None:
        self.prices = PriceBook()
        payment_outcome = apply_payment_outcome(clock, settings.service_name)
        subscriptions = [
            Subscription(
                TOPICS["letters.events"],
                USAGE_GROUP,
                batch_size=settings.usage_batch_size,
                batch_handler=record_usage(self.prices),
                batch_types=(LetterSent,),
            ),
            Subscription(
                TOPICS["payments.events"],
                PAYMENTS_GROUP,
                {
                    StripeCustomerCreated: remember_customer,
                    PaymentSucceeded: payment_outcome,
                    PaymentFailed: payment_outcome,
                    InvoiceVoided: payment_outcome,
                    PaymentProcessing: payment_outcome,
                    PaymentDisputed: payment_outcome,
                },
            ),
        ]
        background = [
            jobs.billing_run_worker,
            jobs.refresh_gauges,
            reconciliation.reconciliation_gauge,
            recovery_jobs.recovery_worker,
        ]
        if settings.reconciliation_schedule_enabled:
            background.append(reconciliation.reconciliation_schedule)
        if schedule:
            background.append(jobs.close_schedule)
        super().__init__(
            settings,
            migrations=MIGRATIONS,
            subscriptions=subscriptions,
            publishes=[TOPICS["invoicing.events"]],
            clock=clock,
            background=background,
        )
        self.billing = billing
        config = CloseConfig(
            minimum_cents=settings.stripe_minimum_charge_cents,
            currency=settings.currency,
            concurrency=settings.close_concurrency,
            producer=settings.service_name,
        )
        self.close = PeriodClose(self.sessions, billing, self.clock, config)
        self.reconciler = reconciliation.build_reconciler(settings, self.sessions, self.clock)
        stats = getattr(billing, "stats", None)
        self.runs = CloseRunner(
            self.engine,
            self.sessions,
            self.close,
            self.clock,
            stripe_requests=(lambda: stats.total_requests) if stats is not None else (lambda: 0),
        )

    async def prepare(self) -> None:
        """Migrations and topics, then the price list file into the database (idempotent)."""
        await super().prepare()
        price_list = read_price_file(self.settings.price_list_path)
        async with self.sessions.begin() as session:
            await upsert_prices(session, price_list)
        self.prices.invalidate()


def stripe_billing(settings: InvoicingSettings) -> StripeApiBilling:
    """The Stripe adapter; its own retries replace stripe-python's, so they are counted and rate-limited."""
    client = stripe_api.client(
        settings.stripe_api_key.get_secret_value(), api_base=settings.stripe_api_base, max_network_retries=0
    )
    bucket = TokenBucket(settings.stripe_requests_per_second)
    return StripeApiBilling(client, bucket, max_attempts=settings.stripe_max_attempts)


def create_runtime(
    settings: InvoicingSettings | None = None,
    clock: Clock | None = None,
    *,
    billing: StripeBilling | None = None,
    schedule: bool | None = None,
) -> InvoicingRuntime:
    """Wire the service. Tests pass a clock, a Stripe fake, and may turn the schedule off."""
    settings = settings or InvoicingSettings()
    return InvoicingRuntime(
        settings,
        clock or settings.make_clock(),
        billing or stripe_billing(settings),
        schedule=settings.close_schedule_enabled if schedule is None else schedule,
    )


def create_app(runtime: InvoicingRuntime) -> FastAPI:
    return runtime.create_app(http.router, reconciliation.router, title="AutoLetter invoicing")


async def close_period(runtime: InvoicingRuntime, period: Period | str) -> RunResult:
    """Close a period now (the CLI calls this with a started or prepared runtime)."""
    month = period if isinstance(period, Period) else Period.parse(period)
    return await runtime.runs.close_period(month, trigger="cli")
