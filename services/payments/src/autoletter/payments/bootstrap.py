"""The composition root of payments: its Deps, and the Service the runtime runs."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from autoletter import stripe as stripe_api
from autoletter.contracts import TOPICS
from autoletter.payments.adapters.repository import PaymentsRepository
from autoletter.payments.adapters.stripe_gateway import StripeGateway
from autoletter.payments.entrypoints import consumers, http, ops, reconciliation, webhook
from autoletter.payments.entrypoints.deps import Deps
from autoletter.payments.entrypoints.processor import WebhookProcessor, update_gauges
from autoletter.payments.handlers import announcements
from autoletter.payments.handlers.common import Context
from autoletter.payments.settings import PaymentsSettings
from autoletter.runtime.clock import Clock
from autoletter.runtime.jobs import Job
from autoletter.runtime.service import Resources, Service

MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(
    settings: PaymentsSettings | None = None,
    clock: Clock | None = None,
    *,
    gateway: StripeGateway | None = None,
) -> Service[Deps]:
    """Wire payments; `gateway` lets tests observe the Stripe calls (still sent to stripe-mock)."""
    settings = settings or PaymentsSettings()
    resources = Resources.open(settings, clock)
    gateway = gateway or StripeGateway(
        stripe_api.client(settings.stripe_api_key.get_secret_value(), api_base=settings.stripe_api_base)
    )
    units = resources.units(PaymentsRepository)
    ctx = Context(gateway=gateway)
    processor = WebhookProcessor(units, ctx, settings)
    deps = Deps(settings, resources.clock, resources.sessions, units, ctx, processor, webhook.intake(units))
    return Service(
        resources,
        deps,
        MIGRATIONS,
        "AutoLetter payments",
        units=units,
        publishes=[TOPICS["payments.events"]],
        subscriptions=consumers.subscriptions(ctx),
        routers=[http.router, webhook.router, ops.router, reconciliation.router],
        jobs=[
            *processor.jobs(),
            Job("payments-gauges", partial(update_gauges, deps.sessions), settings.metrics_interval_s),
            Job(
                "status-announcements",
                partial(announcements.run_catch_up, units),
                5.0,
                repeat=False,
            ),
        ],
    )
