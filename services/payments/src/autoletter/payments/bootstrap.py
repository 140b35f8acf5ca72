"""The composition root of payments: settings, Stripe, handlers, subscriptions, routes, background tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from autoletter.contracts import TOPICS
from autoletter.contracts.profile import ProfileCompleted, ProfileIncomplete, ProfileUpdated
from autoletter.payments.adapters.stripe_gateway import StripeGateway
from autoletter.payments.entrypoints import http, ops, reconciliation, webhook
from autoletter.payments.entrypoints.processor import WebhookProcessor, refresh_gauges
from autoletter.payments.handlers import announcements, profile
from autoletter.payments.handlers.common import Context
from autoletter.payments.settings import PaymentsSettings
from autoletter.runtime import stripe_api
from autoletter.runtime.clock import Clock
from autoletter.runtime.consumer import Subscription
from autoletter.runtime.service import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"


class PaymentsRuntime(ServiceRuntime):
    """The shared runtime plus what payments' entrypoints need: the handlers' context and the processor."""

    settings: PaymentsSettings
    ctx: Context
    processor: WebhookProcessor


def create_runtime(
    settings: PaymentsSettings | None = None,
    clock: Clock | None = None,
    *,
    gateway: StripeGateway | None = None,
) -> PaymentsRuntime:
    """Wire the service; `gateway` lets tests observe the Stripe calls (still sent to stripe-mock)."""
    settings = settings or PaymentsSettings()
    clock = clock or settings.make_clock()
    gateway = gateway or StripeGateway(
        stripe_api.client(settings.stripe_api_key.get_secret_value(), api_base=settings.stripe_api_base)
    )
    ctx = Context(gateway=gateway, clock=clock, producer=settings.service_name)

    def bound(handler: Any) -> Any:
        async def handle(session: AsyncSession, message: Any) -> None:
            await handler(ctx, session, message)

        return handle

    profile_events = Subscription(
        topic=TOPICS["profile.events"],
        group="payments.profile",
        handlers={
            ProfileCompleted: bound(profile.on_profile_complete),
            ProfileUpdated: bound(profile.on_profile_complete),
            ProfileIncomplete: bound(profile.on_profile_incomplete),
        },
    )
    holder: dict[str, WebhookProcessor] = {}

    async def process_webhooks(rt: ServiceRuntime) -> None:
        await holder["processor"].run(rt)

    async def announce_statuses(rt: ServiceRuntime) -> None:
        await announcements.run_catch_up(ctx, rt.sessions)

    runtime = PaymentsRuntime(
        settings,
        migrations=MIGRATIONS,
        subscriptions=[profile_events],
        publishes=[TOPICS["payments.events"]],
        clock=clock,
        background=[process_webhooks, refresh_gauges, announce_statuses],
    )
    runtime.ctx = ctx
    runtime.processor = holder["processor"] = WebhookProcessor(runtime.sessions, ctx, settings)
    return runtime


def create_app(runtime: ServiceRuntime) -> FastAPI:
    return runtime.create_app(
        http.router, webhook.router, ops.router, reconciliation.router, title="AutoLetter payments"
    )
