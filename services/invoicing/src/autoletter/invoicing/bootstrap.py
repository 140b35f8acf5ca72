"""The composition root of invoicing: its Deps, and the Service the runtime runs."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from autoletter import stripe as stripe_api
from autoletter.contracts import TOPICS
from autoletter.invoicing.adapters.prices_repo import PriceBook, read_price_file, upsert_prices
from autoletter.invoicing.adapters.rate_limit import TokenBucket
from autoletter.invoicing.adapters.repository import InvoicingRepository
from autoletter.invoicing.adapters.stripe_billing import StripeApiBilling, StripeBilling
from autoletter.invoicing.domain.period import Period
from autoletter.invoicing.entrypoints import consumers, http, reconciliation
from autoletter.invoicing.entrypoints.deps import Deps
from autoletter.invoicing.entrypoints.jobs import scheduled_close, update_gauges
from autoletter.invoicing.entrypoints.recovery_jobs import issue_recoveries
from autoletter.invoicing.handlers.close import CloseConfig, PeriodClose
from autoletter.invoicing.handlers.runs import CloseRunner, RunResult
from autoletter.invoicing.settings import InvoicingSettings
from autoletter.runtime.clock import Clock
from autoletter.runtime.jobs import Job
from autoletter.runtime.service import Resources, Service, ServiceRuntime

MIGRATIONS = Path(__file__).with_name("migrations")


def stripe_billing(settings: InvoicingSettings) -> StripeApiBilling:
    """The Stripe adapter; its own retries replace stripe-python's, so they are counted and rate-limited."""
    client = stripe_api.client(
        settings.stripe_api_key.get_secret_value(), api_base=settings.stripe_api_base, max_network_retries=0
    )
    bucket = TokenBucket(settings.stripe_requests_per_second)
    return StripeApiBilling(client, bucket, max_attempts=settings.stripe_max_attempts)


def bootstrap(
    settings: InvoicingSettings | None = None,
    clock: Clock | None = None,
    *,
    billing: StripeBilling | None = None,
    schedule: bool | None = None,
) -> Service[Deps]:
    """Wire the service. Tests pass a clock, a Stripe fake, and may turn the schedule off."""
    settings = settings or InvoicingSettings()
    resources = Resources.open(settings, clock)
    clock, sessions = resources.clock, resources.sessions
    billing = billing or stripe_billing(settings)
    config = CloseConfig(
        minimum_cents=settings.stripe_minimum_charge_cents,
        currency=settings.currency,
        concurrency=settings.close_concurrency,
    )
    prices = PriceBook()
    units = resources.units(partial(InvoicingRepository, prices=prices))
    close = PeriodClose(units, billing, config)
    stats = getattr(billing, "stats", None)
    runs = CloseRunner(
        units,
        close,
        stripe_requests=(lambda: stats.total_requests) if stats is not None else (lambda: 0),
    )
    reconciler = reconciliation.build_reconciler(settings, sessions, clock)
    deps = Deps(settings, clock, sessions, units, prices, billing, close, runs, reconciler)
    jobs = [
        Job("billing-runs", runs.serve, 1.0),  # runs requested over HTTP, one after another
        Job("ledger-gauges", partial(update_gauges, deps), settings.metrics_interval_s),
        Job("reconciliation-gauge", partial(reconciliation.refresh_gauge, deps), settings.metrics_interval_s),
        Job("recoveries", partial(issue_recoveries, deps), settings.recovery_check_interval_s),
    ]
    if settings.reconciliation_schedule_enabled:
        jobs.append(reconciliation.schedule_job(deps))
    if settings.close_schedule_enabled if schedule is None else schedule:
        jobs.append(Job("close-schedule", partial(scheduled_close, deps), settings.close_check_interval_s))
    return Service(
        resources,
        deps,
        MIGRATIONS,
        "AutoLetter invoicing",
        units=units,
        publishes=[TOPICS["invoicing.events"]],
        subscriptions=consumers.subscriptions(deps),
        routers=[http.router, reconciliation.router],
        jobs=jobs,
        prepare=[partial(load_prices, deps)],
    )


async def load_prices(deps: Deps) -> None:
    """The price list file into the database (idempotent), at every start after the migrations."""
    price_list = read_price_file(deps.settings.price_list_path)
    async with deps.sessions.begin() as session:
        await upsert_prices(session, price_list)
    deps.prices.invalidate()


async def close_period(runtime: ServiceRuntime, period: Period | str) -> RunResult:
    """Close a period now (tests and benchmarks call this with a started or prepared runtime)."""
    month = period if isinstance(period, Period) else Period.parse(period)
    deps: Deps = runtime.deps
    return await deps.runs.close_period(month, trigger="cli")
